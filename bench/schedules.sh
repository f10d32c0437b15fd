#!/usr/bin/env bash
# bench/schedules.sh: what schedules cost, in one run, each figure beside
# its target and a baseline measured in the same run:
#   - idle: the pool's CPU time and memory (PSS summed over its processes)
#     over IDLE seconds with 10,000 active schedules due once a day (none due
#     during the measurement), against the same pool with no schedule;
#   - burst: 1,000 one-shot schedules all due in the same second: the lag
#     from the due time to the execution's creation (the dispatch) and to
#     its first node's log row, p50 and p99, on SQLite and PostgreSQL;
#     baseline: the same 1,000 executions started at once by `pipelit run
#     --count 1000`, from their creation to their first node.
# Never fails because a target is missed.  See bench/README.md.
#
#   bench/schedules.sh [--quick] [--no-pg]
#   PIPELIT_BIN=/path/to/pipelit bench/schedules.sh     (skip the build)
set -euo pipefail

QUICK=0
WITH_PG=1
RUN_ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; RUN_ARGS+=(--quick); shift ;;
	--no-pg) WITH_PG=0; shift ;;
	-h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "schedules.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

. "$(dirname "${BASH_SOURCE[0]}")/run.sh" ${RUN_ARGS[@]+"${RUN_ARGS[@]}"}
. "$(dirname "${BASH_SOURCE[0]}")/pg_cluster.sh"

IDLE_N=10000
BURST_N=1000
IDLE=10
[ "$QUICK" = 1 ] && IDLE=5
TABLE=

sched_cleanup() {
	stop_pg
	if [ "${PIPELIT_BENCH_KEEP:-0}" = 1 ] && [ -n "$WORK" ]; then
		echo "schedules.sh: kept $WORK" >&2
		WORK=
	fi
	cleanup || true
}
trap sched_cleanup EXIT

row() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"; }

verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "" || v == "n/a") { print "n/a"; exit }
		ok = (op == "le" && v + 0 <= l + 0) || (op == "lt" && v + 0 < l + 0)
		print ok ? "ok" : "MISSED" }'
}

# The pool NAME on DATABASE_URL (empty: SQLite in its data dir).
start_named_pool() {
	local name=$1 url=$2
	mkdir -p "$WORK/$name"
	pool_env "$WORK/$name" PIPELIT_RESPONDERS=2 PIPELIT_EXECUTORS=2 \
		${url:+DATABASE_URL="$url"} "$PIPELIT_BIN" serve --socket "$WORK/$name.sock" \
		--pid-file "$WORK/$name.pid" >>"$WORK/$name.log" 2>&1 &
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
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$WORK/$1.pid" "$WORK/$1.sock"
}

pool_pids() {
	local master
	master=$(cat "$WORK/$1.pid")
	echo "$master" $(children_of "$master")
}

# Clock ticks (utime + stime) used so far by the pool NAME's processes.
pool_ticks() {
	local pid total=0 t
	for pid in $(pool_pids "$1"); do
		t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
		total=$((total + t))
	done
	echo "$total"
}

pool_pss_kb() {
	local pid pss rss total=0
	for pid in $(pool_pids "$1"); do
		read -r pss rss < <(mem_of "$pid")
		total=$((total + pss))
	done
	echo "$total"
}

# sql NAME URL STATEMENTS: runs SQL on the pool's database.
sql() {
	local name=$1 url=$2
	shift 2
	if [ -z "$url" ]; then
		sqlite3 -batch -bail -cmd '.timeout 10000' "$WORK/$name/db.sqlite3" "$@"
	else
		PGTZ=UTC psql -q -t -A -v ON_ERROR_STOP=1 "$url" -c "$@"
	fi
}

# A user, a workflow "tick" (trigger_schedule -> reply_chat, and a
# trigger_manual for the baseline's `pipelit run`): SQL as the
# API would write it is not ours to repeat, so the API makes it (through
# the FastCGI socket, with nginx).
make_workflow() {
	local name=$1 base
	pool_env "$WORK/$name" ${2:+DATABASE_URL="$2"} "$PIPELIT_BIN" user create --username bench \
		--password bench-password-1 --role normal >"$WORK/$name.user" 2>&1 ||
		die "user create: $(cat "$WORK/$name.user")"
	start_nginx "$name-nginx" "$WORK/$name.sock"
	base="http://127.0.0.1:$NGINX_PORT/api/v1"
	perl -MHTTP::Tiny -MJSON::PP -e '
		my ($base) = @ARGV;
		my $h = HTTP::Tiny->new;
		my $req = sub {
			my ($m, $p, $b, $tok) = @_;
			my %hd = ("Content-Type" => "application/json");
			$hd{Authorization} = "Bearer $tok" if $tok;
			my $r = $h->request($m, "$base/$p", { headers => \%hd, content => encode_json($b) });
			die "$m $p: $r->{status} $r->{content}\n" unless $r->{status} =~ /^20/;
			return decode_json($r->{content});
		};
		my $tok = $req->(POST => "auth/token/", { username => "bench", password => "bench-password-1" })->{key};
		$req->(POST => "workflows/", { name => "tick", slug => "tick" }, $tok);
		$req->(POST => "workflows/tick/nodes/", { node_id => "t", component_type => "trigger_schedule" }, $tok);
		$req->(POST => "workflows/tick/nodes/", { node_id => "r", component_type => "reply_chat",
			config => { extra_config => { message => "ran" } } }, $tok);
		$req->(POST => "workflows/tick/edges/", { source_node_id => "t", target_node_id => "r" }, $tok);
		$req->(POST => "workflows/tick/nodes/", { node_id => "m", component_type => "trigger_manual" }, $tok);
		$req->(POST => "workflows/tick/edges/", { source_node_id => "m", target_node_id => "r" }, $tok);
	' "$base" || die "making the workflow failed"
}

