/*
 * test_expr.c: the template language (src/expr/): every construct and
 * filter against what Jinja2 3.1 renders for the same template and
 * variables (StrictUndefined, keep_trailing_newline, no autoescape, as
 * Pipelit configures it); errors with their offsets; every limit; the
 * resolution of a node's configuration tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "tap.h"

/* Expected outputs below were produced by Jinja2 3.1.6 from these same
 * templates and variables. */
static const char vars_json[] = "{\"name\": \"world\", \"n\": 5, \"f\": 2.5, \"t\": true, \"z\": 0, \"nothing\": null, \"empty\": \"\", \"items\": [1, 2, 3], \"words\": [\"a\", \"b\", \"c\"], \"user\": {\"name\": \"Ada\", \"age\": 36, \"tags\": [\"x\", \"y\"], \"address\": {\"city\": \"London\"}}, \"people\": [{\"name\": \"Ada\", \"role\": \"admin\", \"age\": 36}, {\"name\": \"Bob\", \"role\": \"user\", \"age\": 25}, {\"name\": \"Cy\", \"role\": \"admin\", \"age\": 41}], \"kv\": [{\"key\": \"a\", \"value\": 1}, {\"key\": \"b\", \"value\": 2}], \"agent_1\": {\"output\": \"Hello there\"}, \"trigger\": {\"text\": \"hi\", \"payload\": {\"x\": 1}}, \"nested\": {\"a\": 1, \"b\": [true, null, \"x\"]}, \"quote\": \"it's\", \"long\": \"The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog \", \"num_str\": \"42\", \"float_str\": \"3.7\", \"mixed\": \"  padded  \", \"html\": \"<b>&'\\\"</b>\", \"unicode\": \"h\\u00e9llo w\\u00f6rld\", \"d\": {\"z\": 1, \"a\": 2}, \"floats\": [0.1, 1.0, 1e+16, 1e-05]}";
static const struct {
	const char *tmpl, *want;
} cases[] = {
	{"plain {{ name }}",
	 "plain world"},
	{"{{ name }}!",
	 "world!"},
	{"Hello {{ user.name }} from {{ user.address.city }}",
	 "Hello Ada from London"},
	{"{{ user['name'] }} {{ user[\"age\"] }}",
	 "Ada 36"},
	{"{{ items[0] }} {{ items[-1] }} {{ items.1 }}",
	 "1 3 2"},
	{"{{ words[1] }}{{ name[0] }}{{ name[-1] }}",
	 "bwd"},
	{"{{ nested }}",
	 "{'a': 1, 'b': [True, None, 'x']}"},
	{"{{ nested.b }}",
	 "[True, None, 'x']"},
	{"{{ floats }}",
	 "[0.1, 1.0, 1e+16, 1e-05]"},
	{"{{ f }} {{ n }} {{ t }} {{ nothing }} {{ z }}",
	 "2.5 5 True None 0"},
	{"{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 10 / 4 }} {{ 10 / 5 }}",
	 "1.0 0.30000000000000004 1e+16 2.5 2.0"},
	{"{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}",
	 "3 -4 1 2 3.0 0.5"},
	{"{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2.0 ** 3 }} {{ -2 ** 2 }}",
	 "1024 0.5 8.0 4"},
	{"{{ n + 1 }} {{ n - 10 }} {{ n * f }} {{ n * 2 }} {{ -n }} {{ +f }}",
	 "6 -5 12.5 10 -5 2.5"},
	{"{{ 'a' + 'b' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] + [2, 3] }} {{ [0] * 3 }}",
	 "ab ababab xxx [1, 2, 3] [0, 0, 0]"},
	{"{{ name ~ '-' ~ n ~ '-' ~ nothing ~ t }}",
	 "world-5-NoneTrue"},
	{"{{ 'yes' if t else 'no' }} {{ 'yes' if z else 'no' }} {{ 'yes' if empty else 'no' }} {{ 'y' if items else 'n' }}",
	 "yes no no y"},
	{"{{ 'a' if nothing else 'b' if n > 3 else 'c' }}",
	 "b"},
	{"{{ n == 5 }} {{ n != 5 }} {{ n < 6 }} {{ n > 6 }} {{ n <= 5 }} {{ n >= 5.0 }} {{ 1 == 1.0 }} {{ t == 1 }}",
	 "True False True False True True True True"},
	{"{{ 1 < n < 10 }} {{ 1 < n > 10 }}",
	 "True False"},
	{"{{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 'abc' == 'abc' }} {{ nested == {'a': 1, 'b': [true, none, 'x']} }}",
	 "True True True True"},
	{"{{ 2 in items }} {{ 9 in items }} {{ 'ell' in 'hello' }} {{ 'name' in user }} {{ 'zzz' not in user }} {{ 4 not in items }}",
	 "True False True True True True"},
	{"{{ t and n }} {{ z and n }} {{ z or 'fallback' }} {{ n or 0 }} {{ not t }} {{ not empty }} {{ not not n }}",
	 "5 0 fallback 5 False True True"},
	{"{{ (1 + 2) * 3 }} {{ 1 + 2 * 3 }} {{ (n > 3) and (n < 10) }}",
	 "9 7 True"},
	{"{{ \"it's\" }} {{ 'say \"hi\"' }} {{ 'tab\\there' }} {{ 'uni\\u00e9' }} {{ 'a' 'b' }}",
	 "it's say \"hi\" tab\there uni\303\251 ab"},
	{"{{ [1, 'two', none, true] }} {{ {'k': 'v', 'n': [1]} }} {{ [] }} {{ {} }}",
	 "[1, 'two', None, True] {'k': 'v', 'n': [1]} [] {}"},
	{"{{ name | upper }} {{ 'HeLLo' | lower }} {{ 'hello big-world (x)' | title }} {{ unicode | upper }} {{ unicode | title }}",
	 "WORLD hello Hello Big-World (X) H\303\211LLO W\303\226RLD H\303\251llo W\303\266rld"},
	{"{{ name | length }} {{ items | length }} {{ user | length }} {{ unicode | length }} {{ items | count }}",
	 "5 3 4 11 3"},
	{"{{ long | truncate }}",
	 "The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over..."},
	{"{{ long | truncate(20) }}|{{ long | truncate(20, true) }}|{{ long | truncate(20, end='~') }}|{{ 'short' | truncate(3) }}",
	 "The quick brown...|The quick brown f...|The quick brown~|short"},
	{"{{ 'hello world foo' | truncate(12) }}|{{ 'hello world foo' | truncate(11, leeway=0) }}|{{ 'abcdefghijklmnop' | truncate(9, leeway=0) }}",
	 "hello world foo|hello...|abcdef..."},
	{"{{ missing | default('dflt') }} {{ user.missing | default('none here') }} {{ missing | d(3) }} {{ empty | default('x') }} {{ empty | default('x', true) }} {{ nothing | default('x') }} {{ missing | default }}",
	 "dflt none here 3  x None "},
	{"{{ nested | tojson }} {{ html | tojson }} {{ unicode | tojson }} {{ d | tojson }} {{ floats | tojson }} {{ 'x' | tojson }} {{ nothing | tojson }}",
	 "{\"a\": 1, \"b\": [true, null, \"x\"]} \"\\u003cb\\u003e\\u0026\\u0027\\\"\\u003c/b\\u003e\" \"h\\u00e9llo w\\u00f6rld\" {\"a\": 2, \"z\": 1} [0.1, 1.0, 1e+16, 1e-05] \"x\" null"},
	{"{{ d | tojson(2) }}",
	 "{\n  \"a\": 2,\n  \"z\": 1\n}"},
	{"{{ words | join(', ') }} {{ items | join }} {{ people | join('/', attribute='name') }} {{ d | join(',') }}",
	 "a, b, c 123 Ada/Bob/Cy z,a"},
	{"{{ 'hello' | replace('l', 'L') }} {{ 'hello' | replace('l', 'L', 1) }} {{ 'abc' | replace('', '-') }} {{ n | replace('5', 'five') }}",
	 "heLLo heLlo -a-b-c- five"},
	{"[{{ mixed | trim }}] [{{ 'xxhixx' | trim('x') }}]",
	 "[padded] [hi]"},
	{"{{ items | first }} {{ items | last }} {{ name | first }} {{ d | first }}",
	 "1 3 w z"},
	{"{{ people | selectattr('role', 'equalto', 'admin') | map(attribute='name') | join(',') }}",
	 "Ada,Cy"},
	{"{{ kv | selectattr(\"key\", \"equalto\", \"b\") | map(attribute=\"value\") | first }}",
	 "2"},
	{"{{ people | rejectattr('role', 'equalto', 'admin') | map(attribute='name') | list }}",
	 "['Bob']"},
	{"{{ people | selectattr('age', 'gt', 30) | map(attribute='name') | list }} {{ people | selectattr('name') | list | length }}",
	 "['Ada', 'Cy'] 3"},
	{"{{ items | select('odd') | list }} {{ items | reject('odd') | list }} {{ words | map('upper') | list }}",
	 "[1, 3] [2] ['A', 'B', 'C']"},
	{"{{ people | map(attribute='missing', default='?') | list }}",
	 "['?', '?', '?']"},
	{"{{ num_str | int }} {{ float_str | int }} {{ 'abc' | int }} {{ 'abc' | int(7) }} {{ f | int }} {{ t | int }} {{ ' 12 ' | int }} {{ 'ff' | int(base=16) }}",
	 "42 3 0 7 2 1 12 255"},
	{"{{ num_str | float }} {{ 'x' | float }} {{ n | float }} {{ '1e3' | float }}",
	 "42.0 0.0 5.0 1000.0"},
	{"{{ n | string }} {{ nested | string }} {{ (n | string) ~ 'x' }} {{ nothing | string }}",
	 "5 {'a': 1, 'b': [True, None, 'x']} 5x None"},
	{"{{ name | list }} {{ d | list }} {{ items | list }}",
	 "['w', 'o', 'r', 'l', 'd'] ['z', 'a'] [1, 2, 3]"},
	{"{{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 7 | round }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }}",
	 "3 2.57 2.0 4.0 7 3.0 2.0"},
	{"{{ words | reverse | list }} {{ name | reverse }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ people | sort(attribute='age', reverse=true) | map(attribute='name') | join }}",
	 "['c', 'b', 'a'] dlrow [1, 2, 3] ['A', 'b', 'c'] CyAdaBob"},
	{"{{ items | sum }} {{ people | sum(attribute='age') }} {{ items | min }} {{ items | max }} {{ words | max }}",
	 "6 102 1 3 c"},
	{"{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %} {{ capital | default('Capital' | capitalize) }} {{ 'hELLO world' | capitalize }}",
	 "z1a2 Capital Hello world"},
	{"{{ missing is defined }} {{ name is defined }} {{ missing is undefined }} {{ nothing is none }} {{ n is number }} {{ name is string }} {{ user is mapping }} {{ items is sequence }}",
	 "False True True True True True True True"},
	{"{{ n is odd }} {{ n is even }} {{ 2.5 is even }} {{ 7.5 is divisibleby 2.5 }} {{ f is divisibleby 2 }} {{ 4.0 is even }} {{ nested.zz is number }} {{ missing is string }} {{ nested | truncate(3) }} {{ items | truncate(5) }} {{ 10 is divisibleby 5 }} {{ 10 is divisibleby(3) }} {{ n is not none }} {{ user.x is defined }} {{ n is gt 3 }} {{ 'ADA' is upper }}",
	 "True False False True False True False False {'a': 1, 'b': [True, None, 'x']} [1, 2, 3] True False True False True True"},
	{"{% if n > 3 %}big{% endif %}{{ '' }}",
	 "big"},
	{"{% if n > 10 %}big{% else %}small{% endif %} {{ n }}",
	 "small 5"},
	{"{% if n > 10 %}a{% elif n > 4 %}b{% elif n > 2 %}c{% else %}d{% endif %}{{ '' }}",
	 "b"},
	{"{% for w in words %}{{ loop.index }}:{{ w }}{% if not loop.last %}, {% endif %}{% endfor %} {{ n }}",
	 "1:a, 2:b, 3:c 5"},
	{"{% for w in words %}[{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}]{% endfor %}{{ '' }}",
	 "[0TrueFalse33][1FalseFalse32][2FalseTrue31]"},
	{"{% for p in people if p.role == 'admin' %}{{ p.name }}{{ loop.index }}/{{ loop.length }} {% endfor %}{{ '' }}",
	 "Ada1/2 Cy2/2 "},
	{"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ '' }}",
	 "z=1;a=2;"},
	{"{% for x in [] %}x{% else %}empty{% endfor %}{{ '' }}",
	 "empty"},
	{"{% for c in 'abc' %}{{ c }}.{% endfor %}{% for k in d %}{{ k }}{% endfor %}{{ '' }}",
	 "a.b.c.za"},
	{"{% for i in range(3) %}{{ i }}{% endfor %} {{ range(2, 10, 3) | list }} {{ range(5, 0, -2) | list }}",
	 "012 [2, 5, 8] [5, 3, 1]"},
	{"{% for row in [[1, 2], [3]] %}{% for x in row %}{{ x }}{% endfor %};{% endfor %}{{ '' }}",
	 "12;3;"},
	{"{% set x = n * 2 %}{{ x }} {% set y = [x, name] %}{{ y }}",
	 "10 [10, 'world']"},
	{"{% for w in words %}{% set last = w %}{{ last }}{% endfor %} {{ last | default('unset') }}",
	 "abc unset"},
	{"  {{- name -}}  ,  {%- if t -%}  T  {%- endif -%}  !",
	 "world,T!"},
	{"a {# a comment {{ nothing }} #}b {{ name }}",
	 "a b world"},
	{"{{ user.get('name') }} {{ user.get('nope', 'dflt') }} {{ user.keys() | list }} {{ d.values() | list }} {{ 'A,B' .split(',') }} {{ ' x y '.split() }} {{ 'abc'.startswith('ab') }} {{ name.upper() }}",
	 "Ada dflt ['name', 'age', 'tags', 'address'] [1, 2] ['A', 'B'] ['x', 'y'] True WORLD"},
	{"{{ items[1:] }} {{ items[:-1] }} {{ items[::-1] }} {{ name[1:3] }} {{ unicode[1:4] }} {{ unicode[::-2] }}",
	 "[2, 3] [1, 2] [3, 2, 1] or \303\251ll drwolh"},
	{"{{ agent_1.output }} / {{ trigger.text }} / {{ trigger.payload.x }}",
	 "Hello there / hi / 1"},
	{"{{ quote }} {{ [quote] }} {{ {'q': quote, 's': 'say \"x\"'} }}",
	 "it's [\"it's\"] {'q': \"it's\", 's': 'say \"x\"'}"},
	{"trailing newline {{ n }}",
	 "trailing newline 5"},
	{"",
	 ""},
	{"{{ 'x' }}{{ 1 }}",
	 "x1"},
	{"{{ {'a': {'b': 1}} }} {{ {'a': {'b': 1}}['a'] }}",
	 "{'a': {'b': 1}} {'b': 1}"},
	{"{{ items | join(1) }} [{{ 1 if false }}]",
	 "11213 []"},
};
static const char *const failing[] = {
	"{{ missing }}", /* 'missing' is undefined */
	"{{ user.missing }}", /* 'dict object' has no attribute 'missing' */
	"{{ user.missing.deeper | default('x') }}", /* 'dict object' has no attribute 'missing' */
	"{{ missing.attr }}", /* 'missing' is undefined */
	"{{ items[10] }}", /* list object has no element 10 */
	"{{ name | nosuchfilter }}", /* No filter named 'nosuchfilter'. */
	"{{ n is nosuchtest }}", /* No test named 'nosuchtest'. */
	"{{ 1 / 0 }}", /* division by zero */
	"{{ 'a' + 1 }}", /* can only concatenate str (not "int") to str */
	"{{ 'a' < 1 }}", /* '<' not supported between instances of 'str' and 'int' */
	"{{ n | length }}", /* object of type 'int' has no len() */
	"{% if missing %}x{% endif %}{{ n }}", /* 'missing' is undefined */
	"{% for x in n %}{% endfor %}{{ n }}", /* 'int' object is not iterable */
	"{{ n", /* unexpected end of template, expected 'end of print statement'. */
	"{{ n }", /* unexpected '}' */
	"{{ 'abc }}", /* unexpected char "'" at 3 */
	"{% if n %}x{{ n }}", /* Unexpected end of template. Jinja was looking for the following tags: 'elif' or  */
	"{% endfor %}{{ n }}", /* Encountered unknown tag 'endfor'. */
	"{% foo %}{{ n }}", /* Encountered unknown tag 'foo'. */
	"{{ (1 + }}", /* unexpected '}', expected ')' */
	"{{ [] | first }}", /* No first item, sequence was empty. */
	"{{ people | selectattr('nope', 'equalto', 1) | list }}", /* 'dict object' has no attribute 'nope' */
	"{{ n | truncate(1) }}", /* expected length >= 3, got 1 */
	"{{ nothing.x }}", /* 'None' has no attribute 'x' */
	"{# unterminated {{ n }}", /* Missing end of comment tag */
};

