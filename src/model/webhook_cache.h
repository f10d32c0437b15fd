/*
 * webhook_cache.h: a responder's memory of the webhooks it delivered to.
 *
 * Finding a webhook's target is one read of five tables; on SQLite every
 * read after another process's commit re-reads its pages from the file
 * (the page cache goes with any change), a dozen system calls per
 * delivery under load.  A target kept here is used only to go ahead: the
 * execution's start checks in its own transaction that the workflow's
 * revision is still the one kept and that the owner is still active
 * (exec_start.expect_revision), and fails EXEC_STALE otherwise; the
 * caller then forgets the entry and delivers again from a fresh lookup.
 * A refusal (404, 405, 401, 429) is never decided on a kept target, and
 * webhooks with a rate or concurrency limit are not kept.
 *
 * One per process, not shared; bounded (full, it starts over).
 */
#ifndef PIPELIT_MODEL_WEBHOOK_CACHE_H
#define PIPELIT_MODEL_WEBHOOK_CACHE_H

#include "model/webhook.h"

/* path's kept target, or NULL; owned here, valid until the next put or
 * forget. */
const struct webhook_target *webhook_cache_find(const char *path);
/* Keeps a copy of t for path. */
void webhook_cache_put(const char *path, const struct webhook_target *t);
/* Forgets path's target (found stale). */
void webhook_cache_forget(const char *path);

#endif
