/* setting_startup.c: see setting_startup.h. */
#include "setting_startup.h"

#include "db/db.h"
#include "model/setting.h"
#include "model/setting_catalog.h"
#include "model/setting_live.h"
#include "util/config.h"
#include "util/log.h"

/* Written at start (and on a reload) in the process that forks the
 * others, before it forks; read-only afterwards. */
static json_t *env_values;
static json_t *env_sources;

static void
keep_environment(const struct config *cfg)
{
	json_decref(env_values);
	json_decref(env_sources);
	env_values = json_object();
	env_sources = json_object();
	for (size_t i = 0; i < setting_def_count; i++) {
		const struct setting_def *d = &setting_defs[i];
		json_object_set_new(env_values, d->name, setting_from_config(d, cfg));
		json_object_set_new(env_sources, d->name,
				    json_string(config_was_set(cfg, d->env) ? "environment" : "default"));
	}
}

int
settings_start(struct db *db, struct config *cfg)
{
	json_t *stored;
	int64_t revision;
	if (settings_read(db, &stored, &revision) != 0)
		return DB_FAILED;
	keep_environment(cfg);
	const char *name;
	json_t *value;
	json_object_foreach(stored, name, value) {
		const struct setting_def *d = setting_def_find(name);
		if (d == NULL || setting_to_config(d, value, cfg) != 0)
			log_warn("ignoring the stored setting %s: not a setting, or a value it "
				 "does not take", name);
	}
	json_decref(stored);
	settings_live_init(cfg, revision);
	return 0;
}

json_t *
settings_env_values(void)
{
	if (env_values == NULL)
		env_values = json_object();
	return env_values;
}

json_t *
settings_env_sources(void)
{
	if (env_sources == NULL)
		env_sources = json_object();
	return env_sources;
}

json_t *
settings_env_value(const char *name)
{
	return json_object_get(settings_env_values(), name);
}