static json_t *vars;

/* Renders t under lim (NULL: defaults); the output, or NULL with *err. */
static char *
render(const char *t, const struct expr_limits *lim, struct expr_error *err)
{
	char *out;
	size_t len;
	if (expr_render(t, strlen(t), vars, lim, &out, &len, err) != 0)
		return NULL;
	if (strlen(out) != len)
		printf("# output of %s holds a NUL\n", t);
	return out;
}

/* t on one line for a test's description (newlines shown as \n). */
static const char *
shown(const char *t)
{
	static char buf[80];
	size_t o = 0;
	for (; *t && o < sizeof buf - 3; t++) {
		if (*t == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *t;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void
check_error(const char *t, const struct expr_limits *lim, const char *want_msg, size_t want_offset,
	    unsigned want_line, unsigned want_col)
{
	struct expr_error err;
	char *out = render(t, lim, &err);
	ok(out == NULL, "fails: %.60s", shown(t));
	free(out);
	if (want_msg)
		ok(strstr(err.message, want_msg) != NULL, "message of %.40s: '%s' contains '%s'", shown(t),
		   err.message, want_msg);
	if (want_line) {
		is_int(err.offset, want_offset, "offset of the error in %.40s", shown(t));
		is_int(err.line, want_line, "line of the error in %.40s", shown(t));
		is_int(err.column, want_col, "column of the error in %.40s", shown(t));
	}
}

static void
test_jinja_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct expr_error err;
		char *out = render(cases[i].tmpl, NULL, &err);
		if (out == NULL) {
			ok(0, "renders %s: error '%s' at %zu", shown(cases[i].tmpl), err.message, err.offset);
			continue;
		}
		is_str(out, cases[i].want, "renders as Jinja: %.70s", shown(cases[i].tmpl));
		free(out);
	}
	for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
		struct expr_error err;
		char *out = render(failing[i], NULL, &err);
		ok(out == NULL && err.message[0] != '\0', "fails as in Jinja: %s (%s)", shown(failing[i]),
		   err.message);
		free(out);
	}
}

