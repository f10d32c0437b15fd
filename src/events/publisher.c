/* publisher.c: see publisher.h. */
#include "publisher.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#define UNIX_PREFIX "unix:"

struct pending {
	char *channel;
	char *url;
	char *body;
};

struct publisher {
	CURLM *multi;
	char *base;                  /* URL the channel is appended to */
	char *socket_path;           /* unix socket, or NULL */
	struct curl_slist *headers;
	struct pending *queue;       /* waiting events, oldest first */
	size_t count, cap;
	json_t *busy;                /* channels with a transfer in flight */
	size_t in_flight;
	int failing;                 /* logged the start of an outage */
	unsigned long dropped;
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
	p->cap = 64;
	p->queue = xcalloc(p->cap, sizeof *p->queue);
	p->busy = json_object();
	return p;
}

static void
pending_free(struct pending *e)
{
	free(e->channel);
	free(e->url);
	free(e->body);
}

void
publisher_free(struct publisher *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++)
		pending_free(&p->queue[i]);
	free(p->queue);
	json_decref(p->busy);
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

/* What travels with a transfer as its private pointer: who owns it (the
 * multi handle may carry other transfers) and the body to free. */
struct transfer {
	struct publisher *owner;
	char *channel;
	char *body;
};

/* Starts e's transfer; takes e's strings. */
static void
start(struct publisher *p, struct pending *e)
{
	CURL *c = curl_easy_init();
	if (c == NULL) {
		pending_free(e);
		return;
	}
	curl_easy_setopt(c, CURLOPT_URL, e->url);
	if (p->socket_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, p->socket_path);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	struct transfer *t = xcalloc(1, sizeof *t);
	t->owner = p;
	t->channel = e->channel;
	t->body = e->body;
	json_object_set_new(p->busy, e->channel, json_true());
	curl_easy_setopt(c, CURLOPT_PRIVATE, t);
	free(e->url);
	curl_multi_add_handle(p->multi, c);
	p->in_flight++;
}

/* Starts the oldest waiting event of every channel that has none in
 * flight: one transfer per channel at a time keeps each channel's events
 * in the order they were sent (nchan numbers them as they arrive). */
static void
start_waiting(struct publisher *p)
{
	size_t kept = 0;
	for (size_t i = 0; i < p->count; i++) {
		struct pending *e = &p->queue[i];
		if (p->in_flight < PUBLISHER_IN_FLIGHT && json_object_get(p->busy, e->channel) == NULL) {
			struct pending taken = *e;
			start(p, &taken);
		} else {
			p->queue[kept++] = *e;
		}
	}
	p->count = kept;
}

void
publisher_send(struct publisher *p, const char *channel, char *body)
{
	if (p == NULL) {
		free(body);
		return;
	}
	if (p->count == PUBLISHER_QUEUE_MAX) {
		pending_free(&p->queue[0]);
		memmove(p->queue, p->queue + 1, --p->count * sizeof *p->queue);
		if (p->dropped++ == 0)
			log_warn("live events: more than %d waiting; dropping the oldest",
				 PUBLISHER_QUEUE_MAX);
	}
	if (p->count == p->cap) {
		p->cap *= 2;
		p->queue = xrealloc(p->queue, p->cap * sizeof *p->queue);
	}
	struct pending *e = &p->queue[p->count++];
	e->channel = xstrdup(channel);
	e->url = xasprintf("%s%s", p->base, channel);
	e->body = body;
	start_waiting(p);
}

int
publisher_done(struct publisher *p, CURL *easy, CURLcode result)
{
	if (p == NULL)
		return 0;
	struct transfer *t = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
	if (t == NULL || t->owner != p)
		return 0;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(p->multi, easy);
	curl_easy_cleanup(easy);
	json_object_del(p->busy, t->channel);
	free(t->channel);
	free(t->body);
	free(t);
	p->in_flight--;
	int failed = result != CURLE_OK || status < 200 || status >= 300;
	if (failed && !p->failing)
		log_warn("live events: publishing failed (%s); further failures are not logged "
			 "until publishing works again",
			 result != CURLE_OK ? curl_easy_strerror(result) : "nginx answered an error");
	else if (!failed && p->failing)
		log_info("live events: publishing works again");
	p->failing = failed;
	start_waiting(p);
	return 1;
}

size_t
publisher_backlog(const struct publisher *p)
{
	return p ? p->count + p->in_flight : 0;
}
