/*
 * fuzz_util.h: what the libFuzzer targets share.  Each target is one file,
 * fuzz_<name>.c, with its seeds in fuzz/corpus/<name>/; fuzz/run.sh builds
 * and runs them (doc: fuzz/README.md).
 */
#ifndef PIPELIT_FUZZ_UTIL_H
#define PIPELIT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; the caller frees).
 * Parsers of C strings see everything up to the first NUL. */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
