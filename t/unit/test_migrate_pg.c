/* test_migrate_pg.c: a test history on PostgreSQL, in a schema of its own
 * inside the database PIPELIT_TEST_PG_URL names (skipped when unset). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/migration.h"
#include "tap.h"
#include "util/log.h"
#include "util/xalloc.h"

static const struct migration_source history[] = {
	{ "111111111111_projects.sql",
	  "-- Revision: 111111111111\n-- Parent: <base>\n-- Message: projects\n\n"
	  "-- +upgrade\nCREATE TABLE projects (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n"
	  "-- +upgrade sqlite\nTHIS IS NOT SQL;\n"
	  "-- +upgrade postgresql\nCREATE INDEX ix_projects_name ON projects (name);\n"
	  "-- +downgrade\nDROP TABLE projects;\n" },
	{ "222222222222_tasks.sql",
	  "-- Revision: 222222222222\n-- Parent: 111111111111\n-- Message: tasks\n\n"
	  "-- +upgrade\nCREATE TABLE tasks (id SERIAL PRIMARY KEY,\n"
	  "  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,\n"
	  "  done BOOLEAN NOT NULL DEFAULT false);\n"
	  "CREATE INDEX ix_tasks_project_id ON tasks (project_id);\n"
	  "-- +downgrade\nDROP TABLE tasks;\n" },
};

static int64_t
count(struct db *db, const char *sql)
{
	int64_t n = -1;
	db_query_int64(db, sql, &n);
	return n;
}

static int
apply(struct db *db, const struct migration_graph *g, const char *spec,
      enum migration_direction dir)
{
	char *err = NULL;
	int rc = migration_apply(db, g, spec, dir, MIGRATION_QUIET, &err);
	if (rc != 0)
		printf("# %s\n", err);
	free(err);
	return rc;
}

static void
collect(const char *line, void *arg)
{
	struct mbuf *b = arg;
	mbuf_printf(b, "%s\n", line);
}

static void
run(struct db *db)
{
	char *err = NULL;
	struct migration_graph *g = migration_graph_load(history, 2, &err);
	ok(g != NULL, "test history loads");
	db_exec(db, "CREATE TABLE keep (v TEXT); INSERT INTO keep VALUES ('a'), ('b')");
	is_int(apply(db, g, "head", MIGRATION_UP), 0, "upgrade head");
	is_int(count(db, "SELECT count(*) FROM alembic_version WHERE version_num = "
			 "'222222222222'"),
	       1, "the version table names the head");
	is_int(count(db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_projects_name' "
			 "AND schemaname = current_schema()"),
	       1, "the postgresql section ran");
	struct mbuf drift = { 0 };
	is_int(schema_check(db, g, collect, &drift, &err), 1, "only the unrelated table differs");
	free(mbuf_take(&drift));
	db_exec(db, "ALTER TABLE tasks ADD COLUMN x INTEGER");
	long n = schema_check(db, g, collect, &drift, &err);
	char *text = mbuf_take(&drift);
	ok(n == 2 && strstr(text, "column tasks.x: in the database, not in the migrations"),
	   "a manual ALTER TABLE is drift:\n%s", text);
	free(text);
	is_int(count(db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pipelit_check_%'"),
	       0, "the scratch schema is dropped");
	db_exec(db, "ALTER TABLE tasks DROP COLUMN x");
	is_int(apply(db, g, "-1", MIGRATION_DOWN), 0, "downgrade -1");
	is_int(count(db, "SELECT count(*) FROM alembic_version WHERE version_num = "
			 "'111111111111'"),
	       1, "one step back");
	is_int(apply(db, g, "base", MIGRATION_DOWN), 0, "downgrade base");
	is_int(count(db, "SELECT count(*) FROM alembic_version"), 0, "at base");
	is_int(apply(db, g, "head", MIGRATION_UP), 0, "upgrade again");
	is_int(count(db, "SELECT count(*) FROM keep"), 2, "rows in an untouched table survive");
	migration_graph_free(g);
}

int
main(void)
{
	const char *url = getenv("PIPELIT_TEST_PG_URL");
	if (url == NULL || *url == '\0') {
		printf("1..0 # SKIP PIPELIT_TEST_PG_URL not set\n");
		return 0;
	}
	log_open(LOG_LEVEL_WARNING, NULL);
	char *err = NULL;
	struct db *db = db_open(url, &err);
	ok(db != NULL, "connects: %s", err ? err : "");
	if (db == NULL)
		return done_testing();
	char *ns = xasprintf("pipelit_mtest_%ld", (long)getpid());
	char *sql = xasprintf("CREATE SCHEMA %s; SET search_path TO %s", ns, ns);
	ok(db_exec(db, sql) == 0, "a schema of its own");
	free(sql);
	run(db);
	sql = xasprintf("SET search_path TO public; DROP SCHEMA %s CASCADE", ns);
	db_exec(db, sql);
	free(sql);
	free(ns);
	db_close(db);
	return done_testing();
}
