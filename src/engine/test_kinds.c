/* test_kinds.c: see test_kinds.h. */
#include "test_kinds.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/outbound.h"
#include "net/transfer.h"
#include "util/xalloc.h"

static enum step
sleep_run(struct node_ctx *ctx)
{
	double s = json_number_value(json_object_get(ctx->extra_config, "seconds"));
	json_int_t runs = json_integer_value(json_object_get(ctx->extra_config, "sleeping_runs"));
	if (runs > 0 && ctx->attempt > runs)
		s = 0;
	if (s > 0 && s < 600) {
		struct timespec ts = { .tv_sec = (time_t)s,
				       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	ctx->result = json_pack("{s:f}", "slept", s);
	return STEP_DONE;
}

static enum step
flaky_run(struct node_ctx *ctx)
{
	json_int_t fails = json_integer_value(json_object_get(ctx->extra_config, "fail_times"));
	if (ctx->attempt <= fails)
		return node_fail(ctx, "flaky", "failing on purpose (run %d of the first %d)",
				 ctx->attempt, (int)fails);
	ctx->result = json_pack("{s:i}", "attempt", ctx->attempt);
	return STEP_DONE;
}

/* test_http: one GET on the executor's loop (a node that waits on I/O). */
struct http_wait {
	struct transfer base;        /* first: net/transfer.h */
	struct node_ctx *ctx;
	CURL *easy;
	struct outbound_guard guard;
	char *body;
	size_t len;
	CURLcode result;
	long status;
	int done;
};

static size_t
http_collect(char *p, size_t size, size_t n, void *arg)
{
	struct http_wait *h = arg;
	size_t add = size * n;
	if (h->len + add > 65536)
		return 0;                    /* a test answer is small */
	h->body = xrealloc(h->body, h->len + add + 1);
	memcpy(h->body + h->len, p, add);
	h->len += add;
	h->body[h->len] = '\0';
	return add;
}

static void
http_done(struct transfer *t, CURL *easy, CURLcode result)
{
	struct http_wait *h = (struct http_wait *)t;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &h->status);
	curl_multi_remove_handle(h->ctx->services->multi, easy);
	h->result = result;
	h->done = 1;
	h->ctx->ready = 1;
}

static void
http_free(struct node_ctx *ctx)
{
	struct http_wait *h = ctx->io;
	if (h == NULL)
		return;
	if (h->easy) {
		if (!h->done)
			curl_multi_remove_handle(ctx->services->multi, h->easy);
		curl_easy_cleanup(h->easy);
	}
	outbound_guard_free(&h->guard);
	free(h->body);
	free(h);
	ctx->io = NULL;
}

static enum step
http_run(struct node_ctx *ctx)
{
	const char *url = json_string_value(json_object_get(ctx->extra_config, "url"));
	if (url == NULL)
		return node_fail(ctx, "bad_config", "test_http needs extra_config.url");
	struct http_wait *h = xcalloc(1, sizeof *h);
	h->base.done = http_done;
	h->ctx = ctx;
	h->easy = curl_easy_init();
	ctx->io = h;
	if (h->easy == NULL || outbound_configure(h->easy, ctx->services->policy, url, 60000, 0,
						  0, &h->guard) != 0) {
		http_free(ctx);
		return node_fail(ctx, "bad_config", "test_http cannot fetch %s", url);
	}
	curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
	transfer_bind(h->easy, &h->base);
	if (curl_multi_add_handle(ctx->services->multi, h->easy) != CURLM_OK) {
		http_free(ctx);
		return node_fail(ctx, "http_failed", "the GET could not be started");
	}
	return STEP_WAITING;
}

static enum step
http_step(struct node_ctx *ctx)
{
	struct http_wait *h = ctx->io;
	if (!h->done)
		return STEP_WAITING;
	enum step step;
	if (h->result != CURLE_OK) {
		char *refused = outbound_refusal_text(&h->guard);
		step = node_fail(ctx, "http_failed", "GET failed: %s",
				 refused ? refused : curl_easy_strerror(h->result));
		free(refused);
	} else {
		ctx->result = json_pack("{s:i, s:s, s:i}", "status", (int)h->status,
					"body", h->body ? h->body : "", "attempt", ctx->attempt);
		step = STEP_DONE;
	}
	http_free(ctx);
	return step;
}

static const struct node_kind test_http = { .name = "test_http", .run = http_run,
					    .step = http_step, .cancel = http_free };
static const struct node_kind test_sleep = { .name = "test_sleep", .run = sleep_run };
static const struct node_kind test_flaky = { .name = "test_flaky", .run = flaky_run };

const struct node_kind *
engine_kind_find(const char *name, int test_kinds)
{
	if (test_kinds && strcmp(name, "test_sleep") == 0)
		return &test_sleep;
	if (test_kinds && strcmp(name, "test_flaky") == 0)
		return &test_flaky;
	if (test_kinds && strcmp(name, "test_http") == 0)
		return &test_http;
	return node_kind_find(name);
}
