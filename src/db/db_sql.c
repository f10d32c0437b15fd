/*
 * db_sql.c: the one piece of SQL rewriting the layer does: '?'
 * placeholders become PostgreSQL's $1, $2, ...
 *
 * A '?' inside a string literal, a quoted identifier or a comment is
 * text, not a parameter.  Every other '?' is a parameter (so PostgreSQL's
 * jsonb '?' operators are not available in shared SQL; see
 * doc/dialect.md).
 */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "util/xalloc.h"

/* Skips a quoted run starting at the opening quote; a doubled quote is an
 * escaped one.  Returns the position after the closing quote (or the end
 * of an unterminated run). */
static const char *
skip_quoted(const char *p, char quote)
{
	for (p++; *p; p++) {
		if (*p != quote)
			continue;
		if (p[1] != quote)
			return p + 1;
		p++;
	}
	return p;
}

static const char *
skip_line_comment(const char *p)
{
	const char *eol = strchr(p, '\n');
	return eol ? eol + 1 : p + strlen(p);
}

/* PostgreSQL block comments nest; SQLite's do not, but shared SQL never
 * relies on the difference. */
static const char *
skip_block_comment(const char *p)
{
	int depth = 0;
	while (*p) {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			p += 2;
			if (--depth == 0)
				return p;
		} else {
			p++;
		}
	}
	return p;
}

/* The next '?' that is a parameter, or NULL. */
static const char *
next_placeholder(const char *p)
{
	while (*p) {
		if (*p == '?')
			return p;
		if (*p == '\'' || *p == '"')
			p = skip_quoted(p, *p);
		else if (p[0] == '-' && p[1] == '-')
			p = skip_line_comment(p);
		else if (p[0] == '/' && p[1] == '*')
			p = skip_block_comment(p);
		else
			p++;
	}
	return NULL;
}

char *
db_sql_to_postgres(const char *sql, int *nparams)
{
	int n = 0;
	for (const char *q = next_placeholder(sql); q; q = next_placeholder(q + 1))
		n++;
	/* Each '?' grows to at most "$" and ten digits. */
	char *out = xmalloc(strlen(sql) + (size_t)n * 10 + 1);
	char *o = out;
	const char *p = sql;
	int i = 0;
	for (const char *q = next_placeholder(p); q; q = next_placeholder(p)) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		o += sprintf(o, "$%d", ++i);
		p = q + 1;
	}
	strcpy(o, p);
	if (nparams != NULL)
		*nparams = n;
	return out;
}
