#!/usr/bin/env bash
# t/quickstart/run.sh: the README's quick start, run as a newcomer runs it,
# on a machine that looks fresh.  Run as root (CI is root) from a checkout
# without .env, .local/ and data/; it reuses build/ when there is one.
#
# It enters a mount and network namespace of its own, where nginx's
# compiled-in directories (/var/lib/nginx, /var/log/nginx) are empty
# root-owned directories as on a fresh Debian machine and port 8080 is
# free, then runs the steps below in order, each printing "ok" or "not ok"
# (TAP).  To add a step: write a function step_NAME and add NAME to STEPS
# where it belongs.  Whatever the steps start is stopped, and what they
# create (.env, .local/, data/) removed, at the end.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

STEPS=(
	start_as_printed
	serves_health_and_ui
	status_names_everything
	restart_in_place
	stop_leaves_nothing
	ui_without_registry
	port_taken
	nginx_failure_stops_pipelit
	planted_links_not_followed
	planted_output_link
	beside_system_nginx
	non_root_with_sudo
)

URL=http://127.0.0.1:8080
OUT=${TMPDIR:-/tmp}/pipelit-quickstart.$$

# --- outside: checks, packages, then into the namespace ---------------------

outside() {
	is_root || die "run as root (as CI does): it mounts over /var/lib/nginx in a namespace of its own"
	local leftover
	for leftover in .env .local data; do
		[ ! -e "$ROOT/$leftover" ] ||
			die "$ROOT/$leftover exists; the quick start is tested on a checkout without .env, .local/ and data/"
	done
	# Inside there is no network: what start.sh would install comes now.
	ensure_packages $BUILD_PKGS $RUNTIME_PKGS perl sudo
	exec unshare --mount --net -- "$0" --inside
}

# --- inside ------------------------------------------------------------------

FAILED=0
N=0

ok() { N=$((N + 1)); printf 'ok %d - %s\n' "$N" "$1"; }
not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	printf 'not ok %d - %s\n' "$N" "$1"
	shift
	[ $# -eq 0 ] || printf '#   %s\n' "$@"
}
# check NAME COMMAND...: one test point, ok when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
show() { sed 's/^/#   /' "$@"; }

fresh_machine() {
	mount --make-rprivate /
	mount -t tmpfs -o mode=0755 tmpfs /var/lib/nginx
	mount -t tmpfs -o mode=0755 tmpfs /var/log/nginx
	ip link set lo up
	mkdir -p "$OUT"
}

# http_status URL: prints the status code, and the body to $OUT/body.
http_status() {
	perl -MHTTP::Tiny -e '
		my $r = HTTP::Tiny->new(timeout => 5)->get($ARGV[0]);
		open my $fh, ">", $ARGV[1] or die; print $fh $r->{content} // "";
		print $r->{status}, "\n";' "$1" "$OUT/body"
}

# http_header URL NAME: prints that header of URL's answer.
http_header() {
	perl -MHTTP::Tiny -e 'print HTTP::Tiny->new(timeout => 5)->get($ARGV[0])->{headers}{lc $ARGV[1]} // ""' "$1" "$2"
}

