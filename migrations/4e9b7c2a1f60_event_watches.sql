-- Revision: 4e9b7c2a1f60
-- Parent: d37c139706fd
-- Message: event watches
-- Created: 2026-12-05 09:00:00

-- +upgrade
--
-- event_watches: the live-event channels somebody subscribed to lately
-- (src/events/watch.h), so that a host whose executors begin listening
-- for the marks of the other hosts (NOTIFY pipelit_watch) learns those
-- made before.  PostgreSQL only writes it: SQLite has one host, whose
-- table of marks the subscription check writes directly.
--   channel  "execution:<id>" or "workflow:<slug>"
--   until_s  unix seconds (the database's clock): the channel counts as
--            watched until then
-- Each subscription check upserts its channel and deletes a few expired
-- rows, so the table holds about the channels of the last mark lifetime.
CREATE TABLE event_watches (
	channel VARCHAR(300) PRIMARY KEY,
	until_s BIGINT NOT NULL
);
CREATE INDEX ix_event_watches_until_s ON event_watches (until_s);

-- +downgrade
DROP TABLE IF EXISTS event_watches;
