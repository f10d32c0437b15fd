/*
 * kind_wait.c: the wait node (pipelit-engine.md 4.5): delays its
 * successors (not itself) by duration x unit.
 *
 * duration is read as Python's float() reads it (a number, or the text an
 * expression rendered); unit seconds, minutes or hours, anything else
 * counting as seconds.  The output says "Waited <str(float)> <unit>", e.g.
 * "Waited 5.0 seconds".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "nodes/kind_util.h"
#include "nodes/kinds.h"
#include "nodes/pycoerce.h"
#include "util/xalloc.h"

static double
unit_seconds(const char *unit)
{
	if (strcmp(unit, "minutes") == 0)
		return 60;
	if (strcmp(unit, "hours") == 0)
		return 3600;
	return 1;
}

/* extra_config.duration as a finite, non-negative float (absent: 0). */
static int
duration_of(const json_t *extra, double *out)
{
	const json_t *d = cfg_get(extra, "duration");
	*out = 0;
	if (d == NULL)
		return 0;
	return py_float(d, out) == 0 && isfinite(*out) && *out >= 0 ? 0 : -1;
}

static enum step
wait_run(struct node_ctx *ctx)
{
	double duration;
	if (duration_of(ctx->extra_config, &duration) != 0)
		return kind_bad_config(ctx, "duration must be a non-negative number of %s",
				       cfg_str(ctx->extra_config, "unit", "seconds"));
	const char *unit = cfg_str(ctx->extra_config, "unit", "seconds");
	json_t *as_float = json_real(duration);
	char *text = py_str(as_float);
	json_decref(as_float);
	char *output = xasprintf("Waited %s %s", text, unit);
	free(text);
	json_t *result = json_pack("{s:f, s:s}", "_delay_seconds", duration * unit_seconds(unit),
				   "output", output);
	free(output);
	return kind_done(ctx, result);
}

static int
wait_check(const json_t *extra, char **msg)
{
	static const char *const units[] = { "seconds", "minutes", "hours", NULL };
	if (check_choice(extra, "unit", units, msg) != 0)
		return -1;
	double d;
	if (!is_template_string(cfg_get(extra, "duration")) && duration_of(extra, &d) != 0)
		return check_fail(msg, "duration must be a non-negative number");
	return 0;
}

const struct node_kind node_kind_wait = {
	.name = "wait",
	.check_config = wait_check,
	.run = wait_run,
	.runs_inline = 1,
};
