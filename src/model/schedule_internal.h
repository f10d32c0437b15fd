/*
 * schedule_internal.h: what the schedule model's files share (schedule.c,
 * schedule_node.c, schedule_dispatch.c); nothing outside src/model/schedule*.c
 * includes it.  Each runs inside the caller's write transaction.
 */
#ifndef PIPELIT_MODEL_SCHEDULE_INTERNAL_H
#define PIPELIT_MODEL_SCHEDULE_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

struct db;

/* Inserts an active schedule of user_id from fields and sets its first due
 * time; id_out gets its id (SCHED_ID_MAX + 1 bytes). */
int schedule_create_in(struct db *db, json_t *fields, int64_t user_id, int64_t now_ms,
		       char *id_out);
/* Applies the settings fields holds; *timing_changed when the timing did. */
int schedule_apply_settings(struct db *db, const char *id, json_t *fields, int *timing_changed);
/* Due one period after now_ms when active (none otherwise); SCHED_BAD_TIMING
 * (with *why when why is not NULL) for an interval schedule without an
 * interval. */
int schedule_restart_clock(struct db *db, const char *id, int64_t now_ms, char **why);
/* The timing of a schedule as text (interval, cron, zone; malloc'd), to
 * tell whether a change changed it. */
int schedule_timing_text(struct db *db, const char *id, char **out);
/* next_run_ms and next_run_at together (due_ms < 0: none). */
int schedule_set_due(struct db *db, const char *id, int64_t due_ms);
/* The same, only while next_run_ms is still expect_ms: a due time computed
 * from a read that another executor may have acted on since (on
 * PostgreSQL a plain read does not lock the row). */
int schedule_set_due_if(struct db *db, const char *id, int64_t expect_ms, int64_t due_ms);
/* Ends a write: commit (with the executors' NOTIFY) on SCHED_OK, else
 * roll back.  rc passes through. */
int schedule_end_write(struct db *db, int rc);

#endif
