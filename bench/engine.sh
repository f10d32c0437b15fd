#!/usr/bin/env bash
# bench/engine.sh: the execution engine, in one run, each figure beside its
# target and, where one exists, a baseline measured in the same run:
#   - the physical limit: one-row commits/s at SQLite synchronous=FULL on
#     the disk the pool's database is on (bench/sqlite_sync.c, 1 writer);
#   - asynchronous executions completed and persisted per second (fire N
#     triggers, wait until nothing is pending or running, count the
#     completed rows) at synchronous=FULL, as a ratio of that limit
#     measured again just before and after each such row, and on
#     PostgreSQL (a throwaway cluster, fsync on); the rows through HTTP
#     are each the median of three runs;
#   - synchronous webhook calls/s, p50 and p99 with wrk (when the pool has
#     the webhook route), against n8n 2.8.4 running the same workflow;
#   - per-node engine overhead: (end-to-end time of a 50-node chain - that
#     of a 1-node chain) / 49, at idle;
#   - trigger to first node at idle (started_at to the first log row);
#   - the pool's memory (PSS summed over its processes) during the run;
#   - database accesses per second of the idle pool (strace).
# The workflow: webhook -> switch -> a | b -> reply.  Never fails because
# a target is missed.  See bench/README.md.
#
#   bench/engine.sh [--quick] [--duration SECONDS] [--no-pg] [--no-n8n]
#   PIPELIT_BIN=/path/to/pipelit bench/engine.sh     (skip the build)
#   PIPELIT_BENCH_N8N_DIR=DIR   where n8n is installed (default
#                               ~/.cache/pipelit-bench/n8n; outside the repository)
#   PIPELIT_BENCH_HTTP_TRIALS=N runs of each judged row through HTTP (odd; 3)
set -euo pipefail

QUICK=0
WITH_PG=1
WITH_N8N=1
RUN_ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; RUN_ARGS+=(--quick); shift ;;
	--duration) RUN_ARGS+=(--duration "$2"); shift 2 ;;
	--no-pg) WITH_PG=0; shift ;;
	--no-n8n) WITH_N8N=0; shift ;;
	-h|--help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "engine.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

# run.sh defines the machinery (and parses --quick/--duration); it
# measures only when run itself.
. "$(dirname "${BASH_SOURCE[0]}")/run.sh" ${RUN_ARGS[@]+"${RUN_ARGS[@]}"}
. "$(dirname "${BASH_SOURCE[0]}")/api_client.sh"
. "$(dirname "${BASH_SOURCE[0]}")/pg_cluster.sh"
. "$(dirname "${BASH_SOURCE[0]}")/n8n.sh"

if [ "$QUICK" = 1 ]; then
	ASYNC_N=1000 LATENCY_K=40 CHAIN_K=15 CHAIN_ASYNC_N=20 IDLE_SECONDS=2 RAW_SECONDS=2
else
	ASYNC_N=4000 LATENCY_K=200 CHAIN_K=50 CHAIN_ASYNC_N=100 IDLE_SECONDS=5 RAW_SECONDS=5
fi
# The pool as configured by default: 8 responders (pipelit serve's default
# since the trigger writer), 1 executor.
POOL_RESPONDERS=8
# Trigger processes firing at once, and wrk's connections for every row
# through HTTP: a webhook is called by many clients at once.  A rate
# measured with fewer callers than the pool can serve together is the
# callers' round-trip time, not the pool's capacity: the asynchronous
# rows are also measured with LOW_CONNS, as an info row beside them.
FIRERS=16
SYNC_CONNS=16
ASYNC_CONNS=16
LOW_CONNS=8
# Runs of each judged row through HTTP, whose median is the row (odd).
HTTP_TRIALS=${PIPELIT_BENCH_HTTP_TRIALS:-3}
TABLE=
MEM_SAMPLER=

engine_cleanup() {
	[ -n "$MEM_SAMPLER" ] && kill "$MEM_SAMPLER" 2>/dev/null
	n8n_stop
	stop_pg
	# PIPELIT_BENCH_KEEP=1 keeps the working directory (logs, traces, raw figures).
	if [ "${PIPELIT_BENCH_KEEP:-0}" = 1 ] && [ -n "$WORK" ]; then
		echo "engine.sh: kept $WORK" >&2
		WORK=
	fi
	cleanup || true
}
trap engine_cleanup EXIT

build_helpers() {
	local build=${PIPELIT_BUILD_DIR:-$ROOT/build} libs
	[ -f "$build/libpipelit.a" ] || die "no $build/libpipelit.a: build first"
	# The allocator the build links the pipelit binary with, first (configure.ac).
	libs="$(sed -n 's/^MIMALLOC_LIBS = //p' "$build/Makefile") $(pkg-config --libs sqlite3 libpq jansson libsodium libcurl libpcre2-8)"
	# shellcheck disable=SC2086 # pkg-config prints words on purpose
	cc -O2 -I"$ROOT/src" -I"$build/src" -o "$WORK/engine_fire" "$ROOT/bench/engine_fire.c" \
		"$build/libpipelit.a" $libs -lfcgi -lm || die "cannot build bench/engine_fire.c"
	# shellcheck disable=SC2086
	cc -O2 -I"$ROOT/src" -I"$build/src" -o "$WORK/sqlite_sync" "$ROOT/bench/sqlite_sync.c" \
		"$build/libpipelit.a" $libs -lfcgi -lm || die "cannot build bench/sqlite_sync.c"
}

# row LABEL VALUE TARGET VERDICT: one line of the final table.
row() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"; }

