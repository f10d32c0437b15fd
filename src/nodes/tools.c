/* tools.c: see tools.h. */
#include "tools.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "expr/strbuf.h"
#include "graph/tool_config.h"
#include "nodes/calculator.h"
#include "sched/tz.h"
#include "sched/tz_civil.h"
#include "util/json_schema_check.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* What the model is shown, per tool: the description and the parameters
 * (JSON Schema text). */
struct tool_spec {
	struct tool_info info;
	const char *description;
	const char *parameters;
};

static const struct tool_spec specs[] = {
	{ { "calculator", "calculator", TOOL_PURE },
	  "Evaluate an arithmetic expression and return the result. Supports numbers, + - * / "
	  "// % ** (power), unary minus and parentheses, with Python's rules (// is floor "
	  "division, / always gives a float). Example: (2 + 3) * 4 ** 2",
	  "{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\","
	  "\"description\":\"The arithmetic expression, e.g. (2 + 3) * 4\"}},"
	  "\"required\":[\"expression\"]}" },
	{ { "get_datetime", "get_datetime", TOOL_PURE },
	  NULL,  /* built from the node's time zone: datetime_description() */
	  "{\"type\":\"object\",\"properties\":{}}" },
	{ { "http_request", "http_request", TOOL_HTTP },
	  "Make an HTTP request to a URL and return the status code and the response body "
	  "(at most 4000 characters of it).",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"url\":{\"type\":\"string\",\"description\":\"The http:// or https:// URL to request\"},"
	  "\"method\":{\"type\":\"string\",\"description\":\"GET, POST, PUT, PATCH, DELETE or HEAD; "
	  "empty for the tool's default\"},"
	  "\"body\":{\"type\":\"string\",\"description\":\"The request body, if any (JSON is sent "
	  "as application/json)\"}},"
	  "\"required\":[\"url\"]}" },
	{ { "web_search", "web_search", TOOL_HTTP },
	  "Search the web and return the top results (title, summary and URL of each).",
	  "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\","
	  "\"description\":\"What to search for\"}},\"required\":[\"query\"]}" },
	{ { "memory_read", "recall", TOOL_MEMORY },
	  "Recall information from long-term memory. With no arguments: every global fact. With "
	  "key: that fact (or facts whose key resembles it). With query: facts, procedures and "
	  "episodes that match the words.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"key\":{\"type\":\"string\",\"description\":\"The exact key of a fact\"},"
	  "\"query\":{\"type\":\"string\",\"description\":\"Words to search for\"}}}" },
	{ { "memory_write", "remember", TOOL_MEMORY },
	  "Store a fact in long-term memory under a key, to recall it in later conversations.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"key\":{\"type\":\"string\",\"description\":\"A short key, e.g. user_timezone\"},"
	  "\"value\":{\"type\":\"string\",\"description\":\"What to remember\"},"
	  "\"fact_type\":{\"type\":\"string\",\"description\":\"user_preference, world_knowledge, "
	  "self_knowledge, correction or relationship; empty for the tool's default\"}},"
	  "\"required\":[\"key\",\"value\"]}" },
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

static const struct tool_spec *
spec_of(const char *type)
{
	for (size_t i = 0; type != NULL && i < N_SPECS; i++)
		if (strcmp(specs[i].info.type, type) == 0)
			return &specs[i];
	return NULL;
}

const struct tool_info *
tool_find(const char *component_type)
{
	const struct tool_spec *s = spec_of(component_type);
	return s ? &s->info : NULL;
}

/* extra_config[key] when it is a non-empty string, else NULL. */
static const char *
config_text(const json_t *extra_config, const char *key)
{
	const char *s = json_string_value(json_object_get(extra_config, key));
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static const char *
datetime_zone_name(const json_t *extra_config)
{
	const char *zone = config_text(extra_config, "timezone");
	return zone ? zone : "UTC";
}

static char *
datetime_description(const json_t *extra_config)
{
	return xasprintf("Get the current date and time in the %s time zone, as "
			 "YYYY-MM-DD HH:MM:SS ZONE.", datetime_zone_name(extra_config));
}

json_t *
tool_definition(const char *type, const json_t *extra_config)
{
	const struct tool_spec *s = spec_of(type);
	if (s == NULL)
		return NULL;
	json_t *params = json_loads(s->parameters, 0, NULL);
	if (params == NULL)
		return NULL;  /* a malformed literal above; the unit test rules it out */
	char *desc = s->description ? xstrdup(s->description) : datetime_description(extra_config);
	json_t *def = json_pack("{s:s, s:s, s:o}", "name", s->info.name, "description", desc,
				"parameters", params);
	free(desc);
	return def;
}

int
tool_args_check(const char *type, const json_t *args, char **err)
{
	*err = NULL;
	const struct tool_spec *s = spec_of(type);
	if (s == NULL) {
		*err = xasprintf("Error: unknown tool type '%s'", type ? type : "");
		return -1;
	}
	json_t *params = json_loads(s->parameters, 0, NULL);
	json_t *empty = args == NULL ? json_object() : NULL;
	char *why = NULL;
	int rc = json_schema_check(params, args ? args : empty, &why);
	json_decref(params);
	json_decref(empty);
	if (rc != 0) {
		*err = xasprintf("Error: invalid arguments for %s: %s", s->info.name, why);
		free(why);
	}
	return rc;
}

/* args[key] as a string ("" when absent: the checked schema says it is a
 * string when present). */
static const char *
arg_text(const json_t *args, const char *key)
{
	const char *s = json_string_value(json_object_get(args, key));
	return s ? s : "";
}

/* --- TOOL_PURE ------------------------------------------------------------------ */

static char *
run_calculator(const json_t *args)
{
	const json_t *e = json_object_get(args, "expression");
	char *out = NULL;
	calculator_eval(json_string_value(e), json_string_length(e), &out);
	return out;
}

/* "%Y-%m-%d %H:%M:%S %Z" of now in the node's zone; NULL with *err when
 * the zone does not load (the save-time check makes that a zone that
 * came from a template, or zoneinfo that changed since). */
static char *
run_datetime(const json_t *extra_config, int64_t now, char **err)
{
	const char *name = datetime_zone_name(extra_config);
	char why[TZ_ERR_LEN];
	tz_zone *zone = tz_load(name, why, sizeof(why));
	if (zone == NULL) {
		*err = xasprintf("get_datetime: time zone '%.64s': %s", name, why);
		return NULL;
	}
	int64_t local = now + tz_offset_at(zone, now);
	int64_t days = tz_floor_div(local, 86400), secs = local - days * 86400;
	int64_t year;
	unsigned month, day;
	tz_civil_from_days(days, &year, &month, &day);
	char *out = xasprintf("%04lld-%02u-%02u %02d:%02d:%02d %s", (long long)year, month, day,
			      (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
			      tz_abbr_at(zone, now));
	tz_free(zone);
	return out;
}

char *
tool_run_pure_at(const char *type, const json_t *extra_config, const json_t *args, int64_t now,
		 char **err)
{
	*err = NULL;
	const struct tool_info *t = tool_find(type);
	if (t == NULL || t->run != TOOL_PURE) {
		*err = xasprintf("'%s' is no tool that runs at once", type ? type : "");
		return NULL;
	}
	char *bad;
	if (tool_args_check(type, args, &bad) != 0)
		return bad;
	if (strcmp(type, "calculator") == 0)
		return run_calculator(args);
	return run_datetime(extra_config, now, err);
}

char *
tool_run_pure(const char *type, const json_t *extra_config, const json_t *args, char **err)
{
	return tool_run_pure_at(type, extra_config, args, (int64_t)time(NULL), err);
}

/* --- TOOL_HTTP: the request ----------------------------------------------------------- */

void
tool_http_request_free(struct tool_http_request *r)
{
	free(r->url);
	for (size_t i = 0; i < r->n_headers; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
add_header(struct tool_http_request *r, char *line)
{
	r->headers = xrealloc(r->headers, sizeof(*r->headers) * (r->n_headers + 1));
	r->headers[r->n_headers++] = line;
}

static bool
has_header(const struct tool_http_request *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->n_headers; i++)
		if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
			return true;
	return false;
}

/* Whether url is an absolute http(s) URL with a host, and nothing that
 * could split a request line (spaces, control characters). */
static bool
http_url_ok(const char *url)
{
	size_t skip;
	if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	if (url[skip] == '\0' || url[skip] == '/' || url[skip] == '?' || url[skip] == '#')
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The node's method, or the call's when it names one. */
static int
choose_method(const json_t *extra_config, const json_t *args, char out[8], char **err)
{
	const char *m = arg_text(args, "method");
	if (m[0] == '\0')
		m = config_text(extra_config, "method");
	if (m == NULL)
		m = "GET";
	char up[8];
	size_t n = strlen(m);
	for (size_t i = 0; i < n && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)m[i]);
	up[n < sizeof(up) - 1 ? n : sizeof(up) - 1] = '\0';
	if (n >= sizeof(up) || !tool_http_method_valid(up)) {
		*err = xasprintf("Error: method '%.20s' is not one of GET, POST, PUT, PATCH, DELETE "
				 "or HEAD", m);
		return -1;
	}
	memcpy(out, up, sizeof(up));
	return 0;
}

static int
prepare_http_request(const json_t *extra_config, const json_t *args,
		     struct tool_http_request *r, char **err)
{
	const char *url = arg_text(args, "url");
	if (!http_url_ok(url)) {
		*err = xasprintf("Error: '%.200s' is not an http:// or https:// URL", url);
		return -1;
	}
	if (choose_method(extra_config, args, r->method, err) != 0)
		return -1;
	const json_t *body = json_object_get(args, "body");
	if (json_string_length(body) > 0) {
		if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) {
			*err = xasprintf("Error: a %s request has no body; use POST, PUT or PATCH",
					 r->method);
			return -1;
		}
		r->body_len = json_string_length(body);
		r->body = xmalloc(r->body_len + 1);
		memcpy(r->body, json_string_value(body), r->body_len + 1);
	}
	const json_t *headers = json_object_get(extra_config, "headers");
	const char *name;
	const json_t *value;
	json_object_foreach((json_t *)headers, name, value) {
		const char *why;
		if (!json_is_string(value) || json_string_length(value) != strlen(json_string_value(value)) ||
		    !tool_http_header_valid(name, json_string_value(value), &why)) {
			*err = xasprintf("Error: the tool's header '%.100s' cannot be sent", name);
			return -1;
		}
		add_header(r, xasprintf("%s: %s", name, json_string_value(value)));
	}
	if (r->body != NULL && !has_header(r, "Content-Type")) {
		json_t *parsed = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL);
		add_header(r, xstrdup(parsed ? "Content-Type: application/json"
					     : "Content-Type: text/plain; charset=utf-8"));
		json_decref(parsed);
	}
	r->url = xstrdup(url);
	const json_t *timeout = json_object_get(extra_config, "timeout");
	r->timeout_ms = json_is_integer(timeout) && json_integer_value(timeout) > 0 &&
			json_integer_value(timeout) <= 300 ? (long)json_integer_value(timeout) * 1000
							   : 30000;
	const json_t *cap = json_object_get(extra_config, "max_response_bytes");
	r->max_bytes = json_is_integer(cap) && json_integer_value(cap) >= 1024 &&
		       json_integer_value(cap) <= 16777216 ? (size_t)json_integer_value(cap)
							   : 1048576;
	return 0;
}

/* Percent-encodes s for a query string (RFC 3986 unreserved kept). */
static void
query_escape(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			strbuf_putc(b, (char)*p);
		} else {
			char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			strbuf_append(b, enc, 3);
		}
	}
}

