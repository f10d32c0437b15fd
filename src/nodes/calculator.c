/* calculator.c: see calculator.h. */
#include "calculator.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "util/pymath.h"
#include "util/xalloc.h"

/* A number: an exact integer or a double, as Python keeps int and float. */
struct num {
	bool is_int;
	int64_t i;
	double d;
};

struct calc {
	const char *s;
	size_t len, pos;
	int depth;
	char *error;            /* the first error, malloc'd; stops the parse */
};

static struct num
int_num(int64_t i)
{
	return (struct num){ .is_int = true, .i = i };
}

static struct num
float_num(double d)
{
	return (struct num){ .is_int = false, .d = d };
}

static double
as_double(struct num n)
{
	return n.is_int ? (double)n.i : n.d;
}

/* Records the first error; returns a zero the callers pass on unused. */
__attribute__((format(printf, 2, 3))) static struct num
fail(struct calc *c, const char *fmt, ...)
{
	if (c->error == NULL) {
		va_list ap;
		va_start(ap, fmt);
		char *why = xvasprintf(fmt, ap);
		va_end(ap);
		c->error = xasprintf("Error: %s", why);
		free(why);
	}
	return int_num(0);
}

/* A float result that is not finite came from finite operands: Python
 * would raise OverflowError or give inf; either way the model gets an
 * error rather than "inf". */
static struct num
finite_or_fail(struct calc *c, double d)
{
	if (!isfinite(d))
		return fail(c, "numerical result out of range");
	return float_num(d);
}

static struct num
overflow(struct calc *c)
{
	return fail(c, "integer result too large (beyond 64 bits)");
}

/* --- lexing ------------------------------------------------------------------- */

static void
skip_space(struct calc *c)
{
	while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
				   c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
		c->pos++;
}

/* Whether the next token is op (after white space); consumes it if so.
 * "*" does not match the start of "**", nor "/" of "//". */
