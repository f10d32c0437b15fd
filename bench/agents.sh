#!/usr/bin/env bash
# bench/agents.sh: agent nodes against the LLM double (bench/fake_llm.c) on
# 127.0.0.1, each figure beside its target and a baseline measured in the
# same run, on SQLite and on a throwaway PostgreSQL cluster:
#   - concurrency: the double answering after 200 ms, 200 chats started at
#     once through the API (POST /api/v1/workflows/agent-slow/chat/, an API
#     key as a Bearer token), each an agent making one model call; the wall
#     time from the first request to the last execution's completed_at, as
#     a ratio of the ideal 200 ms (target <= 3x), and the executions' own
#     started_at -> completed_at, p50 and p99; the median of BURSTS such
#     bursts (3, or 1 with --quick), each after the last drained, the
#     detail rows of the last one, and the first of them on its own: the
#     pool has just been restarted, as a deploy leaves it (that row: the
#     median of such first bursts over COLD restarts).  Before them the
#     new database serves one burst (its own row), then the pool restarts.
#     Baseline: the double's own
#     time for 200 concurrent requests sent to it directly.  Both bursts come
#     from bench/burst_post.pl: every client connects first, then all send.
#     When one executor misses the target, the same again with two;
#   - memory: the pool's PSS summed over its processes, sampled during as
#     many more bursts of chats (not timed: the sampler slows what it
#     samples) and the CPU rows, the largest sum (target < 60 MB);
#   - CPU per agent turn: the double answering at once, N executions of an
#     agent (one model call each) started the way a trigger does
#     (bench/engine_fire.c), the CPU time (utime + stime, /proc/PID/stat)
#     of the pool's executors and responders over N, in us; baseline: the
#     same for chat -> reply_chat (the engine alone).
# Never fails because a target is missed.  See bench/README.md.
#
#   bench/agents.sh [--quick] [--no-pg] [--no-sqlite] [--chats-only]
#   PIPELIT_BIN=build/pipelit bench/agents.sh --quick     (skip the build)
#   --no-sqlite: PostgreSQL only; --chats-only: the 200 chats alone (no CPU
#   rows, no second run with two executors), for short A/B runs
#   PIPELIT_BENCH_FORCE=1     run the full mode although the machine is busy
#   PIPELIT_BENCH_STRACE=1    also count the executor's system calls per turn (strace -c)
#   PIPELIT_BENCH_PERF=1      perf record the pool over the chats (report in the work directory)
#   PIPELIT_BENCH_BURSTS=N    bursts of chats per row, the median reported (default 3; 1 with --quick)
#   PIPELIT_BENCH_COLD=N      restarts whose first bursts make the cold row (default 3; with BURSTS > 1)
set -euo pipefail

# engine.sh sets QUICK and WITH_PG from the options it is given.
ENGINE_ARGS=(--no-n8n)
WITH_SQLITE=1
CHATS_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick|--no-pg) ENGINE_ARGS+=("$1"); shift ;;
	--no-sqlite) WITH_SQLITE=0; shift ;;
	--chats-only) CHATS_ONLY=1; shift ;;
	-h|--help) sed -n '2,38s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "agents.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

# engine.sh brings run.sh, api_client.sh and pg_cluster.sh; sourced, it
# only defines (pools, nginx, the memory sampler, engine_fire, percentiles).
. "$(dirname "${BASH_SOURCE[0]}")/engine.sh" "${ENGINE_ARGS[@]}"
# The CPU rows' firing processes: 2, as before engine.sh's async rows
# took 16, so the rows stay comparable with earlier runs.
CPU_FIRERS=2

CONC_N=200          # chats started at once
SLOW_DELAY=0.2      # the slow double's answer time, s
if [ "$QUICK" = 1 ]; then
	CPU_N=300 CPU_TIMEOUT=60 BURSTS=1
else
	CPU_N=2000 CPU_TIMEOUT=300 BURSTS=3
