/*
 * copy.c: see copy.h.
 *
 * Rows travel in multi-row INSERTs (one prepared statement per table and
 * batch size, reused), because a round trip per row is what makes a copy
 * of a million log rows into PostgreSQL slow.  Values are read and bound
 * by the target column's type, so booleans, blobs and numbers land in
 * their native form on either backend; timestamps and JSON are text.
 */
#include "db/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/counters.h"
#include "db/db.h"
#include "db/migration.h"
#include "util/progress.h"
#include "util/xalloc.h"

/* SQLite allows 32766 parameters per statement, PostgreSQL 65535. */
#define MAX_PARAMS 30000
#define MAX_BATCH_ROWS 256

enum col_kind { K_TEXT, K_INT, K_REAL, K_NUMERIC, K_BOOL, K_BLOB };

struct col {
	char *name;
	enum col_kind kind;
	int nullable;
	int deferred;   /* inserted as NULL, set after every table is loaded */
};

struct fk {
	char *col;
	char *parent;
};

struct table {
	char *name;
	char *pk;       /* the first primary key column, or NULL */
	struct col *cols;
	int ncols;
	struct fk *fks;
	int nfks;
	int placed;     /* already in the load order */
	int64_t rows;
};

struct schema {
	struct table *t;
	int n;
	int *order;     /* indexes into t, parents before children */
};

static void
schema_free(struct schema *s)
{
	for (int i = 0; i < s->n; i++) {
		struct table *t = &s->t[i];
		for (int c = 0; c < t->ncols; c++)
			free(t->cols[c].name);
		for (int f = 0; f < t->nfks; f++) {
			free(t->fks[f].col);
			free(t->fks[f].parent);
		}
		free(t->cols);
		free(t->fks);
		free(t->name);
		free(t->pk);
	}
	free(s->t);
	free(s->order);
	memset(s, 0, sizeof(*s));
}

static int
failure(struct db *db, char **err, const char *what)
{
	*err = xasprintf("%s: %s", what, db_errmsg(db));
	return -1;
}

/* ---- the target's catalogue ---------------------------------------------- */

static enum col_kind
kind_of(const char *type)
{
	char t[64];
	size_t n = 0;
	for (; type[n] && n < sizeof(t) - 1; n++)
		t[n] = (char)((type[n] >= 'A' && type[n] <= 'Z') ? type[n] - 'A' + 'a' : type[n]);
	t[n] = '\0';
	if (strstr(t, "bool"))
		return K_BOOL;
	if (strstr(t, "bytea") || strstr(t, "blob"))
		return K_BLOB;
	if (strstr(t, "int") || strstr(t, "serial"))
		return K_INT;
	if (strstr(t, "numeric") || strstr(t, "decimal"))
		return K_NUMERIC;
	if (strstr(t, "real") || strstr(t, "double") || strstr(t, "float"))
		return K_REAL;
	return K_TEXT;
}

static const char *
tables_sql(enum db_backend b)
{
	if (b == DB_SQLITE)
		return "SELECT name FROM sqlite_master WHERE type = 'table' "
		       "AND name NOT LIKE 'sqlite%' AND name <> 'alembic_version' ORDER BY name";
	return "SELECT table_name FROM information_schema.tables "
	       "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
	       "AND table_name <> 'alembic_version' ORDER BY table_name";
}

static const char *
columns_sql(enum db_backend b)
{
	if (b == DB_SQLITE)
		return "SELECT name, type, pk, \"notnull\" = 0 FROM pragma_table_info(?) ORDER BY cid";
	return "SELECT c.column_name, c.data_type, "
	       "  CASE WHEN EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a "
	       "    ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
	       "    WHERE i.indisprimary AND i.indrelid = CAST(c.table_name AS regclass) "
	       "    AND a.attname = c.column_name) THEN 1 ELSE 0 END, "
	       "  CASE WHEN c.is_nullable = 'YES' THEN 1 ELSE 0 END "
	       "FROM information_schema.columns c "
	       "WHERE c.table_schema = current_schema() AND c.table_name = ? "
	       "ORDER BY c.ordinal_position";
}

