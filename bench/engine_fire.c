/*
 * engine_fire.c: starts executions the way a trigger does (one
 * engine_trigger_start() transaction each: the execution row and what of
 * it runs inline in the trigger, then its events published and, when it
 * queued work, the executors' wake-up; with PIPELIT_BENCH_FIRE_JOB=1 the
 * way triggers did before inline runs: execution_start() writing the
 * trigger's job, then the wake-up, for A/B runs against an older pool) and
 * times what the pool's executors make of them, reading only what they
 * persisted.  Built and run by bench/engine.sh against a running pool; the
 * database and its settings come from the environment, as for any pipelit
 * command (DATABASE_URL or PIPELIT_DATA_DIR, PIPELIT_SQLITE_SYNCHRONOUS).
 *
 *   engine_fire async SLUG TRIGGER_TYPE N FIRERS TIMEOUT_S [alone]
 *	FIRERS processes start N executions between them as fast as they can;
 *	then waits until the workflow has N more finished executions.  Prints
 *	"fired N fire_s S drain_s S completed C failed F".  Each start goes
 *	through the pool's trigger writer (engine/trigger_relay.h) when it
 *	runs; with "alone", each firer commits its own.
 *
 *   engine_fire drain SLUG TIMEOUT_S
 *	Waits until no execution of the workflow is pending or running (those
 *	that webhooks started).  Prints "drain_s S completed C finished F".
 *
 *   engine_fire raw SECONDS
 *	The physical limit on this database: one-row write transactions,
 *	one after another, through the db layer, for SECONDS, in a table of
 *	its own (dropped after).  Prints "commits C seconds S".
 *
 *   engine_fire latency SLUG TRIGGER_TYPE K
 *	K executions one after another, each started only once the previous
 *	one finished (an idle pool).  Prints one line per execution:
 *	"e2e_us U first_node_us F total_us T status S": e2e from before the
 *	trigger's transaction until its finished row was seen (polled every
 *	250 us); first_node from the execution's started_at to the timestamp
 *	of its first log row; total from started_at to completed_at (both as
 *	stored: millisecond resolution).
 *
 *   engine_fire times SLUG
 *	Every finished execution of the workflow, one line each: "start_us S
 *	end_us E status X", its started_at and completed_at as stored
 *	(millisecond resolution) in microseconds since the epoch.
 *
 *   engine_fire phases SLUG NODE
 *	The same with node NODE's log row: "start_us S node_us N dur_ms D
 *	end_us E status X": N when the executor began running NODE, D how
 *	long it ran (for a node that waits on I/O, its whole wait).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "db/db.h"
#include "db/db_settings.h"
#include "engine/trigger.h"
#include "events/watch.h"
#include "model/execution.h"
#include "util/config.h"
#include "util/timefmt.h"
#include "util/wake.h"

static double
mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct db *
open_db(const struct config *cfg)
{
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		fprintf(stderr, "engine_fire: %s\n", err ? err : "cannot open the database");
		exit(1);
	}
	return db;
}

/* Starts one execution of slug as its owner; 0 or -1 (reported). */
static int
start_one(struct db *db, const struct config *cfg, const char *slug, const char *trigger_type,
	  int64_t owner, long n, char id[EXEC_ID_MAX + 1])
{
	/* Half the executions take each branch of the workflow's switch. */
	json_t *payload = json_pack("{s:s, s:{s:s, s:i}}", "text", n % 2 ? "b" : "a", "payload",
				    "kind", n % 2 ? "b" : "a", "n", (json_int_t)n);
	struct exec_start rq = {
		.workflow_slug = slug, .owner = EXEC_ANY_OWNER, .user_profile_id = owner,
		.trigger_type = trigger_type, .payload = payload, .now_ms = time_now_ms(),
	};
	const char *job = getenv("PIPELIT_BENCH_FIRE_JOB");
	int old = job != NULL && strcmp(job, "1") == 0;
	struct trigger_outcome run;
	int rc = old ? execution_start(db, &rq, id) : engine_trigger_start(db, cfg, &rq, id, &run);
	json_decref(payload);
	if (rc != EXEC_OK) {
		fprintf(stderr, "engine_fire: execution_start: %d %s\n", rc,
			rc == DB_FAILED ? db_errmsg(db) : "");
		return -1;
	}
	if (old) {
		wake_executors(cfg);
	} else {
		trigger_outcome_clear(&run);
		engine_trigger_publish();
		/* As a responder's loop does between requests. */
		engine_trigger_poll_run(db);
	}
	return 0;
}

