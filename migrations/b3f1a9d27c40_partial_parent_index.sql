-- Revision: b3f1a9d27c40
-- Parent: 4e9b7c2a1f60
-- Message: partial index on workflow_executions.parent_execution_id
-- Created: 2026-12-05 12:30:00

-- +upgrade
--
-- Only child executions (a subworkflow's run, an error handler's) have a
-- parent; the index that serves the foreign key and finds an execution's
-- children now holds only them.  Every other execution no longer writes
-- an entry into it: one B-tree insert (a descent of three pages or so and
-- a page written) less in each trigger's transaction.  Both backends use
-- it for "parent_execution_id = ?", which implies IS NOT NULL.
DROP INDEX ix_workflow_executions_parent_execution_id;
CREATE INDEX ix_workflow_executions_parent_execution_id ON workflow_executions (parent_execution_id)
	WHERE parent_execution_id IS NOT NULL;

-- +downgrade
DROP INDEX ix_workflow_executions_parent_execution_id;
CREATE INDEX ix_workflow_executions_parent_execution_id ON workflow_executions (parent_execution_id);
