/*
 * vacuum.h: giving disk space back.
 *
 * A database created by this version uses SQLite's incremental
 * auto-vacuum, so freed pages can be returned after a prune without
 * rewriting the file; an older one is converted only by db_vacuum(), an
 * explicit operator's step ('pipelit db vacuum').
 */
#ifndef PIPELIT_VACUUM_H
#define PIPELIT_VACUUM_H

#include <stdint.h>

struct db;

/* After a large delete: SQLite returns the free pages to the file system
 * when the file uses incremental auto-vacuum (a no-op otherwise);
 * PostgreSQL needs nothing (autovacuum).  The file's size before and after
 * go to *before and *after (0 on PostgreSQL).  0, or -1 (db_errmsg). */
int db_reclaim_space(struct db *db, int64_t *before, int64_t *after);

/* Rewrites the whole database (SQLite: switches it to incremental
 * auto-vacuum and runs VACUUM, which takes an exclusive lock and about
 * twice the file's size in free space; PostgreSQL: VACUUM).  0, or -1. */
int db_vacuum(struct db *db, int64_t *before, int64_t *after);

#endif
