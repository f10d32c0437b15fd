/* fuzz_tzif.c: TZif files (sched/tz_tzif.c) and POSIX TZ rules
 * (sched/tz_rule.c): any bytes, then every query on a zone they make. */
#include "fuzz_util.h"

#include "sched/cron.h"
#include "sched/tz.h"
#include "sched/tz_rule.h"

static void
query(const tz_zone *z, int64_t t)
{
	int64_t s, e;
	int off = tz_period_at(z, t, &s, &e);
	if (s > t || (e <= t && e != INT64_MAX) || off != tz_offset_at(z, t))
		abort();  /* the period holds t (an unbounded end holds INT64_MAX too) */
	if (t > -(INT64_C(1) << 50) && t < (INT64_C(1) << 50)) {
		int64_t u = tz_local_to_utc(z, t + off);
		if (u > t)
			abort();  /* t reads that wall clock: its first occurrence is no later */
	}
	char iso[TZ_ISO_LEN];
	tz_format_iso(z, t, iso);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t instants[] = {
		INT64_MIN, -62135596800LL, -2208988800LL, -1, 0, 1806195600LL, 2147483647LL,
		4102444800LL, 253402300799LL, INT64_MAX,
	};
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_parse("fuzz", data, size, err, sizeof err);
	if (z != NULL) {
		for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
			query(z, instants[i]);
		cron_expr e;
		cron_parse("30 2 * * *", &e, NULL, 0);
		int64_t out[3];
		cron_next_n(&e, z, 1806195600LL, out, 3);
		tz_free(z);
	}
	struct tz_rule r;
	if (tz_rule_parse((const char *)data, size, &r) == 0) {
		for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
			int64_t s, e;
			int64_t t = instants[i];
			tz_rule_period(&r, t, &s, &e);
			if (s > t || (e <= t && e != INT64_MAX))
				abort();
		}
	}
	return 0;
}
