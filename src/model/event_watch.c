/* event_watch.c: see event_watch.h. */
#include "model/event_watch.h"

#include "db/db.h"
#include "events/watch.h"

int
event_watch_announce(struct db *db, const char *channel)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return 0;
	struct db_stmt *st = db_prepare(db, "SELECT pg_notify('" WATCH_NOTIFY_CHANNEL "', ?)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, channel, -1);
	int rc = db_step(st);
	while (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}