fi
# One burst's wall time moves by a quarter between runs of one build on a
# shared 2-core machine: the row is the median of BURSTS bursts.
BURSTS=${PIPELIT_BENCH_BURSTS:-$BURSTS}
# Restarts whose first bursts make the cold row (with BURSTS > 1).
COLD_RESTARTS=${PIPELIT_BENCH_COLD:-3}

agents_cleanup() {
	engine_cleanup
}
trap agents_cleanup EXIT

load1() { cut -d' ' -f1 /proc/loadavg; }

# bench/fake_llm.c: the LLM double (one process, an epoll loop, keep-alive).
build_double() {
	cc -O2 -Wall -o "$WORK/fake_llm" "$ROOT/bench/fake_llm.c" || die "cannot build bench/fake_llm.c"
}

# start_double NAME DELAY: the LLM double answering after DELAY seconds;
# sets DOUBLE_URL (its base URL for an openai_compatible credential) and
# DOUBLE_BASE (for its /stats).  Each answer's request and answer times go
# to $WORK/NAME.requests ("ARRIVED_US ANSWERED_US", wall clock).
start_double() {
	local name=$1 delay=$2 port
	"$WORK/fake_llm" --delay-ms "$(awk -v d="$delay" 'BEGIN { printf "%d", d * 1000 }')" \
		--port-file "$WORK/$name.double" --log "$WORK/$name.requests" >/dev/null &
	PIDS+=("$!")
	local deadline=$((SECONDS + 10))
	until [ -f "$WORK/$name.double" ]; do
		[ $SECONDS -lt $deadline ] || die "the double $name did not start"
		sleep 0.05
	done
	read -r port <"$WORK/$name.double"
	DOUBLE_BASE="http://127.0.0.1:$port"
	DOUBLE_URL="$DOUBLE_BASE/v1"
}

# double_stats BASE: "connections requests" the double has seen so far.
double_stats() {
	curl -s "$1/stats" | tr -dc '0-9 ,' | tr ',' ' ' | awk '{ print $1, $2 }'
}

# parallel_post N URL BODY [HEADER...]: N clients, connected first, POST
# at once (bench/burst_post.pl); one HTTP status per line.  The wall clock
# just before the first request was sent and when the last answer ended
# go to $WORK/burst.times ("t0_us T0 t1_us T1").
parallel_post() {
	local n=$1 url=$2 body=$3
	shift 3
	perl "$ROOT/bench/burst_post.pl" "$n" "$url" "$body" "$@" >"$WORK/burst.out" || true
	head -1 "$WORK/burst.out" >"$WORK/burst.times"
	tail -n +2 "$WORK/burst.out"
}

# burst_time FIELD: t0_us or t1_us of the last parallel_post.
burst_time() { awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' "$WORK/burst.times"; }

# The double's own time for CONC_N concurrent requests, the body an agent
# sends; sets DOUBLE_MS.
double_baseline() {
	local t0 t1 ok
	local body='{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}]}'
	say "the double alone: $CONC_N concurrent requests"
	ok=$(parallel_post "$CONC_N" "$SLOW_URL/chat/completions" "$body" "Authorization: Bearer sk-bench" |
		grep -c '^200$' || true)
	t0=$(burst_time t0_us) t1=$(burst_time t1_us)
	DOUBLE_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) / 1000 }')
	row "the double alone: $CONC_N concurrent requests" "$DOUBLE_MS ms ($ok of $CONC_N answered 200; ideal $(awk -v d="$SLOW_DELAY" 'BEGIN { print d * 1000 }') ms)" \
		"-" "baseline"
}

# CPU ticks of the pool NAME's processes by role: "executors responders master".
pool_ticks() {
	local pid role e=0 r=0 m=0 t
	for pid in $(pool_pids "$1"); do
		# Fields after the command's closing parenthesis: utime is the
		# 12th, stime the 13th.
		t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || continue
		role=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
		case $role in
		*executor*) e=$((e + t)) ;;
		*responder*) r=$((r + t)) ;;
		*) m=$((m + t)) ;;
		esac
	done
	echo "$e $r $m"
}

