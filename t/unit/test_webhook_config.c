/* test_webhook_config.c: the trigger_webhook config rules (graph/
 * webhook_config.h): the path rule, the declared fields' types, enums and
 * bounds through the registry's check, and the parsed form's defaults. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph/node_types.h"
#include "graph/webhook_config.h"
#include "tap.h"

static void
path_ok(const char *path)
{
	const char *why = NULL;
	ok(webhook_path_valid(path, &why), "path '%s' is valid", path);
}

static void
path_bad(const char *path, const char *want_why)
{
	const char *why = "(valid)";
	webhook_path_valid(path, &why);
	is_str(why, want_why, "path '%s' is refused", path);
}

static void
test_paths(void)
{
	path_ok("github");
	path_ok("a");
	path_ok("hooks/github/push-events_v1.2~x");
	path_ok("a.b/..c/c..");
	char longest[256];
	memset(longest, 'x', 255);
	longest[255] = '\0';
	path_ok(longest);
	char too_long[257];
	memset(too_long, 'x', 256);
	too_long[256] = '\0';
	path_bad(too_long, "should have 1 to 255 characters");
	path_bad("", "should have 1 to 255 characters");
	path_bad("/github", "must not start or end with '/'");
	path_bad("github/", "must not start or end with '/'");
	path_bad("/", "must not start or end with '/'");
	path_bad("a//b", "must not hold an empty segment ('//')");
	path_bad("a/../b", "must not hold a '.' or '..' segment");
	path_bad("..", "must not hold a '.' or '..' segment");
	path_bad("a/.", "must not hold a '.' or '..' segment");
	path_bad("a b", "may hold only A-Z a-z 0-9 . _ ~ - and /");
	path_bad("a?b", "may hold only A-Z a-z 0-9 . _ ~ - and /");
	path_bad("a%2Fb", "may hold only A-Z a-z 0-9 . _ ~ - and /");
	path_bad("caf\xc3\xa9", "may hold only A-Z a-z 0-9 . _ ~ - and /");
}

/* The problem the registry's check finds in the config text, as
 * "field: message", or "(ok)". */
static char *
problem_of(const char *text)
{
	json_t *config = json_loads(text, 0, NULL);
	struct config_problem p;
	char *out;
	if (node_type_check_config("trigger_webhook", config, &p) == 0)
		out = strdup("(ok)");
	else if (asprintf(&out, "%s: %s", p.field ? p.field : "", p.message) < 0)
		out = NULL;
	config_problem_free(&p);
	json_decref(config);
	return out;
}

static void
check(const char *text, const char *want, const char *name)
{
	char *got = problem_of(text);
	is_str(got, want, "%s", name);
	free(got);
}

static void
test_check(void)
{
	check("{\"path\":\"gh\"}", "(ok)", "a path alone is enough");
	check("{}", "path: Field required", "the path is required");
	check("{\"path\":null}", "path: Field required", "a null path is none");
	check("{\"path\":3}", "path: Input should be a valid string", "the path is a string");
	check("{\"path\":\"/gh\"}", "path: Webhook path must not start or end with '/'",
	      "the path rule applies");
	check("{\"path\":\"gh\",\"method\":\"post\"}",
	      "method: Input should be 'POST', 'GET', 'PUT', 'PATCH', 'DELETE' or 'ANY'",
	      "methods are upper case");
	check("{\"path\":\"gh\",\"method\":\"ANY\"}", "(ok)", "ANY is a method");
	check("{\"path\":\"gh\",\"signature_algorithm\":\"md5\"}",
	      "signature_algorithm: Input should be 'sha256', 'stripe' or 'hex'", "algorithms");
	check("{\"path\":\"gh\",\"mode\":\"sync\",\"max_wait_seconds\":300}", "(ok)",
	      "sync, 300 s");
	check("{\"path\":\"gh\",\"max_wait_seconds\":0}",
	      "max_wait_seconds: Input should be greater than or equal to 1", "at least 1 s");
	check("{\"path\":\"gh\",\"max_wait_seconds\":301}",
	      "max_wait_seconds: Input should be less than or equal to 300", "at most 300 s");
	check("{\"path\":\"gh\",\"max_wait_seconds\":\"30\"}",
	      "max_wait_seconds: Input should be a valid integer", "an integer, not text");
	check("{\"path\":\"gh\",\"rate_limit_per_minute\":-1}",
	      "rate_limit_per_minute: Input should be greater than or equal to 0", "no negative rate");
	check("{\"path\":\"gh\",\"max_concurrency\":0,\"rate_limit_per_minute\":0}", "(ok)",
	      "0 means no limit");
	check("{\"path\":\"gh\",\"signature_header\":\"X Sig\"}",
	      "signature_header: Should be an HTTP header name: 1 to 100 letters, digits or "
	      "!#$%&'*+-.^_`|~", "a header name is a token");
	check("{\"path\":\"gh\",\"secret\":\"" WEBHOOK_SECRET_MASK "\"}", "(ok)",
	      "the mask passes the check (the model keeps the stored secret)");
	check("{\"path\":\"gh\",\"unknown_key\":[1]}", "(ok)", "other keys are left alone");
}

static void
test_parse(void)
{
	json_t *c = json_pack("{s:s}", "path", "gh");
	struct webhook_config w;
	ok(webhook_config_parse(c, &w, NULL) == 0, "parses");
	is_str(w.path, "gh", "path");
	is_str(w.method, "POST", "POST by default");
	ok(w.secret == NULL, "no secret by default");
	is_str(w.signature_header, "X-Hub-Signature-256", "GitHub's header by default");
	is_int(w.signature, WEBHOOK_SIG_SHA256, "sha256 by default");
	is_int(w.signature_tolerance_seconds, 300, "a 5-minute tolerance by default");
	ok(!w.sync, "async by default");
	is_int(w.max_wait_seconds, 30, "30 s wait by default");
	is_int(w.rate_limit_per_minute + w.max_concurrency, 0, "no limits by default");
	ok(w.respond_with == NULL, "the final output by default");
	ok(webhook_method_accepts(&w, "POST") && !webhook_method_accepts(&w, "GET"),
	   "POST only");
	webhook_config_free(&w);
	json_decref(c);

	c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "path", "stripe/events", "method", "ANY",
		      "secret", "whsec_x", "signature_header", "Stripe-Signature",
		      "signature_algorithm", "stripe", "max_wait_seconds", 5, "mode", "sync");
	ok(webhook_config_parse(c, &w, NULL) == 0, "a full config parses");
	is_str(w.secret, "whsec_x", "the secret");
	is_int(w.signature, WEBHOOK_SIG_STRIPE, "stripe");
	ok(w.sync && w.max_wait_seconds == 5, "sync, 5 s");
	ok(webhook_method_accepts(&w, "GET") && webhook_method_accepts(&w, "DELETE"), "ANY");
	webhook_config_free(&w);
	json_decref(c);

	c = json_pack("{s:s}", "path", "a//b");
	struct config_problem p;
	ok(webhook_config_parse(c, &w, &p) == -1 && w.path == NULL, "a bad config does not parse");
	is_str(p.field, "path", "and says which field");
	config_problem_free(&p);
	json_decref(c);
}

int
main(void)
{
	test_paths();
	test_check();
	test_parse();
	return done_testing();
}