# Our processes: the pool (a binary under .local/) and nginx started with
# a prefix under .local/.  Prints "pid command" lines.
our_processes() {
	perl -e '
		my $local = "$ARGV[0]/.local/";
		for my $dir (glob "/proc/[0-9]*") {
			my $exe = readlink("$dir/exe") // next;
			open my $fh, "<", "$dir/cmdline" or next;
			my $cmd = join " ", split /\0/, do { local $/; <$fh> // "" };
			print substr($dir, 6), " $cmd\n"
				if index($exe, $local) == 0 || ($cmd =~ /nginx/ && index($cmd, $local) >= 0);
		}' "$ROOT"
}

nothing_of_ours_runs() {
	local left
	left=$(our_processes)
	[ -z "$left" ] && return 0
	printf '#   still running: %s\n' "$left"
	return 1
}

# The start command as the README prints it: the first line of the first
# sh block under "## Quick start", run verbatim by a shell (the comment too).
readme_start_command() {
	awk '/^## Quick start/ { q = 1 } q && /^```sh/ { getline; print; exit }' "$ROOT/README.md"
}

start_quietly() {
	(cd "$ROOT" && scripts/start.sh "$@") >"$OUT/start.out" 2>&1
}

step_start_as_printed() {
	local cmd
	cmd=$(readme_start_command)
	case $cmd in
	scripts/start.sh*) ;;
	*) not_ok "the README's quick start begins with scripts/start.sh" "found: $cmd"; return ;;
	esac
	if (cd "$ROOT" && sh -c "$cmd") >"$OUT/start.out" 2>&1; then
		ok "the README's start command as printed: $cmd"
	else
		not_ok "the README's start command as printed: $cmd"
		show "$OUT/start.out"
		return
	fi
	local want missing=
	for want in "Pipelit is running: $URL/" "user create --username admin" "/api/v1/auth/setup/" \
		".local/bin/pipelit --help" "man -l doc/pipelit.8" "scripts/start.sh stop"; do
		grep -qF -- "$want" "$OUT/start.out" || missing="$missing [$want]"
	done
	if [ -z "$missing" ]; then
		ok "the output says how to create the first admin, run the CLI and read the manual"
	else
		not_ok "the output says how to create the first admin, run the CLI and read the manual" "missing:$missing"
		show "$OUT/start.out"
	fi
}

step_serves_health_and_ui() {
	local code
	code=$(http_status "$URL/health")
	if [ "$code" = 200 ] && grep -q '"status":"ok"' "$OUT/body"; then
		ok "/health through nginx answers 200 ok"
	else
		not_ok "/health through nginx answers 200 ok" "got $code: $(cat "$OUT/body")"
	fi
	code=$(http_status "$URL/")
	if [ "$code" = 200 ] && grep -q '<title>Pipelit</title>' "$OUT/body"; then
		ok "/ through nginx serves the UI's page"
	else
		not_ok "/ through nginx serves the UI's page" "got $code"
	fi
	# With npm, make built the UI: the page loads its script from /assets/,
	# which nginx lets browsers keep.
	if command -v npm >/dev/null 2>&1; then
		local asset
		asset=$(sed -n 's|.*<script type="module"[^>]* src="\(/assets/[^"]*\.js\)".*|\1|p' "$OUT/body")
		check "with npm the UI is built: / loads its script from /assets/" test -n "$asset"
		check "a built asset is served with a year of immutable caching" \
			test "$(http_header "$URL$asset" cache-control)" = "public, max-age=31536000, immutable"
	fi
	# Live events: nginx loaded nchan, so pipelit has a publisher socket.
	check "nginx runs with the live-events publisher (nchan)" test -S "$ROOT/.local/var/nginx/publish/events.sock"
}

