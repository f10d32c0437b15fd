/* test_validate.c: Pydantic-shaped validation errors and lax coercion. */
#include <stdlib.h>
#include <string.h>

#include "http/validate.h"
#include "tap.h"

/* The type of the last error item, or "" when there is none. */
static const char *
last_type(const struct validator *v)
{
	size_t n = v->errors ? json_array_size(v->errors) : 0;
	if (n == 0)
		return "";
	return json_string_value(json_object_get(json_array_get(v->errors, n - 1), "type"));
}

static json_t *
last_item(const struct validator *v)
{
	return json_array_get(v->errors, json_array_size(v->errors) - 1);
}

static json_t *
body(const char *text)
{
	return json_loads(text, 0, NULL);
}

static void
test_missing_and_null(void)
{
	json_t *b = body("{\"a\": null}");
	struct validator v;
	v_init(&v, b);
	const char *s = "default";
	is_int(v_string(&v, b, "a", 0, 0, 0, &s), 0, "optional null is absent");
	is_str(s, "default", "output untouched");
	is_int(v_string(&v, b, "zz", 0, 0, 0, &s), 0, "optional missing is absent");
	ok(!v_failed(&v), "no errors so far");
	is_int(v_string(&v, b, "a", 1, 0, 0, &s), -1, "required null is invalid");
	is_str(last_type(&v), "string_type", "null gives string_type");
	is_int(v_string(&v, b, "name", 1, 0, 0, &s), -1, "required missing");
	json_t *item = last_item(&v);
	is_str(last_type(&v), "missing", "missing type");
	is_str(json_string_value(json_object_get(item, "msg")), "Field required", "missing msg");
	ok(json_equal(json_object_get(item, "input"), b), "missing input is the whole body");
	json_t *loc = json_object_get(item, "loc");
	ok(json_array_size(loc) == 2 &&
		   strcmp(json_string_value(json_array_get(loc, 0)), "body") == 0 &&
		   strcmp(json_string_value(json_array_get(loc, 1)), "name") == 0,
	   "loc is [body, name]");
	ok(v_failed(&v), "failed");
	json_t *items = v_take(&v);
	is_int(json_array_size(items), 2, "two items taken");
	ok(!v_failed(&v), "reset after take");
	json_decref(items);
	v_free(&v);
	json_decref(b);
}

static void
test_strings(void)
{
	json_t *b = body("{\"n\": 5, \"short\": \"abc\", \"long\": \"\\u00e9\\u00e9\\u00e9\\u00e9\","
			 " \"empty\": \"\"}");
	/* Only a parser told to allow NUL lets one through. */
	json_t *nul = json_loads("{\"nul\": \"a\\u0000b\"}", JSON_ALLOW_NUL, NULL);
	struct validator v;
	v_init(&v, b);
	const char *s = NULL;
	is_int(v_string(&v, b, "n", 1, 0, 0, &s), -1, "a number is not a string");
	is_str(last_type(&v), "string_type", "string_type");
	is_int(v_string(&v, b, "short", 1, 8, 0, &s), -1, "too short");
	is_str(last_type(&v), "string_too_short", "string_too_short");
	is_str(json_string_value(json_object_get(last_item(&v), "msg")),
	       "String should have at least 8 characters", "too-short message");
	is_int(json_integer_value(json_object_get(json_object_get(last_item(&v), "ctx"),
						  "min_length")),
	       8, "ctx min_length");
	is_int(v_string(&v, b, "long", 1, 1, 4, &s), 1, "four code points fit max 4 (8 bytes)");
	is_int(v_string(&v, b, "long", 1, 1, 3, &s), -1, "but not max 3");
	is_str(last_type(&v), "string_too_long", "string_too_long");
	is_int(v_string(&v, b, "empty", 1, 1, 0, &s), -1, "empty below min 1");
	is_str(json_string_value(json_object_get(last_item(&v), "msg")),
	       "String should have at least 1 character", "singular character");
	is_int(v_string(&v, nul, "nul", 1, 0, 0, &s), -1, "embedded NUL refused");
	is_int(v_string(&v, b, "short", 1, 1, 3, &s), 1, "valid string");
	is_str(s, "abc", "value out");
	v_free(&v);
	json_decref(nul);
	json_decref(b);
}

