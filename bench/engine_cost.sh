#!/usr/bin/env bash
# bench/engine_cost.sh: what one HTTP trigger costs each process, under
# load: a pool like bench/engine.sh's (8 responders, 1 executor, its own
# nginx) on SQLite at synchronous=FULL or on a throwaway PostgreSQL
# cluster, driven by wrk; then, per request,
#   - the CPU time of the pool's processes by kind, nginx's and
#     PostgreSQL's (/proc/PID/stat), and the cores' idle time;
#   - with --strace KIND (responder, writer, executor, nginx; postgresql
#     with --pg): the system calls of those processes (strace -c over a
#     second run);
#   - with --perf KIND: a profile of those processes (perf record, call
#     graphs from DWARF) into bench-cost-KIND.perf in the current folder.
# With --instructions, no wrk: the instructions one trigger's transaction
# takes (bench-branch's start and inline run, as the trigger writer makes
# it), counted by callgrind over 100 and then 1,100 starts committed
# in-process (engine_fire ... alone, the pool stopped), the difference
# divided by 1,000.  A count does not move with the machine's load, so it
# compares two builds where timings on a shared machine cannot; the
# profile is kept in bench-cost-instructions.out (callgrind_annotate).
# It measures no target: it shows where a row of bench/engine.sh goes.
#
#   bench/engine_cost.sh [--pg] [--route async|sync|execute] [--conns N]
#                        [--duration S] [--strace KIND] [--perf KIND]
#   bench/engine_cost.sh [--pg] --instructions
#   PIPELIT_BIN=/path/to/pipelit bench/engine_cost.sh   (skip the build)
set -euo pipefail

COST_PG=0 ROUTE=async CONNS=8 SECONDS_RUN=6 STRACE_KIND= PERF_KIND= COUNT=0
while [ $# -gt 0 ]; do
	case $1 in
	--pg) COST_PG=1; shift ;;
	--route) ROUTE=$2; shift 2 ;;
	--conns) CONNS=$2; shift 2 ;;
	--duration) SECONDS_RUN=$2; shift 2 ;;
	--strace) STRACE_KIND=$2; shift 2 ;;
	--perf) PERF_KIND=$2; shift 2 ;;
	--instructions) COUNT=1; shift ;;
	-h|--help) sed -n '2,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "engine_cost.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

# engine.sh sourced only defines: its pool, nginx and cluster machinery.
. "$(dirname "${BASH_SOURCE[0]}")/engine.sh" --quick --duration "$SECONDS_RUN" --no-n8n

# The processes of KIND: the pool's children whose title names it, or nginx's.
kind_pids() {
	local kind=$1 pid
	if [ "$kind" = nginx ]; then
		nginx_pids "$NAME"
		return
	fi
	if [ "$kind" = postgresql ]; then
		# The cluster's backends and helpers (--pg): the postmaster's children.
		pid=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
		[ -n "$pid" ] && children_of "$pid"
		return 0
	fi
	for pid in $(children_of "$(cat "$WORK/$NAME.pid")"); do
		if grep -q "$kind" "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"; fi
	done
	return 0
}

# "KIND TICKS" lines: each process's CPU ticks under its kind, and the
# machine's busy and idle ticks.
cpu_snapshot() {
	local master pid kind
	master=$(cat "$WORK/$NAME.pid")
	for pid in $master $(children_of "$master"); do
		kind=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | awk '{ print $NF }')
		echo "pool:${kind:-master} $(cpu_ticks "$pid")"
	done
	echo "nginx $(cpu_ticks $(nginx_pids "$NAME"))"
	if [ "$COST_PG" = 1 ]; then
		# The server and its backends: the postmaster (its pid file) and
		# its children.
		pid=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
		[ -n "$pid" ] && echo "postgresql $(cpu_ticks "$pid" $(children_of "$pid"))"
	fi
	awk '/^cpu / { print "(busy)", $2 + $3 + $4 + $6 + $7 + $8; print "(idle)", $5 }' /proc/stat
}