static int64_t
finished_count(struct db *db, const char *slug, const char *status)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
		"WHERE w.slug = ? AND (e.status = ? OR (? = 'finished' AND e.status IN "
		"('completed', 'failed', 'cancelled')))");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, slug, -1);
	db_bind_text(st, 2, status, -1);
	db_bind_text(st, 3, status, -1);
	int64_t n = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_reset(st);
	return n;
}

static int
fire_async(const struct config *cfg, const char *slug, const char *trigger_type, long n,
	   int firers, double timeout)
{
	struct db *db = open_db(cfg);
	int64_t owner = 0;
	if (execution_workflow_owner(db, slug, &owner) != EXEC_OK) {
		fprintf(stderr, "engine_fire: no workflow %s\n", slug);
		return 1;
	}
	int64_t before = finished_count(db, slug, "finished");
	int64_t completed_before = finished_count(db, slug, "completed");
	/* No handle crosses a fork (a PostgreSQL session or a SQLite file's
	 * locks would be shared with the children): closed before, opened
	 * again after. */
	db_close(db);
	double t0 = mono();
	for (int f = 0; f < firers; f++) {
		if (fork() == 0) {
			struct db *own = open_db(cfg);
			char id[EXEC_ID_MAX + 1];
			for (long i = f; i < n; i += firers)
				if (start_one(own, cfg, slug, trigger_type, owner, i, id) != 0)
					_exit(2);
			engine_trigger_flush(own, ENGINE_TRIGGER_FLUSH_MS);
			db_close(own);
			_exit(0);
		}
	}
	int status, failed_firers = 0;
	while (wait(&status) > 0)
		failed_firers += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	double fired = mono() - t0;
	db = open_db(cfg);
	int64_t done = 0;
	while ((done = finished_count(db, slug, "finished") - before) < n && mono() - t0 < timeout)
		usleep(2000);
	double drained = mono() - t0;
	int64_t completed = finished_count(db, slug, "completed") - completed_before;
	printf("fired %ld fire_s %.4f drain_s %.4f completed %lld failed %lld firer_errors %d\n", n,
	       fired, drained, (long long)completed, (long long)(done - completed), failed_firers);
	db_close(db);
	return 0;
}

static int
drain(const struct config *cfg, const char *slug, double timeout)
{
	struct db *db = open_db(cfg);
	double t0 = mono();
	struct db_stmt *st = db_prepare(db,
		"SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
		"WHERE w.slug = ? AND e.status IN ('pending', 'running')");
	if (st == NULL)
		return 1;
	for (;;) {
		db_bind_text(st, 1, slug, -1);
		int64_t left = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
		db_reset(st);
		if (left == 0 || mono() - t0 > timeout)
			break;
		usleep(2000);
	}
	printf("drain_s %.4f completed %lld finished %lld\n", mono() - t0,
	       (long long)finished_count(db, slug, "completed"),
	       (long long)finished_count(db, slug, "finished"));
	db_close(db);
	return 0;
}

