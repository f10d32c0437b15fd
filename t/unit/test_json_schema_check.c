/*
 * test_json_schema_check.c: the JSON Schema subset (util/json_schema_check)
 * on values that pass and fail, with the messages naming the path, and the
 * check of a schema itself.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/json_schema_check.h"

static json_t *
j(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
	if (v == NULL) {
		printf("Bail out! bad JSON in the test: %s: %s\n", text, err.text);
		exit(1);
	}
	return v;
}

static const char *address_schema =
	"{\"type\":\"object\",\"properties\":{"
	"\"name\":{\"type\":\"string\",\"minLength\":1},"
	"\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150},"
	"\"email\":{\"type\":[\"string\",\"null\"]},"
	"\"color\":{\"enum\":[\"red\",\"green\"]},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":3},"
	"\"address\":{\"type\":\"object\",\"properties\":{"
	"  \"zip\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}},"
	"  \"required\":[\"zip\"],\"additionalProperties\":false}},"
	"\"required\":[\"name\",\"address\"]}";

/* Checks value against the address schema: want NULL to pass, else the
 * exact message. */
static void
expect(const char *value, const char *want, const char *name)
{
	json_t *schema = j(address_schema), *v = j(value);
	char *why = NULL;
	int rc = json_schema_check(schema, v, &why);
	if (want == NULL) {
		is_int(rc, 0, "%s passes", name);
		ok(why == NULL, "%s: no message", name);
	} else {
		is_int(rc, -1, "%s fails", name);
		is_str(why, want, "%s: the message", name);
	}
	free(why);
	json_decref(schema);
	json_decref(v);
}

