/* isotime.c: ISO-8601 datetimes as Python 3.11's fromisoformat reads them. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "nodes/isotime.h"

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s: their value, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The date at s: *days since the epoch, returns characters read or 0. */
static size_t
parse_date(const char *s, size_t n, int64_t *days)
{
	if (n < 7)
		return 0;
	int y = digits(s, 4);
	if (y < 1)
		return 0;
	int ext = s[4] == '-';
	const char *p = s + 4 + ext;
	size_t left = n - 4 - ext;
	if (left >= 3 && p[0] == 'W') {
		/* ISO week date: week 1 holds January 4th. */
		int w = digits(p + 1, 2);
		size_t used = 4 + ext + 3;
		int wd = 1;
		if (left >= 4 + (size_t)ext && (!ext || p[3] == '-') && isdigit((unsigned char)p[3 + ext])) {
			wd = digits(p + 3 + ext, 1);
			used += 1 + ext;
		}
		if (w < 1 || w > 53 || wd < 1 || wd > 7)
			return 0;
		int64_t jan4 = days_from_civil(y, 1, 4);
		int jan4_wd = (int)(((jan4 % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
		int64_t monday1 = jan4 - (jan4_wd - 1);
		if (w == 53) {
			/* Only years with 53 weeks have a week 53. */
			int64_t next_jan4 = days_from_civil(y + 1, 1, 4);
			int nwd = (int)(((next_jan4 % 7) + 7 + 3) % 7) + 1;
			if (monday1 + 52 * 7 >= next_jan4 - (nwd - 1))
				return 0;
		}
		*days = monday1 + (w - 1) * 7 + (wd - 1);
		return used;
	}
	if (left < (size_t)(ext ? 5 : 4))
		return 0;
	int m = digits(p, 2);
	if (ext && p[2] != '-')
		return 0;
	int d = digits(p + 2 + ext, 2);
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return 0;
	*days = days_from_civil(y, m, d);
	return 4 + ext + 2 + ext + 2;
}

/* HH[:MM[:SS[.f]]] or HH[MM[SS[.f]]]: seconds and micros into the day
 * (or of an offset: Python wants |offset| < 24h too); returns characters
 * read or 0. */
static size_t
parse_clock(const char *s, size_t n, int64_t *secs, int64_t *micros)
{
	if (n < 2)
		return 0;
	int h = digits(s, 2);
	if (h < 0 || h > 23)
		return 0;
	size_t i = 2;
	int mi = 0, se = 0;
	int64_t us = 0;
	int ext = n > 2 && s[2] == ':';
	if (n >= i + ext + 2 && (!ext || s[i] == ':') && isdigit((unsigned char)s[i + ext])) {
		mi = digits(s + i + ext, 2);
		if (mi < 0 || mi > 59)
			return 0;
		i += ext + 2;
		if (n >= i + ext + 2 && (!ext || s[i] == ':') && isdigit((unsigned char)s[i + ext])) {
			se = digits(s + i + ext, 2);
			if (se < 0 || se > 59)
				return 0;
			i += ext + 2;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				size_t f = i + 1, nd = 0;
				while (f < n && isdigit((unsigned char)s[f])) {
					if (nd < 6)
						us = us * 10 + (s[f] - '0');
					nd++;
					f++;
				}
				if (nd == 0)
					return 0;
				for (; nd < 6; nd++)
					us *= 10;
				i = f;
			}
		}
	} else if (ext) {
		return 0; /* "10:" */
	}
	*secs = (int64_t)h * 3600 + mi * 60 + se;
	*micros = us;
	return i;
}

int
iso_instant_parse(const char *text, struct iso_instant *out)
{
	size_t n = strlen(text);
	int64_t days, secs = 0, us = 0, offset = 0, offset_us = 0;
	size_t i = parse_date(text, n, &days);
	if (i == 0)
		return -1;
	if (i < n) {
		/* Any one character separates date and time. */
		size_t t = parse_clock(text + i + 1, n - i - 1, &secs, &us);
		if (t == 0)
			return -1;
		i += 1 + t;
		/* Spaces may come before an offset, not alone at the end. */
		size_t spaces = 0;
		while (i + spaces < n && text[i + spaces] == ' ')
			spaces++;
		if (i + spaces < n) {
			i += spaces;
			if (text[i] == 'Z') {
				i++;
			} else if (text[i] == '+' || text[i] == '-') {
				int sign = text[i] == '-' ? -1 : 1;
				size_t o = parse_clock(text + i + 1, n - i - 1, &offset, &offset_us);
				if (o == 0)
					return -1;
				i += 1 + o;
				offset *= sign;
				offset_us *= sign;
			} else {
				return -1;
			}
		}
		if (i != n)
			return -1;
	}
	/* Local time minus the offset is UTC; a naive value counts as UTC. */
	int64_t total_us = (days * 86400 + secs - offset) * 1000000 + us - offset_us;
	out->seconds = total_us / 1000000;
	out->micros = total_us % 1000000;
	if (out->micros < 0) {
		out->micros += 1000000;
		out->seconds--;
	}
	return 0;
}

int
iso_instant_cmp(const struct iso_instant *a, const struct iso_instant *b)
{
	if (a->seconds != b->seconds)
		return a->seconds < b->seconds ? -1 : 1;
	if (a->micros != b->micros)
		return a->micros < b->micros ? -1 : 1;
	return 0;
}
