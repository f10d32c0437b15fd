/*
 * db_pg.c: the PostgreSQL backend (libpq).
 *
 * Each distinct SQL text is prepared once per connection (named s1, s2,
 * ...) and run with PQsendQueryPrepared and text parameters whose types the
 * server infers.  A result is fetched whole and db_step walks its rows.
 *
 * Writes nobody reads the answer of (db_step_later) are sent inside a
 * transaction in libpq's pipeline mode without waiting; the next call that
 * needs an answer joins the pipeline, ends it with a sync and reads every
 * answer in its one round trip (settle).
 *
 * A server restart must not take the pool down with it: when a call finds
 * the connection broken and no transaction was open, the connection is
 * reset, every statement is marked unprepared (the generation counter
 * moves on) and the call is tried once more.  Inside a transaction the
 * work is lost anyway, so the error goes to the caller, who rolls back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_internal.h"
#include "db/db_settings.h"
#include "db/pg_wait.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/timefmt.h"

/* Type OIDs from the server's pg_type catalogue; stable across versions. */
#define BOOLOID 16
#define BYTEAOID 17
#define TIMESTAMPOID 1114

/* "YYYY-MM-DD HH:MM:SS.ffffff" and its NUL: the one storage format of a
 * timestamp (doc/dialect.md). */
#define STAMP_LEN 27

struct pg_db {
	struct db base;
	PGconn *conn;
	unsigned generation;    /* bumped on every reconnect */
	unsigned next_name;     /* for statement names s1, s2, ... */
	int tx;                 /* a transaction we began is open */
	int queued;             /* queries sent in pipeline mode, answers unread */
	/* The transaction's BEGIN, sent into the pipeline (pg_begin) and so far
	 * the only thing in it; NULL once anything else joined it. */
	const char *begin_pending;
	int begin_queries;      /* how many queries it was sent as */
	int timed_out;          /* the last call passed its deadline; the
				 * connection was dropped */
	int warm;               /* db_warm_up asked: again after a reconnect */
	char *listen_channel[DB_LISTEN_MAX]; /* LISTENed to; again after a reconnect (owned) */
	int n_listen;
	/* Notifications handed to a handler rather than counted (db_on_notify). */
	char *handled_channel;
	void (*handler)(const char *payload, void *arg);
	void *handler_arg;
	int unheard;            /* the others, taken and not yet counted by a drain */
};

/* One bound parameter.  Its buffer is kept across runs so rebinding a
 * value no longer than the last one allocates nothing. */
struct pg_param {
	char *buf;
	size_t cap;
};

struct pg_stmt {
	struct db_stmt base;
	char *pgsql;            /* owned: the SQL with $n placeholders */
	int nparams;
	char name[16];
	unsigned generation;    /* prepared on this connection; 0 = not yet */
	const char **values;    /* owned arrays of nparams entries */
	int *lengths;
	int *formats;
	struct pg_param *params;
	PGresult *res;
	int row, nrows;
	int64_t changes;
	unsigned char *decoded; /* a bytea value decoded for the caller */
	size_t decoded_len;
	int decoded_row, decoded_col;
	char (*stamps)[STAMP_LEN];  /* owned: one normalised timestamp per column */
	int nstamps;
};

static struct pg_db *
pg(struct db *db)
{
	return (struct pg_db *)db;
}