step_status_names_everything() {
	local version
	version=$("$ROOT/.local/bin/pipelit" version)
	if (cd "$ROOT" && scripts/start.sh status) >"$OUT/status.out" 2>&1 &&
		grep -q "pipelit: running (pid [0-9]*, up [0-9:]*); $version" "$OUT/status.out" &&
		grep -qF "database: SQLite $ROOT/data/db.sqlite3" "$OUT/status.out" &&
		grep -q "nginx: running (pid [0-9]*, up [0-9:]*) on $URL/" "$OUT/status.out"; then
		ok "status names the URL, the pids, the database, the version and the uptime"
	else
		not_ok "status names the URL, the pids, the database, the version and the uptime"
		show "$OUT/status.out"
	fi
	# PostgreSQL, as the pool would read it from the environment: the
	# database and the host (a ?host= socket directory wins), never the password.
	local url want
	for url in 'postgresql://pipelit:s3cret-pw@db.example.org:5433/pipelit_prod?sslmode=require|PostgreSQL database pipelit_prod on db.example.org port 5433' \
		'postgresql://pipelit:s3cret-pw@/pipelit?host=/run/postgresql|PostgreSQL database pipelit on /run/postgresql'; do
		want=${url#*|}
		url=${url%%|*}
		(cd "$ROOT" && DATABASE_URL=$url scripts/start.sh status) >"$OUT/status.out" 2>&1 || true
		if grep -qF "database: $want" "$OUT/status.out" && ! grep -q s3cret-pw "$OUT/status.out"; then
			ok "status with $want: named, without the password"
		else
			not_ok "status with $want: named, without the password"
			show "$OUT/status.out"
		fi
	done
}

# scripts/start.sh restart upgrades in place: the master keeps its pid, its
# children are new, /health answers with the pool still up.
step_restart_in_place() {
	local pid_file=$ROOT/.local/var/run/pipelit.pid before after code
	before=$(cat "$pid_file")
	if (cd "$ROOT" && scripts/start.sh restart) >"$OUT/restart.out" 2>&1 &&
		grep -q 'restarted in place' "$OUT/restart.out"; then
		ok "scripts/start.sh restart"
	else
		not_ok "scripts/start.sh restart"
		show "$OUT/restart.out"
	fi
	after=$(cat "$pid_file")
	check "restart kept the master (pid $before), upgraded in place" test "$before" = "$after"
	code=$(http_status "$URL/health")
	check "/health answers 200 after restart" test "$code" = 200
	check "the pool's responders are up after restart" \
		sh -c '"$1" status --pid-file "$2" | grep -q "responder"' sh "$ROOT/.local/bin/pipelit" "$pid_file"
}

step_stop_leaves_nothing() {
	if (cd "$ROOT" && scripts/start.sh stop) >"$OUT/stop.out" 2>&1; then
		ok "scripts/start.sh stop"
	else
		not_ok "scripts/start.sh stop"
		show "$OUT/stop.out"
	fi
	check "no pipelit or nginx of ours is left" nothing_of_ours_runs
	(cd "$ROOT" && scripts/start.sh status) >/dev/null 2>&1 && rc=0 || rc=$?
	check "status says stopped (exit 3)" test "$rc" = 3
}

# The npm registry out of reach (this namespace has no network) and
# nothing in npm's cache: start still works, / is the placeholder, and the
# output says the UI was not built and why.  The build's UI and
# node_modules are put aside for the step and back afterwards.
step_ui_without_registry() {
	local kept=$OUT/kept-ui
	mkdir -p "$kept"
	[ ! -d "$BUILD_DIR/www" ] || mv "$BUILD_DIR/www" "$kept/build-www"
	[ ! -d "$ROOT/www/node_modules" ] || mv "$ROOT/www/node_modules" "$kept/node_modules"
	if (cd "$ROOT" && npm_config_cache=$OUT/empty-npm-cache scripts/start.sh) >"$OUT/start.out" 2>&1 &&
		[ "$(http_status "$URL/")" = 200 ]; then
		ok "without the npm registry: start works"
	else
		not_ok "without the npm registry: start works"
		show "$OUT/start.out"
	fi
	check "without the npm registry: / is the placeholder page" grep -q pipelit-placeholder "$OUT/body"
	check "without the npm registry: the output says the UI was not built, and why" \
		grep -q 'The browser UI was not built (\(npm ci could not install\|npm was not found\)' "$OUT/start.out"
	(cd "$ROOT" && scripts/start.sh stop) >/dev/null 2>&1 || true
	rm -rf "$BUILD_DIR/www" "$ROOT/www/node_modules"
	[ ! -d "$kept/build-www" ] || mv "$kept/build-www" "$BUILD_DIR/www"
	[ ! -d "$kept/node_modules" ] || mv "$kept/node_modules" "$ROOT/www/node_modules"
	check "without the npm registry: nothing of ours is left running" nothing_of_ours_runs
}

step_port_taken() {
	# Another program on 8080: a listener of ours, held for the step.
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 8080, Listen => 1, ReuseAddr => 1) or die "$!";
		print "listening\n"; $| = 1; sleep 120' >"$OUT/holder" &
	local holder=$!
	wait_for_line "$OUT/holder" listening
	if start_quietly; then
		not_ok "port 8080 taken: start fails"
	else
		ok "port 8080 taken: start fails"
	fi
	check "port 8080 taken: the message names the port" grep -q 'port 8080 .*in use' "$OUT/start.out"
	check "port 8080 taken: nothing of ours is left running" nothing_of_ours_runs
	kill "$holder"
	wait "$holder" 2>/dev/null || true
}

