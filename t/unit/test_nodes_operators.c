/*
 * test_nodes_operators.c: every rule operator of switch, assertion and
 * filter with Pipelit's coercions (pipelit-engine.md 4.5).  The expected
 * values of the table were computed by python3 running Pipelit's operator
 * definitions on the same inputs; the cases after it are where this
 * project deliberately differs (naive vs aware datetimes, runaway regular
 * expressions) or checks its own parts (save-time checks, reuse).
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "nodes/operators.h"
#include "nodes/pycoerce.h"
#include "tap.h"

/* NULL: the field is missing. */
static json_t *
parse(const char *text)
{
	if (text == NULL)
		return NULL;
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (v == NULL)
		printf("# bad test JSON %s: %s\n", text, e.text);
	return v;
}

static struct op_error last_error;

/* op(fv, rv): 1, 0 or -1 (last_error says why). */
static int
eval(const char *op, const char *fv_json, const char *rv_json)
{
	json_t *fv = parse(fv_json), *rv = parse(rv_json);
	memset(&last_error, 0, sizeof(last_error));
	int r = op_eval(op_find(op), fv, rv, &last_error);
	json_decref(fv);
	json_decref(rv);
	return r;
}

struct row {
	const char *op, *fv, *rv;
	int want;
	const char *code;
};

