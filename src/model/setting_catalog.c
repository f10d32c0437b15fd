/* setting_catalog.c: see setting_catalog.h. */
#include "setting_catalog.h"

#include <stdlib.h>
#include <string.h>

#include "util/config.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/url_mask.h"
#include "util/xalloc.h"

static const char *const log_levels[] = { "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", NULL };
static const char *const sandbox_modes[] = { "auto", "bwrap", "container", NULL };

/* The zombie threshold has the range of its environment variable. */
const struct setting_def setting_defs[] = {
	{ "pipelit_dir", "PIPELIT_DATA_DIR", SETTING_PATH, SETTING_READ_ONLY, NULL, 0, 0 },
	{ "sandbox_mode", "SANDBOX_MODE", SETTING_CHOICE, 0, sandbox_modes, 0, 0 },
	{ "database_url", "DATABASE_URL", SETTING_URL, SETTING_READ_ONLY | SETTING_MASKED, NULL,
	  0, 0 },
	{ "redis_url", "REDIS_URL", SETTING_URL, SETTING_MASKED, NULL, 0, 0 },
	{ "log_level", "LOG_LEVEL", SETTING_CHOICE, SETTING_LIVE, log_levels, 0, 0 },
	{ "log_file", "LOG_FILE", SETTING_PATH, 0, NULL, 0, 0 },
	{ "platform_base_url", "PLATFORM_BASE_URL", SETTING_HTTP_URL, 0, NULL, 0, 0 },
	{ "cors_allow_all_origins", "CORS_ALLOW_ALL_ORIGINS", SETTING_BOOL, 0, NULL, 0, 0 },
	{ "zombie_execution_threshold_seconds", "ZOMBIE_EXECUTION_THRESHOLD_SECONDS",
	  SETTING_SECONDS, SETTING_LIVE, NULL, 1, 100L * 365 * 86400 },
};
const size_t setting_def_count = sizeof(setting_defs) / sizeof(setting_defs[0]);

const struct setting_def *
setting_def_find(const char *name)
{
	for (size_t i = 0; i < setting_def_count; i++)
		if (strcmp(setting_defs[i].name, name) == 0)
			return &setting_defs[i];
	return NULL;
}

/* No control characters: the value ends up in a log line or a path. */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Whether the URL carries a password: masking it changes it. */
static int
has_password(const char *url)
{
	char *masked = url_mask_password(url);
	int changed = strcmp(masked, url) != 0;
	free(masked);
	return changed;
}

const char *
setting_value_problem(const struct setting_def *d, json_t *value)
{
	const char *s = json_string_value(value);
	switch (d->kind) {
	case SETTING_CHOICE:
		for (size_t i = 0; s && d->choices[i]; i++)
			if (strcmp(s, d->choices[i]) == 0)
				return NULL;
		return "not one of the accepted values";
	case SETTING_BOOL:
		return json_is_boolean(value) ? NULL : "expected true or false";
	case SETTING_SECONDS:
		if (!json_is_integer(value) || json_integer_value(value) < d->min ||
		    json_integer_value(value) > d->max)
			return "expected a whole number of seconds from 1 to 3153600000 (100 years)";
		return NULL;
	case SETTING_URL:
		if (s == NULL || has_control(s) || strchr(s, ' ') != NULL || strlen(s) > 2048)
			return "expected a URL (scheme://...) of at most 2048 characters, or \"\"";
		if (*s != '\0' && strstr(s, "://") == NULL)
			return "expected a URL (scheme://...) of at most 2048 characters, or \"\"";
		if ((d->flags & SETTING_MASKED) && has_password(s))
			return "a URL with a password is not stored (it would be kept in clear in the "
			       "database); set it in the environment instead";
		return NULL;
	case SETTING_HTTP_URL:
		if (s == NULL || has_control(s) || strchr(s, ' ') != NULL || strlen(s) > 2048)
			return "expected an http:// or https:// URL of at most 2048 characters, or \"\"";
		if (*s != '\0' && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
			return "expected an http:// or https:// URL of at most 2048 characters, or \"\"";
		return NULL;
	case SETTING_PATH:
		if (s == NULL || has_control(s) || strlen(s) > 1024 || (*s != '\0' && *s != '/'))
			return "expected an absolute path of at most 1024 characters, or \"\" for "
			       "standard error";
		return NULL;
	}
	return "unknown setting";
}

json_t *
setting_from_config(const struct setting_def *d, const struct config *cfg)
{
	const char *n = d->name;
	if (strcmp(n, "pipelit_dir") == 0)
		return json_string(cfg->data_dir);
	if (strcmp(n, "sandbox_mode") == 0)
		return json_string(cfg->sandbox_mode ? cfg->sandbox_mode : "auto");
	if (strcmp(n, "database_url") == 0)
		return json_string(cfg->database_url ? cfg->database_url : "");
	if (strcmp(n, "redis_url") == 0)
		return json_string(cfg->redis_url ? cfg->redis_url : "");
	if (strcmp(n, "log_level") == 0)
		return json_string(log_level_name(cfg->log_level));
	if (strcmp(n, "log_file") == 0)
		return json_string(cfg->log_file ? cfg->log_file : "");
	if (strcmp(n, "platform_base_url") == 0)
		return json_string(cfg->platform_base_url ? cfg->platform_base_url : "");
	if (strcmp(n, "cors_allow_all_origins") == 0)
		return json_boolean(cfg->cors_allow_all_origins);
	if (strcmp(n, "zombie_execution_threshold_seconds") == 0)
		return json_integer(cfg->zombie_threshold_seconds);
	return json_null();
}

static void
replace_text(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

int
setting_to_config(const struct setting_def *d, json_t *value, struct config *cfg)
{
	if ((d->flags & SETTING_READ_ONLY) || setting_value_problem(d, value) != NULL)
		return -1;
	const char *n = d->name;
	const char *s = json_string_value(value);
	if (strcmp(n, "sandbox_mode") == 0) {
		replace_text(&cfg->sandbox_mode, s);
	} else if (strcmp(n, "redis_url") == 0) {
		replace_text(&cfg->redis_url, s);
	} else if (strcmp(n, "log_level") == 0) {
		cfg->log_level = log_level_parse(s);
	} else if (strcmp(n, "log_file") == 0) {
		free(cfg->log_file);
		cfg->log_file = *s ? xstrdup(s) : NULL;
	} else if (strcmp(n, "platform_base_url") == 0) {
		replace_text(&cfg->platform_base_url, s);
	} else if (strcmp(n, "cors_allow_all_origins") == 0) {
		cfg->cors_allow_all_origins = json_is_true(value);
	} else if (strcmp(n, "zombie_execution_threshold_seconds") == 0) {
		cfg->zombie_threshold_seconds = (long)json_integer_value(value);
	} else {
		return -1;
	}
	return 0;
}

json_t *
setting_shown(const struct setting_def *d, json_t *value)
{
	if (!(d->flags & SETTING_MASKED) || !json_is_string(value))
		return json_incref(value);
	char *masked = url_mask_password(json_string_value(value));
	json_t *out = json_string(masked);
	free(masked);
	return out;
}