static int
prepare_web_search(const json_t *args, const char *searxng_url, struct tool_http_request *r,
		   char **err)
{
	const char *query = arg_text(args, "query");
	if (strspn(query, " \t\r\n") == strlen(query)) {
		*err = xstrdup("Error: the query is empty");
		return -1;
	}
	if (searxng_url == NULL || !http_url_ok(searxng_url)) {
		*err = xstrdup(TOOL_WEB_SEARCH_UNAVAILABLE);
		return -1;
	}
	struct strbuf b;
	strbuf_init(&b, 0);
	size_t n = strlen(searxng_url);
	while (n > 0 && searxng_url[n - 1] == '/')
		n--;
	strbuf_append(&b, searxng_url, n);
	strbuf_puts(&b, "/search?q=");
	query_escape(&b, query);
	strbuf_puts(&b, "&format=json");
	r->url = strbuf_take(&b);
	strcpy(r->method, "GET");
	add_header(r, xstrdup("Accept: application/json"));
	r->timeout_ms = TOOL_WEB_SEARCH_TIMEOUT_MS;
	r->max_bytes = TOOL_WEB_SEARCH_MAX_BYTES;
	return 0;
}

int
tool_http_prepare(const char *type, const json_t *extra_config, const json_t *args,
		  const char *searxng_url, struct tool_http_request *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	const struct tool_info *t = tool_find(type);
	if (t == NULL || t->run != TOOL_HTTP) {
		*err = xasprintf("Error: '%s' is no HTTP tool", type ? type : "");
		return -1;
	}
	if (tool_args_check(type, args, err) != 0)
		return -1;
	int rc = strcmp(type, "web_search") == 0 ? prepare_web_search(args, searxng_url, out, err)
						 : prepare_http_request(extra_config, args, out, err);
	if (rc != 0)
		tool_http_request_free(out);
	return rc;
}

