-- Revision: b2d8e4f1a6c3
-- Parent: b4e1d7c9a2f3
-- Message: sealed credential headers
-- Created: 2026-12-04 14:30:00

-- +upgrade postgresql
--
-- llm_credentials.custom_headers is stored encrypted from now on, like every
-- other secret (headers often carry keys): the column holds the sealed text,
-- not JSON.  SQLite declared it TEXT already.  The values themselves are
-- sealed by the data step 'serve' and 'fcgi' run after migrating
-- (model/secrets.h), which needs FIELD_ENCRYPTION_KEY: SQL cannot do it.
ALTER TABLE llm_credentials ALTER COLUMN custom_headers DROP DEFAULT;
ALTER TABLE llm_credentials ALTER COLUMN custom_headers TYPE TEXT USING custom_headers::text;
ALTER TABLE llm_credentials ALTER COLUMN custom_headers SET DEFAULT '{}';

-- +downgrade postgresql
-- Headers still sealed do not convert back to JSON: decrypting needs the
-- key, so they become '{}' (the credentials keep working without them).
ALTER TABLE llm_credentials ALTER COLUMN custom_headers DROP DEFAULT;
ALTER TABLE llm_credentials ALTER COLUMN custom_headers TYPE json
	USING CASE WHEN custom_headers LIKE 'v_:%' THEN '{}'::json ELSE custom_headers::json END;
ALTER TABLE llm_credentials ALTER COLUMN custom_headers SET DEFAULT '{}';
