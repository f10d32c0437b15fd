/*
 * credential_cache.h: the credentials an executor read in the last
 * second.  A burst of agents that call one provider reads its credential
 * once instead of once per agent (a round trip each on PostgreSQL, and a
 * decryption).  An edit or a delete reaches the executor's next read at
 * most CREDENTIAL_CACHE_MS later: a run that started just before the
 * edit might have read the old value anyway.
 */
#ifndef PIPELIT_ENGINE_CREDENTIAL_CACHE_H
#define PIPELIT_ENGINE_CREDENTIAL_CACHE_H

#include <stdint.h>

#include "model/credential.h"

#define CREDENTIAL_CACHE_MS 1000
#define CREDENTIAL_CACHE_MAX 16

struct credential_cache;

struct credential_cache *credential_cache_new(void);
void credential_cache_free(struct credential_cache *c);

/* Credential id of owner as read at most CREDENTIAL_CACHE_MS before
 * now_ms (borrowed until the next call), or NULL. */
const struct credential *credential_cache_get(struct credential_cache *c, int64_t id,
					      int64_t owner, int64_t now_ms);
/* Keeps *cred, read for owner at now_ms (taken: *cred is cleared); the
 * credential as kept (borrowed as credential_cache_get's). */
const struct credential *credential_cache_put(struct credential_cache *c, int64_t owner,
					      struct credential *cred, int64_t now_ms);

#endif
