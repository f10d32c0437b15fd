/*
 * test_tz.c: zones read from zoneinfo, checked against glibc as the
 * oracle (localtime_r under TZ, set in this test process only: the
 * library itself never touches TZ), the footer's POSIX rules, zone names
 * that must be refused, and TZif data that is broken on purpose.
 */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "sched/tz.h"
#include "sched/tz_rule.h"

/* Zones chosen for their variety: both hemispheres, negative DST
 * (Dublin), 30-minute DST (Lord_Howe), two-hour DST (Troll), no DST
 * (Tokyo, Kolkata), offsets of 45 minutes (Chatham) and a day skipped
 * (Apia, 2011). */
static const char *const zones[] = {
	"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Tokyo", "UTC",
	"Australia/Sydney", "Europe/Dublin", "America/Sao_Paulo", "Pacific/Chatham",
	"Antarctica/Troll", "America/St_Johns", "Asia/Kolkata", "Pacific/Apia",
	"America/Nuuk", "Africa/Casablanca", "Europe/London", "America/Los_Angeles",
};
#define N_ZONES (sizeof zones / sizeof zones[0])

/* Unix seconds of 1900-01-01 and 2100-01-01. */
#define Y1900 (-2208988800LL)
#define Y2100 4102444800LL

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	/* xorshift64*: a fixed seed, so a failure repeats. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int64_t
rng_between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng() % (uint64_t)(hi - lo));
}

/* glibc's offset at t under TZ=tzvalue (a zone name with ':' or a POSIX
 * rule). */
static long
oracle_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		abort();
	return tm.tm_gmtoff;
}

static void
use_oracle(const char *tzvalue)
{
	setenv("TZ", tzvalue, 1);
	tzset();
}

static tz_zone *
load(const char *name)
{
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_load(name, err, sizeof err);
	if (z == NULL) {
		printf("Bail out! cannot load %s: %s\n", name, err);
		exit(1);
	}
	return z;
}

/* tz_offset_at agrees with localtime_r at random instants of 1900-2100,
 * hourly over 2035-2045 (past the last transition of a 'fat' file: the
 * footer's rule) and at every transition the zone has, and its periods
 * hold what they claim. */
static void
test_offsets_against_glibc(void)
{
	for (size_t i = 0; i < N_ZONES; i++) {
		tz_zone *z = load(zones[i]);
		char tzvalue[80];
		snprintf(tzvalue, sizeof tzvalue, ":%s", zones[i]);
		use_oracle(tzvalue);
		int bad = 0, checked = 0;
		int64_t first_bad = 0;
		for (int k = 0; k < 20000; k++) {
			int64_t t = rng_between(Y1900, Y2100);
			checked++;
			if (tz_offset_at(z, t) != oracle_offset(t) && bad++ == 0)
				first_bad = t;
		}
		for (int64_t t = 2051222400LL; t < 2366841600LL; t += 3600 + 17) {  /* 2035..2045 */
			checked++;
			if (tz_offset_at(z, t) != oracle_offset(t) && bad++ == 0)
				first_bad = t;
		}
		if (!ok(bad == 0, "%s: offsets agree with glibc at %d instants 1900-2100", zones[i],
		        checked))
			printf("#   %d differ, first at %lld: ours %d, glibc %ld\n", bad,
			       (long long)first_bad, tz_offset_at(z, first_bad), oracle_offset(first_bad));
		/* Walk the periods from 1900 to 2100: each claimed boundary is
		 * where glibc's offset may change, and inside a period it does not. */
		int64_t t = Y1900, start, end;
		int periods = 0, wrong = 0;
		while (t < Y2100 && periods < 10000) {
			int off = tz_period_at(z, t, &start, &end);
			periods++;
			if (start > t || end <= t)
				wrong++;
			if (off != oracle_offset(t) || (end < Y2100 && off != oracle_offset(end - 1)))
				wrong++;
			if (end == INT64_MAX)
				break;
			t = end;
		}
		ok(wrong == 0 && periods > 0, "%s: %d periods 1900-2100, each with the offset glibc gives "
		   "at both ends", zones[i], periods);
		tz_free(z);
	}
}

/* The wall clock back to an instant: every existing wall-clock time maps to
 * its first occurrence, every skipped one to the instant the clocks jump. */
