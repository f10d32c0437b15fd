-- Revision: a6c2f8e1d3b9
-- Parent: a6f2c8e0d4b1
-- Message: schedules: cron, missed-run policy, due times, exactly-once runs
-- Created: 2026-12-04 20:00:00

-- +upgrade
--
-- scheduled_jobs gains (doc/schedules.md):
--   cron, timezone     a 5-field cron expression and its IANA zone; NULL for
--                      an interval schedule (interval_seconds is then 0)
--   missed_runs        what happens to due times that passed while no pool
--                      ran: 'skip' (Pipelit's), 'run_once', 'catch_up'
--   catch_up_limit     the most missed runs 'catch_up' replays
--   next_run_ms        unix ms of the next due time, NULL when not active
--                      (indexed with status: the due ones and the earliest
--                      are index searches, never a scan of the table):
--                      executors sleep until the earliest one
--   last_run_ms        unix ms of the last dispatch (overlap and timeout)
--   last_execution_id  the execution the last dispatch started
-- schedule_runs: one row per (schedule, due time) that was dispatched,
-- written in the transaction that starts its execution: a due time is
-- claimed by inserting its row, so however many executors or hosts look
-- at it, one run happens.
ALTER TABLE scheduled_jobs ADD COLUMN cron VARCHAR(255);
ALTER TABLE scheduled_jobs ADD COLUMN timezone VARCHAR(64);
ALTER TABLE scheduled_jobs ADD COLUMN missed_runs VARCHAR(16) NOT NULL DEFAULT 'skip';
ALTER TABLE scheduled_jobs ADD COLUMN catch_up_limit INTEGER NOT NULL DEFAULT 10;
ALTER TABLE scheduled_jobs ADD COLUMN next_run_ms BIGINT;
ALTER TABLE scheduled_jobs ADD COLUMN last_run_ms BIGINT;
ALTER TABLE scheduled_jobs ADD COLUMN last_execution_id VARCHAR(36);
CREATE INDEX ix_scheduled_jobs_due ON scheduled_jobs (status, next_run_ms);
CREATE TABLE schedule_runs (
	schedule_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_schedule_runs_schedule_id
		REFERENCES scheduled_jobs (id) ON DELETE CASCADE,
	due_ms BIGINT NOT NULL,
	execution_id VARCHAR(36),
	CONSTRAINT pk_schedule_runs PRIMARY KEY (schedule_id, due_ms)
);

-- +downgrade
DROP TABLE IF EXISTS schedule_runs;
DROP INDEX IF EXISTS ix_scheduled_jobs_due;
ALTER TABLE scheduled_jobs DROP COLUMN last_execution_id;
ALTER TABLE scheduled_jobs DROP COLUMN last_run_ms;
ALTER TABLE scheduled_jobs DROP COLUMN next_run_ms;
ALTER TABLE scheduled_jobs DROP COLUMN catch_up_limit;
ALTER TABLE scheduled_jobs DROP COLUMN missed_runs;
ALTER TABLE scheduled_jobs DROP COLUMN timezone;
ALTER TABLE scheduled_jobs DROP COLUMN cron;
