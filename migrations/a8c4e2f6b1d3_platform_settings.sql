-- Revision: a8c4e2f6b1d3
-- Parent: d5a8f3b1c7e4
-- Message: platform settings set through the API
-- Created: 2026-12-04 20:15:00

-- +upgrade
--
-- The platform settings an administrator sets with PATCH /api/v1/settings/
-- (doc/settings.md).  Pipelit keeps them in <pipelit_dir>/conf.json; here
-- they are in the database, so every pool on a shared database reads the
-- same values.  A setting with no row takes its value from the environment
-- (or its default).
--   name        the API's field name (log_level, ...)
--   value       the value as JSON text ("DEBUG", true, 900)
--   updated_at  unix milliseconds of the last change
-- platform_settings_revision is one row (id 1) whose revision goes up by one
-- in the same transaction as every change: a process that has seen
-- revision N knows whether anything changed with one single-row read,
-- without reading the settings themselves.  The first change inserts the
-- row (no row: revision 0), so a new database holds no rows and 'pipelit
-- db copy' can fill it.
CREATE TABLE platform_settings (
	name VARCHAR(64) NOT NULL,
	value TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	CONSTRAINT pk_platform_settings PRIMARY KEY (name)
);
CREATE TABLE platform_settings_revision (
	id INTEGER NOT NULL,
	revision BIGINT NOT NULL DEFAULT 0,
	CONSTRAINT pk_platform_settings_revision PRIMARY KEY (id),
	CONSTRAINT ck_platform_settings_revision_singleton CHECK (id = 1)
);

-- +downgrade
DROP TABLE IF EXISTS platform_settings_revision;
DROP TABLE IF EXISTS platform_settings;
