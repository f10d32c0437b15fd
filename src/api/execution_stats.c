/*
 * execution_stats.c: GET /api/v1/executions/stats/: executions, failures,
 * cost and tokens per UTC day per workflow over the last `days` days
 * (today included), for the UI's charts.  Scoped as the executions list:
 * a user's own workflows, an admin's all.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/execution.h"
#include "model/execution_stats.h"
#include "util/jsonw.h"
#include "util/timefmt.h"

#define SLUG_MAX 255

/* The first UTC day of a window of `days` days ending today. */
static void
window_start(int64_t days, char out[11])
{
	time_t t = (time_t)(time_now_ms() / 1000 - (days - 1) * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int
executions_stats(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct validator v;
	struct exec_stats_query q = { .owner = r->user.is_admin ? EXEC_ANY_OWNER : r->user.id, .days = 30 };
	v_init(&v, NULL);
	v_query_int(&v, "days", req_query(r, "days"), 1, EXEC_STATS_DAYS_MAX, &q.days);
	q.workflow_slug = req_query(r, "workflow_slug");
	if (q.workflow_slug != NULL && strlen(q.workflow_slug) > SLUG_MAX)
		v_add(&v, V_QUERY, "workflow_slug", "string_too_long",
		      "String should have at most 255 characters", json_string(q.workflow_slug),
		      json_pack("{s:i}", "max_length", SLUG_MAX));
	if (v_failed(&v))
		return resp_invalid(r, &v);
	v_free(&v);
	char from[11];
	window_start(q.days, from);
	q.from_day = from;
	struct jw out;
	jw_init(&out);
	if (execution_stats_write(db, &q, &out) != EXEC_OK) {
		jw_free(&out);
		return resp_db_error(r, db, "execution stats");
	}
	return resp_jw(r, 200, &out);
}
