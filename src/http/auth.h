/*
 * auth.h: who is asking.  The dispatcher calls auth_require() for every
 * route whose level is not AUTH_NONE, before the body is read or validated
 * (a request with no credentials and a bad body is a 401, not a 422).
 *
 * Bearer tokens are looked up by their SHA-256 (an indexed equality on
 * api_keys.key_hash), never by a password hash and never by a scan; the
 * checks and their details follow pipelit-api.md section 1.3.
 *
 * A revoked key fails on the very next request in every responder.  Only
 * the routes of level AUTH_USER_KEPT (a trigger's start) may go ahead on a
 * key this responder authenticated before (model/key_cache.h), unread; the
 * start's own statement confirms it (exec_start.confirm_key), and
 * auth_kept_key_confirmed() says so.  Any other answer to such a request
 * (a refusal, a 422, a 503) reads the key first (auth_confirm_kept(), from
 * the response's send): a key that no longer stands gets its 401 instead.
 */
#ifndef PIPELIT_HTTP_AUTH_H
#define PIPELIT_HTTP_AUTH_H

#include "http/router.h"

struct req;

/* 0 when the handler may run (r->user is set); otherwise the request has
 * been answered (401 with WWW-Authenticate: Bearer, or 403 for AUTH_ADMIN). */
int auth_require(struct req *r, enum auth_level level);

/* The write that ran on a kept key confirmed it: the answer may go. */
void auth_kept_key_confirmed(struct req *r);

/* For a request that went ahead on a kept key not confirmed yet: forgets
 * it and reads it again.  0 when the key stands (r->user as read now) or
 * was not kept; otherwise the request has been answered (401, or 503). */
int auth_confirm_kept(struct req *r);

/* For the response's send: 1 when the answer may go (no kept key is left
 * unconfirmed, or it stands when read again); 0 when the request has been
 * answered instead (the key's 401, or a 503). */
int auth_answer_may_go(struct req *r);

#endif
