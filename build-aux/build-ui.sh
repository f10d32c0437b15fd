#!/bin/sh
# build-ui.sh SRCDIR OUTDIR NPM: makes OUTDIR the browser UI that nginx
# serves, from whichever of these comes first (run by `make`; see
# "The browser UI" in README.md):
#
#   1. npm (NPM not empty): `npm ci` in SRCDIR/www when package-lock.json is
#      newer than what node_modules holds, then `npm run build` (typecheck
#      and vite build) into OUTDIR when a source is newer than OUTDIR's
#      stamp.  A failed `npm ci` (no network) falls through to 2 and 3 with
#      a warning; a failed build (a type error) fails make.
#   2. the UI built by `make dist` and shipped in the tarball (SRCDIR/www-built).
#   3. www/placeholder.html as OUTDIR/index.html, and a note saying how to
#      get the real UI.
#
# Each step leaves OUTDIR/.ui-source saying which one made it, so a later
# run replaces a placeholder or a copy, and never a build with a placeholder.
set -u

srcdir=$1
out=$2
npm=${3:-}
www=$srcdir/www
stamp=$out/.ui-source
me=build-ui

note() { printf '%s: %s\n' "$me" "$*" >&2; }

# built, shipped, placeholder (the stamp's first word) or none.
source_kind() { sed -n '1{s/[: ].*//;p;}' "$stamp" 2>/dev/null | grep . || echo none; }

# True when a file the build reads is newer than the stamp (or no stamp).
sources_changed() {
	[ "$(source_kind)" = built ] || return 0
	[ -n "$(find "$www/src" "$www/index.html" "$www/package.json" "$www/package-lock.json" \
		"$www/tsconfig.json" "$www/vite.config.ts" "$www/node_modules/.package-lock.json" \
		-newer "$stamp" -print 2>/dev/null | head -n 1)" ]
}

# npm ci when the lock file is newer than the install (npm writes
# node_modules/.package-lock.json on every install).
install_modules() {
	if [ -f "$www/node_modules/.package-lock.json" ] &&
	   [ ! "$www/package-lock.json" -nt "$www/node_modules/.package-lock.json" ]; then
		return 0
	fi
	note "installing the UI's build tools (npm ci in $www)"
	# The cache first (an offline rebuild works), and one quick retry: a
	# machine without the registry learns it in seconds, not minutes.
	(cd "$www" && "$npm" ci --no-audit --no-fund --prefer-offline --fetch-retries=1 \
		--fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 >"$out.npm-ci.log" 2>&1) && return 0
	tail -n 15 "$out.npm-ci.log" | sed "s/^/$me:   /" >&2
	note "npm ci failed (is the npm registry reachable?); full log: $out.npm-ci.log"
	return 1
}

build_with_npm() {
	install_modules || return 2
	sources_changed || return 0
	note "building the UI (npm run build) into $out"
	rm -f "$stamp"
	# Vite empties its outDir first: a failed build leaves no stale stamp.
	if ! (cd "$www" && PIPELIT_UI_OUT_DIR=$out "$npm" run --silent build); then
		note "the UI's build failed (see above)"
		return 1
	fi
	echo built >"$stamp"
}

copy_shipped() {
	[ -f "$srcdir/www-built/index.html" ] || return 1
	[ "$(source_kind)" = shipped ] && [ ! "$srcdir/www-built/index.html" -nt "$stamp" ] && return 0
	rm -rf "$out" && mkdir -p "$out" && cp -R "$srcdir/www-built/." "$out/" || return 1
	echo shipped >"$stamp"
	note "using the UI built for this release (www-built/)"
}

placeholder() {
	case $(source_kind) in built | shipped) note "keeping the UI built before in $out"; return 0 ;; esac
	mkdir -p "$out" && cp "$www/placeholder.html" "$out/index.html" || return 1
	echo "placeholder: $1" >"$stamp"
	cat >&2 <<EOF
$me: ------------------------------------------------------------------
$me: The browser UI was NOT built: $1.
$me: nginx serves a placeholder page at / (the API works as usual).
$me: To get the UI, install Node.js 18 or newer with npm
$me: (apt-get install nodejs npm) and run make again with the npm
$me: registry reachable, or build from a release tarball (make dist),
$me: which carries the built UI and needs no Node.js.
$me: ------------------------------------------------------------------
EOF
}

mkdir -p "$out" || exit 1
if [ -n "$npm" ] && [ -f "$www/package.json" ]; then
	build_with_npm
	case $? in
	0) exit 0 ;;
	1) exit 1 ;;
	esac
	if [ "$(source_kind)" = built ]; then
		note "keeping the UI built before in $out (it may be older than the sources)"
		exit 0
	fi
	copy_shipped && exit 0
	placeholder "npm ci could not install its build tools"
	exit $?
fi
copy_shipped && exit 0
placeholder "npm was not found when configure ran"
