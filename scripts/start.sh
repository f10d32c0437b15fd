#!/usr/bin/env bash
# start.sh: builds Pipelit and runs it (pipelit serve behind nginx) on
# http://127.0.0.1:8080, from a fresh Debian 12 machine.  See --help.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PREFIX=$ROOT/.local
VAR=$PREFIX/var
DATA_DIR=$ROOT/data
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
usage: scripts/start.sh [start|stop|restart|status|--help]

  start   (the default) install missing Debian packages, build in build/,
          install into .local/, create .env with fresh keys when there is
          none, then run 'pipelit serve' and nginx in the background and
          wait until /health answers.  Does nothing when already running.
          When something does not come up, what this run started is
          stopped again and the exit status is non-zero.
  stop    stop nginx and pipelit (pipelit drains in-flight requests).
  restart build and install the current tree, then upgrade the running
          pool in place without a failed request: 'pipelit restart' runs
          the new binary's migrations while the old pool serves, then the
          master re-executes the new binary (same pid, same socket) and
          replaces its children one at a time.  Starts everything when
          nothing runs.  See "Upgrading" in README.md.
  status  the URL, the pids, the database, the version and the uptime;
          exit status 3 when something is stopped.

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

# Started as root, pipelit and nginx run as $RUN_USER, who owns data/ and
# .local/var/.  A link that user plants in those directories would redirect
# whatever root writes, chowns or signals through them (to /etc/shadow, to
# pid 1), so root creates and chowns only the two directories themselves
# (their parents are root's) and does everything inside them as $RUN_USER:
# as_user runs its command as $RUN_USER when we are root, else as ourselves.
run_as=()
if is_root; then
	run_as=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups --)
fi
as_user() { "${run_as[@]}" "$@"; }

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
	as_user test -x "$ROOT" && return 0
	local dir=$ROOT
	while [ "$dir" != / ]; do
		if ! as_user test -x "$dir"; then
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
	# prefix= on the command line: build/ may have been configured by
	# scripts/test.sh for another prefix (nothing in the binary depends on it).
	# It installs the UI make built ($BUILD_DIR/www) as $WWW_DIR; the
	# build's own notes (a UI not built, and why) were shown by build_tree.
	make -C "$BUILD_DIR" -s install prefix="$PREFIX" >"$BUILD_DIR/install.out" 2>&1 ||
		{ cat "$BUILD_DIR/install.out" >&2; die "make install failed"; }
}

# Why the browser UI is a placeholder, or nothing when it is the real one.
ui_missing_reason() {
	local source
	source=$(cat "$BUILD_DIR/www/.ui-source" 2>/dev/null) || source=
	case $source in
	built* | shipped*) return 0 ;;
	placeholder:*) printf '%s\n' "${source#placeholder: }" ;;
	*) printf 'the build made none\n' ;;
	esac
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

# user_dir DIR: DIR (whose parent is root's) as a directory of $RUN_USER.
# Anything root left inside (a CLI command run as root creates root-owned
# files) is given to $RUN_USER too: find -P never follows a link, and
# -execdir with chown -h changes each entry from inside its own directory,
# so a link planted along the way redirects nothing.
user_dir() {
	local dir=$1
	[ -L "$dir" ] && die "$dir is a symbolic link; it must be a directory"
	mkdir -p "$dir"
	is_root || return 0
	find -P "$dir" -xdev ! -user "$RUN_USER" -execdir chown -h "$RUN_USER:$RUN_USER" {} +
}

prepare_runtime_dirs() {
	user_dir "$VAR"
	user_dir "$DATA_DIR"
	as_user mkdir -p "$RUN_DIR" "$LOG_DIR" "$NGINX_DIR/tmp" "$NGINX_DIR/publish"
	# Only the pool's user may reach the live-events socket (conf/nginx.conf.in).
	as_user chmod 0700 "$NGINX_DIR/publish"
}

