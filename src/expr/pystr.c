/* pystr.c: Python-style str() and repr() of jansson values. */
#include "expr/pystr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* Deeper than jansson's own parser allows (2048); a value built in code
 * deeper than this prints its inner part as [...] / {...} instead of
 * growing the stack without bound. */
#define PY_REPR_MAX_DEPTH 4096

void
py_float_repr(double d, char out[PY_FLOAT_REPR_SIZE])
{
	if (isnan(d)) {
		strcpy(out, "nan");
		return;
	}
	if (isinf(d)) {
		strcpy(out, d < 0 ? "-inf" : "inf");
		return;
	}
	/* The shortest precision that reads back to the same double, as
	 * Python's repr chooses. */
	char sci[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(sci, sizeof sci, "%.*e", prec - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	/* sci is [-]D[.DDD]e[+-]XX: take the digits and the exponent apart. */
	const char *p = sci;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	char digits[24];
	size_t nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.' && nd < sizeof digits - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	int exp10 = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';

	char *o = out;
	if (neg)
		*o++ = '-';
	if (exp10 < -4 || exp10 >= 16) {
		/* Python: exponent form below 1e-4 and from 1e16 up. */
		*o++ = digits[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, digits + 1, nd - 1);
			o += nd - 1;
		}
		snprintf(o, PY_FLOAT_REPR_SIZE - (size_t)(o - out), "e%c%02d", exp10 < 0 ? '-' : '+',
			 abs(exp10));
		return;
	}
	if (exp10 < 0) {
		*o++ = '0';
		*o++ = '.';
		for (int i = -1; i > exp10; i--)
			*o++ = '0';
		memcpy(o, digits, nd);
		o += nd;
	} else {
		size_t intlen = (size_t)exp10 + 1;
		for (size_t i = 0; i < intlen; i++)
			*o++ = i < nd ? digits[i] : '0';
		*o++ = '.';
		if (nd > intlen) {
			memcpy(o, digits + intlen, nd - intlen);
			o += nd - intlen;
		} else {
			*o++ = '0';
		}
	}
	*o = '\0';
}


/* Python's str.isprintable(), for the code points that matter in practice:
 * controls, separators other than the space, format characters, private
 * use.  (Unassigned code points, which Python also escapes, print as they
 * are here.) */
static bool
py_isprintable(unsigned long cp)
{
	static const unsigned long ranges[][2] = {
		{0x0, 0x1f},	     {0x7f, 0xa0},	   {0xad, 0xad},	 {0x600, 0x605},
		{0x61c, 0x61c},	     {0x6dd, 0x6dd},	   {0x70f, 0x70f},	 {0x8e2, 0x8e2},
		{0x1680, 0x1680},    {0x180e, 0x180e},	   {0x2000, 0x200f},	 {0x2028, 0x202f},
		{0x205f, 0x2064},    {0x2066, 0x206f},	   {0x3000, 0x3000},	 {0xd800, 0xf8ff},
		{0xfeff, 0xfeff},    {0xfff9, 0xfffb},	   {0xfffe, 0xffff},	 {0x110bd, 0x110bd},
		{0x110cd, 0x110cd},  {0x13430, 0x1343f},   {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
		{0xe0000, 0xe0fff},  {0xf0000, 0x10ffff},
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return false;
	return true;
}

bool
py_repr_string_append(struct strbuf *b, const char *s, size_t n)
{
	/* Single quotes, unless the text has a single quote and no double. */
	char quote = '\'';
	if (memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL)
		quote = '"';
	if (!strbuf_putc(b, quote))
		return false;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t len;
		unsigned long cp = utf8_next((const char *)u + i, n - i, &len);
		char esc[24];
		const char *out = NULL;
		size_t outlen = 0;
		if (cp == (unsigned char)quote || cp == '\\') {
			esc[0] = '\\';
			esc[1] = (char)cp;
			out = esc;
			outlen = 2;
		} else if (cp == '\t') {
			out = "\\t";
			outlen = 2;
		} else if (cp == '\n') {
			out = "\\n";
			outlen = 2;
		} else if (cp == '\r') {
			out = "\\r";
			outlen = 2;
		} else if (!py_isprintable(cp) || (len == 1 && cp >= 0x80)) {
			/* A malformed byte (len 1, >= 0x80) shows as \xNN too. */
			if (cp < 0x100)
				snprintf(esc, sizeof esc, "\\x%02lx", cp);
			else if (cp < 0x10000)
				snprintf(esc, sizeof esc, "\\u%04lx", cp);
			else
				snprintf(esc, sizeof esc, "\\U%08lx", cp);
			out = esc;
			outlen = strlen(esc);
		} else {
			out = s + i;
			outlen = len;
		}
		if (!strbuf_append(b, out, outlen))
			return false;
		i += len;
	}
	return strbuf_putc(b, quote);
}

static bool
repr_at(struct strbuf *b, const json_t *v, int depth)
{
	char num[PY_FLOAT_REPR_SIZE];
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
		return strbuf_puts(b, "None");
	case JSON_TRUE:
		return strbuf_puts(b, "True");
	case JSON_FALSE:
		return strbuf_puts(b, "False");
	case JSON_INTEGER:
		return strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		py_float_repr(json_real_value(v), num);
		return strbuf_puts(b, num);
	case JSON_STRING:
		return py_repr_string_append(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		if (depth >= PY_REPR_MAX_DEPTH)
			return strbuf_puts(b, "[...]");
		if (!strbuf_putc(b, '['))
			return false;
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			if (i > 0 && !strbuf_puts(b, ", "))
				return false;
			if (!repr_at(b, item, depth + 1))
				return false;
		}
		return strbuf_putc(b, ']');
	}
	case JSON_OBJECT: {
		if (depth >= PY_REPR_MAX_DEPTH)
			return strbuf_puts(b, "{...}");
		if (!strbuf_putc(b, '{'))
			return false;
		const char *key;
		json_t *item;
		bool first = true;
		/* jansson 2.8+ iterates in insertion order, as a dict does. */
		json_object_foreach((json_t *)v, key, item) {
			if (!first && !strbuf_puts(b, ", "))
				return false;
			first = false;
			if (!py_repr_string_append(b, key, strlen(key)) || !strbuf_puts(b, ": ") ||
			    !repr_at(b, item, depth + 1))
				return false;
		}
		return strbuf_putc(b, '}');
	}
	}
	return false;
}

bool
py_repr_append(struct strbuf *b, const json_t *v)
{
	return repr_at(b, v, 0);
}

bool
py_str_append(struct strbuf *b, const json_t *v)
{
	if (v && json_is_string(v))
		return strbuf_append(b, json_string_value(v), json_string_length(v));
	return repr_at(b, v, 0);
}

char *
py_str(const json_t *v)
{
	struct strbuf b;
	strbuf_init(&b, 0);
	py_str_append(&b, v);
	return strbuf_take(&b);
}

char *
py_repr(const json_t *v)
{
	struct strbuf b;
	strbuf_init(&b, 0);
	py_repr_append(&b, v);
	return strbuf_take(&b);
}
