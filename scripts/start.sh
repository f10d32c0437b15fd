#!/usr/bin/env bash
# start.sh: builds Pipelit and runs it (pipelit serve behind nginx) on
# http://127.0.0.1:8080, from a fresh Debian 12 machine.  See --help.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PREFIX=$ROOT/.local
VAR=$PREFIX/var
RUN_DIR=$VAR/run
LOG_DIR=$VAR/log
NGINX_DIR=$VAR/nginx
WWW_DIR=$PREFIX/share/pipelit/www
SOCKET=$RUN_DIR/pipelit.sock
PID_FILE=$RUN_DIR/pipelit.pid
NGINX_PID=$NGINX_DIR/nginx.pid
LOG_FILE_DEFAULT=$LOG_DIR/pipelit.log
ENV_FILE=$ROOT/.env
RUN_USER=pipelit

usage() {
	cat <<EOF
usage: scripts/start.sh [start|stop|status|--help]

  start   (the default) install missing Debian packages, build in build/,
          install into .local/, create .env with fresh keys when there is
          none, then run 'pipelit serve' and nginx in the background and
          wait until /health answers.  Does nothing when already running.
  stop    stop nginx and pipelit (pipelit drains in-flight requests).
  status  say whether they run.

Settings (environment, or .env for the PIPELIT_ ones pipelit reads too):
  PIPELIT_HTTP_ADDR       address nginx listens on (127.0.0.1)
  PIPELIT_HTTP_PORT       port nginx listens on (8080)
  PIPELIT_MAX_BODY_BYTES  request body limit, given to nginx and pipelit
When run as root, pipelit and nginx run as the system user '$RUN_USER'.
Logs: $LOG_DIR/ (pipelit.log, nginx-error.log, access.log).
EOF
}

http_addr() { setting PIPELIT_HTTP_ADDR "$ENV_FILE" 127.0.0.1; }
http_port() { setting PIPELIT_HTTP_PORT "$ENV_FILE" 8080; }
base_url() { printf 'http://%s:%s\n' "$(http_addr)" "$(http_port)"; }

# The command prefix that drops to the unprivileged user when we are root.
run_as=()
if is_root; then
	run_as=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups --)
fi

ensure_run_user() {
	is_root || return 0
	if ! id -u "$RUN_USER" >/dev/null 2>&1; then
		say "creating system user $RUN_USER"
		useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
	fi
}

# The unprivileged user must be able to reach the tree (a clone under
# /root is not).  Granting search permission (x) on the parents lets it
# reach .local/ and data/ without making any directory listable.
ensure_tree_reachable() {
	is_root || return 0
	"${run_as[@]}" test -x "$ROOT" && return 0
	local dir=$ROOT
	while [ "$dir" != / ]; do
		if ! "${run_as[@]}" test -x "$dir"; then
			say "granting search permission on $dir so the $RUN_USER user can reach $ROOT"
			chmod o+x "$dir"
		fi
		dir=$(dirname "$dir")
	done
}

install_packages() {
	ensure_packages $BUILD_PKGS $RUNTIME_PKGS
}

build_and_install() {
	bootstrap_autotools
	build_tree --prefix="$PREFIX"
	make -C "$BUILD_DIR" -s install >/dev/null || die "make install failed"
	mkdir -p "$WWW_DIR"
	cp -R "$ROOT/www/." "$WWW_DIR/"
}

# A first run gets a .env with fresh secrets; an existing one is the
# user's and is never rewritten.
ensure_env_file() {
	[ -f "$ENV_FILE" ] && return 0
	local key secret
	key=$("$PREFIX/bin/pipelit" keygen) || die "pipelit keygen failed"
	secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	(umask 077 && cat >"$ENV_FILE" <<EOF
# Pipelit settings, created by scripts/start.sh.  See conf/env.example for all of them.
FIELD_ENCRYPTION_KEY=$key
SECRET_KEY=$secret
EOF
	)
	if is_root; then
		chgrp "$RUN_USER" "$ENV_FILE"
		chmod 0640 "$ENV_FILE"
	fi
	say "created .env with a new FIELD_ENCRYPTION_KEY and SECRET_KEY"
}

prepare_runtime_dirs() {
	mkdir -p "$RUN_DIR" "$LOG_DIR" "$NGINX_DIR/tmp" "$ROOT/data"
	if is_root; then
		chown -R "$RUN_USER:$RUN_USER" "$VAR" "$ROOT/data"
	fi
}