# burst NAME EXECUTORS: one burst of CONC_N chats, drained; sets t0 (the
# first request, us), wall (first request to the last completed_at, ms),
# ok (the answers' statuses) and the executions' rows in
# $WORK/NAME.concEXECUTORS (only this burst's: it is read before the next).
burst() {
	local name=$1 execs=$2
	parallel_post "$CONC_N" "$BASE/api/v1/workflows/agent-slow/chat/" '{"text":"hello"}' \
		"Authorization: Bearer $API_KEY" >"$WORK/$name.codes$execs"
	t0=$(burst_time t0_us)
	# "N x STATUS" for each status the chats got.
	ok=$(sort "$WORK/$name.codes$execs" | uniq -c | awk '{ printf "%s%d x %s", (NR > 1 ? ", " : ""), $1, $2 }')
	fire "$name" drain agent-slow 120 >"$WORK/$name.conc_drain"
	fire "$name" times agent-slow | awk -v t0="$t0" '$2 >= t0 - 1000' >"$WORK/$name.conc$execs"
	wall=$(awk -v t0="$t0" 'BEGIN { m = 0 } $4 > m { m = $4 } END { printf "%.0f\n", (m > 0 ? (m - t0) / 1000 : -1) }' \
		"$WORK/$name.conc$execs")
}

# ideal_ratio MS: a burst's wall time as a multiple of the ideal (the
# slow double's answer time).
ideal_ratio() { awk -v w="$1" -v d="$SLOW_DELAY" 'BEGIN { printf "%.2f\n", w / (d * 1000) }'; }

# concurrency NAME LABEL EXECUTORS: CONC_N chats at once through the API
# against the slow double, BURSTS times, each after the last has drained,
# on a pool just (re)started.  The row is the median burst's; with more
# than one burst, the first gets a row of its own (a started pool's first
# burst is the slowest: bench/README.md), and the rows after it describe
# the last burst.
concurrency() {
	local name=$1 label=$2 execs=$3 t0 ok wall walls=() median ratio p50 p99 done_n completed k
	say "$name: $CONC_N chats at once through the API, the double answering after ${SLOW_DELAY}s, $execs executor(s), $BURSTS burst(s)"
	perf_start "$name"
	for ((k = 0; k < BURSTS; k++)); do
		burst "$name" "$execs"
		walls+=("$wall")
	done
	perf_stop "$name" "$execs"
	median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	done_n=$(wc -l <"$WORK/$name.conc$execs")
	completed=$(grep -c 'status completed' "$WORK/$name.conc$execs" || true)
	awk '{ print "lat_us", $4 - $2 }' "$WORK/$name.conc$execs" >"$WORK/$name.conc${execs}_lat"
	ratio=$(ideal_ratio "$median")
	p50=$(percentile 50 lat_us "$WORK/$name.conc${execs}_lat")
	p99=$(percentile 99 lat_us "$WORK/$name.conc${execs}_lat")
	LAST_RATIO=$ratio
	local each=""
	[ "$BURSTS" -gt 1 ] && each="median of $BURSTS bursts (${walls[*]} ms); "
	row "$label, $execs executor(s): first request to last completed" \
		"$median ms = ${ratio}x ideal, $(awk -v w="$median" -v d="$DOUBLE_MS" 'BEGIN { printf "%.2f", (d > 0 ? w / d : 0) }')x the double alone (${each}last burst's answers: $ok; $completed of $done_n executions completed)" \
		"<= 600 ms (3x)" "$(verdict "$ratio" le 3)"
	# The first burst is the first after a restart: cold_row judges it
	# with the first bursts of more restarts.
	COLD_WALLS=("${walls[0]}")
	[ "$BURSTS" -gt 1 ] && label="$label (last burst)"
	# started_at is the trigger's clock before its transaction.
	row "$label, $execs executor(s): first request to the last trigger's start" \
		"$(awk -v t0="$t0" 'BEGIN { m = 0 } $2 > m { m = $2 } END { printf "%.0f ms", (m > 0 ? (m - t0) / 1000 : -1) }' \
			"$WORK/$name.conc$execs")" "-" "info"
	row "$label, $execs executor(s): per execution, started to completed" \
		"p50 $(us_ms "$p50") ms, p99 $(us_ms "$p99") ms" "-" "info"
	phases "$name" "$label" "$execs" "$t0"
}

