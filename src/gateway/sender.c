/* sender.c: see sender.h. */
#include "sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "model/gateway.h"
#include "net/outbound.h"
#include "net/transfer.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* After a database failure, look again this much later. */
#define RETRY_DB_MS 1000
/* A message claimed by another executor that could not be taken at once
 * (PostgreSQL skips rows being claimed): look again this much later
 * rather than spin. */
#define RECHECK_MS 200

struct gateway_sender {
	const struct config *cfg;
	struct db *db;                  /* borrowed: the executor's */
	CURLM *multi;                   /* borrowed: the executor's loop */
	char owner[64];
	char *url;                      /* GATEWAY_URL/api/v1/send */
	char *auth;                     /* "Authorization: Bearer ..." or NULL */
	struct outbound_policy policy;
	long timeout_ms;                /* one send, all of it */
	int64_t lease_ms;               /* a claim outlives its send's deadline */
	int look;                       /* look at the outbox at the next poll */
	int64_t next_ms;                /* when the earliest known message falls due; -1 none */
	size_t in_flight;
	int failing;                    /* logged the start of an outage */
};

/* One send in flight: the transfer's private pointer. */
struct send {
	struct transfer base;        /* first: the loop finds send_done() here */
	struct gateway_sender *owner;
	struct outbox_msg msg;
	char *body;
	struct curl_slist *headers;
	struct outbound_guard guard;
};

struct gateway_sender *
gateway_sender_new(const struct config *cfg, struct db *db, CURLM *multi, const char *owner)
{
	if (cfg->gateway_url == NULL)
		return NULL;
	struct gateway_sender *s = xcalloc(1, sizeof *s);
	char *err = NULL;
	if (outbound_policy_parse(cfg->outbound_allow, &s->policy, &err) != 0) {
		/* config_load() checked it: not reached in practice */
		log_error("gateway: PIPELIT_OUTBOUND_ALLOW: %s; replies are not sent", err);
		free(err);
		free(s);
		return NULL;
	}
	s->cfg = cfg;
	s->db = db;
	s->multi = multi;
	snprintf(s->owner, sizeof s->owner, "%s", owner);
	s->url = xasprintf("%s/api/v1/send", cfg->gateway_url);
	s->auth = cfg->gateway_send_token
		? xasprintf("Authorization: Bearer %s", cfg->gateway_send_token) : NULL;
	s->timeout_ms = cfg->provider_timeout_seconds * 1000;
	s->lease_ms = s->timeout_ms + 60000;
	s->look = 1;                    /* what waited while no executor ran */
	s->next_ms = -1;
	return s;
}

static void
send_free(struct send *x)
{
	outbox_msg_clear(&x->msg);
	free(x->body);
	curl_slist_free_all(x->headers);
	outbound_guard_free(&x->guard);
	free(x);
}

void
gateway_sender_free(struct gateway_sender *s)
{
	if (s == NULL)
		return;
	/* Sends still in flight are abandoned with the multi handle; their
	 * claims lapse and the messages go again. */
	outbound_policy_free(&s->policy);
	free(s->url);
	if (s->auth) {
		memset(s->auth, 0, strlen(s->auth));
		free(s->auth);
	}
	free(s);
}

void
gateway_sender_kick(struct gateway_sender *s)
{
	if (s != NULL)
		s->look = 1;
}

long
gateway_sender_wait_ms(const struct gateway_sender *s)
{
	if (s == NULL)
		return -1;
	if (s->look)
		return 0;
	if (s->next_ms < 0)
		return -1;
	int64_t left = s->next_ms - time_now_ms();
	return left < 0 ? 0 : left > 3600000 ? 3600000 : (long)left;
}

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* 1 s after the first failure, doubling, at most the configured cap. */
static int64_t
backoff_ms(const struct gateway_sender *s, int attempt)
{
	int shift = attempt > 1 ? attempt - 1 : 0;
	int64_t ms = 1000LL << (shift > 20 ? 20 : shift);
	int64_t cap = (int64_t)s->cfg->gateway_retry_max_seconds * 1000;
	return ms < cap ? ms : cap;
}

