/* request.c: see request.h. */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/db_health.h"
#include "http/password_gate.h"
#include "util/answer_cache.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

/* An HTTP method is a token: uppercase letters here, as every client sends. */
static int
method_is_valid(const char *m)
{
	if (m == NULL || *m == '\0' || strlen(m) > 16)
		return 0;
	for (const char *p = m; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return 0;
	return 1;
}

/* Printable ASCII only: anything else in a request target is garbled. */
static int
uri_is_clean(const char *uri)
{
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

static long
content_length_of(const char *s)
{
	if (s == NULL || *s == '\0')
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return -2;
	return v;
}

/* The web server's id when it is a plain token (nginx's $request_id is 32
 * hex digits); anything else is ignored so a log line cannot be forged. */
static int
request_id_is_clean(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n >= REQ_ID_MAX)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

static void
set_request_id(struct req *r, const char *given)
{
	if (request_id_is_clean(given))
		snprintf(r->request_id, sizeof(r->request_id), "%s", given);
	else
		snprintf(r->request_id, sizeof(r->request_id), "%ld-%lu", r->ctx->pid,
			 r->ctx->requests + 1);
}

static void
req_reset(struct req *r, struct http_ctx *ctx, FCGX_Request *fcgi)
{
	memset(r, 0, offsetof(struct req, path));
	r->fcgi = fcgi;
	r->ctx = ctx;
	r->cfg = ctx->cfg;
	r->query_string = "";
	r->path[0] = '\0';
	r->extra_headers[0] = '\0';
}

int
req_init(struct req *r, struct http_ctx *ctx, FCGX_Request *fcgi)
{
	req_reset(r, ctx, fcgi);
	/* A handle that cannot write as it is (db_health.h) is replaced
	 * before a request starts, never while one holds its statements. */
	if (ctx->db != NULL && db_needs_reopen(ctx->db)) {
		db_close(ctx->db);
		ctx->db = NULL;
	}
	char **env = fcgi->envp;
	set_request_id(r, FCGX_GetParam("REQUEST_ID", env));
	r->method = FCGX_GetParam("REQUEST_METHOD", env);
	const char *uri = FCGX_GetParam("REQUEST_URI", env);
	r->content_type = FCGX_GetParam("CONTENT_TYPE", env);
	r->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", env);
	r->content_length = content_length_of(FCGX_GetParam("CONTENT_LENGTH", env));
	if (r->method == NULL)
		r->method = "";
	r->head_only = strcmp(r->method, "HEAD") == 0;
	if (!method_is_valid(r->method) || uri == NULL || uri[0] != '/' || !uri_is_clean(uri) ||
	    r->content_length == -2)
		return 400;
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);
	if (plen >= sizeof(r->path))
		return 414;
	memcpy(r->path, uri, plen);
	r->path[plen] = '\0';
	r->path_len = plen;
	r->query_string = q ? q + 1 : "";
	if (strlen(r->query_string) > REQ_QUERY_MAX_BYTES)
		return 414;
	return 0;
}

void
req_cleanup(struct req *r)
{
	free(r->query_heap);
	free(r->body);
	json_decref(r->json);
	r->query_heap = NULL;
	r->body = NULL;
	r->json = NULL;
}

void
req_set_route(struct req *r, const struct route_match *m)
{
	r->route = m->route;
	r->match = *m;
	/* Decoding never lengthens, and the values are slices of r->path, so
	 * they always fit in a buffer of the path's size. */
	size_t used = 0;
	for (int i = 0; i < m->nparams; i++) {
		char *dst = r->params_buf + used;
		used += percent_decode(m->params[i].value, m->params[i].value_len, dst, 0) + 1;
		r->param_values[i] = dst;
	}
}

const char *
req_param(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < r->match.nparams; i++)
		if (r->match.params[i].name_len == n &&
		    memcmp(r->match.params[i].name, name, n) == 0)
			return r->param_values[i];
	return NULL;
}

int
req_parse_query(struct req *r)
{
	if (r->query_parsed)
		return r->query_count < 0 ? -1 : 0;
	size_t len = strlen(r->query_string);
	/* Each item adds two terminators; twice the length always suffices. */
	size_t need = 2 * len + 2;
	char *buf = r->query_inline;
	if (need > sizeof(r->query_inline))
		buf = r->query_heap = xmalloc(need);
	int n = query_parse(r->query_string, len, buf, need > sizeof(r->query_inline) ? need :
			    sizeof(r->query_inline), r->query, REQ_QUERY_MAX_ITEMS);
	/* The buffer always suffices, so -1 means too many parameters. */
	r->query_count = n;
	r->query_parsed = 1;
	return n < 0 ? -1 : 0;
}