static int
raw_commits(const struct config *cfg, double seconds)
{
	struct db *db = open_db(cfg);
	if (db_exec(db, "DROP TABLE IF EXISTS bench_raw_commits") != 0 ||
	    db_exec(db, "CREATE TABLE bench_raw_commits (note TEXT)") != 0) {
		fprintf(stderr, "engine_fire: %s\n", db_errmsg(db));
		return 1;
	}
	long commits = 0;
	double t0 = mono();
	while (mono() - t0 < seconds) {
		struct db_stmt *st;
		if (db_begin_write(db) != 0 ||
		    (st = db_prepare(db, "INSERT INTO bench_raw_commits (note) VALUES (?)")) == NULL)
			break;
		db_bind_text(st, 1, "a write the API would acknowledge", -1);
		int rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE || db_commit(db) != 0)
			break;
		commits++;
	}
	double elapsed = mono() - t0;
	db_exec(db, "DROP TABLE bench_raw_commits");
	printf("commits %ld seconds %.3f\n", commits, elapsed);
	db_close(db);
	return 0;
}

/* Microseconds between two stored times; -1 when either is missing. */
static long long
stored_gap_us(const char *a, const char *b)
{
	int64_t sa, sb;
	int ua, ub;
	if (a == NULL || b == NULL || time_db_to_epoch(a, &sa, &ua) != 0 ||
	    time_db_to_epoch(b, &sb, &ub) != 0)
		return -1;
	return (long long)(sb - sa) * 1000000 + (ub - ua);
}

static void
print_stored_gaps(struct db *db, const char *id)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT e.started_at, e.completed_at, e.status, "
		"(SELECT min(l.timestamp) FROM execution_logs l WHERE l.execution_id = e.execution_id) "
		"FROM workflow_executions e WHERE e.execution_id = ?");
	if (st == NULL)
		return;
	db_bind_text(st, 1, id, -1);
	if (db_step(st) == DB_ROW) {
		char started[40] = "", completed[40] = "", first[40] = "", status[16] = "";
		snprintf(started, sizeof(started), "%s", db_column_text(st, 0) ? db_column_text(st, 0) : "");
		snprintf(completed, sizeof(completed), "%s",
			 db_column_text(st, 1) ? db_column_text(st, 1) : "");
		snprintf(status, sizeof(status), "%s", db_column_text(st, 2) ? db_column_text(st, 2) : "");
		snprintf(first, sizeof(first), "%s", db_column_text(st, 3) ? db_column_text(st, 3) : "");
		printf(" first_node_us %lld total_us %lld status %s\n",
		       stored_gap_us(*started ? started : NULL, *first ? first : NULL),
		       stored_gap_us(*started ? started : NULL, *completed ? completed : NULL), status);
	} else {
		printf(" first_node_us -1 total_us -1 status missing\n");
	}
	db_reset(st);
}

static int
is_finished(struct db *db, const char *id)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT status FROM workflow_executions WHERE execution_id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id, -1);
	int done = 0;
	if (db_step(st) == DB_ROW) {
		const char *s = db_column_text(st, 0);
		done = s && (strcmp(s, "completed") == 0 || strcmp(s, "failed") == 0 ||
			     strcmp(s, "cancelled") == 0);
	}
	db_reset(st);
	return done;
}

static int
fire_latency(const struct config *cfg, const char *slug, const char *trigger_type, long k)
{
	struct db *db = open_db(cfg);
	int64_t owner = 0;
	if (execution_workflow_owner(db, slug, &owner) != EXEC_OK) {
		fprintf(stderr, "engine_fire: no workflow %s\n", slug);
		return 1;
	}
	for (long i = 0; i < k; i++) {
		char id[EXEC_ID_MAX + 1];
		double t0 = mono();
		if (start_one(db, cfg, slug, trigger_type, owner, i, id) != 0)
			return 1;
		while (!is_finished(db, id) && mono() - t0 < 10) {
			engine_trigger_poll_run(db);
			usleep(250);
		}
		printf("e2e_us %.0f", (mono() - t0) * 1e6);
		print_stored_gaps(db, id);
		usleep(20000); /* idle between executions */
	}
	db_close(db);
	return 0;
}

/* Seconds and microseconds since the epoch of a stored time; -1 when missing. */
static long long
stored_epoch_us(const char *t)
{
	int64_t s;
	int us;
	if (t == NULL || time_db_to_epoch(t, &s, &us) != 0)
		return -1;
	return (long long)s * 1000000 + us;
}