static const struct row table[] = {
	{ "exists", NULL, "\"\"", 0, NULL },
	{ "exists", "null", "\"\"", 0, NULL },
	{ "exists", "0", "\"\"", 1, NULL },
	{ "exists", "\"\"", "\"\"", 1, NULL },
	{ "exists", "false", "\"\"", 1, NULL },
	{ "does_not_exist", NULL, "\"\"", 1, NULL },
	{ "does_not_exist", "null", "\"\"", 1, NULL },
	{ "does_not_exist", "[]", "\"\"", 0, NULL },
	{ "is_empty", NULL, "\"\"", 1, NULL },
	{ "is_empty", "null", "\"\"", 1, NULL },
	{ "is_empty", "\"\"", "\"\"", 1, NULL },
	{ "is_empty", "[]", "\"\"", 1, NULL },
	{ "is_empty", "{}", "\"\"", 1, NULL },
	{ "is_empty", "0", "\"\"", 0, NULL },
	{ "is_empty", "false", "\"\"", 0, NULL },
	{ "is_empty", "\" \"", "\"\"", 0, NULL },
	{ "is_empty", "[null]", "\"\"", 0, NULL },
	{ "is_empty", "{\"a\":null}", "\"\"", 0, NULL },
	{ "is_not_empty", NULL, "\"\"", 0, NULL },
	{ "is_not_empty", "\"\"", "\"\"", 0, NULL },
	{ "is_not_empty", "0", "\"\"", 1, NULL },
	{ "is_not_empty", "\"x\"", "\"\"", 1, NULL },
	{ "is_not_empty", "[1]", "\"\"", 1, NULL },
	{ "equals", "\"chat\"", "\"chat\"", 1, NULL },
	{ "equals", "\"Chat\"", "\"chat\"", 0, NULL },
	{ "equals", "1", "\"1\"", 1, NULL },
	{ "equals", "1.0", "\"1.0\"", 1, NULL },
	{ "equals", "1.0", "\"1\"", 0, NULL },
	{ "equals", "1", "1.0", 0, NULL },
	{ "equals", "true", "\"True\"", 1, NULL },
	{ "equals", "true", "\"true\"", 0, NULL },
	{ "equals", "null", "\"None\"", 1, NULL },
	{ "equals", NULL, "\"None\"", 1, NULL },
	{ "equals", NULL, "\"\"", 0, NULL },
	{ "equals", "\"\"", "\"\"", 1, NULL },
	{ "equals", "[1, \"a\"]", "\"[1, 'a']\"", 1, NULL },
	{ "equals", "{\"a\": true}", "\"{'a': True}\"", 1, NULL },
	{ "equals", "1e16", "\"1e+16\"", 1, NULL },
	{ "equals", "0.1", "\"0.1\"", 1, NULL },
	{ "equals", "\"é\"", "\"é\"", 1, NULL },
	{ "not_equals", "\"a\"", "\"b\"", 1, NULL },
	{ "not_equals", "\"a\"", "\"a\"", 0, NULL },
	{ "not_equals", "2", "\"2\"", 0, NULL },
	{ "not_equals", NULL, "\"None\"", 0, NULL },
	{ "contains", "\"hello world\"", "\"lo w\"", 1, NULL },
	{ "contains", "\"hello\"", "\"x\"", 0, NULL },
	{ "contains", "\"hello\"", "\"\"", 1, NULL },
	{ "contains", "[\"a\", \"b\"]", "\"a\"", 1, NULL },
	{ "contains", "[\"a\", \"b\"]", "\"c\"", 0, NULL },
	{ "contains", "[1, 2]", "\"1\"", 0, NULL },
	{ "contains", "[1, 2]", "1", 1, NULL },
	{ "contains", "[1, 2]", "1.0", 1, NULL },
	{ "contains", "[true]", "1", 1, NULL },
	{ "contains", "[[1]]", "[1]", 1, NULL },
	{ "contains", "[{\"a\": 1}]", "{\"a\": 1.0}", 1, NULL },
	{ "contains", "[\"ab\"]", "\"a\"", 0, NULL },
	{ "contains", "[null]", "null", 1, NULL },
	{ "contains", "[]", "\"\"", 0, NULL },
	{ "contains", "{\"key\": 1}", "\"key\"", 1, NULL },
	{ "contains", "{\"key\": 1}", "\"'key'\"", 1, NULL },
	{ "contains", "12345", "\"234\"", 1, NULL },
	{ "contains", NULL, "\"on\"", 1, NULL },
	{ "contains", "true", "\"ru\"", 1, NULL },
	{ "not_contains", "\"hello\"", "\"ell\"", 0, NULL },
	{ "not_contains", "\"hello\"", "\"z\"", 1, NULL },
	{ "not_contains", "[\"a\"]", "\"a\"", 0, NULL },
	{ "not_contains", "[\"a\"]", "\"b\"", 1, NULL },
	{ "not_contains", "[1]", "\"1\"", 1, NULL },
	{ "starts_with", "\"hello\"", "\"he\"", 1, NULL },
	{ "starts_with", "\"hello\"", "\"lo\"", 0, NULL },
	{ "starts_with", "\"hello\"", "\"\"", 1, NULL },
	{ "starts_with", "12", "\"1\"", 1, NULL },
	{ "starts_with", "true", "\"Tr\"", 1, NULL },
	{ "starts_with", NULL, "\"No\"", 1, NULL },
	{ "starts_with", "\"hi\"", "\"hello\"", 0, NULL },
	{ "not_starts_with", "\"hello\"", "\"he\"", 0, NULL },
	{ "not_starts_with", "\"hello\"", "\"x\"", 1, NULL },
	{ "ends_with", "\"hello\"", "\"lo\"", 1, NULL },
	{ "ends_with", "\"hello\"", "\"he\"", 0, NULL },
	{ "ends_with", "1.5", "\".5\"", 1, NULL },
	{ "ends_with", "\"lo\"", "\"hello\"", 0, NULL },
	{ "ends_with", "\"héé\"", "\"é\"", 1, NULL },
	{ "not_ends_with", "\"hello\"", "\"lo\"", 0, NULL },
	{ "not_ends_with", "\"hello\"", "\"x\"", 1, NULL },
	{ "matches_regex", "\"order 123\"", "\"\\\\d+\"", 1, NULL },
	{ "matches_regex", "\"order\"", "\"\\\\d+\"", 0, NULL },
	{ "matches_regex", "\"abc\"", "\"^b\"", 0, NULL },
	{ "matches_regex", "\"abc\"", "\"b\"", 1, NULL },
	{ "matches_regex", "\"abc\"", "\"^abc$\"", 1, NULL },
	{ "matches_regex", "\"ABC\"", "\"(?i)abc\"", 1, NULL },
	{ "matches_regex", "42", "\"^4\"", 1, NULL },
	{ "matches_regex", "true", "\"^True$\"", 1, NULL },
	{ "matches_regex", NULL, "\"None\"", 1, NULL },
	{ "matches_regex", "\"x\"", "\"\"", 1, NULL },
	{ "matches_regex", "\"a\\nb\"", "\"^b\"", 0, NULL },
	{ "matches_regex", "\"a\\nb\"", "\"(?m)^b\"", 1, NULL },
	{ "matches_regex", "\"a\\nb\"", "\"a.b\"", 0, NULL },
	{ "matches_regex", "\"a\\n\"", "\"a$\"", 1, NULL },
	{ "matches_regex", "\"é1\"", "\"^\\\\w\\\\d$\"", 1, NULL },
	{ "matches_regex", "\"٣\"", "\"\\\\d\"", 1, NULL },
	{ "matches_regex", "\"user@example.com\"", "\"^(?P<user>[^@]+)@\"", 1, NULL },
	{ "matches_regex", "\"aaa\"", "\"a{2}\"", 1, NULL },
	{ "not_matches_regex", "\"abc\"", "\"z\"", 1, NULL },
	{ "not_matches_regex", "\"abc\"", "\"b\"", 0, NULL },
	{ "gt", "5", "3", 1, NULL },
	{ "gt", "3", "5", 0, NULL },
	{ "gt", "\"10\"", "\"9\"", 1, NULL },
	{ "gt", "\"10\"", "9", 1, NULL },
	{ "gt", "\" 2.5 \"", "\"2\"", 1, NULL },
	{ "gt", "\"1_000\"", "\"999\"", 1, NULL },
	{ "gt", "\"abc\"", "-1", 1, NULL },
	{ "gt", "\"abc\"", "0", 0, NULL },
	{ "gt", "null", "-1", 1, NULL },
	{ "gt", NULL, "-0.5", 1, NULL },
	{ "gt", "[5]", "0", 0, NULL },
	{ "gt", "{}", "-1", 1, NULL },
	{ "gt", "true", "0.5", 1, NULL },
	{ "gt", "false", "-0.5", 1, NULL },
	{ "gt", "\"1e3\"", "999", 1, NULL },
	{ "gt", "\"inf\"", "1e308", 1, NULL },
	{ "gt", "\"-Infinity\"", "-1e308", 0, NULL },
	{ "gt", "\"nan\"", "0", 0, NULL },
	{ "lt", "\"nan\"", "0", 0, NULL },
	{ "gt", "\"1__0\"", "-1", 1, NULL },
	{ "gt", "\"0x10\"", "1", 0, NULL },
	{ "gt", "\".5\"", "0.4", 1, NULL },
	{ "gt", "\"5.\"", "4.9", 1, NULL },
	{ "gt", "\"1e\"", "-1", 1, NULL },
	{ "gt", "\"\"", "-1", 1, NULL },
	{ "gt", "\"_1\"", "0", 0, NULL },
	{ "gt", "\"1_\"", "0", 0, NULL },
	{ "lt", "1", "2", 1, NULL },
	{ "lt", "2", "1", 0, NULL },
	{ "lt", "\"-3\"", "\"-2\"", 1, NULL },
	{ "lt", "\"x\"", "1", 1, NULL },
	{ "gte", "2", "2", 1, NULL },
	{ "gte", "\"2.0\"", "2", 1, NULL },
	{ "gte", "1", "2", 0, NULL },
	{ "gte", "\"x\"", "\"y\"", 1, NULL },
	{ "lte", "2", "2", 1, NULL },
	{ "lte", "3", "\"2\"", 0, NULL },
	{ "lte", "null", "null", 1, NULL },
	{ "after", "\"2024-06-01T10:00:00Z\"", "\"2024-06-01T09:00:00Z\"", 1, NULL },
	{ "after", "\"2024-06-01T10:00:00Z\"", "\"2024-06-01T11:00:00Z\"", 0, NULL },
	{ "after", "\"2024-06-01T10:00:00+02:00\"", "\"2024-06-01T09:00:00Z\"", 0, NULL },
	{ "after", "\"2024-06-01T10:00:00-02:00\"", "\"2024-06-01T11:00:00Z\"", 1, NULL },
	{ "after", "\"2024-06-02\"", "\"2024-06-01\"", 1, NULL },
	{ "after", "\"20240602\"", "\"2024-06-01\"", 1, NULL },
	{ "after", "\"2024-06-01 10:00\"", "\"2024-06-01T09:59:59.999999\"", 1, NULL },
	{ "after", "\"2024-06-01T10:00:00.5\"", "\"2024-06-01T10:00:00,4\"", 1, NULL },
	{ "after", "\"2024-W23-1\"", "\"2024-06-02\"", 1, NULL },
	{ "before", "\"2024-W22-7\"", "\"2024-06-03\"", 1, NULL },
	{ "after", "\"garbage\"", "\"2024-01-01\"", 0, NULL },
	{ "after", "\"2024-01-01\"", "\"garbage\"", 0, NULL },
	{ "before", "\"garbage\"", "\"2024-01-01\"", 0, NULL },
	{ "before", "\"2024-01-01\"", "\"garbage\"", 0, NULL },
	{ "after", "20240101", "\"2023-01-01\"", 0, NULL },
	{ "after", NULL, "\"2023-01-01\"", 0, NULL },
	{ "after", "\"2024-02-30\"", "\"2023-01-01\"", 0, NULL },
	{ "after", "\"2024-01-01T24:00\"", "\"2023-01-01\"", 0, NULL },
	{ "before", "\"2024-06-01T10:00:00Z\"", "\"2024-06-01T11:00:00Z\"", 1, NULL },
	{ "before", "\"2024-06-01T10:00:00Z\"", "\"2024-06-01T10:00:00Z\"", 0, NULL },
	{ "after_or_equal", "\"2024-06-01T10:00:00Z\"", "\"2024-06-01T10:00:00+00:00\"", 1, NULL },
	{ "after_or_equal", "\"2024-06-01T12:00:00+02:00\"", "\"2024-06-01T10:00:00Z\"", 1, NULL },
	{ "after_or_equal", "\"2024-06-01T09:00:00Z\"", "\"2024-06-01T10:00:00Z\"", 0, NULL },
	{ "after_or_equal", "\"garbage\"", "\"garbage\"", 0, NULL },
	{ "before_or_equal", "\"2024-06-01T10:00:00Z\"", "\"2024-06-01T10:00:00Z\"", 1, NULL },
	{ "before_or_equal", "\"2024-06-01T10:00:01Z\"", "\"2024-06-01T10:00:00Z\"", 0, NULL },
	{ "before_or_equal", "\"2024-06-01T10:00:00+0530\"", "\"2024-06-01T04:30:00+00:00\"", 1, NULL },
	{ "before", "\"2024-12-31T23:00:00-05:00\"", "\"2025-01-01T05:00:00+01:00\"", 0, NULL },
	{ "is_true", "true", "\"\"", 1, NULL },
	{ "is_true", "false", "\"\"", 0, NULL },
	{ "is_true", "\"true\"", "\"\"", 1, NULL },
	{ "is_true", "\"TRUE\"", "\"\"", 1, NULL },
	{ "is_true", "\"Yes\"", "\"\"", 1, NULL },
	{ "is_true", "\"1\"", "\"\"", 1, NULL },
	{ "is_true", "\"y\"", "\"\"", 0, NULL },
	{ "is_true", "\"on\"", "\"\"", 0, NULL },
	{ "is_true", "\"false\"", "\"\"", 0, NULL },
	{ "is_true", "1", "\"\"", 1, NULL },
	{ "is_true", "0", "\"\"", 0, NULL },
	{ "is_true", "0.0", "\"\"", 0, NULL },
	{ "is_true", "2.5", "\"\"", 1, NULL },
	{ "is_true", "null", "\"\"", 0, NULL },
	{ "is_true", NULL, "\"\"", 0, NULL },
	{ "is_true", "[]", "\"\"", 0, NULL },
	{ "is_true", "[0]", "\"\"", 1, NULL },
	{ "is_true", "{}", "\"\"", 0, NULL },
	{ "is_true", "{\"a\":1}", "\"\"", 1, NULL },
	{ "is_false", "false", "\"\"", 1, NULL },
	{ "is_false", "true", "\"\"", 0, NULL },
	{ "is_false", "\"no\"", "\"\"", 1, NULL },
	{ "is_false", "\"maybe\"", "\"\"", 1, NULL },
	{ "is_false", "\"yes\"", "\"\"", 0, NULL },
	{ "is_false", "0", "\"\"", 1, NULL },
	{ "is_false", "1", "\"\"", 0, NULL },
	{ "is_false", NULL, "\"\"", 1, NULL },
	{ "is_false", "[]", "\"\"", 1, NULL },
	{ "is_false", "\"\"", "\"\"", 1, NULL },
	{ "length_eq", "[1, 2, 3]", "3", 1, NULL },
	{ "length_eq", "[1, 2, 3]", "\"3\"", 1, NULL },
	{ "length_eq", "\"abc\"", "\" 3 \"", 1, NULL },
	{ "length_eq", "\"héllo\"", "5", 1, NULL },
	{ "length_eq", "\"日本\"", "2", 1, NULL },
	{ "length_eq", "[]", "0", 1, NULL },
	{ "length_eq", "\"\"", "\"0\"", 1, NULL },
	{ "length_eq", "{\"a\":1}", "1", 0, NULL },
	{ "length_eq", "5", "1", 0, NULL },
	{ "length_eq", NULL, "0", 0, NULL },
	{ "length_eq", "[1]", "1.9", 1, NULL },
	{ "length_eq", "[1]", "true", 1, NULL },
	{ "length_eq", "[1,2]", "\"+2\"", 1, NULL },
	{ "length_eq", "[1]", "\"1_0\"", 0, NULL },
	{ "length_neq", "[1, 2]", "3", 1, NULL },
	{ "length_neq", "[1, 2]", "2", 0, NULL },
	{ "length_neq", "5", "1", 1, NULL },
	{ "length_neq", NULL, "\"x\"", 1, NULL },
	{ "length_neq", "{\"a\":1}", "1", 1, NULL },
	{ "length_gt", "[1, 2]", "1", 1, NULL },
	{ "length_gt", "[1, 2]", "2", 0, NULL },
	{ "length_gt", "\"abc\"", "2", 1, NULL },
	{ "length_gt", "7", "-1", 0, NULL },
	{ "length_lt", "[1]", "2", 1, NULL },
	{ "length_lt", "[1, 2]", "2", 0, NULL },
	{ "length_lt", "null", "5", 0, NULL },
	{ "length_gte", "[1, 2]", "2", 1, NULL },
	{ "length_gte", "[1]", "2", 0, NULL },
	{ "length_gte", "true", "0", 0, NULL },
	{ "length_lte", "[1, 2]", "2", 1, NULL },
	{ "length_lte", "[1, 2, 3]", "2", 0, NULL },
	{ "length_lte", "{}", "5", 0, NULL },
	{ "length_eq", "[1]", "\"99999999999999999999999\"", 0, NULL },
	{ "length_lt", "[1]", "\"99999999999999999999999\"", 1, NULL },
	{ "length_gt", "[1]", "\"-99999999999999999999999\"", 1, NULL },
	{ "length_eq", "[1]", "\"abc\"", -1, "bad_value" },
	{ "length_gt", "\"ab\"", "\"1.5\"", -1, "bad_value" },
	{ "length_lt", "[1]", "\"\"", -1, "bad_value" },
	{ "length_eq", "[1]", "null", -1, "bad_value" },
	{ "length_eq", "[1]", "[1]", -1, "bad_value" },
	{ "matches_regex", "\"abc\"", "\"(\"", -1, "bad_regex" },
	{ "matches_regex", "\"abc\"", "\"[a-\"", -1, "bad_regex" },
	{ "not_matches_regex", "\"abc\"", "\"*\"", -1, "bad_regex" },
};

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct row *r = &table[i];
		int got = eval(r->op, r->fv, r->rv);
		is_int(got, r->want, "%s(%s, %s)", r->op, r->fv ? r->fv : "<missing>", r->rv);
		if (r->code != NULL)
			is_str(last_error.code, r->code, "%s(%s, %s) fails with %s", r->op,
			       r->fv ? r->fv : "<missing>", r->rv, r->code);
	}
}

