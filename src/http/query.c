/* query.c: see query.h. */
#include "query.h"

#include <string.h>

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
percent_decode(const char *src, size_t len, char *dst, int plus_is_space)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (c == '+' && plus_is_space) {
			dst[o++] = ' ';
		} else if (c == '%' && i + 2 < len && hex_value(src[i + 1]) >= 0 &&
			   hex_value(src[i + 2]) >= 0) {
			dst[o++] = (char)(hex_value(src[i + 1]) * 16 + hex_value(src[i + 2]));
			i += 2;
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	return o;
}

int
query_parse(const char *qs, size_t len, char *buf, size_t bufsize, struct query_item *items,
	    int max_items)
{
	int n = 0;
	size_t used = 0;
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && qs[end] != '&')
			end++;
		if (end > i) {
			size_t eq = i;
			while (eq < end && qs[eq] != '=')
				eq++;
			size_t klen = eq - i;
			size_t vlen = eq < end ? end - eq - 1 : 0;
			if (n >= max_items || used + klen + vlen + 2 > bufsize)
				return -1;
			char *key = buf + used;
			used += percent_decode(qs + i, klen, key, 1) + 1;
			char *value = buf + used;
			used += percent_decode(eq < end ? qs + eq + 1 : "", vlen, value, 1) + 1;
			items[n].key = key;
			items[n].value = value;
			n++;
		}
		i = end + 1;
	}
	return n;
}

const char *
query_get(const struct query_item *items, int n, const char *key)
{
	for (int i = n - 1; i >= 0; i--)
		if (strcmp(items[i].key, key) == 0)
			return items[i].value;
	return NULL;
}