static struct pg_stmt *
pgs(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

/* ---- errors --------------------------------------------------------- */

/* SQLSTATE classes: PostgreSQL's Appendix A. */
static enum db_errkind
errkind_of(const char *sqlstate)
{
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return DB_ERR_OTHER;
	if (strcmp(sqlstate, "23505") == 0)
		return DB_ERR_UNIQUE;
	if (strcmp(sqlstate, "23503") == 0)
		return DB_ERR_FOREIGN_KEY;
	if (strncmp(sqlstate, "23", 2) == 0)
		return DB_ERR_CONSTRAINT;
	if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57P", 3) == 0)
		return DB_ERR_CONNECTION;   /* connection exceptions; admin/crash shutdown,
					     * cannot connect now (starting up) */
	if (strcmp(sqlstate, "55P03") == 0 || strcmp(sqlstate, "40001") == 0 ||
	    strcmp(sqlstate, "40P01") == 0)
		return DB_ERR_BUSY;         /* lock_not_available; serialization, deadlock */
	if (strcmp(sqlstate, "57014") == 0 || strcmp(sqlstate, "25P03") == 0)
		return DB_ERR_TIMEOUT;      /* statement timeout (query_canceled);
					     * idle_in_transaction_session_timeout */
	if (strcmp(sqlstate, "53100") == 0)
		return DB_ERR_DISK_FULL;
	if (strncmp(sqlstate, "53", 2) == 0)
		return DB_ERR_RESOURCES;    /* out of memory, too many connections */
	if (strcmp(sqlstate, "25006") == 0)
		return DB_ERR_READONLY;     /* read_only_sql_transaction: a standby */
	return DB_ERR_OTHER;
}

void
db_pg_classify(const char *sqlstate, struct db_error *e)
{
	e->kind = errkind_of(sqlstate);
	e->cls = db_errkind_class(e->kind);
	snprintf(e->code, sizeof(e->code), "%s", sqlstate ? sqlstate : "");
}

/* Records the error of res (or of the connection when res has none).
 * libpq's messages name host and port at most, never the password. */
static int
fail_result(struct pg_db *d, const PGresult *res)
{
	if (d->timed_out) {
		db_set_error(&d->base, DB_ERR_TIMEOUT,
			     "PostgreSQL did not answer within %ld ms; the connection was dropped "
			     "and is opened again on the next use", db_client_deadline_ms());
		return -1;
	}
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (PQstatus(d->conn) == CONNECTION_BAD) {
		db_set_error(&d->base, DB_ERR_CONNECTION, "%s",
			     msg ? msg : PQerrorMessage(d->conn));
		return -1;
	}
	if (msg == NULL)
		msg = res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	struct db_error e;
	db_pg_classify(state, &e);
	db_set_backend_error(&d->base, &e, "%s", *msg ? msg : "unknown PostgreSQL error");
	return -1;
}

/* ---- the connection ------------------------------------------------- */

static void
route_notice(void *arg, const char *message)
{
	log_debug("postgres: %s", message);
}

/*
 * Every call to the server: sent with libpq's asynchronous functions (sent
 * is what PQsendQuery and its siblings returned) and awaited until the
 * client-side deadline (pg_wait.h).  NULL when the call failed; fail_result
 * then says why.
 */
static PGresult *
await_sent(struct pg_db *d, int sent)
{
	d->timed_out = 0;
	if (!sent)
		return NULL;
	long deadline = db_client_deadline_ms();
	int timed_out = 0;
	PGresult *res = pg_wait_result(d->conn, deadline > 0 ? time_mono_ms() + deadline : 0,
				       &timed_out);
	d->timed_out = timed_out;
	return res;
}

static int reconnect(struct pg_db *d);

/*
 * Ends the pipeline of writes sent by db_step_later: the caller may have
 * sent one more query into it (final = 1).  One sync, one round trip for
 * all of them.  *res gets the result of the query back places before the
 * last one (0: the last).  0, or -1 with the error recorded: the first
 * write's that failed, else the final query's, else the connection's.
 * Nothing queued and no final: 0 at once.
 */
static int begin_again(struct pg_db *d, const char *begin);

static int
settle_keeping(struct pg_db *d, int final, int back, PGresult **res)
{
	if (res)
		*res = NULL;
	if (d->queued == 0 && !final)
		return 0;
	const char *begin = d->begin_pending && d->queued == d->begin_queries ? d->begin_pending
										: NULL;
	d->begin_pending = NULL;
	int n = d->queued + final;
	d->queued = 0;
	d->timed_out = 0;
	if (!PQpipelineSync(d->conn))
		return fail_result(d, NULL);
	long deadline = db_client_deadline_ms();
	PGresult *err = NULL, *last = NULL;
	int timed_out = 0;
	int rc = pg_wait_pipeline(d->conn, deadline > 0 ? time_mono_ms() + deadline : 0,
				  &timed_out, n, n - 1 - back, &err, &last);
	d->timed_out = timed_out;
	if (rc == 0 && !PQexitPipelineMode(d->conn))
		rc = -1;
	if (rc != 0 || err != NULL) {
		fail_result(d, err);
		PQclear(err);
		PQclear(last);
		/* Lost before the server answered anything but the BEGIN: as a
		 * BEGIN run alone would have, begin again on a new connection
		 * (the final query, if any, was not run: 1 tells the caller). */
		if (rc != 0 && begin != NULL && begin_again(d, begin) == 0)
			return 1;
		/* A connection left in pipeline mode would refuse every later
		 * call: start again on a fresh one (the transaction is lost
		 * anyway, and the error stays the one recorded above). */
		if (rc != 0 && PQstatus(d->conn) == CONNECTION_OK &&
		    PQpipelineStatus(d->conn) != PQ_PIPELINE_OFF) {
			struct db_error keep = d->base.err;
			reconnect(d);
			d->base.err = keep;
		}
		return -1;
	}
	if (res)
		*res = last;
	else
		PQclear(last);
	return 0;
}

static int
settle(struct pg_db *d, int final, PGresult **res)
{
	return settle_keeping(d, final, 0, res);
}

/* After the connection was lost with only a pipelined BEGIN unanswered:
 * reconnects (not after a deadline: that is not retried) and runs the
 * BEGIN alone.  0, or -1 keeping the first error. */
static int
begin_again(struct pg_db *d, const char *begin)
{
	if (d->timed_out || PQstatus(d->conn) != CONNECTION_BAD)
		return -1;
	struct db_error keep = d->base.err;
	if (reconnect(d) != 0) {
		d->base.err = keep;
		return -1;
	}
	PGresult *r = await_sent(d, PQsendQuery(d->conn, begin));
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fail_result(d, r);
	PQclear(r);
	if (!ok)
		return -1;
	db_clear_error(&d->base);
	d->tx = 1;
	return 0;
}

/* Ends the pipeline keeping the error already recorded. */
static void
settle_quietly(struct pg_db *d)
{
	struct db_error keep = d->base.err;
	settle(d, 0, NULL);
	d->base.err = keep;
}

/* Sends s into the pipeline (entering it first) without waiting. */
static int
send_pipelined(struct pg_db *d, struct pg_stmt *s)
{
	if (d->queued == 0 && PQpipelineStatus(d->conn) == PQ_PIPELINE_OFF &&
	    !PQenterPipelineMode(d->conn))
		return fail_result(d, NULL);
	if (!PQsendQueryPrepared(d->conn, s->name, s->nparams, s->values, s->lengths, s->formats,
				 0))
		return fail_result(d, NULL);
	return 0;
}

/* Session settings every connection needs, again after a reset. */
static int
set_up_session(struct pg_db *d)
{
	PQsetNoticeProcessor(d->conn, route_notice, NULL);
	/* Non-blocking sends, so a server that stops reading cannot hold a
	 * large statement's send for ever (pg_wait.c flushes it). */
	PQsetnonblocking(d->conn, 1);
	const struct db_settings *set = db_settings();
	/* application_name is how 'pipelit db restore' finds our sessions, so
	 * it is set here, where neither PGAPPNAME nor the URL can change it.
	 * The deadlines are the server's half of "every wait has one": a
	 * statement, a lock wait and a transaction left idle give up on their
	 * own; client_connection_check_interval (PostgreSQL 14 and later)
	 * stops a query whose client has gone. */
	char *sql = xasprintf("SET TIME ZONE 'UTC'; SET client_encoding TO 'UTF8'; "
			      "SET application_name TO 'pipelit'; SET statement_timeout = %ld; "
			      "SET lock_timeout = %ld; SET idle_in_transaction_session_timeout = %ld; "
			      "SELECT set_config('client_connection_check_interval', '%ld', false) "
			      "WHERE current_setting('server_version_num')::int >= 140000",
			      set->query_timeout_ms, set->lock_timeout_ms,
			      set->idle_in_transaction_timeout_ms,
			      set->query_timeout_ms > 0 ? 2000L : 0L);
	PGresult *res = await_sent(d, PQsendQuery(d->conn, sql));
	free(sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : fail_result(d, res);
	PQclear(res);
	return rc;
}

/* Plans a query of every table of the schema (relation, columns, indexes
 * and their catalog entries then cached in the session) and runs it,
 * returning no row: one statement, one round trip, whatever tables the
 * schema has.  Tables this role may not read (another application's, in
 * a shared schema) are left out rather than failing the rest. */
#define WARM_UP_SQL \
	"DO $warm$ DECLARE r record; BEGIN " \
	"FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n " \
	"ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() " \
	"AND has_table_privilege(c.oid, 'SELECT') LOOP " \
	"EXECUTE format('SELECT * FROM %s LIMIT 0', r.t); END LOOP; END $warm$"

static int
warm_session(struct pg_db *d)
{
	int64_t start = time_mono_ms();
	PGresult *res = await_sent(d, PQsendQuery(d->conn, WARM_UP_SQL));
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_result(d, res);
	PQclear(res);
	if (rc == 0)
		log_debug("PostgreSQL session warmed up in %lld ms",
			  (long long)(time_mono_ms() - start));
	return rc;
}

static int
pg_warm_up(struct db *db)
{
	struct pg_db *d = pg(db);
	d->warm = 1;
	if (settle(d, 0, NULL) < 0)
		return -1;
	return warm_session(d);
}

/* LISTEN on one of the handle's channels (fixed identifiers of ours,
 * never user input, so written into the statement as they are). */
static int
listen_on(struct pg_db *d, const char *channel)
{
	if (settle(d, 0, NULL) < 0)
		return -1;
	char *sql = xasprintf("LISTEN %s", channel);
	PGresult *res = await_sent(d, PQsendQuery(d->conn, sql));
	free(sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_result(d, res);
	PQclear(res);
	return rc;
}

static int
listen_all(struct pg_db *d)
{
	for (int i = 0; i < d->n_listen; i++)
		if (listen_on(d, d->listen_channel[i]) != 0)
			return -1;
	return 0;
}

int
db_pg_listen(struct db *db, const char *channel)
{
	struct pg_db *d = (struct pg_db *)db;
	int known = 0;
	for (int i = 0; i < d->n_listen; i++)
		known |= strcmp(d->listen_channel[i], channel) == 0;
	if (!known) {
		if (d->n_listen == DB_LISTEN_MAX)
			return -1;
		d->listen_channel[d->n_listen++] = xstrdup(channel);
	}
	return listen_on(d, channel);
}

void
db_pg_on_notify(struct db *db, const char *channel, void (*fn)(const char *payload, void *arg),
		void *arg)
{
	struct pg_db *d = (struct pg_db *)db;
	free(d->handled_channel);
	d->handled_channel = xstrdup(channel);
	d->handler = fn;
	d->handler_arg = arg;
}

int
db_pg_socket(struct db *db)
{
	return PQsocket(((struct pg_db *)db)->conn);
}

int
db_pg_take_notifies(struct db *db)
{
	struct pg_db *d = (struct pg_db *)db;
	PGnotify *note;
	while ((note = PQnotifies(d->conn)) != NULL) {
		if (d->handler && strcmp(note->relname, d->handled_channel) == 0)
			d->handler(note->extra, d->handler_arg);
		else
			d->unheard++;
		PQfreemem(note);
	}
	return d->unheard;
}

int
db_pg_drain_notifies(struct db *db)
{
	struct pg_db *d = (struct pg_db *)db;
	if (PQconsumeInput(d->conn) == 0) {
		db_set_error(db, DB_ERR_CONNECTION, "%s", PQerrorMessage(d->conn));
		/* Reconnected, the handle listens again; what was sent while it
		 * was away is found by the next claim (the handler was told, by
		 * reconnect(), that it may have missed some). */
		d->unheard = 0;
		return reconnect(d) == 0 ? 1 : -1;
	}
	int n = db_pg_take_notifies(db);
	d->unheard = 0;
	return n;
}

static int
reconnect(struct pg_db *d)
{
	const char *why = d->base.err.message;
	log_warn("PostgreSQL connection lost%s%s%s; reconnecting", *why ? " (" : "", why,
		 *why ? ")" : "");
	/* Whatever found the loss (a drain, a statement's retry): the
	 * handler hears that notifications may have been missed.  It only
	 * takes note; it runs in the middle of the caller's call. */
	if (d->handler)
		d->handler(NULL, d->handler_arg);
	PQreset(d->conn);
	d->generation++;
	d->tx = 0;
	d->queued = 0;          /* the reset left pipeline mode */
	d->begin_pending = NULL;
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_set_error(&d->base, DB_ERR_CONNECTION, "%s", PQerrorMessage(d->conn));
		return -1;
	}
	if (set_up_session(d) != 0)
		return -1;
	/* A new session is cold again; a failure here is not the caller's. */
	if (d->warm && warm_session(d) != 0)
		log_warn("warming the new PostgreSQL session up failed: %s", d->base.err.message);
	return listen_all(d);
}

static int
pg_in_transaction(const struct db *db)
{
	const struct pg_db *d = (const struct pg_db *)db;
	switch (PQtransactionStatus(d->conn)) {
	case PQTRANS_IDLE:
		return 0;
	case PQTRANS_UNKNOWN:
		return d->tx;
	default:
		return 1;
	}
}

/* After a failed call: reconnect when that is the cure and retrying is
 * allowed (first attempt, no transaction was open).  1 = try again. */
static int
should_retry(struct pg_db *d, int attempt, int was_in_tx)
{
	/* A call that ran out of time is not tried again: that would double
	 * the wait the deadline exists to bound. */
	if (attempt > 0 || was_in_tx || d->timed_out || PQstatus(d->conn) != CONNECTION_BAD)
		return 0;
	if (reconnect(d) != 0)
		return 0;
	db_clear_error(&d->base);
	return 1;
}

/* libpq's connection errors span lines; a start-up message should be one. */
static void
flatten(char *msg)
{
	size_t len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

static void pg_close(struct db *db);

static struct db *
pg_open(const struct db_url *u, int create, char **err)
{
	struct pg_db *d = xcalloc(1, sizeof(*d));
	db_init_common(&d->base, &db_pg_ops, DB_POSTGRES);
	d->generation = 1;
	d->conn = PQconnectdb(u->conninfo);
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to PostgreSQL: %s",
				 d->conn ? PQerrorMessage(d->conn) : "out of memory");
		flatten(*err);
		pg_close(&d->base);
		return NULL;
	}
	if (set_up_session(d) != 0) {
		*err = xasprintf("cannot set up the PostgreSQL session: %s", d->base.err.message);
		pg_close(&d->base);
		return NULL;
	}
	return &d->base;
}

static void
pg_close(struct db *db)
{
	struct pg_db *d = pg(db);
	PQfinish(d->conn);
	for (int i = 0; i < d->n_listen; i++)
		free(d->listen_channel[i]);
	free(d->handled_channel);
	free(db->buckets);
	free(d);
}

/* Runs sql (PQexec semantics), reconnecting once when the connection was lost
 * outside a transaction.  Returns the result (caller clears) or NULL
 * after recording the error. */
static PGresult *
exec_simple(struct pg_db *d, const char *sql)
{
	if (settle(d, 0, NULL) < 0)
		return NULL;
	int was_in_tx = pg_in_transaction(&d->base);
	for (int attempt = 0;; attempt++) {
		PGresult *res = await_sent(d, PQsendQuery(d->conn, sql));
		ExecStatusType status = PQresultStatus(res);
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
		    status == PGRES_EMPTY_QUERY)
			return res;
		fail_result(d, res);
		PQclear(res);
		if (!should_retry(d, attempt, was_in_tx))
			return NULL;
	}
}

