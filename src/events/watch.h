/*
 * watch.h: which live-event channels somebody may still receive.
 *
 * A subscriber gets only what is published after it subscribed (nginx's
 * nchan_subscriber_first_message newest), and one that reconnects asks
 * for what followed its Last-Event-ID out of nginx's buffer (1024
 * messages, EVENT_BUFFER_SECONDS (nginx's
 * nchan_message_timeout)).  So a message on a channel nobody has
 * subscribed to within the buffer's lifetime reaches nobody, and is not
 * worth publishing: it costs the publisher and nginx about as much as the
 * execution it describes.
 *
 * Every subscription passes the responders' authorize check; that check
 * marks its channel watched until now + EVENT_BUFFER_SECONDS + the ticket
 * lifetime (a subscription lasts at most a ticket's lifetime, and what
 * followed it stays in the buffer that long after).  Publishers skip a
 * channel that is not marked.
 *
 * The marks live in a table of the host, "<pid file without .pid>.watched"
 * beside the scoreboard: a file-backed shared mapping (mode 0600) that the
 * pool's master creates before it forks, so responders and executors
 * share it, and that survives restarts (a mark outlives the pool that made
 * it, as nginx's buffer does).  Other processes ('pipelit run', a FastCGI
 * process under another web server) open it when it exists.
 *
 * The table is lock-free and bounded: open addressing of one 64-bit word a
 * slot (a 32-bit tag of the channel's hash, the 32-bit expiry), written
 * with compare-and-swap.  Every doubt errs on the side of publishing: a
 * process without the table, a tag collision, a full table (publish
 * everything until the mark that found no room would have expired).
 *
 * PostgreSQL, several hosts: a subscriber authorized on one host may wait
 * for an execution that runs on another.  The authorize also writes the
 * mark into the database (event_watches, model/event_watch.h) and sends
 * NOTIFY pipelit_watch '<channel>' with it; every executor records what it
 * hears in its host's table.  An executor that begins listening (at start,
 * after a lost connection) LISTENs first, then reads the unexpired marks
 * into the table, and only then counts its host as listening again: no
 * mark made meanwhile is missed.  A host whose executors are not listening
 * (no heartbeat for WATCH_LISTENER_STALE_SECONDS), or one of whose
 * executors lost its connection and has not read the marks again yet,
 * publishes everything.
 */
#ifndef PIPELIT_EVENTS_WATCH_H
#define PIPELIT_EVENTS_WATCH_H

#include <stdint.h>
#include <time.h>

#include "events/ticket.h"

struct config;

#define WATCH_SLOTS 16384
#define WATCH_PROBES 8
#define WATCH_LISTENER_STALE_SECONDS 10

/* The PostgreSQL notification channel of the marks. */
#define WATCH_NOTIFY_CHANNEL "pipelit_watch"

/* The table's path for cfg (malloc'd). */
char *watch_path(const struct config *cfg);

/* Maps the table of cfg's host for this process (and the children it
 * forks).  create: make the file when missing (the pool's master).
 * 0, or -1 when there is no table (then every channel counts as watched). */
int watch_attach(const struct config *cfg, int create);
void watch_detach(void);

/* How long a mark made now lasts, in seconds. */
long watch_mark_seconds(const struct config *cfg);

/* Marks channel watched until until (unix seconds). */
void watch_mark(const char *channel, time_t until);

/* 1 when a message published on channel now may reach somebody (or this
 * process cannot tell), 0 when it cannot. */
int watch_is_watched(const char *channel);

/*
 * Where an execution's event goes: into key the ordering key (its channel
 * "execution:<id>": one execution's events reach nginx in order), into to
 * the watched ones of execution:<id> and workflow:<slug> (slug may be NULL
 * or empty) separated by a comma, the form of nginx's publisher location.
 * Returns how many channels to holds; 0: nobody can receive the event.
 */
int events_execution_targets(const char *execution_id, const char *slug,
			     char key[EVENTS_CHANNEL_MAX + 1], char to[2 * EVENTS_CHANNEL_MAX + 2]);

/*
 * An executor listening for WATCH_NOTIFY_CHANNEL (engine/watch_listen.h):
 * _lapsed() when its listening begins or lapsed (a lost connection): marks
 * may be missed, so the host publishes everything from now on; it returns
 * the lapse's number.  _covered() once, after LISTEN, it has read the
 * unexpired marks into the table: every lapse up to that number is made
 * good (another executor's later lapse still counts).  _alive() on every
 * turn of its loop.
 */
uint64_t watch_listener_lapsed(void);
void watch_listener_covered(uint64_t lapse, time_t now);
void watch_listener_alive(time_t now);

#endif
