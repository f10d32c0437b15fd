/* key_cache.c: see key_cache.h. */
#include "model/key_cache.h"

#include <string.h>

/* The keys that start executions on one host are a handful (a user's
 * scripts, the UI's sessions); past this many the memory starts over
 * rather than keep a policy for what to evict. */
#define KEY_CACHE_MAX 32

/* This process's (a responder serves one request at a time); an entry
 * whose hash is "" is free. */
static struct kept_key entries[KEY_CACHE_MAX];

static struct kept_key *
find(const char *hash_hex)
{
	for (size_t i = 0; i < KEY_CACHE_MAX; i++)
		if (entries[i].hash[0] != '\0' && strcmp(entries[i].hash, hash_hex) == 0)
			return &entries[i];
	return NULL;
}

const struct kept_key *
key_cache_find(const char *hash_hex, int64_t now)
{
	struct kept_key *k = find(hash_hex);
	if (k == NULL || now < k->until)
		return k;
	memset(k, 0, sizeof *k);   /* its time is up: read it again */
	return NULL;
}

void
key_cache_put(const struct kept_key *k)
{
	struct kept_key *e = find(k->hash);
	for (size_t i = 0; e == NULL && i < KEY_CACHE_MAX; i++)
		if (entries[i].hash[0] == '\0')
			e = &entries[i];
	if (e == NULL) {
		memset(entries, 0, sizeof entries);
		e = &entries[0];
	}
	*e = *k;
}

void
key_cache_forget(const char *hash_hex)
{
	struct kept_key *k = find(hash_hex);
	if (k != NULL)
		memset(k, 0, sizeof *k);
}
