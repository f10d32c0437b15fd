/*
 * migration.h: the pieces behind migrate.h and 'pipelit db': parsing one
 * migration file, the revision graph, planning a path through it, and
 * applying steps to a database.
 *
 * A migration file (migrations/<revision>_<slug>.sql) starts with header
 * lines ("-- Revision:", "-- Parent:", "-- Message:", "-- Created:"),
 * followed by sections opened by "-- +upgrade" or "-- +downgrade",
 * optionally followed by a dialect ("sqlite" or "postgresql").  For one
 * direction and dialect the matching sections run concatenated in file
 * order.
 *
 * Ownership: a struct migration_graph owns every migration in it and all
 * their strings; indexes into the graph stay valid until it is freed.
 */
#ifndef PIPELIT_MIGRATION_H
#define PIPELIT_MIGRATION_H

#include <stdarg.h>
#include <stddef.h>

#include "db/db.h"

#define MIGRATION_REV_LEN 12

/* One file as built into the binary (or read from disk by 'db revision'). */
struct migration_source {
	const char *name;   /* file name without directory */
	const char *text;
};

/* The files under migrations/, sorted by name; generated at build time. */
extern const struct migration_source migrations_embedded[];
extern const size_t migrations_embedded_count;

enum migration_direction {
	MIGRATION_UP = 1,
	MIGRATION_DOWN = 2,
};

struct migration_section {
	enum migration_direction direction;
	int backend;        /* 0 for both, or an enum db_backend */
	int line;           /* line of the section marker */
	char *sql;
};

struct migration {
	char *file;
	char revision[MIGRATION_REV_LEN + 1];
	char (*parents)[MIGRATION_REV_LEN + 1];
	size_t nparents;
	char *message;
	char *created;      /* NULL when the file has no Created line */
	struct migration_section *sections;
	size_t nsections;
	size_t *parent_index;   /* filled in by the graph */
};

/* Parses one file.  0, or -1 with "<name>:<line>: <problem>" in *err. */
int migration_parse(const char *name, const char *text, struct migration *out, char **err);
void migration_free(struct migration *m);

/* The SQL for one direction on one backend (malloc'd, possibly empty). */
char *migration_sql(const struct migration *m, enum migration_direction dir,
		    enum db_backend backend);

/* True when s is 12 lowercase hex digits. */
int migration_rev_is_valid(const char *s);

struct migration_graph;

/*
 * Parses every source and links them.  Fails (NULL, malloc'd *err) on a
 * parse error, a duplicate revision, an unknown parent or a cycle.
 */
struct migration_graph *migration_graph_load(const struct migration_source *src, size_t n,
					     char **err);
struct migration_graph *migration_graph_embedded(char **err);
void migration_graph_free(struct migration_graph *g);

/* Migrations are numbered 0..count-1 in a topological order (parents first). */
size_t migration_graph_count(const struct migration_graph *g);
const struct migration *migration_graph_at(const struct migration_graph *g, size_t i);

/* Looks up a full revision or a unique prefix of 4 or more characters:
 * the index, or -1 with a malloc'd message in *err. */
long migration_graph_find(const struct migration_graph *g, const char *rev, char **err);

/* The heads of the whole graph (revisions nothing builds on), in order.
 * Returns the number written to out (sized count). */
size_t migration_graph_heads(const struct migration_graph *g, size_t *out);
int migration_is_head(const struct migration_graph *g, size_t i);
/* Number of revisions that name i as a parent. */
size_t migration_child_count(const struct migration_graph *g, size_t i);

/* ---- Applied sets: a byte per revision, 1 when applied. ---- */

/* Marks i and all its ancestors in set. */
void migration_mark_ancestors(const struct migration_graph *g, size_t i, unsigned char *set);
/* The heads of an applied set (applied, with no applied child). */
size_t migration_set_heads(const struct migration_graph *g, const unsigned char *set,
			   size_t *out);

/* Where a plan goes. */
struct migration_target {
	/* TARGET_BELOW: index and everything built on it removed ("-N"). */
	enum { TARGET_BASE, TARGET_HEADS, TARGET_REV, TARGET_BELOW } kind;
	size_t index;   /* TARGET_REV, TARGET_BELOW */
};

/*
 * Resolves "head", "heads", "base", a revision (or prefix), or for a
 * downgrade "-N", given the applied set.  0, or -1 with *err.
 */
int migration_resolve_target(const struct migration_graph *g, const char *spec,
			     enum migration_direction dir, const unsigned char *applied,
			     struct migration_target *out, char **err);

/*
 * The next step from the applied set towards the target: 1 with the
 * revision's index in *step, 0 when the target is reached, -1 with *err
 * when the target cannot be reached in this direction.
 */
int migration_next_step(const struct migration_graph *g, const unsigned char *applied,
			const struct migration_target *t, enum migration_direction dir,
			size_t *step, char **err);

/*
 * The whole path from the applied set to the target, as indexes in the
 * order they would run (malloc'd in *steps).  0, or -1 with *err.
 */
int migration_plan(const struct migration_graph *g, const unsigned char *applied,
		   const char *spec, enum migration_direction dir, size_t **steps,
		   size_t *nsteps, char **err);

/* ---- Version table bookkeeping and SQL scripts ---- */

/* Alembic's version table: one row per applied head. */
#define MIGRATION_VERSION_TABLE_SQL                                              \
	"CREATE TABLE IF NOT EXISTS alembic_version (\n"                          \
	"    version_num VARCHAR(32) NOT NULL,\n"                                 \
	"    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"          \
	");"

/* The SQL that turns the version table rows old_heads into new_heads. */
char *migration_version_sql(const struct migration_graph *g, const size_t *old_heads,
			    size_t nold, const size_t *new_heads, size_t nnew);

/*
 * The script for a plan starting at the applied set ('db upgrade --sql'):
 * every step's SQL for the backend and the version-table statements, in
 * one transaction.  Malloc'd.
 */
char *migration_script(const struct migration_graph *g, const unsigned char *applied,
		       const size_t *steps, size_t nsteps, enum migration_direction dir,
		       enum db_backend backend);

/* ---- Against a live database ---- */

#define MIGRATION_QUIET 1   /* do not log each step (scratch databases) */

/*
 * Moves the database to the target one migration per write transaction,
 * taking the migration lock first in each (see migrate.h).  0, or -1 with
 * a malloc'd message in *err.
 */
int migration_apply(struct db *db, const struct migration_graph *g, const char *spec,
		    enum migration_direction dir, int flags, char **err);

/*
 * Reads the version table: the applied set in *applied (malloc'd, count
 * bytes) and the stored revisions in *revs (malloc'd array of malloc'd
 * strings; may be empty).  Refuses a revision the graph does not know.
 */
int migration_read_current(struct db *db, const struct migration_graph *g,
			   unsigned char **applied, char ***revs, size_t *nrevs, char **err);
void migration_free_revs(char **revs, size_t n);

/* ---- Drift check ('db check') ---- */

/*
 * Builds the schema of the migrations at head in a scratch database of the
 * same backend and compares it with the live one.  Each difference is one
 * line (without newline) passed to report.  Returns the number of
 * differences, or -1 with *err.
 */
long schema_check(struct db *db, const struct migration_graph *g,
		  void (*report)(const char *line, void *arg), void *arg, char **err);

/* ---- A growable string ---- */

struct mbuf {
	char *s;
	size_t len, cap;
};

void mbuf_add(struct mbuf *b, const char *s, size_t n);
void mbuf_puts(struct mbuf *b, const char *s);
void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the text to the caller (never NULL); the buffer is empty again. */
char *mbuf_take(struct mbuf *b);

#endif
