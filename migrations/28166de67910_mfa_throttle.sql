-- Revision: 28166de67910
-- Parent: 0a1c2e3b4d5f
-- Message: mfa throttle
-- Created: 2026-11-25 23:40:00

-- +upgrade
--
-- TOTP attempt counters, one row per user, so the rate limit and the
-- lockout hold across responders, hosts and restarts (Pipelit keeps them in
-- Redis).  Times are unix seconds (BIGINT): the rows are compared in C,
-- never rendered, and integer arithmetic on them needs no parsing.
--   window_started_at   start of the current rate-limit window
--   attempts_in_window  codes tried since then
--   consecutive_failures  wrong codes since the last right one
--   locked_until        no code is checked before this time (0: not locked)
CREATE TABLE auth_throttle (
	user_id INTEGER NOT NULL
		CONSTRAINT fk_auth_throttle_user_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	window_started_at BIGINT NOT NULL DEFAULT 0,
	attempts_in_window INTEGER NOT NULL DEFAULT 0,
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	CONSTRAINT pk_auth_throttle PRIMARY KEY (user_id)
);

-- +downgrade
DROP TABLE IF EXISTS auth_throttle;
