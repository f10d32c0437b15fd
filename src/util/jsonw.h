/*
 * jsonw.h: writes JSON text straight into a growing buffer.
 *
 * Answers are rendered with this instead of building jansson values and
 * dumping them: a workflow detail is about a thousand values, and making,
 * dumping and freeing them cost more than the database work behind them.
 * jansson still parses requests and holds values that are edited in code;
 * jw_json() writes such a value here, so every answer is printed by one
 * printer (one number format, one escaping).
 *
 * Commas and colons are placed by the writer: call jw_key() before each
 * member's value inside an object, nothing between array elements.
 *
 *   struct jw w;
 *   jw_init(&w);
 *   jw_obj_begin(&w);
 *   jw_kint(&w, "id", 7);
 *   jw_kstr(&w, "name", name);        (NULL writes null)
 *   jw_obj_end(&w);
 *   ... use w.buf / w.len ...
 *   jw_free(&w);
 *
 * Strings are escaped as RFC 8259 requires; bytes that are not UTF-8 are
 * written as U+FFFD, so a value written by hand into the database can
 * never make an answer invalid JSON.  Reals are printed in the shortest
 * form that reads back as the same double (0.7, not 0.69999999999999996),
 * always with a '.' or exponent; NaN and infinities, which JSON lacks,
 * are null.  Nesting deeper than JW_MAX_DEPTH is a programming error
 * (asserted); memory comes from xalloc (which aborts when exhausted).
 */
#ifndef PIPELIT_JSONW_H
#define PIPELIT_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#define JW_MAX_DEPTH 64

struct jw {
	char *buf;               /* NUL-terminated when len > 0; owned */
	size_t len, cap;
	unsigned depth;
	uint64_t has_member;     /* bit d: the container at depth d has a member */
	int after_key;           /* the next value follows a key: no comma */
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* Hands over the text (malloc'd, NUL-terminated; "" when empty) and resets w. */
char *jw_take(struct jw *w, size_t *len);

void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key_n(struct jw *w, const char *key, size_t n);
/* Inline so that the length of a literal key is known at compile time. */
static inline void
jw_key(struct jw *w, const char *key)
{
	jw_key_n(w, key, strlen(key));
}
/* Members already in JSON form ("\"a\":null,\"b\":0"), written as they
 * are into the open object: a renderer's run of constant members costs
 * one copy instead of a key and a value each. */
void jw_members_raw(struct jw *w, const char *members, size_t n);
#define JW_MEMBERS(w, literal) jw_members_raw((w), "" literal "", sizeof(literal) - 1)

void jw_str(struct jw *w, const char *s);            /* NULL: null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_real(struct jw *w, double v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* A value that is already JSON text, written as it is (the caller vouches for it). */
void jw_raw(struct jw *w, const char *json, size_t n);
/* A jansson value (NULL: null).  Object members keep their order. */
void jw_json(struct jw *w, const json_t *v);
/* JSON text read from a column, written as it is when it is one valid
 * JSON value (RFC 8259; checked without building anything), else fallback
 * (JSON text such as "{}" or "null"), also for NULL: a value written by
 * hand can never make an answer invalid. */
void jw_json_text(struct jw *w, const char *text, const char *fallback);
void jw_json_textn(struct jw *w, const char *text, size_t len, const char *fallback);
/* 1 when text[0..len) is exactly one JSON value, whitespace around it allowed. */
int jw_text_is_json(const char *text, size_t len);
/* A stored timestamp as ISO-8601 with Z (util/timefmt.h), null when NULL
 * or unreadable; jw_timen takes text that need not end in a NUL. */
void jw_time(struct jw *w, const char *db_time);
void jw_timen(struct jw *w, const char *db_time, size_t len);

/* key + value in one call (inline, like jw_key, for literal keys). */
static inline void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
static inline void jw_kint(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
static inline void jw_kreal(struct jw *w, const char *k, double v) { jw_key(w, k); jw_real(w, v); }
static inline void jw_kbool(struct jw *w, const char *k, int v) { jw_key(w, k); jw_bool(w, v); }
static inline void jw_knull(struct jw *w, const char *k) { jw_key(w, k); jw_null(w); }
static inline void jw_kjson(struct jw *w, const char *k, const json_t *v) { jw_key(w, k); jw_json(w, v); }
static inline void jw_ktime(struct jw *w, const char *k, const char *t) { jw_key(w, k); jw_time(w, t); }
static inline void
jw_ktimen(struct jw *w, const char *k, const char *t, size_t n)
{
	jw_key(w, k);
	jw_timen(w, t, n);
}
static inline void
jw_kjson_text(struct jw *w, const char *k, const char *text, const char *fallback)
{
	jw_key(w, k);
	jw_json_text(w, text, fallback);
}
static inline void
jw_kjson_textn(struct jw *w, const char *k, const char *text, size_t n, const char *fallback)
{
	jw_key(w, k);
	jw_json_textn(w, text, n, fallback);
}
/* NULL: null. */
static inline void
jw_kstrn(struct jw *w, const char *k, const char *s, size_t n)
{
	jw_key(w, k);
	if (s == NULL)
		jw_null(w);
	else
		jw_strn(w, s, n);
}

/* A jansson value as compact JSON text (malloc'd; *len set when len is not
 * NULL): the printer of every answer and event. */
char *jw_dump(const json_t *v, size_t *len);

/* The text written so far parsed back into a jansson value (new
 * reference), for callers that edit or embed it; NULL if w holds no
 * complete value. */
json_t *jw_to_json(const struct jw *w);

#endif
