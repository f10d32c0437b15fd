/* responder.c: a FastCGI responder, one of the pool's children. */
#include "children.h"

#include <unistd.h>

#include "api/api.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "http/fcgi_loop.h"
#include "http/request.h"
#include "model/setting_live.h"
#include "pool/memory.h"
#include "pool/orphan.h"
#include "pool/scoreboard.h"
#include "pool/trigger_background.h"
#include "util/config.h"
#include "util/log.h"

const char *
child_kind_name(enum child_kind kind)
{
	return kind == CHILD_RESPONDER ? "responder"
	       : kind == CHILD_TRIGGER_WRITER ? "trigger writer" : "executor";
}

void
child_warm_up(struct db *db)
{
	if (db != NULL && db_warm_up(db) != 0)
		log_warn("warming the database session up failed (%s); going on without",
			 db_errmsg(db));
}

/* The loop's reports go to this responder's scoreboard entry. */
struct board_watch {
	const struct child_board *board;
	long long slow_ms;
	struct http_ctx *ctx;       /* for the settings check before a request */
};

static void
on_accepted(void *arg)
{
	const struct board_watch *bw = arg;
	scoreboard_accepted(bw->board->sb, bw->board->entry);
}

static void
on_begin(void *arg, const char *method, const char *uri)
{
	const struct board_watch *bw = arg;
	scoreboard_busy(bw->board->sb, bw->board->entry, method, uri);
	/* A change made elsewhere applies within SETTINGS_LIVE_DELAY_S. */
	settings_live_check(http_ctx_db(bw->ctx));
}

static void
on_end(void *arg, long long elapsed_ms)
{
	const struct board_watch *bw = arg;
	scoreboard_done(bw->board->sb, bw->board->entry, elapsed_ms >= bw->slow_ms);
	/* After the answer is sent: the freed memory of the busiest requests. */
	memory_give_back();
}

static int
pool_stopping(void *arg)
{
	const struct board_watch *bw = arg;
	if (bw->board->sb == NULL || orphan_master_gone() || getppid() != bw->board->master)
		return 0;
	return __atomic_load_n(&bw->board->sb->head.stopping, __ATOMIC_ACQUIRE) != 0;
}

static int
others_busy(void *arg)
{
	const struct board_watch *bw = arg;
	return scoreboard_others_busy(bw->board->sb, bw->board->entry);
}

static void
on_draining(void *arg)
{
	const struct board_watch *bw = arg;
	scoreboard_draining(bw->board->sb, bw->board->entry);
}

int
responder_main(const struct config *cfg, int listen_fd, const struct child_board *board)
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
	ctx.scoreboard = board->sb;
	/* Opened and warmed up now so the first request does not pay for it;
	 * a failure is logged and retried by later requests (/health reports
	 * it). */
	child_warm_up(http_ctx_db(&ctx));
	struct board_watch bw = { board, cfg->slow_request_seconds * 1000, &ctx };
	/* Triggers' live events go out between requests, never in them. */
	const struct fcgi_background background = trigger_background(&ctx);
	const struct fcgi_watch watch = {
		.accepted = on_accepted, .begin = on_begin, .end = on_end,
		.pool_stopping = pool_stopping, .others_busy = others_busy,
		.draining = on_draining, .arg = &bw, .background = &background,
	};
	scoreboard_idle(board->sb, board->entry);
	int rc = fcgi_serve(listen_fd, &ctx, cfg->max_requests, &watch);
	http_ctx_close(&ctx);
	return rc == 0 ? 0 : 1;
}
