/* watch_listen.c: see watch_listen.h. */
#include "engine/watch_listen.h"

#include <stdint.h>
#include <stdlib.h>

#include "db/db.h"
#include "events/ticket.h"
#include "events/watch.h"
#include "model/event_watch.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A failed reading of the marks is tried again this much later. */
#define RETRY_SECONDS 1

struct watch_listen {
	const struct config *cfg;
	struct db *db;
	uint64_t lapse;          /* the lapse the next reading covers */
	int must_read;           /* marks may be missing: read them */
	time_t retry_at;
};

/* A subscription was authorized on some host: its channel is watched. */
static void
on_notify(const char *channel, void *arg)
{
	struct watch_listen *w = arg;
	if (channel == NULL) {
		/* The connection was lost: marks sent meanwhile are unknown
		 * until they are read again. */
		w->lapse = watch_listener_lapsed();
		w->must_read = 1;
		w->retry_at = 0;
		return;
	}
	if (events_channel_parse(channel, NULL) != CHANNEL_INVALID)
		watch_mark(channel, time(NULL) + watch_mark_seconds(w->cfg));
}

static void
mark_read(const char *channel, long seconds_left, void *arg)
{
	size_t *n = arg;
	if (events_channel_parse(channel, NULL) != CHANNEL_INVALID) {
		watch_mark(channel, time(NULL) + seconds_left);
		(*n)++;
	}
}

/* Reads the unexpired marks (LISTEN is on: later ones are heard). */
static void
read_marks(struct watch_listen *w, time_t now)
{
	size_t n = 0;
	if (event_watch_each_live(w->db, mark_read, &n) != 0) {
		log_warn("live events: reading the watched channels failed (%s); every channel "
			 "is published until it works", db_errmsg(w->db));
		w->retry_at = now + RETRY_SECONDS;
		return;
	}
	/* A loss found by the reading itself re-LISTENed before the
	 * statement was retried: the reading covers that lapse too. */
	w->must_read = 0;
	watch_listener_covered(w->lapse, now);
	log_info("live events: listening for the channels watched on every host (%zu watched "
		 "channels read)", n);
}

struct watch_listen *
watch_listen_begin(const struct config *cfg, struct db *db)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return NULL;
	struct watch_listen *w = xcalloc(1, sizeof *w);
	w->cfg = cfg;
	w->db = db;
	/* Counted as a lapse first: until the marks are read, this
	 * executor's host may lack some. */
	w->lapse = watch_listener_lapsed();
	if (db_listen(db, WATCH_NOTIFY_CHANNEL) != 0) {
		log_warn("live events: LISTEN %s failed (%s); this host publishes every channel",
			 WATCH_NOTIFY_CHANNEL, db_errmsg(db));
		free(w);
		return NULL;
	}
	db_on_notify(db, WATCH_NOTIFY_CHANNEL, on_notify, w);
	w->must_read = 1;
	watch_listen_turn(w, time(NULL));
	return w;
}

void
watch_listen_free(struct watch_listen *w)
{
	if (w == NULL)
		return;
	db_on_notify(w->db, WATCH_NOTIFY_CHANNEL, NULL, NULL);
	free(w);
}

void
watch_listen_turn(struct watch_listen *w, time_t now)
{
	if (w == NULL)
		return;
	if (w->must_read && now >= w->retry_at)
		read_marks(w, now);
	if (!w->must_read)
		watch_listener_alive(now);
}
