/* timefmt.c: see timefmt.h. */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil-days algorithm), so nothing depends on the process's TZ. */
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

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* v as exactly width digits (v is known to fit). */
static char *
put_digits(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* "YYYY-MM-DD HH:MM:SS.ffffff", digit by digit: timestamps are written on
 * every commit of the engine, where snprintf's format parsing showed. */
static void
format_db(int64_t epoch, long micros, char out[TIME_DB_LEN])
{
	int64_t days = epoch / 86400, secs = epoch % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	/* The format has room for four-digit years only. */
	unsigned year = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
	char *p = out;
	p = put_digits(p, (int)year, 4);
	*p++ = '-';
	p = put_digits(p, m % 100, 2);
	*p++ = '-';
	p = put_digits(p, d % 100, 2);
	*p++ = ' ';
	p = put_digits(p, (int)(secs / 3600 % 100), 2);
	*p++ = ':';
	p = put_digits(p, (int)(secs / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (int)(secs % 60), 2);
	*p++ = '.';
	p = put_digits(p, (int)(micros < 0 ? 0 : micros % 1000000), 6);
	*p = '\0';
}

void
time_now_db(char out[TIME_DB_LEN])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	format_db((int64_t)ts.tv_sec, ts.tv_nsec / 1000, out);
}

void
time_epoch_to_db(int64_t epoch, char out[TIME_DB_LEN])
{
	format_db(epoch, 0, out);
}

int64_t
time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
time_ms_to_db(int64_t ms, char out[TIME_DB_LEN])
{
	int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	format_db(sec, (long)(ms - sec * 1000) * 1000, out);
}

/* Reads exactly n digits at *p, advancing it; -1 when they are not there. */
static int
read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

struct civil {
	int year, month, day, hour, minute, second;
	int micros;
	int frac_digits;         /* digits written in the input, 0 when none */
	char frac[10];           /* the fraction as written (up to 9 digits) */
};

static int
civil_valid(const struct civil *c)
{
	return c->month >= 1 && c->month <= 12 && c->day >= 1 &&
	       c->day <= days_in_month(c->year, c->month) && c->hour <= 23 && c->minute <= 59 &&
	       c->second <= 59;
}

static int64_t
civil_epoch(const struct civil *c)
{
	return days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 +
	       c->minute * 60 + c->second;
}

/* "YYYY-MM-DD" */
static int
parse_date(const char **p, struct civil *c)
{
	if (read_digits(p, 4, &c->year) || **p != '-')
		return -1;
	(*p)++;
	if (read_digits(p, 2, &c->month) || **p != '-')
		return -1;
	(*p)++;
	return read_digits(p, 2, &c->day);
}

/* "HH:MM[:SS[.f+]]"; seconds may be left out, as Pydantic allows. */
static int
parse_clock(const char **p, struct civil *c)
{
	if (read_digits(p, 2, &c->hour) || **p != ':')
		return -1;
	(*p)++;
	if (read_digits(p, 2, &c->minute))
		return -1;
	c->second = 0;
	if (**p != ':')
		return 0;
	(*p)++;
	if (read_digits(p, 2, &c->second))
		return -1;
	if (**p != '.' && **p != ',')
		return 0;
	(*p)++;
	int n = 0, micros = 0;
	while (**p >= '0' && **p <= '9') {
		if (n >= 9)
			return -1;
		c->frac[n] = **p;
		if (n < 6)
			micros = micros * 10 + (**p - '0');
		n++;
		(*p)++;
	}
	if (n == 0)
		return -1;
	c->frac[n] = '\0';
	for (int i = n; i < 6; i++)
		micros *= 10;
	c->micros = micros;
	c->frac_digits = n;
	return 0;
}

/* A stored value: date, ' ' or 'T', clock, nothing after. */
static int
parse_db(const char *s, struct civil *c)
{
	memset(c, 0, sizeof(*c));
	const char *p = s;
	if (parse_date(&p, c) || (*p != ' ' && *p != 'T'))
		return -1;
	p++;
	if (parse_clock(&p, c) || *p != '\0' || !civil_valid(c))
		return -1;
	return 0;
}

int
time_db_to_epoch(const char *db, int64_t *epoch, int *micros)
{
	struct civil c;
	if (db == NULL || parse_db(db, &c) != 0)
		return -1;
	if (epoch)
		*epoch = civil_epoch(&c);
	if (micros)
		*micros = c.micros;
	return 0;
}

int
time_db_to_iso(const char *db, char out[TIME_ISO_LEN])
{
	struct civil c;
	if (db == NULL || parse_db(db, &c) != 0)
		return -1;
	/* Digits by hand: every answer renders a few of these, and printf's
	 * format parsing cost more than the rest of the conversion. */
	char *p = out;
	p = put_digits(p, c.year, 4);
	*p++ = '-';
	p = put_digits(p, c.month, 2);
	*p++ = '-';
	p = put_digits(p, c.day, 2);
	*p++ = 'T';
	p = put_digits(p, c.hour, 2);
	*p++ = ':';
	p = put_digits(p, c.minute, 2);
	*p++ = ':';
	p = put_digits(p, c.second, 2);
	/* PostgreSQL drops a zero fraction and Python omits one: so do we. */
	if (c.micros > 0) {
		*p++ = '.';
		p = put_digits(p, c.micros, 6);
	}
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

/* Two digits at s, known to be digits. */
static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * The stored form exactly, "2026-02-17 23:18:00.123456", as every row
 * written by the application holds it: checked and rendered at fixed
 * places, with the same validity rules as the general parser.  -1 when
 * db is not in that form (the caller then parses it).
 */
static int
canonical_to_iso(const char *db, size_t len, char out[TIME_ISO_LEN])
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd.dddddd";
	if (len != sizeof(shape) - 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int digit = db[i] >= '0' && db[i] <= '9';
		if (shape[i] == 'd' ? !digit : db[i] != shape[i])
			return -1;
	}
	struct civil c = {
		.year = two(db) * 100 + two(db + 2), .month = two(db + 5), .day = two(db + 8),
		.hour = two(db + 11), .minute = two(db + 14), .second = two(db + 17),
	};
	if (!civil_valid(&c))
		return -1;
	memcpy(out, db, 19);
	out[10] = 'T';
	size_t n = 19;
	if (memcmp(db + 19, ".000000", 7) != 0) {
		memcpy(out + 19, db + 19, 7);
		n = 26;
	}
	out[n++] = 'Z';
	out[n] = '\0';
	return 0;
}

int
time_db_to_iso_n(const char *db, size_t len, char out[TIME_ISO_LEN])
{
	if (db == NULL)
		return -1;
	if (canonical_to_iso(db, len, out) == 0)
		return 0;
	char text[TIME_DB_LEN + 8];
	if (len >= sizeof(text) || memchr(db, '\0', len) != NULL)
		return -1;
	memcpy(text, db, len);
	text[len] = '\0';
	return time_db_to_iso(text, out);
}

json_t *
time_db_to_json(const char *db)
{
	char iso[TIME_ISO_LEN];
	if (db == NULL || time_db_to_iso(db, iso) != 0)
		return json_null();
	return json_string(iso);
}

json_t *
time_db_to_json_or_text(const char *db)
{
	char iso[TIME_ISO_LEN];
	if (time_db_to_iso(db, iso) != 0)
		return json_string(db);
	return json_string(iso);
}

/* "Z", "+HH:MM", "+HHMM" or "+HH" (and '-'); seconds east of UTC. */
static int
parse_offset(const char *p, int *offset)
{
	*offset = 0;
	if (*p == '\0')
		return 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	int sign = *p == '-' ? -1 : 1, hh, mm = 0;
	p++;
	if (read_digits(&p, 2, &hh))
		return -1;
	if (*p == ':')
		p++;
	if (*p != '\0' && read_digits(&p, 2, &mm))
		return -1;
	if (*p != '\0' || hh > 23 || mm > 59)
		return -1;
	*offset = sign * (hh * 3600 + mm * 60);
	return 0;
}

int
time_iso_parse(const char *s, int64_t *epoch)
{
	struct civil c;
	memset(&c, 0, sizeof(c));
	const char *p = s;
	if (s == NULL || parse_date(&p, &c))
		return -1;
	int offset = 0;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (parse_clock(&p, &c) || parse_offset(p, &offset))
			return -1;
	}
	if (!civil_valid(&c))
		return -1;
	*epoch = civil_epoch(&c) - offset;
	return 0;
}
