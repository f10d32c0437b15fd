/* backup.c: see backup.h. */
#include "db/backup.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/wal_vfs.h"
#include "util/progress.h"
#include "util/xalloc.h"

/* Pages copied per backup step: small enough that the destination's
 * writes come in short bursts, large enough that the loop costs nothing. */
#define BACKUP_STEP_PAGES 1024
#define BUSY_TIMEOUT_MS 10000

void
db_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
push_string(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* ---- SQLite ------------------------------------------------------------ */

static int
sqlite_fail(sqlite3 *conn, const char *what, const char *path, char **err)
{
	*err = xasprintf("%s %s: %s", what, path, conn ? sqlite3_errmsg(conn) : "out of memory");
	return -1;
}

static sqlite3 *
sqlite_open_file(const char *path, int flags, char **err)
{
	sqlite3 *conn = NULL;
	(void)wal_vfs_register();   /* as every connection of ours: a failure only costs speed */
	if (sqlite3_open_v2(path, &conn, flags, NULL) != SQLITE_OK) {
		sqlite_fail(conn, "cannot open", path, err);
		sqlite3_close(conn);
		return NULL;
	}
	sqlite3_busy_timeout(conn, BUSY_TIMEOUT_MS);
	return conn;
}

/* Starts a read transaction on src and keeps it: the backup then copies
 * this one snapshot, and writes by others do not restart it. */
static int
hold_snapshot(sqlite3 *src, const char *path, char **err)
{
	if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return sqlite_fail(src, "cannot read", path, err);
	return 0;
}

static int
copy_pages(sqlite3 *src, sqlite3 *dst, const char *dst_path, struct progress *progress,
	   char **err)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL)
		return sqlite_fail(dst, "cannot start the backup into", dst_path, err);
	int rc;
	unsigned attempt = 0;
	while ((rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES)) == SQLITE_OK ||
	       rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		int total = sqlite3_backup_pagecount(b);
		progress_set_total(progress, total);
		progress_set(progress, total - sqlite3_backup_remaining(b));
		if (rc != SQLITE_OK) {
			if (++attempt > 1000)
				break;
			usleep(10000);
		}
	}
	if (rc == SQLITE_DONE) {
		progress_set_total(progress, sqlite3_backup_pagecount(b));
		progress_set(progress, sqlite3_backup_pagecount(b));
	}
	sqlite3_backup_finish(b);
	if ((rc & 0xff) == SQLITE_FULL) {
		*err = xasprintf("disk full: no space left for the backup %s; nothing was kept "
				 "(free space or choose another directory with --dir)", dst_path);
		return -1;
	}
	if (rc != SQLITE_DONE) {
		*err = xasprintf("backup into %s failed: %s", dst_path, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* Removes dst and whatever SQLite may have left beside it. */
static void
remove_copy(const char *dst_path)
{
	static const char *const sidecars[] = { "", "-journal", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		char *p = xasprintf("%s%s", dst_path, sidecars[i]);
		unlink(p);
		free(p);
	}
}

int
db_sqlite_backup(const char *src_path, const char *dst_path, struct progress *progress,
		 char **err)
{
	sqlite3 *src = sqlite_open_file(src_path, SQLITE_OPEN_READWRITE, err);
	if (src == NULL)
		return -1;
	sqlite3 *dst = NULL;
	int rc = hold_snapshot(src, src_path, err);
	if (rc == 0) {
		dst = sqlite_open_file(dst_path,
				       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE,
				       err);
		rc = dst ? 0 : -1;
	}
	/* A copy being made needs no rollback journal: if it fails it is
	 * deleted whole.  Without one, a full disk leaves no journal behind. */
	if (rc == 0 && sqlite3_exec(dst, "PRAGMA journal_mode=OFF", NULL, NULL, NULL) != SQLITE_OK)
		rc = sqlite_fail(dst, "cannot prepare", dst_path, err);
	if (rc == 0)
		rc = copy_pages(src, dst, dst_path, progress, err);
	/* The header says WAL when the source is; a backup is one file. */
	if (rc == 0 && sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
		rc = sqlite_fail(dst, "cannot finish", dst_path, err);

	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(src);
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = sqlite_fail(dst, "cannot close", dst_path, err);
	if (rc != 0 && dst != NULL)
		remove_copy(dst_path);
	return rc;
}

/* Collects the first column of every row of sql. */
static int
sqlite_column(sqlite3 *conn, const char *sql, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		push_string(out, n, t ? (const char *)t : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
sqlite_integrity_ok(sqlite3 *conn, const char *path, char **err)
{
	char **lines = NULL;
	size_t n = 0;
	if (sqlite_column(conn, "PRAGMA integrity_check", &lines, &n) != 0)
		return sqlite_fail(conn, "cannot check", path, err);
	int ok = n == 1 && strcmp(lines[0], "ok") == 0;
	if (!ok)
		*err = xasprintf("%s fails the integrity check: %s", path,
				 n ? lines[0] : "no answer");
	db_free_strings(lines, n);
	return ok ? 0 : -1;
}

int
db_sqlite_inspect(const char *path, char ***revs, size_t *nrevs, char **err)
{
	*revs = NULL;
	*nrevs = 0;
	if (access(path, R_OK) != 0) {
		*err = xasprintf("cannot read %s", path);
		return -1;
	}
	sqlite3 *conn = sqlite_open_file(path, SQLITE_OPEN_READONLY, err);
	if (conn == NULL)
		return -1;
	int rc = sqlite_integrity_ok(conn, path, err);
	if (rc == 0 && sqlite_column(conn, "SELECT version_num FROM alembic_version", revs, nrevs) != 0)
		rc = sqlite_fail(conn, "cannot read the schema revision of", path, err);
	if (rc == 0 && *nrevs == 0) {
		*err = xasprintf("%s holds no schema revision (alembic_version is empty)", path);
		rc = -1;
	}
	sqlite3_close(conn);
	if (rc != 0) {
		db_free_strings(*revs, *nrevs);
		*revs = NULL;
		*nrevs = 0;
	}
	return rc;
}

int
db_sqlite_checkpoint(const char *path, char **err)
{
	sqlite3 *conn = sqlite_open_file(path, SQLITE_OPEN_READWRITE, err);
	if (conn == NULL)
		return -1;
	int rc = 0;
	if (sqlite3_exec(conn, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
		rc = sqlite_fail(conn, "cannot checkpoint", path, err);
	sqlite3_close(conn);
	return rc;
}

/* ---- PostgreSQL: the catalogue ------------------------------------------ */

static int
query_failed(struct db *db, const char *what, char **err)
{
	*err = xasprintf("%s: %s", what, db_errmsg(db));
	return -1;
}

int
db_pg_server_major(struct db *db, int *major, char **err)
{
	int64_t num = 0;
	if (db_query_int64(db, "SELECT current_setting('server_version_num')::int", &num) != 0)
		return query_failed(db, "cannot read the server version", err);
	*major = (int)(num / 10000);
	return 0;
}

long
db_pg_other_pipelit_session(struct db *db, char **err)
{
	int64_t pid = 0;
	int rc = db_query_int64(db,
				"SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
				"AND application_name = 'pipelit' AND pid <> pg_backend_pid() "
				"ORDER BY backend_start LIMIT 1",
				&pid);
	if (rc < 0)
		return query_failed(db, "cannot list the sessions on the database", err);
	return rc == 0 ? (long)pid : 0;
}

long
db_pg_table_count(struct db *db)
{
	int64_t n = 0;
	int rc = db_query_int64(db,
				"SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN "
				"('pg_catalog', 'information_schema')",
				&n);
	return rc == 0 ? (long)n : 0;
}

/* "name" with embedded quotes doubled: an identifier for DDL, which
 * takes no parameters. */
static char *
quote_ident(const char *name)
{
	char *q = xmalloc(2 * strlen(name) + 3), *p = q;
	*p++ = '"';
	for (const char *s = name; *s; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	return q;
}

static char *
database_owner(struct db *maint, const char *name)
{
	struct db_stmt *st = db_prepare(maint, "SELECT pg_get_userbyid(datdba) FROM pg_database "
					       "WHERE datname = ?");
	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, name, -1);
	char *owner = db_step(st) == DB_ROW ? xstrdup(db_column_text(st, 0)) : NULL;
	db_reset(st);
	return owner;
}

static int
exec_ddl(struct db *maint, char *sql, char **err)
{
	int rc = db_exec(maint, sql);
	if (rc != 0)
		*err = xasprintf("%s: %s", sql, db_errmsg(maint));
	free(sql);
	return rc;
}

int
db_pg_set_aside(struct db *maint, const char *name, const char *aside, char **err)
{
	char *owner = database_owner(maint, name);
	if (owner == NULL) {
		*err = xasprintf("database %s not found on the server", name);
		return -1;
	}
	char *qn = quote_ident(name), *qa = quote_ident(aside), *qo = quote_ident(owner);
	int rc = exec_ddl(maint, xasprintf("ALTER DATABASE %s RENAME TO %s", qn, qa), err);
	if (rc == 0) {
		rc = exec_ddl(maint,
			      xasprintf("CREATE DATABASE %s OWNER %s TEMPLATE template0", qn, qo),
			      err);
		if (rc != 0) {
			char *ignored = NULL;
			exec_ddl(maint, xasprintf("ALTER DATABASE %s RENAME TO %s", qa, qn),
				 &ignored);
			free(ignored);
		}
	}
	free(qn);
	free(qa);
	free(qo);
	free(owner);
	return rc;
}

int
db_pg_put_back(struct db *maint, const char *name, const char *aside, char **err)
{
	char *qn = quote_ident(name), *qa = quote_ident(aside);
	int rc = exec_ddl(maint, xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", qn), err);
	if (rc == 0)
		rc = exec_ddl(maint, xasprintf("ALTER DATABASE %s RENAME TO %s", qa, qn), err);
	free(qn);
	free(qa);
	return rc;
}

/* ---- the integrity report ----------------------------------------------- */

struct report {
	db_report_fn line;
	void *arg;
	long problems;
};

static void
problem(struct report *r, const char *check, char *text)
{
	r->line(check, text, r->arg);
	r->problems++;
	free(text);
}

/* Runs a query whose rows are problems, each described by its columns
 * joined with describe(); reports "ok" when it returns none. */
static int
rows_are_problems(struct db *db, struct report *r, const char *check, const char *sql,
		  char *(*describe)(struct db_stmt *st), char **err)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return query_failed(db, check, err);
	long found = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		problem(r, check, describe(st));
		found++;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return query_failed(db, check, err);
	if (found == 0)
		r->line(check, "ok", r->arg);
	return 0;
}

static const char *
text_or(struct db_stmt *st, int col, const char *dflt)
{
	const char *t = db_column_text(st, col);
	return t ? t : dflt;
}

static char *
describe_sqlite_orphan(struct db_stmt *st)
{
	return xasprintf("%s row %s references a missing row of %s", text_or(st, 0, "?"),
			 text_or(st, 1, "?"), text_or(st, 2, "?"));
}

static int
sqlite_integrity(struct db *db, struct report *r, char **err)
{
	struct db_stmt *st = db_prepare(db, "PRAGMA integrity_check");
	if (st == NULL)
		return query_failed(db, "integrity_check", err);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *t = text_or(st, 0, "");
		if (strcmp(t, "ok") == 0)
			r->line("integrity_check", "ok", r->arg);
		else
			problem(r, "integrity_check", xstrdup(t));
	}
	db_reset(st);
	if (rc != DB_DONE)
		return query_failed(db, "integrity_check", err);
	return rows_are_problems(db, r, "foreign_key_check", "PRAGMA foreign_key_check",
				 describe_sqlite_orphan, err);
}

static char *
describe_constraint(struct db_stmt *st)
{
	return xasprintf("constraint %s on %s is not validated", text_or(st, 1, "?"),
			 text_or(st, 0, "?"));
}

static char *
describe_index(struct db_stmt *st)
{
	return xasprintf("index %s is invalid", text_or(st, 0, "?"));
}

/* The foreign keys of the schema, each as: table, name, parent table, the
 * child columns and the parent columns (comma-separated, quoted). */
static const char pg_foreign_keys_sql[] =
	"SELECT quote_ident(c.conrelid::regclass::text), c.conname, "
	"quote_ident(c.confrelid::regclass::text), "
	"(SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM "
	"unnest(c.conkey) WITH ORDINALITY k(att, n) JOIN pg_attribute a "
	"ON a.attrelid = c.conrelid AND a.attnum = k.att), "
	"(SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM "
	"unnest(c.confkey) WITH ORDINALITY k(att, n) JOIN pg_attribute a "
	"ON a.attrelid = c.confrelid AND a.attnum = k.att) "
	"FROM pg_constraint c WHERE c.contype = 'f' "
	"AND c.connamespace = current_schema()::regnamespace ORDER BY 1, 2";

/* "c.a IS NOT NULL AND ..." and "p.x = c.a AND ..." for a foreign key. */
static char *
orphan_query(const char *table, const char *parent, const char *cols, const char *pcols)
{
	struct { char *buf; size_t len; } notnull = { xstrdup(""), 0 }, match = { xstrdup(""), 0 };
	char *cv = xstrdup(cols), *pv = xstrdup(pcols);
	char *cs = NULL, *ps = NULL;
	for (char *c = strtok_r(cv, ",", &cs), *p = strtok_r(pv, ",", &ps); c && p;
	     c = strtok_r(NULL, ",", &cs), p = strtok_r(NULL, ",", &ps)) {
		char *a = xasprintf("%s%sc.%s IS NOT NULL", notnull.buf, notnull.len ? " AND " : "", c);
		char *b = xasprintf("%s%sp.%s = c.%s", match.buf, match.len ? " AND " : "", p, c);
		free(notnull.buf);
		free(match.buf);
		notnull.buf = a;
		notnull.len = strlen(a);
		match.buf = b;
		match.len = strlen(b);
	}
	char *sql = xasprintf("SELECT count(*) FROM %s c WHERE %s AND NOT EXISTS "
			      "(SELECT 1 FROM %s p WHERE %s)",
			      table, notnull.buf, parent, match.buf);
	free(notnull.buf);
	free(match.buf);
	free(cv);
	free(pv);
	return sql;
}

struct fkey {
	char *table, *name, *parent, *cols, *pcols;
};

static int
pg_list_foreign_keys(struct db *db, struct fkey **out, size_t *n, char **err)
{
	struct db_stmt *st = db_prepare(db, pg_foreign_keys_sql);
	if (st == NULL)
		return query_failed(db, "foreign keys", err);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		struct fkey *k = &(*out)[(*n)++];
		k->table = xstrdup(text_or(st, 0, ""));
		k->name = xstrdup(text_or(st, 1, ""));
		k->parent = xstrdup(text_or(st, 2, ""));
		k->cols = xstrdup(text_or(st, 3, ""));
		k->pcols = xstrdup(text_or(st, 4, ""));
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : query_failed(db, "foreign keys", err);
}

static void
free_fkeys(struct fkey *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(k[i].table);
		free(k[i].name);
		free(k[i].parent);
		free(k[i].cols);
		free(k[i].pcols);
	}
	free(k);
}

static int
pg_orphans(struct db *db, struct report *r, char **err)
{
	struct fkey *keys = NULL;
	size_t n = 0;
	int rc = pg_list_foreign_keys(db, &keys, &n, err);
	long found = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *sql = orphan_query(keys[i].table, keys[i].parent, keys[i].cols, keys[i].pcols);
		int64_t orphans = 0;
		if (db_query_int64(db, sql, &orphans) < 0)
			rc = query_failed(db, "foreign keys", err);
		else if (orphans > 0) {
			problem(r, "foreign keys",
				xasprintf("%lld row%s of %s reference%s a missing row of %s (%s)",
					  (long long)orphans, orphans == 1 ? "" : "s", keys[i].table,
					  orphans == 1 ? "s" : "", keys[i].parent, keys[i].name));
			found++;
		}
		free(sql);
	}
	if (rc == 0 && found == 0) {
		char *ok = xasprintf("ok (%zu foreign key%s)", n, n == 1 ? "" : "s");
		r->line("foreign keys", ok, r->arg);
		free(ok);
	}
	free_fkeys(keys, n);
	return rc;
}

/* Reads every row of every table: a damaged page or toast value fails. */
static int
pg_read_tables(struct db *db, struct report *r, char **err)
{
	char **tables = NULL;
	size_t n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT quote_ident(tablename) FROM pg_tables "
					    "WHERE schemaname = current_schema() ORDER BY 1");
	if (st == NULL)
		return query_failed(db, "tables", err);
	while (db_step(st) == DB_ROW)
		push_string(&tables, &n, text_or(st, 0, ""));
	db_reset(st);
	long bad = 0;
	for (size_t i = 0; i < n; i++) {
		char *sql = xasprintf("SELECT count(*) FROM (SELECT t::text FROM %s t) s", tables[i]);
		int64_t rows;
		if (db_query_int64(db, sql, &rows) < 0) {
			problem(r, "tables", xasprintf("%s cannot be read: %s", tables[i],
						       db_errmsg(db)));
			bad++;
		}
		free(sql);
	}
	if (bad == 0) {
		char *ok = xasprintf("ok (%zu table%s read)", n, n == 1 ? "" : "s");
		r->line("tables", ok, r->arg);
		free(ok);
	}
	db_free_strings(tables, n);
	return 0;
}

static int
pg_integrity(struct db *db, struct report *r, char **err)
{
	if (rows_are_problems(db, r, "indexes",
			      "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
			      "WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace "
			      "ORDER BY 1",
			      describe_index, err) != 0)
		return -1;
	if (rows_are_problems(db, r, "constraints",
			      "SELECT conrelid::regclass::text, conname FROM pg_constraint "
			      "WHERE NOT convalidated AND connamespace = current_schema()::regnamespace "
			      "ORDER BY 1, 2",
			      describe_constraint, err) != 0)
		return -1;
	if (pg_orphans(db, r, err) != 0)
		return -1;
	return pg_read_tables(db, r, err);
}

long
db_integrity(struct db *db, db_report_fn line, void *arg, char **err)
{
	struct report r = { line, arg, 0 };
	int rc = db_backend_of(db) == DB_SQLITE ? sqlite_integrity(db, &r, err) :
						  pg_integrity(db, &r, err);
	return rc == 0 ? r.problems : -1;
}