static void
test_local_to_utc(void)
{
	for (size_t i = 0; i < N_ZONES; i++) {
		tz_zone *z = load(zones[i]);
		int bad = 0;
		for (int k = 0; k < 20000; k++) {
			int64_t u = rng_between(Y1900, Y2100);
			int64_t local = u + tz_offset_at(z, u);
			int64_t t = tz_local_to_utc(z, local);
			/* t reads the same wall clock, no later than u, and the
			 * wall clock one second before t read less. */
			if (t > u || t + tz_offset_at(z, t) != local ||
			    (t - 1) + tz_offset_at(z, t - 1) >= local)
				bad++;
		}
		ok(bad == 0, "%s: wall clock to instant, first occurrence (%d wrong)", zones[i], bad);
		tz_free(z);
	}
	tz_zone *berlin = load("Europe/Berlin");
	/* 2027-03-28 02:00..02:59 local does not exist: all of it is 01:00 UTC. */
	int64_t day = 1806192000LL;  /* 2027-03-28T00:00 as wall clock seconds */
	is_int(tz_local_to_utc(berlin, day + 2 * 3600), 1806195600LL, "02:00 skipped -> 01:00 UTC");
	is_int(tz_local_to_utc(berlin, day + 2 * 3600 + 30 * 60), 1806195600LL,
	       "02:30 skipped -> 01:00 UTC");
	is_int(tz_local_to_utc(berlin, day + 3 * 3600), 1806195600LL, "03:00 -> 01:00 UTC");
	is_int(tz_local_to_utc(berlin, day + 3600 + 59 * 60), 1806195600LL - 60, "01:59 -> 00:59 UTC");
	/* 2027-10-31 02:30 local happens at 00:30 UTC and again at 01:30 UTC. */
	int64_t oct = 1824940800LL;  /* 2027-10-31T00:00 wall clock */
	is_int(tz_local_to_utc(berlin, oct + 2 * 3600 + 30 * 60), 1824942600LL,
	       "repeated 02:30 -> first occurrence 00:30 UTC");
	tz_free(berlin);
}

/* POSIX rules alone, against glibc reading the same string as TZ. */
static void
test_rules_against_glibc(void)
{
	static const char *const rules[] = {
		"CET-1CEST,M3.5.0,M10.5.0/3",
		"EST5EDT,M3.2.0,M11.1.0",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"IST-1GMT0,M10.5.0,M3.5.0/1",
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
		"<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
		"NZST-12NZDT,M9.5.0,M4.1.0/3",
		"AEST-10AEDT,M10.1.0,M4.1.0/3",
		"WGT3WGST,M3.5.0/-2,M10.5.0/-1",
		"ABC-3:30DEF-4:30,J60/1:30,J300/2",
		"ABC5DEF,60/2,300",
		"JST-9",
		"<-0330>3:30",
		"XXX-5:45YYY-6:45,M3.1.0/-24,M10.5.6/167",
		"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
		"EET-2EEST,M3.4.4/50,M10.4.4/50",
		"<-04>4<-03>,M9.1.6/24,M4.1.6/24",
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		struct tz_rule r;
		if (!ok(tz_rule_parse(rules[i], strlen(rules[i]), &r) == 0, "rule %s parses", rules[i]))
			continue;
		use_oracle(rules[i]);
		int bad = 0;
		int64_t first_bad = 0;
		for (int k = 0; k < 20000; k++) {
			int64_t t = rng_between(0, Y2100 + 100LL * 31556952);
			int64_t s, e;
			int off = tz_rule_period(&r, t, &s, &e);
			if ((off != oracle_offset(t) || s > t || e <= t ||
			     (s != INT64_MIN && oracle_offset(s) != off) ||
			     (e != INT64_MAX && oracle_offset(e - 1) != off)) && bad++ == 0)
				first_bad = t;
		}
		if (!ok(bad == 0, "rule %s agrees with glibc 1970-2200", rules[i]))
			printf("#   %d differ, first at %lld\n", bad, (long long)first_bad);
	}
	static const char *const broken[] = {
		"", "CE", "CET", "CET-", "CET-25", "CET-1CEST,", "CET-1CEST,M3.5.0",
		"CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
		"CET-1CEST,J0,J10", "CET-1CEST,366,10", "CET-1CEST,M3.5.0/168,M10.5.0",
		"CET-1CEST,M3.5.0,M10.5.0/3x", "<AB>1", "<ABC1", "CET-1:60", "CET-1C",
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		struct tz_rule r;
		ok(tz_rule_parse(broken[i], strlen(broken[i]), &r) == -1, "rule '%s' is refused",
		   broken[i]);
	}
}