static void
test_values(void)
{
	expect("{\"name\":\"Ada\",\"address\":{\"zip\":\"10115\"}}", NULL, "the least object");
	expect("{\"name\":\"Ada\",\"age\":36,\"email\":null,\"color\":\"red\",\"tags\":[\"a\",\"b\"],"
	       "\"address\":{\"zip\":\"10115\",\"city\":\"Berlin\"},\"extra\":1}",
	       NULL, "every field (and one the schema does not name)");
	expect("{\"name\":\"Ada\",\"age\":36.0,\"address\":{\"zip\":\"1\"}}", NULL,
	       "36.0 is an integer");
	expect("{\"name\":\"Ada\",\"address\":{\"zip\":10115}}", "$.address.zip: expected string, got integer",
	       "a zip that is a number");
	expect("{\"name\":\"Ada\"}", "$.address: required property missing", "no address");
	expect("{\"address\":{}}", "$.name: required property missing; $.address.zip: required property missing",
	       "two missing, both listed");
	expect("{\"name\":\"\",\"address\":{\"zip\":\"1\"}}", "$.name: expected at least 1 characters, got 0",
	       "an empty name");
	expect("{\"name\":\"A\",\"age\":200,\"address\":{\"zip\":\"1\"}}", "$.age: expected a number <= 150, got 200",
	       "an age too high");
	expect("{\"name\":\"A\",\"age\":1.5,\"address\":{\"zip\":\"1\"}}", "$.age: expected integer, got number",
	       "a fractional age");
	expect("{\"name\":\"A\",\"email\":5,\"address\":{\"zip\":\"1\"}}", "$.email: expected string or null, got integer",
	       "a type list");
	expect("{\"name\":\"A\",\"color\":\"blue\",\"address\":{\"zip\":\"1\"}}",
	       "$.color: expected one of 'red', 'green'", "a value outside the enum");
	expect("{\"name\":\"A\",\"tags\":[\"a\",2],\"address\":{\"zip\":\"1\"}}", "$.tags[1]: expected string, got integer",
	       "an array item of the wrong type");
	expect("{\"name\":\"A\",\"tags\":[\"a\",\"b\",\"c\",\"d\"],\"address\":{\"zip\":\"1\"}}",
	       "$.tags: expected at most 3 items, got 4", "too many tags");
	expect("{\"name\":\"A\",\"address\":{\"zip\":\"1\",\"street\":\"x\"}}",
	       "$.address.street: unexpected property (not in the schema)", "additionalProperties false");
	expect("[1]", "$: expected object, got array", "not an object at all");

	/* The list stops after JSON_SCHEMA_MAX_PROBLEMS. */
	json_t *schema = j("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}");
	json_t *v = json_array();
	for (int i = 0; i < 50; i++)
		json_array_append_new(v, json_integer(i));
	char *why = NULL;
	is_int(json_schema_check(schema, v, &why), -1, "50 bad items fail");
	ok(why != NULL && strstr(why, "$.[9]") == NULL && strstr(why, "$[9]: expected string") != NULL &&
	   strstr(why, "$[10]") == NULL && strcmp(why + strlen(why) - 5, "; ...") == 0,
	   "ten are named, then '...': %s", why ? why : "(null)");
	free(why);
	json_decref(schema);
	json_decref(v);

	/* A value nested deeper than the limit is refused, not recursed into. */
	json_t *deep_schema = j("{\"type\":\"array\"}");
	json_t *inner = j("{\"type\":\"array\"}");
	for (int i = 0; i < 40; i++) {
		json_t *outer = json_pack("{s:s, s:o}", "type", "array", "items", inner);
		inner = outer;
	}
	json_t *deep = json_array();
	json_t *cur = deep;
	for (int i = 0; i < 40; i++) {
		json_t *next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	is_int(json_schema_check(inner, deep, &why), -1, "40 levels of arrays fail");
	ok(why != NULL && strstr(why, "nested too deeply") != NULL, "as nested too deeply: %.80s", why);
	free(why);
	json_decref(inner);
	json_decref(deep);
	json_decref(deep_schema);
}

static void
expect_schema(const char *schema_text, bool want_object, const char *says, const char *name)
{
	json_t *schema = j(schema_text);
	char *why = NULL;
	int rc = json_schema_valid(schema, want_object, &why);
	if (says == NULL) {
		is_int(rc, 0, "%s is a schema", name);
	} else {
		is_int(rc, -1, "%s is refused", name);
		ok(why != NULL && strstr(why, says) != NULL, "%s: says \"%s\" (%s)", name, says,
		   why ? why : "(null)");
	}
	free(why);
	json_decref(schema);
}

static void
test_schemas(void)
{
	expect_schema(address_schema, true, NULL, "the address schema");
	expect_schema("{\"type\":\"object\",\"properties\":{}}", true, NULL, "an empty object schema");
	expect_schema("{\"type\":\"string\"}", false, NULL, "a string schema where any will do");
	expect_schema("{\"type\":\"string\"}", true, "should describe an object", "a string schema");
	expect_schema("[]", true, "should describe an object", "a list");
	expect_schema("{\"type\":\"object\"}", true, "should describe an object", "an object without properties");
	expect_schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"strng\"}}}", true,
		      "schema.properties.a: type: 'strng' is not a type", "a misspelt type");
	expect_schema("{\"type\":\"object\",\"properties\":{\"a\":5}}", true,
		      "schema.properties.a: a schema should be an object", "a property that is no schema");
	expect_schema("{\"type\":\"object\",\"properties\":{},\"required\":\"a\"}", true,
		      "required should be a list", "required as a string");
	expect_schema("{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[]}}}", true,
		      "enum should be a non-empty list", "an empty enum");
	expect_schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"type\":1}}}}",
		      true, "schema.properties.a.items: type should be", "items with a bad type");
	expect_schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":-1}}}",
		      true, "maxLength should be a whole number", "a negative maxLength");
	expect_schema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":\"no\"}", true,
		      "additionalProperties should be", "additionalProperties as a string");

	json_t *inner = j("{\"type\":\"string\"}");
	for (int i = 0; i < 40; i++)
		inner = json_pack("{s:s, s:{s:o}}", "type", "object", "properties", "x", inner);
	char *why = NULL;
	is_int(json_schema_valid(inner, true, &why), -1, "a schema nested 40 levels is refused");
	ok(why != NULL && strstr(why, "nested too deeply") != NULL, "as nested too deeply");
	free(why);
	json_decref(inner);
}

int
main(void)
{
	test_values();
	test_schemas();
	return done_testing();
}
