/* test_writer.c: see test_writer.h. */
#include "test_writer.h"

#include <time.h>

int64_t
test_writer_insert(struct db *db, const char *username, long hold_ms)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db, "INSERT INTO user_profiles (username, password_hash) "
					    "VALUES (?, '') RETURNING id");
	if (st == NULL)
		return db_abandon(db);
	db_bind_text(st, 1, username, -1);
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return db_abandon(db);
	}
	int64_t id = db_column_int64(st, 0);
	while (db_step(st) == DB_ROW)
		;
	db_reset(st);
	struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
	while (hold_ms > 0 && nanosleep(&ts, &ts) != 0)
		;
	if (db_commit(db) != 0)
		return db_abandon(db);
	return id;
}