static void
test_literal_and_digits(void)
{
	json_t *b = body("{\"role\": \"root\", \"ok\": \"admin\", \"code\": \"12345a\","
			 " \"good\": \"123456\", \"num\": 123456}");
	struct validator v;
	v_init(&v, b);
	static const char *const roles[] = { "admin", "normal", NULL };
	const char *s = NULL;
	is_int(v_literal(&v, b, "role", 1, roles, &s), -1, "unknown literal");
	is_str(last_type(&v), "literal_error", "literal_error");
	is_str(json_string_value(json_object_get(last_item(&v), "msg")),
	       "Input should be 'admin' or 'normal'", "literal message");
	is_int(v_literal(&v, b, "ok", 1, roles, &s), 1, "known literal");
	is_str(s, "admin", "literal out");
	static const char *const three[] = { "a", "b", "c", NULL };
	v_literal(&v, b, "role", 1, three, &s);
	is_str(json_string_value(json_object_get(last_item(&v), "msg")),
	       "Input should be 'a', 'b' or 'c'", "three literals");
	is_int(v_digits(&v, b, "code", 1, 6, &s), -1, "not six digits");
	is_str(last_type(&v), "string_pattern_mismatch", "pattern mismatch");
	is_str(json_string_value(json_object_get(last_item(&v), "msg")),
	       "String should match pattern '^\\d{6}$'", "pattern message");
	is_int(v_digits(&v, b, "num", 1, 6, &s), -1, "a number is not a code");
	is_str(last_type(&v), "string_type", "string_type for a number code");
	is_int(v_digits(&v, b, "good", 1, 6, &s), 1, "six digits");
	v_free(&v);
	json_decref(b);
}

static void
test_ints(void)
{
	json_t *b = body("{\"s\": \"5\", \"sp\": \" -7 \", \"f\": 5.0, \"ff\": 5.5, \"t\": true,"
			 " \"bad\": \"5x\", \"arr\": [1], \"big\": \"99999999999999999999\","
			 " \"z\": \"3.00\"}");
	struct validator v;
	v_init(&v, b);
	int64_t n = 0;
	is_int(v_int(&v, b, "s", 1, &n), 1, "\"5\" is an int");
	is_int(n, 5, "5");
	is_int(v_int(&v, b, "sp", 1, &n), 1, "whitespace and sign");
	is_int(n, -7, "-7");
	is_int(v_int(&v, b, "f", 1, &n), 1, "5.0 is an int");
	is_int(v_int(&v, b, "z", 1, &n), 1, "\"3.00\" is an int");
	is_int(n, 3, "3");
	is_int(v_int(&v, b, "t", 1, &n), 1, "true is 1");
	is_int(n, 1, "1");
	ok(!v_failed(&v), "no errors for good ints");
	is_int(v_int(&v, b, "ff", 1, &n), -1, "5.5 is not");
	is_str(last_type(&v), "int_from_float", "int_from_float");
	is_int(v_int(&v, b, "bad", 1, &n), -1, "5x is not");
	is_str(last_type(&v), "int_parsing", "int_parsing");
	is_int(v_int(&v, b, "arr", 1, &n), -1, "a list is not");
	is_str(last_type(&v), "int_type", "int_type");
	is_int(v_int(&v, b, "big", 1, &n), -1, "too big");
	is_str(last_type(&v), "int_parsing_size", "int_parsing_size");
	v_free(&v);
	json_decref(b);
}