# insert_schedules NAME URL N FIRST_DUE_MS SPREAD_MS INTERVAL_S REPEATS PREFIX:
# N active schedules of the workflow, due from FIRST_DUE_MS spread over SPREAD_MS.
insert_schedules() {
	local name=$1 url=$2 n=$3 first=$4 spread=$5 interval=$6 repeats=$7 prefix=$8 series
	if [ -z "$url" ]; then
		series="WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $n) SELECT"
	else
		series="SELECT"
	fi
	local from="FROM s"
	[ -n "$url" ] && from="FROM generate_series(0, $n - 1) AS s(i)"
	sql "$name" "$url" "INSERT INTO scheduled_jobs (id, name, workflow_id, trigger_node_id, user_profile_id,
		interval_seconds, total_repeats, status, next_run_ms)
		$series '$prefix' || i, 'bench', (SELECT id FROM workflows WHERE slug = 'tick'), 't',
		(SELECT owner_id FROM workflows WHERE slug = 'tick'), $interval, $repeats, 'active',
		$first + (i * $spread) / $n $from"
}

# Pool CPU (ms) and PSS (MB) over IDLE seconds: sets CPU_MS, PSS_MB.
measure_idle() {
	local name=$1 t0 t1 hz
	hz=$(getconf CLK_TCK)
	sleep 2
	t0=$(pool_ticks "$name")
	sleep "$IDLE"
	t1=$(pool_ticks "$name")
	CPU_MS=$(( (t1 - t0) * 1000 / hz ))
	PSS_MB=$(awk -v k="$(pool_pss_kb "$name")" 'BEGIN { printf "%.1f", k / 1024 }')
}

idle_run() {
	local name=idle
	start_named_pool "$name" ""
	make_workflow "$name" ""
	stop_named_pool "$name"
	start_named_pool "$name" ""
	measure_idle "$name"
	local base_cpu=$CPU_MS base_pss=$PSS_MB
	stop_named_pool "$name"
	local now
	now=$(( $(date +%s) * 1000 ))
	insert_schedules "$name" "" "$IDLE_N" $((now + 3600000)) 82800000 86400 0 idle-
	start_named_pool "$name" ""
	measure_idle "$name"
	stop_named_pool "$name"
	local added
	added=$(awk -v a="$PSS_MB" -v b="$base_pss" 'BEGIN { printf "%.1f", a - b }')
	row "idle, no schedule (baseline): pool CPU over ${IDLE}s" "$base_cpu ms" "-" "info"
	local tick_ms=$(( 1000 / $(getconf CLK_TCK) )) cpu_added=$((CPU_MS - base_cpu))
	row "idle, 10,000 daily schedules: pool CPU over ${IDLE}s" "$CPU_MS ms (+$cpu_added ms)" "no measurable CPU added (<= 1 tick, $tick_ms ms)" "$(verdict "$cpu_added" le "$tick_ms")"
	row "idle, no schedule (baseline): pool memory" "$base_pss MB PSS" "-" "info"
	row "idle, 10,000 daily schedules: pool memory" "$PSS_MB MB PSS (+$added MB)" "< 5 MB added" "$(verdict "$added" lt 5)"
}

