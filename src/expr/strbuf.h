/*
 * strbuf.h: a growable byte buffer with an optional size cap, used to
 * build rendered text.  The buffer owns its bytes until strbuf_take()
 * hands them to the caller.
 */
#ifndef PIPELIT_EXPR_STRBUF_H
#define PIPELIT_EXPR_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data;	/* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;	/* 0: no cap; else appends that would pass it fail */
	bool overflow;	/* an append was refused because of max */
};

void strbuf_init(struct strbuf *b, size_t max);
/* Each returns false (and sets overflow, appending nothing) when the cap
 * would be passed. */
bool strbuf_append(struct strbuf *b, const char *s, size_t n);
bool strbuf_puts(struct strbuf *b, const char *s);
bool strbuf_putc(struct strbuf *b, char c);
bool strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'd, never NULL; the caller frees); the buffer is reset. */
char *strbuf_take(struct strbuf *b);
void strbuf_free(struct strbuf *b);

#endif
