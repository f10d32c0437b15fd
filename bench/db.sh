#!/usr/bin/env bash
# bench/db.sh: the database tools at scale, in one run and with the
# machinery of bench/run.sh: (1) `pipelit db backup` of a SQLite database of
# about 1 GB (1 million execution_logs rows of ~1 KB, made with the sqlite3
# CLI) against `sqlite3 db ".backup x"` on the same file (target <= 1.2x);
# (2) /health p50 and p99 through nginx and the pool, alone and while
# backups run one after another; (3) `pipelit db copy` of that database to
# PostgreSQL: total time and rows/s (target under 60 s).  Never fails
# because a target is missed.  See bench/README.md.
#
#   bench/db.sh [--duration SECONDS] [--quick]     (--quick: 100000 rows)
#   PIPELIT_BIN=/path/to/pipelit bench/db.sh       (skip the build)
#   PIPELIT_BENCH_PG_URL=postgresql://... bench/db.sh   (that database is EMPTIED)
set -euo pipefail

ROWS=${PIPELIT_BENCH_ROWS:-1000000}
for arg in "$@"; do
	[ "$arg" = --quick ] && ROWS=100000
	if [ "$arg" = -h ] || [ "$arg" = --help ]; then
		sed -n '2,13s/^# \{0,1\}//p' "$0"
		exit 0
	fi
done

# run.sh defines the functions and parses the options; it measures only
# when run itself.
. "$(dirname "${BASH_SOURCE[0]}")/run.sh" "$@"

ROUNDS=3

. "$(dirname "${BASH_SOURCE[0]}")/pg_cluster.sh"

db_cleanup() {
	stop_pg
	cleanup
}
trap db_cleanup EXIT

now_ms() { date +%s%3N; }

# One user, one workflow, one finished execution, and $ROWS log rows of
# ~1 KB each (800 hex characters of output plus the other columns).
make_database() {
	local db=$WORK/pool/db.sqlite3
	pool_env "$WORK/pool" "$PIPELIT_BIN" db upgrade >"$WORK/upgrade.log" 2>&1 ||
		die "pipelit db upgrade failed: $(tail -3 "$WORK/upgrade.log")"
	pool_env "$WORK/pool" "$PIPELIT_BIN" user create --username bench \
		--password bench-password-1 --role admin >/dev/null 2>&1 || die "pipelit user create failed"
	sqlite3 "$db" >/dev/null <<EOF || die "filling the database failed"
PRAGMA journal_mode=WAL;
INSERT INTO workflows (name, slug, owner_id) VALUES ('bench', 'bench', 1);
INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status,
	started_at, completed_at)
	VALUES ('00000000-0000-4000-8000-000000000001', 1, 1, 'bench', 'completed',
	'2026-01-01 00:00:00', '2026-01-01 00:00:01');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO execution_logs (execution_id, node_id, status, output, metadata, duration_ms, timestamp)
	SELECT '00000000-0000-4000-8000-000000000001', 'node_' || (i % 16), 'completed',
		'"' || hex(randomblob(400)) || '"', '{"bench":' || i || '}', i % 1000,
		'2026-01-01 00:00:00.000000'
	FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
	DB_BYTES=$(stat -c %s "$db")
}

# The time of one `pipelit db backup` and one `sqlite3 .backup`, in ms.
time_pipelit_backup() {
	local t0
	rm -rf "$WORK/bk"
	t0=$(now_ms)
	pool_env "$WORK/pool" "$PIPELIT_BIN" db backup --dir "$WORK/bk" >"$WORK/backup.log" 2>&1 ||
		{ echo "backup failed: $(tail -2 "$WORK/backup.log")" >&2; echo 0; return; }
	echo $(($(now_ms) - t0))
	rm -rf "$WORK/bk"
}

