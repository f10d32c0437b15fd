-- Revision: d4a7f2c9e1b3
-- Parent: c9c11d0a591b
-- Message: execution snapshots shared per workflow revision
-- Created: 2026-12-04 17:50:00

-- +upgrade
--
-- The graph an execution runs is frozen per workflow revision instead of
-- per execution: workflows.revision changes with every edit (migration
-- 9d3f61a0c2b7), so (workflow_id, revision) names one graph, written once
-- by the first trigger that runs it and read by every execution of that
-- revision.  A thousand executions of one workflow store its graph once,
-- and executors build its topology once.
--   graph   {"workflow": {...}, "nodes": [NodeOut], "edges": [EdgeOut]}
-- workflow_executions.snapshot_revision names the row; the per-execution
-- snapshot column of e7a3c1d9b5f2 goes.
CREATE TABLE workflow_snapshots (
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_snapshots_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	revision BIGINT NOT NULL,
	graph TEXT NOT NULL,
	CONSTRAINT pk_workflow_snapshots PRIMARY KEY (workflow_id, revision)
);
ALTER TABLE workflow_executions ADD COLUMN snapshot_revision BIGINT;
ALTER TABLE workflow_executions DROP COLUMN snapshot;

-- +downgrade
ALTER TABLE workflow_executions ADD COLUMN snapshot TEXT;
ALTER TABLE workflow_executions DROP COLUMN snapshot_revision;
DROP TABLE IF EXISTS workflow_snapshots;
