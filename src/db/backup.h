/*
 * backup.h: the database side of 'pipelit db backup', 'restore' and
 * 'integrity': SQLite's online backup API, the checks a file must pass
 * before a restore installs it, the PostgreSQL catalogue queries a
 * restore needs, and the integrity report.  The command-line side (files,
 * pg_dump, messages) is src/cli/db_backup.c.
 *
 * Every char * returned through an argument is malloc'd and owned by the
 * caller; every char ** array is freed with db_free_strings().
 */
#ifndef PIPELIT_DB_BACKUP_H
#define PIPELIT_DB_BACKUP_H

#include <stddef.h>

struct db;
struct progress;

/*
 * Copies the SQLite database src into dst (created; it must not exist)
 * while other processes keep reading and writing src.  The copy is the
 * state of src when the copy began: one read transaction is held on src
 * for the whole copy (in WAL mode that never holds writers off) and the
 * pages go over in steps.  dst ends up a self-contained file (rollback
 * journal mode).  Pages copied go to progress (may be NULL).  0, or -1
 * with *err; on failure dst is removed.
 */
int db_sqlite_backup(const char *src, const char *dst, struct progress *progress, char **err);

/*
 * Checks an SQLite file without changing it (opened read-only): PRAGMA
 * integrity_check must say ok, and the revisions in its alembic_version
 * table go to *revs (*nrevs of them).  0, or -1 with *err saying what is
 * wrong with the file.
 */
int db_sqlite_inspect(const char *path, char ***revs, size_t *nrevs, char **err);

/* Folds the WAL of the SQLite file at path into the file itself, so the
 * file alone holds every committed row.  0, or -1 with *err. */
int db_sqlite_checkpoint(const char *path, char **err);

/* PostgreSQL: the server's major version (15 for 15.4). 0 or -1. */
int db_pg_server_major(struct db *db, int *major, char **err);

/* PostgreSQL: the pid of another session with application_name pipelit on
 * this handle's database, 0 when there is none, -1 on error. */
long db_pg_other_pipelit_session(struct db *db, char **err);

/* PostgreSQL: how many tables a dump of this database holds (outside the
 * system schemas), for the progress of backup; 0 when unknown. */
long db_pg_table_count(struct db *db);

/* PostgreSQL, on a handle to another database of the server (postgres):
 * renames database name to aside and creates an empty name with the same
 * owner.  0, or -1 with *err (nothing changed when the rename failed). */
int db_pg_set_aside(struct db *maint, const char *name, const char *aside, char **err);

/* Undoes db_pg_set_aside(): drops name and renames aside back to it. */
int db_pg_put_back(struct db *maint, const char *name, const char *aside, char **err);

/*
 * The integrity report: calls line(check, result) once per check, result
 * "ok" or what is wrong (a check may report several problems).  SQLite:
 * integrity_check and foreign_key_check.  PostgreSQL: invalid indexes,
 * constraints not validated, foreign-key orphans of every foreign key, a
 * read of every table.  Returns the number of problems, or -1 with *err
 * when the checks themselves could not run.
 */
typedef void (*db_report_fn)(const char *check, const char *result, void *arg);
long db_integrity(struct db *db, db_report_fn line, void *arg, char **err);

void db_free_strings(char **v, size_t n);

#endif
