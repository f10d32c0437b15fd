/*
 * tz_internal.h: the in-memory form of a zone, shared by the TZif reader
 * (tz_tzif.c) and the queries (tz.c).  Not for use outside src/sched/tz*.
 */
#ifndef PIPELIT_TZ_INTERNAL_H
#define PIPELIT_TZ_INTERNAL_H

#include "sched/tz.h"
#include "sched/tz_rule.h"

/* Offsets are bounded so that local time is within 26 hours of UTC, which
 * tz_local_to_utc's search relies on (RFC 8536 recommends -25..+26 h). */
#define TZ_OFFSET_LIMIT (26 * 3600)

struct tz_zone {
	char *name;
	size_t count;           /* transitions */
	int64_t *at;            /* count instants, strictly increasing */
	int32_t *off;           /* the offset from at[i] on */
	int32_t before_off;     /* the offset before at[0] (local time type 0) */
	char (*abbr)[TZ_ABBR_LEN];      /* count abbreviations, as off */
	char before_abbr[TZ_ABBR_LEN];
	bool has_rule;          /* the footer's rule, past the last transition */
	struct tz_rule rule;
};

#endif
