# lib.sh: shell functions shared by scripts/start.sh, scripts/test.sh and
# bench/run.sh.  Sourced, not run.  Expects bash with set -eu.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${PIPELIT_BUILD_DIR:-$ROOT/build}

BUILD_PKGS="build-essential autoconf automake libtool pkg-config libfcgi-dev
	libsqlite3-dev libpq-dev libjansson-dev libsodium-dev libcurl4-openssl-dev libpcre2-dev
	libmimalloc-dev"
# tzdata: the time zones of cron schedules (doc/cron.md)
RUNTIME_PKGS="nginx-light libnginx-mod-nchan sqlite3 tzdata"
# chromium: the browser tests (t/browser/) drive Debian's /usr/bin/chromium.
# Node.js and npm are not listed: a machine may have them from elsewhere
# (nodesource's nodejs carries npm, and conflicts with Debian's npm); without
# them make serves a placeholder UI and the browser tests skip.
TEST_PKGS="postgresql spawn-fcgi libfcgi-bin perl sudo apache2 libapache2-mod-fcgid logrotate
	clang libclang-rt-14-dev chromium"
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
PG_BIN=/usr/lib/postgresql/15/bin

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
	if is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run '$*' and sudo is not installed; run this script as root once"
	fi
}

# Installs the Debian packages among "$@" that dpkg does not know as
# installed (asked in one dpkg-query); apt-get update runs once, and only
# when something is missing.
ensure_packages() {
	local missing=() installed pkg
	installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
		awk '/ install ok installed$/ { print $1 }') || true
	for pkg in "$@"; do
		printf '%s\n' "$installed" | grep -qx -- "$pkg" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing missing packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" </dev/null
}

# Generates configure when it is missing or older than configure.ac (a
# fresh clone has only the autotools inputs).
bootstrap_autotools() {
	if [ ! -x "$ROOT/configure" ] || [ "$ROOT/configure.ac" -nt "$ROOT/configure" ] ||
	   [ ! -f "$ROOT/build-aux/tap-driver.sh" ]; then
		say "running autoreconf -fi"
		(cd "$ROOT" && autoreconf -fi) || die "autoreconf failed"
	fi
	if [ -f "$ROOT/config.status" ]; then
		die "$ROOT was configured in place; run 'make distclean' there first (the scripts build in $BUILD_DIR)"
	fi
}

# Configures (once, or again when configure changed) and builds out of tree
# in $BUILD_DIR.  Arguments are passed to configure.
build_tree() {
	mkdir -p "$BUILD_DIR"
	if [ ! -f "$BUILD_DIR/Makefile" ] || [ "$ROOT/configure" -nt "$BUILD_DIR/config.status" ]; then
		say "configuring in ${BUILD_DIR#"$ROOT"/}"
		(cd "$BUILD_DIR" && "$ROOT/configure" -q "$@") || die "configure failed (see $BUILD_DIR/config.log)"
	fi
	say "building"
	make -C "$BUILD_DIR" -s -j"$(nproc)" || die "the build failed"
}

# Prints the load_module line for nchan when the module is installed.
nginx_module_lines() {
	if [ -f "$NCHAN_MODULE" ]; then
		printf 'load_module %s;\n' "$NCHAN_MODULE"
	fi
}

# nginx_conf_text PREFIX LISTEN WWW_DIR SOCKET MAX_BODY [USER_LINE]
# Prints conf/nginx.conf.in filled in.
nginx_conf_text() {
	local prefix=$1 listen=$2 www=$3 socket=$4 max_body=$5 user_line=${6:-}
	local modules
	modules=$(nginx_module_lines)
	local nchan_mark='#'
	[ -f "$NCHAN_MODULE" ] && nchan_mark=''
	sed -e "s|@LOAD_MODULES@|$modules|" \
	    -e "s|@NCHAN@|$nchan_mark|g" \
	    -e "s|@USER_LINE@|$user_line|" \
	    -e "s|@PREFIX@|$prefix|g" \
	    -e "s|@LISTEN@|$listen|g" \
	    -e "s|@WWW_DIR@|$www|g" \
	    -e "s|@SOCKET@|$socket|g" \
	    -e "s|@MAX_BODY@|$max_body|g" \
	    -e "s|@EVENT_TICKET_SECONDS@|$(setting EVENT_TICKET_SECONDS "${ENV_FILE:-}" 60)|g" \
	    -e "s|@EVENT_BUFFER_SECONDS@|$(setting EVENT_BUFFER_SECONDS "${ENV_FILE:-}" 300)|g" \
	    "$ROOT/conf/nginx.conf.in"
}

