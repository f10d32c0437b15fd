/* publisher.c: see publisher.h. */
#include "publisher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "events/ticket.h"
#include "events/watch.h"
#include "net/transfer.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#define UNIX_PREFIX "unix:"

/* A message and where it goes: one channel, or several separated by
 * commas (nginx publishes one request to each; conf/nginx.conf.in). */
struct message {
	char *url;
	char *body;
};

/* The waiting messages of one ordering key, oldest first, and whether one
 * of them is in flight: a key has at most one, so its messages reach nginx
 * (which numbers each channel's messages as they arrive) in the order
 * sent.  The key is an execution's channel for its events (their seq must
 * arrive in order), else the channel itself; messages of different keys
 * go out at once, up to PUBLISHER_IN_FLIGHT. */
struct channel {
	char *name;
	struct message *msgs;        /* a ring */
	size_t head, count, cap;
	int busy;
	int ready;                   /* in a ready list */
	int urgent;                  /* someone waits for its messages: sent first */
};

struct publisher {
	CURLM *multi;
	char *base;                  /* URL the channel is appended to */
	char *socket_path;           /* unix socket, or NULL */
	struct curl_slist *headers;
	json_t *by_name;             /* channel name -> struct channel * (as an integer) */
	/* Channels with a message to send and none in flight, in the order
	 * they became ready (a ring: the oldest at head); urgent ones (a
	 * caller waits) go before the rest. */
	struct ready_list { struct channel **at; size_t head, n, cap; } ready, ready_urgent;
	size_t waiting;              /* messages waiting, all channels */
	size_t queue_max;            /* beyond it the oldest waiting message is dropped */
	size_t in_flight;
	int failing;                 /* logged the start of an outage */
	unsigned long dropped;
	/* Finished transfers' handles, kept for the next ones: a new handle
	 * costs its buffers (16 KB and more) and options every time, which was
	 * most of the executor's allocations under load. */
	CURL *spare[PUBLISHER_IN_FLIGHT];
	size_t n_spare;
};

