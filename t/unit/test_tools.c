/*
 * test_tools.c: the tools an agent offers (nodes/tools): their
 * definitions, argument checks, the pure tools' answers (calculator,
 * get_datetime at fixed instants), the HTTP tools' requests built from
 * config and arguments and their answers shaped from what came back, and
 * the tool nodes' config rules (graph/tool_config).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "graph/tool_config.h"
#include "nodes/tools.h"
#include "util/json_schema_check.h"

static json_t *
j(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL) {
		printf("Bail out! bad JSON in the test: %s\n", text);
		exit(1);
	}
	return v;
}

static void
test_definitions(void)
{
	static const char *const types[] = { "calculator", "get_datetime", "http_request",
					     "web_search", "memory_read", "memory_write" };
	static const char *const names[] = { "calculator", "get_datetime", "http_request",
					     "web_search", "recall", "remember" };
	static const enum tool_run runs[] = { TOOL_PURE, TOOL_PURE, TOOL_HTTP, TOOL_HTTP,
					      TOOL_MEMORY, TOOL_MEMORY };
	for (size_t i = 0; i < 6; i++) {
		const struct tool_info *t = tool_find(types[i]);
		ok(t != NULL && strcmp(t->name, names[i]) == 0 && t->run == runs[i],
		   "%s is the tool %s", types[i], names[i]);
		json_t *def = tool_definition(types[i], NULL);
		ok(def != NULL, "%s has a definition", types[i]);
		is_str(json_string_value(json_object_get(def, "name")), names[i], "named %s", names[i]);
		ok(json_string_length(json_object_get(def, "description")) > 20, "described");
		char *why = NULL;
		ok(json_schema_valid(json_object_get(def, "parameters"), true, &why) == 0,
		   "its parameters are an object schema %s", why ? why : "");
		free(why);
		json_decref(def);
	}
	ok(tool_find("run_command") == NULL && tool_find("agent") == NULL && tool_find(NULL) == NULL,
	   "kinds that are no tool run here");
	ok(tool_definition("switch", NULL) == NULL, "and have no definition");

	json_t *cfg = j("{\"timezone\":\"Asia/Tokyo\"}");
	json_t *def = tool_definition("get_datetime", cfg);
	ok(strstr(json_string_value(json_object_get(def, "description")), "Asia/Tokyo") != NULL,
	   "get_datetime's description names its zone");
	json_decref(def);
	json_decref(cfg);
	def = tool_definition("get_datetime", NULL);
	ok(strstr(json_string_value(json_object_get(def, "description")), "UTC") != NULL,
	   "or UTC");
	json_decref(def);
}

static void
expect_args(const char *type, const char *args_text, const char *want, const char *name)
{
	json_t *args = args_text ? j(args_text) : NULL;
	char *err = NULL;
	int rc = tool_args_check(type, args, &err);
	if (want == NULL) {
		is_int(rc, 0, "%s: accepted", name);
	} else {
		is_int(rc, -1, "%s: refused", name);
		is_str(err, want, "%s: the model is told", name);
	}
	free(err);
	json_decref(args);
}

static void
test_args(void)
{
	expect_args("calculator", "{\"expression\":\"1+1\"}", NULL, "an expression");
	expect_args("calculator", "{}", "Error: invalid arguments for calculator: $.expression: required "
		    "property missing", "no expression");
	expect_args("calculator", "{\"expression\":2}", "Error: invalid arguments for calculator: "
		    "$.expression: expected string, got integer", "a number for an expression");
	expect_args("get_datetime", NULL, NULL, "get_datetime without arguments");
	expect_args("http_request", "{\"url\":\"http://x\",\"body\":{\"a\":1}}", "Error: invalid arguments "
		    "for http_request: $.body: expected string, got object", "a body that is an object");
	expect_args("memory_write", "{\"key\":\"k\"}", "Error: invalid arguments for remember: $.value: "
		    "required property missing", "remember without a value");
	expect_args("nonsense", "{}", "Error: unknown tool type 'nonsense'", "an unknown tool");
}

static char *
run(const char *type, const char *cfg_text, const char *args_text, long long now, char **err)
{
	json_t *cfg = cfg_text ? j(cfg_text) : NULL, *args = args_text ? j(args_text) : NULL;
	char *out = tool_run_pure_at(type, cfg, args, now, err);
	json_decref(cfg);
	json_decref(args);
	return out;
}

static void
test_pure(void)
{
	char *err = NULL;
	char *out = run("calculator", NULL, "{\"expression\":\"(2 + 3) * 4 ** 2\"}", 0, &err);
	is_str(out, "80", "calculator: (2 + 3) * 4 ** 2 = 80");
	free(out);
	out = run("calculator", NULL, "{\"expression\":\"1/0\"}", 0, &err);
	is_str(out, "Error: division by zero", "calculator: 1/0 is an error text");
	ok(err == NULL, "not a fault of the node");
	free(out);
	out = run("calculator", NULL, "{\"expression\":\"__import__('os').system('id')\"}", 0, &err);
	ok(out != NULL && strncmp(out, "Error: ", 7) == 0, "calculator: code is refused: %s", out);
	free(out);
	out = run("calculator", NULL, "{}", 0, &err);
	ok(out != NULL && strstr(out, "$.expression: required") != NULL, "a call without its argument: %s",
	   out);
	free(out);

	/* 2026-07-01 12:34:56 UTC and 2026-12-24 23:59:59 UTC. */
	long long summer = 1782909296LL, winter = 1798156799LL;
	out = run("get_datetime", NULL, "{}", summer, &err);
	is_str(out, "2026-07-01 12:34:56 UTC", "get_datetime: UTC by default");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"\"}", "{}", summer, &err);
	is_str(out, "2026-07-01 12:34:56 UTC", "an empty zone is UTC");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"Europe/Berlin\"}", "{}", summer, &err);
	is_str(out, "2026-07-01 14:34:56 CEST", "Berlin in summer");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"Europe/Berlin\"}", "{}", winter, &err);
	is_str(out, "2026-12-25 00:59:59 CET", "Berlin in winter, past midnight");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"America/New_York\"}", "{}", winter, &err);
	is_str(out, "2026-12-24 18:59:59 EST", "New York");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"Asia/Kolkata\"}", "{}", summer, &err);
	is_str(out, "2026-07-01 18:04:56 IST", "Kolkata (+05:30)");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"Asia/Dubai\"}", "{}", summer, &err);
	is_str(out, "2026-07-01 16:34:56 +04", "a zone whose abbreviation is numeric");
	free(out);
	out = run("get_datetime", "{\"timezone\":\"Mars/Olympus\"}", "{}", summer, &err);
	ok(out == NULL && err != NULL && strstr(err, "Mars/Olympus") != NULL,
	   "an unknown zone is a fault of the node: %s", err ? err : "(null)");
	free(err);
	err = NULL;
	out = run("http_request", NULL, "{\"url\":\"http://x/\"}", 0, &err);
	ok(out == NULL && err != NULL, "http_request is not run at once");
	free(err);
	err = NULL;
	out = tool_run_pure("get_datetime", NULL, NULL, &err);
	ok(out != NULL && strlen(out) == strlen("2026-07-01 12:34:56 UTC"), "now, in UTC: %s", out);
	free(out);
}

