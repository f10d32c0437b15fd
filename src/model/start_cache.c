/* start_cache.c: see start_cache.h. */
#include "model/start_cache.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "model/start_target.h"
#include "util/xalloc.h"

/* A handful of workflows take a process's triggers; past this many the
 * cache starts over rather than keep a policy for what to evict. */
#define START_CACHE_MAX 64

struct entry {
	/* The lookup: */
	char *slug, *trigger_type, *trigger_node_id;   /* the last two may be NULL */
	int64_t owner;
	/* Its answer (target.trigger_node_id owned here): */
	struct start_target target;
};

struct start_cache {
	struct entry entries[START_CACHE_MAX];
	size_t n;
};

struct start_cache *
start_cache_new(void)
{
	return xcalloc(1, sizeof(struct start_cache));
}

static void
entry_clear(struct entry *e)
{
	free(e->slug);
	free(e->trigger_type);
	free(e->trigger_node_id);
	free(e->target.trigger_node_id);
	memset(e, 0, sizeof *e);
}

void
start_cache_clear(struct start_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->entries[i]);
	c->n = 0;
}

void
start_cache_free(struct start_cache *c)
{
	start_cache_clear(c);
	free(c);
}

static int
same_or_both_null(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static struct entry *
find(const struct start_cache *c, const struct exec_start *rq)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct entry *e = &c->entries[i];
		if (e->owner == rq->owner && strcmp(e->slug, rq->workflow_slug) == 0 &&
		    same_or_both_null(e->trigger_type, rq->trigger_type) &&
		    same_or_both_null(e->trigger_node_id, rq->trigger_node_id))
			return (struct entry *)e;
	}
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int
start_cache_get(const struct start_cache *c, const struct exec_start *rq, struct start_target *t)
{
	const struct entry *e = c ? find(c, rq) : NULL;
	if (e == NULL)
		return 0;
	*t = e->target;
	t->trigger_node_id = dup_or_null(e->target.trigger_node_id);
	return 1;
}

void
start_cache_put(struct start_cache *c, const struct exec_start *rq, const struct start_target *t)
{
	if (c == NULL)
		return;
	struct entry *e = find(c, rq);
	if (e != NULL) {
		entry_clear(e);
	} else {
		if (c->n == START_CACHE_MAX)
			start_cache_clear(c);
		e = &c->entries[c->n++];
	}
	e->slug = xstrdup(rq->workflow_slug);
	e->trigger_type = dup_or_null(rq->trigger_type);
	e->trigger_node_id = dup_or_null(rq->trigger_node_id);
	e->owner = rq->owner;
	e->target = *t;
	e->target.trigger_node_id = dup_or_null(t->trigger_node_id);
}

int
start_cache_was_stale(struct db *db, int rc, int from_cache)
{
	return from_cache && rc == DB_FAILED && db_error_class(db) == DB_CLASS_CONSTRAINT;
}