/* Every operator of the spec's table is there, and only those. */
static void
test_every_operator_known(void)
{
	static const char *const all[] = {
		"exists", "does_not_exist", "is_empty", "is_not_empty", "equals", "not_equals",
		"contains", "not_contains", "starts_with", "not_starts_with", "ends_with",
		"not_ends_with", "matches_regex", "not_matches_regex", "gt", "lt", "gte", "lte",
		"after", "before", "after_or_equal", "before_or_equal", "is_true", "is_false",
		"length_eq", "length_neq", "length_gt", "length_lt", "length_gte", "length_lte",
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ok(op_find(all[i]) != NULL, "operator %s exists", all[i]);
		is_str(op_name(op_find(all[i])), all[i], "and is called so");
	}
	ok(op_find("eq") == NULL, "eq is no operator (the old filter's name)");
	ok(op_find("EQUALS") == NULL, "names are case-sensitive");
	ok(op_find("") == NULL && op_find(NULL) == NULL, "empty and NULL names are unknown");
}

/* A rule without a value compares with "" (Pipelit's rule.get("value", "")). */
static void
test_missing_value(void)
{
	struct op_error err;
	json_t *empty = json_string("");
	json_t *x = json_string("x");
	is_int(op_eval(op_find("equals"), empty, NULL, &err), 1, "equals with no value: \"\" == \"\"");
	is_int(op_eval(op_find("contains"), x, NULL, &err), 1, "contains with no value: \"\" in \"x\"");
	is_int(op_eval(op_find("length_eq"), x, NULL, &err), -1, "length with no value: int(\"\") fails");
	is_str(err.code, "bad_value", "as a bad value");
	json_decref(empty);
	json_decref(x);
}

