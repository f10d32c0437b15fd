/*
 * request.h: one HTTP request as a handler sees it.
 *
 * A struct req lives on the responder's stack for the duration of one
 * request.  Strings it hands out stay valid until the response is sent;
 * handlers never free them.  The per-process state (configuration, the
 * database handle) lives in struct http_ctx, owned by the responder.
 */
#ifndef PIPELIT_REQUEST_H
#define PIPELIT_REQUEST_H

#include <fcgiapp.h>
#include <jansson.h>
#include <stddef.h>

#include "crypto/crypto.h"
#include "http/query.h"
#include "http/router.h"
#include "model/user.h"

struct answer_cache;
struct config;
struct db;
struct scoreboard;

/* Per process: one of these per responder, set up once at start. */
struct http_ctx {
	const struct config *cfg;
	struct router router;
	struct db *db;             /* owned; NULL until opened or after a failure */
	int db_failed;             /* the last open or ping failed (log transitions only) */
	unsigned long requests;    /* requests served by this process */
	long pid;                  /* this process's, for request ids (one system call less each) */
	int gate_fds[64];          /* owned; password_gate.c's slot files, opened on first use */
	int gate_n;                /* how many of gate_fds are open; -1 before the first use */
	struct answer_cache *details;  /* owned; rendered workflow details, NULL when off */
	const struct scoreboard *scoreboard; /* the pool's, for /status; NULL outside a pool */
	/* Work a handler left for after its answer is complete
	 * (req_after_response); the accept loop runs it and clears it. */
	void (*after_response)(void);
};

/* Sets up the per-process state; the database is opened on first use.
 * routes is the HTTP surface (copied): the caller brings it (api_router_init
 * in src/api/), so the HTTP core knows no feature. */
void http_ctx_init(struct http_ctx *ctx, const struct config *cfg, const struct router *routes);
/* Closes the database handle, if any. */
void http_ctx_close(struct http_ctx *ctx);
/* The process's database handle, opening it when needed; NULL when the
 * database cannot be opened (logged once per outage, not per request). */
struct db *http_ctx_db(struct http_ctx *ctx);
/* Drops the handle after a failure so the next use reopens it. */
void http_ctx_db_failed(struct http_ctx *ctx);

#define REQ_PATH_MAX 4096
#define REQ_QUERY_INLINE 1024
/* A longer query string, or one with more parameters, is refused with a
 * 414 rather than cut: a dropped parameter could skip a check. */
#define REQ_QUERY_MAX_BYTES 4096
#define REQ_QUERY_MAX_ITEMS 64
/* Room for a Location of the longest path and query besides the rest. */
#define REQ_EXTRA_HEADERS (1024 + REQ_PATH_MAX + REQ_QUERY_MAX_BYTES)
#define REQ_ID_MAX 68

struct req {
	FCGX_Request *fcgi;
	struct http_ctx *ctx;
	const struct config *cfg;

	const char *method;        /* from the web server; valid for the request */
	size_t path_len;
	const char *query_string;  /* raw, without '?'; "" when absent */
	const char *content_type;  /* NULL when absent */
	const char *authorization; /* NULL when absent */
	long content_length;       /* -1 when absent */

	const struct route *route;
	struct route_match match;
	struct user user;          /* set by auth_require() for protected routes */
	int has_user;
	int64_t key_id;            /* the API key the request came with (auth_require) */
	int key_is_session;        /* ... and whether it is the login session key */
	int key_unconfirmed;       /* the key was taken from this responder's memory
				    * (AUTH_USER_KEPT) and no write has confirmed it yet:
				    * it is read again before any answer (http/auth.h) */
	char key_hash[API_KEY_HASH_HEX_LEN + 1];   /* with key_unconfirmed */
	size_t extra_len_at_auth;  /* with key_unconfirmed: the headers set before it */
	const char *param_values[ROUTE_MAX_PARAMS];

	int query_parsed;
	int query_count;
	char *query_heap;          /* owned; for query strings that do not fit inline */

	char *body;                /* owned; NUL-terminated; NULL when not read */
	size_t body_len;
	json_t *json;              /* owned; parsed lazily by req_json() */
	json_error_t json_error;
	int json_state;            /* 0 not parsed, 1 parsed, -1 invalid */

	int responded;
	int status;
	/* Names the request in log lines and the X-Request-Id header: nginx's
	 * $request_id (the REQUEST_ID parameter), else "<pid>-<n>". */
	char request_id[REQ_ID_MAX];
	int head_only;             /* HEAD: headers only */
	size_t extra_len;

	/* Buffers: only their used prefixes are ever read, so req_init()
	 * leaves them uncleared. */
	char path[REQ_PATH_MAX];   /* raw (percent-encoded) path, without the query */
	char params_buf[REQ_PATH_MAX];   /* decoded path params, NUL-separated */
	struct query_item query[REQ_QUERY_MAX_ITEMS];
	char query_inline[REQ_QUERY_INLINE];
	char extra_headers[REQ_EXTRA_HEADERS];
};

/*
 * Fills r from the FastCGI parameters.  Returns 0, or the HTTP status to
 * answer with (400 missing or garbled method/URI, 414 path or query string
 * too long).
 */
int req_init(struct req *r, struct http_ctx *ctx, FCGX_Request *fcgi);
/* Frees what the request owns. */
void req_cleanup(struct req *r);

/* fn runs once this request's answer is complete and sent (the caller is
 * not kept waiting for it), before the process takes another request.
 * One per request; a second call replaces the first. */
void req_after_response(struct req *r, void (*fn)(void));
/* Runs and clears the work left by req_after_response (the accept loop,
 * after it finished a request). */
void http_ctx_after_response(struct http_ctx *ctx);

/* Decodes the matched route's path parameters into r. */
void req_set_route(struct req *r, const struct route_match *m);

/* A path parameter by name, percent-decoded; NULL when the route has none. */
const char *req_param(const struct req *r, const char *name);
/* Parses the query string; 0, or -1 when it has more than
 * REQ_QUERY_MAX_ITEMS parameters (the request is then to be refused). */
int req_parse_query(struct req *r);
/* A query parameter (the last occurrence), decoded; NULL when absent. */
const char *req_query(struct req *r, const char *name);

/*
 * Reads the body (up to cfg->max_body_bytes).  Returns 0, or 413 when it
 * is larger, or 400 when the stream breaks off.
 */
int req_read_body(struct req *r);

/* The parsed JSON body (borrowed), or NULL when it is missing or invalid;
 * r->json_state and r->json_error tell which. */
json_t *req_json(struct req *r);

/* http_ctx_db() and http_ctx_db_failed() for the request's process. */
struct db *req_db(struct req *r);
void req_db_failed(struct req *r);

#endif