struct publisher *
publisher_new(const struct config *cfg, CURLM *multi)
{
	const char *setting = cfg->events_publish_url;
	if (setting == NULL || *setting == '\0')
		return NULL;
	struct publisher *p = xcalloc(1, sizeof *p);
	p->multi = multi;
	if (strncmp(setting, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
		p->socket_path = xstrdup(setting + strlen(UNIX_PREFIX));
		p->base = xstrdup("http://localhost/pub/");
	} else {
		p->base = xstrdup(setting);
	}
	p->headers = curl_slist_append(NULL, "Content-Type: application/json");
	p->by_name = json_object();
	p->queue_max = PUBLISHER_QUEUE_MAX;
	return p;
}

void
publisher_set_queue_max(struct publisher *p, size_t max)
{
	if (p != NULL && max > 0)
		p->queue_max = max;
}

int
publisher_key_idle(const struct publisher *p, const char *key)
{
	/* A channel with nothing waiting or in flight is forgotten. */
	return p == NULL || json_object_get(p->by_name, key) == NULL;
}

static struct channel *
channel_of(struct publisher *p, const char *name)
{
	json_t *at = json_object_get(p->by_name, name);
	if (at)
		return (struct channel *)(intptr_t)json_integer_value(at);
	struct channel *c = xcalloc(1, sizeof *c);
	c->name = xstrdup(name);
	json_object_set_new(p->by_name, name, json_integer((json_int_t)(intptr_t)c));
	return c;
}

/* A channel with nothing waiting or in flight is forgotten, so the map
 * holds only live channels (executions come and go). */
static void
channel_forget_if_idle(struct publisher *p, struct channel *c)
{
	if (c->busy || c->count > 0 || c->ready)
		return;
	json_object_del(p->by_name, c->name);
	free(c->name);
	free(c->msgs);
	free(c);
}

/*
 * A full ring of n items of size bytes, starting at *head of *cap slots,
 * moved into a new one twice as large (first slots when it had none),
 * oldest first from slot 0.  Returns the new ring (the old one is freed)
 * and updates *head and *cap.
 */
static void *
ring_grown(void *items, size_t size, size_t *head, size_t n, size_t *cap, size_t first)
{
	size_t grown = *cap ? *cap * 2 : first;
	char *to = xcalloc(grown, size);
	for (size_t i = 0; i < n; i++)
		memcpy(to + i * size, (char *)items + ((*head + i) % *cap) * size, size);
	free(items);
	*head = 0;
	*cap = grown;
	return to;
}

static void
ready_push(struct ready_list *l, struct channel *c)
{
	if (l->n == l->cap)
		l->at = ring_grown(l->at, sizeof *l->at, &l->head, l->n, &l->cap, 64);
	l->at[(l->head + l->n++) % l->cap] = c;
}

static struct channel *
ready_pop(struct ready_list *l)
{
	struct channel *c = l->at[l->head];
	l->head = (l->head + 1) % l->cap;
	l->n--;
	return c;
}

static void
mark_ready(struct publisher *p, struct channel *c)
{
	if (c->ready || c->busy || c->count == 0)
		return;
	ready_push(c->urgent ? &p->ready_urgent : &p->ready, c);
	c->ready = 1;
}

void
publisher_free(struct publisher *p)
{
	if (p == NULL)
		return;
	const char *name;
	json_t *v;
	json_object_foreach(p->by_name, name, v) {
		struct channel *c = (struct channel *)(intptr_t)json_integer_value(v);
		for (size_t i = 0; i < c->count; i++) {
			free(c->msgs[(c->head + i) % c->cap].url);
			free(c->msgs[(c->head + i) % c->cap].body);
		}
		free(c->msgs);
		free(c->name);
		free(c);
	}
	json_decref(p->by_name);
	for (size_t i = 0; i < p->n_spare; i++)
		curl_easy_cleanup(p->spare[i]);
	free(p->ready.at);
	free(p->ready_urgent.at);
	curl_slist_free_all(p->headers);
	free(p->base);
	free(p->socket_path);
	free(p);
}

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* What travels with a transfer as its private pointer (net/transfer.h):
 * who owns it, its channel and the body. */
struct pub_transfer {
	struct transfer base;        /* first: the loop finds pub_done() here */
	struct publisher *owner;
	struct channel *channel;
	struct message msg;
};

static void pub_done(struct transfer *base, CURL *easy, CURLcode result);

/* Sends the oldest message of c. */
static void
start(struct publisher *p, struct channel *c)
{
	struct message m = c->msgs[c->head];
	c->head = (c->head + 1) % c->cap;
	c->count--;
	p->waiting--;
	CURL *h = p->n_spare > 0 ? p->spare[--p->n_spare] : curl_easy_init();
	if (h == NULL) {
		free(m.url);
		free(m.body);
		return;
	}
	const char *body = m.body;
	/* Every option is set on every use, so a reused handle carries
	 * nothing of its last transfer. */
	curl_easy_setopt(h, CURLOPT_URL, m.url);
	if (p->socket_path)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, p->socket_path);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	struct pub_transfer *t = xcalloc(1, sizeof *t);
	t->base.done = pub_done;
	t->owner = p;
	t->channel = c;
	t->msg = m;
	transfer_bind(h, &t->base);
	c->busy = 1;
	curl_multi_add_handle(p->multi, h);
	p->in_flight++;
}

static void
start_list(struct publisher *p, struct ready_list *l)
{
	while (l->n > 0 && p->in_flight < PUBLISHER_IN_FLIGHT) {
		struct channel *c = ready_pop(l);
		c->ready = 0;
		start(p, c);
	}
}

static void
start_waiting(struct publisher *p)
{
	start_list(p, &p->ready_urgent);
	start_list(p, &p->ready);
}

/* Drops the oldest waiting message of c. */
static void
drop_oldest_of(struct publisher *p, struct channel *c)
{
	free(c->msgs[c->head].url);
	free(c->msgs[c->head].body);
	c->head = (c->head + 1) % c->cap;
	c->count--;
	p->waiting--;
	if (p->dropped++ == 0)
		log_warn("live events: more than %zu waiting (nginx down or slow); dropping the "
			 "oldest", p->queue_max);
}

