/* pyjson.c: Python's json.dumps(sort_keys=True), HTML-safe, as tojson. */
#include "expr/pyjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "expr/value.h"

/* As py_repr: deeper than any value the language holds. */
#define PY_JSON_MAX_DEPTH 4096

static bool
dump_string(struct strbuf *b, const char *s, size_t n)
{
	if (!strbuf_putc(b, '"'))
		return false;
	size_t i = 0;
	while (i < n) {
		size_t len;
		unsigned long cp = utf8_next(s + i, n - i, &len);
		char esc[32];
		const char *out = esc;
		switch (cp) {
		case '"': out = "\\\""; break;
		case '\\': out = "\\\\"; break;
		case '\n': out = "\\n"; break;
		case '\r': out = "\\r"; break;
		case '\t': out = "\\t"; break;
		case '\b': out = "\\b"; break;
		case '\f': out = "\\f"; break;
		default:
			if (cp < 0x20 || cp > 0x7e || cp == '<' || cp == '>' || cp == '&' || cp == '\'') {
				if (cp >= 0x10000) {
					unsigned long v = cp - 0x10000;
					snprintf(esc, sizeof esc, "\\u%04lx\\u%04lx", 0xd800 + (v >> 10),
						 0xdc00 + (v & 0x3ff));
				} else {
					snprintf(esc, sizeof esc, "\\u%04lx", cp);
				}
			} else {
				esc[0] = (char)cp;
				esc[1] = '\0';
			}
		}
		if (!strbuf_puts(b, out))
			return false;
		i += len;
	}
	return strbuf_putc(b, '"');
}

static bool
newline(struct strbuf *b, int indent, int level)
{
	if (!strbuf_putc(b, '\n'))
		return false;
	for (int i = 0; i < indent * level; i++)
		if (!strbuf_putc(b, ' '))
			return false;
	return true;
}

static int
key_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool
dump_at(struct strbuf *b, const json_t *v, int indent, int level)
{
	char num[PY_FLOAT_REPR_SIZE];
	const char *item_sep = indent >= 0 ? "," : ", ";
	if (level > PY_JSON_MAX_DEPTH)
		return strbuf_puts(b, "null");
	switch (json_typeof(v)) {
	case JSON_NULL:
		return strbuf_puts(b, "null");
	case JSON_TRUE:
		return strbuf_puts(b, "true");
	case JSON_FALSE:
		return strbuf_puts(b, "false");
	case JSON_INTEGER:
		return strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		py_float_repr(json_real_value(v), num);
		return strbuf_puts(b, num);
	case JSON_STRING:
		return dump_string(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		if (json_array_size(v) == 0)
			return strbuf_puts(b, "[]");
		if (!strbuf_putc(b, '['))
			return false;
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			if (i > 0 && !strbuf_puts(b, item_sep))
				return false;
			if (indent >= 0 && !newline(b, indent, level + 1))
				return false;
			if (!dump_at(b, item, indent, level + 1))
				return false;
		}
		if (indent >= 0 && !newline(b, indent, level))
			return false;
		return strbuf_putc(b, ']');
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v);
		if (n == 0)
			return strbuf_puts(b, "{}");
		const char **keys = malloc(n * sizeof *keys);
		if (keys == NULL)
			abort();
		size_t k = 0;
		const char *key;
		json_t *item;
		json_object_foreach((json_t *)v, key, item) keys[k++] = key;
		qsort(keys, n, sizeof *keys, key_cmp);
		bool ok = strbuf_putc(b, '{');
		for (size_t i = 0; ok && i < n; i++) {
			if (i > 0)
				ok = strbuf_puts(b, item_sep);
			if (ok && indent >= 0)
				ok = newline(b, indent, level + 1);
			ok = ok && dump_string(b, keys[i], strlen(keys[i])) && strbuf_puts(b, ": ") &&
			     dump_at(b, json_object_get(v, keys[i]), indent, level + 1);
		}
		free(keys);
		if (ok && indent >= 0)
			ok = newline(b, indent, level);
		return ok && strbuf_putc(b, '}');
	}
	}
	return false;
}

bool
py_json_dumps_append(struct strbuf *b, const json_t *v, int indent)
{
	return dump_at(b, v, indent, 0);
}
