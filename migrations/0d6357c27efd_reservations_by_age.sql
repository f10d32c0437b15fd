-- Revision: 0d6357c27efd
-- Parent: da78285e1e1b
-- Message: budget reservations indexed by workflow and age
-- Created: 2026-12-06 19:20:00

-- +upgrade
--
-- Before each LLM call of a workflow without a budget, the reservation's
-- insert asks whether any of the workflow's reservations is old enough to
-- be charged at its estimate (created_ms at or before the cutoff), and the
-- locked path lists those.  The index on (workflow_id, day) answered that
-- by visiting every reservation of the workflow, all of them calls in
-- flight: with 200 calls of one workflow in flight each insert read up to
-- 200 rows, so a burst of N calls cost N squared row visits.  Indexed by
-- (workflow_id, created_ms) the question is one index probe.  It also
-- serves the sum of a workflow's day (every reservation of the workflow,
-- filtered by day: they are the calls in flight, the rows the sum reads
-- anyway), so it replaces the day index rather than adding a fourth.
DROP INDEX ix_budget_reservations_workflow_id_day;
CREATE INDEX ix_budget_reservations_workflow_id_created_ms
	ON budget_reservations (workflow_id, created_ms);

-- +downgrade
DROP INDEX ix_budget_reservations_workflow_id_created_ms;
CREATE INDEX ix_budget_reservations_workflow_id_day ON budget_reservations (workflow_id, day);
