/*
 * isotime.h: ISO-8601 datetimes for the datetime operators.
 *
 * What datetime.fromisoformat(text.replace("Z", "+00:00")) of Python 3.11
 * accepts: a date (YYYY-MM-DD, YYYYMMDD, YYYY-Www[-D], YYYYWww[D]),
 * optionally one separator character and a time (HH[:MM[:SS[.f]]] or
 * HH[MM[SS[.f]]], '.' or ',' before 1 or more fraction digits, kept to
 * microseconds), optionally an offset (Z, +HH, +HH:MM, +HHMM, +HH:MM:SS[.f],
 * spaces allowed before it).
 *
 * Unlike Python, a value without an offset (naive) is taken as UTC, so
 * naive and aware values compare instead of raising TypeError (Pipelit's
 * node then failed whenever a field was aware and the other side naive
 * or unparseable).  Unparseable on either side makes every datetime
 * operator false.
 */
#ifndef PIPELIT_NODES_ISOTIME_H
#define PIPELIT_NODES_ISOTIME_H

#include <stdint.h>

struct iso_instant {
	int64_t seconds;   /* since 1970-01-01T00:00:00 UTC */
	int64_t micros;    /* 0..999999 */
};

/* 0 with *out, or -1 when text is no ISO-8601 datetime. */
int iso_instant_parse(const char *text, struct iso_instant *out);
/* -1, 0 or 1 as a is before, at or after b. */
int iso_instant_cmp(const struct iso_instant *a, const struct iso_instant *b);

#endif
