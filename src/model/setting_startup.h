/*
 * setting_startup.h: the stored settings at the start of a pool (or of a
 * reload, or of 'pipelit fcgi').
 *
 * Right after the migrations, the process that will fork the others reads
 * the settings stored through the API and puts them into its
 * configuration, over what the environment said: children inherit the
 * result, so a setting that needs a restart is in force after one.  What
 * the environment said is kept, for the answers of GET /api/v1/settings/
 * (a setting whose stored value is removed goes back to it).
 */
#ifndef PIPELIT_MODEL_SETTING_STARTUP_H
#define PIPELIT_MODEL_SETTING_STARTUP_H

#include <jansson.h>

struct config;
struct db;

/* Keeps what cfg says (the environment), then puts the stored settings
 * into cfg and sets the live values (model/setting_live.h).  A stored
 * value that is not acceptable is ignored (logged).  0, or DB_FAILED
 * (cfg unchanged). */
int settings_start(struct db *db, struct config *cfg);

/* For answers: name -> the environment's value (borrowed), and name ->
 * "environment" or "default" (borrowed); empty objects before
 * settings_start. */
json_t *settings_env_values(void);
json_t *settings_env_sources(void);

/* The environment's value of one setting (borrowed; NULL when unknown). */
json_t *settings_env_value(const char *name);

#endif