static int
prepare(const char *type, const char *cfg_text, const char *args_text, const char *searxng,
	struct tool_http_request *r, char **err)
{
	json_t *cfg = cfg_text ? j(cfg_text) : NULL, *args = args_text ? j(args_text) : NULL;
	int rc = tool_http_prepare(type, cfg, args, searxng, r, err);
	json_decref(cfg);
	json_decref(args);
	return rc;
}

static void
test_http_prepare(void)
{
	struct tool_http_request r;
	char *err = NULL;

	is_int(prepare("http_request", NULL, "{\"url\":\"https://api.example.com/v1?a=1\"}", NULL, &r, &err),
	       0, "a GET with the defaults");
	is_str(r.method, "GET", "GET");
	is_str(r.url, "https://api.example.com/v1?a=1", "to the URL given");
	ok(r.body == NULL && r.n_headers == 0, "no body, no headers");
	is_int(r.timeout_ms, 30000, "30 s");
	is_int(r.max_bytes, 1048576, "1 MiB");
	tool_http_request_free(&r);

	is_int(prepare("http_request", "{\"method\":\"POST\",\"headers\":{\"X-Api-Key\":\"k1\"},\"timeout\":5,"
		       "\"max_response_bytes\":4096}", "{\"url\":\"http://127.0.0.1:8/x\",\"body\":\"{\\\"a\\\":1}\"}",
		       NULL, &r, &err), 0, "a POST from the config with a JSON body");
	is_str(r.method, "POST", "POST");
	is_int(r.n_headers, 2, "two headers");
	is_str(r.n_headers > 0 ? r.headers[0] : NULL, "X-Api-Key: k1", "the configured one");
	is_str(r.n_headers > 1 ? r.headers[1] : NULL, "Content-Type: application/json", "and the body's type");
	is_str(r.body, "{\"a\":1}", "the body");
	is_int(r.body_len, 7, "its length");
	is_int(r.timeout_ms, 5000, "5 s");
	is_int(r.max_bytes, 4096, "4 KiB");
	tool_http_request_free(&r);

	is_int(prepare("http_request", "{\"headers\":{\"content-type\":\"text/csv\"}}",
		       "{\"url\":\"http://h/\",\"method\":\"put\",\"body\":\"a,b\"}", NULL, &r, &err), 0,
	       "a call that names its method in lower case");
	is_str(r.method, "PUT", "PUT");
	is_int(r.n_headers, 1, "the configured content type is kept, not doubled");
	tool_http_request_free(&r);

	is_int(prepare("http_request", NULL, "{\"url\":\"http://h/\",\"body\":\"plain\",\"method\":\"PATCH\"}",
		       NULL, &r, &err), 0, "a text body");
	is_str(r.n_headers ? r.headers[0] : NULL, "Content-Type: text/plain; charset=utf-8", "is sent as text");
	tool_http_request_free(&r);

	static const struct {
		const char *args, *says;
	} bad[] = {
		{ "{\"url\":\"file:///etc/passwd\"}", "is not an http:// or https:// URL" },
		{ "{\"url\":\"gopher://h/\"}", "is not an http:// or https:// URL" },
		{ "{\"url\":\"http://\"}", "is not an http:// or https:// URL" },
		{ "{\"url\":\"http://h/a b\"}", "is not an http:// or https:// URL" },
		{ "{\"url\":\"http://h/\\r\\nHost: x\"}", "is not an http:// or https:// URL" },
		{ "{\"url\":\"http://h/\",\"method\":\"BREW\"}", "method 'BREW' is not one of" },
		{ "{\"url\":\"http://h/\",\"method\":\"CONNECTX\"}", "is not one of" },
		{ "{\"url\":\"http://h/\",\"body\":\"x\"}", "a GET request has no body" },
		{ "{}", "$.url: required property missing" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		int rc = prepare("http_request", NULL, bad[i].args, NULL, &r, &err);
		ok(rc == -1 && err != NULL && strncmp(err, "Error: ", 7) == 0 && strstr(err, bad[i].says),
		   "bad call %zu: refused, \"%s\"", i, bad[i].says);
		ok(r.url == NULL && r.headers == NULL, "nothing left to free");
		free(err);
	}
	err = NULL;
	is_int(prepare("http_request", "{\"headers\":{\"Host\":\"evil\"}}", "{\"url\":\"http://h/\"}", NULL, &r,
		       &err), -1, "a config header the save check refuses is not sent either");
	free(err);

	/* web_search */
	err = NULL;
	is_int(prepare("web_search", NULL, "{\"query\":\"caf\xc3\xa9 & b\xc3\xa4r?\"}", "http://127.0.0.1:8888/",
		       &r, &err), 0, "a search");
	is_str(r.url, "http://127.0.0.1:8888/search?q=caf%C3%A9%20%26%20b%C3%A4r%3F&format=json",
	       "GET <searxng>/search?q=...&format=json, the query escaped");
	is_str(r.method, "GET", "a GET");
	is_int(r.timeout_ms, 15000, "15 s");
	is_str(r.n_headers ? r.headers[0] : NULL, "Accept: application/json", "asking for JSON");
	tool_http_request_free(&r);
	err = NULL;
	is_int(prepare("web_search", NULL, "{\"query\":\"x\"}", NULL, &r, &err), -1, "no SearXNG instance");
	is_str(err, TOOL_WEB_SEARCH_UNAVAILABLE, "the search is unavailable");
	free(err);
	err = NULL;
	is_int(prepare("web_search", NULL, "{\"query\":\"  \"}", "http://s/", &r, &err), -1, "an empty query");
	is_str(err, "Error: the query is empty", "is an error");
	free(err);
	err = NULL;
	is_int(prepare("calculator", NULL, "{}", NULL, &r, &err), -1, "calculator is no HTTP tool");
	free(err);
}

static void
test_http_answer(void)
{
	char *out = tool_http_answer("http_request", 200, "{\"ok\":true}", 11, NULL);
	is_str(out, "HTTP 200\n{\"ok\":true}", "HTTP <code>\\n<body>");
	free(out);
	out = tool_http_answer("http_request", 404, "", 0, NULL);
	is_str(out, "HTTP 404\n", "an empty body");
	free(out);
	out = tool_http_answer("http_request", 0, NULL, 0, "the outbound policy refuses 10.0.0.1");
	is_str(out, "Error: the outbound policy refuses 10.0.0.1", "a transport error");
	free(out);

	/* 3999 ASCII characters then 'é' (2 bytes) then more: clipped after
	 * the 4000th character, which is the é whole. */
	size_t n = 3999 + 2 + 100;
	char *body = malloc(n);
	memset(body, 'a', n);
	memcpy(body + 3999, "\xc3\xa9", 2);
	out = tool_http_answer("http_request", 200, body, n, NULL);
	ok(strlen(out) == strlen("HTTP 200\n") + 3999 + 2, "clipped at 4000 characters");
	ok(memcmp(out + strlen(out) - 2, "\xc3\xa9", 2) == 0, "on a character boundary");
	free(out);
	free(body);

	out = tool_http_answer("http_request", 200, "a\xff" "b\0c", 5, NULL);
	is_str(out, "HTTP 200\na\xef\xbf\xbd" "b\xef\xbf\xbd" "c", "bad bytes and NUL become U+FFFD");
	free(out);

	const char *results = "{\"results\":["
		"{\"title\":\"One\",\"content\":\"first\",\"url\":\"https://1\"},"
		"{\"title\":\"Two\",\"url\":\"https://2\"},"
		"\"junk\","
		"{\"title\":\"Three\",\"content\":\"third\",\"url\":\"https://3\"},"
		"{\"title\":\"Four\",\"content\":\"4\",\"url\":\"https://4\"},"
		"{\"title\":\"Five\",\"content\":\"5\",\"url\":\"https://5\"},"
		"{\"title\":\"Six\",\"content\":\"6\",\"url\":\"https://6\"}]}";
	out = tool_http_answer("web_search", 200, results, strlen(results), NULL);
	is_str(out, "**One**\nfirst\nURL: https://1\n\n**Two**\n\nURL: https://2\n\n**Three**\nthird\n"
		    "URL: https://3\n\n**Four**\n4\nURL: https://4\n\n**Five**\n5\nURL: https://5",
	       "the top five results, joined by blank lines");
	free(out);
	out = tool_http_answer("web_search", 200, "{\"results\":[]}", 14, NULL);
	is_str(out, TOOL_WEB_SEARCH_NONE, "no results");
	free(out);
	out = tool_http_answer("web_search", 500, "oops", 4, NULL);
	is_str(out, TOOL_WEB_SEARCH_UNAVAILABLE, "a 500");
	free(out);
	out = tool_http_answer("web_search", 200, "<html>", 6, NULL);
	is_str(out, TOOL_WEB_SEARCH_UNAVAILABLE, "an answer that is not JSON");
	free(out);
	out = tool_http_answer("web_search", 0, NULL, 0, "timed out");
	is_str(out, TOOL_WEB_SEARCH_UNAVAILABLE, "a transport error");
	free(out);
}

static void
expect_config(int (*check)(const json_t *, struct config_problem *), const char *cfg_text,
	      const char *field, const char *says, const char *name)
{
	json_t *cfg = j(cfg_text);
	struct config_problem p;
	int rc = check(cfg, &p);
	if (says == NULL) {
		is_int(rc, 0, "%s: accepted", name);
	} else {
		is_int(rc, -1, "%s: refused", name);
		is_str(p.field, field, "%s: at %s", name, field);
		ok(p.message != NULL && strstr(p.message, says) != NULL, "%s: \"%s\" (%s)", name, says,
		   p.message ? p.message : "(null)");
	}
	config_problem_free(&p);
	json_decref(cfg);
}

static void
test_config(void)
{
	expect_config(tool_config_check_datetime, "{}", NULL, NULL, "no zone");
	expect_config(tool_config_check_datetime, "{\"timezone\":\"Europe/Berlin\"}", NULL, NULL, "Berlin");
	expect_config(tool_config_check_datetime, "{\"timezone\":\"{{ trigger.tz }}\"}", NULL, NULL, "a template");
	expect_config(tool_config_check_datetime, "{\"timezone\":\"Mars/Base\"}", "timezone", "Unknown time zone",
		      "an unknown zone");
	expect_config(tool_config_check_datetime, "{\"timezone\":\"/etc/passwd\"}", "timezone", "Unknown time zone",
		      "a path");
	expect_config(tool_config_check_http, "{\"method\":\"DELETE\",\"headers\":{\"Authorization\":\"Bearer x\"}}",
		      NULL, NULL, "a DELETE with a header");
	expect_config(tool_config_check_http, "{\"method\":\"get\"}", "method", "Input should be 'GET'",
		      "a method in lower case");
	expect_config(tool_config_check_http, "{\"headers\":{\"Transfer-Encoding\":\"chunked\"}}", "headers",
		      "set by the request itself", "Transfer-Encoding");
	expect_config(tool_config_check_http, "{\"headers\":{\"X\":\"a\\nb\"}}", "headers", "control characters",
		      "a line break in a value");
	expect_config(tool_config_check_http, "{\"headers\":{\"X\":\"a\\u0000b\"}}", "headers",
		      "control characters", "a NUL in a value");
	expect_config(tool_config_check_http, "{\"headers\":{\"\":\"a\"}}", "headers", "1 to 100 characters",
		      "an empty name");
	expect_config(tool_config_check_http, "{\"timeout\":301}", "timeout", "less than or equal to 300",
		      "a timeout too long");
}

int
main(void)
{
	test_definitions();
	test_args();
	test_pure();
	test_http_prepare();
	test_http_answer();
	test_config();
	return done_testing();
}
