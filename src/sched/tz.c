/*
 * tz.c: loading zones by name from the zoneinfo directory and the
 * queries on them (offset at an instant, wall clock to instant, ISO
 * rendering).  The TZif format itself is read in tz_tzif.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sched/tz_civil.h"
#include "sched/tz_internal.h"

static void
set_err(char *err, size_t err_len, const char *fmt, const char *arg)
{
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, fmt, arg);
}

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '-';
}

bool
tz_name_valid(const char *name, size_t len)
{
	if (name == NULL || len == 0 || len > TZ_NAME_MAX)
		return false;
	/* Components of name characters joined by single slashes: no '.',
	 * so no "..", and no leading, trailing or doubled '/'. */
	bool component_empty = true;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '/') {
			if (component_empty)
				return false;
			component_empty = true;
		} else if (name_char(name[i])) {
			component_empty = false;
		} else {
			return false;
		}
	}
	if (component_empty)
		return false;
	/* zoneinfo's "localtime" is a link to the host's /etc/localtime, not
	 * a zone of its own. */
	return !(len == 9 && memcmp(name, "localtime", 9) == 0);
}

/* The built-in UTC: no transitions, no rule, offset 0. */
static tz_zone *
utc_zone(void)
{
	tz_zone *z = calloc(1, sizeof *z);
	if (z == NULL)
		return NULL;
	z->name = strdup("UTC");
	strcpy(z->before_abbr, "UTC");
	if (z->name == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

/* Reads a regular file of at most TZ_FILE_MAX bytes.  The bytes
 * (malloc'd; the caller frees them) and their count in *len, or NULL. */
static unsigned char *
read_zone_file(const char *path, size_t *len)
{
	/* O_NONBLOCK: a FIFO planted under TZDIR must not hang the caller. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	unsigned char *buf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TZ_FILE_MAX)
		goto fail;
	/* One byte more than the size, to see a file that grew since fstat. */
	size_t cap = (size_t)st.st_size + 1, got = 0;
	buf = malloc(cap);
	if (buf == NULL)
		goto fail;
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == cap)
			goto fail;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

tz_zone *
tz_load_n(const char *name, size_t len, char *err, size_t err_len)
{
	if (!tz_name_valid(name, len)) {
		set_err(err, err_len, "%s", "invalid time zone name");
		return NULL;
	}
	char valid[TZ_NAME_MAX + 1];
	memcpy(valid, name, len);
	valid[len] = '\0';
	if (strcmp(valid, "UTC") == 0) {
		tz_zone *z = utc_zone();
		if (z == NULL)
			set_err(err, err_len, "%s", "out of memory");
		return z;
	}
	const char *dir = getenv("TZDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = TZ_DEFAULT_DIR;
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", dir, valid);
	size_t size = 0;
	unsigned char *buf = NULL;
	if (n > 0 && (size_t)n < sizeof path)
		buf = read_zone_file(path, &size);
	tz_zone *z = NULL;
	if (buf != NULL)
		z = tz_parse(valid, buf, size, NULL, 0);
	free(buf);
	if (z == NULL)
		set_err(err, err_len, "unknown time zone: %s", valid);
	return z;
}

tz_zone *
tz_load(const char *name, char *err, size_t err_len)
{
	return tz_load_n(name, name != NULL ? strnlen(name, TZ_NAME_MAX + 1) : 0, err, err_len);
}

void
tz_free(tz_zone *zone)
{
	if (zone == NULL)
		return;
	free(zone->name);
	free(zone->at);
	free(zone->off);
	free(zone->abbr);
	free(zone);
}

const char *
tz_name(const tz_zone *zone)
{
	return zone->name;
}

int
tz_period_at(const tz_zone *zone, int64_t t, int64_t *start, int64_t *end)
{
	int64_t s = INT64_MIN, e = INT64_MAX;
	int32_t off;
	if (zone->count == 0 || t < zone->at[0]) {
		if (zone->count == 0 && zone->has_rule) {
			off = tz_rule_period(&zone->rule, t, &s, &e);
		} else {
			off = zone->before_off;
			if (zone->count > 0)
				e = zone->at[0];
		}
	} else {
		/* The last transition at or before t. */
		size_t lo = 0, hi = zone->count;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (zone->at[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		s = zone->at[lo];
		off = zone->off[lo];
		if (lo + 1 < zone->count) {
			e = zone->at[lo + 1];
		} else if (zone->has_rule) {
			/* Past the last transition the footer's rule holds. */
			int64_t rs;
			off = tz_rule_period(&zone->rule, t, &rs, &e);
			if (rs > s)
				s = rs;
		}
	}
	if (start != NULL)
		*start = s;
	if (end != NULL)
		*end = e;
	return off;
}

int
tz_offset_at(const tz_zone *zone, int64_t t)
{
	return tz_period_at(zone, t, NULL, NULL);
}

/* The smallest t with t + offset(t) >= local, found by walking the
 * periods from 26 hours before local (where the wall clock is surely
 * behind) until one reaches it.  A handful of periods at most. */
int64_t
tz_local_to_utc(const tz_zone *zone, int64_t local)
{
	if (local < INT64_MIN / 2 || local > INT64_MAX / 2)
		return local;  /* far outside any calendar: no zone applies */
	int64_t t = local - TZ_OFFSET_LIMIT;
	for (int guard = 0; guard < 1000; guard++) {
		int64_t start, end;
		int off = tz_period_at(zone, t, &start, &end);
		int64_t want = local - off;
		if (want < t)
			want = t;
		if (want < end)
			return want;
		t = end;
	}
	return t;
}

int
tz_format_iso(const tz_zone *zone, int64_t t, char out[TZ_ISO_LEN])
{
	if (t < -(INT64_C(1) << 40) || t > (INT64_C(1) << 40))
		return -1;  /* far outside the years 0..9999 */
	int off = tz_offset_at(zone, t);
	int64_t local = t + off;
	int64_t days = tz_floor_div(local, 86400);
	int64_t secs = local - days * 86400;
	int64_t year;
	unsigned month, day;
	tz_civil_from_days(days, &year, &month, &day);
	if (year < 0 || year > 9999)
		return -1;
	int a = off < 0 ? -off : off;
	char sign = off < 0 ? '-' : '+';
	int n = snprintf(out, TZ_ISO_LEN, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", (int)year, month,
	                 day, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), sign,
	                 a / 3600, a / 60 % 60);
	if (a % 60 != 0 && n > 0 && n + 3 < TZ_ISO_LEN)
		snprintf(out + n, (size_t)(TZ_ISO_LEN - n), ":%02d", a % 60);
	return 0;
}

/* The abbreviation of the rule's period at t: its offset tells standard
 * from daylight time. */
static const char *
rule_abbr(const struct tz_rule *r, int64_t t)
{
	int64_t start, end;
	int32_t off = tz_rule_period(r, t, &start, &end);
	return r->has_dst && off == r->dst_off && off != r->std_off ? r->dst_abbr : r->std_abbr;
}

const char *
tz_abbr_at(const tz_zone *zone, int64_t t)
{
	const char *abbr;
	if (zone->count == 0 || t < zone->at[0]) {
		abbr = zone->count == 0 && zone->has_rule ? rule_abbr(&zone->rule, t) : zone->before_abbr;
	} else {
		size_t lo = 0, hi = zone->count;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (zone->at[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		abbr = lo + 1 == zone->count && zone->has_rule ? rule_abbr(&zone->rule, t)
								 : zone->abbr[lo];
	}
	return abbr;
}