const char *
req_query(struct req *r, const char *name)
{
	if (req_parse_query(r) != 0)
		return NULL;
	return query_get(r->query, r->query_count, name);
}

int
req_read_body(struct req *r)
{
	long max = r->cfg->max_body_bytes;
	if (r->body != NULL)
		return 0;
	if (r->content_length > max)
		return 413;
	/* Trust Content-Length for the first allocation, but never past the
	 * limit; a body without one grows as it arrives. */
	size_t cap = r->content_length >= 0 ? (size_t)r->content_length + 1 : 4096;
	r->body = xmalloc(cap);
	size_t len = 0;
	for (;;) {
		if (len + 1 >= cap) {
			if ((long)len > max)
				break;
			cap *= 2;
			r->body = xrealloc(r->body, cap);
		}
		int n = FCGX_GetStr(r->body + len, (int)(cap - len - 1), r->fcgi->in);
		if (n <= 0)
			break;
		len += (size_t)n;
		if ((long)len > max)
			break;
	}
	r->body[len] = '\0';
	r->body_len = len;
	if ((long)len > max)
		return 413;
	if (FCGX_GetError(r->fcgi->in) != 0)
		return 400;
	return 0;
}

/* Deeper than any real body; the stored copies of request values must fit
 * inside answers (and JSON parsers) with room to spare. */
#define REQ_JSON_MAX_DEPTH 256

/* 1 when v nests deeper than limit levels of arrays and objects. */
static int
nested_deeper_than(const json_t *v, int limit)
{
	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (limit <= 0)
		return 1;
	size_t i;
	const char *key;
	json_t *child;
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if (nested_deeper_than(child, limit - 1))
				return 1;
	} else {
		json_object_foreach((json_t *)v, key, child)
			if (nested_deeper_than(child, limit - 1))
				return 1;
	}
	return 0;
}

json_t *
req_json(struct req *r)
{
	if (r->json_state != 0)
		return r->json;
	if (r->body == NULL && req_read_body(r) != 0) {
		r->json_state = -1;
		return NULL;
	}
	r->json = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &r->json_error);
	if (r->json != NULL && nested_deeper_than(r->json, REQ_JSON_MAX_DEPTH)) {
		json_decref(r->json);
		r->json = NULL;
		memset(&r->json_error, 0, sizeof(r->json_error));
		snprintf(r->json_error.text, sizeof(r->json_error.text),
			 "arrays and objects nested more than %d levels deep", REQ_JSON_MAX_DEPTH);
	}
	r->json_state = r->json ? 1 : -1;
	return r->json;
}

void
http_ctx_init(struct http_ctx *ctx, const struct config *cfg, const struct router *routes)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->gate_n = -1;
	ctx->pid = (long)getpid();   /* set up in the process that serves */
	ctx->details = answer_cache_new((size_t)cfg->detail_cache_kb * 1024);
	ctx->router = *routes;
}

void
req_after_response(struct req *r, void (*fn)(void))
{
	r->ctx->after_response = fn;
}

void
http_ctx_after_response(struct http_ctx *ctx)
{
	void (*fn)(void) = ctx->after_response;
	ctx->after_response = NULL;
	if (fn != NULL)
		fn();
}

void
http_ctx_close(struct http_ctx *ctx)
{
	if (ctx->db != NULL)
		db_close(ctx->db);
	ctx->db = NULL;
	password_gate_close(ctx);
	answer_cache_free(ctx->details);
	ctx->details = NULL;
}

struct db *
http_ctx_db(struct http_ctx *ctx)
{
	if (ctx->db != NULL)
		return ctx->db;
	char *err = NULL;
	ctx->db = db_open(ctx->cfg->database_url, &err);
	if (ctx->db == NULL) {
		if (!ctx->db_failed)
			log_error("cannot open the database: %s", err ? err : "unknown error");
		ctx->db_failed = 1;
		free(err);
		return NULL;
	}
	if (ctx->db_failed)
		log_info("database handle reopened");
	ctx->db_failed = 0;
	return ctx->db;
}

void
http_ctx_db_failed(struct http_ctx *ctx)
{
	if (ctx->db == NULL)
		return;
	if (!ctx->db_failed)
		log_error("database check failed: %s; reopening on the next request",
			  db_errmsg(ctx->db));
	ctx->db_failed = 1;
	db_close(ctx->db);
	ctx->db = NULL;
}

struct db *
req_db(struct req *r)
{
	return http_ctx_db(r->ctx);
}

void
req_db_failed(struct req *r)
{
	http_ctx_db_failed(r->ctx);
}