# phases NAME LABEL EXECUTORS T0: where an execution's time goes, from the
# agent node's log row (its start as the executor began running it, and
# its duration, the model call's wait included): trigger's start -> the
# agent begins (the trigger's commit, the wake-up, the claim, the trigger
# job's own pass), the agent's run (its reservation, the pass's durable
# barrier, the call), its end -> completed_at (the completion's commit).
phases() {
	local name=$1 label=$2 execs=$3 t0=$4 f=$WORK/$1.phases$3
	fire "$name" phases agent-slow agent | awk -v t0="$t0" '$2 >= t0 - 1000' >"$f"
	awk '{ print "claim_us", $4 - $2; print "run_us", $6 * 1000; print "done_us", $8 - ($4 + $6 * 1000) }' "$f" >"$f.v"
	row "$label, $execs executor(s): per execution, trigger's start -> agent begins / agent runs / agent's end -> completed" \
		"p50 $(us_ms "$(percentile 50 claim_us "$f.v")") / $(us_ms "$(percentile 50 run_us "$f.v")") / $(us_ms "$(percentile 50 done_us "$f.v")") ms, p99 $(us_ms "$(percentile 99 claim_us "$f.v")") / $(us_ms "$(percentile 99 run_us "$f.v")") / $(us_ms "$(percentile 99 done_us "$f.v")") ms" \
		"-" "info"
	row "$label, $execs executor(s): first request to the last agent's start" \
		"$(awk -v t0="$t0" 'BEGIN { m = 0 } $4 > m { m = $4 } END { printf "%.0f ms", (m > 0 ? (m - t0) / 1000 : -1) }' "$f")" \
		"-" "info"
	timeline "$name" "$label" "$execs" "$t0"
}

