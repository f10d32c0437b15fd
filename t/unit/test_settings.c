/* test_settings.c: the pure parts of the platform settings: passwords
 * masked in URLs (util/url_mask.h), the values each setting takes and how
 * one goes into and out of the configuration (model/setting_catalog.h). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/setting_catalog.h"
#include "tap.h"
#include "util/config.h"
#include "util/log.h"
#include "util/url_mask.h"

static void
mask_is(const char *url, const char *want)
{
	char *got = url_mask_password(url);
	is_str(got, want, "mask of %s", url);
	free(got);
}

static void
test_url_mask(void)
{
	mask_is("postgresql://pipelit:s3cret@db:5432/pipelit", "postgresql://pipelit:***@db:5432/pipelit");
	mask_is("postgresql://pipelit:p@ss@db/pipelit", "postgresql://pipelit:***@db/pipelit");
	mask_is("redis://:only-pass@cache:6379/0", "redis://:***@cache:6379/0");
	mask_is("redis://user:@cache", "redis://user:***@cache");
	mask_is("postgresql://pipelit@db/pipelit", "postgresql://pipelit@db/pipelit");
	mask_is("postgresql:///pipelit?host=/run/pg&password=s3cret&user=u",
		"postgresql:///pipelit?host=/run/pg&password=***&user=u");
	mask_is("postgresql://u:a@h/d?PASSWORD=b#frag", "postgresql://u:***@h/d?PASSWORD=***#frag");
	mask_is("postgresql://h/d?passwordx=1&xpassword=2", "postgresql://h/d?passwordx=1&xpassword=2");
	mask_is("sqlite:////srv/pipelit/db.sqlite3", "sqlite:////srv/pipelit/db.sqlite3");
	mask_is("http://example.org/a@b:c", "http://example.org/a@b:c");
	mask_is("", "");
	mask_is("no scheme:pw@host", "no scheme:pw@host");
}

static const char *
problem(const char *name, const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	const char *p = setting_value_problem(setting_def_find(name), v);
	json_decref(v);
	return p;
}

static void
test_values(void)
{
	ok(setting_def_find("nope") == NULL, "an unknown setting is not found");
	ok(problem("log_level", "\"DEBUG\"") == NULL, "DEBUG is a level");
	ok(problem("log_level", "\"CRITICAL\"") == NULL, "CRITICAL is a level");
	ok(problem("log_level", "\"debug\"") != NULL, "levels are upper case, as Pipelit's Literal");
	ok(problem("log_level", "3") != NULL, "a number is not a level");
	ok(problem("zombie_execution_threshold_seconds", "1") == NULL, "a 1 s lease");
	ok(problem("zombie_execution_threshold_seconds", "0") != NULL, "no 0 s lease");
	ok(problem("zombie_execution_threshold_seconds", "3153600001") != NULL, "no lease past 100 years");
	ok(problem("zombie_execution_threshold_seconds", "\"60\"") != NULL, "stored as a number only");
	ok(problem("cors_allow_all_origins", "true") == NULL, "true");
	ok(problem("cors_allow_all_origins", "1") != NULL, "1 is not a stored bool");
	ok(problem("log_file", "\"\"") == NULL, "\"\": standard error");
	ok(problem("log_file", "\"/var/log/pipelit.log\"") == NULL, "an absolute path");
	ok(problem("log_file", "\"pipelit.log\"") != NULL, "a relative path");
	ok(problem("log_file", "\"/tmp/a\\u0001b\"") != NULL, "a control character");
	ok(problem("platform_base_url", "\"https://p.example.org\"") == NULL, "an https URL");
	ok(problem("platform_base_url", "\"javascript:alert(1)\"") != NULL, "not an http URL");
	ok(problem("redis_url", "\"rediss://h:6380/0\"") == NULL, "any scheme for redis_url");
	ok(problem("redis_url", "\"h:6379\"") != NULL, "a redis_url without a scheme");
	ok(problem("redis_url", "\"redis://u:pw@h/0\"") != NULL, "no password stored in a redis_url");
	ok(problem("redis_url", "\"redis://h/0?password=pw\"") != NULL, "nor as a parameter");
	ok(problem("redis_url", "\"redis://u@h/0\"") == NULL, "a user without a password");
	ok(problem("sandbox_mode", "\"bwrap\"") == NULL, "bwrap");
	ok(problem("sandbox_mode", "\"none\"") != NULL, "none is not a mode to choose");
	const struct setting_def *db = setting_def_find("database_url");
	ok(db && (db->flags & SETTING_READ_ONLY) && (db->flags & SETTING_MASKED),
	   "database_url is read-only and masked");
	size_t live = 0;
	for (size_t i = 0; i < setting_def_count; i++)
		live += (setting_defs[i].flags & SETTING_LIVE) != 0;
	is_int(live, 2, "two live settings");
}

static void
test_config_round_trip(void)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.log_level = LOG_LEVEL_INFO;
	cfg.zombie_threshold_seconds = 900;
	cfg.sandbox_mode = strdup("auto");
	json_t *v = json_integer(42);
	ok(setting_to_config(setting_def_find("zombie_execution_threshold_seconds"), v, &cfg) == 0 &&
	   cfg.zombie_threshold_seconds == 42, "a stored lease goes into the configuration");
	json_decref(v);
	v = json_string("WARNING");
	ok(setting_to_config(setting_def_find("log_level"), v, &cfg) == 0 &&
	   cfg.log_level == LOG_LEVEL_WARNING, "a stored level");
	json_decref(v);
	v = json_string("CRITICAL");
	ok(setting_to_config(setting_def_find("log_level"), v, &cfg) == 0 &&
	   cfg.log_level == LOG_LEVEL_ERROR, "CRITICAL logs what ERROR logs");
	json_decref(v);
	v = json_integer(0);
	ok(setting_to_config(setting_def_find("zombie_execution_threshold_seconds"), v, &cfg) != 0 &&
	   cfg.zombie_threshold_seconds == 42, "an unacceptable stored value leaves the configuration");
	json_decref(v);
	v = json_string("sqlite:////tmp/x");
	ok(setting_to_config(setting_def_find("database_url"), v, &cfg) != 0,
	   "database_url never comes from the database");
	json_decref(v);
	v = setting_from_config(setting_def_find("log_level"), &cfg);
	is_str(json_string_value(v), "ERROR", "the configuration's level, by name");
	json_decref(v);
	v = json_string("container");
	setting_to_config(setting_def_find("sandbox_mode"), v, &cfg);
	json_decref(v);
	v = setting_from_config(setting_def_find("sandbox_mode"), &cfg);
	is_str(json_string_value(v), "container", "sandbox_mode in and out");
	json_decref(v);
	v = json_string("redis://u:pw@h/0");
	json_t *shown = setting_shown(setting_def_find("redis_url"), v);
	is_str(json_string_value(shown), "redis://u:***@h/0", "redis_url (from the environment) is shown masked");
	json_decref(shown);
	json_decref(v);
	free(cfg.sandbox_mode);
}

int
main(void)
{
	test_url_mask();
	test_values();
	test_config_round_trip();
	return done_testing();
}
