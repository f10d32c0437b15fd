/*
 * counters.h: the counts the database keeps by itself.
 *
 * workflows.node_count, edge_count and trigger_count, and the table
 * workflow_owner_totals, are maintained by triggers (migration
 * fafda19e6f04, doc/schema.md).  A bulk load that writes these values
 * itself while the triggers also run (db copy) counts twice; it skips the
 * derived table and recounts everything once at the end instead.
 */
#ifndef PIPELIT_DB_COUNTERS_H
#define PIPELIT_DB_COUNTERS_H

struct db;

/* 1 when table holds only what triggers derive from other tables. */
int db_counters_derived_table(const char *table);

/* Recomputes every counter from the rows, inside the caller's write
 * transaction.  0, or -1 with the error in db_errmsg(db). */
int db_counters_recount(struct db *db);

#endif
