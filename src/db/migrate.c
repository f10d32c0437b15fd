/* migrate.c: applying the migration graph to a live database (see
 * migrate.h and migration.h). */
#include "migrate.h"
#include "migration.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

/* Every pipelit process that migrates a PostgreSQL database takes this
 * transaction-scoped advisory lock first ("pipelit" in ASCII, then 1). */
#define MIGRATION_LOCK_SQL "SELECT pg_advisory_xact_lock(8100128985715405825)"

void
migration_free_revs(char **revs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(revs[i]);
	free(revs);
}

static int
db_failure(struct db *db, char **err, const char *what)
{
	*err = xasprintf("%s: %s", what, db_errmsg(db));
	return -1;
}

static int
version_table_exists(struct db *db, int *exists, char **err)
{
	const char *sql =
		db_backend_of(db) == DB_SQLITE
			? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			  "name = 'alembic_version'"
			: "SELECT count(*) FROM information_schema.tables WHERE "
			  "table_schema = current_schema() AND table_name = 'alembic_version'";
	int64_t n = 0;
	if (db_query_int64(db, sql, &n) < 0)
		return db_failure(db, err, "cannot look for the version table");
	*exists = n > 0;
	return 0;
}

static int
read_version_rows(struct db *db, char ***revs, size_t *nrevs, char **err)
{
	*revs = NULL;
	*nrevs = 0;
	struct db_stmt *st = db_prepare(db, "SELECT version_num FROM alembic_version "
					    "ORDER BY version_num");
	if (st == NULL)
		return db_failure(db, err, "cannot read alembic_version");
	int r;
	while ((r = db_step(st)) == DB_ROW) {
		const char *v = db_column_text(st, 0);
		*revs = xrealloc(*revs, (*nrevs + 1) * sizeof(char *));
		(*revs)[(*nrevs)++] = xstrdup(v ? v : "");
	}
	db_reset(st);
	if (r == DB_ERROR) {
		migration_free_revs(*revs, *nrevs);
		*revs = NULL;
		*nrevs = 0;
		return db_failure(db, err, "cannot read alembic_version");
	}
	return 0;
}

static int
unknown_revision(const char *rev, char **err)
{
	*err = xasprintf("database is at revision %s, which this pipelit does not know (it was "
			 "migrated by a newer version?); upgrade pipelit or downgrade the "
			 "database with the newer binary",
			 rev);
	return -1;
}

int
migration_read_current(struct db *db, const struct migration_graph *g,
		       unsigned char **applied, char ***revs, size_t *nrevs, char **err)
{
	int exists = 0;
	*applied = NULL;
	*revs = NULL;
	*nrevs = 0;
	if (version_table_exists(db, &exists, err) != 0)
		return -1;
	if (exists && read_version_rows(db, revs, nrevs, err) != 0)
		return -1;
	size_t n = migration_graph_count(g);
	*applied = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < *nrevs; i++) {
		char *ignored = NULL;
		const char *rev = (*revs)[i];
		long k = migration_rev_is_valid(rev) ? migration_graph_find(g, rev, &ignored) : -1;
		free(ignored);
		if (k < 0) {
			unknown_revision(rev, err);
			free(*applied);
			*applied = NULL;
			migration_free_revs(*revs, *nrevs);
			*revs = NULL;
			*nrevs = 0;
			return -1;
		}
		migration_mark_ancestors(g, (size_t)k, *applied);
	}
	return 0;
}

/* True when text has something besides blanks and "--" comments, so an
 * empty section is never sent to the server. */
static int
has_sql(const char *text)
{
	const char *s = text;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (s[0] == '-' && s[1] == '-') {
			s = strchr(s, '\n');
			if (s == NULL)
				return 0;
			continue;
		}
		return *s != '\0';
	}
	return 0;
}

/* What one pass of the loop needs to carry between transactions. */
struct apply_run {
	const struct migration_graph *g;
	const char *spec;
	enum migration_direction dir;
	int flags;
	struct migration_target target;
	int resolved;
};

