/*
 * query.h: parsing an application/x-www-form-urlencoded query string.
 *
 * Pure and allocation-free: the caller gives a buffer at least as long as
 * the query string (plus one byte per item for the terminators, so
 * 2 * len + 2 is always enough), and the decoded keys and values are
 * written there.  '+' is a space, %XX a byte; a malformed escape is kept
 * as it stands (as Python's unquote does).  "a" without '=' is the key a
 * with an empty value; empty pieces ("a=1&&b=2") are skipped.
 */
#ifndef PIPELIT_QUERY_H
#define PIPELIT_QUERY_H

#include <stddef.h>

struct query_item {
	const char *key;
	const char *value;
};

/* Returns the number of items, or -1 when there are more than max_items or
 * the buffer is too small. */
int query_parse(const char *qs, size_t len, char *buf, size_t bufsize,
		struct query_item *items, int max_items);

/* The value of the last occurrence of key (FastAPI reads the last one for
 * a scalar parameter), or NULL. */
const char *query_get(const struct query_item *items, int n, const char *key);

/* Decodes %XX escapes (and '+' when plus_is_space) from src[0..len) into
 * dst, which has room for len + 1 bytes; returns the decoded length. */
size_t percent_decode(const char *src, size_t len, char *dst, int plus_is_space);

#endif