wait_for_line() {
	local file=$1 line=$2 i
	for i in $(seq 100); do
		grep -q "$line" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

step_nginx_failure_stops_pipelit() {
	# nginx's compiled-in temp directory missing and impossible to create
	# (the fresh machine's failure, made permanent): nginx fails after
	# pipelit has started.
	rm -rf /var/lib/nginx/body
	mount -o remount,ro /var/lib/nginx
	if start_quietly; then
		not_ok "nginx cannot start: start fails"
	else
		ok "nginx cannot start: start fails"
	fi
	check "nginx cannot start: its own error line is shown" \
		grep -qF 'nginx: [emerg] mkdir() "/var/lib/nginx/body" failed (30: Read-only file system)' "$OUT/start.out"
	check "nginx cannot start: pipelit is stopped again" nothing_of_ours_runs
	mount -o remount,rw /var/lib/nginx
	show "$OUT/start.out"
}

# A root-owned file and directory that the pipelit user must not reach
# through links it plants in its directories.
make_targets() {
	rm -rf "$OUT/target" "$OUT/target-dir"
	printf 'root only\n' >"$OUT/target"
	chmod 0644 "$OUT/target"
	mkdir "$OUT/target-dir"
	chmod 0755 "$OUT/target-dir" "$OUT"
	touch -d '2020-01-01 00:00:00' "$OUT/target" "$OUT/target-dir"
	stat -c '%u:%g %a %Y %s' "$OUT/target" "$OUT/target-dir" >"$OUT/target.before"
}

targets_untouched() {
	stat -c '%u:%g %a %Y %s' "$OUT/target" "$OUT/target-dir" >"$OUT/target.after"
	cmp -s "$OUT/target.before" "$OUT/target.after" &&
		[ "$(cat "$OUT/target")" = "root only" ] &&
		[ -z "$(ls -A "$OUT/target-dir")" ]
}

# plant LINK TARGET: LINK made by the pipelit user.
plant() {
	rm -rf "$1"
	setpriv --reuid=pipelit --regid=pipelit --init-groups -- ln -s "$2" "$1"
}

step_planted_links_not_followed() {
	make_targets
	local v=$ROOT/.local/var
	plant "$v/nginx/nginx.conf.tmp" "$OUT/target"
	plant "$v/log/nginx-error.log" "$OUT/target-dir"
	plant "$v/log/access.log" "$OUT/target-dir"
	plant "$ROOT/data/planted" "$OUT/target"
	# A file root left in data/ (a CLI command run as root) goes to pipelit.
	touch "$ROOT/data/left-by-root"
	if start_quietly; then
		ok "links planted by the pipelit user: start works"
	else
		not_ok "links planted by the pipelit user: start works"
		show "$OUT/start.out"
	fi
	check "links planted by the pipelit user: the root-owned targets are untouched" targets_untouched
	check "a file root left in data/ is given to pipelit" \
		test "$(stat -c %U "$ROOT/data/left-by-root")" = pipelit
	(cd "$ROOT" && scripts/start.sh stop) >/dev/null 2>&1 || true
	check "links planted by the pipelit user: nothing of ours is left running" nothing_of_ours_runs
	rm -f "$ROOT/data/planted" "$ROOT/data/left-by-root"
}

step_planted_output_link() {
	make_targets
	plant "$ROOT/.local/var/log/pipelit.out" "$OUT/target"
	start_quietly || true
	check "pipelit.out linked to a root-owned file: the file is untouched" targets_untouched
	(cd "$ROOT" && scripts/start.sh stop) >/dev/null 2>&1 || true
	check "pipelit.out linked to a root-owned file: nothing of ours is left running" nothing_of_ours_runs
	rm -f "$ROOT/.local/var/log/pipelit.out"
}

step_beside_system_nginx() {
	# The system's nginx (/etc/nginx, port 80, workers as www-data) runs.
	# Its own configuration, but its pid file here: /run is the machine's.
	sed "s|^pid .*|pid $OUT/system-nginx.pid;|" /etc/nginx/nginx.conf >"$OUT/system-nginx.conf"
	nginx -c "$OUT/system-nginx.conf" >"$OUT/system-nginx.out" 2>&1 || {
		not_ok "the system's nginx starts (test setup)"
		show "$OUT/system-nginx.out"
		return
	}
	local system_pid
	system_pid=$(cat "$OUT/system-nginx.pid")
	if start_quietly && [ "$(http_status "$URL/health")" = 200 ]; then
		ok "beside a running system nginx: start works and /health answers"
	else
		not_ok "beside a running system nginx: start works and /health answers"
		show "$OUT/start.out"
	fi
	(cd "$ROOT" && scripts/start.sh stop) >/dev/null 2>&1 || true
	check "beside a running system nginx: stop leaves nothing of ours" nothing_of_ours_runs
	check "beside a running system nginx: the system's nginx still runs" kill -0 "$system_pid"
	kill -QUIT "$system_pid"
	wait_gone "$system_pid"
}

wait_gone() {
	local i
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# A user who can sudo runs the quick start in a checkout of their own
# (a copy of this one, build/ included, mounted where this one is, so
# build/'s paths hold).  /etc is a private copy, so the user and the
# sudoers entry vanish with the namespace.
step_non_root_with_sudo() {
	local user=qs-newcomer
	cp -a /etc "$OUT/etc"
	mount --bind "$OUT/etc" /etc
	useradd --create-home --home-dir "$OUT/home" --shell /bin/bash "$user"
	printf '%s ALL=(ALL) NOPASSWD: ALL\n' "$user" >"/etc/sudoers.d/$user"
	chmod 0440 "/etc/sudoers.d/$user"
	mkdir "$OUT/tree"
	tar -C "$ROOT" --exclude=./.env --exclude=./.local --exclude=./data -cf - . | tar -C "$OUT/tree" -xf -
	chown -R "$user:" "$OUT/tree"
	mount --bind "$OUT/tree" "$ROOT"
	# A fresh machine again: nginx's compiled-in directory is empty, so
	# start.sh has to create its temp directory through sudo.
	rm -rf /var/lib/nginx/body
	if runuser -u "$user" -- sh -c "cd '$ROOT' && scripts/start.sh" >"$OUT/start.out" 2>&1 &&
		[ "$(http_status "$URL/health")" = 200 ]; then
		ok "as a user with sudo: start works and /health answers"
	else
		not_ok "as a user with sudo: start works and /health answers"
		show "$OUT/start.out"
	fi
	check "as a user with sudo: nginx's temp directory was made through sudo" test -d /var/lib/nginx/body
	local owners
	owners=$(our_processes | while read -r pid rest; do stat -c %U "/proc/$pid"; done | sort -u)
	check "as a user with sudo: pipelit and nginx run as that user" test "$owners" = "$user"
	check "as a user with sudo: the output names the CLI without runuser" \
		grep -q '^    \.local/bin/pipelit --help' "$OUT/start.out"
	runuser -u "$user" -- sh -c "cd '$ROOT' && scripts/start.sh stop" >"$OUT/stop.out" 2>&1 || show "$OUT/stop.out"
	check "as a user with sudo: stop leaves nothing running" nothing_of_ours_runs
	umount "$ROOT"
	umount /etc
}

cleanup() {
	(cd "$ROOT" && scripts/start.sh stop) >/dev/null 2>&1 || true
	# Whatever a failed step left behind (its pid file gone or wrong).
	local pid rest
	our_processes | while read -r pid rest; do kill -KILL "$pid" 2>/dev/null || true; done
	rm -rf "$ROOT/.env" "$ROOT/.local" "$ROOT/data" "$OUT"
}

inside() {
	fresh_machine
	trap cleanup EXIT
	local step
	for step in "${STEPS[@]}"; do
		local began=$SECONDS
		"step_$step"
		printf '# %s: %d s\n' "$step" $((SECONDS - began))
	done
	printf '1..%d\n' "$N"
	if [ "$FAILED" -eq 0 ]; then
		say "quick start: $N passed, 0 failed"
	else
		say "quick start: $((N - FAILED)) passed, $FAILED failed"
		return 1
	fi
}

case "${1:-}" in
--inside) inside ;;
'') outside ;;
*) die "usage: t/quickstart/run.sh" ;;
esac
