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
 * Commas and colons are placed by the writer: write a key before each
 * member's value inside an object (JW_KEY for a literal, jw_key() for any
 * other), nothing between array elements.
 *
 *   struct jw w;
 *   jw_init(&w);
 *   jw_obj_begin(&w);
 *   jw_kint(&w, "id", 7);            (jw_k*: a literal key and a value)
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

/* Above jansson's parser limit (2048) with room for the answer around a
 * parsed value, so any value a request carried can be written back. */
#define JW_MAX_DEPTH 4096

struct jw {
	char *buf;               /* NUL-terminated when len > 0; owned */
	size_t len, cap;
	unsigned depth;
	uint64_t has_member[JW_MAX_DEPTH / 64];  /* bit d: the container at depth d has one */
	int after_key;           /* the next value follows a key: no comma */
};

void jw_init(struct jw *w);
/* Room for n more bytes and a NUL (used by the inline writers). */
void jw_reserve(struct jw *w, size_t n);
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
void jw_strn_or_null(struct jw *w, const char *s, size_t n);   /* NULL: null */
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

/* Marks the open container as having a member; whether it had one already
 * (so the next one needs a comma). */
static inline int
jw_member_seen(struct jw *w)
{
	uint64_t *word = &w->has_member[w->depth / 64];
	uint64_t bit = (uint64_t)1 << (w->depth % 64);
	int seen = (*word & bit) != 0;
	*word |= bit;
	return seen;
}

/*
 * A key that is a string literal with nothing to escape (the keys of the
 * API's shapes): the compiler makes its quoted form, so writing it is one
 * copy.  A non-literal does not compile.  jw_key() is for any other key.
 */
static inline void
jw_key_quoted(struct jw *w, const char *quoted, size_t n)
{
	if (w->len + n + 2 > w->cap)
		jw_reserve(w, n + 1);
	if (jw_member_seen(w))
		w->buf[w->len++] = ',';
	memcpy(w->buf + w->len, quoted, n);
	w->len += n;
	w->buf[w->len] = '\0';
	w->after_key = 1;
}
#define JW_KEY(w, literal) jw_key_quoted((w), "\"" literal "\":", sizeof(literal) + 2)

/* A literal key and its value in one call. */
#define jw_kstr(w, k, s) (JW_KEY(w, k), jw_str((w), (s)))
#define jw_kstrn(w, k, s, n) (JW_KEY(w, k), jw_strn_or_null((w), (s), (n)))
#define jw_kint(w, k, v) (JW_KEY(w, k), jw_int((w), (v)))
#define jw_kreal(w, k, v) (JW_KEY(w, k), jw_real((w), (v)))
#define jw_kbool(w, k, v) (JW_KEY(w, k), jw_bool((w), (v)))
#define jw_knull(w, k) (JW_KEY(w, k), jw_null(w))
#define jw_kjson(w, k, v) (JW_KEY(w, k), jw_json((w), (v)))
#define jw_ktime(w, k, t) (JW_KEY(w, k), jw_time((w), (t)))
#define jw_ktimen(w, k, t, n) (JW_KEY(w, k), jw_timen((w), (t), (n)))
#define jw_kjson_text(w, k, t, f) (JW_KEY(w, k), jw_json_text((w), (t), (f)))
#define jw_kjson_textn(w, k, t, n, f) (JW_KEY(w, k), jw_json_textn((w), (t), (n), (f)))

/* A jansson value as compact JSON text (malloc'd; *len set when len is not
 * NULL): the printer of every answer and event. */
char *jw_dump(const json_t *v, size_t *len);

/* The text written so far parsed back into a jansson value (new
 * reference), for callers that edit or embed it; NULL if w holds no
 * complete value. */
json_t *jw_to_json(const struct jw *w);

#endif