/* RFC 8536 §3.3.1: DST from 1 January 00:00 to 31 December 24:00 plus
 * the DST shift is DST all year.  (glibc reads it as five hours of
 * standard time each New Year, so it is no oracle here.) */
static void
test_permanent_dst(void)
{
	struct tz_rule r;
	const char *rule = "EST5EDT,0/0,J365/25";
	ok(tz_rule_parse(rule, strlen(rule), &r) == 0, "%s parses", rule);
	int bad = 0;
	for (int k = 0; k < 20000; k++) {
		int64_t s, e;
		if (tz_rule_period(&r, rng_between(Y1900, Y2100), &s, &e) != -4 * 3600)
			bad++;
	}
	ok(bad == 0, "%s is daylight time all year", rule);
}

/* Every zone of the system's zoneinfo loads and agrees with glibc at
 * random instants, most of them past 2037 (the footer's rule). */
static int all_zones_checked, all_zones_bad;

static int
check_one_zone(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *name = path + strlen(TZ_DEFAULT_DIR) + 1;
	if (flag != FTW_F || strncmp(name, "right/", 6) == 0 || strncmp(name, "posix/", 6) == 0 ||
	    !tz_name_valid(name, strlen(name)))
		return 0;
	char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	size_t n = fread(magic, 1, 4, f);
	fclose(f);
	if (n != 4 || memcmp(magic, "TZif", 4) != 0)
		return 0;
	char err[TZ_ERR_LEN], tzvalue[TZ_NAME_MAX + 2];
	tz_zone *z = tz_load(name, err, sizeof err);
	all_zones_checked++;
	if (z == NULL) {
		all_zones_bad++;
		printf("# %s does not load: %s\n", name, err);
		return 0;
	}
	snprintf(tzvalue, sizeof tzvalue, ":%s", name);
	use_oracle(tzvalue);
	for (int k = 0; k < 300; k++) {
		int64_t t = k < 100 ? rng_between(Y1900, Y2100) : rng_between(2114380800LL, Y2100);
		if (tz_offset_at(z, t) != oracle_offset(t)) {
			all_zones_bad++;
			printf("# %s differs at %lld\n", name, (long long)t);
			break;
		}
	}
	tz_free(z);
	return 0;
}

static void
test_all_zones(void)
{
	nftw(TZ_DEFAULT_DIR, check_one_zone, 16, FTW_PHYS);
	ok(all_zones_checked > 300 && all_zones_bad == 0,
	   "all %d zones of %s load and agree with glibc", all_zones_checked, TZ_DEFAULT_DIR);
}

/* Explicit instants, past any file's last transition. */
static void
test_far_future(void)
{
	tz_zone *z = load("Europe/Berlin");
	char iso[TZ_ISO_LEN];
	/* 2045-03-26 (last Sunday of March): 01:00 UTC is 03:00 CEST. */
	tz_format_iso(z, 2374102800LL - 1, iso);
	is_str(iso, "2045-03-26T01:59:59+01:00", "Berlin 2045, a second before the change");
	tz_format_iso(z, 2374102800LL, iso);
	is_str(iso, "2045-03-26T03:00:00+02:00", "Berlin 2045, the change");
	tz_format_iso(z, 32503680000LL, iso);   /* 3000-01-01T00:00Z */
	is_str(iso, "3000-01-01T01:00:00+01:00", "Berlin in the year 3000");
	tz_free(z);
	z = load("Australia/Lord_Howe");
	/* 2050-10-02 (first Sunday of October) 02:00 +10:30 becomes 02:30 +11. */
	tz_format_iso(z, 2548250999LL, iso);
	is_str(iso, "2050-10-02T01:59:59+10:30", "Lord Howe 2050, before its half-hour change");
	tz_format_iso(z, 2548251000LL, iso);
	is_str(iso, "2050-10-02T02:30:00+11:00", "Lord Howe 2050, after it");
	tz_free(z);
}

/* tz_abbr_at agrees with glibc's tm_zone at random instants of
 * 1970-2100 (before 1970 glibc and the data's first type may differ in
 * name only) and in 2035-2045, where the footer's rule names them. */
