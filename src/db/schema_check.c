/*
 * schema_check.c: 'pipelit db check'.  Builds the schema the migrations
 * describe in a scratch database of the same backend, reads both schemas
 * into one neutral shape, and reports every difference.
 */
#include "migration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/xalloc.h"

struct column {
	char *name, *type, *dflt;   /* dflt NULL when there is none */
	int notnull;
};

struct index {
	char *name, *columns, *where;  /* where NULL unless partial */
	int unique;
};

struct table {
	char *name;
	struct column *cols;
	size_t ncols;
	struct index *idx;
	size_t nidx;
	char **constraints;   /* foreign keys and checks, as text */
	size_t ncons;
};

struct schema {
	struct table *t;
	size_t n;
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
schema_free(struct schema *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct table *t = &s->t[i];
		for (size_t k = 0; k < t->ncols; k++) {
			free(t->cols[k].name);
			free(t->cols[k].type);
			free(t->cols[k].dflt);
		}
		for (size_t k = 0; k < t->nidx; k++) {
			free(t->idx[k].name);
			free(t->idx[k].columns);
			free(t->idx[k].where);
		}
		for (size_t k = 0; k < t->ncons; k++)
			free(t->constraints[k]);
		free(t->cols);
		free(t->idx);
		free(t->constraints);
		free(t->name);
	}
	free(s->t);
	memset(s, 0, sizeof(*s));
}

static int
introspect_failed(struct db *db, char **err)
{
	*err = xasprintf("cannot read the schema: %s", db_errmsg(db));
	return -1;
}

/* Runs a query with up to two text parameters; calls row() per row. */
static int
each_row(struct db *db, const char *sql, const char *p1, const char *p2,
	 void (*row)(struct db_stmt *st, void *arg), void *arg, char **err)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return introspect_failed(db, err);
	if ((p1 && db_bind_text(st, 1, p1, -1) != 0) || (p2 && db_bind_text(st, 2, p2, -1) != 0)) {
		db_reset(st);
		return introspect_failed(db, err);
	}
	int r;
	while ((r = db_step(st)) == DB_ROW)
		row(st, arg);
	db_reset(st);
	return r == DB_ERROR ? introspect_failed(db, err) : 0;
}

static void
add_table(struct db_stmt *st, void *arg)
{
	struct schema *s = arg;
	s->t = xrealloc(s->t, (s->n + 1) * sizeof(*s->t));
	memset(&s->t[s->n], 0, sizeof(s->t[0]));
	s->t[s->n++].name = xstrdup(db_column_text(st, 0));
}

/* Columns rows: name, type, notnull, default. */
static void
add_column(struct db_stmt *st, void *arg)
{
	struct table *t = arg;
	t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof(*t->cols));
	struct column *c = &t->cols[t->ncols++];
	c->name = xstrdup(db_column_text(st, 0));
	c->type = xstrdup(db_column_text(st, 1) ? db_column_text(st, 1) : "");
	c->notnull = db_column_bool(st, 2);
	c->dflt = dup_or_null(db_column_text(st, 3));
}

/* Index rows: name, unique, columns, predicate. */
static void
add_index(struct db_stmt *st, void *arg)
{
	struct table *t = arg;
	t->idx = xrealloc(t->idx, (t->nidx + 1) * sizeof(*t->idx));
	struct index *x = &t->idx[t->nidx++];
	x->name = xstrdup(db_column_text(st, 0));
	x->unique = db_column_bool(st, 1);
	x->columns = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
	x->where = dup_or_null(db_column_text(st, 3));
}

static void
add_constraint(struct db_stmt *st, void *arg)
{
	struct table *t = arg;
	t->constraints = xrealloc(t->constraints, (t->ncons + 1) * sizeof(char *));
	t->constraints[t->ncons++] = xstrdup(db_column_text(st, 0));
}

/* ---- SQLite ------------------------------------------------------------ */

static const char sqlite_tables[] =
	"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
	"ORDER BY name";
