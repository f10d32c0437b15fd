/* test_kinds.c: see test_kinds.h. */
#include "test_kinds.h"

#include <string.h>
#include <time.h>

static enum step
sleep_run(struct node_ctx *ctx)
{
	double s = json_number_value(json_object_get(ctx->extra_config, "seconds"));
	if (s > 0 && s < 600) {
		struct timespec ts = { .tv_sec = (time_t)s,
				       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	ctx->result = json_pack("{s:f}", "slept", s);
	return STEP_DONE;
}

static enum step
flaky_run(struct node_ctx *ctx)
{
	json_int_t fails = json_integer_value(json_object_get(ctx->extra_config, "fail_times"));
	if (ctx->attempt <= fails)
		return node_fail(ctx, "flaky", "failing on purpose (run %d of the first %d)",
				 ctx->attempt, (int)fails);
	ctx->result = json_pack("{s:i}", "attempt", ctx->attempt);
	return STEP_DONE;
}

static const struct node_kind test_sleep = { .name = "test_sleep", .run = sleep_run };
static const struct node_kind test_flaky = { .name = "test_flaky", .run = flaky_run };

const struct node_kind *
engine_kind_find(const char *name, int test_kinds)
{
	if (test_kinds && strcmp(name, "test_sleep") == 0)
		return &test_sleep;
	if (test_kinds && strcmp(name, "test_flaky") == 0)
		return &test_flaky;
	return node_kind_find(name);
}
