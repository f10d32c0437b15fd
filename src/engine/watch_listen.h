/*
 * watch_listen.h: an executor's part in the marks of live-event channels
 * watched on other hosts (events/watch.h), PostgreSQL only.
 *
 * It LISTENs for pipelit_watch, then reads the unexpired marks
 * (model/event_watch.h) into its host's table, and only then counts its
 * host as listening.  When the connection is lost (the database layer
 * says so, from wherever the loss was found), the host publishes
 * everything until the marks were read again on the new connection,
 * which the loop's next turn does (not the notification handler: it may
 * run in the middle of another statement).
 */
#ifndef PIPELIT_ENGINE_WATCH_LISTEN_H
#define PIPELIT_ENGINE_WATCH_LISTEN_H

#include <time.h>

struct config;
struct db;
struct watch_listen;

/* Begins listening on db (which must outlive it); NULL on SQLite, or when
 * LISTEN failed (logged: the host then publishes everything unless
 * another executor listens). */
struct watch_listen *watch_listen_begin(const struct config *cfg, struct db *db);
void watch_listen_free(struct watch_listen *w);

/* Every turn of the loop, after the notifications were drained: the
 * heartbeat, and the marks read again when the connection was lost. */
void watch_listen_turn(struct watch_listen *w, time_t now);

#endif