static int
pg_exec(struct db *db, const char *sql)
{
	PGresult *res = exec_simple(pg(db), sql);
	PQclear(res);
	return res ? 0 : -1;
}

/* A read transaction sees one snapshot for all its statements (PostgreSQL's
 * default, READ COMMITTED, takes a new one per statement), as SQLite's
 * deferred BEGIN does: a detail's nodes and edges, or a page and its total,
 * come from the same moment. */
static int
pg_begin(struct db *db, int write)
{
	struct pg_db *d = pg(db);
	/* A lazy commit (db_set_commit_durable) is asked for in the BEGIN's
	 * own query: SET LOCAL ends with the transaction, and costs no round
	 * trip of its own. */
	const char *sql = !write ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
		: db->lazy_commits ? "BEGIN; SET LOCAL synchronous_commit = off" : "BEGIN";
	/* Sent into the pipeline, the BEGIN travels with the transaction's
	 * first statement instead of taking a round trip of its own. */
	if (d->queued == 0 && PQstatus(d->conn) == CONNECTION_OK &&
	    PQpipelineStatus(d->conn) == PQ_PIPELINE_OFF && PQenterPipelineMode(d->conn)) {
		int lazy = write && db->lazy_commits;
		int sent = PQsendQueryParams(d->conn, lazy ? "BEGIN" : sql, 0, NULL, NULL, NULL,
					     NULL, 0) &&
			   (!lazy || PQsendQueryParams(d->conn, "SET LOCAL synchronous_commit = off",
						       0, NULL, NULL, NULL, NULL, 0));
		if (sent) {
			d->queued = d->begin_queries = 1 + lazy;
			d->begin_pending = sql;
			d->tx = 1;
			return 0;
		}
		/* Not sent: run it alone below, after the pipeline is left. */
		d->queued = 0;
		if (!PQexitPipelineMode(d->conn)) {
			fail_result(d, NULL);
			return -1;
		}
	}
	PGresult *res = exec_simple(d, sql);
	if (res == NULL)
		return -1;
	PQclear(res);
	d->tx = 1;
	return 0;
}

