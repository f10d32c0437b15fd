/* vacuum.c: see vacuum.h. */
#include "db/vacuum.h"

#include "db/db.h"

/* The SQLite file's size in bytes (page_count x page_size). */
static int64_t
sqlite_size(struct db *db)
{
	int64_t pages = 0, page_size = 0;
	if (db_query_int64(db, "PRAGMA page_count", &pages) != 0 ||
	    db_query_int64(db, "PRAGMA page_size", &page_size) != 0)
		return 0;
	return pages * page_size;
}

int
db_reclaim_space(struct db *db, int64_t *before, int64_t *after)
{
	*before = *after = 0;
	if (db_backend_of(db) != DB_SQLITE)
		return 0;
	*before = sqlite_size(db);
	/* Frees every free page; each is a short write.  Returns rows, which
	 * db_exec's sqlite3_exec simply discards. */
	if (db_exec(db, "PRAGMA incremental_vacuum") != 0)
		return -1;
	*after = sqlite_size(db);
	return 0;
}

int
db_vacuum(struct db *db, int64_t *before, int64_t *after)
{
	*before = *after = 0;
	if (db_backend_of(db) != DB_SQLITE)
		return db_exec(db, "VACUUM");
	*before = sqlite_size(db);
	if (db_exec(db, "PRAGMA auto_vacuum=INCREMENTAL") != 0 || db_exec(db, "VACUUM") != 0)
		return -1;
	*after = sqlite_size(db);
	return 0;
}
