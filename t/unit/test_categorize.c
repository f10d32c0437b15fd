/*
 * test_categorize.c: the categorizer's prompt, word for word as
 * pipelit-engine.md 4.2 gives it, the messages it sends, and each of the
 * five rules that read the model's reply; the save-time check of its
 * categories (graph/ai_config).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "graph/ai_config.h"
#include "nodes/categorize.h"

static json_t *
j(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (v == NULL) {
		printf("Bail out! bad JSON in the test: %s\n", text);
		exit(1);
	}
	return v;
}

static const char *cats_text =
	"[{\"name\":\"billing\",\"description\":\"Questions about invoices\"},"
	"{\"name\":\"tech_support\",\"description\":\"Something is broken\"},"
	"{\"name\":\"other\"}]";

static void
test_prompt(void)
{
	json_t *cats = j(cats_text);
	char *p = categorize_system_prompt(cats, NULL);
	is_str(p,
	       "You are a message classifier. Classify the user's message into exactly one category.\n"
	       "\n"
	       "Categories:\n"
	       "- billing: Questions about invoices\n"
	       "- tech_support: Something is broken\n"
	       "- other: \n"
	       "\n"
	       "Respond with ONLY a JSON object: {\"category\": \"<name>\"}\n"
	       "Valid category names: ['billing', 'tech_support', 'other']",
	       "the three blocks, names as a Python list");
	free(p);
	p = categorize_system_prompt(cats, "You work for ACME.");
	ok(strncmp(p, "You work for ACME.\n\nYou are a message classifier.", 49) == 0,
	   "a custom prompt comes first, then a blank line");
	free(p);
	p = categorize_system_prompt(cats, "");
	ok(strncmp(p, "You are a message classifier.", 29) == 0, "an empty custom prompt adds nothing");
	free(p);
	json_decref(cats);

	json_t *quoted = j("[{\"name\":\"it's\",\"description\":\"d\"}]");
	p = categorize_system_prompt(quoted, NULL);
	ok(strstr(p, "Valid category names: [\"it's\"]") != NULL, "a name with a quote, as Python shows it");
	free(p);
	json_decref(quoted);
	p = categorize_system_prompt(NULL, NULL);
	ok(strstr(p, "Categories:\n\nRespond") != NULL && strstr(p, "Valid category names: []") != NULL,
	   "no categories");
	free(p);
}

static void
test_messages(void)
{
	json_t *msgs = j("[{\"type\":\"human\",\"data\":{\"content\":\"first\"}},"
			 "{\"type\":\"ai\",\"data\":{\"content\":\"reply\"}},"
			 "{\"type\":\"human\",\"data\":{\"content\":\"my invoice is wrong\"}}]");
	json_t *sent = categorize_messages(msgs);
	is_int(json_array_size(sent), 1, "one message is sent");
	ok(json_equal(json_array_get(sent, 0), json_array_get(msgs, 2)), "the last one");
	json_decref(sent);
	json_decref(msgs);
	json_t *empty = json_array();
	sent = categorize_messages(empty);
	json_t *want = j("[{\"type\":\"human\",\"data\":{\"content\":\"(no message)\"}}]");
	ok(json_equal(sent, want), "no messages: a human \"(no message)\"");
	json_decref(want);
	json_decref(sent);
	json_decref(empty);
	sent = categorize_messages(NULL);
	is_int(json_array_size(sent), 1, "no state messages at all: the same");
	json_decref(sent);
}

static void
expect(const char *cats_json, const char *reply, const char *want, const char *name)
{
	json_t *cats = cats_json ? j(cats_json) : NULL;
	json_t *r = categorize_result(cats, reply);
	is_str(json_string_value(json_object_get(r, "category")), want, "%s: %s", name, want);
	is_str(json_string_value(json_object_get(r, "_route")), want, "%s: routed there", name);
	json_decref(r);
	json_decref(cats);
}

static void
test_parse(void)
{
	expect(cats_text, "{\"category\": \"tech_support\"}", "tech_support", "rule 1, JSON");
	expect(cats_text, "  {\"category\":\"other\"}\n", "other", "rule 1, with white space");
	expect(cats_text, "```json\n{\"category\": \"billing\"}\n```", "billing", "rule 1, in a fence");
	expect(cats_text, "Sure! {\"category\": \"tech_support\"} is my answer", "tech_support",
	       "rule 2, JSON inside text");
	expect(cats_text, "\"category\" :\n \"other\", I think", "other", "rule 2, spaces around the colon");
	expect(cats_text, "{\"category\": \"Billing\"}", "billing",
	       "rule 1 and 2 are exact; rule 3 finds it ignoring case");
	expect(cats_text, "This is about TECH_SUPPORT, clearly.", "tech_support", "rule 3, a mention");
	expect(cats_text, "other or billing?", "billing", "rule 3, the first category in their order");
	expect(cats_text, "{\"category\": \"sales\"}", "billing", "rule 4, no valid name: the first");
	expect(cats_text, "", "billing", "rule 4, an empty reply");
	expect("[]", "{\"category\": \"x\"}", "unknown", "rule 5, no categories");
	expect(NULL, "anything", "unknown", "rule 5, categories missing");
	expect(cats_text, "{\"category\": 5}", "billing", "a category that is not a string");

	json_t *cats = j(cats_text);
	json_t *r = categorize_result(cats, "\n  {\"category\": \"other\"}  \n");
	is_str(json_string_value(json_object_get(r, "raw")), "{\"category\": \"other\"}", "raw is the reply trimmed");
	is_int(json_object_size(r), 3, "and nothing else (the caller adds usage)");
	json_decref(r);
	r = categorize_result(cats, "bad \xff byte, billing");
	is_str(json_string_value(json_object_get(r, "category")), "billing", "a reply that is not UTF-8 still routes");
	ok(json_is_string(json_object_get(r, "raw")), "with a raw text");
	json_decref(r);
	json_decref(cats);
}

static void
expect_config(const char *cfg_text, const char *says, const char *name)
{
	json_t *cfg = j(cfg_text);
	struct config_problem p;
	int rc = ai_config_check_categorizer(cfg, &p);
	if (says == NULL) {
		is_int(rc, 0, "%s: accepted", name);
	} else {
		is_int(rc, -1, "%s: refused", name);
		ok(p.message && strstr(p.message, says) && p.field && strcmp(p.field, "categories") == 0,
		   "%s: at categories, \"%s\" (%s)", name, says, p.message ? p.message : "(null)");
	}
	config_problem_free(&p);
	json_decref(cfg);
}

static void
test_config(void)
{
	expect_config("{}", NULL, "no categories yet");
	expect_config("{\"categories\":[{\"name\":\"a\",\"description\":\"x\"},{\"name\":\"b\"}]}", NULL, "two");
	expect_config("{\"categories\":\"a,b\"}", "valid list", "a string");
	expect_config("{\"categories\":[\"a\"]}", "Category 0 should be an object", "a bare name");
	expect_config("{\"categories\":[{\"description\":\"x\"}]}", "Category 0: name should be", "no name");
	expect_config("{\"categories\":[{\"name\":\"\"}]}", "name should be a string of 1", "an empty name");
	expect_config("{\"categories\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "already category 0", "a duplicate");
	expect_config("{\"categories\":[{\"name\":\"a\",\"description\":3}]}", "description should be a string",
		      "a number for a description");
}

int
main(void)
{
	test_prompt();
	test_messages();
	test_parse();
	test_config();
	return done_testing();
}
