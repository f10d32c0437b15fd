#!/usr/bin/env bash
# bench/sqlite_sync.sh: what synchronous=FULL costs against NORMAL.  A few
# writer processes commit one-row transactions through Pipelit's db layer
# for a few seconds each at FULL through the group commit (how Pipelit
# runs), at SQLite's own FULL (a sync inside each commit) and at NORMAL, on
# a file in DIR (default: a temporary directory under /var/tmp, a real disk
# rather than a tmpfs, where fsync costs nothing); prints commits/s for
# each and the ratios.
#
#   bench/sqlite_sync.sh [--seconds N] [--writers N] [--dir DIR]
# Needs a build in build/ (scripts/test.sh or make); PIPELIT_BUILD_DIR
# points elsewhere.
set -euo pipefail

SECONDS_EACH=5
WRITERS=4
DIR=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_EACH=$2; shift 2 ;;
	--writers) WRITERS=$2; shift 2 ;;
	--dir) DIR=$2; shift 2 ;;
	-h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PIPELIT_BUILD_DIR:-$SRC/build}
[ -f "$BUILD/libpipelit.a" ] || { echo "no $BUILD/libpipelit.a: build first" >&2; exit 1; }
WORK=$(mktemp -d "${DIR:-/var/tmp}/pipelit-bench-sync.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# shellcheck disable=SC2046 # pkg-config prints words on purpose
cc -O2 -I"$SRC/src" -I"$BUILD/src" -o "$WORK/sqlite_sync" "$SRC/bench/sqlite_sync.c" \
	"$BUILD/libpipelit.a" $(pkg-config --libs sqlite3 libpq jansson libsodium libcurl) -lfcgi
echo "file system: $(df -T "$WORK" | awk 'NR==2 {print $2}') ($WORK)"
"$WORK/sqlite_sync" "$WORK" "$SECONDS_EACH" "$WRITERS"
