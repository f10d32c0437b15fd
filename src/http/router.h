/*
 * router.h: matching a request's method and path against the route table.
 *
 * A route's path is a template such as "/api/v1/workflows/{slug}/nodes/";
 * a {name} segment matches one non-empty path segment, and a last
 * {name*} the non-empty rest of the path, slashes included (a webhook's
 * path).  A route whose method is ROUTE_ANY_METHOD takes every method: its
 * handler decides.  The table is
 * scanned in order and the first route matching both path and method wins,
 * so literal routes ("/workflows/node-types/") are listed before the
 * {param} routes they would otherwise collide with.
 *
 * The matcher is a pure function over the raw (still percent-encoded)
 * path: it allocates nothing and never touches FastCGI, so it is tested on
 * its own (t/unit/test_router.c).  Parameter values are slices of the
 * path; the request layer decodes them.
 */
#ifndef PIPELIT_ROUTER_H
#define PIPELIT_ROUTER_H

#include <stddef.h>

struct req;

enum auth_level {
	AUTH_NONE = 0,
	AUTH_USER,
	AUTH_ADMIN,
	AUTH_USER_KEPT,            /* AUTH_USER, and a key this responder kept may go
				    * ahead unread: the handler confirms it in its
				    * write (http/auth.h) */
};

enum route_flags {
	ROUTE_JSON_BODY = 1 << 0,  /* takes a JSON body: parsed (or 422) before the handler */
	ROUTE_TEST_ONLY = 1 << 1,  /* exists only with PIPELIT_TEST_ROUTES */
	ROUTE_OPTIONAL_BODY = 1 << 2,  /* with ROUTE_JSON_BODY: an empty body is no body
					  (req_json() NULL), not a 422 */
};

/* A handler answers through resp_*() and returns their result; -1 without
 * having answered makes the dispatcher send a 500. */
typedef int (*route_handler)(struct req *r);

#define ROUTE_ANY_METHOD "*"

struct route {
	const char *method;
	const char *path;
	route_handler handler;
	enum auth_level auth;
	unsigned flags;
};

struct router {
	const struct route *routes;
	size_t n;
	unsigned skip_flags;       /* routes with any of these flags are invisible */
};

#define ROUTE_MAX_PARAMS 8

struct route_param {
	const char *name;          /* points into the template, not NUL-terminated */
	size_t name_len;
	const char *value;         /* points into the path, not NUL-terminated */
	size_t value_len;
};

enum route_outcome {
	ROUTE_MATCH,               /* m->route and m->params are set */
	ROUTE_NOT_FOUND,
	ROUTE_WRONG_METHOD,        /* the path exists; m->allow lists its methods */
	ROUTE_WRONG_SLASH,         /* the path with its trailing slash toggled exists */
};

struct route_match {
	const struct route *route;
	int nparams;
	struct route_param params[ROUTE_MAX_PARAMS];
	char allow[96];            /* "GET, HEAD, POST" for ROUTE_WRONG_METHOD */
};

/*
 * Matches method and path (path_len bytes, no query string).  HEAD is
 * answered by GET routes.  Never fails: the outcome says what to answer.
 */
enum route_outcome router_match(const struct router *rt, const char *method, const char *path,
				size_t path_len, struct route_match *m);

/*
 * Writes path with its trailing slash added or removed into buf (NUL-
 * terminated).  Returns the length, or -1 when it does not fit.
 */
int router_toggle_slash(const char *path, size_t path_len, char *buf, size_t bufsize);

#endif