static void
test_short_circuit(void)
{
	struct expr_error err;
	char *out = render("{% if true %}x{% endif %}", NULL, &err);
	is_str(out, "{% if true %}x{% endif %}", "a template without {{ is left as written");
	free(out);
	out = render("no braces {{", NULL, &err);
	ok(out == NULL, "a lone {{ is a template, and an unfinished one");
	free(out);
	out = render("", NULL, &err);
	is_str(out, "", "the empty string stays empty");
	free(out);
	out = render("{ {x} }", NULL, &err);
	is_str(out, "{ {x} }", "single braces are text");
	free(out);
	ok(expr_is_template("a {{ b", 6), "expr_is_template sees {{");
	ok(!expr_is_template("a {% b %}", 9), "expr_is_template: {%% alone is not a template");
	out = render("line {{ n }}\n", NULL, &err);
	is_str(out, "line 5\n", "the trailing newline is kept");
	free(out);
	out = render("{{ html }}", NULL, &err);
	is_str(out, "<b>&'\"</b>", "no autoescape");
	free(out);
}

static void
test_error_positions(void)
{
	check_error("{{ missing }}", NULL, "'missing' is undefined", 3, 1, 4);
	check_error("ab\ncd {{ user.missing }}", NULL, "'dict object' has no attribute 'missing'", 13, 2, 11);
	check_error("x\n\n  {{ 1 / 0 }}", NULL, "division by zero", 10, 3, 8);
	check_error("{{ name | nosuch }}", NULL, "no filter named 'nosuch'", 10, 1, 11);
	check_error("{% if n %}{{ n }}", NULL, "expected '{% endif %}'", 17, 1, 18);
	check_error("{{ n", NULL, "expected '}}'", 4, 1, 5);
	check_error("{{ 'abc }}", NULL, "unterminated string", 3, 1, 4);
	check_error("{{ n }}{% for x in n %}{% endfor %}", NULL, "'int' object is not iterable", 19, 1, 20);
	check_error("{{ 'a' + 1 }}", NULL, "unsupported operand type(s) for +: 'str' and 'int'", 7, 1, 8);
	check_error("{{ n }}{% bogus %}", NULL, "unknown or unexpected tag 'bogus'", 10, 1, 11);
	/* A filter's error names the filter's place. */
	check_error("{{ n | length }}", NULL, "object of type 'int' has no len()", 7, 1, 8);
	/* Strict undefined reaches through tests and conditions. */
	check_error("{% if missing %}x{% endif %}{{ n }}", NULL, "'missing' is undefined", 6, 1, 7);
	/* An attribute of something undefined fails even under default, as Jinja. */
	check_error("{{ missing.x | default('d') }}", NULL, "'missing' is undefined", 3, 1, 4);
	check_error("{{ 2 ** 64 }}", NULL, "integer overflow", 5, 1, 6);
	check_error("{{ 9223372036854775807 + 1 }}", NULL, "integer overflow", 23, 1, 24);
	check_error("{{ 99999999999999999999 }}", NULL, "integer literal out of range", 3, 1, 4);
	/* A slice of a value made in the template: its type is named before it is freed. */
	check_error("{{ (n + 1)[1:2] }}", NULL, "'int' object is not subscriptable", 10, 1, 11);
	/* A number has no length to truncate by, as in Jinja. */
	check_error("{{ n | truncate(3) }}", NULL, "object of type 'int' has no len()", 7, 1, 8);
	/* Tests that use the value fail on an undefined one; type tests say no. */
	check_error("{{ missing is even }}", NULL, "'missing' is undefined", 3, 1, 4);
}

