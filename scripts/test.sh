#!/usr/bin/env bash
# test.sh: runs every test (C unit tests and the end-to-end suite against
# SQLite and PostgreSQL) from a fresh Debian 12 machine.  The last line is
# "N passed, N failed"; the exit status is non-zero on any failure.
#
# PIPELIT_TEST_PG_URL=postgresql://... uses that server instead of starting
# a throwaway PostgreSQL 15 cluster.  Extra arguments go to make check,
# for example: scripts/test.sh TESTS='t/e2e/01-http.t t/unit/test_config'
#
# PIPELIT_BUILD_DIR=build-asan PIPELIT_CONFIGURE_FLAGS=--enable-sanitizers
# runs the same suite against an AddressSanitizer/UBSan build.
# (t/e2e/07-docs.t checks that the test files named here exist.)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_DIR=
PG_PORT=

case "${1:-}" in
-h|--help)
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
	exit 0
	;;
esac

# Runs a command as the owner of the throwaway cluster: the postgres user
# when we are root (PostgreSQL refuses to run as root), else ourselves.
as_pg_owner() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start_pg_cluster() {
	[ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found (package postgresql-15)"
	PG_DIR=$(mktemp -d /tmp/pipelit-pg.XXXXXX)
	trap stop_pg_cluster EXIT
	local password
	password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$password" >"$PG_DIR/pwfile"
	mkdir "$PG_DIR/sock"
	if is_root; then
		chown -R postgres:postgres "$PG_DIR"
	fi
	PG_PORT=$(free_port)
	say "starting a throwaway PostgreSQL cluster on 127.0.0.1:$PG_PORT in $PG_DIR"
	as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$PG_DIR/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		>"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
	as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" \
		start >/dev/null || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
	as_pg_owner "$PG_BIN/psql" -q -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 \
		-c "CREATE ROLE pipelit_test LOGIN SUPERUSER PASSWORD '$password'" \
		-c "CREATE DATABASE pipelit_test OWNER pipelit_test" >/dev/null ||
		die "could not create the test role and database"
	export PIPELIT_TEST_PG_URL="postgresql://pipelit_test:$password@127.0.0.1:$PG_PORT/pipelit_test"
}

stop_pg_cluster() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

# Prints "N passed, N failed" from the automake test-suite summary, which
# counts TAP test points.
summarize() {
	local log=$BUILD_DIR/test-suite.log
	if [ ! -f "$log" ]; then
		echo "0 passed, 1 failed"
		return
	fi
	awk '
		/^# (PASS|XFAIL|SKIP):/ { passed += $3 }
		/^# (FAIL|ERROR|XPASS):/ { failed += $3 }
		END { printf "%d passed, %d failed\n", passed, failed }
	' "$log"
}

main() {
	ensure_packages $BUILD_PKGS $RUNTIME_PKGS $TEST_PKGS
	bootstrap_autotools
	# shellcheck disable=SC2086 # the flags are words on purpose
	build_tree ${PIPELIT_CONFIGURE_FLAGS:-}
	if [ -z "${PIPELIT_TEST_PG_URL:-}" ]; then
		start_pg_cluster
	else
		say "using the PostgreSQL server in PIPELIT_TEST_PG_URL"
	fi
	rm -f "$BUILD_DIR/test-suite.log"
	local rc=0
	make -C "$BUILD_DIR" -j2 check VERBOSE=1 "$@" || rc=$?
	stop_pg_cluster
	local summary
	summary=$(summarize)
	case $summary in
	*" 0 failed") ;;
	*) rc=1 ;;
	esac
	echo "$summary"
	return $rc
}

main "$@"
