/* responder.c: a FastCGI responder, one of the pool's children. */
#include "children.h"

#include "api/api.h"
#include "crypto/crypto.h"
#include "http/fcgi_loop.h"
#include "http/request.h"
#include "util/config.h"
#include "util/log.h"

const char *
child_kind_name(enum child_kind kind)
{
	return kind == CHILD_RESPONDER ? "responder" : "executor";
}

int
responder_main(const struct config *cfg, int listen_fd)
{
	log_set_tag("Responder");
	if (crypto_init() != 0) {
		log_error("libsodium failed to initialise");
		return 1;
	}
	struct router routes;
	api_router_init(&routes, cfg);
	struct http_ctx ctx;
	http_ctx_init(&ctx, cfg, &routes);
	/* Opened now so the first request does not pay for it; a failure is
	 * logged and retried by later requests (/health reports it). */
	http_ctx_db(&ctx);
	int rc = fcgi_serve(listen_fd, &ctx, cfg->max_requests);
	http_ctx_close(&ctx);
	return rc == 0 ? 0 : 1;
}
