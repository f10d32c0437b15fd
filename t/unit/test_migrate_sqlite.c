/* test_migrate_sqlite.c: applying a test history to a temporary SQLite
 * file, up and down, and the built-in history's health. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/migrate.h"
#include "db/migration.h"
#include "tap.h"
#include "util/log.h"
#include "util/xalloc.h"

static const struct migration_source history[] = {
	{ "111111111111_projects.sql",
	  "-- Revision: 111111111111\n-- Parent: <base>\n-- Message: projects\n\n"
	  "-- +upgrade\nCREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
	  "-- +upgrade sqlite\nCREATE INDEX ix_projects_name ON projects (name);\n"
	  "-- +upgrade postgresql\nTHIS IS NOT SQL;\n"
	  "-- +downgrade\nDROP TABLE projects;\n" },
	{ "222222222222_tasks.sql",
	  "-- Revision: 222222222222\n-- Parent: 111111111111\n-- Message: tasks\n\n"
	  "-- +upgrade\nCREATE TABLE tasks (id INTEGER PRIMARY KEY,\n"
	  "  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE);\n"
	  "CREATE INDEX ix_tasks_project_id ON tasks (project_id);\n"
	  "-- +downgrade\nDROP TABLE tasks;\n" },
	{ "333333333333_done.sql",
	  "-- Revision: 333333333333\n-- Parent: 222222222222\n-- Message: done flag\n\n"
	  "-- +upgrade\nALTER TABLE tasks ADD COLUMN done BOOLEAN NOT NULL DEFAULT 0;\n"
	  "-- +downgrade\nALTER TABLE tasks DROP COLUMN done;\n" },
};

static char *
current(struct db *db, const struct migration_graph *g)
{
	unsigned char *applied;
	char **revs;
	size_t n;
	char *err = NULL;
	if (migration_read_current(db, g, &applied, &revs, &n, &err) != 0)
		return err;
	struct mbuf b = { 0 };
	for (size_t i = 0; i < n; i++)
		mbuf_printf(&b, "%s%s", i ? " " : "", revs[i]);
	free(applied);
	migration_free_revs(revs, n);
	return mbuf_take(&b);
}

static void
is_current(struct db *db, const struct migration_graph *g, const char *want, const char *what)
{
	char *got = current(db, g);
	is_str(got, want, "%s", what);
	free(got);
}

static int
step(struct db *db, const struct migration_graph *g, const char *spec,
     enum migration_direction dir)
{
	char *err = NULL;
	int rc = migration_apply(db, g, spec, dir, 0, &err);
	if (rc != 0)
		printf("# %s\n", err);
	free(err);
	return rc;
}

static int64_t
count(struct db *db, const char *sql)
{
	int64_t n = -1;
	db_query_int64(db, sql, &n);
	return n;
}

static void
collect(const char *line, void *arg)
{
	struct mbuf *b = arg;
	mbuf_printf(b, "%s\n", line);
}

static void
test_up_and_down(struct db *db)
{
	char *err = NULL;
	struct migration_graph *g = migration_graph_load(history, 3, &err);
	ok(g != NULL, "test history loads");
	ok(db_exec(db, "CREATE TABLE keep (v TEXT); INSERT INTO keep VALUES ('a'), ('b')") == 0,
	   "an unrelated table with rows");

	is_current(db, g, "", "a new database has no revision");
	is_int(step(db, g, "head", MIGRATION_UP), 0, "upgrade head");
	is_current(db, g, "333333333333", "at head");
	is_int(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ix_projects_name'"), 1,
	       "the sqlite section ran");
	ok(db_exec(db, "INSERT INTO projects VALUES (1, 'p'); INSERT INTO tasks VALUES (1, 1, 1)") ==
		   0,
	   "the new tables take rows");
	is_int(step(db, g, "head", MIGRATION_UP), 0, "upgrade head again");
	is_current(db, g, "333333333333", "nothing to do the second time");

	is_int(step(db, g, "-1", MIGRATION_DOWN), 0, "downgrade -1");
	is_current(db, g, "222222222222", "one step back");
	is_int(count(db, "SELECT count(*) FROM pragma_table_info('tasks') WHERE name = 'done'"), 0,
	       "the column is gone");
	is_int(count(db, "SELECT count(*) FROM tasks"), 1, "the task survives");

	is_int(step(db, g, "base", MIGRATION_DOWN), 0, "downgrade base");
	is_current(db, g, "", "at base");
	is_int(count(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('projects', 'tasks')"),
	       0, "the tables are gone");

	is_int(step(db, g, "2222", MIGRATION_UP), 0, "upgrade to a prefix");
	is_current(db, g, "222222222222", "at the named revision");
	is_int(step(db, g, "heads", MIGRATION_UP), 0, "upgrade heads");
	is_current(db, g, "333333333333", "at head again");
	is_int(count(db, "SELECT count(*) FROM keep"), 2, "rows in an untouched table survive");

	struct mbuf drift = { 0 };
	is_int(schema_check(db, g, collect, &drift, &err), 1,
	       "at head the only drift is the table the migrations do not know");
	free(mbuf_take(&drift));
	db_exec(db, "ALTER TABLE tasks ADD COLUMN x INTEGER");
	long n = schema_check(db, g, collect, &drift, &err);
	char *text = mbuf_take(&drift);
	ok(n == 2 && strstr(text, "column tasks.x: in the database, not in the migrations") &&
		   strstr(text, "table keep: in the database"),
	   "a manual ALTER TABLE is drift:\n%s", text);
	free(text);
	migration_graph_free(g);
}

static void
test_unknown_revision(struct db *db)
{
	char *err = NULL;
	struct migration_graph *g = migration_graph_load(history, 2, &err);
	ok(migration_apply(db, g, "head", MIGRATION_UP, 0, &err) != 0 &&
		   strstr(err, "database is at revision 333333333333, which this pipelit does "
			       "not know"),
	   "a newer database is refused: %s", err);
	free(err);
	migration_graph_free(g);
}

static void
test_embedded(void)
{
	char *err = NULL;
	struct migration_graph *g = migration_graph_embedded(&err);
	ok(g != NULL, "the built-in migrations load: %s", err ? err : "");
	if (g == NULL)
		return;
	size_t *heads = xcalloc(migration_graph_count(g) + 1, sizeof(size_t));
	is_int(migration_graph_heads(g, heads), migration_graph_count(g) ? 1 : 0,
	       "the built-in history has a single head");
	free(heads);

	struct db *db = db_open_create("sqlite://", &err);
	ok(db && migrate_upgrade(db, "head", &err) == 0, "built-in history upgrades: %s",
	   err ? err : "");
	ok(migrate_check_known(db, &err) == 0, "and the result is known");
	struct mbuf drift = { 0 };
	is_int(schema_check(db, g, collect, &drift, &err), 0, "and has no drift");
	free(mbuf_take(&drift));
	ok(migration_apply(db, g, "base", MIGRATION_DOWN, 0, &err) == 0,
	   "built-in history downgrades to base: %s", err ? err : "");
	is_int(count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			 "name NOT IN ('alembic_version') AND name NOT LIKE 'sqlite_%'"),
	       0, "downgrade base leaves no tables behind");
	ok(migrate_upgrade(db, "head", &err) == 0, "and upgrades again");
	db_close(db);
	migration_graph_free(g);
}

int
main(void)
{
	log_open(LOG_LEVEL_WARNING, NULL);
	char dir[] = "/tmp/pipelit-migrate-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	char *url = xasprintf("sqlite:///%s/t.sqlite3", dir);
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	ok(db != NULL, "temporary SQLite file opens: %s", err ? err : "");
	if (db != NULL) {
		test_up_and_down(db);
		test_unknown_revision(db);
		db_close(db);
	}
	test_embedded();
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	free(url);
	return done_testing();
}
