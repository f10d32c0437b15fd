/*
 * setting.h: the platform settings stored in the database (tables
 * platform_settings and platform_settings_revision; doc/settings.md).
 *
 * A stored setting is a name and a JSON value; what the names are and
 * which values they take is model/setting_catalog.h.  Every change bumps
 * the revision in its own transaction, so a process can tell with one
 * single-row read whether it must read the settings again.
 */
#ifndef PIPELIT_MODEL_SETTING_H
#define PIPELIT_MODEL_SETTING_H

#include <stdint.h>

#include <jansson.h>

struct db;

/* The revision of the stored settings (0 before the first change);
 * 0 or DB_FAILED. */
int settings_revision(struct db *db, int64_t *revision);

/* Every stored setting as an object name -> value (new reference in
 * *values) and the revision they belong to, read in one snapshot; rows
 * whose value is not JSON are left out.  0 or DB_FAILED. */
int settings_read(struct db *db, json_t **values, int64_t *revision);

/* One change, all or nothing: stores each member of set (name -> value),
 * deletes the rows named in unset (an array of names; NULL for none),
 * bumps the revision and, on PostgreSQL, queues a notice to executors
 * (channel pipelit_jobs) delivered at commit.  The new revision in
 * *revision.  0 or DB_FAILED. */
int settings_write(struct db *db, json_t *set, json_t *unset, int64_t now_ms,
		   int64_t *revision);

#endif