/* COMMIT as the last query of the pipeline of writes: their answers and
 * its own in one round trip.  A write that failed aborted the transaction
 * (the server skipped the rest, COMMIT included): it is rolled back here,
 * and its error is what the caller hears. */
static int
commit_pipelined_keeping(struct pg_db *d, PGresult **before)
{
	int rc = -1;
	if (PQsendQueryParams(d->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) {
		d->queued++;
		d->begin_pending = NULL;  /* settle's BEGIN check counts the COMMIT */
		rc = before ? settle_keeping(d, 0, 1, before) : settle(d, 0, NULL);
	} else {
		fail_result(d, NULL);
		settle_quietly(d);
	}
	if (rc != 0 && PQstatus(d->conn) == CONNECTION_OK &&
	    PQtransactionStatus(d->conn) != PQTRANS_IDLE) {
		struct db_error keep = d->base.err;
		PQclear(await_sent(d, PQsendQuery(d->conn, "ROLLBACK")));
		d->base.err = keep;
	}
	d->tx = 0;
	return rc;
}

static int
commit_pipelined(struct pg_db *d)
{
	return commit_pipelined_keeping(d, NULL);
}

static int
pg_commit(struct db *db)
{
	struct pg_db *d = pg(db);
	if (d->queued > 0)
		return commit_pipelined(d);
	PGTransactionStatusType ts = PQtransactionStatus(d->conn);
	if (ts == PQTRANS_IDLE) {
		db_set_error(db, DB_ERR_MISUSE, "no transaction is open");
		return -1;
	}
	if (ts == PQTRANS_INERROR) {
		/* COMMIT here would quietly roll back and report success. */
		PQclear(await_sent(d, PQsendQuery(d->conn, "ROLLBACK")));
		d->tx = 0;
		db_set_error(db, DB_ERR_OTHER,
			     "transaction aborted by an earlier error; rolled back");
		return -1;
	}
	PGresult *res = await_sent(d, PQsendQuery(d->conn, "COMMIT"));
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_result(d, res);
	PQclear(res);
	d->tx = 0;
	return rc;
}

static int
pg_rollback(struct db *db)
{
	struct pg_db *d = pg(db);
	d->tx = 0;
	/* The writes' answers are read and dropped: the error being rolled
	 * back from is the one kept. */
	if (d->queued > 0)
		settle_quietly(d);
	if (PQstatus(d->conn) == CONNECTION_BAD)
		return reconnect(d);    /* the server has dropped the transaction */
	if (PQtransactionStatus(d->conn) == PQTRANS_IDLE)
		return 0;
	PGresult *res = await_sent(d, PQsendQuery(d->conn, "ROLLBACK"));
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_result(d, res);
	PQclear(res);
	if (rc != 0 && PQstatus(d->conn) == CONNECTION_BAD)
		rc = reconnect(d);
	return rc;
}

/*
 * The barrier: a transaction that takes an id writes a commit record, and
 * a synchronous commit (the session's synchronous_commit, on unless the
 * server says otherwise) waits until the log is flushed through it, which
 * covers every earlier record, lazy commits of any session included.  One
 * autocommit statement, one round trip, no row changed.
 */
static int
pg_make_durable(struct db *db)
{
	PGresult *res = exec_simple(pg(db), "SELECT txid_current()");
	PQclear(res);
	return res ? 0 : -1;
}

/* ---- statements ----------------------------------------------------- */

static int
prepare_on_server(struct pg_db *d, struct pg_stmt *s)
{
	if (settle(d, 0, NULL) < 0)
		return -1;
	PGresult *res = await_sent(d, PQsendPrepare(d->conn, s->name, s->pgsql, s->nparams, NULL));
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_result(d, res);
	PQclear(res);
	if (rc == 0)
		s->generation = d->generation;
	return rc;
}

static int
ensure_prepared(struct pg_db *d, struct pg_stmt *s, int was_in_tx)
{
	for (int attempt = 0;; attempt++) {
		if (s->generation == d->generation || prepare_on_server(d, s) == 0)
			return 0;
		if (!should_retry(d, attempt, was_in_tx))
			return -1;
	}
}

static void
clear_result(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	if (s->decoded != NULL) {
		PQfreemem(s->decoded);
		s->decoded = NULL;
	}
}

static void pg_finalize(struct db_stmt *st);

static struct db_stmt *
pg_prepare(struct db *db, const char *sql)
{
	struct pg_db *d = pg(db);
	struct pg_stmt *s = xcalloc(1, sizeof(*s));
	s->pgsql = db_sql_to_postgres(sql, &s->nparams);
	snprintf(s->name, sizeof(s->name), "s%u", ++d->next_name);
	size_t n = (size_t)s->nparams;
	s->values = xcalloc(n, sizeof(*s->values));
	s->lengths = xcalloc(n, sizeof(*s->lengths));
	s->formats = xcalloc(n, sizeof(*s->formats));
	s->params = xcalloc(n, sizeof(*s->params));
	s->row = -1;
	/* Preparing now reports a syntax error where the statement is
	 * written, not where it first runs. */
	if (ensure_prepared(d, s, pg_in_transaction(db)) != 0) {
		pg_finalize(&s->base);
		return NULL;
	}
	return &s->base;
}

static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = pgs(st);
	clear_result(s);
	for (int i = 0; i < s->nparams; i++)
		free(s->params[i].buf);
	free(s->params);
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->pgsql);
	free(s->stamps);
	free(s);
}