static void
test_abbreviations_against_glibc(void)
{
	for (size_t i = 0; i < N_ZONES; i++) {
		tz_zone *z = load(zones[i]);
		char tzvalue[80];
		snprintf(tzvalue, sizeof tzvalue, ":%s", zones[i]);
		use_oracle(tzvalue);
		int bad = 0;
		char first_bad[80] = "";
		for (int k = 0; k < 4000; k++) {
			int64_t t = k < 2000 ? rng_between(0, Y2100) : rng_between(2051222400LL, 2366841600LL);
			time_t tt = (time_t)t;
			struct tm tm;
			if (localtime_r(&tt, &tm) == NULL)
				abort();
			const char *ours = tz_abbr_at(z, t);
			if (strcmp(ours, tm.tm_zone) != 0 && bad++ == 0)
				snprintf(first_bad, sizeof first_bad, "at %lld: %s, glibc %s", (long long)t,
					 ours, tm.tm_zone);
		}
		ok(bad == 0, "%s: abbreviations as glibc's %s", zones[i], first_bad);
		tz_free(z);
	}
	tz_zone *utc = load("UTC");
	is_str(tz_abbr_at(utc, 0), "UTC", "the built-in UTC is called UTC");
	tz_free(utc);
	tz_zone *berlin = load("Europe/Berlin");
	is_str(tz_abbr_at(berlin, 1783000000), "CEST", "Berlin in July 2026 (past the data): CEST");
	is_str(tz_abbr_at(berlin, 1798000000), "CET", "and in December 2026: CET");
	tz_free(berlin);
}

static void
test_format(void)
{
	char iso[TZ_ISO_LEN];
	tz_zone *z = load("UTC");
	is_int(tz_format_iso(z, 0, iso), 0, "epoch formats");
	is_str(iso, "1970-01-01T00:00:00+00:00", "UTC renders +00:00");
	is_int(tz_format_iso(z, 253402300799LL, iso), 0, "9999-12-31T23:59:59 formats");
	is_int(tz_format_iso(z, 253402300800LL, iso), -1, "year 10000 does not");
	is_int(tz_format_iso(z, -62167219201LL, iso), -1, "year -1 does not");
	is_str(tz_name(z), "UTC", "the name is kept");
	tz_free(z);
	z = load("America/New_York");
	tz_format_iso(z, 1805007600LL, iso);   /* 2027-03-14T07:00Z */
	is_str(iso, "2027-03-14T03:00:00-04:00", "a negative offset");
	/* New York's local mean time, -4:56:02, until 1883. */
	tz_format_iso(z, -3000000000LL, iso);
	is_str(iso, "1874-12-07T13:43:58-04:56:02", "an offset with seconds");
	tz_free(z);
}

/* Refused names never reach the file system; unknown ones say so. */
static void
test_names(void)
{
	static const char *const hostile[] = {
		"../etc/passwd", "/etc/localtime", "Europe/../../x", "Europe/./Berlin", "..",
		".", "", "Europe//Berlin", "Europe/", "/Europe/Berlin", "Europe/Berlin/",
		"Europe\\Berlin", "Europe/Ber lin", "Europe/Berlin\t", "Europe/Ber%6cin",
		"localtime", "zone.tab", "Europe/Berlin.tzif", "Europe/Berlin;rm",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"Europe/B\xc3\xa9rlin",
	};
	char err[TZ_ERR_LEN];
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		err[0] = '\0';
		tz_zone *z = tz_load(hostile[i], err, sizeof err);
		ok(z == NULL && strcmp(err, "invalid time zone name") == 0, "name '%s' is refused: %s",
		   hostile[i], err);
		tz_free(z);
	}
	ok(tz_load(NULL, err, sizeof err) == NULL, "NULL is refused");
	ok(tz_load_n("Europe/Berlin\0../../etc/passwd", 29, err, sizeof err) == NULL &&
	   strcmp(err, "invalid time zone name") == 0, "a name holding a NUL is refused");
	tz_zone *z = tz_load_n("Europe/Berlin!", 13, err, sizeof err);
	ok(z != NULL && strcmp(tz_name(z), "Europe/Berlin") == 0, "a name with a length");
	tz_free(z);
	static const char *const unknown[] = {
		"Mars/Base", "Europe", "leapseconds", "right/Europe/Berlin", "Europe/Berlin-x",
	};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		z = tz_load(unknown[i], err, sizeof err);
		char want[TZ_ERR_LEN];
		snprintf(want, sizeof want, "unknown time zone: %s", unknown[i]);
		ok(z == NULL && strcmp(err, want) == 0, "'%s': %s", unknown[i], err);
	}
	static const char *const good[] = {
		"UTC", "Etc/UTC", "Etc/GMT+5", "Etc/GMT-14", "America/Argentina/ComodRivadavia",
		"US/Eastern", "EST5EDT", "America/Port-au-Prince", "posix/Europe/Paris",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		z = tz_load(good[i], err, sizeof err);
		ok(z != NULL, "'%s' loads", good[i]);
		tz_free(z);
	}
	z = load("Etc/GMT+5");
	is_int(tz_offset_at(z, 0), -5 * 3600, "Etc/GMT+5 is five hours west (POSIX sign)");
	tz_free(z);
}

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	unsigned char *buf = malloc(TZ_FILE_MAX);
	*len = fread(buf, 1, TZ_FILE_MAX, f);
	fclose(f);
	return buf;
}