static const char *
fks_sql(enum db_backend b)
{
	if (b == DB_SQLITE)
		return "SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?)";
	return "SELECT a.attname, p.relname FROM pg_constraint c "
	       "JOIN pg_class p ON p.oid = c.confrelid "
	       "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
	       "WHERE c.contype = 'f' AND c.conrelid = CAST(CAST(? AS TEXT) AS regclass)";
}

static int
load_columns(struct db *db, struct table *t, char **err)
{
	struct db_stmt *st = db_prepare(db, columns_sql(db_backend_of(db)));
	if (st == NULL)
		return failure(db, err, "cannot read the target's columns");
	db_bind_text(st, 1, t->name, -1);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		t->cols = xrealloc(t->cols, (size_t)(t->ncols + 1) * sizeof(*t->cols));
		struct col *c = &t->cols[t->ncols++];
		c->name = xstrdup(db_column_text(st, 0));
		const char *type = db_column_text(st, 1);
		c->kind = kind_of(type ? type : "");
		c->deferred = 0;
		c->nullable = db_column_int64(st, 3) != 0;
		if (db_column_int64(st, 2) > 0 && t->pk == NULL)
			t->pk = xstrdup(c->name);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : failure(db, err, "cannot read the target's columns");
}

static int
load_fks(struct db *db, struct table *t, char **err)
{
	struct db_stmt *st = db_prepare(db, fks_sql(db_backend_of(db)));
	if (st == NULL)
		return failure(db, err, "cannot read the target's foreign keys");
	db_bind_text(st, 1, t->name, -1);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		t->fks = xrealloc(t->fks, (size_t)(t->nfks + 1) * sizeof(*t->fks));
		t->fks[t->nfks].col = xstrdup(db_column_text(st, 0));
		t->fks[t->nfks].parent = xstrdup(db_column_text(st, 1));
		t->nfks++;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : failure(db, err, "cannot read the target's foreign keys");
}

static int
load_schema(struct db *db, struct schema *s, char **err)
{
	memset(s, 0, sizeof(*s));
	struct db_stmt *st = db_prepare(db, tables_sql(db_backend_of(db)));
	if (st == NULL)
		return failure(db, err, "cannot list the target's tables");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		s->t = xrealloc(s->t, (size_t)(s->n + 1) * sizeof(*s->t));
		memset(&s->t[s->n], 0, sizeof(s->t[s->n]));
		s->t[s->n++].name = xstrdup(db_column_text(st, 0));
	}
	db_reset(st);
	if (rc != DB_DONE)
		return failure(db, err, "cannot list the target's tables");
	for (int i = 0; i < s->n; i++)
		if (load_columns(db, &s->t[i], err) != 0 || load_fks(db, &s->t[i], err) != 0)
			return -1;
	return 0;
}

/* ---- load order ------------------------------------------------------------ */

static struct table *
table_named(struct schema *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	return NULL;
}

static struct col *
col_named(struct table *t, const char *name)
{
	for (int c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c].name, name) == 0)
			return &t->cols[c];
	return NULL;
}

/* True when every parent of t is placed, counting deferred columns as
 * no dependency at all. */
static int
ready(struct schema *s, struct table *t)
{
	for (int f = 0; f < t->nfks; f++) {
		struct col *c = col_named(t, t->fks[f].col);
		struct table *p = table_named(s, t->fks[f].parent);
		if ((c && c->deferred) || p == NULL || p->placed)
			continue;
		return 0;
	}
	return 1;
}

/* Defers every column of t that points at a table not yet loaded, the
 * way out of a cycle; only when all of them may be NULL meanwhile. */
static int
defer_unmet(struct schema *s, struct table *t)
{
	for (int pass = 0; pass < 2; pass++)
		for (int f = 0; f < t->nfks; f++) {
			struct table *p = table_named(s, t->fks[f].parent);
			struct col *c = col_named(t, t->fks[f].col);
			if (c == NULL || p == NULL || p->placed || c->deferred)
				continue;
			if (pass == 0 && !c->nullable)
				return 0;
			if (pass == 1)
				c->deferred = 1;
		}
	return 1;
}

