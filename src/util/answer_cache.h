/*
 * answer_cache.h: rendered answers a responder keeps, keyed by a row's id
 * and a revision that the database moves whenever the row's answer would
 * change (workflows.revision, kept by triggers; see the migration
 * 9d3f61a0c2b7).  The caller reads the current revision in the same read
 * transaction as it would render, so a kept answer is served only for the
 * exact state it was rendered from: never stale, only sometimes absent.
 *
 * One per process (struct http_ctx), never shared.  Bounded by bytes:
 * least recently used answers go first, and an answer larger than a
 * quarter of the budget is not kept.
 */
#ifndef PIPELIT_ANSWER_CACHE_H
#define PIPELIT_ANSWER_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct answer_cache;

/* NULL when max_bytes is 0: every call below accepts NULL as "no cache". */
struct answer_cache *answer_cache_new(size_t max_bytes);
void answer_cache_free(struct answer_cache *c);

/* The answer kept for (id, revision), or NULL; valid until the next put. */
const char *answer_cache_get(struct answer_cache *c, int64_t id, int64_t revision, size_t *len);

/* Keeps a copy of body as the answer for (id, revision), replacing what
 * was kept for id. */
void answer_cache_put(struct answer_cache *c, int64_t id, int64_t revision, const char *body,
		      size_t len);

#endif
