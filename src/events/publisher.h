/*
 * publisher.h: publishing live events without waiting for them.
 *
 * The executor's event loop owns a libcurl multi handle; a publisher
 * queues each event as a transfer on it and returns at once, so a slow or
 * absent nginx never holds up an execution.  At most PUBLISHER_IN_FLIGHT
 * transfers run at once (messages of one execution, or of one channel,
 * one at a time, in order) and PUBLISHER_QUEUE_MAX wait behind them; beyond
 * that the oldest waiting event is dropped, of the same execution when it
 * has one waiting, else of the one waiting longest (browsers that miss an event
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

/* Queues body (JSON text, taken) for channel; dropped at once when nobody
 * watches the channel (events/watch.h). */
void publisher_send(struct publisher *p, const char *channel, char *body);
/* Queues body (taken), an event of execution_id, for execution:<id> and
 * workflow:<slug> (slug may be NULL or empty) in one request to nginx,
 * to those of the two channels somebody watches; after the execution's
 * earlier events. */
void publisher_send_execution(struct publisher *p, const char *execution_id, const char *slug,
			      char *body);
/* 1 when publisher_send_execution would send an event of execution_id
 * anywhere: a caller asks before it builds the message, which costs
 * more than the check (most executions have nobody watching). */
int publisher_wants_execution(const struct publisher *p, const char *execution_id,
			      const char *slug);
/* The same for a channel someone waits on (a synchronous webhook's
 * result): its messages go out before those of every other channel, and
 * the watched table does not apply (the waiter is nginx itself). */
void publisher_send_first(struct publisher *p, const char *channel, char *body);


/* Another bound than PUBLISHER_QUEUE_MAX for the waiting messages (a
 * responder keeps fewer than an executor). */
void publisher_set_queue_max(struct publisher *p, size_t max);

/* Events waiting or in flight. */
size_t publisher_backlog(const struct publisher *p);
/* 1 when nothing of ordering key (an execution's "execution:<id>", else
 * the channel) waits or is in flight. */
int publisher_key_idle(const struct publisher *p, const char *key);

/* Starts the transfers of queued messages.  The loop calls it once per
 * turn, outside the multi handle's callbacks: sending only queues. */
void publisher_pump(struct publisher *p);

#endif