# render_nginx_conf OUT PREFIX LISTEN WWW_DIR SOCKET MAX_BODY [USER_LINE]
# Writes conf/nginx.conf.in filled in to OUT; creates the prefix's temp directory.
render_nginx_conf() {
	local out=$1
	shift
	mkdir -p "$1/tmp" "$1/publish"
	# The live-events socket's directory: only its owner (pipelit's user)
	# may reach the socket nginx makes 0666 (conf/nginx.conf.in).
	chmod 0700 "$1/publish"
	nginx_conf_text "$@" >"$out.tmp"
	mv "$out.tmp" "$out"
}

# The nchan module registers nginx's compiled-in client body temp directory
# (/var/lib/nginx/body on Debian) as soon as an http{} block opens: it is the
# default of nchan_message_temp_path, set in the module's create_main_conf
# before any directive is read (so that directive cannot move it; nginx calls
# it a duplicate).  nginx creates every registered path when it starts, and
# an unprivileged nginx cannot create one in the root-owned /var/lib/nginx
# that a fresh machine (a container, an image built with policy-rc.d) has
# empty.  Creating it once as root, as the system's nginx does on its first
# start, lets ours start; ours never writes there (its client_body_temp_path
# is under its own prefix, and nchan uses that one first).
ensure_nchan_temp_dir() {
	[ -f "$NCHAN_MODULE" ] || return 0
	local dir
	dir=$(nginx -V 2>&1 | tr ' ' '\n' | sed -n 's/^--http-client-body-temp-path=//p')
	[ -n "$dir" ] || return 0
	[ -d "$dir" ] && return 0
	say "creating $dir (nginx's compiled-in temp directory: nginx with the nchan module needs it to exist)"
	as_root install -d -m 0700 "$dir"
}

# port_free ADDR PORT: true when nothing listens on ADDR:PORT (bound the way
# nginx binds, with SO_REUSEADDR, so a connection in TIME_WAIT does not count).
port_free() {
	perl -MIO::Socket::INET -e \
		'IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Listen => 1, ReuseAddr => 1) or exit 1' \
		"$1" "$2"
}

# Prints the value of KEY from the environment, else from the .env file
# FILE, else DEFAULT.  Only plain KEY=VALUE lines (optionally quoted) are read.
setting() {
	local key=$1 file=$2 default=$3 value
	if [ -n "${!key:-}" ]; then
		printf '%s\n' "${!key}"
		return
	fi
	if [ -f "$file" ]; then
		value=$(sed -n -e "s/^[[:space:]]*\(export[[:space:]]\+\)\?$key=//p" "$file" | tail -n 1)
		value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
		if [ -n "$value" ]; then
			printf '%s\n' "$value"
			return
		fi
	fi
	printf '%s\n' "$default"
}

# Prints a TCP port nobody listens on right now.
free_port() {
	perl -MIO::Socket::INET -e \
		'my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1) or die; print $s->sockport, "\n"'
}

# wait_for_http URL SECONDS: polls until URL answers 200.
wait_for_http() {
	local url=$1 deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		if perl -MHTTP::Tiny -e 'exit(HTTP::Tiny->new(timeout => 2)->get($ARGV[0])->{status} == 200 ? 0 : 1)' "$url"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# process_running PID: true while PID runs.  A child of ours that exited
# stays a zombie until we reap it, and kill -0 still finds that.
process_running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# True when process PID (from the file) is alive.
pid_alive() {
	local file=$1 pid
	[ -f "$file" ] || return 1
	pid=$(cat "$file" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