# read_pid FILE: prints the pid in FILE when that process is alive.  Read
# as $RUN_USER (the file is theirs), and only a number is believed.
read_pid() {
	local pid
	pid=$(as_user sh -c '[ -f "$1" ] && head -c 32 -- "$1"' sh "$1" 2>/dev/null) || return 1
	pid=${pid%%[[:space:]]*}
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	process_running "$pid" || return 1
	printf '%s\n' "$pid"
}

STARTED=()

start_pipelit() {
	local pid
	if pid=$(read_pid "$PID_FILE"); then
		say "pipelit is already running (pid $pid)"
		return 0
	fi
	local log_file events_url=
	log_file=$(setting LOG_FILE "$ENV_FILE" "$LOG_FILE_DEFAULT")
	# Live events go to nginx's publisher socket (conf/nginx.conf.in).
	[ -f "$NCHAN_MODULE" ] && events_url=unix:$NGINX_DIR/publish/events.sock
	events_url=$(setting EVENTS_PUBLISH_URL "$ENV_FILE" "$events_url")
	say "starting pipelit serve"
	# setsid: the pool outlives this script and its terminal.  The output
	# file is opened by the shell that as_user starts, so as $RUN_USER.
	(cd "$ROOT" && exec "${run_as[@]}" env LOG_FILE="$log_file" EVENTS_PUBLISH_URL="$events_url" \
		OUT="$LOG_DIR/pipelit.out" sh -c 'exec setsid "$0" "$@" </dev/null >>"$OUT" 2>&1' \
		"$PREFIX/bin/pipelit" serve --socket "$SOCKET" --pid-file "$PID_FILE") &
	STARTED+=(pipelit)
	wait_for_socket $! || die "pipelit did not come up; see $log_file and $LOG_DIR/pipelit.out"
}

# wait_for_socket PID: until the pool listens, or PID (its master) is gone.
wait_for_socket() {
	local pid=$1 deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ]; do
		[ -S "$SOCKET" ] && read_pid "$PID_FILE" >/dev/null && return 0
		process_running "$pid" || return 1
		sleep 0.1
	done
	return 1
}

# Before anything starts: the port must be free (unless our nginx holds it).
check_port() {
	read_pid "$NGINX_PID" >/dev/null && return 0
	local addr port
	addr=$(http_addr)
	port=$(http_port)
	port_free "$addr" "$port" && return 0
	die "port $port on $addr is in use by another program; stop it, or choose another port: PIPELIT_HTTP_PORT=$((port + 1)) scripts/start.sh"
}

