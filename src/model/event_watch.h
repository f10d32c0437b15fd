/*
 * event_watch.h: telling every host that a live-event channel is watched
 * (events/watch.h).  PostgreSQL only: SQLite has one host, whose table the
 * authorize check marks directly.
 *
 * A mark is a row of event_watches (channel, until_s in the database's
 * clock) and a NOTIFY pipelit_watch '<channel>': an executor that listens
 * hears the NOTIFY, one that begins listening reads the rows.
 */
#ifndef PIPELIT_MODEL_EVENT_WATCH_H
#define PIPELIT_MODEL_EVENT_WATCH_H

struct db;

/* Marks channel watched for seconds from now on every host: upserts its
 * row (keeping a later expiry), deletes a few expired rows, and sends
 * NOTIFY pipelit_watch '<channel>', in one autocommit statement (the
 * NOTIFY goes out with the row).  0, or -1 on a database error (the
 * caller may ignore it: a host that misses a mark only publishes less).
 * A no-op on SQLite. */
int event_watch_announce(struct db *db, const char *channel, long seconds);

/* Calls fn for each channel whose mark has not expired, with the seconds
 * it has left (at least 1).  Run after LISTEN pipelit_watch: a mark made
 * later is heard.  0, or -1 on a database error.  A no-op on SQLite. */
int event_watch_each_live(struct db *db, void (*fn)(const char *channel, long seconds_left,
						    void *arg),
			  void *arg);

#endif
