/* test_timefmt.c: the storage format, ISO-8601 rendering and client input. */
#include <string.h>

#include "tap.h"
#include "util/timefmt.h"

static void
test_db_to_iso(void)
{
	char iso[TIME_ISO_LEN];
	is_int(time_db_to_iso("2026-02-17 23:18:00.123456", iso), 0, "full stored value");
	is_str(iso, "2026-02-17T23:18:00.123456Z", "rendered with T and Z");
	is_int(time_db_to_iso("2026-02-17 23:18:00.5", iso), 0, "short fraction (PostgreSQL)");
	is_str(iso, "2026-02-17T23:18:00.500000Z", "fraction padded to six digits");
	is_int(time_db_to_iso("2026-02-17 23:18:00.000000", iso), 0, "zero fraction");
	is_str(iso, "2026-02-17T23:18:00Z", "a zero fraction is left out");
	is_int(time_db_to_iso("2026-02-17 23:18:00", iso), 0, "no fraction");
	is_str(iso, "2026-02-17T23:18:00Z", "no fraction stays without one");
	is_int(time_db_to_iso("2026-02-17T23:18:00.000001", iso), 0, "a T is accepted");
	is_str(iso, "2026-02-17T23:18:00.000001Z", "T input rendered");
	is_int(time_db_to_iso("2026-02-30 00:00:00", iso), -1, "no 30 February");
	is_int(time_db_to_iso("garbage", iso), -1, "garbage refused");
	is_int(time_db_to_iso(NULL, iso), -1, "NULL refused");
	is_int(time_db_to_iso("2026-02-17 23:18:00Z", iso), -1, "trailing text refused");
}

/* Text with a length, as read from a column: the stored form takes a fast
 * path that must agree with the general parser. */
static void
test_db_to_iso_n(void)
{
	char iso[TIME_ISO_LEN], general[TIME_ISO_LEN];
	static const char *const same[] = {
		"2026-02-17 23:18:00.123456", "2026-02-17 23:18:00.000000", "2024-02-29 00:00:00.000001",
		"2026-02-17 23:18:00.5", "2026-02-17 23:18:00", "2026-02-17T23:18:00.000001",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		is_int(time_db_to_iso_n(same[i], strlen(same[i]), iso), 0, "with a length: %s", same[i]);
		time_db_to_iso(same[i], general);
		is_str(iso, general, "the same as without: %s", same[i]);
	}
	static const char *const bad[] = {
		"2026-02-30 00:00:00.000000", "2025-02-29 00:00:00.000000", "2026-13-01 00:00:00.000000",
		"2026-02-17 24:00:00.000000", "2026-02-17 23:60:00.000000", "2026-02-17 23:18:60.000000",
		"2026-02-17 23:18:00.12345x", "2026-02-17x23:18:00.123456", "garbage",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(time_db_to_iso_n(bad[i], strlen(bad[i]), iso), -1, "refused: %s", bad[i]);
	const char longer[] = "2026-02-17 23:18:00.123456 and more";
	is_int(time_db_to_iso_n(longer, 26, iso), 0, "only the given length is read");
	is_str(iso, "2026-02-17T23:18:00.123456Z", "rendered from those bytes");
	is_int(time_db_to_iso_n("2026-02-17 23:18\0:00", 20, iso), -1, "a NUL inside is refused");
	is_int(time_db_to_iso_n(NULL, 0, iso), -1, "NULL refused");
}

static void
test_epoch_round_trip(void)
{
	char db[TIME_DB_LEN];
	time_epoch_to_db(0, db);
	is_str(db, "1970-01-01 00:00:00.000000", "epoch 0");
	time_epoch_to_db(1771370280, db);
	is_str(db, "2026-02-17 23:18:00.000000", "a 2026 epoch");
	time_epoch_to_db(951782400, db);
	is_str(db, "2000-02-29 00:00:00.000000", "leap day 2000");
	int64_t e;
	int us;
	is_int(time_db_to_epoch("2026-02-17 23:18:00.250000", &e, &us), 0, "parse stored");
	is_int(e, 1771370280, "epoch back");
	is_int(us, 250000, "micros back");
	time_now_db(db);
	is_int(strlen(db), TIME_DB_LEN - 1, "now has the full width");
	ok(time_db_to_epoch(db, &e, NULL) == 0 && e > 1700000000, "now parses and is recent");
	time_ms_to_db(1771370280250LL, db);
	is_str(db, "2026-02-17 23:18:00.250000", "milliseconds to the storage format");
	time_ms_to_db(-1, db);
	is_str(db, "1969-12-31 23:59:59.999000", "a millisecond before the epoch");
	ok(time_now_ms() / 1000 >= 1771370280, "now in milliseconds is after 2026-02-17");
}

static void
test_iso_parse(void)
{
	int64_t e = -1;
	is_int(time_iso_parse("2026-02-17T23:18:00Z", &e), 0, "Z");
	is_int(e, 1771370280, "Z is UTC");
	is_int(time_iso_parse("2026-02-17T23:18:00", &e), 0, "naive");
	is_int(e, 1771370280, "naive is UTC");
	is_int(time_iso_parse("2026-02-18T01:18:00+02:00", &e), 0, "positive offset");
	is_int(e, 1771370280, "offset subtracted");
	is_int(time_iso_parse("2026-02-17T20:18:00.999-0300", &e), 0, "negative offset, no colon");
	is_int(e, 1771370280, "negative offset added");
	is_int(time_iso_parse("2026-02-17 23:18", &e), 0, "space and no seconds");
	is_int(e, 1771370280, "minutes only");
	is_int(time_iso_parse("2026-02-17", &e), 0, "date only");
	is_int(e, 1771286400, "midnight");
	is_int(time_iso_parse("2026-13-01T00:00:00", &e), -1, "month 13");
	is_int(time_iso_parse("2026-02-17T24:00:00", &e), -1, "hour 24");
	is_int(time_iso_parse("2026-02-17T23:18:00+25:00", &e), -1, "offset out of range");
	is_int(time_iso_parse("2026-02-17T23:18:00Zjunk", &e), -1, "junk after Z");
	is_int(time_iso_parse("tomorrow", &e), -1, "words");
	is_int(time_iso_parse("", &e), -1, "empty");
}

int
main(void)
{
	test_db_to_iso();
	test_db_to_iso_n();
	test_epoch_round_trip();
	test_iso_parse();
	return done_testing();
}