start_pipelit() {
	if pid_alive "$PID_FILE"; then
		say "pipelit is already running (pid $(cat "$PID_FILE"))"
		return 0
	fi
	local log_file
	log_file=$(setting LOG_FILE "$ENV_FILE" "$LOG_FILE_DEFAULT")
	say "starting pipelit serve"
	# setsid: the pool outlives this script and its terminal.
	# Live events go to nginx's publisher socket (conf/nginx.conf.in).
	local events_url=
	[ -f "$NCHAN_MODULE" ] && events_url=unix:$NGINX_DIR/events.sock
	(cd "$ROOT" && LOG_FILE=$log_file EVENTS_PUBLISH_URL=$(setting EVENTS_PUBLISH_URL "$ENV_FILE" "$events_url") exec setsid "${run_as[@]}" "$PREFIX/bin/pipelit" serve \
		--socket "$SOCKET" --pid-file "$PID_FILE") </dev/null >>"$LOG_DIR/pipelit.out" 2>&1 &
	wait_for_socket $! || die "pipelit did not come up; see $log_file and $LOG_DIR/pipelit.out"
}

# wait_for_socket PID: until the pool listens, or PID (its master) is gone.
wait_for_socket() {
	local pid=$1 deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ]; do
		[ -S "$SOCKET" ] && pid_alive "$PID_FILE" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

start_nginx() {
	if pid_alive "$NGINX_PID"; then
		say "nginx is already running (pid $(cat "$NGINX_PID"))"
		return 0
	fi
	local max_body
	max_body=$(setting PIPELIT_MAX_BODY_BYTES "$ENV_FILE" 10485760)
	render_nginx_conf "$NGINX_DIR/nginx.conf" "$NGINX_DIR" "$(http_addr):$(http_port)" \
		"$WWW_DIR" "$SOCKET" "$max_body"
	ln -sf "$NGINX_DIR/error.log" "$LOG_DIR/nginx-error.log"
	ln -sf "$NGINX_DIR/access.log" "$LOG_DIR/access.log"
	if is_root; then
		chown -R "$RUN_USER:$RUN_USER" "$NGINX_DIR"
	fi
	say "starting nginx on $(http_addr):$(http_port)"
	"${run_as[@]}" nginx -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" ||
		die "nginx did not start; see $NGINX_DIR/error.log"
}

cmd_start() {
	install_packages
	ensure_run_user
	build_and_install
	ensure_tree_reachable
	ensure_env_file
	prepare_runtime_dirs
	start_pipelit
	start_nginx
	local url
	url=$(base_url)
	wait_for_http "$url/health" 60 || die "$url/health does not answer; see $LOG_DIR/"
	cat <<EOF

Pipelit is running: $url/
  logs:  $LOG_DIR/ (pipelit.log, nginx-error.log, access.log)
  stop:  scripts/start.sh stop
EOF
}

stop_pid_file() {
	local name=$1 file=$2 signal=$3 deadline
	if ! pid_alive "$file"; then
		say "$name is not running"
		return 0
	fi
	local pid
	pid=$(cat "$file")
	kill "-$signal" "$pid"
	deadline=$((SECONDS + 60))
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name (pid $pid) did not stop in 60 s; leaving it"
		return 1
	fi
	say "stopped $name"
}

cmd_stop() {
	local rc=0
	stop_pid_file nginx "$NGINX_PID" QUIT || rc=1
	stop_pid_file pipelit "$PID_FILE" TERM || rc=1
	return $rc
}

# The address the running nginx listens on, read from the configuration it
# was started with (the environment of this call may differ).
running_url() {
	local listen
	# The first address that is not the live-events publisher's unix socket.
	listen=$(sed -n 's/^[[:space:]]*listen[[:space:]]\{1,\}\([^;[:space:]]*\).*/\1/p' \
		"$NGINX_DIR/nginx.conf" 2>/dev/null | grep -v '^unix:' | head -n 1)
	if [ -n "$listen" ]; then printf 'http://%s/\n' "$listen"; else printf '%s/\n' "$(base_url)"; fi
}

cmd_status() {
	local rc=0
	if pid_alive "$PID_FILE"; then say "pipelit: running (pid $(cat "$PID_FILE"))"; else say "pipelit: stopped"; rc=3; fi
	if pid_alive "$NGINX_PID"; then say "nginx: running (pid $(cat "$NGINX_PID")) on $(running_url)"; else say "nginx: stopped"; rc=3; fi
	return $rc
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
