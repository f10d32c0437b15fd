/* test_pystr.c: Python-style str()/repr() of JSON values (expr/pystr.c).
 * Every expected string is what python3 prints for the same value. */
#include <stdlib.h>

#include "expr/pystr.h"
#include "tap.h"

static void
check_json(const char *json, const char *want_str, const char *want_repr)
{
	json_error_t err;
	json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (v == NULL) {
		ok(0, "parse %s: %s", json, err.text);
		return;
	}
	char *s = py_str(v);
	char *r = py_repr(v);
	is_str(s, want_str, "str(%s)", json);
	is_str(r, want_repr, "repr(%s)", json);
	free(s);
	free(r);
	json_decref(v);
}

static void
check_float(double d, const char *want)
{
	char buf[PY_FLOAT_REPR_SIZE];
	py_float_repr(d, buf);
	is_str(buf, want, "repr(float %.17g)", d);
}

int
main(void)
{
	check_json("null", "None", "None");
	check_json("true", "True", "True");
	check_json("false", "False", "False");
	check_json("42", "42", "42");
	check_json("-7", "-7", "-7");
	check_json("1.0", "1.0", "1.0");
	check_json("0.1", "0.1", "0.1");
	check_json("\"hello\"", "hello", "'hello'");
	check_json("\"\"", "", "''");
	check_json("[]", "[]", "[]");
	check_json("{}", "{}", "{}");
	check_json("{\"a\": 1, \"b\": [true, null, \"x\"]}", "{'a': 1, 'b': [True, None, 'x']}",
		   "{'a': 1, 'b': [True, None, 'x']}");
	check_json("{\"z\": 1, \"a\": 2}", "{'z': 1, 'a': 2}", "{'z': 1, 'a': 2}");
	check_json("[[1, [2.5]], {\"k\": {}}]", "[[1, [2.5]], {'k': {}}]", "[[1, [2.5]], {'k': {}}]");

	/* Quotes and escapes, as python3 prints them. */
	check_json("[\"it's\", \"say \\\"hi\\\"\", \"both ' \\\"\", \"tab\\there\\n\", \"back\\\\slash\"]",
		   "[\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\there\\n', 'back\\\\slash']",
		   "[\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\there\\n', 'back\\\\slash']");
	check_json("[\"\\u0000\\u007f\\u0080\\u00a0\\u00ad\"]", "['\\x00\\x7f\\x80\\xa0\\xad']",
		   "['\\x00\\x7f\\x80\\xa0\\xad']");
	check_json("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", "['\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80']",
		   "['\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80']");
	check_json("[\"\\u2028\\u200b\\ufeff\\ue000\"]", "['\\u2028\\u200b\\ufeff\\ue000']",
		   "['\\u2028\\u200b\\ufeff\\ue000']");
	check_json("{\"it's\": \"x\"}", "{\"it's\": 'x'}", "{\"it's\": 'x'}");
	check_json("\"it's\"", "it's", "\"it's\"");
	check_json("\"\\r\\u0001\"", "\r\x01", "'\\r\\x01'");

	check_float(1.0, "1.0");
	check_float(0.1, "0.1");
	check_float(1e16, "1e+16");
	check_float(1e15, "1000000000000000.0");
	check_float(1e-5, "1e-05");
	check_float(0.0001, "0.0001");
	check_float(-0.0, "-0.0");
	check_float(0.0, "0.0");
	check_float(1.5e20, "1.5e+20");
	check_float(123456789012345678.0, "1.2345678901234568e+17");
	check_float(1.0 / 3, "0.3333333333333333");
	check_float(1e100, "1e+100");
	check_float(5e-324, "5e-324");
	check_float(1.7976931348623157e308, "1.7976931348623157e+308");
	check_float(100.0, "100.0");
	check_float(0.1 + 0.2, "0.30000000000000004");
	check_float(-1.25e-7, "-1.25e-07");
	check_float(1.0 / 0.0, "inf");
	check_float(-1.0 / 0.0, "-inf");

	/* NULL (an absent value) is None. */
	char *s = py_str(NULL);
	is_str(s, "None", "str(NULL) is None");
	free(s);

	/* The _append forms stop at the buffer's cap. */
	struct strbuf b;
	strbuf_init(&b, 8);
	json_t *big = json_pack("[s,s]", "abcdef", "ghijkl");
	ok(!py_repr_append(&b, big), "repr past the cap fails");
	ok(b.overflow && b.len <= 8, "the buffer stays within its cap (%zu bytes)", b.len);
	strbuf_free(&b);
	json_decref(big);

	/* A value nested deeper than any parser allows still prints. */
	json_t *deep = json_array();
	json_t *cur = deep;
	for (int i = 0; i < 5000; i++) {
		json_t *inner = json_array();
		json_array_append_new(cur, inner);
		cur = inner;
	}
	char *r = py_repr(deep);
	ok(r != NULL && strstr(r, "[...]") != NULL, "a 5000-deep list prints with [...] inside");
	free(r);
	json_decref(deep);
	return done_testing();
}