/* --- TOOL_HTTP: the answer -------------------------------------------------------------- */

/* At most max_chars characters of the len bytes at s, as valid UTF-8:
 * a malformed byte or a NUL becomes U+FFFD, a character is never cut. */
static void
append_text(struct strbuf *b, const char *s, size_t len, size_t max_chars)
{
	size_t i = 0;
	for (size_t chars = 0; i < len && chars < max_chars; chars++) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
		if (n == 0 || s[i] == '\0') {
			strbuf_puts(b, "\xef\xbf\xbd");
			i++;
		} else {
			strbuf_append(b, s + i, n);
			i += n;
		}
	}
}

static char *
http_answer(long status, const char *body, size_t len, const char *transport_error)
{
	if (transport_error != NULL)
		return xasprintf("Error: %s", transport_error);
	struct strbuf b;
	strbuf_init(&b, 0);
	strbuf_printf(&b, "HTTP %ld\n", status);
	append_text(&b, body ? body : "", body ? len : 0, TOOL_HTTP_ANSWER_CHARS);
	return strbuf_take(&b);
}

/* A result field as text: a string, or "" for anything else. */
static void
append_field(struct strbuf *b, const json_t *result, const char *key)
{
	const json_t *v = json_object_get(result, key);
	if (json_is_string(v))
		append_text(b, json_string_value(v), json_string_length(v), (size_t)-1);
}