/*
 * Naive and aware datetimes: Python raises TypeError comparing them (and
 * an aware value with an unparseable other side, whose sentinel is
 * naive), which failed the node.  Here a naive value counts as UTC.
 */
static void
test_naive_is_utc(void)
{
	is_int(eval("after", "\"2024-06-01T10:00:00\"", "\"2024-06-01T09:00:00Z\""), 1,
	       "naive 10:00 is after aware 09:00Z");
	is_int(eval("after", "\"2024-06-01T10:00:00\"", "\"2024-06-01T10:30:00+01:00\""), 1,
	       "naive 10:00 (UTC) is after 10:30+01:00 (09:30Z)");
	is_int(eval("before", "\"2024-06-01T10:00:00+02:00\"", "\"2024-06-01T09:00:00\""), 1,
	       "08:00Z is before naive 09:00");
	is_int(eval("after_or_equal", "\"2024-06-01T10:00:00\"", "\"2024-06-01T10:00:00Z\""), 1,
	       "naive 10:00 equals 10:00Z");
	is_int(eval("before_or_equal", "\"2024-06-01\"", "\"2024-06-01T00:00:00+00:00\""), 1,
	       "a date alone is its midnight, UTC");
	is_int(eval("after", "\"2024-06-01T10:00:00Z\"", "\"garbage\""), 0,
	       "aware against unparseable: false, not an error");
	is_int(eval("before", "\"garbage\"", "\"2024-06-01T10:00:00Z\""), 0,
	       "unparseable against aware: false, not an error");
	is_int(eval("after", "\"2024-06-01T10:00:00+24:00\"", "\"2000-01-01\""), 0,
	       "an offset of 24 hours is unparseable");
	is_int(eval("after", "\"2024-06-01T10:00:00z\"", "\"2000-01-01\""), 0,
	       "a lowercase z is unparseable (as in Python)");
	is_int(eval("after", "\"2024-W53-1\"", "\"2000-01-01\""), 0, "2024 has no week 53");
	is_int(eval("after", "\"2020-W53-1\"", "\"2020-12-27\""), 1, "2020 has a week 53 (28 December)");
	is_int(eval("before", "\"2020-W53-1\"", "\"2020-12-29\""), 1, "which is before the 29th");
	is_int(eval("after", "\"2024-01-01T10:30:00 +05:00\"", "\"2024-01-01T05:00:00Z\""), 1,
	       "a space may come before the offset (05:30Z)");
	is_int(eval("after", "\"2024-01-01T10:30:00 \"", "\"2000-01-01\""), 0,
	       "but not alone at the end (unparseable, as in Python)");
	is_int(eval("after", "\"2024-02-29\"", "\"2024-02-28T23:59:59Z\""), 1, "29 February of a leap year");
	is_int(eval("after", "\"2023-02-29\"", "\"2000-01-01\""), 0, "no 29 February in 2023");
	is_int(eval("after", "\"1900-03-01\"", "\"1900-02-28\""), 1, "dates before 1970");
	is_int(eval("before", "\"0001-01-01\"", "\"9999-12-31T23:59:59.999999\""), 1,
	       "the whole range of years");
	is_int(eval("after", "\"0000-01-01\"", "\"0001-01-01\""), 0, "year 0 is unparseable");
}

