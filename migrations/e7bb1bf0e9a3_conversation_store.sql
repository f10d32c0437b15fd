-- Revision: e7bb1bf0e9a3
-- Parent: a6c2f8e1d3b9
-- Message: agents: the conversation store's tables and agent checkpoints
-- Created: 2026-12-04 23:30:00

-- +upgrade
--
-- The conversation store (doc/memory.md): an agent's thread kept across
-- executions when it has conversation_memory.  These tables live here
-- only with CHECKPOINTS_STORE=database (several hosts sharing one
-- PostgreSQL database); by default the same tables are in their own
-- SQLite file (CHECKPOINTS_DB_PATH), created by src/checkpoints/ on its
-- first write with this same DDL (src/checkpoints/cstore_schema.c).
--
-- conversation_threads: one row per thread.  An append locks it first
--   (an upsert), so appends to one thread from several executors or hosts
--   queue up instead of racing for message positions.
--   last_seq            the position given to the thread's newest message
--   last_checkpoint_id  the newest checkpoint, the next one's parent
-- conversation_checkpoints: one row per append (LangGraph's shape, which
--   GET /api/v1/memories/checkpoints/ lists): checkpoint_id is time
--   ordered, so the newest sorts last; step and source are what the
--   caller said; blob_size the bytes of the messages it added.
-- conversation_messages: the thread's messages in canonical form
--   (src/llm/llm.h), in order of seq; message_id (data.id) is unique per
--   thread, so a message written again replaces the stored one in place.
--   checkpoint_id names the checkpoint that last wrote it.
CREATE TABLE conversation_threads (
	thread_id VARCHAR(255) NOT NULL PRIMARY KEY,
	last_seq BIGINT NOT NULL DEFAULT 0,
	last_checkpoint_id VARCHAR(64),
	updated_ms BIGINT NOT NULL
);
CREATE TABLE conversation_checkpoints (
	thread_id VARCHAR(255) NOT NULL,
	checkpoint_ns VARCHAR(255) NOT NULL DEFAULT '',
	checkpoint_id VARCHAR(64) NOT NULL,
	parent_checkpoint_id VARCHAR(64),
	step INTEGER,
	source VARCHAR(32),
	blob_size BIGINT NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL,
	CONSTRAINT pk_conversation_checkpoints PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);
CREATE INDEX ix_conversation_checkpoints_checkpoint_id ON conversation_checkpoints (checkpoint_id);
CREATE TABLE conversation_messages (
	thread_id VARCHAR(255) NOT NULL,
	seq BIGINT NOT NULL,
	message_id VARCHAR(255) NOT NULL,
	checkpoint_id VARCHAR(64) NOT NULL,
	type VARCHAR(16) NOT NULL,
	message TEXT NOT NULL,
	CONSTRAINT pk_conversation_messages PRIMARY KEY (thread_id, seq),
	CONSTRAINT uq_conversation_messages_thread_id_message_id UNIQUE (thread_id, message_id)
);
CREATE INDEX ix_conversation_messages_checkpoint_id ON conversation_messages (checkpoint_id);

-- agent_checkpoints: an agent node in flight, saved after each model
-- answer and each tool result, beside its node job, so any executor on
-- any host that takes the job over resumes the conversation where it
-- stopped instead of repeating it.  One row per (execution, node,
-- attempt, step); a save keeps only the newest row of the node.
--   messages    the conversation so far (canonical messages, JSON text)
--   loop_state  the agent loop's own small state (JSON text)
-- The rows go with their execution (ON DELETE CASCADE).
CREATE TABLE agent_checkpoints (
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_agent_checkpoints_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	attempt INTEGER NOT NULL,
	step INTEGER NOT NULL,
	messages TEXT NOT NULL,
	loop_state TEXT NOT NULL DEFAULT '{}',
	created_ms BIGINT NOT NULL,
	CONSTRAINT pk_agent_checkpoints PRIMARY KEY (execution_id, node_id, attempt, step)
);

-- +downgrade
DROP TABLE IF EXISTS agent_checkpoints;
DROP TABLE IF EXISTS conversation_messages;
DROP TABLE IF EXISTS conversation_checkpoints;
DROP TABLE IF EXISTS conversation_threads;
