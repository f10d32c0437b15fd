-- Revision: fc1eea6776b9
-- Parent: 28166de67910
-- Message: encrypt git webhook secrets
-- Created: 2026-11-25 23:49:57

-- +upgrade postgresql
--
-- git_credentials.webhook_secret is stored encrypted from now on, like every
-- other secret (XChaCha20-Poly1305 under FIELD_ENCRYPTION_KEY), and the
-- ciphertext can be longer than the 255 characters the column allowed.
-- SQLite does not enforce VARCHAR lengths, so only PostgreSQL changes.
ALTER TABLE git_credentials ALTER COLUMN webhook_secret TYPE TEXT;

-- +downgrade postgresql
ALTER TABLE git_credentials ALTER COLUMN webhook_secret TYPE VARCHAR(255);
