/*
 * sender.h: the executor's sender of gateway messages (doc/gateway.md).
 *
 * It lives on the executor's libcurl multi handle, as the event publisher
 * does: each message claimed from the outbox (model/gateway.h) becomes a
 * transfer to GATEWAY_URL/api/v1/send under the outbound policy, and the
 * loop never waits for one.  A 2xx deletes the message; a connection
 * error, a timeout or any other answer gives it back with a back-off (1 s,
 * doubling, at most GATEWAY_RETRY_MAX_SECONDS), and after
 * GATEWAY_SEND_MAX_ATTEMPTS sends it is dropped with a log line.
 *
 * It looks at the outbox only when there may be something to do: at
 * start, when the executor was woken (someone committed work), when its
 * own commit queued a message, and when the earliest message it knows of
 * falls due.  An empty outbox costs no query while the executor sleeps.
 */
#ifndef PIPELIT_GATEWAY_SENDER_H
#define PIPELIT_GATEWAY_SENDER_H

#include <curl/curl.h>

struct config;
struct db;
struct gateway_sender;

/* Sends in flight at once per executor. */
#define GATEWAY_SENDER_IN_FLIGHT 16

/* NULL when GATEWAY_URL is unset (messages then wait in the outbox). */
struct gateway_sender *gateway_sender_new(const struct config *cfg, struct db *db, CURLM *multi,
					  const char *owner);
void gateway_sender_free(struct gateway_sender *s);

/* Something may have been queued: look at the outbox at the next poll. */
void gateway_sender_kick(struct gateway_sender *s);

/* Once per turn of the loop: claims what is due and starts its sends.
 * woken: the executor was woken by another process. */
void gateway_sender_poll(struct gateway_sender *s, int woken);

/* Milliseconds until the sender wants to poll again, -1 for never. */
long gateway_sender_wait_ms(const struct gateway_sender *s);


#endif