sum_by_kind() { awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' | sort; }

# wrk_run SECONDS OUT: one wrk run on the route.
wrk_run() {
	wrk -t2 -c"$CONNS" -d"$1s" --latency -s "$WORK/post.lua" ${AUTH[@]+"${AUTH[@]}"} "$URL" >"$2" 2>&1 || true
}

# Instructions per trigger transaction (see the head of this file); the
# pool NAME is running, and is stopped here.
count_instructions() {
	local n total pid f
	command -v valgrind >/dev/null || ensure_packages valgrind
	fire "$NAME" async bench-branch trigger_webhook 50 1 60 alone >/dev/null
	stop_named_pool "$NAME"
	for n in 100 1100; do
		rm -f "$WORK"/cg.*
		pool_env "$WORK/$NAME" ${FIRE_ENV[@]+"${FIRE_ENV[@]}"} valgrind --tool=callgrind \
			--callgrind-out-file="$WORK/cg.%p" "$WORK/engine_fire" async bench-branch \
			trigger_webhook "$n" 1 120 alone >"$WORK/count.$n" 2>"$WORK/valgrind.$n" ||
			die "engine_fire under callgrind failed (see $WORK/valgrind.$n)"
		# The firer is the process that made the most; its parent only waits.
		f=$(ls -S "$WORK"/cg.* | head -1)
		total=$(awk '/^summary:/ { print $2 }' "$f")
		eval "count_$n=$total"
		[ "$n" = 1100 ] && cp "$f" "$PWD/bench-cost-instructions.out"
	done
	printf '%s: instructions per trigger transaction (bench-branch, inline): %d\n' "$NAME" \
		$(((count_1100 - count_100) / 1000))
	echo "profile: $PWD/bench-cost-instructions.out (callgrind_annotate --inclusive=yes ...)"
}

cost_main() {
	engine_prepare
	if [ "$COST_PG" = 1 ]; then
		start_pg
		NAME=postgres
		backend_up postgres DATABASE_URL="$PG_URL"
	else
		NAME=sqlite
		backend_up sqlite PIPELIT_SQLITE_SYNCHRONOUS=FULL
	fi
	if [ "$COUNT" = 1 ]; then
		count_instructions
		if [ "$COST_PG" = 1 ]; then stop_pg; fi
		return
	fi
	AUTH=()
	case $ROUTE in
	async) URL=$BASE/api/v1/webhooks/bench/async ;;
	sync) URL=$BASE/api/v1/webhooks/bench/sync ;;
	execute) URL=$BASE/api/v1/workflows/bench-branch/execute/; AUTH=(-H "Authorization: Bearer $API_KEY") ;;
	*) die "--route: async, sync or execute" ;;
	esac
	wrk_run 2 "$WORK/warm.out"
	local perf_pid= hz requests
	if [ -n "$PERF_KIND" ]; then
		command -v perf >/dev/null || ensure_packages linux-perf
		local profiled
		profiled=$(kind_pids "$PERF_KIND" | paste -sd,)
		[ -n "$profiled" ] || die "--perf $PERF_KIND: no such processes (responder, writer, executor, nginx, postgresql with --pg)"
		perf record -F 1000 --call-graph dwarf,16384 -o "$PWD/bench-cost-$PERF_KIND.perf" \
			-p "$profiled" -- sleep "$SECONDS_RUN" 2>/dev/null &
		perf_pid=$!
	fi
	cpu_snapshot | sum_by_kind >"$WORK/cpu0"
	wrk_run "$SECONDS_RUN" "$WORK/run.out"
	cpu_snapshot | sum_by_kind >"$WORK/cpu1"
	if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
	hz=$(getconf CLK_TCK)
	requests=$(awk '/requests in/ { print $1 }' "$WORK/run.out")
	printf '%s, %s route, wrk -c%s %ss: %s req/s, p50 %s, p99 %s\n' "$NAME" "$ROUTE" "$CONNS" \
		"$SECONDS_RUN" "$(awk '/Requests\/sec/ { print $2 }' "$WORK/run.out")" \
		"$(awk '$1 == "50%" { print $2 }' "$WORK/run.out")" "$(awk '$1 == "99%" { print $2 }' "$WORK/run.out")"
	echo "CPU per request (both cores together):"
	join "$WORK/cpu0" "$WORK/cpu1" | awk -v n="$requests" -v hz="$hz" \
		'n > 0 { printf "  %-24s %6.0f us\n", $1, ($3 - $2) * 1e6 / hz / n }'
	if [ -n "$PERF_KIND" ]; then echo "profile: $PWD/bench-cost-$PERF_KIND.perf (perf report -i ...)"; fi
	if [ -n "$STRACE_KIND" ]; then
		local args=() pid
		command -v strace >/dev/null || ensure_packages strace
		for pid in $(kind_pids "$STRACE_KIND"); do args+=(-p "$pid"); done
		[ ${#args[@]} -gt 0 ] || die "--strace $STRACE_KIND: no such processes (responder, writer, executor, nginx, postgresql with --pg)"
		timeout -s INT $((SECONDS_RUN + 1)) strace -f -c -o "$WORK/strace" "${args[@]}" 2>/dev/null &
		pid=$!
		sleep 0.5
		wrk_run "$SECONDS_RUN" "$WORK/traced.out"
		wait "$pid" || true
		requests=$(awk '/requests in/ { print $1 }' "$WORK/traced.out")
		echo "system calls per request of $STRACE_KIND (strace -c, a second run):"
		awk -v n="$requests" 'NR > 2 && $NF != "total" && $4 + 0 > 0 && n > 0 {
			printf "  %-18s %6.2f\n", $NF, $4 / n; s += $4 }
			END { if (n > 0) printf "  %-18s %6.2f\n", "(all)", s / n }' "$WORK/strace" | sort -k2 -rn
	fi
	stop_named_pool "$NAME"
	if [ "$COST_PG" = 1 ]; then stop_pg; fi
}

cost_main
