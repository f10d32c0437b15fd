/* test_jsonw.c: the JSON writer every answer is printed with. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/jsonw.h"

/* What w holds, checked to be valid JSON by jansson too. */
static void
is_text(struct jw *w, const char *want, const char *what)
{
	is_str(w->buf ? w->buf : "", want, "%s", what);
	json_t *back = jw_to_json(w);
	ok(back != NULL, "%s: jansson reads it", what);
	json_decref(back);
	jw_free(w);
}

static void
test_structure(void)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kint(&w, "id", 7);
	jw_kstr(&w, "name", "x");
	jw_knull(&w, "none");
	jw_key(&w, "list");
	jw_arr_begin(&w);
	jw_int(&w, 1);
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_bool(&w, 1);
	jw_bool(&w, 0);
	jw_str(&w, NULL);
	jw_arr_end(&w);
	jw_key(&w, "empty");
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	is_text(&w, "{\"id\":7,\"name\":\"x\",\"none\":null,\"list\":[1,{},[],true,false,null],\"empty\":{}}",
		"commas and colons placed by the writer");

	jw_init(&w);
	jw_arr_begin(&w);
	for (int i = 0; i < 3; i++) {
		jw_obj_begin(&w);
		jw_kint(&w, "i", i);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	is_text(&w, "[{\"i\":0},{\"i\":1},{\"i\":2}]", "objects in an array");

	jw_init(&w);
	jw_obj_begin(&w);
	JW_MEMBERS(&w, "\"a\":null,\"b\":0");
	jw_kint(&w, "c", 1);
	JW_MEMBERS(&w, "\"d\":{}");
	jw_obj_end(&w);
	is_text(&w, "{\"a\":null,\"b\":0,\"c\":1,\"d\":{}}", "constant members first and after others");
}

static void
test_integers(void)
{
	struct jw w;
	jw_init(&w);
	jw_arr_begin(&w);
	jw_int(&w, 0);
	jw_int(&w, -1);
	jw_int(&w, INT64_MAX);
	jw_int(&w, INT64_MIN);
	jw_arr_end(&w);
	is_text(&w, "[0,-1,9223372036854775807,-9223372036854775808]", "integers, both extremes");
}

static void
test_reals(void)
{
	struct jw w;
	jw_init(&w);
	jw_arr_begin(&w);
	jw_real(&w, 0.7);
	jw_real(&w, 0.1 + 0.2);
	jw_real(&w, 1.0);
	jw_real(&w, -2.5);
	jw_real(&w, 1e300);
	jw_real(&w, NAN);
	jw_real(&w, INFINITY);
	jw_arr_end(&w);
	is_text(&w, "[0.7,0.30000000000000004,1.0,-2.5,1e+300,null,null]",
		"shortest round-trip reals; non-finite ones are null");
}

static void
test_strings(void)
{
	struct jw w;
	jw_init(&w);
	jw_arr_begin(&w);
	jw_str(&w, "quote \" backslash \\ slash /");
	jw_str(&w, "tab\tnewline\ncr\rbs\bff\f");
	jw_strn(&w, "nul\0byte", 8);
	jw_str(&w, "\x01\x1f\x7f");
	jw_str(&w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	jw_arr_end(&w);
	is_text(&w, "[\"quote \\\" backslash \\\\ slash /\",\"tab\\tnewline\\ncr\\rbs\\bff\\f\","
		"\"nul\\u0000byte\",\"\\u0001\\u001f\x7f\",\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]",
		"escapes and valid UTF-8 kept");

	jw_init(&w);
	jw_arr_begin(&w);
	jw_str(&w, "a\xff" "b");             /* stray byte */
	jw_str(&w, "\xc0\xaf");              /* overlong '/' */
	jw_str(&w, "\xed\xa0\x80");          /* a surrogate */
	jw_str(&w, "\xf4\x90\x80\x80");      /* above U+10FFFF */
	jw_str(&w, "\xe2\x82");              /* cut short */
	jw_arr_end(&w);
	is_text(&w, "[\"a\xef\xbf\xbd" "b\",\"\xef\xbf\xbd\xef\xbf\xbd\",\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
		"\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",\"\xef\xbf\xbd\xef\xbf\xbd\"]",
		"bytes that are not UTF-8 become U+FFFD");

	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "k\"ey");
	jw_str(&w, "v");
	jw_obj_end(&w);
	is_text(&w, "{\"k\\\"ey\":\"v\"}", "keys given to jw_key are escaped");
}

static void
test_jansson_values(void)
{
	json_t *v = json_loads("{\"b\":1,\"a\":[true,null,\"s\",2.5,{\"z\":{}}],\"c\":0.7}", 0, NULL);
	size_t len;
	char *text = jw_dump(v, &len);
	is_str(text, "{\"b\":1,\"a\":[true,null,\"s\",2.5,{\"z\":{}}],\"c\":0.7}",
	       "a jansson value keeps its member order");
	is_int((long long)len, (long long)strlen(text), "length reported");
	free(text);
	json_decref(v);

	text = jw_dump(NULL, NULL);
	is_str(text, "null", "NULL is null");
	free(text);

	struct jw w;
	jw_init(&w);
	jw_arr_begin(&w);
	jw_json_text(&w, "{}", "null");
	jw_json_text(&w, "[ 1, 2 ]", "null");
	jw_json_text(&w, "{\"x\": \"y\"}", "null");
	jw_json_text(&w, NULL, "{}");
	jw_json_text(&w, "{broken", "[]");
	jw_json_text(&w, "0.7", "null");
	jw_arr_end(&w);
	is_text(&w, "[{},[ 1, 2 ],{\"x\": \"y\"},{},[],0.7]",
		"valid stored JSON text copied as it is; fallback for NULL and broken text");
}

