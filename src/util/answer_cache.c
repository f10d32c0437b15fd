/* answer_cache.c: see answer_cache.h. */
#include "util/answer_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Few enough that a linear scan costs less than a hash would. */
#define MAX_ENTRIES 64

struct entry {
	int64_t id;
	int64_t revision;
	char *body;              /* owned; NULL for a free slot */
	size_t len;
	uint64_t last_used;
};

struct answer_cache {
	struct entry entries[MAX_ENTRIES];
	size_t max_bytes, bytes;
	uint64_t clock;          /* counts uses, for least-recently-used */
};

struct answer_cache *
answer_cache_new(size_t max_bytes)
{
	if (max_bytes == 0)
		return NULL;
	struct answer_cache *c = xcalloc(1, sizeof(*c));
	c->max_bytes = max_bytes;
	return c;
}

static void
drop(struct answer_cache *c, struct entry *e)
{
	c->bytes -= e->len;
	free(e->body);
	memset(e, 0, sizeof(*e));
}

void
answer_cache_free(struct answer_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (c->entries[i].body != NULL)
			drop(c, &c->entries[i]);
	free(c);
}

static struct entry *
find(struct answer_cache *c, int64_t id)
{
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (c->entries[i].body != NULL && c->entries[i].id == id)
			return &c->entries[i];
	return NULL;
}

const char *
answer_cache_get(struct answer_cache *c, int64_t id, int64_t revision, size_t *len)
{
	struct entry *e = c ? find(c, id) : NULL;
	if (e == NULL || e->revision != revision)
		return NULL;
	e->last_used = ++c->clock;
	*len = e->len;
	return e->body;
}

/* A free slot, or the least recently used one emptied. */
static struct entry *
free_slot(struct answer_cache *c)
{
	struct entry *oldest = NULL;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		struct entry *e = &c->entries[i];
		if (e->body == NULL)
			return e;
		if (oldest == NULL || e->last_used < oldest->last_used)
			oldest = e;
	}
	drop(c, oldest);
	return oldest;
}

static void
evict_oldest(struct answer_cache *c)
{
	struct entry *oldest = NULL;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		struct entry *e = &c->entries[i];
		if (e->body != NULL && (oldest == NULL || e->last_used < oldest->last_used))
			oldest = e;
	}
	if (oldest != NULL)
		drop(c, oldest);
}

void
answer_cache_put(struct answer_cache *c, int64_t id, int64_t revision, const char *body,
		 size_t len)
{
	if (c == NULL)
		return;
	struct entry *old = find(c, id);
	if (old != NULL)
		drop(c, old);
	if (len == 0 || len > c->max_bytes / 4)
		return;
	while (c->bytes + len > c->max_bytes)
		evict_oldest(c);
	struct entry *e = free_slot(c);
	e->id = id;
	e->revision = revision;
	e->body = xmalloc(len);
	memcpy(e->body, body, len);
	e->len = len;
	e->last_used = ++c->clock;
	c->bytes += len;
}
