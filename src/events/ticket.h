/*
 * ticket.h: short-lived tickets that authorise one user to subscribe to
 * one live-event channel.
 *
 * A ticket is "<user_id>.<expiry>.<mac>", the mac an HMAC-SHA256 under
 * SECRET_KEY over "channel|user_id|expiry" in URL-safe base64.  It needs no
 * storage, so any responder on any host sharing the key can check it, and
 * the channel it was issued for is part of the mac, so a ticket for one
 * channel opens no other.
 *
 * Channels are "workflow:<slug>" and "execution:<execution id>".
 */
#ifndef PIPELIT_EVENTS_TICKET_H
#define PIPELIT_EVENTS_TICKET_H

#include <stdint.h>
#include <time.h>

struct db;

#define EVENTS_CHANNEL_MAX 300
#define EVENTS_TICKET_MAX 128

enum channel_kind { CHANNEL_INVALID, CHANNEL_WORKFLOW, CHANNEL_EXECUTION };

/* What a channel names; *key points into channel (the slug or the id). */
enum channel_kind events_channel_parse(const char *channel, const char **key);

/* Writes the ticket for (channel, user_id) valid until expiry into out. */
void ticket_make(const char *secret, const char *channel, int64_t user_id, time_t expiry,
		 char out[EVENTS_TICKET_MAX]);

/* 0 with *user_id set when ticket is genuine for channel and not expired at
 * now; -1 otherwise (malformed, forged, other channel, expired). */
int ticket_check(const char *secret, const char *channel, const char *ticket, time_t now,
		 int64_t *user_id);

/* May the user see the channel's workflow (owner, or any admin)?  1 yes,
 * 0 no or no such workflow or execution, -1 database error. */
int events_channel_visible(struct db *db, const char *channel, int64_t user_id, int is_admin);

#endif
