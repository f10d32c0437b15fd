/* test_answer_cache.c: kept answers are served only for their revision,
 * replaced per id, and bounded by bytes (least recently used first). */
#include <string.h>

#include "tap.h"
#include "util/answer_cache.h"

static int
holds(struct answer_cache *c, int64_t id, int64_t revision, const char *want)
{
	size_t len = 0;
	const char *got = answer_cache_get(c, id, revision, &len);
	if (want == NULL)
		return got == NULL;
	return got != NULL && len == strlen(want) && memcmp(got, want, len) == 0;
}

static void
test_revisions(void)
{
	struct answer_cache *c = answer_cache_new(1000);
	ok(holds(c, 1, 7, NULL), "empty: nothing kept");
	answer_cache_put(c, 1, 7, "seven", 5);
	ok(holds(c, 1, 7, "seven"), "kept for its revision");
	size_t len = 0;
	const char *kept = answer_cache_get(c, 1, 7, &len);
	char copy[8] = "";
	memcpy(copy, kept, len);
	is_str(copy, "seven", "the kept bytes are a copy of the put ones");
	is_int((long long)len, 5, "with their length");
	ok(holds(c, 1, 8, NULL), "another revision of the same id: not served");
	ok(holds(c, 2, 7, NULL), "another id: not served");
	answer_cache_put(c, 1, 8, "eight", 5);
	ok(holds(c, 1, 8, "eight") && holds(c, 1, 7, NULL), "a put replaces what was kept for the id");
	answer_cache_free(c);
}

static void
test_bounds(void)
{
	/* 100 bytes: answers of 20 fit five at a time; more than 25 never. */
	struct answer_cache *c = answer_cache_new(100);
	const char *twenty = "01234567890123456789";
	for (int64_t id = 1; id <= 5; id++)
		answer_cache_put(c, id, 1, twenty, 20);
	ok(holds(c, 1, 1, twenty), "five answers of 20 bytes fit in 100");
	/* id 1 was just used, so id 2 is the least recently used. */
	answer_cache_put(c, 6, 1, twenty, 20);
	ok(holds(c, 2, 1, NULL), "the least recently used goes first");
	ok(holds(c, 1, 1, twenty) && holds(c, 6, 1, twenty), "the recently used and the new stay");
	answer_cache_put(c, 7, 1, "this answer is longer than a quarter", 36);
	ok(holds(c, 7, 1, NULL), "an answer over a quarter of the budget is not kept");
	answer_cache_put(c, 6, 2, "this answer is longer than a quarter", 36);
	ok(holds(c, 6, 1, NULL) && holds(c, 6, 2, NULL),
	   "a put too large to keep still drops the id's older answer");
	answer_cache_free(c);

	/* More ids than entries: the oldest slots are reused. */
	c = answer_cache_new(1 << 20);
	for (int64_t id = 1; id <= 200; id++)
		answer_cache_put(c, id, id, "x", 1);
	ok(holds(c, 200, 200, "x") && holds(c, 1, 1, NULL), "a full table reuses the oldest entry");
	answer_cache_free(c);
}

static void
test_off(void)
{
	struct answer_cache *c = answer_cache_new(0);
	ok(c == NULL, "a budget of 0 is no cache");
	answer_cache_put(c, 1, 1, "x", 1);
	ok(holds(c, 1, 1, NULL), "and every call accepts it");
	answer_cache_free(c);
}

int
main(void)
{
	test_revisions();
	test_bounds();
	test_off();
	return done_testing();
}
