/* utf8.c: see utf8.h. */
#include "util/utf8.h"

#include <string.h>

unsigned long
utf8_next(const char *str, size_t n, size_t *len)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	int need;
	unsigned long cp;
	if (c < 0x80) {
		*len = 1;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		need = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3;
		cp = c & 0x07;
	} else {
		*len = 1;
		return c;
	}
	if ((size_t)need >= n) {
		*len = 1;
		return c;
	}
	for (int i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return c;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*len = (size_t)need + 1;
	return cp;
}

size_t
utf8_count(const char *s, size_t n)
{
	size_t count = 0, i = 0, len;
	while (i < n) {
		utf8_next(s + i, n - i, &len);
		i += len;
		count++;
	}
	return count;
}

size_t
utf8_offset(const char *s, size_t n, size_t index)
{
	size_t i = 0, len;
	while (index > 0 && i < n) {
		utf8_next(s + i, n - i, &len);
		i += len;
		index--;
	}
	return i;
}

size_t
utf8_encode(unsigned long cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | ((cp >> 18) & 0x07));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (avail < n)
		return 0;
	unsigned cp = c & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
utf8_valid(const char *s)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq_len((const unsigned char *)s + i, len - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}
