#!/usr/bin/env bash
# bench/ui.sh: the browser UI in headless chromium (Debian's /usr/bin/chromium,
# driven by playwright-core) against a real nginx and `pipelit serve` on
# SQLite, with a workflow of 200 nodes and 250 edges made through the API:
#
#   - time from navigation to an interactive canvas (target < 1.5 s), next
#     to a baseline (the navigation to a static file of the same nginx)
#   - frame time while panning (requestAnimationFrame intervals during a
#     scripted drag), next to the same drag over an empty page
#   - the gzipped JavaScript the login page (target < 150 kB) and the editor
#     (target < 400 kB) load: gzip -9 of each .js file the page fetched
#
# Prints a table (bench/README.md "bench/ui.sh"); never fails because a
# target is missed.  Not part of make check.  Builds first (scripts/test.sh's
# build/, the UI with it); needs node, npm and chromium.
#
#   bench/ui.sh                 3 runs of the navigation (BENCH_UI_RUNS=N for more)
#   PIPELIT_BUILD_DIR=dir bench/ui.sh
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

case "${1:-}" in
-h | --help)
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
	exit 0
	;;
esac

command -v node >/dev/null 2>&1 || die "node is not installed (apt-get install nodejs npm)"
[ -x "${PIPELIT_CHROMIUM:-/usr/bin/chromium}" ] || die "chromium is not installed (apt-get install chromium)"
bootstrap_autotools
build_tree
case $(cat "$BUILD_DIR/www/.ui-source" 2>/dev/null) in
built*) ;;
*) die "the UI is not built in $BUILD_DIR/www (npm is needed; see README.md \"The browser UI\")" ;;
esac

export PIPELIT_BIN=$BUILD_DIR/pipelit PIPELIT_SRCDIR=$ROOT PIPELIT_WWW_DIR=$BUILD_DIR/www
export PIPELIT_BROWSER_TIMEOUT=${PIPELIT_BROWSER_TIMEOUT:-600}
say "chromium $("${PIPELIT_CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | awk '{ print $2 }'), node $(node --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
perl -I"$ROOT/t/lib" "$ROOT/t/browser/run.pl" "$ROOT/bench/ui.mjs"
