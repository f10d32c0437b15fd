-- Revision: b7d3e9f2a4c6
-- Parent: e7bb1bf0e9a3
-- Message: workflow budgets: limits, usage per day, reservations of LLM calls
-- Created: 2026-12-04 23:10:00

-- +upgrade
--
-- Budgets (doc/budgets.md); src/model/budget.c alone writes these.
-- * workflows.budget: the limits, a JSON object {max_tokens_per_execution,
--   max_usd_per_execution, max_tokens_per_day, max_usd_per_day} (each null =
--   no limit); NULL = no limits at all.
-- * workflow_usage_days: what a workflow's LLM calls used per UTC day
--   ('YYYY-MM-DD').  Money is counted in integer micro-dollars, so sums are
--   exact.  The row is also the lock every reservation of the workflow takes
--   (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write lock does the same),
--   so executions on many executors and hosts check their limits one at a
--   time.
-- * budget_reservations: the worst case of each LLM call in flight, counted
--   against the limits until the call's real usage replaces it (or, past
--   PIPELIT_BUDGET_RESERVATION_SECONDS, it is charged at its estimate).
CREATE TABLE workflow_usage_days (
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_usage_days_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	day VARCHAR(10) NOT NULL,
	tokens BIGINT NOT NULL DEFAULT 0,
	usd_micros BIGINT NOT NULL DEFAULT 0,
	llm_calls BIGINT NOT NULL DEFAULT 0,
	CONSTRAINT pk_workflow_usage_days PRIMARY KEY (workflow_id, day)
);

-- +upgrade sqlite
-- AUTOINCREMENT: a reservation's id is never given again (SQLite would
-- reuse the highest after a delete), so a late settle of a reservation
-- already charged at its estimate can never settle another one.
ALTER TABLE workflows ADD COLUMN budget TEXT;
CREATE TABLE budget_reservations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_budget_reservations_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_budget_reservations_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	day VARCHAR(10) NOT NULL,
	tokens BIGINT NOT NULL,
	usd_micros BIGINT NOT NULL,
	created_ms BIGINT NOT NULL
);
CREATE INDEX ix_budget_reservations_workflow_id_day ON budget_reservations (workflow_id, day);
CREATE INDEX ix_budget_reservations_execution_id ON budget_reservations (execution_id);

-- +upgrade postgresql
ALTER TABLE workflows ADD COLUMN budget json;
CREATE TABLE budget_reservations (
	id BIGSERIAL PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_budget_reservations_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_budget_reservations_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	day VARCHAR(10) NOT NULL,
	tokens BIGINT NOT NULL,
	usd_micros BIGINT NOT NULL,
	created_ms BIGINT NOT NULL
);
CREATE INDEX ix_budget_reservations_workflow_id_day ON budget_reservations (workflow_id, day);
CREATE INDEX ix_budget_reservations_execution_id ON budget_reservations (execution_id);

-- +downgrade
DROP TABLE IF EXISTS budget_reservations;
DROP TABLE IF EXISTS workflow_usage_days;
ALTER TABLE workflows DROP COLUMN budget;
