/*
 * row_json.h: a result row's columns written as JSON values (util/jsonw.h),
 * for the models that render their rows straight into answers.  Text is
 * taken with its length (db_column_text_n), so SQLite's bytes are copied
 * once, into the answer.  The *_or macros write a literal key first.
 */
#ifndef PIPELIT_MODEL_ROW_JSON_H
#define PIPELIT_MODEL_ROW_JSON_H

#include "db/db.h"
#include "util/jsonw.h"

/* An integer, or null for SQL NULL. */
static inline void
int_col(struct jw *w, struct db_stmt *st, int col)
{
	if (db_column_is_null(st, col))
		jw_null(w);
	else
		jw_int(w, db_column_int64(st, col));
}

/* A real, or null for SQL NULL. */
static inline void
real_col(struct jw *w, struct db_stmt *st, int col)
{
	if (db_column_is_null(st, col))
		jw_null(w);
	else
		jw_real(w, db_column_double(st, col));
}

/* Text, or fallback (which may be NULL: null) for SQL NULL. */
static inline void
text_col(struct jw *w, struct db_stmt *st, int col, const char *fallback)
{
	size_t n;
	const char *s = db_column_text_n(st, col, &n);
	if (s == NULL)
		jw_str(w, fallback);
	else
		jw_strn(w, s, n);
}

/* Stored JSON text, or fallback (JSON text) for SQL NULL or bad text. */
static inline void
json_col(struct jw *w, struct db_stmt *st, int col, const char *fallback)
{
	size_t n;
	const char *s = db_column_text_n(st, col, &n);
	jw_json_textn(w, s, n, fallback);
}

/* A stored timestamp as ISO-8601 with Z, or null. */
static inline void
time_col(struct jw *w, struct db_stmt *st, int col)
{
	size_t n;
	const char *s = db_column_text_n(st, col, &n);
	jw_timen(w, s, n);
}

#define int_or_null(w, key, st, col) (JW_KEY(w, key), int_col(w, st, col))
#define real_or_null(w, key, st, col) (JW_KEY(w, key), real_col(w, st, col))
#define text_or(w, key, st, col, fallback) (JW_KEY(w, key), text_col(w, st, col, fallback))
#define json_or(w, key, st, col, fallback) (JW_KEY(w, key), json_col(w, st, col, fallback))
#define time_or_null(w, key, st, col) (JW_KEY(w, key), time_col(w, st, col))

#endif
