-- Revision: 3c7e91b05a2d
-- Parent: b2d8e4f1a6c3
-- Message: login security
-- Created: 2026-12-04 14:00:00

-- +upgrade
--
-- What the login hardening keeps in the database, so that it holds across
-- responders, hosts sharing one database, and restarts (doc/security.md).
--
-- * user_profiles.is_active: FALSE once an admin deleted the user.  The row
--   stays (workflows, executions and logs keep their owner); the user cannot
--   log in, every key of theirs is refused, and the username stays taken.
-- * api_keys.is_session: the login session key, told apart from a named key
--   a user may have called "session" too.  The oldest key named "session" of
--   each user is the one login has been rotating.
-- * mfa_login_grants: a password step that answered requires_mfa leaves one
--   grant per user, valid a few minutes, used once by login-verify.
--   token_hash is the SHA-256 (hex) of the opaque mfa_token handed out;
--   client_addr the address that passed the password step; expires_at unix
--   seconds.
-- * login_throttle: failed password checks counted per scope ('account',
--   'address', 'account_address') and subject (the SHA-256 hex of the
--   username, the address, or both), with the time of the last failure and
--   the time before which the subject is answered 429.  Keyed by the name
--   as typed, so an unknown user is throttled exactly like a known one.
ALTER TABLE user_profiles ADD COLUMN is_active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE api_keys ADD COLUMN is_session BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE api_keys SET is_session = TRUE
	WHERE id IN (SELECT MIN(id) FROM api_keys WHERE name = 'session' GROUP BY user_id);

CREATE TABLE mfa_login_grants (
	user_id INTEGER NOT NULL
		CONSTRAINT fk_mfa_login_grants_user_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	token_hash VARCHAR(64) NOT NULL,
	client_addr VARCHAR(64) NOT NULL DEFAULT '',
	expires_at BIGINT NOT NULL,
	CONSTRAINT pk_mfa_login_grants PRIMARY KEY (user_id),
	CONSTRAINT uq_mfa_login_grants_token_hash UNIQUE (token_hash)
);

CREATE TABLE login_throttle (
	scope VARCHAR(16) NOT NULL,
	subject VARCHAR(64) NOT NULL,
	failures INTEGER NOT NULL DEFAULT 0,
	last_failure_at BIGINT NOT NULL DEFAULT 0,
	blocked_until BIGINT NOT NULL DEFAULT 0,
	CONSTRAINT pk_login_throttle PRIMARY KEY (scope, subject)
);
-- forgetting old counters
CREATE INDEX ix_login_throttle_last_failure_at ON login_throttle (last_failure_at);

-- +downgrade
DROP TABLE IF EXISTS login_throttle;
DROP TABLE IF EXISTS mfa_login_grants;
ALTER TABLE api_keys DROP COLUMN is_session;
ALTER TABLE user_profiles DROP COLUMN is_active;
