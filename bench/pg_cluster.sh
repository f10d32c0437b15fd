# bench/pg_cluster.sh: a throwaway PostgreSQL cluster for the benchmarks
# (bench/db.sh, bench/engine.sh), made as scripts/test.sh makes one: in
# $WORK/pg (or the directory given), owned by the postgres user when run as
# root, with the server's default durability (fsync on).  Sourced after
# run.sh; start_pg sets PG_URL, PG_PORT and PG_DIR; stop_pg stops it.

PG_DIR=
PG_URL=
PG_PORT=

as_pg_owner() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# start_pg [DIR]: a cluster of our own in DIR (default $WORK/pg).
start_pg() {
	local password port
	password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	PG_DIR=${1:-$WORK/pg}
	mkdir -p "$PG_DIR/sock"
	printf '%s\n' "$password" >"$PG_DIR/pwfile"
	is_root && chown -R postgres:postgres "$PG_DIR"
	port=$(free_port)
	as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$PG_DIR/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		>"$PG_DIR/initdb.log" 2>&1 || die "initdb failed: $(tail -3 "$PG_DIR/initdb.log")"
	as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-p $port -k $PG_DIR/sock -c listen_addresses=127.0.0.1" start >/dev/null ||
		die "PostgreSQL did not start: $(tail -3 "$PG_DIR/server.log")"
	as_pg_owner "$PG_BIN/psql" -q -h "$PG_DIR/sock" -p "$port" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -c "CREATE ROLE pipelit LOGIN PASSWORD '$password'" \
		-c "CREATE DATABASE pipelit OWNER pipelit" >/dev/null || die "could not create the role"
	PG_URL="postgresql://pipelit:$password@127.0.0.1:$port/pipelit"
	PG_PORT=$port
}

stop_pg() {
	if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
		as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
}