static const char sqlite_columns[] =
	"SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?) ORDER BY cid";
/* The partial-index predicate is the text after WHERE in the index SQL. */
static const char sqlite_indexes[] =
	"SELECT il.name, il.\"unique\", "
	"(SELECT group_concat(coalesce(ii.name, '<expr>'), ', ') FROM "
	"(SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) AS ii), "
	"CASE WHEN il.partial THEN (SELECT trim(substr(m.sql, instr(upper(m.sql), ' WHERE ') + 7)) "
	"FROM sqlite_master AS m WHERE m.type = 'index' AND m.name = il.name) END "
	"FROM pragma_index_list(?) AS il ORDER BY il.name";
static const char sqlite_foreign_keys[] =
	"SELECT 'FOREIGN KEY (' || group_concat(\"from\", ', ') || ') REFERENCES ' || "
	"\"table\" || '(' || group_concat(coalesce(\"to\", ''), ', ') || ') ON UPDATE ' || "
	"on_update || ' ON DELETE ' || on_delete FROM "
	"(SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) GROUP BY id "
	"ORDER BY 1";

static int
read_sqlite_table(struct db *db, struct table *t, char **err)
{
	if (each_row(db, sqlite_columns, t->name, NULL, add_column, t, err) != 0 ||
	    each_row(db, sqlite_indexes, t->name, NULL, add_index, t, err) != 0 ||
	    each_row(db, sqlite_foreign_keys, t->name, NULL, add_constraint, t, err) != 0)
		return -1;
	return 0;
}

/* ---- PostgreSQL -------------------------------------------------------- */

static const char pg_tables[] =
	"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ORDER BY 1";
static const char pg_columns[] =
	"SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
	"CASE WHEN a.attidentity <> '' THEN 'GENERATED AS IDENTITY' "
	"ELSE pg_get_expr(d.adbin, d.adrelid) END "
	"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped "
	"ORDER BY a.attnum";
static const char pg_indexes[] =
	"SELECT i.relname, ix.indisunique, "
	"array_to_string(ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k + 1, true) "
	"FROM generate_subscripts(ix.indkey, 1) AS k ORDER BY k), ', '), "
	"pg_get_expr(ix.indpred, ix.indrelid) "
	"FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
	"JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
	"WHERE n.nspname = ? AND t.relname = ? ORDER BY 1";
static const char pg_constraints[] =
	"SELECT co.conname || ': ' || pg_get_constraintdef(co.oid, true) "
	"FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid "
	"JOIN pg_namespace n ON n.oid = t.relnamespace "
	"WHERE n.nspname = ? AND t.relname = ? AND co.contype IN ('f', 'c') ORDER BY 1";

static int
read_pg_table(struct db *db, const char *ns, struct table *t, char **err)
{
	if (each_row(db, pg_columns, ns, t->name, add_column, t, err) != 0 ||
	    each_row(db, pg_indexes, ns, t->name, add_index, t, err) != 0 ||
	    each_row(db, pg_constraints, ns, t->name, add_constraint, t, err) != 0)
		return -1;
	return 0;
}

/* Reads the schema visible to the handle: on PostgreSQL, namespace ns. */
static int
read_schema(struct db *db, const char *ns, struct schema *s, char **err)
{
	memset(s, 0, sizeof(*s));
	int pg = db_backend_of(db) == DB_POSTGRES;
	if (each_row(db, pg ? pg_tables : sqlite_tables, pg ? ns : NULL, NULL, add_table, s,
		     err) != 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		int rc = pg ? read_pg_table(db, ns, &s->t[i], err)
			    : read_sqlite_table(db, &s->t[i], err);
		if (rc != 0) {
			schema_free(s);
			return -1;
		}
	}
	return 0;
}

/* ---- comparing ---------------------------------------------------------- */

struct reporter {
	void (*report)(const char *line, void *arg);
	void *arg;
	long count;
};