/* A pattern that backtracks catastrophically fails the node quickly with
 * a clear message instead of holding the executor. */
static void
test_catastrophic_regex(void)
{
	char subject[5003];
	memset(subject, 'a', 5000);
	strcpy(subject + 5000, "!");
	json_t *fv = json_string(subject);
	json_t *rv = json_string("(a+)+$");
	struct op_error err;
	memset(&err, 0, sizeof(err));
	is_int(op_eval(op_find("matches_regex"), fv, rv, &err), -1, "(a+)+$ on 5000 a's and a '!' fails");
	is_str(err.code, "regex_limit", "as a regex over its limits");
	ok(strstr(err.message, "(a+)+$") != NULL && strstr(err.message, "backtrack") != NULL,
	   "the message names the pattern and the cause: %s", err.message);
	is_int(err.no_retry, 1, "a retry would meet the same limit");
	memset(&err, 0, sizeof(err));
	is_int(op_eval(op_find("not_matches_regex"), fv, rv, &err), -1, "not_matches_regex fails too");
	is_str(err.code, "regex_limit", "the same way");
	json_decref(rv);
	rv = json_string("^(\\w+\\s?)+$");
	json_decref(fv);
	fv = json_string("an ordinary sentence that ends with a character no word has!");
	is_int(op_eval(op_find("matches_regex"), fv, rv, &err), -1,
	       "^(\\w+\\s?)+$ on a sentence that ends with '!' fails");
	is_str(err.code, "regex_limit", "over its limits");
	json_decref(rv);
	/* The same kind of pattern on a value it matches is fine. */
	rv = json_string("(a+)+$");
	json_decref(fv);
	fv = json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	is_int(op_eval(op_find("matches_regex"), fv, rv, &err), 1, "(a+)+$ on a's alone matches");
	json_decref(rv);
	json_decref(fv);
}

