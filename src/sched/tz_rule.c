/* tz_rule.c: parsing and evaluating a POSIX TZ rule string. */
#include "sched/tz_rule.h"

#include <string.h>

#include "sched/tz_civil.h"

#define TZ_RULE_T_LIMIT ((int64_t)1 << 45)

/* A cursor over the bytes of the string. */
struct cursor {
	const char *p, *end;
};

static int
peek(const struct cursor *c)
{
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool
is_alpha(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits,
 * '+' and '-', copied into out (cut to TZ_ABBR_LEN - 1 bytes, without the
 * brackets): the offsets carry the meaning, the name is only shown. */
static int
parse_abbr(struct cursor *c, char out[TZ_ABBR_LEN])
{
	int n = 0;
	bool quoted = peek(c) == '<';
	if (quoted)
		c->p++;
	const char *start = c->p;
	if (quoted) {
		while (peek(c) != '>') {
			int ch = peek(c);
			if (!(is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-'))
				return -1;
			c->p++;
			n++;
		}
	} else {
		while (is_alpha(peek(c))) {
			c->p++;
			n++;
		}
	}
	size_t keep = (size_t)n < TZ_ABBR_LEN - 1 ? (size_t)n : TZ_ABBR_LEN - 1;
	memcpy(out, start, keep);
	out[keep] = '\0';
	if (quoted)
		c->p++;
	return n >= 3 ? 0 : -1;
}

/* Up to `digits` decimal digits, at least one, at most max. */
static int
parse_num(struct cursor *c, int digits, int max, int *out)
{
	int v = 0, n = 0;
	while (n < digits && is_digit(peek(c))) {
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	if (n == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh at most max_hours, as signed seconds. */
static int
parse_hms(struct cursor *c, int max_hours, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;
	if (peek(c) == '+' || peek(c) == '-')
		sign = *c->p++ == '-' ? -1 : 1;
	if (parse_num(c, 3, max_hours, &h) != 0)
		return -1;
	if (peek(c) == ':') {
		c->p++;
		if (parse_num(c, 2, 59, &m) != 0)
			return -1;
		if (peek(c) == ':') {
			c->p++;
			if (parse_num(c, 2, 59, &s) != 0)
				return -1;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return 0;
}

static int
parse_date(struct cursor *c, struct tz_rule_date *d)
{
	if (peek(c) == 'J') {
		c->p++;
		d->kind = 'J';
		if (parse_num(c, 3, 365, &d->n) != 0 || d->n < 1)
			return -1;
	} else if (peek(c) == 'M') {
		c->p++;
		d->kind = 'M';
		if (parse_num(c, 2, 12, &d->month) != 0 || d->month < 1 || peek(c) != '.')
			return -1;
		c->p++;
		if (parse_num(c, 1, 5, &d->week) != 0 || d->week < 1 || peek(c) != '.')
			return -1;
		c->p++;
		if (parse_num(c, 1, 6, &d->wday) != 0)
			return -1;
	} else {
		d->kind = 'D';
		if (parse_num(c, 3, 365, &d->n) != 0)
			return -1;
	}
	d->time = 2 * 3600;
	if (peek(c) == '/') {
		c->p++;
		/* RFC 8536 §3.3.1: the time may be -167..167 hours. */
		if (parse_hms(c, 167, &d->time) != 0)
			return -1;
	}
	return 0;
}

int
tz_rule_parse(const char *s, size_t len, struct tz_rule *out)
{
	struct cursor c = { s, s + len };
	int32_t off;
	*out = (struct tz_rule){ 0 };
	/* POSIX offsets are hours west of UTC: the sign is the opposite of ours. */
	if (parse_abbr(&c, out->std_abbr) != 0 || parse_hms(&c, 24, &off) != 0)
		return -1;
	out->std_off = -off;
	if (c.p == c.end)
		return 0;
	if (parse_abbr(&c, out->dst_abbr) != 0)
		return -1;
	out->has_dst = true;
	out->dst_off = out->std_off + 3600;
	if (peek(&c) != ',' && c.p != c.end) {
		if (parse_hms(&c, 24, &off) != 0)
			return -1;
		out->dst_off = -off;
	}
	if (c.p == c.end) {
		/* No dates: POSIX leaves them to the implementation; this is
		 * the United States' rule since 2007, as glibc assumes. */
		out->start = (struct tz_rule_date){ 'M', 0, 3, 2, 0, 7200 };
		out->end = (struct tz_rule_date){ 'M', 0, 11, 1, 0, 7200 };
		return 0;
	}
	if (peek(&c) != ',')
		return -1;
	c.p++;
	if (parse_date(&c, &out->start) != 0 || peek(&c) != ',')
		return -1;
	c.p++;
	if (parse_date(&c, &out->end) != 0)
		return -1;
	return c.p == c.end ? 0 : -1;
}

/* The local midnight (as seconds of local time since the epoch) of the
 * rule date in year. */
static int64_t
date_day(const struct tz_rule_date *d, int64_t year)
{
	int64_t jan1 = tz_days_from_civil(year, 1, 1);
	if (d->kind == 'J')
		return jan1 + d->n - 1 + (tz_is_leap(year) && d->n >= 60 ? 1 : 0);
	if (d->kind == 'D')
		return jan1 + d->n;
	int64_t first = tz_days_from_civil(year, (unsigned)d->month, 1);
	int64_t day = first + ((d->wday - (int)tz_weekday(first) + 7) % 7) + (int64_t)(d->week - 1) * 7;
	int64_t last = first + tz_days_in_month(year, (unsigned)d->month) - 1;
	while (day > last)
		day -= 7;
	return day;
}

struct change {
	int64_t at;     /* UTC */
	int64_t seq;    /* order among changes at the same instant */
	int32_t off;    /* the offset from `at` on */
};

/* The two changes of a year, in the order they happen. */
static void
year_changes(const struct tz_rule *r, int64_t year, struct change out[2])
{
	/* The start is given in standard time, the end in daylight time. */
	int64_t start = date_day(&r->start, year) * 86400 + r->start.time - r->std_off;
	int64_t end = date_day(&r->end, year) * 86400 + r->end.time - r->dst_off;
	struct change s = { start, 0, r->dst_off }, e = { end, 0, r->std_off };
	if (end < start) {
		out[0] = e;
		out[1] = s;
	} else {
		out[0] = s;
		out[1] = e;
	}
	out[0].seq = year * 2;
	out[1].seq = year * 2 + 1;
}

int32_t
tz_rule_period(const struct tz_rule *r, int64_t t, int64_t *start, int64_t *end)
{
	*start = INT64_MIN;
	*end = INT64_MAX;
	if (!r->has_dst)
		return r->std_off;
	/* Beyond a million years or so the date arithmetic could overflow:
	 * the offset there is the one at the limit, unchanging. */
	if (t > TZ_RULE_T_LIMIT || t < -TZ_RULE_T_LIMIT) {
		int64_t s, e;
		bool late = t > 0;
		int32_t off = tz_rule_period(r, late ? TZ_RULE_T_LIMIT : -TZ_RULE_T_LIMIT, &s, &e);
		*start = late ? TZ_RULE_T_LIMIT + 1 : INT64_MIN;
		*end = late ? INT64_MAX : -TZ_RULE_T_LIMIT;
		return off;
	}
	int64_t year;
	unsigned m, d;
	tz_civil_from_days(tz_floor_div(t, 86400), &year, &m, &d);
	/* A year's changes lie within a week of its UTC bounds (a rule time
	 * reaches 167 hours), so the years from two before t's to one after
	 * it hold the change before t and the one after it. */
	struct change ch[8];
	size_t n = 0;
	for (int64_t y = year - 2; y <= year + 1; y++) {
		year_changes(r, y, ch + n);
		n += 2;
	}
	/* Sorted by instant, then by order of happening (insertion sort of 8). */
	for (size_t i = 1; i < n; i++) {
		struct change x = ch[i];
		size_t j = i;
		while (j > 0 && (ch[j - 1].at > x.at || (ch[j - 1].at == x.at && ch[j - 1].seq > x.seq))) {
			ch[j] = ch[j - 1];
			j--;
		}
		ch[j] = x;
	}
	/* The last change at or before t rules; changes at the same instant
	 * leave only the last one in force. */
	size_t i = n;
	while (i > 0 && ch[i - 1].at > t)
		i--;
	if (i == 0) {
		*end = ch[0].at;
		return ch[0].off == r->dst_off ? r->std_off : r->dst_off;
	}
	*start = ch[i - 1].at;
	if (i < n)
		*end = ch[i].at;
	return ch[i - 1].off;
}
