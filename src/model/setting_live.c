/* setting_live.c: see setting_live.h. */
#include "setting_live.h"

#include <time.h>

#include "model/setting.h"
#include "model/setting_catalog.h"
#include "model/setting_startup.h"
#include "util/config.h"
#include "util/log.h"
#include "util/timefmt.h"

/* This process's values; see the header for who changes them when. */
static struct {
	int64_t revision;     /* applied last; -1: none yet */
	int64_t checked_ms;   /* CLOCK_MONOTONIC of the last check; 0: never */
	int asked;            /* a pass came too soon after a check: check when due */
	long lease_seconds;
} live = { .revision = -1, .lease_seconds = 900 };

void
settings_live_init(const struct config *cfg, int64_t revision)
{
	live.revision = revision;
	live.lease_seconds = cfg->zombie_threshold_seconds;
	live.checked_ms = 0;
	live.asked = 0;
	log_set_level(cfg->log_level);
}

/* The stored value of a live setting when it is acceptable, else the
 * environment's (borrowed). */
static json_t *
effective(json_t *stored, const char *name)
{
	const struct setting_def *d = setting_def_find(name);
	json_t *v = json_object_get(stored, name);
	if (v != NULL && d != NULL && setting_value_problem(d, v) == NULL)
		return v;
	return settings_env_value(name);
}

void
settings_live_apply(json_t *stored, int64_t revision)
{
	if (revision == live.revision)
		return;
	json_t *level = effective(stored, "log_level");
	json_t *lease = effective(stored, "zombie_execution_threshold_seconds");
	int lv = json_is_string(level) ? log_level_parse(json_string_value(level)) : -1;
	if (lv >= 0)
		log_set_level(lv);
	if (json_is_integer(lease) && json_integer_value(lease) > 0)
		live.lease_seconds = (long)json_integer_value(lease);
	live.revision = revision;
	log_info("settings revision %lld applied: log_level %s, "
		 "zombie_execution_threshold_seconds %ld", (long long)revision,
		 log_level_name(log_get_level()), live.lease_seconds);
	/* Only seen when the new level lets it through. */
	log_debug("settings revision %lld: this process logs at %s", (long long)revision,
		  log_level_name(log_get_level()));
}

static void
check_now(struct db *db)
{
	live.checked_ms = time_mono_ms();
	live.asked = 0;
	int64_t revision;
	/* A failed read leaves the values as they are until the next check. */
	if (settings_revision(db, &revision) != 0 || revision == live.revision)
		return;
	json_t *stored;
	if (settings_read(db, &stored, &revision) != 0)
		return;
	settings_live_apply(stored, revision);
	json_decref(stored);
}

static int
check_due(void)
{
	return live.checked_ms == 0 || time_mono_ms() - live.checked_ms >= SETTINGS_LIVE_DELAY_S * 1000;
}

void
settings_live_check(struct db *db)
{
	if (db != NULL && check_due())
		check_now(db);
}

int64_t
settings_live_lease_ms(struct db *db)
{
	if (check_due())
		check_now(db);
	else
		live.asked = 1;
	return (int64_t)live.lease_seconds * 1000;
}

long
settings_live_wait_ms(void)
{
	if (!live.asked)
		return -1;
	int64_t left = live.checked_ms + SETTINGS_LIVE_DELAY_S * 1000 - time_mono_ms();
	return left < 0 ? 0 : (long)left;
}

void
settings_live_check_asked(struct db *db)
{
	if (live.asked && check_due())
		check_now(db);
}

int64_t
settings_live_revision(void)
{
	return live.revision;
}
