/*
 * db_settings.c: the database layer's process-wide settings (see
 * db_settings.h).  The one static here is the process's configuration,
 * written before any handle exists and read-only afterwards.
 */
#include "db/db_settings.h"
#include "util/config.h"

static struct db_settings current = {
	.sqlite_synchronous = DB_SYNC_FULL,
	.query_timeout_ms = DB_DEFAULT_QUERY_TIMEOUT_MS,
	.lock_timeout_ms = DB_DEFAULT_QUERY_TIMEOUT_MS / 2,
	.idle_in_transaction_timeout_ms = 60000,
	.connect_timeout_s = 5,
	.wal_limit_bytes = DB_DEFAULT_WAL_LIMIT_BYTES,
};

void
db_configure(const struct db_settings *s)
{
	current = *s;
}

void
db_configure_from(const struct config *cfg, enum db_purpose purpose)
{
	struct db_settings s = current;
	s.sqlite_synchronous = (enum db_sqlite_sync)cfg->sqlite_synchronous;
	if (purpose == DB_FOR_REQUESTS) {
		s.query_timeout_ms = cfg->db_query_timeout_seconds * 1000;
		/* Waiting for a lock is one way a statement is slow: give up on
		 * the lock first, so the answer says which it was. */
		s.lock_timeout_ms = s.query_timeout_ms / 2;
		s.idle_in_transaction_timeout_ms = 60000;
	} else {
		s.query_timeout_ms = 0;
		s.lock_timeout_ms = 0;
		s.idle_in_transaction_timeout_ms = 0;
	}
	db_configure(&s);
}

/* Time for the server's own statement_timeout error to arrive before the
 * client concludes that nobody is answering. */
#define ANSWER_GRACE_MS 2000

long
db_client_deadline_ms(void)
{
	return current.query_timeout_ms > 0 ? current.query_timeout_ms + ANSWER_GRACE_MS : 0;
}

const struct db_settings *
db_settings(void)
{
	return &current;
}

const char *
db_sqlite_sync_name(enum db_sqlite_sync level)
{
	switch (level) {
	case DB_SYNC_NORMAL:
		return "NORMAL";
	case DB_SYNC_EXTRA:
		return "EXTRA";
	default:
		return "FULL";
	}
}