# timeline NAME LABEL EXECUTORS T0: the 200 chats' life as moments after
# the first request (p50 / max over the executions): the trigger's start
# (intake), the agent's start (queue: the trigger's commit, the wake-up,
# the claim), the request at the double (the agent's turn before the
# call: budget, pass barrier, sending), its answer (the model's 200 ms),
# the agent's end (reading the answer, settling, checkpointing) and
# completed_at (the completion's commit).  The double's log cannot say
# which execution sent which request, so the per-phase figures pair the
# k-th agent start with the k-th request (and so on): exact for the
# medians and maxima of a first-come, first-served flow.
timeline() {
	local name=$1 label=$2 execs=$3 t0=$4 f=$WORK/$1.phases$3 d=$WORK/$1.tl$3
	# One file per moment, sorted, in ms after t0.
	awk -v t0="$t0" '{ printf "%.1f\n", ($2 - t0) / 1000 }' "$f" | sort -n >"$d.trigger"
	awk -v t0="$t0" '{ printf "%.1f\n", ($4 - t0) / 1000 }' "$f" | sort -n >"$d.agent"
	awk -v t0="$t0" '$1 >= t0 { printf "%.1f\n", ($1 - t0) / 1000 }' "$WORK/slow.requests" | sort -n >"$d.request"
	awk -v t0="$t0" '$1 >= t0 { printf "%.1f\n", ($2 - t0) / 1000 }' "$WORK/slow.requests" | sort -n >"$d.answer"
	awk -v t0="$t0" '{ printf "%.1f\n", ($4 + $6 * 1000 - t0) / 1000 }' "$f" | sort -n >"$d.end"
	awk -v t0="$t0" '{ printf "%.1f\n", ($8 - t0) / 1000 }' "$f" | sort -n >"$d.done"
	local m p50s="" maxs=""
	for m in trigger agent request answer end done; do
		p50s+="$(awk '{ v[NR] = $1 } END { i = int(NR / 2 + 0.5); if (i < 1) i = 1; printf "%.0f", (NR ? v[i] : -1) }' "$d.$m") "
		maxs+="$(awk 'END { printf "%.0f", (NR ? $1 : -1) }' "$d.$m") "
	done
	row "$label, $execs executor(s): ms after the first request, trigger start / agent start / request at the double / its answer / agent end / completed" \
		"p50 ${p50s% }, last ${maxs% } ($(wc -l <"$d.request") requests reached the double)" "-" "info"
	# Rank-paired phases: intake, queue, agent turn, model, completion.
	local pairs=(trigger:agent agent:request request:answer answer:end end:done) pr out=""
	for pr in "${pairs[@]}"; do
		out+="$(paste "$d.${pr%%:*}" "$d.${pr##*:}" | awk 'NF == 2 { print $2 - $1 }' | sort -n |
			awk '{ v[NR] = $1 } END { if (!NR) { printf "n/a"; exit }
				i = int(NR / 2 + 0.5); if (i < 1) i = 1; printf "%.0f/%.0f", v[i], v[NR] }') "
	done
	row "$label, $execs executor(s): phases p50/max ms: queue (trigger start -> agent start) / agent turn (-> request at the double) / model / answer -> agent end / agent end -> completed" \
		"${out% }; intake (first request -> trigger start) $(sed -n '$p' "$d.trigger") ms for the last" "-" "info"
}

# With PIPELIT_BENCH_PERF=1: perf record -g on the pool's processes over
# the chats; the report (by process, library and symbol) is left in
# $WORK/NAME.perfN.txt and its head printed.
perf_start() {
	PERF_PID=
	[ "${PIPELIT_BENCH_PERF:-0}" = 1 ] || return 0
	command -v perf >/dev/null || { say "perf is not installed"; return 0; }
	local pids
	pids=$(pool_pids "$1" | tr -s " " ",")
	perf record -q -g -F 2000 -o "$WORK/$1.perf.data" -p "$pids" >"$WORK/$1.perf.err" 2>&1 &
	PERF_PID=$!
	sleep 0.5
}

perf_stop() {
	[ -n "${PERF_PID:-}" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	perf report -q -i "$WORK/$1.perf.data" --stdio --no-children --sort pid,dso,sym -g none \
		2>/dev/null | grep -v '^$' | head -60 >"$WORK/$1.perf$2.txt" || true
	say "$1: perf report (top 25 of $WORK/$1.perf$2.txt):"
	head -25 "$WORK/$1.perf$2.txt" >&2 || true
	PERF_PID=
}

# cpu_per_run NAME SLUG: us of pool CPU per execution of SLUG, N started
# by the trigger's own transaction, which each firer commits itself (not
# the pool's trigger writer: the rows count the engine's work, as they did
# before the writer); prints "total executors responders completed".
cpu_per_run() {
	local name=$1 slug=$2 before after out tck
	tck=$(getconf CLK_TCK)
	sleep 0.5   # what came before settles
	before=$(pool_ticks "$name")
	out=$(fire "$name" async "$slug" trigger_chat "$CPU_N" "$CPU_FIRERS" "$CPU_TIMEOUT" alone) ||
		out="completed 0"
	after=$(pool_ticks "$name")
	echo "$out" >>"$WORK/$name.cpu"
	awk -v b="$before" -v a="$after" -v n="$CPU_N" -v tck="$tck" -v out="$out" 'BEGIN {
		split(b, x, " "); split(a, y, " "); k = split(out, o, " ")
		for (i = 1; i < k; i++) v[o[i]] = o[i + 1]
		us = 1e6 / tck / n
		printf "%.0f %.0f %.0f %d %.2f\n", (y[1] - x[1] + y[2] - x[2] + y[3] - x[3]) * us,
			(y[1] - x[1]) * us, (y[2] - x[2]) * us, v["completed"], v["drain_s"] }'
}

