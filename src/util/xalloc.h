/*
 * xalloc.h: allocation helpers that abort on out-of-memory.  A FastCGI
 * child that cannot allocate a few bytes has nothing sensible left to do;
 * the master respawns it.
 */
#ifndef PIPELIT_XALLOC_H
#define PIPELIT_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

#endif