static void
test_bools(void)
{
	json_t *b = body("{\"a\": \"true\", \"b\": \"1\", \"c\": \"yes\", \"d\": \"OFF\", \"e\": 0,"
			 " \"f\": \"maybe\", \"g\": 2, \"h\": [], \"i\": false}");
	struct validator v;
	v_init(&v, b);
	int x = -1;
	is_int(v_bool(&v, b, "a", 1, &x), 1, "\"true\"");
	is_int(x, 1, "true");
	is_int(v_bool(&v, b, "b", 1, &x), 1, "\"1\"");
	is_int(x, 1, "1 is true");
	is_int(v_bool(&v, b, "c", 1, &x), 1, "\"yes\"");
	is_int(v_bool(&v, b, "d", 1, &x), 1, "\"OFF\"");
	is_int(x, 0, "off is false");
	is_int(v_bool(&v, b, "e", 1, &x), 1, "0");
	is_int(x, 0, "0 is false");
	is_int(v_bool(&v, b, "i", 1, &x), 1, "false");
	ok(!v_failed(&v), "no errors for good bools");
	is_int(v_bool(&v, b, "f", 1, &x), -1, "maybe");
	is_str(last_type(&v), "bool_parsing", "bool_parsing");
	is_int(v_bool(&v, b, "g", 1, &x), -1, "2");
	is_str(last_type(&v), "bool_parsing", "bool_parsing for 2");
	is_int(v_bool(&v, b, "h", 1, &x), -1, "a list");
	is_str(last_type(&v), "bool_type", "bool_type");
	v_free(&v);
	json_decref(b);
}

static void
test_datetimes(void)
{
	json_t *b = body("{\"z\": \"2026-02-17T23:18:00Z\", \"o\": \"2026-02-18T01:18:00+02:00\","
			 " \"n\": \"2026-02-17T23:18:00\", \"bad\": \"soon\", \"num\": 1771370280,"
			 " \"l\": [1]}");
	struct validator v;
	v_init(&v, b);
	int64_t e = 0;
	is_int(v_datetime(&v, b, "z", 1, &e), 1, "with Z");
	is_int(e, 1771370280, "Z epoch");
	e = 0;
	is_int(v_datetime(&v, b, "o", 1, &e), 1, "with offset");
	is_int(e, 1771370280, "offset epoch");
	e = 0;
	is_int(v_datetime(&v, b, "n", 1, &e), 1, "naive");
	is_int(e, 1771370280, "naive is UTC");
	is_int(v_datetime(&v, b, "num", 1, &e), 1, "a number is epoch seconds");
	ok(!v_failed(&v), "no errors for good datetimes");
	is_int(v_datetime(&v, b, "bad", 1, &e), -1, "words are not a datetime");
	ok(strncmp(last_type(&v), "datetime", 8) == 0, "a datetime error type");
	is_int(v_datetime(&v, b, "l", 1, &e), -1, "a list is not");
	is_str(last_type(&v), "datetime_type", "datetime_type");
	v_free(&v);
	json_decref(b);
}

static void
test_object(void)
{
	json_t *b = body("{\"o\": {}, \"s\": \"x\"}");
	struct validator v;
	v_init(&v, b);
	json_t *o = NULL;
	is_int(v_object(&v, b, "o", 1, &o), 1, "an object");
	is_int(v_object(&v, b, "s", 1, &o), -1, "a string is not");
	is_str(last_type(&v), "dict_type", "dict_type");
	json_t *arr = json_array();
	const char *s;
	is_int(v_string(&v, arr, "name", 1, 0, 0, &s), -1, "non-object body: field missing");
	v_free(&v);
	json_decref(arr);
	json_decref(b);
}