# wait_all NAME URL N: until N executions exist and each has run a node.
wait_all() {
	local name=$1 url=$2 n=$3 deadline=$((SECONDS + 120)) left started
	while [ $SECONDS -lt $deadline ]; do
		started=$(sql "$name" "$url" "SELECT count(*) FROM workflow_executions")
		left=$(sql "$name" "$url" "SELECT count(*) FROM workflow_executions e WHERE NOT EXISTS
			(SELECT 1 FROM execution_logs l WHERE l.execution_id = e.execution_id)")
		[ "$started" -ge "$n" ] && [ "$left" = 0 ] && return 0
		sleep 0.5
	done
	echo "schedules.sh: $name: not every execution ran within 120 s" >&2
}

# percentiles FILE: "n p50(col2-col1) p99(col2-col1) p50(col3-col1) p99(col3-col1)" of
# rows "base_ms|time|time" (times in the storage format, UTC).
percentiles() {
	perl -MTime::Local -e '
		sub ms { my ($t) = @_; return undef unless $t && $t =~ /^(\d+)-(\d+)-(\d+)[ T](\d+):(\d+):(\d+)(?:\.(\d+))?/;
			my $f = substr(($7 // "0") . "000000", 0, 6);
			return timegm($6, $5, $4, $3, $2 - 1, $1) * 1000 + $f / 1000 }
		my (@d, @f);
		while (<>) {
			chomp;
			my ($base, $s, $l) = split /\|/;
			$base = ms($base) unless $base =~ /^\d+$/;
			push @d, ms($s) - $base;
			push @f, ms($l) - $base if $l;
		}
		sub pct { my ($p, @v) = @_; @v = sort { $a <=> $b } @v; return "n/a" unless @v;
			my $i = int($p / 100 * @v + 0.999999) - 1; $i = 0 if $i < 0; return sprintf "%.0f", $v[$i] }
		print join(" ", scalar @d, pct(50, @d), pct(99, @d), pct(50, @f), pct(99, @f)), "\n";
	' "$1"
}

# burst_run LABEL URL: 1,000 schedules due in the same second; then, as the
# baseline, the same 1,000 executions started directly (pipelit run).
burst_run() {
	local label=$1 url=$2 name=burst-$1 now due
	start_named_pool "$name" "$url"
	make_workflow "$name" "$url"
	stop_named_pool "$name"
	now=$(( $(date +%s) * 1000 ))
	due=$(( (now / 1000 + 6) * 1000 ))
	insert_schedules "$name" "$url" "$BURST_N" "$due" 999 86400 1 "burst-"
	start_named_pool "$name" "$url"
	wait_all "$name" "$url" "$BURST_N"
	sql "$name" "$url" "SELECT r.due_ms, e.started_at, (SELECT min(l.timestamp) FROM execution_logs l
		WHERE l.execution_id = e.execution_id) FROM schedule_runs r
		JOIN workflow_executions e ON e.execution_id = r.execution_id" >"$WORK/$name.lag"
	read -r n d50 d99 f50 f99 < <(percentiles "$WORK/$name.lag")
	# Baseline: the same 1,000 executions started directly: from their
	# creation to their first node.
	pool_env "$WORK/$name" ${url:+DATABASE_URL="$url"} "$PIPELIT_BIN" run tick --count "$BURST_N" \
		>"$WORK/$name.run" 2>&1 || true
	wait_all "$name" "$url" $((2 * BURST_N))
	sql "$name" "$url" "SELECT e.started_at, e.started_at, (SELECT min(l.timestamp) FROM execution_logs l
		WHERE l.execution_id = e.execution_id) FROM workflow_executions e WHERE NOT EXISTS
		(SELECT 1 FROM schedule_runs r WHERE r.execution_id = e.execution_id)" >"$WORK/$name.direct"
	read -r _ _ _ b50 b99 < <(percentiles "$WORK/$name.direct")
	stop_named_pool "$name"
	local ratio
	ratio=$(awk -v a="$f99" -v b="$b99" 'BEGIN { if (b > 0 && a != "n/a") printf "%.2f", a / b; else print "n/a" }')
	row "$label: $n of $BURST_N due in one second, due -> execution created p50 / p99" "$d50 / $d99 ms" "p99 < 1000 ms" "$(verdict "$d99" lt 1000)"
	row "$label: due -> first node ran p50 / p99" "$f50 / $f99 ms" "-" "info"
	row "$label: baseline, $BURST_N started by pipelit run: created -> first node p50 / p99" "$b50 / $b99 ms (ratio p99: $ratio)" "-" "info"
}

main() {
	prepare
	KEY=$("$PIPELIT_BIN" keygen)
	TABLE=$WORK/table
	: >"$TABLE"
	echo "schedules.sh: idle pool with $IDLE_N daily schedules (${IDLE}s each)..." >&2
	idle_run
	echo "schedules.sh: $BURST_N schedules due in one second, SQLite..." >&2
	burst_run SQLite ""
	if [ "$WITH_PG" = 1 ]; then
		echo "schedules.sh: the same on PostgreSQL..." >&2
		start_pg
		burst_run PostgreSQL "$PG_URL"
	fi
	printf '\n%-78s %-34s %-28s %s\n' measure value target verdict
	while IFS=$'\t' read -r a b c d; do
		printf '%-78s %-34s %-28s %s\n' "$a" "$b" "$c" "$d"
	done <"$TABLE"
}

main
