/* event_watch.c: see event_watch.h. */
#include "model/event_watch.h"

#include "db/db.h"
#include "events/watch.h"

/* Expired rows one announce deletes at most: each adds at most one, so
 * the table stays about as large as the channels watched lately, and no
 * announce does more than a few rows' work.  SKIP LOCKED: two announces
 * never wait for each other's deletions.  The announced channel itself is
 * not deleted (one statement may not both delete and upsert a row). */
#define PRUNE_PER_ANNOUNCE "8"

#define DB_NOW "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)"

int
event_watch_announce(struct db *db, const char *channel, long seconds)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return 0;
	struct db_stmt *st = db_prepare(db,
		"WITH pruned AS ("
		" DELETE FROM event_watches WHERE channel IN ("
		"  SELECT channel FROM event_watches WHERE until_s < " DB_NOW " AND channel <> ?"
		"  ORDER BY until_s LIMIT " PRUNE_PER_ANNOUNCE " FOR UPDATE SKIP LOCKED)),"
		" marked AS ("
		" INSERT INTO event_watches (channel, until_s) VALUES (?, " DB_NOW " + ?)"
		" ON CONFLICT (channel) DO UPDATE"
		" SET until_s = GREATEST(event_watches.until_s, EXCLUDED.until_s))"
		" SELECT pg_notify('" WATCH_NOTIFY_CHANNEL "', ?)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, channel, -1);
	db_bind_text(st, 2, channel, -1);
	db_bind_int64(st, 3, seconds);
	db_bind_text(st, 4, channel, -1);
	int rc = db_step(st);
	while (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
event_watch_each_live(struct db *db, void (*fn)(const char *channel, long seconds_left, void *arg),
		      void *arg)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT channel, until_s - " DB_NOW " FROM event_watches"
		" WHERE until_s > " DB_NOW);
	if (st == NULL)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *channel = db_column_text(st, 0);
		if (channel != NULL)
			fn(channel, (long)db_column_int64(st, 1), arg);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}
