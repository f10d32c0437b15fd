/*
 * test_calculator.c: the calculator tool's evaluator against results
 * Python gives for the same expressions (computed with CPython's eval and
 * copied here), and the inputs it must refuse with an "Error: ..." text.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "nodes/calculator.h"

struct ok_case {
	const char *expr;
	const char *want;
};

/* Each want is str(eval(expr)) in CPython 3. */
static const struct ok_case python_cases[] = {
	{ "2+3*4", "14" },
	{ "2**10", "1024" },
	{ "2**-1", "0.5" },
	{ "-2**2", "-4" },
	{ "(-2)**2", "4" },
	{ "2**3**2", "512" },
	{ "7//2", "3" },
	{ "-7//2", "-4" },
	{ "7//-2", "-4" },
	{ "-7%3", "2" },
	{ "7%-3", "-2" },
	{ "7.5//2", "3.0" },
	{ "-7.5//2", "-4.0" },
	{ "-7.5%2", "0.5" },
	{ "7.5%-2", "-0.5" },
	{ "10/4", "2.5" },
	{ "4/2", "2.0" },
	{ "1/3", "0.3333333333333333" },
	{ "0.1+0.2", "0.30000000000000004" },
	{ "1e3", "1000.0" },
	{ "1.5e-3*2", "0.003" },
	{ ".5+5.", "5.5" },
	{ "3*-2", "-6" },
	{ "--3", "3" },
	{ "+-+3", "-3" },
	{ "(1+2)*(3+4)", "21" },
	{ "9223372036854775807", "9223372036854775807" },
	{ "2**62", "4611686018427387904" },
	{ "1_000*3", "3000" },
	{ "2**0.5", "1.4142135623730951" },
	{ "(-8)**2.0", "64.0" },
	{ "0**0", "1" },
	{ "0.0**0", "1.0" },
	{ "100//7.0", "14.0" },
	{ "1e300*1e-300", "1.0" },
	{ "-0.0", "-0.0" },
	{ "-(0.0)", "-0.0" },
	{ "5%5", "0" },
	{ "-5.0%5", "0.0" },
	{ "3**-2", "0.1111111111111111" },
	{ "10**15", "1000000000000000" },
	{ "1.0*10**16", "1e+16" },
	{ "1.5e300*1.0", "1.5e+300" },
	{ "123456789*1000", "123456789000" },
	{ "-1//3", "-1" },
	{ "(2**62)/3", "1.5372286728091292e+18" },
	{ "2*0.5", "1.0" },
	{ "17 % 5 * 2 ** 2 // 3", "2" },
	{ "  1 +\t2\n", "3" },
	{ "1.e5", "100000.0" },
	{ "0", "0" },
	{ "000", "0" },
};

/* An expression that must fail, and a piece of the message the model
 * reads. */
struct error_case {
	const char *expr;
	const char *says;
};

static const struct error_case error_cases[] = {
	{ "1/0", "division by zero" },
	{ "1//0", "division or modulo by zero" },
	{ "1%0", "division or modulo by zero" },
	{ "1.0/0.0", "division by zero" },
	{ "1.5//0", "floor division by zero" },
	{ "1.5%0.0", "modulo by zero" },
	{ "0**-1", "negative power" },
	{ "0.0**-2.5", "negative power" },
	{ "(-8)**(1/3)", "complex" },
	{ "2**63", "too large" },
	{ "-2**63", "too large" },
	{ "9223372036854775808", "too large" },
	{ "9223372036854775807+1", "too large" },
	{ "-9223372036854775807-2", "too large" },
	{ "3037000500*3037000500", "too large" },
	{ "10**400", "too large" },
	{ "10.0**400", "out of range" },
	{ "1e308*10", "out of range" },
	{ "1e400", "out of range" },
	{ "", "empty expression" },
	{ "   ", "empty expression" },
	{ "1+", "unexpected end" },
	{ "(1+2", "missing ')'" },
	{ "1+2)", "')' at position 4" },
	{ "2 3", "'3' at position 3" },
	{ "__import__('os')", "'_' at position 1" },
	{ "abs(-1)", "'a' at position 1" },
	{ "2x", "invalid number" },
	{ "0x1f", "invalid number" },
	{ "1.2.3", "invalid number" },
	{ "1__0", "invalid number" },
	{ "1_", "invalid number" },
	{ "1e", "invalid number" },
	{ "01", "leading zeros" },
	{ ".", "invalid number" },
	{ "2 * * 3", "'*' at position 5" },
	{ "2 ^ 3", "'^' at position 3" },
	{ "1 < 2", "'<' at position 3" },
	{ "\xc3\xa9", "unsupported character at position 1" },
};