static char *
search_answer(long status, const char *body, size_t len, const char *transport_error)
{
	if (transport_error != NULL || status < 200 || status > 299)
		return xstrdup(TOOL_WEB_SEARCH_UNAVAILABLE);
	json_t *doc = json_loadb(body ? body : "", body ? len : 0, 0, NULL);
	const json_t *results = json_object_get(doc, "results");
	if (!json_is_array(results)) {
		json_decref(doc);
		return xstrdup(TOOL_WEB_SEARCH_UNAVAILABLE);
	}
	struct strbuf b;
	strbuf_init(&b, 0);
	size_t shown = 0, i;
	const json_t *r;
	json_array_foreach(results, i, r) {
		if (shown == TOOL_WEB_SEARCH_RESULTS)
			break;
		if (!json_is_object(r))
			continue;
		if (shown++ > 0)
			strbuf_puts(&b, "\n\n");
		strbuf_puts(&b, "**");
		append_field(&b, r, "title");
		strbuf_puts(&b, "**\n");
		append_field(&b, r, "content");
		strbuf_puts(&b, "\nURL: ");
		append_field(&b, r, "url");
	}
	json_decref(doc);
	if (shown == 0) {
		strbuf_free(&b);
		return xstrdup(TOOL_WEB_SEARCH_NONE);
	}
	return strbuf_take(&b);
}

char *
tool_http_answer(const char *type, long status, const char *body, size_t len,
		 const char *transport_error)
{
	if (type != NULL && strcmp(type, "web_search") == 0)
		return search_answer(status, body, len, transport_error);
	return http_answer(status, body, len, transport_error);
}
