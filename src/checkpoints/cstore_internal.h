/*
 * cstore_internal.h: what the conversation store's files share: the
 * struct, and the handle a read or a write goes to (cstore.c).
 */
#ifndef PIPELIT_CHECKPOINTS_CSTORE_INTERNAL_H
#define PIPELIT_CHECKPOINTS_CSTORE_INTERNAL_H

#include "checkpoints/cstore.h"

struct cstore {
	char *path;            /* owned: the file (file backend) */
	int in_database;       /* CHECKPOINTS_STORE=database */
	long max_messages;     /* a thread's bound */
	struct db *main;       /* borrowed: the main database */
	struct db *file;       /* owned: the file, NULL until opened */
	int file_ready;        /* the file holds the store's tables */
	struct db *failed;     /* the handle of the last failure, or NULL */
	char *unsynced;        /* owned: a thread the file's lazy appends wrote, or NULL */
};

/*
 * The handle a read or a delete goes to, or NULL: with *absent set when
 * the file (or its tables) does not exist, which reads answer as an empty
 * store, without creating anything; else a failure, with *err.
 */
struct db *cstore_reader(struct cstore *cs, int *absent, char **err);

/* The handle a write goes to, creating the file and its tables when
 * needed; NULL with *err. */
struct db *cstore_writer(struct cstore *cs, char **err);

/* Records a failure of db (rolling back any open transaction) and
 * returns -1 with *err = "<what>: <the database's message>". */
int cstore_fail(struct cstore *cs, struct db *db, const char *what, char **err);

/* Deletes the thread's rows in the three tables, inside the caller's
 * write transaction (cstore_thread.c).  0 or -1. */
int cstore_delete_thread_rows(struct db *db, const char *thread_id);

/* The file's tables, the same as migration e7bb1bf0e9a3 (cstore_schema.c). */
extern const char cstore_file_schema[];

#endif
