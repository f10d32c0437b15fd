-- Revision: e7a3c1d9b5f2
-- Parent: 3c7e91b05a2d
-- Message: execution engine
-- Created: 2026-12-04 17:00:00

-- +upgrade
--
-- What the execution engine keeps (doc/engine.md).  Nothing of an
-- execution lives only in a process's memory: a trigger writes the
-- execution and its first job in one transaction, and a node's completion
-- (its log row, the new state, its successors' jobs, the final status) is
-- one transaction.
--
-- workflow_executions gains:
--   snapshot    the graph the execution runs, frozen by the trigger's
--               transaction: {"workflow": {...}, "nodes": [NodeOut],
--               "edges": [EdgeOut]}.  Editing the workflow changes
--               nothing for executions in flight.
--   state       the execution state (pipelit-engine.md 2.5) with the
--               engine's own bookkeeping under "_engine" (fan-in arrivals,
--               loops, waits); JSON text, rewritten by each completion.
--   event_seq   the sequence number of the execution's last live event:
--               a client that sees a gap reloads from REST.
--   deadline_ms max_execution_seconds after the trigger, unix ms.
-- Both JSON columns are TEXT on both backends: the engine reads and
-- rewrites them whole and never queries inside them.
ALTER TABLE workflow_executions ADD COLUMN snapshot TEXT;
ALTER TABLE workflow_executions ADD COLUMN state TEXT;
ALTER TABLE workflow_executions ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workflow_executions ADD COLUMN deadline_ms BIGINT;

-- execution_logs.attempt: which run of the node the row is about (1, 2, ...).
ALTER TABLE execution_logs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;

-- +upgrade sqlite
--
-- execution_jobs: the work queue.  One row per node run that is due, in
-- flight or waiting; a completion deletes its row in the transaction that
-- records the result, so a node that completed never runs again.
--   state      queued   due at due_ms (now, or later for waits and retries)
--              leased   an executor runs it; due_ms is when its lease
--                       expires, after which any executor may take it over
--              waiting  for a child execution or a human (no due time)
--   attempt    runs started so far: the claim increments it, the node sees
--              it, and a re-run after a lost lease counts against the
--              node's retry budget
--   due_ms     unix ms; the one column claims, sweeps and wake-ups read
--   lease_owner  "<host>:<pid>:<boot>" of the executor holding the lease
--   scope      JSON: the loop iteration the run belongs to, or null
--   resume     JSON handed to the node when it runs again after a wait
-- Claimable rows are found by (state, due_ms); an execution's rows by
-- execution_id (cancel, finalisation).
CREATE TABLE execution_jobs (
	id INTEGER PRIMARY KEY,
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_execution_jobs_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	state VARCHAR(10) NOT NULL DEFAULT 'queued',
	attempt INTEGER NOT NULL DEFAULT 0,
	due_ms BIGINT NOT NULL,
	lease_owner VARCHAR(64),
	scope TEXT,
	resume TEXT
);
CREATE INDEX ix_execution_jobs_state_due_ms ON execution_jobs (state, due_ms);
CREATE INDEX ix_execution_jobs_execution_id ON execution_jobs (execution_id);

-- webhook_paths: the path of every trigger_webhook node, unique across the
-- instance (a node saved with a taken path is a 409).  node_pk is the
-- workflow_nodes row.
CREATE TABLE webhook_paths (
	path VARCHAR(255) NOT NULL PRIMARY KEY,
	node_pk INTEGER NOT NULL
		CONSTRAINT fk_webhook_paths_node_pk
		REFERENCES workflow_nodes (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_paths_node_pk ON webhook_paths (node_pk);

-- +upgrade postgresql
--
-- The same two tables as above; the job id is a BIGSERIAL.
CREATE TABLE execution_jobs (
	id BIGSERIAL PRIMARY KEY,
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_execution_jobs_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	state VARCHAR(10) NOT NULL DEFAULT 'queued',
	attempt INTEGER NOT NULL DEFAULT 0,
	due_ms BIGINT NOT NULL,
	lease_owner VARCHAR(64),
	scope TEXT,
	resume TEXT
);
CREATE INDEX ix_execution_jobs_state_due_ms ON execution_jobs (state, due_ms);
CREATE INDEX ix_execution_jobs_execution_id ON execution_jobs (execution_id);

CREATE TABLE webhook_paths (
	path VARCHAR(255) NOT NULL PRIMARY KEY,
	node_pk INTEGER NOT NULL
		CONSTRAINT fk_webhook_paths_node_pk
		REFERENCES workflow_nodes (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_paths_node_pk ON webhook_paths (node_pk);


-- +downgrade
DROP TABLE IF EXISTS webhook_paths;
DROP TABLE IF EXISTS execution_jobs;
ALTER TABLE execution_logs DROP COLUMN attempt;
ALTER TABLE workflow_executions DROP COLUMN deadline_ms;
ALTER TABLE workflow_executions DROP COLUMN event_seq;
ALTER TABLE workflow_executions DROP COLUMN state;
ALTER TABLE workflow_executions DROP COLUMN snapshot;
