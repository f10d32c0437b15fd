/*
 * migrate.h: the schema history built into the binary (migrations/), and
 * applying it.  The 'pipelit db' verbs and the pool's start-up use this.
 */
#ifndef PIPELIT_MIGRATE_H
#define PIPELIT_MIGRATE_H

struct db;

/*
 * Upgrades the database to target ("head" or a revision id, or a unique
 * prefix of one).  Safe to call from several processes or hosts at once:
 * each step runs in its own write transaction that re-reads the current
 * revision under a lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
 * transaction lock), so exactly one caller applies each migration and the
 * others wait, then find nothing to do.  Refuses a database at a revision
 * this binary does not know.  Logs each applied revision.  Returns 0, or
 * -1 with a malloc'd message in *err.
 */
int migrate_upgrade(struct db *db, const char *target, char **err);

/* 0 when the database is at a revision this binary knows (or empty);
 * -1 with a malloc'd message otherwise. */
int migrate_check_known(struct db *db, char **err);

#endif
