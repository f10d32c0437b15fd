/*
 * events.c: live events (DESIGN.md "Live events").
 *
 *   POST /api/v1/events/ticket/     a short-lived ticket for one channel
 *   GET  /api/v1/events/authorize/  nginx's subscriber check (nchan_authorize_request)
 *   POST /api/v1/_test/publish/     test-only: publish {channel, type, data}
 *
 * The authorize route answers only requests that come through nginx's
 * internal auth location, which sets the FastCGI parameter
 * PIPELIT_EVENTS_AUTH and passes the subscriber's URI in
 * PIPELIT_EVENTS_URI.  A client cannot set FastCGI parameters (its headers
 * arrive as HTTP_*), so the same path asked through /api/ is refused.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "db/db.h"
#include "events/publish.h"
#include "events/ticket.h"
#include "events/watch.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/event_watch.h"
#include "model/user.h"
#include "util/config.h"
#include "util/log.h"

#define SUBSCRIBE_PREFIX "/events/"
#define TICKET_PARAM "ticket="

static const char *
not_found_detail(enum channel_kind kind)
{
	return kind == CHANNEL_WORKFLOW ? "Workflow not found." : "Execution not found.";
}

/* "workflow:abc" -> "/events/workflow/abc?ticket=..." */
static json_t *
subscribe_url(const char *channel, const char *ticket)
{
	const char *colon = strchr(channel, ':');
	char url[EVENTS_CHANNEL_MAX + EVENTS_TICKET_MAX + 32];
	snprintf(url, sizeof(url), "%s%.*s/%s?%s%s", SUBSCRIBE_PREFIX, (int)(colon - channel),
		 channel, colon + 1, TICKET_PARAM, ticket);
	return json_string(url);
}

int
api_events_ticket(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	const char *channel = NULL;
	v_init(&v, body);
	if (v_body_object(&v, body) > 0 &&
	    v_string(&v, body, "channel", 1, 1, EVENTS_CHANNEL_MAX, &channel) > 0 &&
	    events_channel_parse(channel, NULL) == CHANNEL_INVALID)
		v_add(&v, V_BODY, "channel", "value_error",
		      "Value error, channel must be workflow:<slug> or execution:<id>",
		      json_string(channel), NULL);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	v_free(&v);

	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	int visible = events_channel_visible(db, channel, r->user.id, r->user.is_admin);
	if (visible < 0)
		return resp_db_error(r, db, "events ticket: channel lookup");
	if (!visible)
		return resp_error(r, 404, not_found_detail(events_channel_parse(channel, NULL)));

	char ticket[EVENTS_TICKET_MAX];
	long lifetime = r->cfg->event_ticket_seconds;
	ticket_make(r->cfg->secret_key, channel, r->user.id, time(NULL) + lifetime, ticket);
	return resp_json(r, 200, json_pack("{s:s, s:I, s:o}", "ticket", ticket, "expires_in",
					   (json_int_t)lifetime, "url",
					   subscribe_url(channel, ticket)));
}

/* From "/events/<kind>/<key>?...ticket=T..." the channel "<kind>:<key>"
 * and the ticket; 0, or -1 when the URI is not a subscription. */
static int
parse_subscription(const char *uri, char channel[EVENTS_CHANNEL_MAX + 1],
		   char ticket[EVENTS_TICKET_MAX])
{
	if (uri == NULL || strncmp(uri, SUBSCRIBE_PREFIX, strlen(SUBSCRIBE_PREFIX)) != 0)
		return -1;
	const char *kind = uri + strlen(SUBSCRIBE_PREFIX);
	const char *slash = strchr(kind, '/');
	const char *query = strchr(kind, '?');
	if (slash == NULL || query == NULL || slash > query)
		return -1;
	int n = snprintf(channel, EVENTS_CHANNEL_MAX + 1, "%.*s:%.*s", (int)(slash - kind), kind,
			 (int)(query - slash - 1), slash + 1);
	if (n < 0 || n > EVENTS_CHANNEL_MAX)
		return -1;
	/* The last ticket= wins, as for every other query parameter. */
	const char *found = NULL;
	for (const char *p = query; (p = strstr(p, TICKET_PARAM)) != NULL; p++)
		if (p[-1] == '?' || p[-1] == '&')
			found = p + strlen(TICKET_PARAM);
	if (found == NULL)
		return -1;
	size_t len = strcspn(found, "&#");
	if (len == 0 || len >= EVENTS_TICKET_MAX)
		return -1;
	memcpy(ticket, found, len);
	ticket[len] = '\0';
	return 0;
}

/* 1 when the subscription may go ahead, 0 when not, -1 on a database
 * error; channel is filled in. */
static int
subscription_allowed(struct req *r, struct db *db, const char *uri,
		     char channel[EVENTS_CHANNEL_MAX + 1])
{
	char ticket[EVENTS_TICKET_MAX];
	int64_t user_id;
	if (parse_subscription(uri, channel, ticket) != 0 ||
	    ticket_check(r->cfg->secret_key, channel, ticket, time(NULL), &user_id) != 0)
		return 0;
	/* Checked again now: the user may have lost the workflow (or been
	 * removed) since the ticket was issued. */
	struct user u;
	int rc = user_find_by_id(db, user_id, &u);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	return events_channel_visible(db, channel, u.id, u.is_admin);
}

int
api_events_authorize(struct req *r)
{
	char **env = r->fcgi->envp;
	const char *from_nginx = FCGX_GetParam("PIPELIT_EVENTS_AUTH", env);
	if (from_nginx == NULL || strcmp(from_nginx, "1") != 0)
		return resp_error(r, 403, "Forbidden");
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	char channel[EVENTS_CHANNEL_MAX + 1];
	int allowed =
		subscription_allowed(r, db, FCGX_GetParam("PIPELIT_EVENTS_URI", env), channel);
	if (allowed < 0)
		return resp_db_error(r, db, "events authorize: lookup");
	if (!allowed)
		return resp_error(r, 403, "Forbidden");
	/* From now on the channel's messages may reach this subscriber, now
	 * or when it reconnects: publishers on every host send them
	 * (events/watch.h).  Marked before nginx accepts the subscriber, so
	 * nothing published after the subscription begins is skipped. */
	watch_mark(channel, time(NULL) + watch_mark_seconds(r->cfg));
	if (event_watch_announce(db, channel, watch_mark_seconds(r->cfg)) != 0)
		log_warn("live events: telling other hosts that %s is watched failed (%s)", channel,
			 db_errmsg(db));
	return resp_empty(r, 200);
}

int
api_test_publish(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	const char *channel = NULL, *type = NULL;
	v_init(&v, body);
	if (v_body_object(&v, body) > 0) {
		v_string(&v, body, "channel", 1, 1, EVENTS_CHANNEL_MAX, &channel);
		v_string(&v, body, "type", 1, 1, 64, &type);
	}
	if (v_failed(&v))
		return resp_invalid(r, &v);
	v_free(&v);
	int rc = events_publish(r->cfg, channel, type, json_object_get(body, "data"));
	return resp_json(r, 200, json_pack("{s:b}", "published", rc == 0));
}