static void
test_limits(void)
{
	struct expr_limits lim = expr_limits_default();
	is_int(lim.max_depth, 64, "default depth 64");
	is_int(lim.max_output, 1048576, "default output 1 MiB");
	is_int(lim.max_steps, 1000000, "default steps 1,000,000");

	/* Nesting: parentheses, lists, unary operators, blocks, long chains. */
	char *t = malloc(200000);
	size_t n = 0;
	n += (size_t)sprintf(t, "{{ ");
	for (int i = 0; i < 70; i++)
		t[n++] = '(';
	t[n++] = '1';
	for (int i = 0; i < 70; i++)
		t[n++] = ')';
	strcpy(t + n, " }}");
	check_error(t, NULL, "template nesting exceeds 64 levels", 0, 0, 0);

	n = (size_t)sprintf(t, "{{ ");
	for (int i = 0; i < 100000; i++)
		t[n++] = '[';
	strcpy(t + n, " }}");
	check_error(t, NULL, "template nesting exceeds 64 levels", 0, 0, 0);

	n = (size_t)sprintf(t, "{{ ");
	for (int i = 0; i < 100000; i++)
		t[n++] = '-';
	strcpy(t + n, "1 }}");
	check_error(t, NULL, "template nesting exceeds 64 levels", 0, 0, 0);

	n = (size_t)sprintf(t, "{{ 1");
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(t + n, " + 1");
	strcpy(t + n, " }}");
	check_error(t, NULL, "template nesting exceeds 64 levels", 0, 0, 0);

	n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(t + n, "{%% if true %%}");
	strcpy(t + n, "{{ n }}");
	check_error(t, NULL, "template nesting exceeds 64 levels", 0, 0, 0);

	/* Up to the limit is fine. */
	n = (size_t)sprintf(t, "{{ ");
	for (int i = 0; i < 40; i++)
		t[n++] = '(';
	t[n++] = '1';
	for (int i = 0; i < 40; i++)
		t[n++] = ')';
	strcpy(t + n, " }}");
	struct expr_error err;
	char *out = render(t, NULL, &err);
	is_str(out, "1", "40 nested parentheses render");
	free(out);
	/* 200 elifs are a flat chain, not nesting. */
	n = (size_t)sprintf(t, "{{ '' }}{%% if n == 0 %%}0");
	for (int i = 1; i < 200; i++)
		n += (size_t)sprintf(t + n, "{%% elif n == %d %%}%d", i, i);
	strcpy(t + n, "{% endif %}");
	out = render(t, NULL, &err);
	is_str(out, "5", "a chain of 200 elifs renders");
	free(out);

	/* Output: exponential growth by nested loops fails at the cap. */
	check_error("{% for a in range(100) %}{% for b in range(100) %}{% for c in range(100) %}"
		    "{{ long }}{% endfor %}{% endfor %}{% endfor %}",
		    NULL, "template output exceeds 1048576 bytes", 0, 0, 0);
	check_error("{{ 'x' * 2000000 }}", NULL, "template output exceeds 1048576 bytes", 0, 0, 0);
	check_error("{% set s = long %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}"
		    "{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}"
		    "{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}"
		    "{% set s = s ~ s %}{{ 1 }}",
		    NULL, "template output exceeds 1048576 bytes", 0, 0, 0);
	check_error("{{ 'abc' | replace('', long * 1000) }}{{ 1 }}", NULL,
		    "template output exceeds 1048576 bytes", 0, 0, 0);
	lim = expr_limits_default();
	lim.max_output = 10;
	check_error("{{ long }}", &lim, "template output exceeds 10 bytes", 0, 0, 0);
	out = render("{{ name }}", &lim, &err);
	is_str(out, "world", "within a small output cap");
	free(out);

	/* Steps: huge loops and ranges. */
	check_error("{% for i in range(100000000) %}{% endfor %}{{ 1 }}", NULL,
		    "template exceeds 1000000 evaluation steps", 0, 0, 0);
	check_error("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}{{ 1 }}",
		    NULL, "template exceeds 1000000 evaluation steps", 0, 0, 0);
	check_error("{{ [0] * 100000000 }}", NULL, "template exceeds 1000000 evaluation steps", 0, 0, 0);
	check_error("{% set l = [1] %}{% set l = l + l %}{% set l = l * 1000 %}{% set l = l * 1000 %}{{ 1 }}",
		    NULL, "template exceeds 1000000 evaluation steps", 0, 0, 0);
	/* Strings kept in variables count too: 64 strings of 1 MB each are
	 * each within the output cap, but not together. */
	char *many = malloc(8192);
	size_t m = (size_t)sprintf(many, "{%% set s = 'x' * 1000000 %%}");
	for (int i = 0; i < 70; i++)
		m += (size_t)sprintf(many + m, "{%% set s%d = s ~ %d %%}", i, i);
	strcpy(many + m, "{{ 1 }}");
	check_error(many, NULL, "template exceeds 1000000 evaluation steps", 0, 0, 0);
	free(many);
	lim = expr_limits_default();
	lim.max_steps = 50;
	check_error("{% for i in range(40) %}{{ i }}{% endfor %}", &lim,
		    "template exceeds 50 evaluation steps", 0, 0, 0);

	/* Template length. */
	lim = expr_limits_default();
	lim.max_template = 16;
	check_error("{{ name }} and more text", &lim, "template exceeds 16 bytes", 16, 1, 17);

	/* A list built in a loop cannot grow deeper than a pass: each pass of a
	 * loop starts from the variables before the loop. */
	out = render("{% set x = [] %}{% for i in range(5000) %}{% set x = [x] %}{% endfor %}{{ x }}",
		     NULL, &err);
	is_str(out, "[]", "set inside a loop lasts one pass");
	free(out);
	/* At top level, each set adds one level; the value depth limit holds. */
	n = (size_t)sprintf(t, "{%% set x = 1 %%}");
	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(t + n, "{%% set x = [x] %%}");
	strcpy(t + n, "{{ x | length }}");
	lim = expr_limits_default();
	lim.max_steps = 100000000;
	check_error(t, &lim, "value nesting exceeds 4000 levels", 0, 0, 0);
	free(t);
}