/* TZDIR chooses the directory; what is there must be a regular TZif
 * file of bounded size. */
static void
test_tzdir(void)
{
	char dir[] = "/tmp/pipelit-tz.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	char path[256], err[TZ_ERR_LEN];
	size_t len;
	unsigned char *berlin = read_all("/usr/share/zoneinfo/Europe/Berlin", &len);
	snprintf(path, sizeof path, "%s/Test", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/Test/Zone", dir);
	write_file(path, berlin, len);
	snprintf(path, sizeof path, "%s/Test/Fifo", dir);
	mkfifo(path, 0600);
	snprintf(path, sizeof path, "%s/Test/Big", dir);
	unsigned char *big = calloc(1, TZ_FILE_MAX + 10);
	memcpy(big, berlin, len);
	write_file(path, big, TZ_FILE_MAX + 10);
	snprintf(path, sizeof path, "%s/Test/Link", dir);
	symlink("Zone", path);
	snprintf(path, sizeof path, "%s/Test/Empty", dir);
	write_file(path, "", 0);

	setenv("TZDIR", dir, 1);
	tz_zone *z = tz_load("Test/Zone", err, sizeof err);
	ok(z != NULL && tz_offset_at(z, 1800000000) == 3600, "TZDIR is where zones are read");
	tz_free(z);
	z = tz_load("Test/Link", err, sizeof err);
	ok(z != NULL, "a link inside the directory is followed (tzdata's aliases are links)");
	tz_free(z);
	ok(tz_load("Europe/Berlin", err, sizeof err) == NULL, "zones outside TZDIR are not seen");
	ok(tz_load("Test/Fifo", err, sizeof err) == NULL, "a FIFO is refused, without hanging");
	ok(tz_load("Test/Big", err, sizeof err) == NULL &&
	   strcmp(err, "unknown time zone: Test/Big") == 0, "a file over the size cap is refused");
	ok(tz_load("Test", err, sizeof err) == NULL, "a directory is refused");
	ok(tz_load("Test/Empty", err, sizeof err) == NULL, "an empty file is refused");
	z = tz_load("UTC", err, sizeof err);
	ok(z != NULL && tz_offset_at(z, 0) == 0, "UTC needs no file");
	tz_free(z);
	unsetenv("TZDIR");

	snprintf(path, sizeof path, "%s/Test/Zone", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test/Fifo", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test/Big", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test/Link", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test/Empty", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test", dir);
	rmdir(path);
	rmdir(dir);
	free(big);
	free(berlin);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* TZif data damaged in every way the reader checks. */
static void
test_damaged_tzif(void)
{
	size_t len;
	unsigned char *berlin = read_all("/usr/share/zoneinfo/Europe/Berlin", &len);
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_parse("x", berlin, len, err, sizeof err);
	ok(z != NULL, "the real file parses");
	tz_free(z);
	int truncated_ok = 0;
	for (size_t n = 0; n < len; n++) {
		z = tz_parse("x", berlin, n, err, sizeof err);
		if (z == NULL)
			truncated_ok++;
		tz_free(z);
	}
	is_int(truncated_ok, len, "every truncation of it is refused");
	/* Counts far larger than the data, in each count of both headers. */
	unsigned char *copy = malloc(len);
	size_t v2 = 44 + 0x8f * 5 + 9 * 6 + 0x12 + 0 + 9 + 9;   /* Berlin's v1 block */
	for (size_t header = 0; header < 2; header++) {
		for (size_t field = 20; field < 44; field += 4) {
			memcpy(copy, berlin, len);
			put32(copy + header * v2 + field, 0xfffffff0u);
			z = tz_parse("x", copy, len, err, sizeof err);
			ok(z == NULL, "header %zu count at %zu huge: refused (%s)", header + 1, field, err);
			tz_free(z);
		}
	}
	memcpy(copy, berlin, len);
	copy[0] = 'X';
	ok(tz_parse("x", copy, len, err, sizeof err) == NULL && strcmp(err, "not a TZif file") == 0,
	   "bad magic: %s", err);
	/* The last byte is the footer's closing newline. */
	memcpy(copy, berlin, len);
	copy[len - 1] = 'x';
	ok(tz_parse("x", copy, len, err, sizeof err) == NULL, "an unterminated footer is refused");
	memcpy(copy, berlin, len);
	memcpy(copy + len - 10, "M1.5.0/99\n", 10);
	z = tz_parse("x", copy, len, err, sizeof err);
	ok(z != NULL, "a footer rule time of 99 hours is valid (v3)");
	tz_free(z);
	memcpy(copy, berlin, len);
	memcpy(copy + len - 10, "M1x.5.0/3\n", 10);
	ok(tz_parse("x", copy, len, err, sizeof err) == NULL && strcmp(err, "damaged TZif footer") == 0,
	   "a broken footer rule is refused: %s", err);
	free(copy);
	free(berlin);

	/* A minimal version-2 file with no transitions and only a footer rule,
	 * as zic -b slim writes for some zones. */
	unsigned char slim[200];
	memset(slim, 0, sizeof slim);
	memcpy(slim, "TZif2", 5);
	put32(slim + 36, 1);  /* typecnt */
	put32(slim + 40, 4);  /* charcnt */
	size_t p = 44;
	put32(slim + p, 3600);  /* type 0: +1, not DST, abbr 0 */
	p += 6;
	memcpy(slim + p, "CET", 4);
	p += 4;
	memcpy(slim + p, slim, 44);
	p += 44;
	put32(slim + p, 3600);
	p += 6;
	memcpy(slim + p, "CET", 4);
	p += 4;
	const char footer[] = "\nCET-1CEST,M3.5.0,M10.5.0/3\n";
	memcpy(slim + p, footer, sizeof footer - 1);
	p += sizeof footer - 1;
	z = tz_parse("slim", slim, p, err, sizeof err);
	ok(z != NULL, "a file of a footer alone parses: %s", z == NULL ? err : "");
	if (z != NULL) {
		is_int(tz_offset_at(z, 1806195600LL - 1), 3600, "slim: winter before 2027-03-28 01:00Z");
		is_int(tz_offset_at(z, 1806195600LL), 7200, "slim: summer from it");
		is_int(tz_offset_at(z, -3000000000LL), 3600, "slim: the rule holds in 1874 too");
	}
	tz_free(z);
}

/* The library keeps no process-global time-zone state: TZ neither
 * changes its answers nor is changed by it. */
static void
test_no_global_state(void)
{
	setenv("TZ", ":Pacific/Chatham", 1);
	tzset();
	tz_zone *z = load("Europe/Berlin");
	char iso[TZ_ISO_LEN];
	tz_format_iso(z, 1806195600LL, iso);
	is_str(iso, "2027-03-28T03:00:00+02:00", "answers do not depend on TZ");
	is_str(getenv("TZ"), ":Pacific/Chatham", "TZ is left alone");
	time_t t = 1806195600;
	struct tm tm;
	localtime_r(&t, &tm);
	is_int(tm.tm_gmtoff, 13 * 3600 + 45 * 60, "and so is the C library's zone");
	tz_free(z);
}

int
main(void)
{
	test_offsets_against_glibc();
	test_local_to_utc();
	test_rules_against_glibc();
	test_permanent_dst();
	test_all_zones();
	test_far_future();
	test_format();
	test_abbreviations_against_glibc();
	test_names();
	test_tzdir();
	test_damaged_tzif();
	test_no_global_state();
	return done_testing();
}