static int
print_times(const struct config *cfg, const char *slug)
{
	struct db *db = open_db(cfg);
	struct db_stmt *st = db_prepare(db,
		"SELECT e.started_at, e.completed_at, e.status FROM workflow_executions e "
		"JOIN workflows w ON w.id = e.workflow_id "
		"WHERE w.slug = ? AND e.status IN ('completed', 'failed', 'cancelled')");
	if (st == NULL)
		return 1;
	db_bind_text(st, 1, slug, -1);
	while (db_step(st) == DB_ROW)
		printf("start_us %lld end_us %lld status %s\n", stored_epoch_us(db_column_text(st, 0)),
		       stored_epoch_us(db_column_text(st, 1)),
		       db_column_text(st, 2) ? db_column_text(st, 2) : "");
	db_reset(st);
	db_close(db);
	return 0;
}

static int
print_phases(const struct config *cfg, const char *slug, const char *node)
{
	struct db *db = open_db(cfg);
	struct db_stmt *st = db_prepare(db,
		"SELECT e.started_at, e.completed_at, e.status, l.timestamp, l.duration_ms "
		"FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
		"JOIN execution_logs l ON l.execution_id = e.execution_id AND l.node_id = ? "
		"WHERE w.slug = ? AND e.status IN ('completed', 'failed', 'cancelled')");
	if (st == NULL)
		return 1;
	db_bind_text(st, 1, node, -1);
	db_bind_text(st, 2, slug, -1);
	while (db_step(st) == DB_ROW)
		printf("start_us %lld node_us %lld dur_ms %lld end_us %lld status %s\n",
		       stored_epoch_us(db_column_text(st, 0)), stored_epoch_us(db_column_text(st, 3)),
		       (long long)db_column_int64(st, 4), stored_epoch_us(db_column_text(st, 1)),
		       db_column_text(st, 2) ? db_column_text(st, 2) : "");
	db_reset(st);
	db_close(db);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: engine_fire async SLUG TRIGGER_TYPE N FIRERS TIMEOUT_S [alone]\n"
				"       engine_fire drain SLUG TIMEOUT_S\n"
				"       engine_fire raw SECONDS\n"
				"       engine_fire latency SLUG TRIGGER_TYPE K\n"
				"       engine_fire phases SLUG NODE\n"
				"       engine_fire times SLUG\n");
		return 2;
	}
	struct config cfg;
	char *err = NULL;
	if (config_load(&cfg, NULL, &err) != 0) {
		fprintf(stderr, "engine_fire: %s\n", err);
		return 1;
	}
	db_configure_from(&cfg, DB_FOR_TOOLS);
	/* The pool's table of watched channels (PIPELIT_PID_FILE), as a
	 * trigger's process has it. */
	watch_attach(&cfg, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int alone = argc == 8 && strcmp(argv[7], "alone") == 0;
	if (alone)
		cfg.trigger_writer = 0;      /* each start commits in its firer */
	if (strcmp(argv[1], "async") == 0 && (argc == 7 || alone))
		return fire_async(&cfg, argv[2], argv[3], atol(argv[4]), atoi(argv[5]), atof(argv[6]));
	if (strcmp(argv[1], "raw") == 0 && argc == 3)
		return raw_commits(&cfg, atof(argv[2]));
	if (strcmp(argv[1], "drain") == 0 && argc == 4)
		return drain(&cfg, argv[2], atof(argv[3]));
	if (strcmp(argv[1], "latency") == 0 && argc == 5)
		return fire_latency(&cfg, argv[2], argv[3], atol(argv[4]));
	if (strcmp(argv[1], "times") == 0 && argc == 3)
		return print_times(&cfg, argv[2]);
	if (strcmp(argv[1], "phases") == 0 && argc == 4)
		return print_phases(&cfg, argv[2], argv[3]);
	fprintf(stderr, "engine_fire: bad arguments\n");
	return 2;
}
