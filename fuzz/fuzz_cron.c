/* fuzz_cron.c: cron expressions (sched/cron.c) and, for those that parse,
 * their next due times in zones with and without DST. */
#include "fuzz_util.h"

#include "sched/cron.h"
#include "sched/tz.h"

static tz_zone *zones[3];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (zones[0] == NULL) {
		/* Loaded once; a missing tzdata leaves UTC alone. */
		zones[0] = tz_load("UTC", NULL, 0);
		zones[1] = tz_load("Europe/Berlin", NULL, 0);
		zones[2] = tz_load("Australia/Lord_Howe", NULL, 0);
	}
	char *text = fuzz_cstring(data, size);
	cron_expr e;
	char err[CRON_ERR_LEN];
	if (cron_parse(text, &e, err, sizeof err) == 0) {
		/* The start instant comes from the input's length: the fuzzer
		 * reaches DST changes, leap days and the year 9999 that way. */
		int64_t after = (int64_t)(size * 7919u % 4000) * 86400 * 61 - 62135596800LL;
		for (size_t i = 0; i < 3; i++) {
			if (zones[i] == NULL)
				continue;
			int64_t out[4];
			size_t n = cron_next_n(&e, zones[i], after, out, 4);
			for (size_t k = 1; k < n; k++)
				if (out[k] <= out[k - 1])
					abort();  /* due times must increase */
			if (n > 0 && out[0] <= after)
				abort();
		}
	} else if (err[0] == '\0' || strlen(err) >= CRON_ERR_LEN) {
		abort();
	}
	free(text);
	return 0;
}
