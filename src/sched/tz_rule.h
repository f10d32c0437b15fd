/*
 * tz_rule.h: the POSIX TZ string of a TZif file's footer (RFC 8536 §3.3,
 * with its version-3 extensions), e.g. "CET-1CEST,M3.5.0,M10.5.0/3": the
 * rule for every instant past the file's last transition.
 */
#ifndef PIPELIT_TZ_RULE_H
#define PIPELIT_TZ_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A day of the year on which daylight saving time starts or ends. */
struct tz_rule_date {
	char kind;      /* 'J': Julian 1..365 without 29 Feb; 'D': 0..365 with it; 'M': month.week.day */
	int n;          /* for J and D */
	int month;      /* for M: 1..12 */
	int week;       /* for M: 1..5 (5 = last) */
	int wday;       /* for M: 0..6, 0 = Sunday */
	int32_t time;   /* local seconds after midnight, -167h..167h */
};

/* A zone abbreviation ("CET", "+03") with its NUL; longer ones are cut. */
#define TZ_ABBR_LEN 16

struct tz_rule {
	int32_t std_off;        /* seconds east of UTC */
	int32_t dst_off;
	char std_abbr[TZ_ABBR_LEN];     /* "CET"; a quoted "<+03>" without its brackets */
	char dst_abbr[TZ_ABBR_LEN];
	bool has_dst;
	struct tz_rule_date start, end;   /* when has_dst */
};

/* Parses len bytes of TZ string (no NUL needed).  0, or -1 when it is not
 * a valid rule. */
int tz_rule_parse(const char *s, size_t len, struct tz_rule *out);

/* The offset the rule gives at t, and the instants [*start, *end) between
 * which it holds (INT64_MIN / INT64_MAX when it never changes). */
int32_t tz_rule_period(const struct tz_rule *r, int64_t t, int64_t *start, int64_t *end);

#endif