/* -1 when a cycle runs through NOT NULL columns only. */
static int
order_tables(struct schema *s)
{
	s->order = xcalloc((size_t)(s->n ? s->n : 1), sizeof(int));
	for (int i = 0; i < s->n; i++)
		for (int f = 0; f < s->t[i].nfks; f++)
			if (strcmp(s->t[i].fks[f].parent, s->t[i].name) == 0) {
				struct col *c = col_named(&s->t[i], s->t[i].fks[f].col);
				if (c)
					c->deferred = 1;
			}
	int placed = 0;
	while (placed < s->n) {
		int progress = 0;
		for (int i = 0; i < s->n; i++) {
			if (s->t[i].placed || !ready(s, &s->t[i]))
				continue;
			s->t[i].placed = 1;
			s->order[placed++] = i;
			progress = 1;
		}
		if (progress)
			continue;
		int broken = 0;
		for (int i = 0; i < s->n && !broken; i++)
			broken = !s->t[i].placed && defer_unmet(s, &s->t[i]);
		if (!broken)
			return -1;
	}
	return 0;
}

/* ---- moving rows ------------------------------------------------------------ */

static char *
select_sql(const struct table *t)
{
	struct mbuf b = { 0 };
	mbuf_puts(&b, "SELECT ");
	for (int c = 0; c < t->ncols; c++)
		mbuf_printf(&b, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
	mbuf_printf(&b, " FROM \"%s\"", t->name);
	if (t->pk)
		mbuf_printf(&b, " ORDER BY \"%s\"", t->pk);
	return mbuf_take(&b);
}

static char *
insert_sql(const struct table *t, int rows)
{
	struct mbuf b = { 0 };
	mbuf_printf(&b, "INSERT INTO \"%s\" (", t->name);
	for (int c = 0; c < t->ncols; c++)
		mbuf_printf(&b, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
	mbuf_puts(&b, ") VALUES ");
	for (int r = 0; r < rows; r++) {
		mbuf_puts(&b, r ? ", (" : "(");
		for (int c = 0; c < t->ncols; c++)
			mbuf_puts(&b, c ? ", ?" : "?");
		mbuf_puts(&b, ")");
	}
	return mbuf_take(&b);
}

/* Binds source column col of the current row to parameter idx of dst. */
static void
bind_value(struct db_stmt *src, int col, enum col_kind kind, struct db_stmt *dst, int idx)
{
	if (db_column_is_null(src, col)) {
		db_bind_null(dst, idx);
		return;
	}
	switch (kind) {
	case K_INT:
		db_bind_int64(dst, idx, db_column_int64(src, col));
		break;
	case K_REAL:
		db_bind_double(dst, idx, db_column_double(src, col));
		break;
	case K_BOOL:
		db_bind_bool(dst, idx, db_column_bool(src, col));
		break;
	case K_BLOB:
		db_bind_blob(dst, idx, db_column_text(src, col), db_column_bytes(src, col));
		break;
	default:	/* text, timestamps, JSON, exact numerics */
		db_bind_text(dst, idx, db_column_text(src, col),
			     (ptrdiff_t)db_column_bytes(src, col));
		break;
	}
}

static int
batch_size(const struct table *t)
{
	int n = MAX_PARAMS / (t->ncols ? t->ncols : 1);
	return n > MAX_BATCH_ROWS ? MAX_BATCH_ROWS : (n < 1 ? 1 : n);
}

/* Binds one source row into slot r of the batch statement. */
static void
bind_row(struct db_stmt *src, const struct table *t, struct db_stmt *ins, int r)
{
	for (int c = 0; c < t->ncols; c++) {
		int idx = r * t->ncols + c + 1;
		if (t->cols[c].deferred)
			db_bind_null(ins, idx);
		else
			bind_value(src, c, t->cols[c].kind, ins, idx);
	}
}

static struct db_stmt *
prepare_insert(struct db *dst, const struct table *t, int rows)
{
	char *sql = insert_sql(t, rows);
	struct db_stmt *st = db_prepare(dst, sql);
	free(sql);
	return st;
}

static int
run_insert(struct db *dst, const struct table *t, struct db_stmt *ins, char **err)
{
	int rc = db_step(ins);
	db_reset(ins);
	if (rc != DB_ERROR)
		return 0;
	*err = xasprintf("cannot insert into %s: %s", t->name, db_errmsg(dst));
	return -1;
}

static int
count_rows(struct db *db, const char *table, int64_t *n, char **err)
{
	char *sql = xasprintf("SELECT COUNT(*) FROM \"%s\"", table);
	int rc = db_query_int64(db, sql, n);
	free(sql);
	if (rc != 0) {
		*err = xasprintf("cannot count the rows of %s: %s", table, db_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * The row count (read in the same snapshot) splits the rows into full
 * batches and one shorter tail, each with its own statement prepared
 * once, so no row is ever bound twice.
 */
static int
copy_rows(struct db *src, struct db *dst, struct table *t, struct progress *progress,
	  char **err)
{
	int64_t total;
	if (count_rows(src, t->name, &total, err) != 0)
		return -1;
	progress_stage(progress, t->name);
	t->rows = 0;
	if (total == 0)
		return 0;
	int per = batch_size(t);
	int tail = (int)(total % per);
	int64_t in_full = total - tail;
	struct db_stmt *full = in_full ? prepare_insert(dst, t, per) : NULL;
	struct db_stmt *last = tail ? prepare_insert(dst, t, tail) : NULL;
	if ((in_full && full == NULL) || (tail && last == NULL))
		return failure(dst, err, "cannot prepare an insert");
	char *sql = select_sql(t);
	struct db_stmt *rd = db_prepare(src, sql);
	free(sql);
	if (rd == NULL) {
		*err = xasprintf("cannot read %s from the source: %s", t->name, db_errmsg(src));
		return -1;
	}
	int rc = DB_DONE, failed = 0;
	while (!failed && (rc = db_step(rd)) == DB_ROW) {
		int in_tail = t->rows >= in_full;
		struct db_stmt *ins = in_tail ? last : full;
		int size = in_tail ? tail : per;
		int slot = (int)((in_tail ? t->rows - in_full : t->rows) % size);
		bind_row(rd, t, ins, slot);
		t->rows++;
		if (slot == size - 1) {
			failed = run_insert(dst, t, ins, err) != 0;
			progress_add(progress, size);
		}
		if (t->rows == total)
			break;	/* rows added since the count are not in the snapshot */
	}
	if (!failed && rc == DB_ERROR) {
		*err = xasprintf("cannot read %s from the source: %s", t->name, db_errmsg(src));
		failed = 1;
	}
	db_reset(rd);
	return failed ? -1 : 0;
}

/* ---- deferred columns, sequences, checks ------------------------------------ */

static int
bind_key_and_run(struct db_stmt *rd, const struct table *t, enum col_kind val_kind,
		 enum col_kind key_kind, struct db *dst, struct db_stmt *up, char **err)
{
	bind_value(rd, 1, val_kind, up, 1);
	bind_value(rd, 0, key_kind, up, 2);
	return run_insert(dst, t, up, err);
}

static int
set_deferred_column(struct db *src, struct db *dst, const struct table *t, const struct col *c,
		    char **err)
{
	if (t->pk == NULL) {
		*err = xasprintf("%s.%s closes a foreign-key cycle but %s has no primary key",
				 t->name, c->name, t->name);
		return -1;
	}
	struct col *key = col_named((struct table *)t, t->pk);
	char *sel = xasprintf("SELECT \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" IS NOT NULL", t->pk,
			      c->name, t->name, c->name);
	char *upd = xasprintf("UPDATE \"%s\" SET \"%s\" = ? WHERE \"%s\" = ?", t->name, c->name,
			      t->pk);
	struct db_stmt *rd = db_prepare(src, sel);
	struct db_stmt *up = db_prepare(dst, upd);
	free(sel);
	free(upd);
	if (rd == NULL || up == NULL)
		return failure(rd ? dst : src, err, "cannot prepare a deferred column update");
	int rc = DB_DONE, failed = 0;
	while (!failed && (rc = db_step(rd)) == DB_ROW)
		failed = bind_key_and_run(rd, t, c->kind, key->kind, dst, up, err) != 0;
	if (!failed && rc == DB_ERROR)
		failed = failure(src, err, "cannot read a deferred column") != 0;
	db_reset(rd);
	return failed ? -1 : 0;
}

static int
set_deferred_columns(struct db *src, struct db *dst, struct schema *s, char **err)
{
	for (int i = 0; i < s->n; i++)
		for (int c = 0; c < s->t[i].ncols; c++)
			if (s->t[i].cols[c].deferred &&
			    set_deferred_column(src, dst, &s->t[i], &s->t[i].cols[c], err) != 0)
				return -1;
	return 0;
}

/* The highest id the source ever gave t's rows, deleted ones included (its
 * sequence; SQLite keeps one only for AUTOINCREMENT tables), or 0. */
static int64_t
ids_given(struct db *src, const struct table *t)
{
	int pg = db_backend_of(src) == DB_POSTGRES;
	struct db_stmt *st = db_prepare(src, pg
		? "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(?, ?) AS regclass))"
		: "SELECT seq FROM sqlite_sequence WHERE name = ?");
	if (st == NULL)
		return 0;                    /* SQLite without AUTOINCREMENT tables */
	char *quoted = pg ? xasprintf("\"%s\"", t->name) : NULL;
	db_bind_text(st, 1, pg ? quoted : t->name, -1);
	if (pg)
		db_bind_text(st, 2, t->pk, -1);
	int64_t n = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	free(quoted);
	return n;
}

/* PostgreSQL: t's sequence past the largest copied id and given. */
static int
carry_pg(struct db *dst, const struct table *t, int64_t given)
{
	char *sql = xasprintf("SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), m) "
			      "FROM (SELECT GREATEST(COALESCE(MAX(\"%s\"), 0), ?) AS m FROM \"%s\") x "
			      "WHERE m > 0", t->name, t->pk, t->pk, t->name);
	struct db_stmt *st = db_prepare(dst, sql);
	free(sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, given);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

/* SQLite: t's sqlite_sequence row past given.  Only an AUTOINCREMENT table
 * has (or may have) one; copying rows in made it, unless there were none. */
static int
carry_sqlite(struct db *dst, const struct table *t, int64_t given)
{
	static const char *const steps[] = {
		"INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2 "
		"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1) "
		"AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 "
		"AND sql LIKE '%AUTOINCREMENT%')",
		"UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1 AND seq < ?2",
	};
	if (given <= 0)
		return 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct db_stmt *st = db_prepare(dst, steps[i]);
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, t->name, -1);
		db_bind_int64(st, 2, given);
		int rc = db_step(st);
		db_reset(st);
		if (rc == DB_ERROR)
			return -1;
	}
	return 0;
}

/* Moves each id sequence of the target past every id the source gave
 * (the largest copied, and a deleted row's above it): an id names things
 * after its row is gone (a job's, in its agent's checkpoints), so the
 * target must never hand it out again. */
static int
carry_sequences(struct db *src, struct db *dst, struct schema *s, char **err)
{
	int pg = db_backend_of(dst) == DB_POSTGRES;
	for (int i = 0; i < s->n; i++) {
		struct table *t = &s->t[i];
		struct col *key = t->pk ? col_named(t, t->pk) : NULL;
		if (key == NULL || key->kind != K_INT)
			continue;
		int64_t given = ids_given(src, t);
		if ((pg ? carry_pg(dst, t, given) : carry_sqlite(dst, t, given)) != 0) {
			*err = xasprintf("cannot carry the id sequence of %s: %s", t->name,
					 db_errmsg(dst));
			return -1;
		}
	}
	return 0;
}

static int
verify_counts(struct db *dst, struct schema *s, char **err)
{
	for (int i = 0; i < s->n; i++) {
		int64_t n;
		if (count_rows(dst, s->t[i].name, &n, err) != 0)
			return -1;
		if (n != s->t[i].rows) {
			*err = xasprintf("%s: %lld rows copied but the target holds %lld",
					 s->t[i].name, (long long)s->t[i].rows, (long long)n);
			return -1;
		}
	}
	return 0;
}

/* ---- the target's state before the copy ------------------------------------- */

static int
make_room(struct db *dst, struct schema *s, int force, char **err)
{
	for (int i = 0; i < s->n; i++) {
		int64_t n;
		if (count_rows(dst, s->t[i].name, &n, err) != 0)
			return -1;
		if (n > 0 && !force) {
			*err = xasprintf("the target already holds rows (%s: %lld); use --force "
					 "to replace its contents",
					 s->t[i].name, (long long)n);
			return -1;
		}
	}
	/* Children first, so no row ever points at a deleted one. */
	for (int k = s->n - 1; k >= 0; k--) {
		char *sql = xasprintf("DELETE FROM \"%s\"", s->t[s->order[k]].name);
		int rc = db_exec(dst, sql);
		free(sql);
		if (rc != 0)
			return failure(dst, err, "cannot empty the target");
	}
	return 0;
}

static char *
revisions_of(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT version_num FROM alembic_version "
					    "ORDER BY version_num");
	if (st == NULL)
		return NULL;
	struct mbuf b = { 0 };
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		mbuf_printf(&b, "%s%s", b.len ? ", " : "", db_column_text(st, 0));
	db_reset(st);
	char *text = mbuf_take(&b);
	if (rc == DB_ERROR) {
		free(text);
		return NULL;
	}
	return text;
}

static int
same_revision(struct db *src, struct db *dst, char **err)
{
	char *a = revisions_of(src), *b = revisions_of(dst);
	int rc = 0;
	if (a == NULL) {
		rc = failure(src, err, "cannot read the source's revision (is it a pipelit database?)");
	} else if (b == NULL) {
		rc = failure(dst, err, "cannot read the target's revision");
	} else if (strcmp(a, b) != 0) {
		*err = xasprintf("the source is at revision %s and the target at %s; run 'pipelit "
				 "db upgrade' on the source first",
				 *a ? a : "base", *b ? b : "base");
		rc = -1;
	}
	free(a);
	free(b);
	return rc;
}

/* ---- the whole copy ------------------------------------------------------------ */

static int
begin_snapshot(struct db *src, char **err)
{
	if (db_begin(src) != 0)
		return failure(src, err, "cannot begin a read transaction on the source");
	/* Every table must come from the same moment. */
	if (db_backend_of(src) == DB_POSTGRES &&
	    db_exec(src, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ") != 0) {
		failure(src, err, "cannot take a snapshot of the source");
		db_rollback(src);
		return -1;
	}
	return 0;
}

/*
 * The target's triggers count every copied node, edge and workflow on top
 * of the copied counts, so a derived table is not copied (its rows would
 * collide with the ones the triggers make) and every counter is recounted
 * once all rows are in.  verify_counts then checks the recount against the
 * source's row count.
 */
static int
copy_or_skip(struct db *src, struct db *dst, struct table *t, struct progress *progress,
	     char **err)
{
	if (db_counters_derived_table(t->name))
		return count_rows(src, t->name, &t->rows, err);
	return copy_rows(src, dst, t, progress, err);
}

/* The rows to copy, so progress can say how long is left. */
static int
count_all(struct db *src, struct schema *s, struct progress *progress, char **err)
{
	if (progress == NULL)
		return 0;
	int64_t sum = 0;
	for (int k = 0; k < s->n; k++) {
		int64_t n = 0;
		if (db_counters_derived_table(s->t[k].name))
			continue;
		if (count_rows(src, s->t[k].name, &n, err) != 0)
			return -1;
		sum += n;
	}
	progress_set_total(progress, sum);
	return 0;
}

static int
recount_if_counted(struct db *dst, struct schema *s, char **err)
{
	for (int i = 0; i < s->n; i++)
		if (db_counters_derived_table(s->t[i].name))
			return db_counters_recount(dst) == 0
				? 0 : failure(dst, err, "cannot recount the workflow counters");
	return 0;
}

static int
copy_all(struct db *src, struct db *dst, struct schema *s, const struct db_copy_options *opt,
	 int64_t *total, char **err)
{
	if (make_room(dst, s, opt->force, err) != 0)
		return -1;
	*total = 0;
	if (count_all(src, s, opt->progress, err) != 0)
		return -1;
	for (int k = 0; k < s->n; k++) {
		struct table *t = &s->t[s->order[k]];
		if (copy_or_skip(src, dst, t, opt->progress, err) != 0)
			return -1;
		*total += t->rows;
		if (opt->report)
			opt->report(t->name, t->rows, opt->arg);
	}
	if (set_deferred_columns(src, dst, s, err) != 0 || carry_sequences(src, dst, s, err) != 0 ||
	    recount_if_counted(dst, s, err) != 0)
		return -1;
	return verify_counts(dst, s, err);
}

int
db_copy(struct db *src, struct db *dst, const struct db_copy_options *opt, int64_t *total,
	char **err)
{
	*total = 0;
	if (!opt->skip_revision_check && same_revision(src, dst, err) != 0)
		return -1;
	struct schema s;
	if (load_schema(dst, &s, err) != 0) {
		schema_free(&s);
		return -1;
	}
	int rc = -1;
	if (order_tables(&s) != 0)
		*err = xstrdup("the target's foreign keys form a cycle of NOT NULL columns");
	else if (begin_snapshot(src, err) == 0) {
		if (db_begin_write(dst) != 0) {
			failure(dst, err, "cannot begin a write transaction on the target");
		} else if (copy_all(src, dst, &s, opt, total, err) != 0) {
			db_rollback(dst);
		} else if (db_commit(dst) != 0) {
			failure(dst, err, "cannot commit the copy");
		} else {
			rc = 0;
		}
		db_rollback(src);
	}
	schema_free(&s);
	return rc;
}

/* ---- stores without migrations ----------------------------------------------- */

/* A table's or index's CREATE statement made harmless when the object
 * exists; NULL for anything else (views, triggers), which is skipped. */
static char *
if_not_exists(const char *sql)
{
	static const char *const forms[] = { "CREATE TABLE ", "CREATE INDEX ",
					     "CREATE UNIQUE INDEX " };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t n = strlen(forms[i]);
		if (strncasecmp(sql, forms[i], n) != 0)
			continue;
		if (strncasecmp(sql + n, "IF NOT EXISTS", 13) == 0)
			return xstrdup(sql);
		return xasprintf("%.*sIF NOT EXISTS %s", (int)n, sql, sql + n);
	}
	return NULL;
}

int
db_copy_sqlite_schema(struct db *src, struct db *dst, char **err)
{
	struct db_stmt *st = db_prepare(src, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
					     "AND name NOT LIKE 'sqlite%' "
					     "ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name");
	if (st == NULL)
		return failure(src, err, "cannot read the source's schema");
	int rc = DB_DONE, failed = 0;
	while (!failed && (rc = db_step(st)) == DB_ROW) {
		char *ddl = if_not_exists(db_column_text(st, 0));
		if (ddl && db_exec(dst, ddl) != 0)
			failed = failure(dst, err, "cannot create the tables in the target") != 0;
		free(ddl);
	}
	if (!failed && rc == DB_ERROR)
		failed = failure(src, err, "cannot read the source's schema") != 0;
	db_reset(st);
	return failed ? -1 : 0;
}