static void
pg_rewind(struct db_stmt *st)
{
	clear_result(pgs(st));
}

static void
pg_reset(struct db_stmt *st)
{
	struct pg_stmt *s = pgs(st);
	clear_result(s);
	for (int i = 0; i < s->nparams; i++) {
		s->values[i] = NULL;
		s->formats[i] = 0;
	}
}

static int execute(struct pg_db *d, struct pg_stmt *s);

/* A statement run while writes wait in the pipeline joins it: their
 * answers and its own come back in one round trip. */
static int
execute_pipelined(struct pg_db *d, struct pg_stmt *s)
{
	if (send_pipelined(d, s) != 0) {
		settle_quietly(d);
		return -1;
	}
	PGresult *res = NULL;
	int rc = settle(d, 1, &res);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return execute(d, s);    /* begun again on a new connection: run s alone */
	s->res = res;
	ExecStatusType status = PQresultStatus(s->res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		fail_result(d, s->res);
		clear_result(s);
		return -1;
	}
	s->nrows = PQntuples(s->res);
	s->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
	return 0;
}

static int
execute(struct pg_db *d, struct pg_stmt *s)
{
	if (d->queued > 0 && s->generation == d->generation)
		return execute_pipelined(d, s);
	int was_in_tx = pg_in_transaction(&d->base);
	for (int attempt = 0;; attempt++) {
		if (ensure_prepared(d, s, was_in_tx) != 0)
			return -1;
		s->res = await_sent(d, PQsendQueryPrepared(d->conn, s->name, s->nparams, s->values,
							   s->lengths, s->formats, 0));
		ExecStatusType status = PQresultStatus(s->res);
		if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
			s->nrows = PQntuples(s->res);
			s->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
			return 0;
		}
		fail_result(d, s->res);
		clear_result(s);
		if (!should_retry(d, attempt, was_in_tx))
			return -1;
	}
}