time_sqlite_backup() {
	local t0
	rm -f "$WORK/x.sqlite3"
	t0=$(now_ms)
	sqlite3 "$WORK/pool/db.sqlite3" ".backup '$WORK/x.sqlite3'" || { echo 0; return; }
	echo $(($(now_ms) - t0))
	rm -f "$WORK/x.sqlite3"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

measure_backups() {
	local i ours=() theirs=()
	cat "$WORK/pool/db.sqlite3" >/dev/null # the same warm page cache for both
	for i in $(seq "$ROUNDS"); do
		say "backup round $i of $ROUNDS"
		theirs+=("$(time_sqlite_backup)")
		ours+=("$(time_pipelit_backup)")
	done
	SQLITE_MS=$(printf '%s\n' "${theirs[@]}" | median)
	PIPELIT_MS=$(printf '%s\n' "${ours[@]}" | median)
	printf '\nBackup of %s MB (%s execution_logs rows), median of %d runs each:\n' \
		"$((DB_BYTES / 1048576))" "$ROWS" "$ROUNDS"
	printf '  sqlite3 .backup     %6d ms   (runs: %s)\n' "$SQLITE_MS" "${theirs[*]}"
	printf '  pipelit db backup   %6d ms   (runs: %s)\n' "$PIPELIT_MS" "${ours[*]}"
	tail -n 4 "$WORK/backup.log" | sed 's/^/    /'
}

# Backups one after another until the file $WORK/stop-backups appears.
backup_loop() {
	local n=0
	while [ ! -f "$WORK/stop-backups" ]; do
		if pool_env "$WORK/pool" "$PIPELIT_BIN" db backup --dir "$WORK/bk-loop" >/dev/null 2>&1; then
			n=$((n + 1))
		else
			sleep 0.2
		fi
		rm -rf "$WORK/bk-loop"
	done
	echo "$n" >"$WORK/backups-done"
}

measure_latency() {
	local port=$1 loop
	: >"$WORK/results"
	say "/health, 8 connections, no backup"
	run_wrk idle 8 "http://127.0.0.1:$port/health"
	rm -f "$WORK/stop-backups"
	backup_loop &
	loop=$!
	sleep 1
	say "/health, 8 connections, backups running"
	run_wrk backup 8 "http://127.0.0.1:$port/health"
	touch "$WORK/stop-backups"
	wait "$loop" || true
	printf '\n/health through nginx and the pool, wrk -t2 -c8 -d%ss --latency:\n' "$DURATION"
	printf '  %-16s %10s %9s %9s %6s\n' what req/s "p50 ms" "p99 ms" non2xx
	awk '{ printf "  %-16s %10.0f %9.3f %9.3f %6d\n", ($1 == "idle" ? "no backup" : "backup running"), $3, $4, $5, $6 }' \
		"$WORK/results"
	printf '  (%s backups completed during the second run)\n' "$(cat "$WORK/backups-done" 2>/dev/null || echo 0)"
	P99_IDLE=$(awk '$1 == "idle" { print $5 }' "$WORK/results")
	P99_BACKUP=$(awk '$1 == "backup" { print $5 }' "$WORK/results")
}

measure_copy() {
	local t0 rc=0
	if [ -n "${PIPELIT_BENCH_PG_URL:-}" ]; then
		PG_URL=$PIPELIT_BENCH_PG_URL
		say "copying to the PostgreSQL server in PIPELIT_BENCH_PG_URL"
	else
		say "starting a throwaway PostgreSQL cluster"
		start_pg
	fi
	say "pipelit db copy, SQLite -> PostgreSQL"
	t0=$(now_ms)
	pool_env "$WORK/pool" "$PIPELIT_BIN" db copy --to "$PG_URL" --force >"$WORK/copy.log" 2>&1 || rc=$?
	COPY_MS=$(($(now_ms) - t0))
	printf '\npipelit db copy, SQLite -> PostgreSQL (%s):\n' "$(as_pg_owner "$PG_BIN/postgres" -V 2>/dev/null || echo server)"
	tail -n 60 "$WORK/copy.log" | sed 's/^/  /' | grep -v ': 0 rows$' || true
	if [ "$rc" -ne 0 ]; then
		printf '  the copy failed (exit %d)\n' "$rc"
		COPY_MS=
	fi
}

db_main() {
	prepare
	command -v sqlite3 >/dev/null || ensure_packages sqlite3
	KEY=$("$PIPELIT_BIN" keygen)
	mkdir -p "$WORK/pool"
	say "making a database with $ROWS execution_logs rows"
	local t0
	t0=$(now_ms)
	make_database
	say "made $((DB_BYTES / 1048576)) MB in $(($(now_ms) - t0)) ms"
	measure_backups
	start_pool
	start_nginx front "$WORK/pool.sock"
	wait_for_http "http://127.0.0.1:$NGINX_PORT/health" 30 || die "/health does not answer 200"
	measure_latency "$NGINX_PORT"
	measure_copy
	echo
	awk -v a="$PIPELIT_MS" -v b="$SQLITE_MS" 'BEGIN {
		if (a > 0 && b > 0) printf "backup: %.2fx the time of sqlite3 .backup (target <= 1.2x)\n", a / b
		else print "backup: failed (see above)" }'
	awk -v a="$P99_BACKUP" -v b="$P99_IDLE" 'BEGIN {
		printf "/health p99: %.3f ms while backing up, %.3f ms without (%.2fx)\n", a, b, (b > 0 ? a / b : 0) }'
	if [ -n "$COPY_MS" ]; then
		awk -v ms="$COPY_MS" -v rows="$ROWS" 'BEGIN {
			printf "copy: %.1f s for %d execution_logs rows, %.0f rows/s (target < 60 s)\n",
				ms / 1000, rows, (ms > 0 ? rows * 1000 / ms : 0) }'
	else
		echo "copy: failed (see above)"
	fi
}

db_main
