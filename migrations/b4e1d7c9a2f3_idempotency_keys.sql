-- Revision: b4e1d7c9a2f3
-- Parent: 7c41d2e9a8b3
-- Message: idempotency keys
-- Created: 2026-12-04 14:05:00

-- +upgrade
--
-- The first answer to each create sent with an Idempotency-Key header, kept
-- 24 hours so a retried request gets that answer instead of a second
-- object (doc/errors.md).  The row is written in the transaction that
-- creates the object, and (user_id, idem_key) is unique, so two requests
-- with the same key cannot both create.  Times are unix seconds.
--   request_hash   SHA-256 of method, path and body: the same key with
--                  another request is refused
--   status, body   the answer to replay
CREATE TABLE idempotency_keys (
	user_id INTEGER NOT NULL
		CONSTRAINT fk_idempotency_keys_user_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	idem_key VARCHAR(255) NOT NULL,
	request_hash VARCHAR(64) NOT NULL,
	status INTEGER NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	CONSTRAINT pk_idempotency_keys PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);

-- +downgrade
DROP TABLE IF EXISTS idempotency_keys;
