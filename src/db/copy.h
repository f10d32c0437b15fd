/*
 * copy.h: the application-level copier behind 'pipelit db copy'.
 *
 * Copies every table of one database into another of either backend,
 * preserving ids and every value (encrypted ones included) as stored.
 * The target's own catalogue says which tables, columns, types and
 * foreign keys there are; the source must be at the same revision.
 */
#ifndef PIPELIT_DB_COPY_H
#define PIPELIT_DB_COPY_H

#include <stdint.h>

struct db;
struct progress;

/* Called once per table after its rows are in the target. */
typedef void (*db_copy_report_fn)(const char *table, int64_t rows, void *arg);

struct db_copy_options {
	int force;               /* empty a target that holds rows first */
	int skip_revision_check; /* for stores without alembic_version */
	db_copy_report_fn report;
	void *arg;
	struct progress *progress;  /* rows copied, per table (may be NULL) */
};

/*
 * Copies src into dst, which must already be migrated to the schema the
 * rows belong to.  One read snapshot on src, one write transaction on dst:
 * on failure dst is left as it was.  Tables load in foreign-key order;
 * columns that close a cycle (or point at their own table) are loaded as
 * NULL and set once every row exists.  PostgreSQL sequences are moved past
 * the copied ids and every table's row count is verified before commit.
 * Returns 0 with the number of rows in *total, or -1 with a malloc'd
 * message in *err.
 */
int db_copy(struct db *src, struct db *dst, const struct db_copy_options *opt, int64_t *total,
	    char **err);

/*
 * For SQLite stores that have no migrations (the checkpoint store): creates
 * in dst each of src's tables and indexes that dst lacks, from src's own
 * CREATE statements.  0, or -1 with *err.
 */
int db_copy_sqlite_schema(struct db *src, struct db *dst, char **err);

#endif