static void
test_bad_regex_message(void)
{
	struct op_error err;
	memset(&err, 0, sizeof(err));
	is_int(eval("matches_regex", "\"abc\"", "\"(unclosed\""), -1, "an unclosed group fails");
	is_str(last_error.code, "bad_regex", "bad_regex");
	is_int(last_error.no_retry, 1, "not retried");
	ok(strstr(last_error.message, "(unclosed") != NULL && strstr(last_error.message, "offset") != NULL,
	   "the message names the pattern and where: %s", last_error.message);
}

/* One prepared test serves many values (filter's items): the pattern is
 * compiled once, and only when a value needs it. */
static void
test_prepared_reuse(void)
{
	json_t *rv = json_string("^[a-c]+$");
	struct op_test t;
	op_test_init(&t, op_find("matches_regex"), rv);
	static const char *const values[] = { "abc", "abd", "", "cab", "ABC" };
	static const int want[] = { 1, 0, 0, 1, 0 };
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < 5; i++) {
			json_t *fv = json_string(values[i]);
			struct op_error err;
			is_int(op_test_run(&t, fv, &err), want[i], "round %d: %s", round, values[i]);
			json_decref(fv);
		}
	op_test_release(&t);
	json_decref(rv);

	/* A bad pattern that no value reaches fails nothing. */
	rv = json_string("(");
	op_test_init(&t, op_find("matches_regex"), rv);
	op_test_release(&t);
	json_decref(rv);
	ok(1, "a bad pattern never run is no error");

	/* int(rv) of a length rule only when a value is a list or a string. */
	rv = json_string("abc");
	op_test_init(&t, op_find("length_eq"), rv);
	json_t *n = json_integer(5);
	struct op_error err;
	is_int(op_test_run(&t, n, &err), 0, "length_eq of a number with a bad value: false, no error");
	json_t *s = json_string("abc");
	is_int(op_test_run(&t, s, &err), -1, "of a string: the value is converted and fails");
	op_test_release(&t);
	json_decref(n);
	json_decref(s);
	json_decref(rv);
}

