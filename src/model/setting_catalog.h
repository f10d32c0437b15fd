/*
 * setting_catalog.h: the platform settings of /api/v1/settings/ (Pipelit's
 * PlatformConfigOut), what values each takes, which environment variable
 * it comes from otherwise, and whether a change applies while the pool
 * runs (doc/settings.md).
 *
 * Where a value comes from, first match wins: a value stored through the
 * API (model/setting.h), the environment (or the .env file), the default.
 */
#ifndef PIPELIT_MODEL_SETTING_CATALOG_H
#define PIPELIT_MODEL_SETTING_CATALOG_H

#include <stddef.h>

#include <jansson.h>

struct config;

enum setting_kind {
	SETTING_CHOICE,     /* one of choices */
	SETTING_BOOL,
	SETTING_SECONDS,    /* an integer from min to max */
	SETTING_URL,        /* scheme://..., any scheme; "" for none; with SETTING_MASKED,
			       no password (never stored in clear) */
	SETTING_HTTP_URL,   /* http:// or https://...; "" for none */
	SETTING_PATH,       /* an absolute file path; "" for none */
};

enum setting_flag {
	SETTING_LIVE = 1,       /* applied by every process within SETTINGS_LIVE_DELAY_S */
	SETTING_READ_ONLY = 2,  /* shown, never stored: it says where the settings are */
	SETTING_MASKED = 4,     /* a URL whose password is shown as *** */
};

struct setting_def {
	const char *name;            /* the API's field */
	const char *env;             /* the environment variable */
	enum setting_kind kind;
	unsigned flags;              /* enum setting_flag */
	const char *const *choices;  /* SETTING_CHOICE: NULL-terminated */
	long min, max;               /* SETTING_SECONDS */
};

/* Every setting, in the order answers list them. */
extern const struct setting_def setting_defs[];
extern const size_t setting_def_count;

/* The setting called name, or NULL. */
const struct setting_def *setting_def_find(const char *name);

/* Whether value (already of the kind's JSON type) is acceptable; NULL,
 * or a static message saying what is expected. */
const char *setting_value_problem(const struct setting_def *d, json_t *value);

/* The value cfg holds for the setting, as JSON (new reference). */
json_t *setting_from_config(const struct setting_def *d, const struct config *cfg);

/* Puts a stored value into cfg (what a restart does); 0, or -1 when the
 * value is not acceptable (cfg unchanged). */
int setting_to_config(const struct setting_def *d, json_t *value, struct config *cfg);

/* The value as answers show it (new reference): passwords masked. */
json_t *setting_shown(const struct setting_def *d, json_t *value);

#endif