static void
test_query_and_path(void)
{
	struct validator v;
	v_init(&v, NULL);
	int64_t n = 50;
	is_int(v_query_int(&v, "limit", NULL, 0, 1000, &n), 0, "absent limit");
	is_int(n, 50, "default kept");
	is_int(v_query_int(&v, "limit", "10", 0, 1000, &n), 1, "limit 10");
	is_int(n, 10, "10");
	is_int(v_query_int(&v, "limit", "0", 0, 1000, &n), 1, "limit 0 allowed");
	is_int(v_query_int(&v, "limit", "1000", 0, 1000, &n), 1, "limit 1000 allowed");
	ok(!v_failed(&v), "no errors yet");
	is_int(v_query_int(&v, "limit", "-1", 0, 1000, &n), -1, "negative limit");
	is_str(last_type(&v), "greater_than_equal", "greater_than_equal");
	is_str(json_string_value(json_object_get(last_item(&v), "msg")),
	       "Input should be greater than or equal to 0", "ge message");
	is_str(json_string_value(json_array_get(json_object_get(last_item(&v), "loc"), 0)),
	       "query", "loc query");
	is_int(v_query_int(&v, "limit", "1001", 0, 1000, &n), -1, "limit 1001");
	is_str(last_type(&v), "less_than_equal", "less_than_equal");
	is_int(v_query_int(&v, "offset", "abc", 0, INT64_MAX, &n), -1, "offset abc");
	is_str(last_type(&v), "int_parsing", "int_parsing in query");
	is_int(v_query_int(&v, "offset", "", 0, INT64_MAX, &n), -1, "empty offset");
	is_int(v_path_int(&v, "user_id", "42", &n), 1, "path 42");
	is_int(n, 42, "42");
	is_int(v_path_int(&v, "user_id", "4x2", &n), -1, "path 4x2");
	json_t *item = last_item(&v);
	is_str(json_string_value(json_array_get(json_object_get(item, "loc"), 0)), "path",
	       "loc path");
	is_str(json_string_value(json_object_get(item, "input")), "4x2", "input echoed");
	is_str(json_string_value(json_object_get(item, "msg")),
	       "Input should be a valid integer, unable to parse string as an integer",
	       "int_parsing message");
	v_free(&v);
}

/* A part of a document checked where it sits: the loc runs through the
 * prefix, a missing field's input is the part, and v_count tells whether
 * this part added items. */
static void
test_nested(void)
{
	json_t *doc = json_loads("{\"nodes\":[{},{\"label\":5}]}", 0, NULL);
	json_t *at = json_pack("[s, i]", "nodes", 1);
	struct validator v;
	v_init(&v, doc);
	size_t before = v_count(&v);
	json_t *node = json_array_get(json_object_get(doc, "nodes"), 1);
	v_nest(&v, node, at);
	const char *s;
	v_string(&v, node, "label", 0, 0, 10, &s);
	v_string(&v, node, "node_id", 1, 1, 10, &s);
	v_nest(&v, doc, NULL);
	ok(v_count(&v) == before + 2, "two items from the nested part");
	json_t *items = v_take(&v);
	char *loc0 = json_dumps(json_object_get(json_array_get(items, 0), "loc"), JSON_COMPACT);
	char *loc1 = json_dumps(json_object_get(json_array_get(items, 1), "loc"), JSON_COMPACT);
	is_str(loc0, "[\"body\",\"nodes\",1,\"label\"]", "loc into the document");
	is_str(loc1, "[\"body\",\"nodes\",1,\"node_id\"]", "a missing field too");
	ok(json_equal(json_object_get(json_array_get(items, 1), "input"), node),
	   "whose input is the nested object");
	v_add(&v, V_QUERY, "limit", "int_parsing", "x", NULL, NULL);
	char *loc2 = json_dumps(json_object_get(json_array_get(v.errors, 0), "loc"), JSON_COMPACT);
	is_str(loc2, "[\"query\",\"limit\"]", "the prefix is for the body only, and cleared");
	free(loc0);
	free(loc1);
	free(loc2);
	json_decref(items);
	v_free(&v);
	json_decref(at);
	json_decref(doc);
}

int
main(void)
{
	test_missing_and_null();
	test_strings();
	test_literal_and_digits();
	test_ints();
	test_bools();
	test_datetimes();
	test_object();
	test_query_and_path();
	test_nested();
	return done_testing();
}