static void
test_check_value(void)
{
	char *msg = NULL;
	json_t *v = json_string("(a|b");
	is_int(op_check_value(op_find("matches_regex"), v, &msg), -1, "a bad pattern is refused at save time");
	ok(msg && strstr(msg, "(a|b") != NULL, "naming it: %s", msg ? msg : "");
	free(msg);
	msg = NULL;
	json_decref(v);
	v = json_string("{{ node.pattern }}");
	is_int(op_check_value(op_find("matches_regex"), v, &msg), 0, "a templated pattern is checked at run time");
	is_int(op_check_value(op_find("length_gt"), v, &msg), 0, "a templated length too");
	json_decref(v);
	v = json_string("^ok$");
	is_int(op_check_value(op_find("not_matches_regex"), v, &msg), 0, "a good pattern passes");
	json_decref(v);
	v = json_string("x");
	is_int(op_check_value(op_find("length_gt"), v, &msg), -1, "a length of 'x' is refused");
	ok(msg && strstr(msg, "length_gt") != NULL && strstr(msg, "integer") != NULL, "saying why: %s",
	   msg ? msg : "");
	free(msg);
	msg = NULL;
	is_int(op_check_value(op_find("length_gt"), NULL, &msg), -1, "a length rule without a value is refused");
	free(msg);
	msg = NULL;
	json_decref(v);
	v = json_string(" 3 ");
	is_int(op_check_value(op_find("length_gt"), v, &msg), 0, "\" 3 \" is an integer to int()");
	json_decref(v);
	v = json_integer(3);
	is_int(op_check_value(op_find("equals"), v, &msg), 0, "other operators take any value");
	json_decref(v);
}

