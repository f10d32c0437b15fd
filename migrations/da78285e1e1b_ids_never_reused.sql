-- Revision: da78285e1e1b
-- Parent: c4d2e8a61b93
-- Message: job and outbox ids are never handed out twice
-- Created: 2026-12-05 21:45:00

-- A job's id names its run after the row is gone: an agent's checkpoints
-- are keyed "job:<id>" and its message ids carry the id, and a late
-- answer to a claim is matched by id.  An outbox row's id is how a send
-- that took long deletes the row it sent.  SQLite gives a new row the
-- highest id plus one, so after the highest row was deleted its id came
-- back: the next agent in the same execution found the last one's
-- checkpoints when it was retried and answered with that agent's reply,
-- and a late delete could remove a new, unsent message.  AUTOINCREMENT
-- makes SQLite remember the highest id ever given (sqlite_sequence), as
-- budget_reservations already does; PostgreSQL's sequences never go back.

-- +upgrade sqlite
--
-- SQLite cannot add AUTOINCREMENT to a column: each table is built again
-- with the same columns and indexes, and its rows are copied with their
-- ids.  Nothing refers to either table by a foreign key.
CREATE TABLE execution_jobs_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO execution_jobs_new (id, execution_id, node_id, state, attempt, due_ms, lease_owner,
	scope, resume)
SELECT id, execution_id, node_id, state, attempt, due_ms, lease_owner, scope, resume
FROM execution_jobs;
DROP TABLE execution_jobs;
ALTER TABLE execution_jobs_new RENAME TO execution_jobs;
CREATE INDEX ix_execution_jobs_state_due_ms ON execution_jobs (state, due_ms);
CREATE INDEX ix_execution_jobs_execution_id ON execution_jobs (execution_id);
-- An execution in flight may already hold checkpoints of a job whose row
-- is gone: new ids start past those too.
DELETE FROM sqlite_sequence WHERE name = 'execution_jobs';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'execution_jobs', max(
	coalesce((SELECT max(id) FROM execution_jobs), 0),
	coalesce((SELECT max(CAST(substr(node_id, 5) AS INTEGER)) FROM agent_checkpoints
		  WHERE node_id LIKE 'job:%'), 0));

CREATE TABLE gateway_outbox_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	execution_id VARCHAR(36),
	credential_id VARCHAR(255) NOT NULL,
	chat_id VARCHAR(255) NOT NULL,
	text TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	due_ms BIGINT NOT NULL,
	lease_owner VARCHAR(64),
	created_ms BIGINT NOT NULL
);
INSERT INTO gateway_outbox_new (id, execution_id, credential_id, chat_id, text, attempts, due_ms,
	lease_owner, created_ms)
SELECT id, execution_id, credential_id, chat_id, text, attempts, due_ms, lease_owner, created_ms
FROM gateway_outbox;
DROP TABLE gateway_outbox;
ALTER TABLE gateway_outbox_new RENAME TO gateway_outbox;
CREATE INDEX ix_gateway_outbox_due_ms ON gateway_outbox (due_ms);

-- +upgrade postgresql
-- BIGSERIAL ids come from sequences, which never hand out a value twice.
SELECT 1;

-- +downgrade
-- Nothing to undo: the older schema's code reads the same columns, and
-- ids that are never reused are ids it can use.
SELECT 1;