static bool
accept(struct calc *c, const char *op)
{
	skip_space(c);
	size_t n = strlen(op);
	if (c->len - c->pos < n || memcmp(c->s + c->pos, op, n) != 0)
		return false;
	if (n == 1 && (op[0] == '*' || op[0] == '/') && c->pos + 1 < c->len &&
	    c->s[c->pos + 1] == op[0])
		return false;
	c->pos += n;
	return true;
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Digits with single underscores between them, copied into buf without
 * the underscores.  Returns the number of digits (0: none), or -1 on a
 * misplaced underscore or a literal too long to be a number we keep. */
static int
digits(struct calc *c, char *buf, size_t *used, size_t cap)
{
	int count = 0;
	while (c->pos < c->len) {
		char ch = c->s[c->pos];
		if (ch == '_') {
			if (count == 0 || c->pos + 1 >= c->len || !is_digit(c->s[c->pos + 1]))
				return -1;
			c->pos++;
			continue;
		}
		if (!is_digit(ch))
			break;
		if (*used + 1 >= cap)
			return -1;
		buf[(*used)++] = ch;
		count++;
		c->pos++;
	}
	return count;
}

/* A numeric literal at c->pos (which holds a digit or '.'). */
static struct num
number(struct calc *c)
{
	char buf[512];
	size_t used = 0, start = c->pos;
	bool is_float = false;
	int n_int = digits(c, buf, &used, sizeof(buf));
	if (n_int < 0)
		return fail(c, "invalid number at position %zu", start + 1);
	if (c->pos < c->len && c->s[c->pos] == '.') {
		is_float = true;
		buf[used++] = '.';
		c->pos++;
		int n_frac = c->pos < c->len && is_digit(c->s[c->pos])
			     ? digits(c, buf, &used, sizeof(buf)) : 0;
		if (n_frac < 0 || (n_int == 0 && n_frac == 0))
			return fail(c, "invalid number at position %zu", start + 1);
	}
	if (c->pos < c->len && (c->s[c->pos] == 'e' || c->s[c->pos] == 'E')) {
		is_float = true;
		buf[used++] = 'e';
		c->pos++;
		if (c->pos < c->len && (c->s[c->pos] == '+' || c->s[c->pos] == '-'))
			buf[used++] = c->s[c->pos++];
		if (c->pos >= c->len || !is_digit(c->s[c->pos]) ||
		    digits(c, buf, &used, sizeof(buf)) <= 0)
			return fail(c, "invalid number at position %zu", start + 1);
	}
	/* A letter or digit straight after a number ("2x", "0x1f", "1.2.3")
	 * is no arithmetic. */
	if (c->pos < c->len && (c->s[c->pos] == '.' || c->s[c->pos] == '_' ||
				((c->s[c->pos] | 0x20) >= 'a' && (c->s[c->pos] | 0x20) <= 'z')))
		return fail(c, "invalid number at position %zu", start + 1);
	buf[used] = '\0';
	if (is_float) {
		double d = strtod(buf, NULL);
		return finite_or_fail(c, d);
	}
	if (used > 1 && buf[0] == '0') {
		for (size_t i = 0; i < used; i++)
			if (buf[i] != '0')
				return fail(c, "leading zeros in decimal integer literals are not "
					       "permitted (position %zu)", start + 1);
	}
	errno = 0;
	long long v = strtoll(buf, NULL, 10);
	if (errno == ERANGE)
		return overflow(c);
	return int_num((int64_t)v);
}

/* --- arithmetic (Python's rules) ----------------------------------------------- */

static struct num
add(struct calc *c, struct num a, struct num b, bool subtract)
{
	if (a.is_int && b.is_int) {
		int64_t r;
		if (subtract ? __builtin_sub_overflow(a.i, b.i, &r) : __builtin_add_overflow(a.i, b.i, &r))
			return overflow(c);
		return int_num(r);
	}
	return finite_or_fail(c, subtract ? as_double(a) - as_double(b) : as_double(a) + as_double(b));
}

static struct num
mul(struct calc *c, struct num a, struct num b)
{
	if (a.is_int && b.is_int) {
		int64_t r;
		if (__builtin_mul_overflow(a.i, b.i, &r))
			return overflow(c);
		return int_num(r);
	}
	return finite_or_fail(c, as_double(a) * as_double(b));
}

static struct num
true_div(struct calc *c, struct num a, struct num b)
{
	if (as_double(b) == 0.0)
		return fail(c, "division by zero");
	return finite_or_fail(c, as_double(a) / as_double(b));
}

static struct num
floor_div_or_mod(struct calc *c, struct num a, struct num b, bool want_mod)
{
	if (a.is_int && b.is_int) {
		if (b.i == 0)
			return fail(c, "integer division or modulo by zero");
		if (b.i == -1) {
			/* INT64_MIN // -1 is one past the largest integer. */
			if (want_mod)
				return int_num(0);
			if (a.i == INT64_MIN)
				return overflow(c);
			return int_num(-a.i);
		}
		int64_t q = a.i / b.i, r = a.i % b.i;
		if (r != 0 && ((r < 0) != (b.i < 0))) {
			q -= 1;
			r += b.i;
		}
		return int_num(want_mod ? r : q);
	}
	double x = as_double(a), y = as_double(b);
	if (y == 0.0)
		return fail(c, want_mod ? "float modulo by zero" : "float floor division by zero");
	double fd, m;
	py_float_divmod(x, y, &fd, &m);
	return finite_or_fail(c, want_mod ? m : fd);
}

/* base ** exp for integers with exp >= 0, by squaring; overflow checked
 * only where it matters (the last squaring is skipped). */
static struct num
int_pow(struct calc *c, int64_t base, int64_t exp)
{
	int64_t result = 1;
	while (exp > 0) {
		if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
			return overflow(c);
		exp >>= 1;
		if (exp > 0 && __builtin_mul_overflow(base, base, &base))
			return overflow(c);
	}
	return int_num(result);
}

static struct num
power(struct calc *c, struct num a, struct num b)
{
	if (a.is_int && b.is_int && b.i >= 0)
		return int_pow(c, a.i, b.i);
	double x = as_double(a), y = as_double(b);
	if (y == 0.0)
		return float_num(1.0);
	if (x == 0.0 && y < 0.0)
		return fail(c, "0.0 cannot be raised to a negative power");
	if (x < 0.0 && y != floor(y))
		return fail(c, "the result is a complex number (negative base, fractional exponent)");
	return finite_or_fail(c, pow(x, y));
}

/* --- parsing --------------------------------------------------------------------- */

static struct num parse_expr(struct calc *c);
static struct num parse_unary(struct calc *c);

/* Guards the recursion: every nested parenthesis or sign takes a level. */
static bool
enter(struct calc *c)
{
	if (++c->depth > CALC_MAX_DEPTH) {
		fail(c, "expression too deeply nested (at most %d levels)", CALC_MAX_DEPTH);
		return false;
	}
	return true;
}

static struct num
unexpected(struct calc *c)
{
	skip_space(c);
	if (c->pos >= c->len)
		return fail(c, "unexpected end of expression");
	unsigned char ch = (unsigned char)c->s[c->pos];
	if (ch >= 0x21 && ch < 0x7f)
		return fail(c, "unsupported syntax '%c' at position %zu (only numbers, "
			       "+ - * / // %% ** and parentheses are allowed)", ch, c->pos + 1);
	return fail(c, "unsupported character at position %zu (only numbers, "
		       "+ - * / // %% ** and parentheses are allowed)", c->pos + 1);
}

static struct num
parse_atom(struct calc *c)
{
	skip_space(c);
	if (c->pos < c->len && (is_digit(c->s[c->pos]) || c->s[c->pos] == '.'))
		return number(c);
	if (accept(c, "(")) {
		if (!enter(c))
			return int_num(0);
		struct num v = parse_expr(c);
		c->depth--;
		if (c->error == NULL && !accept(c, ")"))
			return c->pos >= c->len ? fail(c, "missing ')'") : unexpected(c);
		return v;
	}
	return unexpected(c);
}

static struct num
parse_power(struct calc *c)
{
	struct num base = parse_atom(c);
	if (c->error != NULL || !accept(c, "**"))
		return base;
	/* The exponent is a unary, so 2**-1 and 2**3**2 (right to left). */
	if (!enter(c))
		return base;
	struct num exp = parse_unary(c);
	c->depth--;
	if (c->error != NULL)
		return base;
	return power(c, base, exp);
}

static struct num
parse_unary(struct calc *c)
{
	bool minus = accept(c, "-");
	if (minus || accept(c, "+")) {
		if (!enter(c))
			return int_num(0);
		struct num v = parse_unary(c);
		c->depth--;
		if (c->error != NULL || !minus)
			return v;
		if (v.is_int) {
			if (v.i == INT64_MIN)
				return overflow(c);
			return int_num(-v.i);
		}
		return float_num(-v.d);
	}
	return parse_power(c);
}

static struct num
parse_term(struct calc *c)
{
	struct num v = parse_unary(c);
	while (c->error == NULL) {
		if (accept(c, "*"))
			v = mul(c, v, parse_unary(c));
		else if (accept(c, "//"))
			v = floor_div_or_mod(c, v, parse_unary(c), false);
		else if (accept(c, "/"))
			v = true_div(c, v, parse_unary(c));
		else if (accept(c, "%"))
			v = floor_div_or_mod(c, v, parse_unary(c), true);
		else
			break;
	}
	return v;
}

/* Operands are parsed before the operator is applied; an error in the
 * right operand stops the loop before its value is used (fail() keeps
 * the first message). */
static struct num
parse_expr(struct calc *c)
{
	struct num v = parse_term(c);
	while (c->error == NULL) {
		if (accept(c, "+"))
			v = add(c, v, parse_term(c), false);
		else if (accept(c, "-"))
			v = add(c, v, parse_term(c), true);
		else
			break;
	}
	return v;
}

static char *
num_text(struct num v)
{
	if (v.is_int)
		return xasprintf("%lld", (long long)v.i);
	char buf[PY_FLOAT_REPR_SIZE];
	py_float_repr(v.d, buf);
	return xstrdup(buf);
}

int
calculator_eval(const char *expression, size_t len, char **out)
{
	struct calc c = { .s = expression, .len = len };
	if (len > CALC_MAX_LEN) {
		*out = xasprintf("Error: expression too long (at most %d characters)", CALC_MAX_LEN);
		return -1;
	}
	if (memchr(expression, '\0', len) != NULL) {
		*out = xstrdup("Error: the expression holds a NUL character");
		return -1;
	}
	skip_space(&c);
	if (c.pos >= c.len) {
		*out = xstrdup("Error: empty expression");
		return -1;
	}
	struct num v = parse_expr(&c);
	if (c.error == NULL) {
		skip_space(&c);
		if (c.pos < c.len)
			unexpected(&c);
	}
	if (c.error != NULL) {
		*out = c.error;
		return -1;
	}
	*out = num_text(v);
	return 0;
}
