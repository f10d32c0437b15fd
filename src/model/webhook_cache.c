/* webhook_cache.c: see webhook_cache.h. */
#include "model/webhook_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* A host's busy webhooks are a handful; past this many the memory starts
 * over rather than keep a policy for what to evict. */
#define WEBHOOK_CACHE_MAX 32

struct entry {
	char *path;                  /* NULL: free */
	struct webhook_target target;
};

/* This process's (a responder serves one request at a time). */
static struct entry entries[WEBHOOK_CACHE_MAX];

static void
entry_clear(struct entry *e)
{
	if (e->path == NULL)
		return;
	free(e->path);
	webhook_target_free(&e->target);
	e->path = NULL;
}

static struct entry *
find(const char *path)
{
	for (size_t i = 0; i < WEBHOOK_CACHE_MAX; i++)
		if (entries[i].path != NULL && strcmp(entries[i].path, path) == 0)
			return &entries[i];
	return NULL;
}

const struct webhook_target *
webhook_cache_find(const char *path)
{
	const struct entry *e = find(path);
	return e != NULL ? &e->target : NULL;
}

void
webhook_cache_put(const char *path, const struct webhook_target *t)
{
	struct entry *e = find(path);
	for (size_t i = 0; e == NULL && i < WEBHOOK_CACHE_MAX; i++)
		if (entries[i].path == NULL)
			e = &entries[i];
	if (e == NULL) {
		for (size_t i = 0; i < WEBHOOK_CACHE_MAX; i++)
			entry_clear(&entries[i]);
		e = &entries[0];
	}
	entry_clear(e);
	e->path = xstrdup(path);
	webhook_target_copy(&e->target, t);
}

void
webhook_cache_forget(const char *path)
{
	struct entry *e = find(path);
	if (e != NULL)
		entry_clear(e);
}
