/*
 * publisher.h: publishing live events without waiting for them.
 *
 * The executor's event loop owns a libcurl multi handle; a publisher
 * queues each event as a transfer on it and returns at once, so a slow or
 * absent nginx never holds up an execution.  At most PUBLISHER_IN_FLIGHT
 * transfers run at once and PUBLISHER_QUEUE_MAX wait behind them; beyond
 * that the oldest waiting event is dropped (browsers that miss an event
 * see a gap in its sequence numbers and reload from REST).  Failures are
 * logged once per outage, as events_publish() does.
 */
#ifndef PIPELIT_EVENTS_PUBLISHER_H
#define PIPELIT_EVENTS_PUBLISHER_H

#include <curl/curl.h>

struct config;
struct publisher;

#define PUBLISHER_IN_FLIGHT 32
#define PUBLISHER_QUEUE_MAX 10000

/* NULL when publishing is off (EVENTS_PUBLISH_URL unset). */
struct publisher *publisher_new(const struct config *cfg, CURLM *multi);
void publisher_free(struct publisher *p);

/* Queues body (JSON text, taken) for channel. */
void publisher_send(struct publisher *p, const char *channel, char *body);
/* The same for a channel someone waits on (a synchronous webhook's
 * result): its messages go out before those of every other channel. */
void publisher_send_first(struct publisher *p, const char *channel, char *body);


/* Events waiting or in flight. */
size_t publisher_backlog(const struct publisher *p);

/* Starts the transfers of queued messages.  The loop calls it once per
 * turn, outside the multi handle's callbacks: sending only queues. */
void publisher_pump(struct publisher *p);

#endif
