/*
 * auth.h: who is asking.  The dispatcher calls auth_require() for every
 * route whose level is not AUTH_NONE, before the body is read or validated
 * (a request with no credentials and a bad body is a 401, not a 422).
 *
 * Bearer tokens are looked up by their SHA-256 (an indexed equality on
 * api_keys.key_hash), never by a password hash and never by a scan; the
 * checks and their details follow pipelit-api.md section 1.3.  Nothing is
 * cached across requests, so a revoked key fails on the very next request
 * in every responder.
 */
#ifndef PIPELIT_HTTP_AUTH_H
#define PIPELIT_HTTP_AUTH_H

#include "http/router.h"

struct req;

/* 0 when the handler may run (r->user is set); otherwise the request has
 * been answered (401 with WWW-Authenticate: Bearer, or 403 for AUTH_ADMIN). */
int auth_require(struct req *r, enum auth_level level);

#endif