cpu_rows() {
	local name=$1 label=$2 a_tot a_ex a_re a_done a_s b_tot b_ex b_re b_done b_s
	local c0 r0 c1 r1
	say "$name: CPU, $CPU_N agent executions against the double answering at once"
	read -r c0 r0 < <(double_stats "$FAST_BASE")
	read -r a_tot a_ex a_re a_done a_s < <(cpu_per_run "$name" agent-fast)
	read -r c1 r1 < <(double_stats "$FAST_BASE")
	# Run by the executor from the trigger's job, as the agent is: left to
	# the trigger, reply_chat runs inline in the firing process (doc/engine.md,
	# "Inline runs in the trigger") and the pool's CPU is nothing.
	say "$name: CPU, $CPU_N executions of chat -> reply_chat, from their jobs"
	local fire_env=(${FIRE_ENV[@]+"${FIRE_ENV[@]}"})
	FIRE_ENV+=(PIPELIT_BENCH_FIRE_JOB=1)
	read -r b_tot b_ex b_re b_done b_s < <(cpu_per_run "$name" reply-fast)
	FIRE_ENV=(${fire_env[@]+"${fire_env[@]}"})
	row "$label: pool CPU per agent turn (delay 0)" \
		"$a_tot us (executor $a_ex, responders $a_re; $a_done of $CPU_N completed in ${a_s}s)" "(info)" "info"
	row "$label: connections to the double per model call" \
		"$(awk -v c=$((c1 - c0)) -v r=$((r1 - r0)) 'BEGIN { printf "%.3f (%d connections for %d requests)", (r > 0 ? c / r : 0), c, r }')" \
		"-" "info"
	row "$label: pool CPU per chat -> reply_chat (run from its job)" \
		"$b_tot us (executor $b_ex, responders $b_re; $b_done of $CPU_N completed in ${b_s}s)" "-" "baseline"
	row "$label: agent turn / engine alone" \
		"$(awk -v a="$a_tot" -v b="$b_tot" 'BEGIN { printf "%.1fx, +%.0f us for the model call", (b > 0 ? a / b : 0), a - b }')" \
		"-" "info"
}

# strace_turns NAME LABEL: with PIPELIT_BENCH_STRACE=1, `strace -c -f` on
# the pool's executors over STRACE_N agent turns (the double answering at
# once): system calls per turn, fdatasync and fsync among them.  strace
# slows the executor down, so this comes after the CPU rows.
STRACE_N=200
strace_turns() {
	local name=$1 label=$2 args=() pid tracer
	[ "${PIPELIT_BENCH_STRACE:-0}" = 1 ] || return 0
	command -v strace >/dev/null || ensure_packages strace
	for pid in $(pool_pids "$name"); do
		case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in
		*executor*) args+=(-p "$pid") ;;
		esac
	done
	local c0 r0 c1 r1
	strace -c -f -o "$WORK/$name.strace_c" "${args[@]}" 2>/dev/null &
	tracer=$!
	sleep 1
	read -r c0 r0 < <(double_stats "$FAST_BASE")
	fire "$name" async agent-fast trigger_chat "$STRACE_N" "$CPU_FIRERS" "$CPU_TIMEOUT" alone >/dev/null || true
	read -r c1 r1 < <(double_stats "$FAST_BASE")
	kill -INT "$tracer" 2>/dev/null || true
	wait "$tracer" 2>/dev/null || true
	# strace -c: "% time, seconds, usecs/call, calls, [errors,] syscall".
	row "$label: executor system calls per agent turn (strace -c, $STRACE_N turns)" \
		"$(awk -v n="$STRACE_N" '$NF ~ /^(fdatasync|fsync|poll|ppoll|epoll_wait|epoll_ctl|connect|sendto)$/ { s[$NF] = $4 }
			$NF == "total" { t = $4 }
			END { printf "%.1f in all; fdatasync %.2f, fsync %.2f, poll %.1f, epoll_wait %.1f, epoll_ctl %.1f, sendto %.1f, connect %.2f",
				t / n, s["fdatasync"] / n, s["fsync"] / n, (s["poll"] + s["ppoll"]) / n, s["epoll_wait"] / n,
				s["epoll_ctl"] / n, s["sendto"] / n, s["connect"] / n }' "$WORK/$name.strace_c")" "-" "info"
	row "$label: connections to the double per model call, a second burst" \
		"$(awk -v c=$((c1 - c0)) -v r=$((r1 - r0)) 'BEGIN { printf "%.3f (%d connections for %d requests)", (r > 0 ? c / r : 0), c, r }')" \
		"-" "info"
}

