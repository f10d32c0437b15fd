#!/usr/bin/env bash
# bench/run.sh: measures, in one run and with wrk, (1) nginx serving a small
# static file, (2) nginx plus a trivial libfcgi responder (the ceiling of
# any FastCGI application here), (3) GET /health through nginx and the pool
# (4 responders, 1 executor, SQLite); then the pool's memory (PSS and RSS)
# and its cold start.  Prints a table and the target lines; never fails
# because a target is missed.  See bench/README.md.
#
#   bench/run.sh [--duration SECONDS] [--quick]
#   PIPELIT_BIN=/path/to/pipelit bench/run.sh     (skip the build)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

DURATION=10
COLD_RUNS=5
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--quick) DURATION=3; COLD_RUNS=3; shift ;;
	-h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

WORK=
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	sleep 0.5
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT

prepare() {
	command -v wrk >/dev/null || ensure_packages wrk
	command -v spawn-fcgi >/dev/null || ensure_packages spawn-fcgi
	command -v nginx >/dev/null || ensure_packages nginx-light
	if [ -z "${PIPELIT_BIN:-}" ]; then
		bootstrap_autotools
		build_tree
		PIPELIT_BIN=$BUILD_DIR/pipelit
	fi
	[ -x "$PIPELIT_BIN" ] || die "no pipelit binary at $PIPELIT_BIN"
	WORK=$(mktemp -d /tmp/pipelit-bench.XXXXXX)
	chmod 0755 "$WORK"
	mkdir -p "$WORK/www"
	cp "$ROOT/www/index.html" "$WORK/www/"
	printf 'Pipelit benchmark static file.\n' >"$WORK/www/static.txt"
	cc -O2 -o "$WORK/trivial_fcgi" "$ROOT/bench/trivial_fcgi.c" -lfcgi ||
		die "cannot compile bench/trivial_fcgi.c (libfcgi-dev)"
}

# start_nginx NAME SOCKET: an nginx of our own in front of SOCKET, on the
# port it leaves in NGINX_PORT.
start_nginx() {
	local name=$1 socket=$2 port user_line=
	port=$(free_port)
	is_root && user_line='user root;'
	render_nginx_conf "$WORK/$name/nginx.conf" "$WORK/$name" "127.0.0.1:$port" "$WORK/www" \
		"$socket" 10485760 "$user_line"
	nginx -p "$WORK/$name" -c "$WORK/$name/nginx.conf" -e "$WORK/$name/error.log" ||
		die "nginx $name did not start"
	PIDS+=("$(cat "$WORK/$name/nginx.pid")")
	NGINX_PORT=$port
}

# The environment of the benchmarked pool: SQLite in a data dir of its own;
# POOL_RESPONDERS responders (4 unless a script says otherwise: the
# targets of this script's pool were set for 4).
pool_env() {
	local data=$1
	shift
	env -i PATH="$PATH" HOME="${HOME:-/tmp}" PIPELIT_DATA_DIR="$data" \
		PIPELIT_RESPONDERS="${POOL_RESPONDERS:-4}" PIPELIT_EXECUTORS=1 LOG_LEVEL=WARNING \
		FIELD_ENCRYPTION_KEY="$KEY" SECRET_KEY=bench-secret \
		${POOL_EXTRA_ENV[@]+"${POOL_EXTRA_ENV[@]}"} "$@"
}

start_pool() {
	local data=$WORK/pool
	pool_env "$data" "$PIPELIT_BIN" serve --socket "$WORK/pool.sock" --pid-file "$WORK/pool.pid" \
		>"$WORK/pool.log" 2>&1 &
	PIDS+=("$!")
	local deadline=$((SECONDS + 60))
	until [ -S "$WORK/pool.sock" ] && [ -f "$WORK/pool.pid" ]; do
		[ $SECONDS -lt $deadline ] || die "the pool did not start: $(tail -5 "$WORK/pool.log")"
		sleep 0.1
	done
	# $! is the subshell running pool_env; the master is what must be stopped.
	PIDS+=("$(cat "$WORK/pool.pid")")
}