static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = pgs(st);
	if (st->state == STMT_IDLE) {
		clear_result(s);
		if (execute(pg(st->db), s) != 0)
			return DB_ERROR;
	}
	if (s->decoded != NULL) {
		PQfreemem(s->decoded);
		s->decoded = NULL;
	}
	return ++s->row < s->nrows ? DB_ROW : DB_DONE;
}

static int
pg_step_later(struct db_stmt *st)
{
	struct pg_db *d = pg(st->db);
	struct pg_stmt *s = pgs(st);
	/* Prepared on this connection already (db_prepare does it), unless
	 * the connection was reset since: then it runs now. */
	if (s->generation != d->generation) {
		int rc = pg_step(st);
		return rc == DB_ERROR ? -1 : 0;
	}
	if (send_pipelined(d, s) != 0) {
		settle_quietly(d);
		return -1;
	}
	d->queued++;
	/* The transaction's work is in the pipeline now: a connection lost
	 * before it is answered is the transaction's failure. */
	d->begin_pending = NULL;
	return 0;
}

/* st as the transaction's last statement, sent with the COMMIT in one
 * pipeline: one round trip for both (db_step_commit_int64).  0: committed,
 * st's result kept for reading; -1: failed, the transaction rolled back;
 * 1: nothing sent (st is not prepared on this connection). */
