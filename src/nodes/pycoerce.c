/*
 * pycoerce.c: Python's conversions of JSON values, as Pipelit's operators
 * apply them (float(), int(), truthiness, ==, len()).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/value.h"
#include "nodes/pycoerce.h"
#include "util/xalloc.h"

/* Python's str.strip() for the ASCII whitespace it strips (Unicode
 * spaces such as U+00A0 are left: they do not occur in numbers people
 * type into a rule). */
static int
py_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* s without surrounding whitespace: *start and *len. */
static void
strip(const char *s, const char **start, size_t *len)
{
	size_t n = strlen(s);
	while (n > 0 && py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && py_space((unsigned char)s[n - 1]))
		n--;
	*start = s;
	*len = n;
}

/* Digits with single '_' between them, as Python's number literals allow;
 * copies the digits to out (when not NULL), returns how many characters
 * of s were read (0: no digit). */
static size_t
digit_part(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t i = 0;
	if (n == 0 || !isdigit((unsigned char)s[0]))
		return 0;
	while (i < n) {
		if (isdigit((unsigned char)s[i])) {
			if (out)
				out[(*outlen)++] = s[i];
			i++;
		} else if (s[i] == '_' && i + 1 < n && isdigit((unsigned char)s[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	return i;
}

static int
ieq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Python's float() of a string. */
static int
py_float_text(const char *text, double *out)
{
	const char *s;
	size_t n;
	strip(text, &s, &n);
	char *buf = xmalloc(n + 2);
	size_t b = 0, i = 0;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		neg = s[i] == '-';
		buf[b++] = s[i++];
	}
	if (ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity")) {
		free(buf);
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (ieq(s + i, n - i, "nan")) {
		free(buf);
		*out = NAN;
		return 0;
	}
	size_t whole = digit_part(s + i, n - i, buf, &b);
	i += whole;
	size_t frac = 0;
	if (i < n && s[i] == '.') {
		buf[b++] = '.';
		i++;
		frac = digit_part(s + i, n - i, buf, &b);
		i += frac;
	}
	if (whole == 0 && frac == 0) {
		free(buf);
		return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		buf[b++] = 'e';
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			buf[b++] = s[i++];
		size_t exp = digit_part(s + i, n - i, buf, &b);
		if (exp == 0) {
			free(buf);
			return -1;
		}
		i += exp;
	}
	if (i != n) {
		free(buf);
		return -1;
	}
	buf[b] = '\0';
	/* The grammar above is C's too, so strtod reads all of it (overflow
	 * gives inf, as Python's float() does). */
	*out = strtod(buf, NULL);
	free(buf);
	return 0;
}

int
py_float(const json_t *v, double *out)
{
	if (v == NULL)
		return -1;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*out = (double)json_integer_value(v);
		return 0;
	case JSON_REAL:
		*out = json_real_value(v);
		return 0;
	case JSON_TRUE:
		*out = 1.0;
		return 0;
	case JSON_FALSE:
		*out = 0.0;
		return 0;
	case JSON_STRING:
		return py_float_text(json_string_value(v), out);
	default:
		return -1;
	}
}

int
py_int(const json_t *v, long long *out)
{
	if (v == NULL)
		return -1;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*out = json_integer_value(v);
		return 0;
	case JSON_TRUE:
		*out = 1;
		return 0;
	case JSON_FALSE:
		*out = 0;
		return 0;
	case JSON_REAL: {
		double d = json_real_value(v);
		if (!isfinite(d))
			return -1;
		d = trunc(d);
		*out = d >= 9.2e18 ? LLONG_MAX : d <= -9.2e18 ? LLONG_MIN : (long long)d;
		return 0;
	}
	case JSON_STRING: {
		const char *s;
		size_t n;
		strip(json_string_value(v), &s, &n);
		size_t i = 0;
		int neg = 0;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
		char *digits = xmalloc(n + 1);
		size_t dl = 0;
		size_t read = digit_part(s + i, n - i, digits, &dl);
		if (read == 0 || i + read != n) {
			free(digits);
			return -1;
		}
		digits[dl] = '\0';
		errno = 0;
		unsigned long long u = strtoull(digits, NULL, 10);
		int big = errno == ERANGE || u > (unsigned long long)LLONG_MAX;
		free(digits);
		if (big)
			*out = neg ? LLONG_MIN : LLONG_MAX;
		else
			*out = neg ? -(long long)u : (long long)u;
		return 0;
	}
	default:
		return -1;
	}
}

int
py_to_bool(const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		return ieq(s, n, "true") || ieq(s, n, "1") || ieq(s, n, "yes");
	}
	return value_truthy(v);
}