__attribute__((format(printf, 2, 3))) static void
say(struct reporter *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	r->report(line, r->arg);
	free(line);
	r->count++;
}

static const char *
or_none(const char *s)
{
	return s ? s : "none";
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
compare_column(struct reporter *r, const char *table, const struct column *live,
	       const struct column *ref)
{
	if (strcasecmp(live->type, ref->type) != 0)
		say(r, "column %s.%s: type %s in the database, %s in the migrations", table,
		    live->name, live->type, ref->type);
	if (live->notnull != ref->notnull)
		say(r, "column %s.%s: %s in the database, %s in the migrations", table, live->name,
		    live->notnull ? "NOT NULL" : "nullable", ref->notnull ? "NOT NULL" : "nullable");
	if (!same(live->dflt, ref->dflt))
		say(r, "column %s.%s: default %s in the database, %s in the migrations", table,
		    live->name, or_none(live->dflt), or_none(ref->dflt));
}

static void
compare_columns(struct reporter *r, const struct table *live, const struct table *ref)
{
	for (size_t i = 0; i < live->ncols; i++) {
		const struct column *match = NULL;
		for (size_t k = 0; k < ref->ncols && !match; k++)
			if (strcmp(ref->cols[k].name, live->cols[i].name) == 0)
				match = &ref->cols[k];
		if (match == NULL)
			say(r, "column %s.%s: in the database, not in the migrations", live->name,
			    live->cols[i].name);
		else
			compare_column(r, live->name, &live->cols[i], match);
	}
	for (size_t k = 0; k < ref->ncols; k++) {
		int found = 0;
		for (size_t i = 0; i < live->ncols && !found; i++)
			found = strcmp(ref->cols[k].name, live->cols[i].name) == 0;
		if (!found)
			say(r, "column %s.%s: in the migrations, missing from the database", ref->name,
			    ref->cols[k].name);
	}
}

static void
compare_index(struct reporter *r, const char *table, const struct index *live,
	      const struct index *ref)
{
	if (strcmp(live->columns, ref->columns) != 0)
		say(r, "index %s on %s: columns (%s) in the database, (%s) in the migrations",
		    live->name, table, live->columns, ref->columns);
	if (live->unique != ref->unique)
		say(r, "index %s on %s: %s in the database, %s in the migrations", live->name, table,
		    live->unique ? "unique" : "not unique", ref->unique ? "unique" : "not unique");
	if (!same(live->where, ref->where))
		say(r, "index %s on %s: condition %s in the database, %s in the migrations",
		    live->name, table, or_none(live->where), or_none(ref->where));
}

static void
compare_indexes(struct reporter *r, const struct table *live, const struct table *ref)
{
	for (size_t i = 0; i < live->nidx; i++) {
		const struct index *match = NULL;
		for (size_t k = 0; k < ref->nidx && !match; k++)
			if (strcmp(ref->idx[k].name, live->idx[i].name) == 0)
				match = &ref->idx[k];
		if (match == NULL)
			say(r, "index %s on %s (%s): in the database, not in the migrations",
			    live->idx[i].name, live->name, live->idx[i].columns);
		else
			compare_index(r, live->name, &live->idx[i], match);
	}
	for (size_t k = 0; k < ref->nidx; k++) {
		int found = 0;
		for (size_t i = 0; i < live->nidx && !found; i++)
			found = strcmp(ref->idx[k].name, live->idx[i].name) == 0;
		if (!found)
			say(r, "index %s on %s (%s): in the migrations, missing from the database",
			    ref->idx[k].name, ref->name, ref->idx[k].columns);
	}
}

static int
has_string(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void
compare_constraints(struct reporter *r, const struct table *live, const struct table *ref)
{
	for (size_t i = 0; i < live->ncons; i++)
		if (!has_string(ref->constraints, ref->ncons, live->constraints[i]))
			say(r, "constraint on %s: %s: in the database, not in the migrations",
			    live->name, live->constraints[i]);
	for (size_t k = 0; k < ref->ncons; k++)
		if (!has_string(live->constraints, live->ncons, ref->constraints[k]))
			say(r, "constraint on %s: %s: in the migrations, missing from the database",
			    ref->name, ref->constraints[k]);
}

static const struct table *
find_table(const struct schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	return NULL;
}

static void
compare_schemas(struct reporter *r, const struct schema *live, const struct schema *ref)
{
	for (size_t i = 0; i < live->n; i++) {
		const struct table *match = find_table(ref, live->t[i].name);
		if (match == NULL) {
			say(r, "table %s: in the database, not in the migrations", live->t[i].name);
			continue;
		}
		compare_columns(r, &live->t[i], match);
		compare_indexes(r, &live->t[i], match);
		compare_constraints(r, &live->t[i], match);
	}
	for (size_t k = 0; k < ref->n; k++)
		if (find_table(live, ref->t[k].name) == NULL)
			say(r, "table %s: in the migrations, missing from the database", ref->t[k].name);
}

/* ---- the reference schema ------------------------------------------------ */

static int
reference_sqlite(const struct migration_graph *g, struct schema *ref, char **err)
{
	struct db *scratch = db_open("sqlite://", err);
	if (scratch == NULL)
		return -1;
	int rc = migration_apply(scratch, g, "heads", MIGRATION_UP, MIGRATION_QUIET, err);
	if (rc == 0)
		rc = read_schema(scratch, NULL, ref, err);
	db_close(scratch);
	return rc;
}

static char *
query_text(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return NULL;
	char *v = NULL;
	if (db_step(st) == DB_ROW && db_column_text(st, 0))
		v = xstrdup(db_column_text(st, 0));
	db_reset(st);
	return v;
}

/* The scratch schema lives in the same database for the length of the
 * check, and is dropped afterwards whatever happened. */
static int
reference_pg(struct db *db, const struct migration_graph *g, struct schema *ref, char **err)
{
	char *ns = xasprintf("pipelit_check_%ld", (long)getpid());
	char *saved_path = query_text(db, "SELECT current_setting('search_path')");
	char *sql = xasprintf("CREATE SCHEMA %s; SET search_path TO %s", ns, ns);
	int rc = 0;
	if (saved_path == NULL || db_exec(db, sql) != 0) {
		*err = xasprintf("cannot create the scratch schema %s: %s", ns, db_errmsg(db));
		rc = -1;
	}
	free(sql);
	if (rc == 0)
		rc = migration_apply(db, g, "heads", MIGRATION_UP, MIGRATION_QUIET, err);
	if (rc == 0)
		rc = read_schema(db, ns, ref, err);
	if (db_in_transaction(db))
		db_rollback(db);
	sql = xasprintf("SET search_path TO %s; DROP SCHEMA IF EXISTS %s CASCADE",
			saved_path && *saved_path ? saved_path : "public", ns);
	db_exec(db, sql);
	free(sql);
	free(saved_path);
	free(ns);
	return rc;
}

long
schema_check(struct db *db, const struct migration_graph *g,
	     void (*report)(const char *line, void *arg), void *arg, char **err)
{
	struct schema live, ref;
	char *ns = NULL;
	int pg = db_backend_of(db) == DB_POSTGRES;
	if (pg && (ns = query_text(db, "SELECT current_schema()")) == NULL) {
		*err = xasprintf("cannot read the current schema: %s", db_errmsg(db));
		return -1;
	}
	int rc = read_schema(db, ns, &live, err);
	free(ns);
	if (rc != 0)
		return -1;
	rc = pg ? reference_pg(db, g, &ref, err) : reference_sqlite(g, &ref, err);
	if (rc != 0) {
		schema_free(&live);
		return -1;
	}
	struct reporter r = { .report = report, .arg = arg };
	compare_schemas(&r, &live, &ref);
	schema_free(&live);
	schema_free(&ref);
	return r.count;
}