/* What became of a send: the message deleted, given back, or dropped. */
static void
settle(struct gateway_sender *s, struct send *x, int ok, const char *why)
{
	struct outbox_msg *m = &x->msg;
	const char *exec = m->execution_id[0] ? m->execution_id : "-";
	int rc;
	if (ok) {
		if (s->failing)
			log_info("gateway: sending works again");
		s->failing = 0;
		rc = outbox_delete(s->db, m->id, s->owner);
	} else if (m->attempt >= s->cfg->gateway_send_max_attempts) {
		log_warn("gateway: dropped the message for execution %s to chat %s after %d "
			 "attempts (last: %s)", exec, m->chat_id, m->attempt, why);
		rc = outbox_delete(s->db, m->id, s->owner);
	} else {
		int64_t delay = backoff_ms(s, m->attempt);
		if (!s->failing)
			log_warn("gateway: sending the message for execution %s failed (%s); "
				 "retrying in %lld ms", exec, why, (long long)delay);
		s->failing = 1;
		rc = outbox_retry(s->db, m->id, s->owner, time_now_ms() + delay);
	}
	if (rc != 0)
		log_warn("gateway: recording a send failed (%s); the message's claim lapses and "
			 "it goes again", db_errmsg(s->db));
	s->look = 1;
}

static void send_done(struct transfer *base, CURL *easy, CURLcode result);

/* Starts m's send (taken). */
static void
start(struct gateway_sender *s, struct outbox_msg *m)
{
	struct send *x = xcalloc(1, sizeof *x);
	x->owner = s;
	x->msg = *m;
	memset(m, 0, sizeof *m);
	json_t *body = json_pack("{s:s, s:s, s:s, s:[]}", "credential_id", x->msg.credential_id,
				 "chat_id", x->msg.chat_id, "text", x->msg.text, "file_ids");
	x->body = body ? jw_dump(body, NULL) : NULL;
	json_decref(body);
	CURL *c = x->body ? curl_easy_init() : NULL;
	if (c == NULL || outbound_configure(c, &s->policy, s->url, s->timeout_ms, 0,
					    OUTBOUND_SAME_ORIGIN, &x->guard) != 0) {
		if (c)
			curl_easy_cleanup(c);
		settle(s, x, 0, "the send could not be set up");
		send_free(x);
		return;
	}
	char key[64];
	/* The same key on every attempt: a gateway that honours it shows a
	 * message once even when an answer was lost and it is sent again. */
	snprintf(key, sizeof key, "Idempotency-Key: pipelit-outbox-%lld", (long long)x->msg.id);
	x->headers = curl_slist_append(NULL, "Content-Type: application/json");
	x->headers = curl_slist_append(x->headers, key);
	if (s->auth)
		x->headers = curl_slist_append(x->headers, s->auth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	x->base.done = send_done;
	transfer_bind(c, &x->base);
	curl_multi_add_handle(s->multi, c);
	s->in_flight++;
}

void
gateway_sender_poll(struct gateway_sender *s, int woken)
{
	if (s == NULL)
		return;
	int64_t now = time_now_ms();
	if (!woken && !s->look && !(s->next_ms >= 0 && now >= s->next_ms))
		return;
	s->look = 0;
	int64_t due;
	int rc = outbox_next_due(s->db, &due);
	while (rc == 0 && due <= now && s->in_flight < GATEWAY_SENDER_IN_FLIGHT) {
		struct outbox_msg m;
		int claimed = outbox_claim(s->db, s->owner, now, s->lease_ms, &m);
		if (claimed != 0) {
			if (claimed < 0)
				rc = DB_FAILED;
			else
				due = now + RECHECK_MS;   /* another executor is taking it */
			break;
		}
		start(s, &m);
		rc = outbox_next_due(s->db, &due);
	}
	if (rc < 0) {
		log_warn("gateway: reading the outbox failed (%s); looking again in %d ms",
			 db_errmsg(s->db), RETRY_DB_MS);
		s->next_ms = now + RETRY_DB_MS;
	} else if (rc == 1 || s->in_flight >= GATEWAY_SENDER_IN_FLIGHT) {
		s->next_ms = -1;     /* empty, or full: a finished send looks again */
	} else {
		s->next_ms = due > now ? due : now + RECHECK_MS;
	}
}

static void
send_done(struct transfer *base, CURL *easy, CURLcode result)
{
	struct send *x = (struct send *)base;
	struct gateway_sender *s = x->owner;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(s->multi, easy);
	curl_easy_cleanup(easy);
	s->in_flight--;
	char why[160];
	char *refusal = outbound_refusal_text(&x->guard);
	if (refusal)
		snprintf(why, sizeof why, "%s", refusal);
	else if (result != CURLE_OK)
		snprintf(why, sizeof why, "%s", curl_easy_strerror(result));
	else
		snprintf(why, sizeof why, "the gateway answered %ld", status);
	free(refusal);
	settle(s, x, result == CURLE_OK && status >= 200 && status < 300, why);
	send_free(x);
}