static void
test_python_results(void)
{
	for (size_t i = 0; i < sizeof(python_cases) / sizeof(python_cases[0]); i++) {
		const struct ok_case *c = &python_cases[i];
		char *out = NULL;
		int rc = calculator_eval(c->expr, strlen(c->expr), &out);
		is_int(rc, 0, "%s evaluates", c->expr);
		is_str(out, c->want, "%s = %s as Python prints it", c->expr, c->want);
		free(out);
	}
}

static void
test_errors(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		char *out = NULL;
		int rc = calculator_eval(c->expr, strlen(c->expr), &out);
		is_int(rc, -1, "'%s' is refused", c->expr);
		ok(out != NULL && strncmp(out, "Error: ", 7) == 0 && strstr(out, c->says) != NULL,
		   "'%s' says \"%s\" (got: %s)", c->expr, c->says, out ? out : "(null)");
		free(out);
	}
}

/* The limits: nesting, length, a NUL inside the text. */
static void
test_limits(void)
{
	char buf[CALC_MAX_LEN + 2];
	char *out = NULL;

	/* 100 levels of parentheses are fine, 101 are not. */
	size_t n = 0;
	for (int i = 0; i < CALC_MAX_DEPTH; i++)
		buf[n++] = '(';
	buf[n++] = '1';
	for (int i = 0; i < CALC_MAX_DEPTH; i++)
		buf[n++] = ')';
	is_int(calculator_eval(buf, n, &out), 0, "%d nested parentheses evaluate", CALC_MAX_DEPTH);
	is_str(out, "1", "to 1");
	free(out);

	n = 0;
	for (int i = 0; i <= CALC_MAX_DEPTH; i++)
		buf[n++] = '(';
	buf[n++] = '1';
	for (int i = 0; i <= CALC_MAX_DEPTH; i++)
		buf[n++] = ')';
	is_int(calculator_eval(buf, n, &out), -1, "%d nested parentheses are refused",
	       CALC_MAX_DEPTH + 1);
	ok(strstr(out, "too deeply nested") != NULL, "as too deeply nested: %s", out);
	free(out);

	/* Signs and powers nest too: a long chain of either is refused, not a
	 * deep recursion. */
	memset(buf, '-', 5000);
	buf[5000] = '1';
	is_int(calculator_eval(buf, 5001, &out), -1, "5000 unary minus signs are refused");
	ok(strstr(out, "too deeply nested") != NULL, "as too deeply nested: %s", out);
	free(out);
	n = 0;
	while (n + 3 < 9000) {
		memcpy(buf + n, "1**", 3);
		n += 3;
	}
	buf[n++] = '1';
	is_int(calculator_eval(buf, n, &out), -1, "a chain of 3000 powers is refused");
	ok(strstr(out, "too deeply nested") != NULL, "as too deeply nested: %s", out);
	free(out);

	/* Length. */
	memset(buf, '1', CALC_MAX_LEN + 1);
	is_int(calculator_eval(buf, CALC_MAX_LEN + 1, &out), -1, "an over-long expression is refused");
	ok(strstr(out, "too long") != NULL, "as too long: %s", out);
	free(out);

	is_int(calculator_eval("1+\0" "2", 4, &out), -1, "a NUL inside is refused");
	ok(strstr(out, "NUL") != NULL, "saying so: %s", out);
	free(out);

	/* Huge exponents of 0, 1 and -1 end at once and are exact. */
	is_int(calculator_eval("1**9223372036854775807", 22, &out), 0, "1**(2**63-1)");
	is_str(out, "1", "is 1");
	free(out);
	is_int(calculator_eval("(-1)**9223372036854775807", 25, &out), 0, "(-1)**(2**63-1)");
	is_str(out, "-1", "is -1");
	free(out);
}

int
main(void)
{
	test_python_results();
	test_errors();
	test_limits();
	return done_testing();
}
