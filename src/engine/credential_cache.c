/* credential_cache.c: see credential_cache.h. */
#include "credential_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct cached {
	int64_t owner;
	int64_t read_ms;
	struct credential cred;      /* cred.id 0: a free slot */
};

struct credential_cache {
	struct cached slots[CREDENTIAL_CACHE_MAX];
};

struct credential_cache *
credential_cache_new(void)
{
	return xcalloc(1, sizeof(struct credential_cache));
}

void
credential_cache_free(struct credential_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < CREDENTIAL_CACHE_MAX; i++)
		credential_free(&c->slots[i].cred);
	free(c);
}

const struct credential *
credential_cache_get(struct credential_cache *c, int64_t id, int64_t owner, int64_t now_ms)
{
	for (size_t i = 0; i < CREDENTIAL_CACHE_MAX; i++) {
		struct cached *s = &c->slots[i];
		if (s->cred.id != id || s->owner != owner)
			continue;
		if (now_ms - s->read_ms <= CREDENTIAL_CACHE_MS && now_ms >= s->read_ms)
			return &s->cred;
		credential_free(&s->cred);
		memset(s, 0, sizeof *s);
	}
	return NULL;
}

const struct credential *
credential_cache_put(struct credential_cache *c, int64_t owner, struct credential *cred,
		     int64_t now_ms)
{
	/* The slot of the same credential, else a free one, else the oldest. */
	size_t at = 0;
	for (size_t i = 0; i < CREDENTIAL_CACHE_MAX; i++) {
		struct cached *s = &c->slots[i];
		if ((s->cred.id == cred->id && s->owner == owner) || s->cred.id == 0) {
			at = i;
			break;
		}
		if (s->read_ms < c->slots[at].read_ms)
			at = i;
	}
	credential_free(&c->slots[at].cred);
	c->slots[at] = (struct cached){ .owner = owner, .read_ms = now_ms, .cred = *cred };
	memset(cred, 0, sizeof *cred);
	return &c->slots[at].cred;
}
