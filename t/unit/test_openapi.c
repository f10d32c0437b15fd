/* test_openapi.c: the OpenAPI document served at /api/v1/openapi.json and
 * the route table agree: every route (test-only ones aside) is an
 * operation of the document, every operation is a route, and every $ref
 * names a schema the document has. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api/api.h"
#include "api/openapi.h"
#include "tap.h"
#include "util/config.h"

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static void
lower(const char *in, char *out, size_t size)
{
	size_t i = 0;
	for (; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/* The route's path as the document writes it: a tail parameter {name*}
 * (slashes included) is an OpenAPI {name}. */
static void
doc_path(const char *route_path, char *out, size_t size)
{
	size_t o = 0;
	for (const char *p = route_path; *p != '\0' && o + 1 < size; p++)
		if (!(*p == '*' && p[1] == '}'))
			out[o++] = *p;
	out[o] = '\0';
}

static const struct route *
route_of(const struct router *rt, const char *method, const char *path)
{
	for (size_t i = 0; i < rt->n; i++) {
		const struct route *ro = &rt->routes[i];
		char documented[256];
		doc_path(ro->path, documented, sizeof documented);
		if ((ro->flags & rt->skip_flags) == 0 &&
		    (strcasecmp(ro->method, method) == 0 || strcmp(ro->method, ROUTE_ANY_METHOD) == 0)
		    && strcmp(documented, path) == 0)
			return ro;
	}
	return NULL;
}

/* 0 when the document has the operation, with the route's authentication;
 * 1 (reported) otherwise. */
static size_t
check_operation(const struct route *ro, json_t *paths, const char *method)
{
	char path[256];
	doc_path(ro->path, path, sizeof path);
	json_t *op = json_object_get(json_object_get(paths, path), method);
	if (!json_is_object(op)) {
		diag("route %s %s is not in doc/openapi.json", method, ro->path);
		return 1;
	}
	/* An operation that needs no key says so (security: []), and one
	 * that does, does not. */
	json_t *security = json_object_get(op, "security");
	int open = json_is_array(security) && json_array_size(security) == 0;
	if (open != (ro->auth == AUTH_NONE)) {
		diag("%s %s: the document's security disagrees with the route", method, ro->path);
		return 1;
	}
	return 0;
}

static void
test_routes_documented(const struct router *rt, json_t *paths)
{
	/* A route of any method documents the ones callers use. */
	static const char *const any[] = { "get", "post", "put", "patch", "delete", NULL };
	size_t missing = 0;
	for (size_t i = 0; i < rt->n; i++) {
		const struct route *ro = &rt->routes[i];
		if (ro->flags & rt->skip_flags)
			continue;
		if (strcmp(ro->method, ROUTE_ANY_METHOD) == 0) {
			for (size_t m = 0; any[m] != NULL; m++)
				missing += check_operation(ro, paths, any[m]);
			continue;
		}
		char method[16];
		lower(ro->method, method, sizeof(method));
		missing += check_operation(ro, paths, method);
	}
	ok(missing == 0, "every route is in the document, with its authentication");
}

static void
test_operations_routed(const struct router *rt, json_t *paths)
{
	static const char *const methods[] = { "get", "put", "post", "patch", "delete", "head",
					       "options", "trace", NULL };
	size_t stray = 0, ops = 0;
	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item) {
		for (size_t m = 0; methods[m] != NULL; m++) {
			json_t *op = json_object_get(item, methods[m]);
			if (op == NULL)
				continue;
			ops++;
			if (route_of(rt, methods[m], path) == NULL) {
				diag("the document names %s %s, which is no route", methods[m], path);
				stray++;
			}
			int success = 0;
			const char *status;
			json_t *resp;
			json_object_foreach(json_object_get(op, "responses"), status, resp)
				success |= status[0] == '2';
			if (!success) {
				diag("%s %s has no success response", methods[m], path);
				stray++;
			}
		}
	}
	ok(ops > 0, "the document has operations (%zu)", ops);
	ok(stray == 0, "every operation of the document is a route, with a success answer");
}

/* Every "$ref" in v names a schema of the document. */
static size_t
dangling_refs(json_t *v, json_t *schemas)
{
	size_t n = 0;
	if (json_is_object(v)) {
		const char *key;
		json_t *sub;
		json_object_foreach(v, key, sub) {
			if (strcmp(key, "$ref") == 0 && json_is_string(sub)) {
				const char *prefix = "#/components/schemas/";
				const char *ref = json_string_value(sub);
				if (strncmp(ref, prefix, strlen(prefix)) != 0
				    || json_object_get(schemas, ref + strlen(prefix)) == NULL) {
					diag("dangling $ref %s", ref);
					n++;
				}
			} else {
				n += dangling_refs(sub, schemas);
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *sub;
		json_array_foreach(v, i, sub)
			n += dangling_refs(sub, schemas);
	}
	return n;
}

int
main(void)
{
	json_error_t err;
	json_t *doc = json_loadb(openapi_json, openapi_json_len, 0, &err);
	ok(doc != NULL, "the embedded document is JSON (%s)", doc ? "yes" : err.text);
	if (doc == NULL)
		return done_testing();
	is_int((long long)strlen(openapi_json), (long long)openapi_json_len, "embedded whole");
	const char *version = json_string_value(json_object_get(doc, "openapi"));
	is_str(version ? version : "", "3.1.0", "OpenAPI 3.1");
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct router rt;
	api_router_init(&rt, &cfg);
	json_t *paths = json_object_get(doc, "paths");
	test_routes_documented(&rt, paths);
	test_operations_routed(&rt, paths);
	ok(dangling_refs(doc, json_object_get(json_object_get(doc, "components"), "schemas")) == 0,
	   "every $ref names a schema of the document");
	json_decref(doc);
	return done_testing();
}
