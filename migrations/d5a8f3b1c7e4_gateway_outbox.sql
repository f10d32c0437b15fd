-- Revision: d5a8f3b1c7e4
-- Parent: d4a7f2c9e1b3
-- Message: gateway outbox
-- Created: 2026-12-04 17:40:00

-- +upgrade sqlite
--
-- gateway_outbox: messages for the message gateway (doc/gateway.md) that
-- are not sent yet.  A row is written in the transaction that decides the
-- message (an execution's completion, its interrupt for a confirmation,
-- the answer to a /confirm_ or /cancel_ command), so a message is never
-- only in a process's memory; an executor sends it and deletes the row
-- when the gateway accepted it (2xx).
--   execution_id  the execution the message is about (for logs; no foreign
--                 key: a message outlives a pruned execution)
--   credential_id the gateway credential and chat_id the chat: where it goes
--   attempts      sends tried so far
--   due_ms        unix ms: when it may be sent (now, or after a failure's
--                 back-off); while an executor sends it, when that
--                 executor's claim lapses and another may send it
--   lease_owner   "<host>:<pid>:<boot>" of the executor sending it, or NULL
-- Due rows are found by due_ms.
CREATE TABLE gateway_outbox (
	id INTEGER PRIMARY KEY,
	execution_id VARCHAR(36),
	credential_id VARCHAR(255) NOT NULL,
	chat_id VARCHAR(255) NOT NULL,
	text TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	due_ms BIGINT NOT NULL,
	lease_owner VARCHAR(64),
	created_ms BIGINT NOT NULL
);
CREATE INDEX ix_gateway_outbox_due_ms ON gateway_outbox (due_ms);

-- +upgrade postgresql
--
-- The same table with a BIGSERIAL id.
CREATE TABLE gateway_outbox (
	id BIGSERIAL PRIMARY KEY,
	execution_id VARCHAR(36),
	credential_id VARCHAR(255) NOT NULL,
	chat_id VARCHAR(255) NOT NULL,
	text TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	due_ms BIGINT NOT NULL,
	lease_owner VARCHAR(64),
	created_ms BIGINT NOT NULL
);
CREATE INDEX ix_gateway_outbox_due_ms ON gateway_outbox (due_ms);

-- +downgrade
DROP TABLE IF EXISTS gateway_outbox;
