/*
 * cstore.c: opening and closing the conversation store, and which handle
 * a read or a write goes to (see cstore.h).  The file is opened lazily and
 * created only by a write: a missing file is an empty store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoints/cstore_internal.h"
#include "db/db.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

struct cstore *
cstore_open(const struct config *cfg, struct db *main_db)
{
	struct cstore *cs = xcalloc(1, sizeof(*cs));
	cs->path = xstrdup(cfg->checkpoints_path ? cfg->checkpoints_path : "checkpoints.db");
	cs->in_database = cfg->checkpoints_in_database;
	cs->max_messages = cfg->checkpoint_thread_max_messages > 0
				   ? cfg->checkpoint_thread_max_messages : 200;
	cs->main = main_db;
	return cs;
}

void
cstore_close(struct cstore *cs)
{
	if (cs == NULL)
		return;
	db_close(cs->file);
	free(cs->unsynced);
	free(cs->path);
	free(cs);
}

int
cstore_in_database(const struct cstore *cs)
{
	return cs->in_database;
}

struct db *
cstore_failed_db(struct cstore *cs)
{
	return cs->failed;
}

int
cstore_fail(struct cstore *cs, struct db *db, const char *what, char **err)
{
	cs->failed = db;
	if (db != NULL)
		db_abandon(db);
	if (err != NULL)
		*err = db != NULL ? xasprintf("%s: %s", what, db_errmsg(db)) : xstrdup(what);
	return -1;
}

/* Whether the file already holds the store's tables; 1, 0 or -1. */
static int
file_has_tables(struct db *db)
{
	int64_t n = 0;
	int rc = db_query_int64(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
				    "AND name = 'conversation_messages'", &n);
	return rc != 0 ? -1 : n > 0;
}

/* Opens the existing file; NULL with *err. */
static struct db *
open_file(struct cstore *cs, char **err)
{
	char *url = xasprintf("sqlite:///%s", cs->path);
	char *why = NULL;
	struct db *db = db_open(url, &why);
	free(url);
	if (db == NULL) {
		cs->failed = NULL;
		*err = xasprintf("the checkpoint store %s cannot be opened: %s", cs->path,
				 why ? why : "unknown error");
		free(why);
		return NULL;
	}
	int ready = file_has_tables(db);
	if (ready < 0) {
		cstore_fail(cs, db, "the checkpoint store cannot be read", err);
		db_close(db);
		cs->failed = NULL;
		return NULL;
	}
	cs->file = db;
	cs->file_ready = ready;
	return db;
}

struct db *
cstore_reader(struct cstore *cs, int *absent, char **err)
{
	*absent = 0;
	cs->failed = NULL;
	if (cs->in_database) {
		if (cs->main == NULL) {
			*err = xstrdup("the checkpoint store is in the main database, which is not open");
			return NULL;
		}
		return cs->main;
	}
	if (cs->file == NULL) {
		if (access(cs->path, F_OK) != 0 && errno == ENOENT) {
			*absent = 1;
			return NULL;
		}
		if (open_file(cs, err) == NULL)
			return NULL;
	}
	if (!cs->file_ready) {
		/* Another process may have created the tables since. */
		int ready = file_has_tables(cs->file);
		if (ready < 0) {
			cstore_fail(cs, cs->file, "the checkpoint store cannot be read", err);
			return NULL;
		}
		cs->file_ready = ready;
		if (!ready) {
			*absent = 1;
			return NULL;
		}
	}
	return cs->file;
}

/* Creates the file 0600 (whatever the umask) and its directory; an
 * existing file is left as it is.  0, or -1 with *err. */
static int
create_file(const char *path, char **err)
{
	if (fs_make_parent_dirs(path) != 0) {
		*err = xasprintf("the checkpoint store's directory for %s cannot be created: %s", path,
				 strerror(errno));
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		*err = xasprintf("the checkpoint store %s cannot be created: %s", path,
				 strerror(errno));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

struct db *
cstore_writer(struct cstore *cs, char **err)
{
	cs->failed = NULL;
	if (cs->in_database) {
		if (cs->main == NULL) {
			*err = xstrdup("the checkpoint store is in the main database, which is not open");
			return NULL;
		}
		return cs->main;
	}
	if (cs->file == NULL) {
		if (create_file(cs->path, err) != 0)
			return NULL;
		if (open_file(cs, err) == NULL)
			return NULL;
	}
	if (!cs->file_ready) {
		/* Under the write lock, so two first writers create the tables once. */
		if (db_begin_write(cs->file) != 0 || db_exec(cs->file, cstore_file_schema) != 0 ||
		    db_commit(cs->file) != 0) {
			cstore_fail(cs, cs->file, "the checkpoint store's tables cannot be created", err);
			return NULL;
		}
		cs->file_ready = 1;
	}
	return cs->file;
}
