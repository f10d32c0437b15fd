/* test_router.c: route matching and query string parsing. */
#include <string.h>

#include "http/query.h"
#include "http/router.h"
#include "tap.h"

static int h_list(struct req *r) { return 0; }
static int h_create(struct req *r) { return 0; }
static int h_types(struct req *r) { return 0; }
static int h_get(struct req *r) { return 0; }
static int h_nodes(struct req *r) { return 0; }
static int h_me(struct req *r) { return 0; }
static int h_health(struct req *r) { return 0; }
static int h_test(struct req *r) { return 0; }
static int h_hook(struct req *r) { return 0; }

static const struct route table[] = {
	{ "GET", "/health", h_health, AUTH_NONE, 0 },
	{ "GET", "/api/v1/workflows/", h_list, AUTH_USER, 0 },
	{ "POST", "/api/v1/workflows/", h_create, AUTH_USER, ROUTE_JSON_BODY },
	{ "GET", "/api/v1/workflows/node-types/", h_types, AUTH_USER, 0 },
	{ "GET", "/api/v1/workflows/{slug}/", h_get, AUTH_USER, 0 },
	{ "DELETE", "/api/v1/workflows/{slug}/", h_get, AUTH_USER, 0 },
	{ "GET", "/api/v1/workflows/{slug}/nodes/{node_id}/", h_nodes, AUTH_USER, 0 },
	{ "GET", "/api/v1/users/me", h_me, AUTH_USER, 0 },
	{ "GET", "/api/v1/_test/pid/", h_test, AUTH_NONE, ROUTE_TEST_ONLY },
	{ ROUTE_ANY_METHOD, "/api/v1/webhooks/{path*}", h_hook, AUTH_NONE, 0 },
};

static enum route_outcome
match(const struct router *rt, const char *method, const char *path, struct route_match *m)
{
	return router_match(rt, method, path, strlen(path), m);
}

static int
param_is(const struct route_match *m, int i, const char *name, const char *value)
{
	return i < m->nparams && m->params[i].name_len == strlen(name) &&
	       memcmp(m->params[i].name, name, strlen(name)) == 0 &&
	       m->params[i].value_len == strlen(value) &&
	       memcmp(m->params[i].value, value, strlen(value)) == 0;
}

static void
test_matching(void)
{
	struct router rt = { table, sizeof(table) / sizeof(table[0]), ROUTE_TEST_ONLY };
	struct route_match m;

	is_int(match(&rt, "GET", "/health", &m), ROUTE_MATCH, "exact literal route");
	ok(m.route && m.route->handler == h_health, "the right handler");
	is_int(m.nparams, 0, "no params");

	is_int(match(&rt, "GET", "/api/v1/workflows/abc/", &m), ROUTE_MATCH, "param route");
	ok(m.route->handler == h_get, "param route handler");
	ok(param_is(&m, 0, "slug", "abc"), "slug param captured");

	is_int(match(&rt, "GET", "/api/v1/workflows/node-types/", &m), ROUTE_MATCH,
	       "literal segment");
	ok(m.route->handler == h_types, "literal wins over {slug}");

	is_int(match(&rt, "DELETE", "/api/v1/workflows/node-types/", &m), ROUTE_MATCH,
	       "a method only the param route has falls through to it");
	ok(m.route->handler == h_get && param_is(&m, 0, "slug", "node-types"),
	   "param route takes the literal text");

	is_int(match(&rt, "GET", "/api/v1/workflows/w1/nodes/n%2F2/", &m), ROUTE_MATCH,
	       "two params");
	ok(param_is(&m, 0, "slug", "w1") && param_is(&m, 1, "node_id", "n%2F2"),
	   "params are raw slices in order");

	is_int(match(&rt, "GET", "/api/v1/workflows//nodes/n/", &m), ROUTE_NOT_FOUND,
	       "empty segment does not match a param");
	is_int(match(&rt, "GET", "/api/v1/workflows/a/b/", &m), ROUTE_NOT_FOUND,
	       "a param never spans a slash");
	is_int(match(&rt, "HEAD", "/health", &m), ROUTE_MATCH, "HEAD is served by GET");

	is_int(match(&rt, "PATCH", "/api/v1/webhooks/gh/push/x", &m), ROUTE_MATCH,
	       "a tail param with any method");
	ok(m.route->handler == h_hook && param_is(&m, 0, "path", "gh/push/x"),
	   "the tail param spans slashes and is named without its star");
	is_int(match(&rt, "OPTIONS", "/api/v1/webhooks/a/", &m), ROUTE_MATCH,
	       "the tail keeps a trailing slash");
	ok(param_is(&m, 0, "path", "a/"), "trailing slash is part of the tail");
	is_int(match(&rt, "POST", "/api/v1/webhooks/", &m), ROUTE_NOT_FOUND,
	       "an empty tail does not match");
}