static int
pg_step_commit(struct db_stmt *st)
{
	struct pg_db *d = pg(st->db);
	struct pg_stmt *s = pgs(st);
	if (s->generation != d->generation)
		return 1;
	clear_result(s);
	if (send_pipelined(d, s) != 0) {
		settle_quietly(d);
		pg_rollback(st->db);
		return -1;
	}
	d->queued++;
	PGresult *res = NULL;
	if (commit_pipelined_keeping(d, &res) != 0)
		return -1;
	s->res = res;
	ExecStatusType status = PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		/* Not reached: a failed statement fails the commit above. */
		fail_result(d, res);
		clear_result(s);
		return -1;
	}
	s->nrows = PQntuples(res);
	s->changes = strtoll(PQcmdTuples(res), NULL, 10);
	return 0;
}

/* ---- binding -------------------------------------------------------- */

static int
check_index(struct pg_stmt *s, int idx)
{
	if (idx >= 1 && idx <= s->nparams)
		return 0;
	db_set_error(s->base.db, DB_ERR_MISUSE, "parameter %d out of range (statement has %d)",
		     idx, s->nparams);
	return -1;
}

/* Points parameter idx at a copy of len bytes (plus a NUL, which text
 * parameters need), growing its buffer only when it is too small. */
static void
set_param(struct pg_stmt *s, int idx, const void *p, size_t len, int format)
{
	struct pg_param *prm = &s->params[idx - 1];
	if (prm->cap < len + 1) {
		prm->cap = len + 1 > 32 ? len + 1 : 32;
		prm->buf = xrealloc(prm->buf, prm->cap);
	}
	memcpy(prm->buf, p, len);
	prm->buf[len] = '\0';
	s->values[idx - 1] = prm->buf;
	s->lengths[idx - 1] = (int)len;
	s->formats[idx - 1] = format;
}

static int
pg_bind_null(struct db_stmt *st, int idx)
{
	struct pg_stmt *s = pgs(st);
	if (check_index(s, idx) != 0)
		return -1;
	s->values[idx - 1] = NULL;
	return 0;
}

static int
bind_formatted(struct db_stmt *st, int idx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
bind_formatted(struct db_stmt *st, int idx, const char *fmt, ...)
{
	struct pg_stmt *s = pgs(st);
	if (check_index(s, idx) != 0)
		return -1;
	char buf[40];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	set_param(s, idx, buf, (size_t)n, 0);
	return 0;
}

static int
pg_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return bind_formatted(st, idx, "%lld", (long long)v);
}

static int
pg_bind_double(struct db_stmt *st, int idx, double v)
{
	return bind_formatted(st, idx, "%.17g", v);
}

static int
pg_bind_bool(struct db_stmt *st, int idx, int v)
{
	return bind_formatted(st, idx, "%s", v ? "true" : "false");
}

static int
pg_bind_text(struct db_stmt *st, int idx, const char *p, size_t len)
{
	struct pg_stmt *s = pgs(st);
	if (check_index(s, idx) != 0)
		return -1;
	set_param(s, idx, p, len, 0);
	return 0;
}

static int
pg_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	struct pg_stmt *s = pgs(st);
	if (check_index(s, idx) != 0)
		return -1;
	/* Binary format: a bytea's binary form is its bytes. */
	set_param(s, idx, p, len, 1);
	return 0;
}

/* ---- columns -------------------------------------------------------- */

static int
valid_cell(struct pg_stmt *s, int col)
{
	return s->res != NULL && s->row >= 0 && s->row < s->nrows && col >= 0 &&
	       col < PQnfields(s->res);
}

static int
pg_column_count(struct db_stmt *st)
{
	struct pg_stmt *s = pgs(st);
	return s->res ? PQnfields(s->res) : 0;
}

