/*
 * setting_live.h: how a running process learns of a settings change
 * (doc/settings.md, "How a change reaches every process").
 *
 * Each process keeps the values it applies (the log level, the lease of
 * the engine's jobs) and the settings revision they came from.  It reads
 * the revision again (one single-row query) only when it is working:
 *   - a responder before a request, at most once per SETTINGS_LIVE_DELAY_S;
 *   - an executor at each pass of its engine, at most once per
 *     SETTINGS_LIVE_DELAY_S; a pass that comes sooner asks for a check
 *     when that time is up (settings_live_wait_ms).
 * A change wakes every executor (a NOTIFY on PostgreSQL, reaching every
 * host; the wake-up FIFO on SQLite), so an idle pool still applies it,
 * and a pool at rest makes no query for this.  When the revision moved,
 * the settings are read and applied, and the process logs it once.
 *
 * The state is this process's own (set at start, inherited over fork).
 */
#ifndef PIPELIT_MODEL_SETTING_LIVE_H
#define PIPELIT_MODEL_SETTING_LIVE_H

#include <stdint.h>

#include <jansson.h>

struct config;
struct db;

/* The longest a working process goes on with a value changed elsewhere. */
#define SETTINGS_LIVE_DELAY_S 2

/* The values in force at start (cfg holds the stored values already:
 * model/setting_startup.h) and the revision they belong to. */
void settings_live_init(const struct config *cfg, int64_t revision);

/* A responder, before each request: checks the revision when the last
 * check is SETTINGS_LIVE_DELAY_S old.  db may be NULL (no check). */
void settings_live_check(struct db *db);

/* An executor, at each pass: the lease of the jobs it claims, in ms,
 * after a check when one is due (else one is asked for). */
int64_t settings_live_lease_ms(struct db *db);

/* An executor between passes: -1, or the ms until an asked-for check is
 * due; and the check itself, done when it is. */
long settings_live_wait_ms(void);
void settings_live_check_asked(struct db *db);

/* The process that made a change: applies it now (stored: name -> value,
 * borrowed). */
void settings_live_apply(json_t *stored, int64_t revision);

/* The revision this process applied last. */
int64_t settings_live_revision(void);

#endif
