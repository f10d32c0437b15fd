/*
 * event_watch.h: telling every host that a live-event channel is watched
 * (events/watch.h).  PostgreSQL only: SQLite has one host, whose table the
 * authorize check marks directly.
 */
#ifndef PIPELIT_MODEL_EVENT_WATCH_H
#define PIPELIT_MODEL_EVENT_WATCH_H

struct db;

/* NOTIFY pipelit_watch '<channel>' (at once outside a transaction).
 * 0, or -1 on a database error (the caller may ignore it: a host that
 * misses a mark only publishes less). */
int event_watch_announce(struct db *db, const char *channel);

#endif