static const char *
pg_column_name(struct db_stmt *st, int col)
{
	struct pg_stmt *s = pgs(st);
	return s->res && col >= 0 && col < PQnfields(s->res) ? PQfname(s->res, col) : NULL;
}

static int
pg_column_is_null(struct db_stmt *st, int col)
{
	struct pg_stmt *s = pgs(st);
	return !valid_cell(s, col) || PQgetisnull(s->res, s->row, col);
}

/* bytea arrives in hex text form; callers want the bytes. */
static void
decode_bytea(struct pg_stmt *s, int col)
{
	if (s->decoded != NULL && s->decoded_row == s->row && s->decoded_col == col)
		return;
	if (s->decoded != NULL)
		PQfreemem(s->decoded);
	s->decoded = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, col),
				     &s->decoded_len);
	if (s->decoded == NULL) {
		fprintf(stderr, "pipelit: out of memory\n");
		abort();
	}
	s->decoded_row = s->row;
	s->decoded_col = col;
}

/*
 * PostgreSQL prints a timestamp's fraction without its trailing zeros
 * ("10:20:30.5", or none at all); SQLite holds the text the application
 * wrote ("10:20:30.500000").  Padding here gives every reader, the API and
 * 'db copy' alike, the one format on both backends.  Values that are not a
 * plain date and time (infinity, BC dates) pass through untouched.
 */
static const char *
normalise_timestamp(struct pg_stmt *s, int col, const char *v)
{
	size_t len = strlen(v);
	const char *dot = len > 19 ? v + 19 : NULL;
	if (len < 19 || len > STAMP_LEN - 1 || v[10] != ' ' || (dot && *dot != '.'))
		return v;
	if (s->nstamps <= col) {
		int n = PQnfields(s->res);
		s->stamps = xrealloc(s->stamps, (size_t)n * sizeof(*s->stamps));
		s->nstamps = n;
	}
	char *out = s->stamps[col];
	memcpy(out, v, len);
	memcpy(out + len, ".000000" + (dot ? 1 + (len - 20) : 0), STAMP_LEN - len);
	return out;
}

static const char *
pg_column_text(struct db_stmt *st, int col)
{
	struct pg_stmt *s = pgs(st);
	if (!valid_cell(s, col) || PQgetisnull(s->res, s->row, col))
		return NULL;
	switch (PQftype(s->res, col)) {
	case BYTEAOID:
		decode_bytea(s, col);
		return (const char *)s->decoded;
	case TIMESTAMPOID:
		return normalise_timestamp(s, col, PQgetvalue(s->res, s->row, col));
	default:
		return PQgetvalue(s->res, s->row, col);
	}
}

static size_t
pg_column_bytes(struct db_stmt *st, int col)
{
	struct pg_stmt *s = pgs(st);
	if (!valid_cell(s, col) || PQgetisnull(s->res, s->row, col))
		return 0;
	if (PQftype(s->res, col) == BYTEAOID) {
		decode_bytea(s, col);
		return s->decoded_len;
	}
	if (PQftype(s->res, col) == TIMESTAMPOID)
		return strlen(pg_column_text(st, col));
	return (size_t)PQgetlength(s->res, s->row, col);
}

static int64_t
pg_column_int64(struct db_stmt *st, int col)
{
	const char *v = pg_column_text(st, col);
	if (v == NULL)
		return 0;
	if (PQftype(pgs(st)->res, col) == BOOLOID)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static double
pg_column_double(struct db_stmt *st, int col)
{
	const char *v = pg_column_text(st, col);
	if (v == NULL)
		return 0.0;
	if (PQftype(pgs(st)->res, col) == BOOLOID)
		return v[0] == 't';
	return strtod(v, NULL);
}

static int64_t
pg_changes(struct db_stmt *st)
{
	return pgs(st)->changes;
}

/* A standby, or a database set default_transaction_read_only, answers
 * but refuses writes: that is not healthy for a pool that writes. */
static enum db_health
pg_health(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT current_setting('transaction_read_only')");
	if (st == NULL)
		return DB_UNREACHABLE;
	int rc = db_step(st);
	const char *v = rc == DB_ROW ? db_column_text(st, 0) : NULL;
	enum db_health h = v == NULL ? DB_UNREACHABLE : strcmp(v, "on") == 0 ? DB_READ_ONLY :
										 DB_HEALTHY;
	db_reset(st);
	return h;
}

const struct db_ops db_pg_ops = {
	.health = pg_health,
	.make_durable = pg_make_durable,
	.warm_up = pg_warm_up,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.rewind = pg_rewind,
	.reset = pg_reset,
	.bind_null = pg_bind_null,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_bool = pg_bind_bool,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.step_later = pg_step_later,
	.step_commit = pg_step_commit,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.column_is_null = pg_column_is_null,
	.column_text = pg_column_text,
	.column_bytes = pg_column_bytes,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.changes = pg_changes,
};