static void
test_errors(void)
{
	struct router rt = { table, sizeof(table) / sizeof(table[0]), ROUTE_TEST_ONLY };
	struct route_match m;

	is_int(match(&rt, "GET", "/api/v1/nothing/", &m), ROUTE_NOT_FOUND, "unknown path");
	is_int(match(&rt, "GET", "/", &m), ROUTE_NOT_FOUND, "root");
	is_int(match(&rt, "GET", "", &m), ROUTE_NOT_FOUND, "empty path");

	is_int(match(&rt, "GET", "/api/v1/workflows", &m), ROUTE_WRONG_SLASH,
	       "missing trailing slash is detected");
	is_int(match(&rt, "GET", "/api/v1/users/me/", &m), ROUTE_WRONG_SLASH,
	       "extra trailing slash is detected");
	is_int(match(&rt, "POST", "/health/", &m), ROUTE_WRONG_SLASH,
	       "slash redirect does not depend on the method");

	is_int(match(&rt, "PUT", "/api/v1/workflows/", &m), ROUTE_WRONG_METHOD, "wrong method");
	is_str(m.allow, "GET, HEAD, POST", "Allow lists the path's methods once each");
	is_int(match(&rt, "POST", "/api/v1/workflows/x/", &m), ROUTE_WRONG_METHOD,
	       "wrong method on a param route");
	is_str(m.allow, "GET, HEAD, DELETE", "Allow for the param route");

	is_int(match(&rt, "GET", "/api/v1/_test/pid/", &m), ROUTE_NOT_FOUND,
	       "test routes are hidden unless enabled");
	rt.skip_flags = 0;
	is_int(match(&rt, "GET", "/api/v1/_test/pid/", &m), ROUTE_MATCH, "and present when enabled");

	char buf[64];
	is_int(router_toggle_slash("/a/b", 4, buf, sizeof(buf)), 5, "toggle adds a slash");
	is_str(buf, "/a/b/", "added");
	is_int(router_toggle_slash("/a/b/", 5, buf, sizeof(buf)), 4, "toggle removes a slash");
	is_str(buf, "/a/b", "removed");
	is_int(router_toggle_slash("/", 1, buf, sizeof(buf)), -1, "root has nothing to toggle");
	is_int(router_toggle_slash("/abc", 4, buf, 4), -1, "too small a buffer");
}

static void
test_query(void)
{
	char buf[256];
	struct query_item items[8];
	const char *qs = "a=1&b=hello+world&c=%41%42%2b&a=2&flag&&e=&x=%zz%4&y=%";
	int n = query_parse(qs, strlen(qs), buf, sizeof(buf), items, 8);
	is_int(n, 8, "eight items (empty piece skipped)");
	is_str(items[0].key, "a", "first key");
	is_str(items[1].value, "hello world", "'+' is a space");
	is_str(items[2].value, "AB+", "percent escapes are decoded");
	is_str(query_get(items, n, "a"), "2", "repeated key: the last one wins");
	is_str(items[4].key, "flag", "key without '='");
	is_str(items[4].value, "", "has an empty value");
	is_str(query_get(items, n, "e"), "", "empty value");
	is_str(query_get(items, n, "x"), "%zz%4", "malformed escapes are kept");
	is_str(query_get(items, n, "y"), "%", "a lone percent is kept");
	ok(query_get(items, n, "missing") == NULL, "absent key is NULL");

	const char *enc = "k%3Dy=v%26w";
	n = query_parse(enc, strlen(enc), buf, sizeof(buf), items, 8);
	ok(n == 1 && strcmp(items[0].key, "k=y") == 0 && strcmp(items[0].value, "v&w") == 0,
	   "encoded '=' and '&' do not split");

	is_int(query_parse("", 0, buf, sizeof(buf), items, 8), 0, "empty query");
	is_int(query_parse("a&b&c", 5, buf, sizeof(buf), items, 2), -1, "too many items");
	is_int(query_parse("abcdef=1", 8, buf, 4, items, 2), -1, "buffer too small");

	char out[16];
	is_int(percent_decode("a+b%20c", 7, out, 0), 5, "path decoding keeps '+'");
	is_str(out, "a+b c", "path decoding");
}

int
main(void)
{
	test_matching();
	test_errors();
	test_query();
	return done_testing();
}
