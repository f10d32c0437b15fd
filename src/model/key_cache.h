/*
 * key_cache.h: a responder's memory of the API keys it authenticated, for
 * the routes that confirm the key in their own write (http/auth.h,
 * AUTH_USER_KEPT: a trigger's start).
 *
 * Reading a key is one indexed query joining its user; on SQLite, after
 * another process's commit, that query re-reads its pages from the file
 * (a handful of system calls), and on PostgreSQL it is a round trip.  A
 * key kept here only lets a request go ahead: the start's own statement
 * checks that the key is still active and its user's, and that the user
 * is active with the role kept (API_KEY_STILL_STANDS_SQL), and writes
 * nothing otherwise; the caller then forgets the entry and reads the key
 * again.  So a revocation still refuses the very next request.  What the
 * row cannot change unread (its expiry, the mark of its last use) bounds
 * how long an entry is used (api_key_authenticate's stands_until).
 *
 * One per process, not shared; bounded (full, it starts over).
 */
#ifndef PIPELIT_MODEL_KEY_CACHE_H
#define PIPELIT_MODEL_KEY_CACHE_H

#include <stdint.h>

#include "crypto/crypto.h"
#include "model/api_key.h"
#include "model/user.h"

struct kept_key {
	char hash[API_KEY_HASH_HEX_LEN + 1];
	struct user user;
	struct api_key_caller caller;
	int64_t until;               /* epoch s: used only before then */
};

/* The key kept for this token hash that may still be used at now, or
 * NULL; owned here, valid until the next put or forget. */
const struct kept_key *key_cache_find(const char *hash_hex, int64_t now);
/* Keeps k (copied). */
void key_cache_put(const struct kept_key *k);
/* Forgets the key of this hash (its verdict did not stand). */
void key_cache_forget(const char *hash_hex);

#endif
