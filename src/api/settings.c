/*
 * settings.c: /api/v1/settings/ (pipelit-api.md section 3.13;
 * doc/settings.md).  Any user reads, an admin changes; values are stored
 * in the database (model/setting.h), secrets in URLs are masked.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/setting.h"
#include "model/setting_catalog.h"
#include "model/setting_live.h"
#include "model/setting_startup.h"
#include "util/config.h"
#include "util/host_probe.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/wake.h"

/* The stored value of d when it is one to use (borrowed), else NULL. */
static json_t *
stored_value(json_t *stored, const struct setting_def *d)
{
	json_t *v = json_object_get(stored, d->name);
	if (v == NULL || (d->flags & SETTING_READ_ONLY) || setting_value_problem(d, v) != NULL)
		return NULL;
	return v;
}

/* PlatformConfigOut: each setting's value as it is in force (or will be
 * after a restart), passwords masked. */
static json_t *
config_out(json_t *stored)
{
	json_t *o = json_object();
	for (size_t i = 0; i < setting_def_count; i++) {
		const struct setting_def *d = &setting_defs[i];
		json_t *v = stored_value(stored, d);
		if (v == NULL)
			v = settings_env_value(d->name);
		json_object_set_new(o, d->name, v ? setting_shown(d, v) : json_null());
	}
	return o;
}

/* name -> "database", "environment" or "default". */
static json_t *
sources_out(json_t *stored)
{
	json_t *o = json_object();
	for (size_t i = 0; i < setting_def_count; i++) {
		const struct setting_def *d = &setting_defs[i];
		json_t *env = json_object_get(settings_env_sources(), d->name);
		json_object_set_new(o, d->name,
				    stored_value(stored, d) ? json_string("database")
				    : env ? json_incref(env) : json_string("default"));
	}
	return o;
}

static json_t *
environment_out(const struct config *cfg, json_t *stored)
{
	const struct setting_def *d = setting_def_find("sandbox_mode");
	json_t *mode = stored_value(stored, d);
	if (mode == NULL)
		mode = settings_env_value("sandbox_mode");
	return host_probe(cfg->data_dir, json_is_string(mode) ? json_string_value(mode) : "auto");
}

int
settings_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *stored;
	int64_t revision;
	if (settings_read(db, &stored, &revision) != 0)
		return resp_db_error(r, db, "settings");
	json_t *body = json_pack("{s:o, s:o, s:o, s:I}", "config", config_out(stored),
				 "sources", sources_out(stored),
				 "environment", environment_out(r->cfg, stored),
				 "revision", (json_int_t)revision);
	json_decref(stored);
	return resp_json(r, 200, body);
}

/* One field of a PATCH: its clean value into set (or its name into unset
 * for null: back to the environment's value); errors into v. */
static void
check_field(struct validator *v, json_t *body, const char *name, json_t *value, json_t *set,
	    json_t *unset)
{
	const struct setting_def *d = setting_def_find(name);
	if (d == NULL) {
		v_add(v, V_BODY, name, "extra_forbidden", "Extra inputs are not permitted",
		      json_incref(value), NULL);
		return;
	}
	if (d->flags & SETTING_READ_ONLY) {
		char msg[160];
		snprintf(msg, sizeof msg, "%s cannot be changed through the API: it is where the "
			 "settings are kept; set %s in the environment", name, d->env);
		v_add(v, V_BODY, name, "read_only", msg, json_incref(value), NULL);
		return;
	}
	if (json_is_null(value)) {
		json_array_append_new(unset, json_string(name));
		return;
	}
	const char *s = NULL;
	int b = 0;
	int64_t n = 0;
	switch (d->kind) {
	case SETTING_CHOICE:
		if (v_literal(v, body, name, 1, d->choices, &s) == 1)
			json_object_set_new(set, name, json_string(s));
		return;
	case SETTING_BOOL:
		if (v_bool(v, body, name, 1, &b) == 1)
			json_object_set_new(set, name, json_boolean(b));
		return;
	case SETTING_SECONDS:
		if (v_int(v, body, name, 1, &n) != 1)
			return;
		if (n < d->min)
			v_add(v, V_BODY, name, "greater_than_equal",
			      "Input should be greater than or equal to 1", json_incref(value),
			      json_pack("{s:I}", "ge", (json_int_t)d->min));
		else if (n > d->max)
			v_add(v, V_BODY, name, "less_than_equal",
			      "Input should be less than or equal to 3153600000", json_incref(value),
			      json_pack("{s:I}", "le", (json_int_t)d->max));
		else
			json_object_set_new(set, name, json_integer(n));
		return;
	case SETTING_URL:
	case SETTING_HTTP_URL:
	case SETTING_PATH:
		if (v_string(v, body, name, 1, 0, 0, &s) != 1)
			return;
		json_t *clean = json_string(s);
		const char *problem = setting_value_problem(d, clean);
		if (problem != NULL) {
			v_add(v, V_BODY, name, "value_error", problem, json_incref(value), NULL);
			json_decref(clean);
			return;
		}
		json_object_set_new(set, name, clean);
		return;
	}
}

/* The fields of the body, in the order sent, split into the two lists
 * of the answer. */
static void
split_by_effect(json_t *body, json_t *hot, json_t *restart)
{
	const char *name;
	json_t *value;
	json_object_foreach(body, name, value) {
		const struct setting_def *d = setting_def_find(name);
		json_array_append_new((d->flags & SETTING_LIVE) ? hot : restart, json_string(name));
	}
}

int
settings_patch(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	json_t *set = json_object();
	json_t *unset = json_array();
	if (v_body_object(&v, body) > 0) {
		const char *name;
		json_t *value;
		json_object_foreach(body, name, value)
			check_field(&v, body, name, value, set, unset);
	}
	if (v_failed(&v)) {
		json_decref(set);
		json_decref(unset);
		return resp_invalid(r, &v);
	}
	struct db *db = req_db_or_answer(r);
	int64_t revision;
	if (db != NULL && json_object_size(body) > 0 &&
	    settings_write(db, set, unset, time_now_ms(), &revision) != 0) {
		json_decref(set);
		json_decref(unset);
		return resp_db_error(r, db, "settings");
	}
	json_decref(set);
	json_decref(unset);
	if (db == NULL)
		return 0;
	json_t *stored;
	if (settings_read(db, &stored, &revision) != 0)
		return resp_db_error(r, db, "settings");
	if (json_object_size(body) > 0) {
		/* This host's executors on SQLite (PostgreSQL's NOTIFY went with
		 * the commit), and this process now. */
		wake_executors(r->cfg);
		settings_live_apply(stored, revision);
		log_info("settings revision %lld: changed by %s", (long long)revision,
			 r->user.username);
	}
	json_t *hot = json_array();
	json_t *restart = json_array();
	split_by_effect(body, hot, restart);
	json_t *answer = json_pack("{s:o, s:o, s:o, s:o, s:I}", "config", config_out(stored),
				   "sources", sources_out(stored), "hot_reloaded", hot,
				   "restart_required", restart, "revision", (json_int_t)revision);
	json_decref(stored);
	return resp_json(r, 200, answer);
}

int
settings_recheck_environment(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *stored;
	int64_t revision;
	if (settings_read(db, &stored, &revision) != 0)
		return resp_db_error(r, db, "settings");
	json_t *env = environment_out(r->cfg, stored);
	json_decref(stored);
	return resp_json(r, 200, json_pack("{s:o}", "environment", env));
}
