#!/usr/bin/env bash
# bench/llm_wire.sh: microseconds per operation of the LLM wire formats
# (doc/llm-wire.md): a streamed answer decoded per event and per MB (both
# wires), a request body for a 40-message conversation, a whole answer
# parsed.  ROUNDS (default 200) streams of 500 events each.
#
#   bench/llm_wire.sh [ROUNDS]
# Needs a build in build/ (scripts/test.sh or make); PIPELIT_BUILD_DIR
# points elsewhere.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PIPELIT_BUILD_DIR:-$SRC/build}
[ -f "$BUILD/libpipelit.a" ] || { echo "no $BUILD/libpipelit.a: build first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pipelit-bench-llm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck disable=SC2046 # pkg-config prints words on purpose
cc -O2 -I"$SRC/src" -I"$BUILD/src" $(pkg-config --cflags jansson libcurl) -o "$WORK/llm_wire" \
	"$SRC/bench/llm_wire.c" "$BUILD/libpipelit.a" $(pkg-config --libs jansson libcurl) -lm
"$WORK/llm_wire" "${1:-200}"
