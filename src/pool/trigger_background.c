/* trigger_background.c: see trigger_background.h. */
#include "pool/trigger_background.h"

#include "engine/trigger.h"
#include "http/request.h"

static int
fds(void *arg, struct pollfd *out, int max, int *timeout_ms)
{
	(void)arg;
	return engine_trigger_poll_fds(out, max, timeout_ms);
}

/* The database handle is the request context's current one: the wake-up
 * of the executors is a NOTIFY on it (the handle a trigger used may have
 * been reopened since). */
static void
run(void *arg)
{
	struct http_ctx *ctx = arg;
	engine_trigger_poll_run(ctx->db);
}

static void
finish(void *arg)
{
	struct http_ctx *ctx = arg;
	engine_trigger_flush(ctx->db, ENGINE_TRIGGER_FLUSH_MS);
}

struct fcgi_background
trigger_background(struct http_ctx *ctx)
{
	return (struct fcgi_background){ .fds = fds, .run = run, .finish = finish, .arg = ctx };
}
