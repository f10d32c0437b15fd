/*
 * test_sqlite_wal_bound.c: the write-ahead log does not grow without
 * bound.  A reader holding an old snapshot keeps checkpoints from
 * finishing, so the WAL grows past the limit while it reads; once it is
 * gone, the next commits must bring the file back within the limit (the
 * WAL hook's checkpoint and journal_size_limit), with no timer involved.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db.h"
#include "db/db_settings.h"
#include "tap.h"

#define LIMIT (1LL << 20)
#define BLOB 65536

static char tmpdir[] = "/tmp/pipelit-wal-XXXXXX";

static long long
file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int
write_blobs(struct db *db, int n)
{
	static char blob[BLOB];
	memset(blob, 'w', sizeof(blob));
	for (int i = 0; i < n; i++) {
		if (db_begin_write(db) != 0)
			return -1;
		struct db_stmt *st = db_prepare(db, "INSERT INTO payload (data) VALUES (?)");
		if (st == NULL || db_bind_blob(st, 1, blob, sizeof(blob)) != 0 || db_step(st) != DB_DONE)
			return -1;
		db_reset(st);
		if (db_commit(db) != 0)
			return -1;
	}
	return 0;
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	struct db_settings s = *db_settings();
	s.wal_limit_bytes = LIMIT;
	s.sqlite_synchronous = DB_SYNC_NORMAL;  /* speed; durability is another test */
	db_configure(&s);
	char url[256], wal[256];
	snprintf(url, sizeof(url), "sqlite:///%s/db.sqlite3", tmpdir);
	snprintf(wal, sizeof(wal), "%s/db.sqlite3-wal", tmpdir);
	char *err = NULL;
	struct db *writer = db_open_create(url, &err);
	struct db *reader = writer ? db_open(url, &err) : NULL;
	if (!ok(writer && reader, "two handles: %s", err ? err : "ok"))
		return done_testing();
	ok(db_exec(writer, "CREATE TABLE payload (id INTEGER PRIMARY KEY, data BLOB)") == 0,
	   "a table");
	ok(write_blobs(writer, 4) == 0, "some rows");

	/* An old snapshot, held open while 3 MiB is written. */
	int64_t n = 0;
	ok(db_begin(reader) == 0 && db_query_int64(reader, "SELECT count(*) FROM payload", &n) == 0,
	   "a reader holds a snapshot");
	ok(write_blobs(writer, 48) == 0, "3 MiB written meanwhile");
	long long grown = file_size(wal);
	ok(grown > LIMIT, "the WAL grew past the limit while the reader held it (%lld bytes)", grown);

	db_rollback(reader);
	ok(write_blobs(writer, 2) == 0, "the reader is gone; two more commits");
	long long after = file_size(wal);
	ok(after >= 0 && after <= LIMIT, "the WAL is back within the limit (%lld bytes of %lld)",
	   after, LIMIT);
	int64_t rows = 0;
	ok(db_query_int64(writer, "SELECT count(*) FROM payload", &rows) == 0, "count the rows");
	is_int(rows, 54, "every row is there");
	is_str(db_sqlite_sync_name(DB_SYNC_NORMAL), "NORMAL", "the level this test ran at");

	db_close(reader);
	db_close(writer);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return done_testing();
}