static void
test_recogniser(void)
{
	static const char *const good[] = {
		"0", "-0", "12", "-1.5e+10", "1E-2", "0.25", "true", "false", "null", "\"\"",
		"\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"", "\"caf\xc3\xa9\"",
		"[]", "{}", " [ 1 , { \"a\" : [ null ] } ] ", "{\"a\":{\"b\":{\"c\":[[[]]]}}}",
		"\t\r\n{}\n", "{\"v\": 2, \"w\": \"x\"}", "{ \"a\" :1 ,\n\t\"b\":[ ] }",
	};
	static const char *const bad[] = {
		"", " ", "01", "-", "1.", ".5", "1e", "+1", "0x10", "tru", "nul", "True", "NaN",
		"\"", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\u12\"", "\"tab\there\"", "\"\xff\"",
		"\"\xc3\"", "[", "[1,]", "[,1]", "[1 2]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{a:1}", "{1:1}", "[]]", "{} {}", "1 2", "[1]x", "\"a\"\"b\"",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(jw_text_is_json(good[i], strlen(good[i])), "valid JSON, case %zu", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!jw_text_is_json(bad[i], strlen(bad[i])), "not JSON, case %zu", i);
	ok(!jw_text_is_json("[1]\0", 4), "a NUL after the value is not JSON");
	ok(jw_text_is_json("[1,2]xyz", 5), "only the given length counts");

	/* Nesting: deep is fine, too deep is refused without exhausting the stack. */
	static char deep[2 * 2100 + 1];
	for (int depth = 2000; depth <= 2100; depth += 100) {
		memset(deep, '[', (size_t)depth);
		memset(deep + depth, ']', (size_t)depth);
		ok(jw_text_is_json(deep, 2 * (size_t)depth) == (depth <= 2048),
		   "%d nested arrays: %s", depth, depth <= 2048 ? "accepted" : "refused");
	}
}

/* What a request can carry (jansson parses 2048 levels) is written back
 * whole; deeper values built in code are cut with null, never a crash. */
static void
test_deep_values(void)
{
	for (int depth = 2040; depth <= 5000; depth += 2960) {
		json_t *v = json_integer(1);
		for (int i = 0; i < depth; i++) {
			json_t *a = json_array();
			json_array_append_new(a, v);
			v = a;
		}
		struct jw w;
		jw_init(&w);
		jw_obj_begin(&w);
		jw_kjson(&w, "detail", v);
		jw_obj_end(&w);
		json_t *back = jw_to_json(&w);
		ok(back != NULL || depth > 2048, "%d nested arrays written as JSON jansson reads", depth);
		size_t opened = 0;
		for (size_t i = 0; i < w.len; i++)
			opened += w.buf[i] == '[';
		if (depth == 2040)
			is_int((long long)opened, 2040, "all 2040 levels kept");
		else
			ok(opened < (size_t)depth && strstr(w.buf, "null") != NULL,
			   "%d levels cut with null below the writer's limit", depth);
		json_decref(back);
		jw_free(&w);
		json_decref(v);
	}
}

static void
test_times_and_take(void)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_ktime(&w, "a", "2026-02-17 23:18:00.500000");
	jw_ktime(&w, "b", "2026-02-17 23:18:00.000000");
	jw_ktime(&w, "c", NULL);
	jw_ktime(&w, "d", "not a time");
	jw_obj_end(&w);
	is_text(&w, "{\"a\":\"2026-02-17T23:18:00.500000Z\",\"b\":\"2026-02-17T23:18:00Z\",\"c\":null,\"d\":null}",
		"timestamps as ISO-8601 with Z, null when missing or unreadable");

	jw_init(&w);
	size_t len = 99;
	char *text = jw_take(&w, &len);
	is_str(text, "", "an empty writer hands over an empty string");
	is_int((long long)len, 0, "of length 0");
	free(text);

	/* Growth well past the first allocation. */
	jw_init(&w);
	jw_arr_begin(&w);
	for (int i = 0; i < 10000; i++)
		jw_str(&w, "0123456789");
	jw_arr_end(&w);
	is_int((long long)w.len, 2 + 10000 * 13 - 1, "a large text has the right length");
	json_t *back = jw_to_json(&w);
	is_int((long long)json_array_size(back), 10000, "and reads back whole");
	json_decref(back);
	jw_free(&w);
}

int
main(void)
{
	test_structure();
	test_integers();
	test_reals();
	test_strings();
	test_jansson_values();
	test_recogniser();
	test_deep_values();
	test_times_and_take();
	return done_testing();
}