/* Python's float() and int() as the number and length operators use them
 * (expected values from python3). */
static void
test_coercions(void)
{
	static const struct {
		const char *text;
		int ok;
		double value;
	} floats[] = {
		{ "1_000.5", 1, 1000.5 }, { " -2.5e-3 ", 1, -0.0025 }, { "+.5", 1, 0.5 },
		{ "1E2", 1, 100.0 }, { "1.", 1, 1.0 }, { "1_000.000_1", 1, 1000.0001 },
		{ "\t7\f", 1, 7.0 }, { "1__0", 0, 0 }, { ".", 0, 0 }, { "e5", 0, 0 }, { "1e+", 0, 0 },
		{ "0x1", 0, 0 }, { "", 0, 0 }, { "1 2", 0, 0 }, { "--1", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		json_t *v = json_string(floats[i].text);
		double d = -42;
		int rc = py_float(v, &d);
		is_int(rc == 0, floats[i].ok, "float('%s') %s", floats[i].text,
		       floats[i].ok ? "parses" : "raises");
		if (floats[i].ok)
			ok(d == floats[i].value, "float('%s') == %g (got %g)", floats[i].text,
			   floats[i].value, d);
		json_decref(v);
	}
	json_t *v = json_string("-iNfInItY");
	double d;
	ok(py_float(v, &d) == 0 && isinf(d) && d < 0, "float('-iNfInItY') is -inf");
	json_decref(v);
	v = json_string("NaN");
	ok(py_float(v, &d) == 0 && isnan(d), "float('NaN') is nan");
	json_decref(v);
	ok(py_float(NULL, &d) == -1, "float(None) raises");

	static const struct {
		const char *json;
		int ok;
		long long value;
	} ints[] = {
		{ "\"3\"", 1, 3 }, { "\" 3 \"", 1, 3 }, { "\"+3\"", 1, 3 }, { "\"-3\"", 1, -3 },
		{ "\"1_0\"", 1, 10 }, { "\"007\"", 1, 7 }, { "3.9", 1, 3 }, { "-3.9", 1, -3 },
		{ "true", 1, 1 }, { "false", 1, 0 }, { "\"3.0\"", 0, 0 }, { "\"0x3\"", 0, 0 },
		{ "\"\"", 0, 0 }, { "\"1e3\"", 0, 0 }, { "null", 0, 0 }, { "{}", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_t *j = parse(ints[i].json);
		long long n = -42;
		int rc = py_int(j, &n);
		is_int(rc == 0, ints[i].ok, "int(%s) %s", ints[i].json, ints[i].ok ? "converts" : "raises");
		if (ints[i].ok)
			is_int(n, ints[i].value, "int(%s)", ints[i].json);
		json_decref(j);
	}
}

int
main(void)
{
	test_table();
	test_every_operator_known();
	test_missing_value();
	test_naive_is_utc();
	test_catastrophic_regex();
	test_bad_regex_message();
	test_prepared_reuse();
	test_check_value();
	test_coercions();
	return done_testing();
}