start_trivial() {
	spawn-fcgi -s "$WORK/trivial.sock" -n -- "$WORK/trivial_fcgi" 4 >/dev/null 2>&1 &
	PIDS+=("$!")
	local deadline=$((SECONDS + 10))
	until [ -S "$WORK/trivial.sock" ]; do
		[ $SECONDS -lt $deadline ] || die "the trivial responder did not start"
		sleep 0.1
	done
}

# run_wrk LABEL CONNECTIONS URL: one wrk run; appends "label conns rps p50ms p99ms" to $WORK/results.
run_wrk() {
	local label=$1 conns=$2 url=$3 out
	wrk -t2 -c"$conns" -d"${DURATION}s" --latency "$url" >"$WORK/wrk.out" 2>&1 || true
	out=$(awk -v label="$label" -v conns="$conns" '
		function ms(v) {
			if (v ~ /us$/) return v / 1000;
			if (v ~ /ms$/) return v + 0;
			if (v ~ /m$/) return v * 60000;
			if (v ~ /s$/) return v * 1000;
			return v;
		}
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/Non-2xx or 3xx responses:/ { bad = $NF }
		/Socket errors:/ { errs = $0 }
		END { printf "%s %s %.0f %.3f %.3f %d\n", label, conns, rps, p50, p99, bad }
	' "$WORK/wrk.out")
	echo "$out" >>"$WORK/results"
}

# MEM_PSS and MEM_RSS: kB of PSS and RSS of process PID, from /proc (0 when
# it is gone), read with shell builtins: samplers call it beside timed
# rows, so it starts no process.
mem_read() {
	local k v rest
	MEM_PSS=0 MEM_RSS=0
	{ while read -r k v rest; do
		case $k in
		Pss:) MEM_PSS=$v ;;
		Rss:) MEM_RSS=$v ;;
		esac
	  done <"/proc/$1/smaps_rollup"; } 2>/dev/null || true
}

# "PSS RSS" of one process, in kB.
mem_of() {
	mem_read "$1"
	echo "$MEM_PSS $MEM_RSS"
}

children_of() {
	local parent=$1 stat pid ppid
	for stat in /proc/[0-9]*/stat; do
		# 2>/dev/null first: a process may end between the glob and the read.
		read -r pid _ _ ppid _ 2>/dev/null <"$stat" || continue
		[ "$ppid" = "$parent" ] && echo "$pid"
	done
}

measure_memory() {
	local master pid pss rss kind total_pss=0 total_rss=0
	master=$(cat "$WORK/pool.pid")
	printf '\nMemory of the pool (kB):\n  %-10s %8s %8s  %s\n' process PSS RSS pid
	for pid in "$master" $(children_of "$master"); do
		read -r pss rss < <(mem_of "$pid")
		kind=child
		[ "$pid" = "$master" ] && kind=master
		printf '  %-10s %8d %8d  %s %s\n' "$kind" "$pss" "$rss" "$pid" \
			"$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-40)"
		total_pss=$((total_pss + pss))
		total_rss=$((total_rss + rss))
	done
	printf '  %-10s %8d %8d\n' total "$total_pss" "$total_rss"
	MEM_PSS_MB=$(awk -v k="$total_pss" 'BEGIN { printf "%.1f", k / 1024 }')
	MEM_RSS_MB=$(awk -v k="$total_rss" 'BEGIN { printf "%.1f", k / 1024 }')
}

