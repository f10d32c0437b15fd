#!/usr/bin/env bash
# bench/cron_next.sh: microseconds per call of the cron library (zone load,
# parse, next run for several expressions in Europe/Berlin), N calls each
# (default 20000).
#
#   bench/cron_next.sh [N]
# Needs a build in build/ (scripts/test.sh or make); PIPELIT_BUILD_DIR
# points elsewhere.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PIPELIT_BUILD_DIR:-$SRC/build}
[ -f "$BUILD/libpipelit.a" ] || { echo "no $BUILD/libpipelit.a: build first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pipelit-bench-cron.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cc -O2 -I"$SRC/src" -I"$BUILD/src" -o "$WORK/cron_next" "$SRC/bench/cron_next.c" "$BUILD/libpipelit.a"
"$WORK/cron_next" "${1:-20000}"