static int
run_step(struct db *db, struct apply_run *run, const unsigned char *applied, size_t step,
	 char **err)
{
	const struct migration_graph *g = run->g;
	const struct migration *m = migration_graph_at(g, step);
	size_t n = migration_graph_count(g);
	size_t *old_heads = xcalloc(n, sizeof(size_t));
	size_t *new_heads = xcalloc(n, sizeof(size_t));
	unsigned char *after = xcalloc(n, 1);
	memcpy(after, applied, n);
	after[step] = run->dir == MIGRATION_UP;
	size_t nold = migration_set_heads(g, applied, old_heads);
	size_t nnew = migration_set_heads(g, after, new_heads);
	char *sql = migration_sql(m, run->dir, db_backend_of(db));
	char *version = migration_version_sql(g, old_heads, nold, new_heads, nnew);
	int rc = 0;
	if (has_sql(sql) && db_exec(db, sql) != 0)
		rc = -1;
	if (rc == 0 && db_exec(db, version) != 0)
		rc = -1;
	if (rc != 0)
		*err = xasprintf("%s migration %s (%s) failed: %s",
				 run->dir == MIGRATION_UP ? "applying" : "reverting", m->revision,
				 m->file, db_errmsg(db));
	free(sql);
	free(version);
	free(after);
	free(old_heads);
	free(new_heads);
	return rc;
}

/* One transaction: lock, read where the database is, take one step.
 * 1 when a step was taken, 0 when the target is reached, -1 on error. */
static int
apply_one(struct db *db, struct apply_run *run, char **err)
{
	unsigned char *applied = NULL;
	char **revs = NULL;
	size_t nrevs = 0, step = 0;
	int r = -1;
	if (db_begin_write(db) != 0)
		return db_failure(db, err, "cannot begin the migration transaction");
	if (db_backend_of(db) == DB_POSTGRES && db_exec(db, MIGRATION_LOCK_SQL) != 0) {
		db_failure(db, err, "cannot take the migration lock");
		goto out;
	}
	if (db_exec(db, MIGRATION_VERSION_TABLE_SQL) != 0) {
		db_failure(db, err, "cannot create alembic_version");
		goto out;
	}
	if (migration_read_current(db, run->g, &applied, &revs, &nrevs, err) != 0)
		goto out;
	if (!run->resolved &&
	    migration_resolve_target(run->g, run->spec, run->dir, applied, &run->target, err) != 0)
		goto out;
	run->resolved = 1;
	r = migration_next_step(run->g, applied, &run->target, run->dir, &step, err);
	if (r == 1 && run_step(db, run, applied, step, err) != 0)
		r = -1;
out:
	if (r < 0) {
		db_rollback(db);
	} else if (db_commit(db) != 0) {
		r = db_failure(db, err, "cannot commit the migration");
	} else if (r == 1 && !(run->flags & MIGRATION_QUIET)) {
		const struct migration *m = migration_graph_at(run->g, step);
		log_info("%s migration %s: %s",
			 run->dir == MIGRATION_UP ? "applied" : "reverted", m->revision, m->message);
	}
	free(applied);
	migration_free_revs(revs, nrevs);
	return r;
}

int
migration_apply(struct db *db, const struct migration_graph *g, const char *spec,
		enum migration_direction dir, int flags, char **err)
{
	struct apply_run run = { .g = g, .spec = spec, .dir = dir, .flags = flags };
	int r;
	while ((r = apply_one(db, &run, err)) == 1)
		;
	return r;
}

int
migrate_upgrade(struct db *db, const char *target, char **err)
{
	struct migration_graph *g = migration_graph_embedded(err);
	if (g == NULL)
		return -1;
	int rc = migration_apply(db, g, target, MIGRATION_UP, 0, err);
	migration_graph_free(g);
	return rc;
}

int
migrate_check_known(struct db *db, char **err)
{
	struct migration_graph *g = migration_graph_embedded(err);
	if (g == NULL)
		return -1;
	unsigned char *applied = NULL;
	char **revs = NULL;
	size_t nrevs = 0;
	int rc = migration_read_current(db, g, &applied, &revs, &nrevs, err);
	free(applied);
	migration_free_revs(revs, nrevs);
	migration_graph_free(g);
	return rc;
}
