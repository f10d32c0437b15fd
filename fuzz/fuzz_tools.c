/* fuzz_tools.c: what the agent's tools read from outside: any bytes as an
 * HTTP tool's response body (nodes/tools: http_request's clipped text,
 * SearXNG's JSON), as a categorizer's reply (nodes/categorize), as an
 * extractor's text answer (nodes/extract), and, when they are JSON, as a
 * schema and a value for util/json_schema_check.  No crash, no leak, and
 * every answer a valid UTF-8 string. */
#include "fuzz_util.h"

#include <jansson.h>

#include "nodes/categorize.h"
#include "nodes/extract.h"
#include "nodes/tools.h"
#include "util/json_schema_check.h"
#include "util/utf8.h"

static const char schema_text[] =
	"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":5},"
	"\"n\":{\"type\":[\"integer\",\"null\"],\"minimum\":0},\"tags\":{\"type\":\"array\","
	"\"items\":{\"enum\":[\"a\",\"b\"]}},\"o\":{\"type\":\"object\",\"properties\":{},"
	"\"additionalProperties\":false}},\"required\":[\"name\"]}";

static void
answer(const char *type, const uint8_t *data, size_t size)
{
	char *out = tool_http_answer(type, 200, (const char *)data, size, NULL);
	if (out == NULL || !utf8_valid(out))
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *schema, *cats;
	if (schema == NULL) {
		schema = json_loads(schema_text, 0, NULL);
		cats = json_loads("[{\"name\":\"billing\"},{\"name\":\"it's\"},{\"name\":\"x\"}]", 0, NULL);
	}
	answer("http_request", data, size);
	answer("web_search", data, size);

	char *text = fuzz_cstring(data, size);
	json_t *r = categorize_result(cats, text);
	if (!json_is_string(json_object_get(r, "category")) || !json_is_string(json_object_get(r, "raw")))
		abort();
	json_decref(r);

	json_t *extracted = NULL;
	char *err = NULL;
	if (extract_result(schema, NULL, text, &extracted, &err) == 0) {
		if (err != NULL || !json_is_object(json_object_get(extracted, "extracted")))
			abort();
	} else if (err == NULL || extracted != NULL) {
		abort();
	}
	json_decref(extracted);
	free(err);
	free(text);

	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (doc != NULL) {
		char *why = NULL;
		if (json_schema_check(schema, doc, &why) != 0 && why == NULL)
			abort();
		free(why);
		why = NULL;
		if (json_schema_valid(doc, false, &why) == 0) {
			char *why2 = NULL;
			/* A schema checked against itself: any outcome, no crash. */
			json_schema_check(doc, doc, &why2);
			free(why2);
		} else if (why == NULL) {
			abort();
		}
		free(why);
		json_decref(doc);
	}
	return 0;
}