/* The queue is full: the oldest waiting message makes room, of this
 * key when it has one waiting (its order is kept either way), else of
 * the key that has waited longest to be sent.  When every waiting
 * message is behind one in flight, the queue grows past its bound by
 * at most one message a key in flight. */
static void
make_room(struct publisher *p, struct channel *mine)
{
	if (mine->count > 0) {
		drop_oldest_of(p, mine);
		return;
	}
	if (p->ready.n == 0)
		return;
	struct channel *c = p->ready.at[p->ready.head];
	drop_oldest_of(p, c);
	if (c->count == 0) {
		ready_pop(&p->ready);
		c->ready = 0;
		channel_forget_if_idle(p, c);
	}
}

static void
queue(struct publisher *p, const char *key, const char *to, char *body, int urgent)
{
	struct channel *c = channel_of(p, key);
	c->urgent |= urgent;
	if (p->waiting >= p->queue_max)
		make_room(p, c);
	if (c->count == c->cap)
		c->msgs = ring_grown(c->msgs, sizeof *c->msgs, &c->head, c->count, &c->cap, 8);
	c->msgs[(c->head + c->count++) % c->cap] =
		(struct message){ .url = xasprintf("%s%s", p->base, to), .body = body };
	p->waiting++;
	mark_ready(p, c);
	/* Not started here: a message may be queued from inside one of the
	 * multi handle's own callbacks (an LLM stream's text), where adding a
	 * transfer is refused.  The loop starts it (publisher_pump). */
}

void
publisher_pump(struct publisher *p)
{
	if (p != NULL)
		start_waiting(p);
}

void
publisher_send(struct publisher *p, const char *channel, char *body)
{
	if (p == NULL || !watch_is_watched(channel)) {
		free(body);
		return;
	}
	queue(p, channel, channel, body, 0);
}

void
publisher_send_first(struct publisher *p, const char *channel, char *body)
{
	if (p == NULL) {
		free(body);
		return;
	}
	queue(p, channel, channel, body, 1);
}

void
publisher_send_execution(struct publisher *p, const char *execution_id, const char *slug,
			 char *body)
{
	if (p == NULL) {
		free(body);
		return;
	}
	char to[2 * EVENTS_CHANNEL_MAX + 2];
	char key[EVENTS_CHANNEL_MAX + 1];
	if (events_execution_targets(execution_id, slug, key, to) == 0) {
		free(body);
		return;
	}
	queue(p, key, to, body, 0);
}

int
publisher_wants_execution(const struct publisher *p, const char *execution_id, const char *slug)
{
	char to[2 * EVENTS_CHANNEL_MAX + 2];
	char key[EVENTS_CHANNEL_MAX + 1];
	return p != NULL && events_execution_targets(execution_id, slug, key, to) > 0;
}

static void
pub_done(struct transfer *base, CURL *easy, CURLcode result)
{
	struct pub_transfer *t = (struct pub_transfer *)base;
	struct publisher *p = t->owner;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(p->multi, easy);
	if (p->n_spare < PUBLISHER_IN_FLIGHT)
		p->spare[p->n_spare++] = easy;
	else
		curl_easy_cleanup(easy);
	struct channel *c = t->channel;
	free(t->msg.url);
	free(t->msg.body);
	free(t);
	p->in_flight--;
	c->busy = 0;
	mark_ready(p, c);
	channel_forget_if_idle(p, c);
	int failed = result != CURLE_OK || status < 200 || status >= 300;
	if (failed && !p->failing)
		log_warn("live events: publishing failed (%s); further failures are not logged "
			 "until publishing works again",
			 result != CURLE_OK ? curl_easy_strerror(result) : "nginx answered an error");
	else if (!failed && p->failing)
		log_info("live events: publishing works again");
	p->failing = failed;
	start_waiting(p);
}

size_t
publisher_backlog(const struct publisher *p)
{
	return p ? p->waiting + p->in_flight : 0;
}