# verdict VALUE OP LIMIT: "ok" or "MISSED" (OP ge, le, lt, eq), "n/a" without a value.
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "" || v == "n/a") { print "n/a"; exit }
		ok = (op == "ge" && v + 0 >= l + 0) || (op == "le" && v + 0 <= l + 0) ||
		     (op == "lt" && v + 0 < l + 0) || (op == "eq" && v + 0 == l + 0)
		print ok ? "ok" : "MISSED" }'
}

# A pool of our own: NAME names its data dir, socket, pid file and log;
# extra VAR=VALUE arguments go into its environment.
start_named_pool() {
	local name=$1
	shift
	pool_env "$WORK/$name" "$@" "$PIPELIT_BIN" serve --socket "$WORK/$name.sock" \
		--pid-file "$WORK/$name.pid" >"$WORK/$name.log" 2>&1 &
	PIDS+=("$!")
	local deadline=$((SECONDS + 60))
	until [ -S "$WORK/$name.sock" ] && [ -f "$WORK/$name.pid" ]; do
		[ $SECONDS -lt $deadline ] || die "the pool $name did not start: $(tail -5 "$WORK/$name.log")"
		sleep 0.1
	done
	PIDS+=("$(cat "$WORK/$name.pid")")
}

stop_named_pool() {
	local pid
	pid=$(cat "$WORK/$1.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

pool_pids() {
	local master
	master=$(cat "$WORK/$1.pid")
	echo "$master" $(children_of "$master" || true)
}

# PSS of the pool NAME in kB, summed over the master and its children.
pool_pss_kb() {
	local pid pss rss total=0
	for pid in $(pool_pids "$1"); do
		read -r pss rss < <(mem_of "$pid")
		total=$((total + pss))
	done
	echo "$total"
}

# The mappings of the pool NAME's processes (/proc/PID/smaps), each
# process headed by "== PID TITLE".
pool_smaps() {
	local pid
	for pid in $(pool_pids "$1"); do
		printf '== %s %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | sed 's/^pipelit //; s/ *$//; s/ /_/g')"
		cat "/proc/$pid/smaps" 2>/dev/null || true
	done
}

# Samples the pool's PSS every 500 ms (or EVERY seconds: start_mem_sampler
# NAME [EVERY]) into $WORK/NAME.pss until killed; at
# a new maximum (at most every 2 s) it keeps the mappings behind it in
# $WORK/NAME.smaps (summed up by mem_breakdown).  It runs beside the timed
# rows, so it starts no process per sample: a sampler that ran awk per
# process and listed the pool through every /proc/PID/stat, every 200 ms,
# and dumped every process's smaps at each new maximum, took a quarter of
# the rows' throughput on two cores (SQLite sync webhook, one pool, 5 s
# runs alternated with and without it: 904-1,108 req/s against
# 1,218-1,475, 0.74-0.77x; with this one 1,095-1,471 against 1,323-1,335).
start_mem_sampler() {
	local name=$1 every=${2:-0.5}
	: >"$WORK/$name.pss"
	(max=0 dumped=0
	 master=$(cat "$WORK/$name.pid")
	 while :; do
		kids=
		{ read -r kids <"/proc/$master/task/$master/children"; } 2>/dev/null || true
		kb=0
		for pid in $master $kids; do
			mem_read "$pid"
			kb=$((kb + MEM_PSS))
		done
		echo "$kb" >>"$WORK/$name.pss"
		if [ "$kb" -gt "$max" ]; then
			max=$kb
			if [ "$SECONDS" -ge $((dumped + 2)) ]; then
				dumped=$SECONDS
				pool_smaps "$name" >"$WORK/$name.smaps.new" && mv "$WORK/$name.smaps.new" "$WORK/$name.smaps"
			fi
		fi
		sleep "$every"
	 done) &
	MEM_SAMPLER=$!
}

# mem_breakdown NAME: the PSS at the maximum, in kB, per process kind
# (master, responders, executors) and per kind of mapping: the heap (brk),
# anonymous mappings (malloc's other arenas and its large blocks, thread
# stacks), each shared library, the binary, SQLite's shared-memory index.
mem_breakdown() {
	[ -s "$WORK/$1.smaps" ] || return 0
	awk '
		/^== / { role = $3; sub(/.*serve:_?/, "", role); if (role == "" || role ~ /^serve/) role = "master"
			if (!((role, $2) in seen)) { seen[role, $2] = 1; procs[role]++ }
			next }
		/^[0-9a-f]+-[0-9a-f]+ / {
			name = NF >= 6 ? $6 : ""
			if (name == "[heap]") kind = "heap"
			else if (name == "") kind = "anonymous"
			else if (name ~ /^\[stack/) kind = "stack"
			else if (name ~ /\.so/) { kind = name; sub(/.*\//, "", kind); sub(/\.so.*/, "", kind); kind = "lib " kind }
			else if (name ~ /-shm$/) kind = "sqlite -shm"
			else if (name ~ /\/pipelit$/) kind = "binary"
			else if (name ~ /^\[/) kind = name
			else kind = "other files"
			next }
		/^Pss:/ { pss[role, kind] += $2; total[role] += $2; bykind[kind] += $2; all += $2 }
		END {
			printf "pool memory at its maximum (%.1f MB PSS), kB:\n", all / 1024
			n = 0; for (r in total) roles[++n] = r
			printf "  %-22s", "mapping"; for (i = 1; i <= n; i++) printf " %14s", roles[i] " x" procs[roles[i]]; printf " %8s\n", "total"
			for (k in bykind) if (bykind[k] >= 100) {
				printf "  %-22s", k; for (i = 1; i <= n; i++) printf " %14d", pss[roles[i], k]; printf " %8d\n", bykind[k] }
			printf "  %-22s", "(all)"; for (i = 1; i <= n; i++) printf " %14d", total[roles[i]]; printf " %8d\n", all
		}' "$WORK/$1.smaps"
}

# memory_load NAME: the load of the timed rows once more, untimed, for the
# memory sampler: triggers fired in process, 50-node chains, and each route
# through HTTP for one run.  The sampler reads every process's memory map
# every half second, which stalls the process it reads; over the timed rows
# it took about 6% of their throughput (bench/README.md, "The memory row
# sampled apart").
memory_load() {
	local name=$1 execute=$BASE/api/v1/workflows/bench-branch/execute/ url status
	say "$name: the timed rows' load again, untimed, for the memory row"
	async_by_fire "$name" >/dev/null
	chain_throughput "$name" >/dev/null
	status=$(webhook_route_status "$execute" "$API_KEY")
	if [ "$status" = 200 ] || [ "$status" = 202 ]; then
		async_by_http "$name" "$ASYNC_CONNS" "$execute" "Authorization: Bearer $API_KEY" >/dev/null
	fi
	for url in "$BASE/api/v1/webhooks/bench/async" "$BASE/api/v1/webhooks/bench/sync"; do
		status=$(webhook_route_status "$url")
		if [ "$status" = 200 ] || [ "$status" = 202 ]; then
			async_by_http "$name" "$ASYNC_CONNS" "$url" >/dev/null
		fi
	done
}

stop_mem_sampler() {
	kill "$MEM_SAMPLER" 2>/dev/null || true
	wait "$MEM_SAMPLER" 2>/dev/null || true
	MEM_SAMPLER=
	MEM_MB=$(sort -n "$WORK/$1.pss" | tail -1 | awk '{ printf "%.1f\n", $1 / 1024 }')
}

# fire NAME ARGS...: engine_fire with the environment of the pool NAME.
fire() {
	local name=$1
	shift
	pool_env "$WORK/$name" ${FIRE_ENV[@]+"${FIRE_ENV[@]}"} "$WORK/engine_fire" "$@"
}

# Database accesses per second of the idle pool NAME: every system call of
# its processes on the database (the SQLite file, its -wal and -shm; or
# the PostgreSQL connection, PATTERN), traced by strace for IDLE_SECONDS.
idle_db_rate() {
	local name=$1 pattern=$2 args=() pid
	command -v strace >/dev/null || ensure_packages strace
	for pid in $(pool_pids "$name"); do args+=(-p "$pid"); done
	# -ff: a file per process, so no call is split into "unfinished" and
	# "resumed" halves by another process's (a split recvfrom that found
	# nothing would count, its EAGAIN being on the other half).
	rm -f "$WORK/$name.strace".*
	timeout -s INT "$IDLE_SECONDS" strace -ff -yy -qq -o "$WORK/$name.strace" "${args[@]}" \
		2>"$WORK/$name.strace.err" || true
	cat "$WORK/$name.strace".[0-9]* >"$WORK/$name.strace" 2>/dev/null || true
	if [ ! -s "$WORK/$name.strace" ]; then
		IDLE_RATE=n/a IDLE_SYSCALLS="strace failed: $(head -1 "$WORK/$name.strace.err")"
		return
	fi
	# The wake-up FIFO (<database>-wake) is not the database, nor is waiting
	# on the connection or finding nothing to read on it (a LISTEN check):
	# what counts are reads and writes of the file, messages to the server.
	IDLE_RATE=$({ grep -F -- "$pattern" "$WORK/$name.strace" || true; } |
		{ grep -Ev -- '-wake|poll\(|EAGAIN' || true; } | wc -l |
		awk -v s="$IDLE_SECONDS" '{ printf "%.1f\n", $1 / s }')
	IDLE_SYSCALLS="$(wc -l <"$WORK/$name.strace") system calls of any kind in ${IDLE_SECONDS}s"
}

# percentile P FIELD FILE: the P-th percentile of "name value" pairs' FIELD.
percentile() {
	local p=$1 field=$2 file=$3
	awk -v f="$field" '{ for (i = 1; i < NF; i++) if ($i == f && $(i + 1) >= 0) print $(i + 1) }' "$file" |
		sort -n | awk -v p="$p" '{ v[NR] = $1 } END {
			if (!NR) { print "n/a"; exit }
			i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'
}

mean_of() {
	awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f && $(i + 1) >= 0) { s += $(i + 1); n++ } }
		END { if (n) printf "%.0f\n", s / n; else print "n/a" }' "$2"
}

field() { awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' "$2" | tail -1; }

# webhook_route_status URL [TOKEN]: the status of one POST of the body the
# benchmark sends.
webhook_route_status() {
	perl -MHTTP::Tiny -e '
		my %h = ("Content-Type" => "application/json");
		$h{Authorization} = "Bearer $ARGV[1]" if $ARGV[1];
		my $r = HTTP::Tiny->new(timeout => 10)->post($ARGV[0],
			{ headers => \%h, content => "{\"kind\":\"a\",\"text\":\"a\"}" });
		print $r->{status}, "\n";' "$@"
}

write_wrk_post() {
	cat >"$WORK/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"kind":"a","text":"a"}'
wrk.headers["Content-Type"] = "application/json"
EOF
}

# The async rate of the pool NAME driven by engine_fire (the trigger's own
# transaction, no HTTP): prints "rate completed failed drain_s".  With
# "alone" each firer commits its triggers itself instead of handing them to
# the pool's trigger writer (the baseline of the writer's row).
async_by_fire() {
	local name=$1 out
	out=$(fire "$name" async bench-branch trigger_webhook "$ASYNC_N" "$FIRERS" 120 ${2:+"$2"}) ||
		{ echo "n/a 0 0 0"; return; }
	echo "$out" >>"$WORK/$name.async"
	awk '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1) }
		END { printf "%.0f %d %d %.2f\n", (v["drain_s"] > 0 ? v["completed"] / v["drain_s"] : 0),
			v["completed"], v["failed"], v["drain_s"] }' <<<"$out"
}

# async_by_http NAME CONNS URL [HEADER]: the async rate through an HTTP
# trigger: wrk posts for DURATION seconds over CONNS connections, then the
# queue drains; completed executions of bench-branch over the whole time.
# Prints "rate completed".
async_by_http() {
	local name=$1 conns=$2 url=$3 header=${4:-} before after t0 t1
	before=$(fire "$name" drain bench-branch 1 | awk '{ print $4 }')
	t0=$(date +%s.%N)
	WRK_EXTRA=(-s "$WORK/post.lua")
	[ -n "$header" ] && WRK_EXTRA+=(-H "$header")
	run_wrk "async_$name" "$conns" "$url"
	WRK_EXTRA=()
	fire "$name" drain bench-branch 120 >"$WORK/$name.drain"
	t1=$(date +%s.%N)
	after=$(awk '{ print $4 }' "$WORK/$name.drain")
	awk -v a="$after" -v b="$before" -v t0="$t0" -v t1="$t1" 'BEGIN {
		printf "%.0f %d\n", (a - b) / (t1 - t0), a - b }'
}

# Idle latency rows of the pool NAME from engine_fire latency runs.
measure_latencies() {
	local name=$1
	say "$name: trigger to first node at idle, $LATENCY_K executions one after another"
	fire "$name" latency bench-branch trigger_webhook "$LATENCY_K" >"$WORK/$name.lat"
	say "$name: chains of 1 and 50 nodes at idle, $CHAIN_K executions each"
	fire "$name" latency bench-chain1 trigger_webhook "$CHAIN_K" >"$WORK/$name.c1"
	fire "$name" latency bench-chain50 trigger_webhook "$CHAIN_K" >"$WORK/$name.c50"
	FIRST_P50=$(percentile 50 first_node_us "$WORK/$name.lat")
	FIRST_MEAN=$(mean_of first_node_us "$WORK/$name.lat")
	E2E_P50=$(percentile 50 e2e_us "$WORK/$name.lat")
	E2E_P99=$(percentile 99 e2e_us "$WORK/$name.lat")
	local c1 c50
	c1=$(percentile 50 e2e_us "$WORK/$name.c1")
	c50=$(percentile 50 e2e_us "$WORK/$name.c50")
	PER_NODE_US=$(awk -v a="$c50" -v b="$c1" 'BEGIN { printf "%.0f\n", (a - b) / 49 }')
	CHAIN1_US=$c1 CHAIN50_US=$c50
	if grep -qv 'status completed' "$WORK/$name.lat" "$WORK/$name.c1" "$WORK/$name.c50"; then
		say "$name: some idle executions did not complete: $(grep -hv 'status completed' \
			"$WORK/$name.lat" "$WORK/$name.c1" "$WORK/$name.c50" | head -3)"
	fi
}

# Node jobs per second of 50-node chains run concurrently.
chain_throughput() {
	local name=$1 out
	out=$(fire "$name" async bench-chain50 trigger_webhook "$CHAIN_ASYNC_N" 1 120) || { echo n/a; return; }
	awk '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1) }
		END { printf "%.0f\n", (v["drain_s"] > 0 ? 50 * v["completed"] / v["drain_s"] : 0) }' <<<"$out"
}

# backend_up NAME VAR=VALUE...: a pool of its own ($POOL_RESPONDERS responders, 1
# executor) with those settings, its nginx, a user with an API key and the
# workflows; BASE is its URL.
backend_up() {
	local name=$1
	shift
	# Live events go to this pool's own nginx (nchan), as in a deployment;
	# a synchronous webhook's caller waits there for the result.
	set -- EVENTS_PUBLISH_URL="unix:$WORK/front_$name/publish/events.sock" "$@"
	say "$name: starting a pool ($POOL_RESPONDERS responders, 1 executor)"
	start_named_pool "$name" "$@"
	start_nginx "front_$name" "$WORK/$name.sock"
	BASE="http://127.0.0.1:$NGINX_PORT"
	wait_for_http "$BASE/health" 30 || die "$name: /health does not answer 200"
	# api_client.sh's make_api_key works on the pool in $WORK/pool.
	rm -rf "$WORK/pool"
	ln -s "$WORK/$name" "$WORK/pool"
	# engine_fire starts executions as this pool's triggers do, with its
	# table of watched channels; PIPELIT_BENCH_FIRE_JOB=1 (an A/B run
	# against a pool from before inline runs) makes it write trigger jobs.
	FIRE_ENV=("$@" PIPELIT_PID_FILE="$WORK/$name.pid")
	[ -z "${PIPELIT_BENCH_FIRE_JOB:-}" ] || FIRE_ENV+=(PIPELIT_BENCH_FIRE_JOB="$PIPELIT_BENCH_FIRE_JOB")
	POOL_EXTRA_ENV=("$@")
	make_api_key "$BASE"
	perl "$ROOT/bench/engine_workflows.pl" "$BASE" "$API_KEY" || die "$name: making the workflows failed"
}

# backend_idle NAME LABEL PATTERN: the idle pool's database accesses.
backend_idle() {
	local name=$1 label=$2 pattern=$3
	sleep 1
	say "$name: tracing the idle pool's database accesses for $IDLE_SECONDS s"
	idle_db_rate "$name" "$pattern"
	row "$label: database accesses/s at idle" "$IDLE_RATE /s ($IDLE_SYSCALLS)" "0" "$(verdict "$IDLE_RATE" eq 0)"
}

# backend_latency NAME LABEL COMMIT_US: idle latencies and the per-node
# overhead; COMMIT_US, one raw commit's time on this disk, for scale.
backend_latency() {
	local name=$1 label=$2 commit_us=${3:-}
	local scale=""
	measure_latencies "$name"
	[ -n "$commit_us" ] && scale=" = $(awk -v a="$FIRST_P50" -v c="$commit_us" 'BEGIN { printf "%.1f", a / c }') raw commits"
	row "$label: trigger to first node, idle" "p50 $(us_ms "$FIRST_P50") ms$scale (mean $(us_ms "$FIRST_MEAN"))" "<= 2 ms p50" \
		"$(verdict "$FIRST_P50" le 2000)"
	row "$label: trigger to finished row, idle" "p50 $(us_ms "$E2E_P50") ms, p99 $(us_ms "$E2E_P99") ms" "-" "info"
	[ -n "$commit_us" ] && scale=" = $(awk -v a="$PER_NODE_US" -v c="$commit_us" 'BEGIN { printf "%.1f", a / c }') raw commits"
	row "$label: per-node overhead, idle" "$PER_NODE_US us$scale (chain50 $(us_ms "$CHAIN50_US") ms, chain1 $(us_ms "$CHAIN1_US") ms)" \
		"<= 200 us" "$(verdict "$PER_NODE_US" le 200)"
}

# raw_now: one-row commits/s at synchronous=FULL through the group commit
# on the disk the pool's database is on, measured now (RAW_SECONDS).
raw_now() {
	local dir=$WORK/raw.now
	rm -rf "$dir"
	mkdir -p "$dir"
	"$WORK/sqlite_sync" "$dir" "$RAW_SECONDS" 1 group | awk '$1 == "FULL" && $2 == "(group" { print $4 }'
	rm -rf "$dir"
}

# A row judged against the raw commit rate takes that rate from just
# before and just after its own measurement (their mean): this machine's
# speed moves by a third within minutes, so the rate measured at the
# run's start can be another machine's by the time a row is measured.
# raw_bracket_begin measures the "before" (RAW_BEFORE); raw_bracket_end
# the "after", and sets RAW_BASE, the mean, and RAW_SPAN, both shown.
raw_bracket_begin() { RAW_BEFORE=$(raw_now); }
raw_bracket_end() { raw_bracket_set "$RAW_BEFORE" "$(raw_now)"; }
# raw_bracket_set BEFORE AFTER [WHEN]: the bracket of rates measured
# already; WHEN names the run they surround in RAW_SPAN ("" : the row's).
raw_bracket_set() {
	RAW_BEFORE=$1
	RAW_BASE=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (a + b) / 2 }')
	RAW_SPAN="raw $1 /s before${3:+ $3}, $2 after"
}

# raw_ratio RATE RAW: RATE / RAW, two decimals; RAW "bracket" is RAW_BASE.
raw_ratio() {
	local raw=$2
	[ "$raw" != bracket ] || raw=$RAW_BASE
	awk -v a="$1" -v r="$raw" 'BEGIN { printf "%.2f\n", (r > 0 ? a / r : 0) }'
}

# raw_note RAW: what a bracketed ratio was taken against, for its row.
raw_note() {
	if [ "$1" = bracket ]; then
		echo " ($RAW_SPAN)"
	fi
}

# backend_async NAME LABEL RAW_RATE TARGET_TEXT OP LIMIT: the asynchronous
# rows; RAW_RATE (may be empty; "bracket": measured around the row) turns
# the rate into a ratio, which is then what OP LIMIT judge.
backend_async() {
	local name=$1 label=$2 raw=$3 target=$4 op=$5 limit=$6 rate completed failed drain judged shown
	[ "$raw" = bracket ] && raw_bracket_begin
	say "$name: asynchronous, $ASYNC_N executions started by $FIRERS trigger processes"
	read -r rate completed failed drain < <(async_by_fire "$name")
	[ "$raw" = bracket ] && raw_bracket_end
	LAST_ASYNC_RATE=$rate
	judged=$rate shown="$rate /s"
	if [ -n "$raw" ]; then
		judged=$(raw_ratio "$rate" "$raw")
		shown="$rate /s = ${judged}x raw$(raw_note "$raw")"
	fi
	local v=info
	[ "$op" != info ] && v=$(verdict "$judged" "$op" "$limit")
	row "$label: async executions/s (trigger transactions)" "$shown ($completed completed, $failed failed, ${drain}s)" \
		"$target" "$v"
	say "$name: the same, each trigger committed alone (no trigger writer)"
	local alone
	read -r alone completed failed drain < <(async_by_fire "$name" alone)
	row "$label: async executions/s, each trigger committing alone" \
		"$alone /s; the writer: $(awk -v a="$rate" -v b="$alone" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') that" \
		"-" "info"
	say "$name: asynchronous, 50-node chains ($CHAIN_ASYNC_N at once)"
	row "$label: node jobs/s, 50-node chains async" "$(chain_throughput "$name") /s" "-" "info"
}

# CPU clock ticks (utime + stime) summed over PIDS.
cpu_ticks() {
	local pid total=0 f
	for pid in "$@"; do
		f=$(cut -d')' -f2- "/proc/$pid/stat" 2>/dev/null) || continue
		total=$((total + $(awk '{ print $12 + $13 }' <<<"$f")))
	done
	echo "$total"
}

# The executor processes of the pool NAME, and its nginx's processes.
executor_pids() {
	local pid
	for pid in $(children_of "$(cat "$WORK/$1.pid")"); do
		if grep -q executor "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"; fi
	done
	return 0
}
nginx_pids() {
	local master
	master=$(cat "$WORK/front_$1/nginx.pid")
	echo "$master" $(children_of "$master" || true)
}

# One live subscriber on the workflow channel of bench-branch, renewed
# whenever its ticket ends the subscription; sets SUBSCRIBER.
start_subscriber() {
	(
		while :; do
			url=$(curl -s -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
				-d '{"channel":"workflow:bench-branch"}' "$BASE/api/v1/events/ticket/" |
				sed -n 's/.*"url": *"\([^"]*\)".*/\1/p')
			[ -n "$url" ] || { sleep 1; continue; }
			curl -sN -H 'Accept: text/event-stream' "$BASE$url" >>"$WORK/subscriber.out" 2>/dev/null
		done
	) &
	SUBSCRIBER=$!
	PIDS+=("$SUBSCRIBER")
	sleep 1
}
stop_subscriber() {
	local child children
	children=$(children_of "$SUBSCRIBER" || true)
	kill "$SUBSCRIBER" 2>/dev/null || true
	for child in $children; do kill "$child" 2>/dev/null || true; done
	wait "$SUBSCRIBER" 2>/dev/null || true
}

# backend_async_events NAME LABEL: async executions/s with nobody watching
# and with one subscriber on the workflow channel, and the CPU the
# executor and nginx spent per execution in each (the events' cost).
backend_async_events() {
	local name=$1 label=$2 who rate completed failed drain e0 n0 e1 n1 hz
	hz=$(getconf CLK_TCK)
	for who in nobody subscriber; do
		if [ "$who" = subscriber ]; then start_subscriber; fi
		say "$name: asynchronous with $who watching the workflow channel"
		e0=$(cpu_ticks $(executor_pids "$name"))
		n0=$(cpu_ticks $(nginx_pids "$name"))
		read -r rate completed failed drain < <(async_by_fire "$name")
		e1=$(cpu_ticks $(executor_pids "$name"))
		n1=$(cpu_ticks $(nginx_pids "$name"))
		if [ "$who" = subscriber ]; then stop_subscriber; fi
		row "$label: async executions/s, $who watching (live events)" \
			"$rate /s ($completed completed); CPU per execution: executor $(awk -v d=$((e1 - e0)) -v n="$completed" -v hz="$hz" \
				'BEGIN { printf "%.0f", (n > 0 ? d * 1e6 / hz / n : 0) }') us, nginx $(awk -v d=$((n1 - n0)) \
				-v n="$completed" -v hz="$hz" 'BEGIN { printf "%.0f", (n > 0 ? d * 1e6 / hz / n : 0) }') us" "-" "info"
	done
}

# http_async_row NAME LABEL WHAT RAW TARGET OP LIMIT URL [HEADER]: one
# asynchronous row through an HTTP trigger (ASYNC_CONNS connections), and
# the same with LOW_CONNS as an info row.  The judged row is the median of
# HTTP_TRIALS runs: on this shared machine one run of a few seconds may
# meet a stretch where every process runs a third slower (bench/README.md,
# "Three runs a row"), and a row is a claim about the pool, not about that
# stretch.  With RAW "bracket" each run is divided by the raw rate measured
# just before and just after it (the runs share the measurements between
# them), and the median is taken of those ratios.
http_async_row() {
	local name=$1 label=$2 what=$3 raw=$4 target=$5 op=$6 limit=$7 url=$8 header=${9:-}
	local rate ndone judged shown i raws=() rates=() ratios=() dones=() runs= median
	[ "$raw" = bracket ] && raws+=("$(raw_now)")
	for ((i = 0; i < HTTP_TRIALS; i++)); do
		say "$name: asynchronous through $what, wrk -c$ASYNC_CONNS ${DURATION}s (run $((i + 1)) of $HTTP_TRIALS)"
		read -r rate ndone < <(async_by_http "$name" "$ASYNC_CONNS" "$url" "$header")
		rates+=("$rate") dones+=("$ndone")
		if [ "$raw" = bracket ]; then
			raws+=("$(raw_now)")
			raw_bracket_set "${raws[i]}" "${raws[i + 1]}"
			ratios+=("$(raw_ratio "$rate" bracket)")
			runs+="${runs:+, }$rate /s = ${ratios[i]}x (raw ${raws[i]} / ${raws[i + 1]})"
		elif [ -n "$raw" ]; then
			ratios+=("$(raw_ratio "$rate" "$raw")")
			runs+="${runs:+, }$rate /s = ${ratios[i]}x"
		else
			ratios+=("$rate")
			runs+="${runs:+, }$rate /s"
		fi
	done
	# The run whose judged figure is the median (odd HTTP_TRIALS).
	median=$(for i in "${!ratios[@]}"; do echo "${ratios[i]} $i"; done | sort -g | \
		awk -v n="$HTTP_TRIALS" 'NR == int((n + 1) / 2) { print $2 }')
	judged=${ratios[median]}
	shown="${rates[median]} /s"
	[ -n "$raw" ] && shown+=" = ${judged}x raw"
	row "$label: async executions/s ($what, wrk -c$ASYNC_CONNS, median of $HTTP_TRIALS runs)" \
		"$shown (runs: $runs; ${dones[median]} completed, non-2xx $(wrk_field "async_$name" 6) in the last)" \
		"$target" "$(verdict "$judged" "$op" "$limit")"
	# The info row: one run, against the last run's raw rates.
	[ "$raw" = bracket ] &&
		raw_bracket_set "${raws[HTTP_TRIALS - 1]}" "${raws[HTTP_TRIALS]}" "the last run"
	say "$name: asynchronous through $what, wrk -c$LOW_CONNS ${DURATION}s"
	read -r rate ndone < <(async_by_http "$name" "$LOW_CONNS" "$url" "$header")
	shown="$rate /s"
	[ -n "$raw" ] && shown="$rate /s = $(raw_ratio "$rate" "$raw")x raw$(raw_note "$raw")"
	row "$label: async executions/s ($what, wrk -c$LOW_CONNS: fewer callers)" \
		"$shown ($ndone completed, non-2xx $(wrk_field "async_$name" 6))" "-" "info"
}

# backend_webhooks NAME LABEL RAW_RATE TARGET OP LIMIT: the rows through
# HTTP: the execute endpoint, and the webhook route when the pool has it.
backend_webhooks() {
	local name=$1 label=$2 raw=$3 target=$4 op=$5 limit=$6 status
	status=$(webhook_route_status "$BASE/api/v1/workflows/bench-branch/execute/" "$API_KEY")
	if [ "$status" = 200 ] || [ "$status" = 202 ]; then
		http_async_row "$name" "$label" "execute endpoint" "$raw" "$target" "$op" "$limit" \
			"$BASE/api/v1/workflows/bench-branch/execute/" "Authorization: Bearer $API_KEY"
	else
		row "$label: async executions/s (execute endpoint)" \
			"n/a: POST /api/v1/workflows/bench-branch/execute/ answered $status" "$target" "n/a"
	fi
	status=$(webhook_route_status "$BASE/api/v1/webhooks/bench/async")
	if [ "$status" = 202 ]; then
		http_async_row "$name" "$label" "webhook" "$raw" "$target" "$op" "$limit" \
			"$BASE/api/v1/webhooks/bench/async"
	else
		row "$label: async executions/s (webhook, wrk)" \
			"n/a: POST /api/v1/webhooks/bench/async answered $status" "$target" "n/a"
	fi
	status=$(webhook_route_status "$BASE/api/v1/webhooks/bench/sync")
	if [ "$status" = 200 ]; then
		say "$name: synchronous webhook, wrk -c$SYNC_CONNS ${DURATION}s"
		WRK_EXTRA=(-s "$WORK/post.lua")
		run_wrk "sync_$name" "$SYNC_CONNS" "$BASE/api/v1/webhooks/bench/sync"
		WRK_EXTRA=()
		row "$label: sync webhook (wrk -c$SYNC_CONNS)" "$(wrk_field "sync_$name" 3) req/s, p50 $(wrk_field "sync_$name" 4) ms, p99 $(wrk_field "sync_$name" 5) ms, non-2xx $(wrk_field "sync_$name" 6)" \
			">= 50x n8n" "see below"
	else
		row "$label: sync webhook (wrk)" "n/a: POST /api/v1/webhooks/bench/sync answered $status" ">= 50x n8n" "n/a"
	fi
}

us_ms() { awk -v u="$1" 'BEGIN { if (u == "n/a" || u == "") print "n/a"; else printf "%.2f\n", u / 1000 }'; }

wrk_field() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$WORK/results" | tail -1; }

print_engine_table() {
	printf '\nbench/engine.sh%s on %s (%s cores), %s\n' "$([ "$QUICK" = 1 ] && echo ' --quick')" \
		"$(uname -n)" "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'workflow: webhook -> switch -> a | b -> reply; pool: %s responders, 1 executor\n\n' "$POOL_RESPONDERS"
	awk -F'\t' '
		{ l[NR] = $1; v[NR] = $2; t[NR] = $3; s[NR] = $4; if (length($1) > w1) w1 = length($1)
		  if (length($2) > w2) w2 = length($2) }
		END {
			printf "  %-*s  %-*s  %-14s %s\n", w1, "row", w2, "measured", "target", "verdict"
			for (i = 1; i <= NR; i++) printf "  %-*s  %-*s  %-14s %s\n", w1, l[i], w2, v[i], t[i], s[i]
		}' "$TABLE"
}

# The working directory, the helpers, wrk's POST and a field key: what a
# run needs before its first pool (bench/engine_cost.sh runs it too).
engine_prepare() {
	prepare
	TABLE=$WORK/table
	: >"$TABLE"
	: >"$WORK/results"
	build_helpers
	write_wrk_post
	KEY=$("$PIPELIT_BIN" keygen)
}

engine_main() {
	engine_prepare
	command -v sqlite3 >/dev/null || ensure_packages sqlite3

	say "raw one-row commits at synchronous=FULL on $(df -T "$WORK" | awk 'NR == 2 { print $2 }') ($WORK), ${RAW_SECONDS}s"
	mkdir -p "$WORK/raw"
	"$WORK/sqlite_sync" "$WORK/raw" "$RAW_SECONDS" 1 >"$WORK/raw.out" || die "sqlite_sync failed"
	# FULL as Pipelit commits (the group commit); SQLite's own FULL beside it.
	RAW_RATE=$(awk '$1 == "FULL" && $2 == "(group" { print $4 }' "$WORK/raw.out")
	RAW_OWN_FULL=$(awk '$1 == "FULL" && $2 == "(SQLite'"'"'s" { print $4 }' "$WORK/raw.out")
	RAW_NORMAL=$(awk '$1 == "NORMAL" { print $2 }' "$WORK/raw.out")
	rm -rf "$WORK/raw"
	row "raw one-row commits, SQLite FULL (1 writer)" "$RAW_RATE /s" "(the limit)" "baseline"
	row "raw one-row commits, SQLite's own FULL (1 writer)" "$RAW_OWN_FULL /s" "-" "baseline"
	row "raw one-row commits, SQLite NORMAL (1 writer)" "$RAW_NORMAL /s" "-" "baseline"

	local commit_us
	commit_us=$(awk -v r="$RAW_RATE" 'BEGIN { if (r > 0) printf "%.0f\n", 1e6 / r }')

	# SQLite at synchronous=FULL (the default, set explicitly here).
	backend_up sqlite PIPELIT_SQLITE_SYNCHRONOUS=FULL
	backend_idle sqlite SQLite db.sqlite3
	backend_latency sqlite SQLite "$commit_us"
	backend_async sqlite SQLite bracket ">= 0.6x raw" ge 0.6
	backend_webhooks sqlite SQLite bracket ">= 0.6x raw" ge 0.6
	start_mem_sampler sqlite
	memory_load sqlite
	stop_mem_sampler sqlite
	backend_async_events sqlite SQLite
	mem_breakdown sqlite >"$WORK/sqlite.breakdown"
	row "SQLite: pool memory during the run (max)" "$MEM_MB MB PSS" "< 40 MB" "$(verdict "$MEM_MB" lt 40)"
	SQ_SYNC_RPS=$(wrk_field sync_sqlite 3)
	stop_named_pool sqlite

	# The same at synchronous=NORMAL: what the engine costs without an
	# fsync per commit (a power cut may lose the last commits).
	backend_up sqlite_normal PIPELIT_SQLITE_SYNCHRONOUS=NORMAL
	backend_latency sqlite_normal "SQLite NORMAL" "$(awk -v r="$RAW_NORMAL" 'BEGIN { if (r > 0) printf "%.0f\n", 1e6 / r }')"
	backend_async sqlite_normal "SQLite NORMAL" "$RAW_NORMAL" "-" info 0
	stop_named_pool sqlite_normal

	if [ "$WITH_PG" = 1 ]; then
		say "starting a throwaway PostgreSQL cluster"
		start_pg
		backend_up postgres DATABASE_URL="$PG_URL"
		backend_idle postgres PostgreSQL "127.0.0.1:$PG_PORT"
		say "postgres: raw one-row commits, ${RAW_SECONDS}s"
		local pg_raw pg_commit_us
		pg_raw=$(fire postgres raw "$RAW_SECONDS" | awk '{ printf "%.0f\n", ($4 > 0 ? $2 / $4 : 0) }')
		row "raw one-row commits, PostgreSQL (1 client)" "$pg_raw /s" "-" "baseline"
		pg_commit_us=$(awk -v r="$pg_raw" 'BEGIN { if (r > 0) printf "%.0f\n", 1e6 / r }')
		backend_latency postgres PostgreSQL "$pg_commit_us"
		backend_async postgres PostgreSQL "" ">= 2000 /s" ge 2000
		row "PostgreSQL: async executions/s / raw commits" \
			"$(awk -v a="$LAST_ASYNC_RATE" -v r="$pg_raw" 'BEGIN { printf "%.2fx", (r > 0 ? a / r : 0) }')" "-" "info"
		backend_webhooks postgres PostgreSQL "" ">= 2000 /s" ge 2000
		start_mem_sampler postgres
		memory_load postgres
		stop_mem_sampler postgres
		mem_breakdown postgres >"$WORK/postgres.breakdown"
		row "PostgreSQL: pool memory during the run (max)" "$MEM_MB MB PSS" "< 40 MB" "$(verdict "$MEM_MB" lt 40)"
		backend_async_events postgres PostgreSQL
		stop_named_pool postgres
		stop_pg
	fi

	if [ "$WITH_N8N" = 1 ]; then
		n8n_bench
	else
		N8N_NOTE="skipped (--no-n8n)"
	fi
	if [ -n "${N8N_RPS:-}" ]; then
		row "n8n 2.8.4: sync webhook (wrk -c$SYNC_CONNS)" "$N8N_RPS req/s, p50 $N8N_P50 ms, p99 $N8N_P99 ms, non-2xx $N8N_BAD" "(the peer)" "baseline"
		row "n8n 2.8.4: memory during the run" "$N8N_MEM_MB MB PSS, $N8N_RSS_MB MB RSS" "-" "info"
		if [ -n "$SQ_SYNC_RPS" ]; then
			local x
			x=$(awk -v a="$SQ_SYNC_RPS" -v b="$N8N_RPS" 'BEGIN { printf "%.1f\n", (b > 0 ? a / b : 0) }')
			row "sync: Pipelit (SQLite) / n8n" "${x}x" ">= 50x" "$(verdict "$x" ge 50)"
		else
			row "sync: Pipelit / n8n" "n/a: Pipelit has no synchronous webhook route on this build" ">= 50x" "n/a"
		fi
	else
		row "n8n 2.8.4" "not measured: $N8N_NOTE" "-" "n/a"
	fi
	print_engine_table
	local backend
	for backend in sqlite postgres; do
		if [ -s "$WORK/$backend.breakdown" ]; then
			printf '\n%s ' "$backend"
			cat "$WORK/$backend.breakdown"
		fi
	done
	printf '\nraw commits (bench/sqlite_sync.c, 1 writer, %ss each):\n' "$RAW_SECONDS"
	sed 's/^/  /' "$WORK/raw.out"
	grep -hE '\[(ERROR|WARNING)\]' "$WORK"/sqlite.log "$WORK"/sqlite_normal.log "$WORK"/postgres.log 2>/dev/null | sort | uniq -c |
		sort -rn | head -5 | sed 's/^/pool log: /' || true
}

# Sourced (for experiments), it only defines.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	engine_main
fi