static void
test_resolve_tree(void)
{
	json_t *cfg = json_loads("{\"system_prompt\": \"You help {{ user.name }}.\","
				 " \"extra_config\": {\"message\": \"{{ agent_1.output | upper }}\","
				 " \"rules\": [{\"value\": \"{{ missing }}\", \"n\": 3},"
				 " \"{% if t %}kept{% endif %}\", \"{{ n * 2 }}\", null, true, 1.5],"
				 " \"bad\": \"a {{ (\"}}",
				 0, NULL);
	json_t *errors = json_array();
	json_t *r = expr_resolve_tree(cfg, vars, NULL, errors);
	char *s = json_dumps(r, JSON_COMPACT);
	is_str(s,
	       "{\"system_prompt\":\"You help Ada.\",\"extra_config\":{\"message\":\"HELLO THERE\","
	       "\"rules\":[{\"value\":\"{{ missing }}\",\"n\":3},\"{% if t %}kept{% endif %}\",\"10\","
	       "null,true,1.5],\"bad\":\"a {{ (\"}}",
	       "strings with {{ rendered; failures and non-templates kept; others copied");
	free(s);
	is_int(json_array_size(errors), 2, "two errors");
	json_t *e0 = json_array_get(errors, 0), *e1 = json_array_get(errors, 1);
	is_str(json_string_value(json_object_get(e0, "path")), "$.extra_config.rules[0].value", "first path");
	is_str(json_string_value(json_object_get(e0, "message")), "'missing' is undefined", "first message");
	is_int(json_integer_value(json_object_get(e0, "offset")), 3, "first offset");
	is_str(json_string_value(json_object_get(e1, "path")), "$.extra_config.bad", "second path");
	ok(json_object_get(e1, "line") && json_object_get(e1, "column"), "errors carry line and column");
	ok(r != cfg && json_object_get(r, "extra_config") != json_object_get(cfg, "extra_config"),
	   "a deep copy");
	json_decref(r);
	r = expr_resolve_tree(cfg, vars, NULL, NULL);
	ok(r != NULL, "errors may be NULL");
	json_decref(r);
	json_decref(errors);
	json_decref(cfg);
	ok(expr_resolve_tree(NULL, vars, NULL, NULL) == NULL, "NULL in, NULL out");
	json_t *str = json_string("{{ n }}");
	r = expr_resolve_tree(str, NULL, NULL, NULL);
	is_str(json_string_value(r), "{{ n }}", "no variables: the undefined name leaves it as is");
	json_decref(r);
	json_decref(str);
}

static void
test_hostile_bytes(void)
{
	/* Arbitrary bytes never crash; NUL bytes inside a template are text. */
	static const char tmpl[] = "{{ 'a\0b' }}\0{{ n }}\xff\xfe{{ name }}";
	char *out;
	size_t len;
	struct expr_error err;
	int r = expr_render(tmpl, sizeof tmpl - 1, vars, NULL, &out, &len, &err);
	is_int(r, 0, "a template with NUL and invalid bytes renders");
	is_int(len, 12, "and keeps every byte");
	ok(r == 0 && memcmp(out, "a\0b\0" "5\xff\xfeworld", 12) == 0, "byte for byte");
	free(out);
}

int
main(void)
{
	vars = json_loads(vars_json, 0, NULL);
	if (vars == NULL) {
		ok(0, "variables parse");
		return done_testing();
	}
	test_jinja_cases();
	test_short_circuit();
	test_error_positions();
	test_limits();
	test_resolve_tree();
	test_hostile_bytes();
	json_decref(vars);
	return done_testing();
}