start_nginx() {
	local pid
	if pid=$(read_pid "$NGINX_PID"); then
		say "nginx is already running (pid $pid)"
		return 0
	fi
	ensure_nchan_temp_dir || say "warning: could not create nginx's compiled-in temp directory"
	local max_body
	max_body=$(setting PIPELIT_MAX_BODY_BYTES "$ENV_FILE" 10485760)
	nginx_conf_text "$NGINX_DIR" "$(http_addr):$(http_port)" "$WWW_DIR" "$SOCKET" "$max_body" |
		as_user sh -c 't=$(mktemp "$1.XXXXXX") && cat >"$t" && chmod 0644 "$t" && mv -f "$t" "$1"' sh "$NGINX_DIR/nginx.conf"
	as_user ln -sfn "$NGINX_DIR/error.log" "$LOG_DIR/nginx-error.log"
	as_user ln -sfn "$NGINX_DIR/access.log" "$LOG_DIR/access.log"
	say "starting nginx on $(http_addr):$(http_port)"
	# In the foreground (daemon off) as a child of ours under setsid, so its
	# pid is known even when it fails after daemonizing would have hidden it
	# (nginx reports a pid file it cannot write, and carries on).  Why it
	# cannot start ("[emerg] bind() ... failed") goes to nginx.out.
	local out=$NGINX_DIR/nginx.out
	(exec "${run_as[@]}" env OUT="$out" sh -c 'exec setsid "$0" "$@" </dev/null >"$OUT" 2>&1' \
		nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" -g 'daemon off;') &
	pid=$!
	STARTED+=("nginx:$pid")
	local deadline=$((SECONDS + 15))
	while [ "$(read_pid "$NGINX_PID" || true)" != "$pid" ]; do
		if ! process_running "$pid" || [ $SECONDS -ge $deadline ]; then
			# nginx's own words: its [emerg] lines, else whatever it printed.
			as_user sh -c 'grep -E "\[(emerg|alert|crit)\]" "$1" || cat "$1"' sh "$out" >&2 || true
			die "nginx did not start (the line above is nginx's; $LOG_DIR/nginx-error.log has more)"
		fi
		sleep 0.1
	done
}

# On a failed start, what this run started is stopped again (set as the
# EXIT trap of cmd_start): nothing is left running half-started.
stop_started() {
	local entry stopped=()
	for entry in "${STARTED[@]}"; do
		case $entry in
		nginx:*) process_running "${entry#nginx:}" && stop_pid nginx "${entry#nginx:}" QUIT >/dev/null && stopped+=(nginx) ;;
		pipelit) stop_pid_file pipelit "$PID_FILE" TERM >/dev/null && stopped+=(pipelit) ;;
		esac
	done
	[ ${#stopped[@]} -eq 0 ] || say "stopped ${stopped[*]} again"
}

# How to go on: the first admin, the CLI and the manual, with the commands
# this machine needs (as root, the CLI runs as $RUN_USER like the pool, so
# the files it creates stay the pool's).
print_next_steps() {
	local url=$1 cli=.local/bin/pipelit prefix= man_note=
	is_root && prefix="runuser -u $RUN_USER -- "
	command -v man >/dev/null 2>&1 || man_note="  (man is in the man-db package)"
	cat <<EOF

Pipelit is running: $url/

  The first admin (once; the API refuses setup when a user exists):
    cd $ROOT && ${prefix}$cli user create --username admin --role admin --password-stdin
    or: curl -H 'Content-Type: application/json' -d '{"username":"admin","password":"..."}' ${url}/api/v1/auth/setup/
  The CLI: from $ROOT (it reads .env and data/ there):
    ${prefix}$cli --help
  The manual: man -l doc/pipelit.8 doc/pipelit-db.8$man_note
  Status:     scripts/start.sh status
  Logs:       $LOG_DIR/ (pipelit.log, nginx-error.log, access.log)
  Stop:       scripts/start.sh stop
EOF
	local why
	why=$(ui_missing_reason)
	[ -z "$why" ] || cat <<EOF

  The browser UI was not built ($why): $url/ shows a placeholder
  page; the API works.  Install Node.js 18 or newer with npm (apt-get install
  nodejs npm) and run scripts/start.sh restart with the npm registry
  reachable, or build from a release tarball (make dist), which carries the UI.
EOF
}

cmd_start() {
	trap 'rc=$?; [ $rc -eq 0 ] || stop_started; exit $rc' EXIT
	install_packages
	ensure_run_user
	build_and_install
	ensure_tree_reachable
	ensure_env_file
	prepare_runtime_dirs
	check_port
	start_pipelit
	start_nginx
	local url
	url=$(base_url)
	wait_for_http "$url/health" 60 || die "$url/health does not answer; see $LOG_DIR/"
	print_next_steps "$url"
}

# stop_pid NAME PID SIGNAL: signals PID (as $RUN_USER, so a pid read from
# that user's files can name only that user's processes) and waits until
# it is gone.
stop_pid() {
	local name=$1 pid=$2 signal=$3 deadline
	as_user sh -c 'kill -s "$1" "$2"' sh "$signal" "$pid" || { say "could not signal $name (pid $pid)"; return 1; }
	deadline=$((SECONDS + 60))
	while process_running "$pid" && [ $SECONDS -lt $deadline ]; do
		sleep 0.1
	done
	if process_running "$pid"; then
		say "$name (pid $pid) did not stop in 60 s; leaving it"
		return 1
	fi
	say "stopped $name"
}

# stop_pid_file NAME FILE SIGNAL: stop_pid for the process in FILE.
stop_pid_file() {
	local pid
	if ! pid=$(read_pid "$2"); then
		say "$1 is not running"
		return 0
	fi
	stop_pid "$1" "$pid" "$3"
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

# The database the pool uses, as the pool finds it (the environment, else
# .env in $ROOT, relative paths from $ROOT), never with its password.
backend_description() {
	local url rest host= port= db
	url=$(setting DATABASE_URL "$ENV_FILE" '')
	case $url in
	'')
		local dir
		dir=$(setting PIPELIT_DATA_DIR "$ENV_FILE" ./data)
		case $dir in /*) ;; *) dir=$ROOT/${dir#./} ;; esac
		printf 'SQLite %s/db.sqlite3\n' "${dir%/}"
		;;
	sqlite:////*) printf 'SQLite %s\n' "${url#sqlite:///}" ;;
	sqlite:///*) printf 'SQLite %s/%s\n' "$ROOT" "${url#sqlite:///}" | sed 's|/\./|/|' ;;
	postgres://* | postgresql://*)
		local authority path query= param
		rest=${url#*://}
		authority=${rest%%[/?]*}
		path=${rest#"$authority"}
		case $path in *\?*) query=${path#*\?}; path=${path%%\?*} ;; esac
		db=${path#/}
		host=${authority##*@}         # user:password@ is never shown
		case $host in *:*) port=${host##*:}; host=${host%:*} ;; esac
		# Query parameters win over the authority, as in libpq (?host= names
		# a socket directory).
		for param in ${query//&/ }; do
			case $param in
			host=*) host=${param#host=} ;;
			port=*) port=${param#port=} ;;
			dbname=*) db=${param#dbname=} ;;
			esac
		done
		printf 'PostgreSQL database %s on %s%s\n' "${db:-(default)}" "${host:-localhost}" "${port:+ port $port}"
		;;
	*) printf 'unrecognised DATABASE_URL scheme %s\n' "${url%%:*}" ;;
	esac
}

# uptime_of PID: how long the process has run, e.g. "2d 03:04:05" (from
# /proc: field 22 of stat is its start in clock ticks after boot).
uptime_of() {
	local stat start up s
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }                 # the fields after the command name
	start=$(printf '%s\n' "$stat" | awk '{ print $20 }')
	up=$(cut -d. -f1 /proc/uptime)
	s=$((up - start / $(getconf CLK_TCK)))
	if [ "$s" -ge 86400 ]; then
		printf '%dd %02d:%02d:%02d\n' $((s / 86400)) $((s % 86400 / 3600)) $((s % 3600 / 60)) $((s % 60))
	else
		printf '%02d:%02d:%02d\n' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
	fi
}

cmd_status() {
	local rc=0 pid version
	version=$("$PREFIX/bin/pipelit" version 2>/dev/null) || version="not installed"
	if pid=$(read_pid "$PID_FILE"); then
		say "pipelit: running (pid $pid, up $(uptime_of "$pid")); $version"
	else
		say "pipelit: stopped; $version"
		rc=3
	fi
	say "database: $(backend_description)"
	if pid=$(read_pid "$NGINX_PID"); then
		say "nginx: running (pid $pid, up $(uptime_of "$pid")) on $(running_url)"
	else
		say "nginx: stopped"
		rc=3
	fi
	return $rc
}

# restart: the new build replaces the running pool in place (pipelit
# restart: migrate, SIGUSR2 re-exec, children replaced one at a time).
cmd_restart() {
	local pid
	if ! pid=$(read_pid "$PID_FILE"); then
		say "pipelit is not running; starting it"
		cmd_start
		return
	fi
	install_packages
	build_and_install
	say "upgrading pipelit (pid $pid) in place"
	local log_file
	log_file=$(setting LOG_FILE "$ENV_FILE" "$LOG_FILE_DEFAULT")
	(cd "$ROOT" && "${run_as[@]}" env LOG_FILE="$log_file" \
		"$PREFIX/bin/pipelit" restart --pid-file "$PID_FILE") ||
		die "the upgrade did not complete; see $log_file"
	read_pid "$NGINX_PID" >/dev/null || start_nginx
	local url
	url=$(base_url)
	wait_for_http "$url/health" 60 || die "$url/health does not answer; see $LOG_DIR/"
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_restart ;;
status) cmd_status ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
