/*
 * db_settings.h: the process-wide settings of the database layer.
 *
 * Made once at start-up from the configuration, before the first
 * db_open(), and only read afterwards (children inherit them over fork).
 * A process that never calls db_configure() gets the defaults below,
 * which are the durable and bounded ones.
 */
#ifndef PIPELIT_DB_SETTINGS_H
#define PIPELIT_DB_SETTINGS_H

struct config;

/* SQLite's synchronous levels, as PRAGMA synchronous numbers them. */
enum db_sqlite_sync {
	DB_SYNC_NORMAL = 1,
	DB_SYNC_FULL = 2,       /* the default: a power cut loses no acknowledged write */
	DB_SYNC_EXTRA = 3,
};

struct db_settings {
	enum db_sqlite_sync sqlite_synchronous;  /* PIPELIT_SQLITE_SYNCHRONOUS, FULL */
	/* PostgreSQL: the server's statement_timeout; the client gives up
	 * on a query a little later (a stopped server answers nothing).
	 * 0 means none, for all three. */
	long query_timeout_ms;                   /* PIPELIT_DB_QUERY_TIMEOUT_SECONDS, 10 s */
	long lock_timeout_ms;                    /* half the query timeout */
	long idle_in_transaction_timeout_ms;     /* 60 s */
	long connect_timeout_s;                  /* PostgreSQL connect_timeout, 5 s */
	/* SQLite: past this size the committing process checkpoints the WAL
	 * and truncates it (journal_size_limit is the same figure). */
	long long wal_limit_bytes;               /* 64 MiB */
};

#define DB_DEFAULT_QUERY_TIMEOUT_MS 10000L
#define DB_DEFAULT_WAL_LIMIT_BYTES (64LL << 20)

/* Sets the settings of this process (copied). */
void db_configure(const struct db_settings *s);

/* What the process does with its handles: serving requests, where every
 * statement has a deadline, or running an operator's tool (migrations,
 * copy, backup, prune), where a long statement is expected and the
 * operator can interrupt it. */
enum db_purpose {
	DB_FOR_REQUESTS,
	DB_FOR_TOOLS,
};

/* The same, from the loaded configuration. */
void db_configure_from(const struct config *cfg, enum db_purpose purpose);

/* The client-side deadline of one PostgreSQL call in milliseconds, 0 for
 * none: the server's statement_timeout plus time for its answer to come. */
long db_client_deadline_ms(void);

/* The settings in force. */
const struct db_settings *db_settings(void);

const char *db_sqlite_sync_name(enum db_sqlite_sync level);

#endif
