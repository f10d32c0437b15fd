/*
 * test_extract.c: the extractor's forced tool, its prompt, the reading of
 * a reply (the tool call, or a JSON object in the text) checked against
 * the schema, and the save-time check of extraction_schema.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "graph/ai_config.h"
#include "nodes/extract.h"

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

static const char *schema_text =
	"{\"type\":\"object\",\"properties\":{"
	"\"name\":{\"type\":\"string\"},"
	"\"address\":{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":\"string\"},"
	"\"city\":{\"type\":\"string\"}},\"required\":[\"zip\"]},"
	"\"priority\":{\"enum\":[\"low\",\"high\"]}},"
	"\"required\":[\"name\"]}";

static void
test_definition(void)
{
	json_t *schema = j(schema_text);
	json_t *def = extract_tool_definition(schema);
	is_str(json_string_value(json_object_get(def, "name")), EXTRACT_TOOL_NAME, "the forced tool's name");
	ok(json_equal(json_object_get(def, "parameters"), schema), "its parameters are the schema");
	ok(json_string_length(json_object_get(def, "description")) > 0, "it is described");
	json_decref(def);
	json_decref(schema);
	json_t *bad = j("{\"type\":\"string\"}");
	ok(extract_tool_definition(bad) == NULL, "no tool for a schema that is no object schema");
	json_decref(bad);

	char *p = extract_system_prompt(NULL);
	ok(strstr(p, EXTRACT_TOOL_NAME) != NULL, "the prompt names the tool");
	free(p);
	p = extract_system_prompt("Be careful.");
	ok(strncmp(p, "Be careful.\n\nExtract", 20) == 0, "the node's prompt first");
	free(p);
}

static void
expect(const char *calls, const char *text, const char *want_json, const char *says, const char *name)
{
	json_t *schema = j(schema_text), *tc = calls ? j(calls) : NULL, *result = NULL;
	char *err = NULL;
	int rc = extract_result(schema, tc, text, &result, &err);
	if (want_json != NULL) {
		is_int(rc, 0, "%s: extracted", name);
		json_t *want = j(want_json);
		ok(json_equal(json_object_get(result, "extracted"), want), "%s: the data", name);
		json_decref(want);
	} else {
		is_int(rc, -1, "%s: fails", name);
		ok(err != NULL && strstr(err, says) != NULL, "%s: \"%s\" (%s)", name, says, err ? err : "(null)");
		ok(result == NULL, "%s: no result", name);
	}
	free(err);
	json_decref(result);
	json_decref(tc);
	json_decref(schema);
}

static void
test_result(void)
{
	expect("[{\"id\":\"c1\",\"name\":\"extract_data\",\"args\":{\"name\":\"Ada\",\"address\":{\"zip\":\"10115\"}}}]",
	       "", "{\"name\":\"Ada\",\"address\":{\"zip\":\"10115\"}}", NULL, "the tool call");
	expect("[{\"id\":\"c0\",\"name\":\"other\",\"args\":{}},"
	       "{\"id\":\"c1\",\"name\":\"extract_data\",\"args\":{\"name\":\"Bo\"}}]",
	       NULL, "{\"name\":\"Bo\"}", NULL, "the call among others");
	expect("[]", "{\"name\":\"Cy\",\"priority\":\"high\"}", "{\"name\":\"Cy\",\"priority\":\"high\"}", NULL,
	       "JSON mode: the text is the object");
	expect(NULL, "Here you go:\n```json\n{\"name\": \"Di\"}\n```", "{\"name\":\"Di\"}", NULL,
	       "an object in a fence");
	expect("[{\"id\":\"c1\",\"name\":\"extract_data\",\"args\":{\"name\":\"Ada\",\"address\":{\"zip\":10115}}}]",
	       NULL, NULL, "The extracted data does not match the schema: $.address.zip: expected string, got integer",
	       "a zip that is a number");
	expect("[{\"id\":\"c1\",\"name\":\"extract_data\",\"args\":{\"priority\":\"urgent\"}}]", NULL, NULL,
	       "$.name: required property missing; $.priority: expected one of 'low', 'high'", "two problems");
	expect("[]", "I could not find anything.", NULL, "no extract_data call and no JSON object", "plain text");
	expect(NULL, "[1, 2]", NULL, "no extract_data call and no JSON object", "a list");
	expect(NULL, NULL, NULL, "no extract_data call", "nothing at all");
}

static void
expect_config(const char *cfg_text, const char *says, const char *name)
{
	json_t *cfg = j(cfg_text);
	struct config_problem p;
	int rc = ai_config_check_extractor(cfg, &p);
	if (says == NULL) {
		is_int(rc, 0, "%s: accepted", name);
	} else {
		is_int(rc, -1, "%s: refused", name);
		ok(p.message && strstr(p.message, says) && p.field && strcmp(p.field, "extraction_schema") == 0,
		   "%s: at extraction_schema, \"%s\" (%s)", name, says, p.message ? p.message : "(null)");
	}
	config_problem_free(&p);
	json_decref(cfg);
}

static void
test_config(void)
{
	expect_config("{}", NULL, "no schema yet");
	char *cfg = malloc(strlen(schema_text) + 40);
	sprintf(cfg, "{\"extraction_schema\":%s}", schema_text);
	expect_config(cfg, NULL, "an object schema");
	free(cfg);
	expect_config("{\"extraction_schema\":{\"type\":\"array\",\"items\":{}}}", "should describe an object",
		      "an array schema");
	expect_config("{\"extraction_schema\":\"{{ trigger.schema }}\"}", "should describe an object", "a template");
	expect_config("{\"extraction_schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"date\"}}}}",
		      "schema.properties.a: type: 'date' is not a type", "a type JSON Schema lacks");
}

int
main(void)
{
	test_definition();
	test_result();
	test_config();
	return done_testing();
}
