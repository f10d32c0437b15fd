/* router.c: see router.h. */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Walks template and path together.  Literal characters must be equal; a
 * {name} consumes one non-empty segment, a {name*} (last in a template)
 * the non-empty rest of the path, slashes included.  Returns 1 on a full
 * match.
 */
static int
template_matches(const char *tpl, const char *path, size_t len, struct route_match *m)
{
	size_t i = 0;
	int np = 0;
	while (*tpl != '\0') {
		if (*tpl != '{') {
			if (i >= len || path[i] != *tpl)
				return 0;
			i++;
			tpl++;
			continue;
		}
		const char *name = tpl + 1;
		const char *close = strchr(name, '}');
		if (close == NULL || np >= ROUTE_MAX_PARAMS)
			return 0;	/* a malformed table never matches */
		bool tail = close > name && close[-1] == '*';
		size_t start = i;
		while (i < len && (tail || path[i] != '/'))
			i++;
		if (i == start)
			return 0;
		if (m != NULL) {
			m->params[np].name = name;
			m->params[np].name_len = (size_t)(close - name) - (tail ? 1 : 0);
			m->params[np].value = path + start;
			m->params[np].value_len = i - start;
		}
		np++;
		tpl = close + 1;
	}
	if (i != len)
		return 0;
	if (m != NULL)
		m->nparams = np;
	return 1;
}

static int
method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0 || strcmp(route_method, ROUTE_ANY_METHOD) == 0)
		return 1;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

static int
route_visible(const struct router *rt, const struct route *r)
{
	return (r->flags & rt->skip_flags) == 0;
}

static void
allow_add(char *allow, size_t size, const char *method)
{
	size_t mlen = strlen(method);
	/* Already listed?  Compare whole comma-separated items. */
	for (const char *p = allow; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == mlen && strncmp(p, method, n) == 0)
			return;
		p = end ? end + 2 : p + n;
	}
	size_t used = strlen(allow);
	snprintf(allow + used, size - used, "%s%s", used ? ", " : "", method);
}

static int
path_exists(const struct router *rt, const char *path, size_t len)
{
	for (size_t i = 0; i < rt->n; i++)
		if (route_visible(rt, &rt->routes[i]) &&
		    template_matches(rt->routes[i].path, path, len, NULL))
			return 1;
	return 0;
}

enum route_outcome
router_match(const struct router *rt, const char *method, const char *path, size_t path_len,
	     struct route_match *m)
{
	memset(m, 0, offsetof(struct route_match, params));
	m->allow[0] = '\0';
	int path_seen = 0;
	for (size_t i = 0; i < rt->n; i++) {
		const struct route *r = &rt->routes[i];
		if (!route_visible(rt, r) || !template_matches(r->path, path, path_len, m))
			continue;
		if (method_matches(r->method, method)) {
			m->route = r;
			return ROUTE_MATCH;
		}
		path_seen = 1;
		allow_add(m->allow, sizeof(m->allow), r->method);
		if (strcmp(r->method, "GET") == 0)
			allow_add(m->allow, sizeof(m->allow), "HEAD");
	}
	m->nparams = 0;
	if (path_seen)
		return ROUTE_WRONG_METHOD;
	char other[4096];
	int n = router_toggle_slash(path, path_len, other, sizeof(other));
	if (n > 0 && path_exists(rt, other, (size_t)n))
		return ROUTE_WRONG_SLASH;
	return ROUTE_NOT_FOUND;
}

int
router_toggle_slash(const char *path, size_t path_len, char *buf, size_t bufsize)
{
	if (path_len == 0)
		return -1;
	size_t n = path[path_len - 1] == '/' ? path_len - 1 : path_len + 1;
	if (n == 0 || n + 1 > bufsize)
		return -1;
	if (n < path_len) {
		memcpy(buf, path, n);
	} else {
		memcpy(buf, path, path_len);
		buf[path_len] = '/';
	}
	buf[n] = '\0';
	return (int)n;
}
