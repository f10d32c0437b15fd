/* value.c: Python semantics on JSON values. */
#include "expr/value.h"

#include <string.h>

/* Equality of nested values recurses at most this deep; the language never
 * builds values deeper than this (see value_depth). */
#define EQUAL_MAX_DEPTH 4096

const char *
value_type_name(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
		return "NoneType";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float";
	case JSON_STRING:
		return "str";
	case JSON_ARRAY:
		return "list";
	case JSON_OBJECT:
		return "dict";
	}
	return "object";
}

bool
value_truthy(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
	case JSON_FALSE:
		return false;
	case JSON_TRUE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	}
	return false;
}

bool
value_is_number(const json_t *v)
{
	return v && (json_is_number(v) || json_is_boolean(v));
}

bool
value_is_int(const json_t *v)
{
	return v && (json_is_integer(v) || json_is_boolean(v));
}

json_int_t
value_int(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_true(v) ? 1 : 0;
}

double
value_number(const json_t *v)
{
	if (json_is_real(v))
		return json_real_value(v);
	return (double)value_int(v);
}

/* Python compares an int and a float exactly; for the ints JSON holds a
 * double comparison is exact except past 2^53, which is close enough. */
static int
number_cmp(const json_t *v, const json_t *w)
{
	if (value_is_int(v) && value_is_int(w)) {
		json_int_t a = value_int(v), b = value_int(w);
		return a < b ? -1 : a > b;
	}
	double a = value_number(v), b = value_number(w);
	return a < b ? -1 : a > b;
}

static bool
equal_at(const json_t *v, const json_t *w, int depth)
{
	if (depth > EQUAL_MAX_DEPTH)
		return false;
	if (value_is_number(v) && value_is_number(w))
		return number_cmp(v, w) == 0;
	if (v == NULL || w == NULL)
		return (v == NULL || json_is_null(v)) && (w == NULL || json_is_null(w));
	if (json_typeof(v) != json_typeof(w))
		return false;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return true;
	case JSON_STRING:
		return json_string_length(v) == json_string_length(w) &&
		       memcmp(json_string_value(v), json_string_value(w), json_string_length(v)) == 0;
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (n != json_array_size(w))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!equal_at(json_array_get(v, i), json_array_get(w, i), depth + 1))
				return false;
		return true;
	}
	case JSON_OBJECT: {
		if (json_object_size(v) != json_object_size(w))
			return false;
		const char *key;
		json_t *item;
		json_object_foreach((json_t *)v, key, item) {
			json_t *other = json_object_get(w, key);
			if (other == NULL || !equal_at(item, other, depth + 1))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

bool
value_equal(const json_t *v, const json_t *w)
{
	return equal_at(v, w, 0);
}

static bool
order_at(const json_t *v, const json_t *w, int *cmp, int depth)
{
	if (depth > EQUAL_MAX_DEPTH)
		return false;
	if (value_is_number(v) && value_is_number(w)) {
		*cmp = number_cmp(v, w);
		return true;
	}
	if (json_is_string(v) && json_is_string(w)) {
		/* Byte order of UTF-8 is code point order, as Python compares. */
		size_t a = json_string_length(v), b = json_string_length(w);
		int r = memcmp(json_string_value(v), json_string_value(w), a < b ? a : b);
		*cmp = r != 0 ? r : (a < b ? -1 : a > b);
		return true;
	}
	if (json_is_array(v) && json_is_array(w)) {
		size_t a = json_array_size(v), b = json_array_size(w);
		for (size_t i = 0; i < a && i < b; i++) {
			json_t *x = json_array_get(v, i), *y = json_array_get(w, i);
			if (!equal_at(x, y, depth + 1))
				return order_at(x, y, cmp, depth + 1);
		}
		*cmp = a < b ? -1 : a > b;
		return true;
	}
	return false;
}

bool
value_order(const json_t *v, const json_t *w, int *cmp)
{
	return order_at(v, w, cmp, 0);
}

json_t *
str_value(const char *s, size_t n)
{
	return json_stringn_nocheck(s, n);
}

unsigned long
cp_upper(unsigned long cp)
{
	if (cp >= 'a' && cp <= 'z')
		return cp - 32;
	if (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7)
		return cp - 32;
	if (cp == 0xff)
		return 0x178;
	if (cp >= 0x3b1 && cp <= 0x3c9 && cp != 0x3c2)
		return cp - 32;
	if (cp == 0x3c2)
		return 0x3a3;
	if (cp >= 0x430 && cp <= 0x44f)
		return cp - 32;
	if (cp >= 0x450 && cp <= 0x45f)
		return cp - 80;
	return cp;
}

unsigned long
cp_lower(unsigned long cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	if (cp == 0x178)
		return 0xff;
	if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2)
		return cp + 32;
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 80;
	return cp;
}

bool
cp_isspace(unsigned long cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

size_t
value_depth(const json_t *v, size_t cap, unsigned long *visits)
{
	(*visits)++;
	if (cap == 0 || v == NULL || !(json_is_array(v) || json_is_object(v)))
		return 0;
	size_t deepest = 0;
	if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			size_t d = value_depth(item, cap - 1, visits);
			if (d > deepest)
				deepest = d;
		}
	} else {
		const char *key;
		json_t *item;
		json_object_foreach((json_t *)v, key, item) {
			size_t d = value_depth(item, cap - 1, visits);
			if (d > deepest)
				deepest = d;
		}
	}
	return deepest + 1;
}
