/*
 * publish.h: live events to nginx's pub/sub module (nchan).
 *
 * Whoever commits a change publishes it afterwards.  Publishing is best
 * effort: browsers that miss an event catch up by reading the REST
 * resources, so a failure is logged and never fails the caller.
 *
 * EVENTS_PUBLISH_URL says where nginx's publisher location is:
 *   unix:/path/events.sock      http://localhost/pub/<channel> over that socket
 *   http://127.0.0.1:8081/pub/  the channel is appended to the URL
 * Unset, publishing is off (shared hosting without the module).
 */
#ifndef PIPELIT_EVENTS_PUBLISH_H
#define PIPELIT_EVENTS_PUBLISH_H

#include <stdint.h>

#include <jansson.h>

struct config;

/* How long a publish may take before it is given up. */
#define EVENTS_PUBLISH_TIMEOUT_MS 200

/*
 * Publishes {"type", "channel", "timestamp", "data"} (pipelit-api.md 4.2;
 * "data" left out when NULL or empty) on channel.  data is borrowed.
 * 0 published or publishing off; -1 failed (already logged).
 */
int events_publish(const struct config *cfg, const char *channel, const char *event_type,
		   json_t *data);

/*
 * An execution's event (pipelit-engine.md 2.12): the envelope with the
 * execution's id and "seq" (its event_seq: a client that sees a gap
 * reloads from REST) at the top level, published on execution:<id> and on
 * workflow:<slug>.  data is borrowed.  0, or -1 when a publish failed.
 */
int events_publish_execution(const struct config *cfg, const char *slug, const char *execution_id,
			     int64_t seq, const char *event_type, json_t *data);

/* The envelope events_publish() sends, for callers and tests; new reference. */
json_t *events_envelope(const char *channel, const char *event_type, json_t *data);

#endif
