/* schedule_fields.c: see schedule_fields.h. */
#include "api/schedule_fields.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/validate.h"
#include "sched/next_run.h"
#include "util/xalloc.h"

#define NAME_MAX_CHARS 255
#define TEXT_MAX_CHARS (64 * 1024)
#define INT32_MAX_VALUE 2147483647LL
#define CATCH_UP_MAX 1000

/* Pipelit's range errors: 422 value_error "Value error, <key> must be
 * >= <min>". */
static void
range_error(struct validator *v, const char *key, const char *rule, json_t *input)
{
	char *msg = xasprintf("Value error, %s must be %s", key, rule);
	v_add(v, V_BODY, key, "value_error", msg, input, json_pack("{s:{}}", "error"));
	free(msg);
}

static int
check_range(struct validator *v, json_t *body, const char *key, int required, int64_t min,
	    int64_t max, json_t *clean)
{
	int64_t n = 0;
	int rc = v_int(v, body, key, required, &n);
	if (rc != 1)
		return rc;
	if (n < min || n > max) {
		char *rule = n < min ? xasprintf(">= %lld", (long long)min)
				     : xasprintf("<= %lld", (long long)max);
		range_error(v, key, rule, json_integer(n));
		free(rule);
		return -1;
	}
	json_object_set_new(clean, key, json_integer(n));
	return 1;
}

static int
sent_null(json_t *body, const char *key)
{
	json_t *val = json_object_get(body, key);
	return val != NULL && json_is_null(val);
}

/* cron and timezone: read together (an expression means something in a
 * zone); the cron library says what is wrong with them. */
static void
check_timing(struct validator *v, json_t *body, json_t *clean)
{
	const char *cron = NULL, *zone = NULL;
	if (sent_null(body, "cron"))
		json_object_set_new(clean, "cron", json_null());
	else if (v_string(v, body, "cron", 0, 1, SCHED_CRON_MAX, &cron) == 1)
		json_object_set_new(clean, "cron", json_string(cron));
	if (sent_null(body, "timezone"))
		json_object_set_new(clean, "timezone", json_null());
	else if (v_string(v, body, "timezone", 0, 1, SCHED_TZ_MAX, &zone) == 1)
		json_object_set_new(clean, "timezone", json_string(zone));
	char *why = NULL;
	if (cron && next_run_check(cron, zone, &why) != 0) {
		char *zone_why = NULL;
		int zone_bad = zone && next_run_check_zone(zone, &zone_why) != 0;
		free(zone_why);
		char *msg = xasprintf("Value error, %s", why);
		v_add(v, V_BODY, zone_bad ? "timezone" : "cron", "value_error", msg,
		      json_string(zone_bad ? zone : cron), json_pack("{s:{}}", "error"));
		free(msg);
		json_object_del(clean, "cron");
	} else if (!cron && zone && next_run_check_zone(zone, &why) != 0) {
		char *msg = xasprintf("Value error, %s", why);
		v_add(v, V_BODY, "timezone", "value_error", msg, json_string(zone),
		      json_pack("{s:{}}", "error"));
		free(msg);
	}
	free(why);
}

json_t *
schedule_fields_check(struct validator *v, json_t *body, int creating)
{
	size_t before = v_count(v);
	if (v_body_object(v, body) != 1)
		return NULL;
	json_t *clean = json_object();
	const char *s = NULL;
	if (v_string(v, body, "name", creating, 0, NAME_MAX_CHARS, &s) == 1)
		json_object_set_new(clean, "name", json_string(s));
	if (v_string(v, body, "description", 0, 0, TEXT_MAX_CHARS, &s) == 1)
		json_object_set_new(clean, "description", json_string(s));
	if (creating) {
		check_range(v, body, "workflow_id", 1, INT64_MIN, INT64_MAX, clean);
		if (!sent_null(body, "trigger_node_id") &&
		    v_string(v, body, "trigger_node_id", 0, 0, 255, &s) == 1)
			json_object_set_new(clean, "trigger_node_id", json_string(s));
	}
	check_timing(v, body, clean);
	int has_cron = json_is_string(json_object_get(clean, "cron"));
	int has_interval = json_object_get(body, "interval_seconds") != NULL &&
			   !sent_null(body, "interval_seconds");
	if (has_interval)
		check_range(v, body, "interval_seconds", 0, 1, INT32_MAX_VALUE, clean);
	else if (creating && !has_cron && v_count(v) == before)
		check_range(v, body, "interval_seconds", 1, 1, INT32_MAX_VALUE, clean);
	if (has_cron && has_interval)
		range_error(v, "interval_seconds", "null with a cron expression (give one or the other)",
			    json_incref(json_object_get(body, "interval_seconds")));
	if (!creating && sent_null(body, "cron") && !has_interval)
		range_error(v, "interval_seconds", ">= 1 (an interval replaces the cron expression)",
			    json_null());
	check_range(v, body, "total_repeats", 0, 0, INT32_MAX_VALUE, clean);
	check_range(v, body, "max_retries", 0, 0, INT32_MAX_VALUE, clean);
	check_range(v, body, "timeout_seconds", 0, 1, INT32_MAX_VALUE, clean);
	check_range(v, body, "catch_up_limit", 0, 1, CATCH_UP_MAX, clean);
	if (v_literal(v, body, "missed_runs", 0, missed_policy_names, &s) == 1)
		json_object_set_new(clean, "missed_runs", json_string(s));
	json_t *payload = NULL;
	if (sent_null(body, "trigger_payload"))
		json_object_set_new(clean, "trigger_payload", json_null());
	else if (v_object(v, body, "trigger_payload", 0, &payload) == 1)
		json_object_set(clean, "trigger_payload", payload);
	if (v_count(v) > before) {
		json_decref(clean);
		return NULL;
	}
	return clean;
}

json_t *
schedule_preview_check(struct validator *v, json_t *body, int creating)
{
	(void)creating;
	size_t before = v_count(v);
	if (v_body_object(v, body) != 1)
		return NULL;
	json_t *clean = json_object();
	const char *cron = NULL;
	if (v_string(v, body, "cron", 1, 1, SCHED_CRON_MAX, &cron) == 1)
		json_object_set_new(clean, "cron", json_string(cron));
	if (cron)
		check_timing(v, body, clean);
	json_object_set_new(clean, "count", json_integer(5));
	check_range(v, body, "count", 0, 1, 100, clean);
	if (v_count(v) > before) {
		json_decref(clean);
		return NULL;
	}
	return clean;
}
