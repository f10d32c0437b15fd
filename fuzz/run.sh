#!/usr/bin/env bash
# fuzz/run.sh: builds every libFuzzer target (fuzz/fuzz_*.c) with clang
# under AddressSanitizer and UBSan, and runs each for FUZZ_SECONDS (default
# 20) from its seed corpus in fuzz/corpus/<name>/.  A crash stops with the
# reproducer's path and a non-zero status; the last line is
# "N targets, N failed".
#
#   fuzz/run.sh                 every target, 20 s each
#   FUZZ_SECONDS=300 fuzz/run.sh query json_body
#   make -C build fuzz FUZZ_SECONDS=60
#
# The objects are built in build-fuzz/ (PIPELIT_FUZZ_BUILD_DIR), apart from
# the normal build; new inputs found are kept in build-fuzz/corpus/<name>/,
# never in the seed corpus.  Installs clang and libclang-rt-14-dev when
# missing (libFuzzer's runtime).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

FUZZ_DIR=$ROOT/fuzz
OUT=${PIPELIT_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-20}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
DEPS="fcgi sqlite3 libpq jansson libsodium libcurl libpcre2-8"

build_library() {
	mkdir -p "$OUT"
	if [ ! -f "$OUT/Makefile" ] || [ "$ROOT/configure" -nt "$OUT/config.status" ]; then
		say "configuring the fuzzing build in ${OUT#"$ROOT"/}"
		(cd "$OUT" && "$ROOT/configure" -q --without-mimalloc CC=clang \
			CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $SAN -Wno-string-concatenation -Wno-string-plus-int") ||
			die "configure failed (see $OUT/config.log)"
	fi
	make -C "$OUT" -s -j2 src/db/migrations_embedded.c libpipelit.a >/dev/null ||
		die "the fuzzing build failed"
}

build_target() {
	local name=$1
	# shellcheck disable=SC2046,SC2086 # pkg-config prints words on purpose
	clang -g -O1 -fsanitize=fuzzer $SAN -I"$ROOT/src" -I"$OUT/src" \
		$(pkg-config --cflags $DEPS) "$FUZZ_DIR/fuzz_$name.c" "$OUT/libpipelit.a" \
		$(pkg-config --libs $DEPS) -lm -o "$OUT/fuzz_$name"
}

run_target() {
	local name=$1 work=$OUT/corpus/$name
	mkdir -p "$work" "$OUT/crashes"
	say "fuzzing $name for ${SECONDS_EACH}s"
	# -rss_limit_mb: a parser must not need more than this for inputs of
	# at most -max_len bytes.
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$OUT/fuzz_$name" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$OUT/crashes/$name-" \
		"$work" "$FUZZ_DIR/corpus/$name" >"$OUT/$name.log" 2>&1
}

main() {
	ensure_packages $BUILD_PKGS clang libclang-rt-14-dev
	local targets=("$@")
	if [ ${#targets[@]} -eq 0 ]; then
		for f in "$FUZZ_DIR"/fuzz_*.c; do
			targets+=("$(basename "$f" .c | sed 's/^fuzz_//')")
		done
	fi
	bootstrap_autotools
	build_library
	local failed=0
	for name in "${targets[@]}"; do
		[ -f "$FUZZ_DIR/fuzz_$name.c" ] || die "no target fuzz/fuzz_$name.c"
		build_target "$name" || die "building fuzz_$name failed"
		if run_target "$name"; then
			say "$name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$name.log" | grep -o '[0-9]*$') runs, no finding"
		else
			failed=$((failed + 1))
			say "$name: FOUND A PROBLEM (log: $OUT/$name.log)"
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$OUT/$name.log" | head -n 8 >&2 || true
		fi
	done
	echo "${#targets[@]} targets, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
