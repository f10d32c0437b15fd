/*
 * trigger_background.h: a responder's accept loop drives the publishing of
 * its triggers' live events (engine/trigger.h) between requests, through
 * the loop's background hook (http/fcgi_loop.h), so that no request waits
 * for nginx.
 */
#ifndef PIPELIT_POOL_TRIGGER_BACKGROUND_H
#define PIPELIT_POOL_TRIGGER_BACKGROUND_H

#include "http/fcgi_loop.h"

struct http_ctx;

/* The hook for a loop serving ctx (which must outlive it). */
struct fcgi_background trigger_background(struct http_ctx *ctx);

#endif