# Cold start: from an empty data directory to the first 200 from /health
# through nginx; the median of $COLD_RUNS runs, in ms.
measure_cold_start() {
	start_nginx cold "$WORK/cold.sock"
	COLD_MS=$(WORK=$WORK BIN=$PIPELIT_BIN PORT=$NGINX_PORT RUNS=$COLD_RUNS KEY=$KEY perl -MHTTP::Tiny \
		-MTime::HiRes=time,sleep -MPOSIX=WNOHANG -e '
		my @ms;
		for my $run (1 .. $ENV{RUNS}) {
			system("rm", "-rf", "$ENV{WORK}/cold-data");
			my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 0);
			my $t0 = time;
			my $pid = fork // die;
			if ($pid == 0) {
				my ($bin, $work) = @ENV{qw(BIN WORK)};
				%ENV = (PATH => $ENV{PATH}, PIPELIT_DATA_DIR => "$ENV{WORK}/cold-data",
					PIPELIT_RESPONDERS => 4, PIPELIT_EXECUTORS => 1, LOG_LEVEL => "WARNING",
					FIELD_ENCRYPTION_KEY => $ENV{KEY}, SECRET_KEY => "bench-secret");
				open STDOUT, ">>", "$work/cold.log"; open STDERR, ">&", \*STDOUT;
				exec $bin, "serve", "--socket", "$work/cold.sock", "--pid-file", "$work/cold.pid";
				POSIX::_exit(127);
			}
			my $ok = 0;
			while (time - $t0 < 30) {
				last if waitpid($pid, WNOHANG) == $pid;
				if ($http->get("http://127.0.0.1:$ENV{PORT}/health")->{status} == 200) { $ok = 1; last }
				sleep 0.002;
			}
			push @ms, $ok ? (time - $t0) * 1000 : 99999;
			kill "TERM", $pid;
			waitpid($pid, 0);
		}
		@ms = sort { $a <=> $b } @ms;
		printf "%.0f\n", $ms[$#ms / 2];
	')
}

print_table() {
	printf '\nwrk -t2 -d%ss --latency, through nginx (%s)\n' "$DURATION" "$(nginx -v 2>&1 | sed 's/.*: //')"
	awk '
		{ label[NR] = $1; conns[NR] = $2; rps[NR] = $3; p50[NR] = $4; p99[NR] = $5; bad[NR] = $6
		  if ($1 == "trivial") { trps[$2] = $3; tp50[$2] = $4; tp99[$2] = $5 } }
		END {
			printf "  %-8s %5s %10s %9s %9s %8s %8s %8s %6s\n", "what", "conns", "req/s", "p50 ms", "p99 ms",
				"rps/triv", "p50/triv", "p99/triv", "non2xx"
			for (i = 1; i <= NR; i++) {
				c = conns[i]
				printf "  %-8s %5s %10.0f %9.3f %9.3f %7.0f%% %8.2f %8.2f %6d\n", label[i], c, rps[i], p50[i], p99[i],
					trps[c] ? 100 * rps[i] / trps[c] : 0, tp50[c] ? p50[i] / tp50[c] : 0,
					tp99[c] ? p99[i] / tp99[c] : 0, bad[i]
			}
		}' "$WORK/results"
}

health_ratio() {
	awk '
		$1 == "trivial" { t[$2] = $3 } $1 == "health" { h[$2] = $3 }
		END {
			min = -1
			for (c in h) if (t[c] > 0) { r = 100 * h[c] / t[c]; if (min < 0 || r < min) min = r }
			printf "%.0f\n", min < 0 ? 0 : min
		}' "$WORK/results"
}

main() {
	prepare
	KEY=$("$PIPELIT_BIN" keygen)
	start_pool
	start_trivial
	local port_pool port_trivial
	start_nginx front "$WORK/pool.sock"
	port_pool=$NGINX_PORT
	start_nginx trivial "$WORK/trivial.sock"
	port_trivial=$NGINX_PORT
	curl_ok() { perl -MHTTP::Tiny -e 'exit(HTTP::Tiny->new->get($ARGV[0])->{status} == 200 ? 0 : 1)' "$1"; }
	curl_ok "http://127.0.0.1:$port_pool/health" || die "/health does not answer 200 through the pool"
	: >"$WORK/results"
	for conns in 8 64; do
		say "static, $conns connections"
		run_wrk static "$conns" "http://127.0.0.1:$port_pool/static.txt"
		say "trivial responder, $conns connections"
		run_wrk trivial "$conns" "http://127.0.0.1:$port_trivial/health"
		say "/health through the pool, $conns connections"
		run_wrk health "$conns" "http://127.0.0.1:$port_pool/health"
	done
	print_table
	measure_memory
	say "cold start, $COLD_RUNS runs"
	measure_cold_start
	printf '\ncold start (empty data dir to the first 200 from /health): median of %d runs: %s ms\n\n' \
		"$COLD_RUNS" "$COLD_MS"
	echo "/health: $(health_ratio)% of trivial (target >= 80%)"
	echo "memory: $MEM_PSS_MB MB PSS total (target < 25 MB); RSS summed: $MEM_RSS_MB MB"
	echo "cold start: $COLD_MS ms (target < 300 ms)"
}

# bench/auth.sh sources this file for its functions; only a direct run measures.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main
fi