# restart_pool NAME VAR=VALUE...: the pool NAME stopped and started again
# with its settings and VAR=VALUE..., its database kept.
restart_pool() {
	local name=$1
	shift
	stop_named_pool "$name"
	rm -f "$WORK/$name.sock" "$WORK/$name.pid"
	start_named_pool "$name" "${POOL_EXTRA_ENV[@]}" "$@"
	wait_for_http "$BASE/health" 30 || die "$name: /health does not answer 200 after the restart"
}

# first_burst NAME LABEL: the new database's first burst of chats (shown,
# not judged), then the pool restarts, so that the measured bursts begin
# as they do after a deploy: a pool just started on a database that has
# served before.
first_burst() {
	local name=$1 label=$2
	say "$name: the database's first burst, then the pool restarts"
	burst "$name" 1
	row "$label: the new database's first burst (before the pool restarts), first request to last completed" \
		"$wall ms" "-" "info"
	restart_pool "$name"
}

# cold_row NAME LABEL: with more than one burst per row, the first burst
# after a restart on its own row.  One such burst moves by a fifth from
# one restart to the next here (bench/README.md), so the pool restarts
# COLD_RESTARTS - 1 more times, one burst each, and the row is the median
# of them and the one concurrency() measured, every one shown.
cold_row() {
	local name=$1 label=$2 k median ratio
	[ "$BURSTS" -gt 1 ] || return 0
	for ((k = 1; k < COLD_RESTARTS; k++)); do
		say "$name: the first burst after another restart ($((k + 1)) of $COLD_RESTARTS)"
		restart_pool "$name"
		burst "$name" 1
		COLD_WALLS+=("$wall")
	done
	median=$(printf '%s\n' "${COLD_WALLS[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	ratio=$(ideal_ratio "$median")
	row "$label, 1 executor(s): the first burst after the pool restarted, first request to last completed" \
		"$median ms = ${ratio}x ideal (median of ${#COLD_WALLS[@]} restarts: ${COLD_WALLS[*]} ms)" \
		"<= 600 ms (3x)" "$(verdict "$ratio" le 3)"
}

# memory_bursts NAME EXECUTORS: the memory sampler started (every 50 ms:
# a burst's agents are all in flight for about 200 ms) over BURSTS more
# bursts of chats, untimed (the pool's memory grows over its first
# bursts).  The sampler reads every pool process's memory maps
# (/proc/PID/smaps_rollup, and all of smaps at a new maximum), which
# stalls a process faulting pages in meanwhile, as a pool just restarted
# does: over the timed bursts it cost the first one after a restart about
# 170 ms (bench/README.md), so it runs over these instead.
memory_bursts() {
	local name=$1 execs=$2 wall t0 ok k
	say "$name: $BURSTS more burst(s) of $CONC_N chats, for the memory row"
	start_mem_sampler "$name" 0.05
	for ((k = 0; k < BURSTS; k++)); do
		burst "$name" "$execs"
	done
}

# backend NAME LABEL VAR=VALUE...: one backend's rows.
backend() {
	local name=$1 label=$2
	shift 2
	backend_up "$name" PIPELIT_OUTBOUND_ALLOW=127.0.0.1 "$@"
	perl "$ROOT/bench/agent_workflows.pl" "$BASE" "$API_KEY" "$SLOW_URL" "$FAST_URL" ||
		die "$name: making the agent workflows failed"
	first_burst "$name" "$label"
	concurrency "$name" "$label" 1
	memory_bursts "$name" 1
	[ "$CHATS_ONLY" = 1 ] || cpu_rows "$name" "$label"
	stop_mem_sampler "$name"
	[ "$CHATS_ONLY" = 1 ] || strace_turns "$name" "$label"
	row "$label: pool memory during the agent runs (max, 1 executor)" "$MEM_MB MB PSS" "< 60 MB" \
		"$(verdict "$MEM_MB" lt 60)"
	cold_row "$name" "$label"
	if [ "$CHATS_ONLY" = 0 ] && [ "$(verdict "$LAST_RATIO" le 3)" = MISSED ]; then
		say "$name: one executor missed the target; again with two"
		restart_pool "$name" PIPELIT_EXECUTORS=2
		concurrency "$name" "$label" 2
		memory_bursts "$name" 2
		stop_mem_sampler "$name"
		row "$label: pool memory during the run (max, 2 executors)" "$MEM_MB MB PSS" "< 60 MB" \
			"$(verdict "$MEM_MB" lt 60)"
	fi
	stop_named_pool "$name"
}

agents_main() {
	local load_start
	load_start=$(load1)
	if [ "$QUICK" = 0 ] && awk -v l="$load_start" 'BEGIN { exit !(l >= 2) }' &&
		[ "${PIPELIT_BENCH_FORCE:-0}" != 1 ]; then
		die "the load average is $load_start (>= 2): the machine is busy; run --quick, or wait (PIPELIT_BENCH_FORCE=1 runs anyway)"
	fi
	prepare
	TABLE=$WORK/table
	: >"$TABLE"
	build_helpers
	build_double
	KEY=$("$PIPELIT_BIN" keygen)
	start_double slow "$SLOW_DELAY"
	SLOW_URL=$DOUBLE_URL SLOW_BASE=$DOUBLE_BASE
	start_double fast 0
	FAST_URL=$DOUBLE_URL FAST_BASE=$DOUBLE_BASE
	double_baseline

	[ "$WITH_SQLITE" = 0 ] || backend sqlite SQLite
	if [ "$WITH_PG" = 1 ]; then
		say "starting a throwaway PostgreSQL cluster"
		start_pg
		backend postgres PostgreSQL DATABASE_URL="$PG_URL"
		stop_pg
	fi

	printf '\nbench/agents.sh%s on %s (%s cores), %s; load average %s at the start, %s at the end\n' \
		"$([ "$QUICK" = 1 ] && echo ' --quick')" "$(uname -n)" "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
		"$load_start" "$(load1)"
	printf 'pool: %s responders, 1 executor (2 where said); agent: chat -> agent + ai_model (openai_compatible, streamed)\n\n' "$POOL_RESPONDERS"
	{ printf 'row\tmeasured\ttarget\tverdict\n'; cat "$TABLE"; } | column -t -s $'\t' | sed 's/^/  /'
	grep -hE '\[(ERROR|WARNING)\]' "$WORK"/sqlite.log "$WORK"/postgres.log 2>/dev/null | sort | uniq -c |
		sort -rn | head -5 | sed 's/^/pool log: /' || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	agents_main
fi
