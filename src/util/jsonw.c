/* jsonw.c: see jsonw.h. */
#include "util/jsonw.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timefmt.h"
#include "util/xalloc.h"

void
jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void
jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

char *
jw_take(struct jw *w, size_t *len)
{
	char *text = w->buf ? w->buf : xstrdup("");
	if (len)
		*len = w->len;
	memset(w, 0, sizeof(*w));
	return text;
}

/* The rare path of reserve(), kept out of line so the common one inlines. */
static void __attribute__((noinline))
grow(struct jw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + n + 1)
		cap *= 2;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
}

/* Room for n more bytes and the NUL. */
static inline void
reserve(struct jw *w, size_t n)
{
	if (__builtin_expect(w->len + n + 1 > w->cap, 0))
		grow(w, n);
}

void
jw_reserve(struct jw *w, size_t n)
{
	reserve(w, n);
}

static inline void
put(struct jw *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static inline void
put_char(struct jw *w, char c)
{
	reserve(w, 1);
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

/* Before any value: the comma that separates it from the previous member
 * or element, unless it is the value of a key just written. */
static inline void
separate(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (jw_member_seen(w))
		put_char(w, ',');
}

static void
open_container(struct jw *w, char c)
{
	separate(w);
	put_char(w, c);
	assert(w->depth + 1 < JW_MAX_DEPTH);
	w->depth++;
	w->has_member[w->depth / 64] &= ~((uint64_t)1 << (w->depth % 64));
}

static void
close_container(struct jw *w, char c)
{
	assert(w->depth > 0);
	w->depth--;
	put_char(w, c);
}

void jw_obj_begin(struct jw *w) { open_container(w, '{'); }
void jw_obj_end(struct jw *w) { close_container(w, '}'); }
void jw_arr_begin(struct jw *w) { open_container(w, '['); }
void jw_arr_end(struct jw *w) { close_container(w, ']'); }

/* --- strings ------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t
utf8_sequence(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

static int
plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static void
put_escape(struct jw *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	switch (c) {
	case '"': put(w, "\\\"", 2); return;
	case '\\': put(w, "\\\\", 2); return;
	case '\b': put(w, "\\b", 2); return;
	case '\f': put(w, "\\f", 2); return;
	case '\n': put(w, "\\n", 2); return;
	case '\r': put(w, "\\r", 2); return;
	case '\t': put(w, "\\t", 2); return;
	default: {
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		put(w, u, 6);
	}
	}
}

static void
put_string(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	reserve(w, n + 2);
	put_char(w, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && plain_ascii(s[run]))
			run++;
		if (run > i) {
			put(w, str + i, run - i);
			i = run;
			continue;
		}
		if (s[i] < 0x80) {
			put_escape(w, s[i]);
			i++;
			continue;
		}
		size_t seq = utf8_sequence(s + i, n - i);
		if (seq > 0) {
			put(w, str + i, seq);
			i += seq;
		} else {
			put(w, "\xEF\xBF\xBD", 3);      /* U+FFFD for a stray byte */
			i++;
		}
	}
	put_char(w, '"');
}

void
jw_members_raw(struct jw *w, const char *members, size_t n)
{
	assert(!w->after_key);
	separate(w);
	put(w, members, n);
}

void
jw_key_n(struct jw *w, const char *key, size_t n)
{
	size_t plain = 0;
	while (plain < n && plain_ascii((unsigned char)key[plain]))
		plain++;
	if (plain < n) {
		separate(w);
		put_string(w, key, n);
		put_char(w, ':');
		w->after_key = 1;
		return;
	}
	/* The usual key, a literal of the code: comma, quotes, key and colon
	 * in one reservation. */
	assert(!w->after_key);
	reserve(w, n + 4);
	char *p = w->buf + w->len;
	if (jw_member_seen(w))
		*p++ = ',';
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	*p = '\0';
	w->len = (size_t)(p - w->buf);
	w->after_key = 1;
}

void
jw_strn(struct jw *w, const char *s, size_t n)
{
	separate(w);
	put_string(w, s, n);
}

void
jw_strn_or_null(struct jw *w, const char *s, size_t n)
{
	if (s == NULL)
		jw_null(w);
	else
		jw_strn(w, s, n);
}

void
jw_str(struct jw *w, const char *s)
{
	if (s == NULL)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

/* --- scalars ------------------------------------------------------------------ */

void
jw_int(struct jw *w, int64_t v)
{
	char digits[24];
	size_t n = 0;
	/* Unsigned so that INT64_MIN negates without overflow. */
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do {
		digits[sizeof(digits) - 1 - n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		digits[sizeof(digits) - 1 - n++] = '-';
	separate(w);
	put(w, digits + sizeof(digits) - n, n);
}

void
jw_real(struct jw *w, double v)
{
	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	char text[40];
	int n = 0;
	/* The fewest significant digits that read back as v. */
	for (int precision = 15; precision <= 17; precision++) {
		n = snprintf(text, sizeof(text) - 2, "%.*g", precision, v);
		if (strtod(text, NULL) == v)
			break;
	}
	/* Keep it a real for readers that tell 1.0 from 1. */
	if (strpbrk(text, ".eE") == NULL) {
		text[n++] = '.';
		text[n++] = '0';
	}
	separate(w);
	put(w, text, (size_t)n);
}

void
jw_bool(struct jw *w, int v)
{
	separate(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void
jw_null(struct jw *w)
{
	separate(w);
	put(w, "null", 4);
}

void
jw_raw(struct jw *w, const char *json, size_t n)
{
	separate(w);
	put(w, json, n);
}

void
jw_timen(struct jw *w, const char *db_time, size_t len)
{
	/* Quotes included, so the digits go out in one copy (nothing in an
	 * ISO-8601 time needs escaping). */
	char quoted[TIME_ISO_LEN + 2];
	if (time_db_to_iso_n(db_time, len, quoted + 1) != 0) {
		jw_null(w);
		return;
	}
	size_t n = strlen(quoted + 1);
	quoted[0] = '"';
	quoted[n + 1] = '"';
	jw_raw(w, quoted, n + 2);
}

void
jw_time(struct jw *w, const char *db_time)
{
	jw_timen(w, db_time, db_time ? strlen(db_time) : 0);
}

/* --- jansson values ----------------------------------------------------------- */

void
jw_json(struct jw *w, const json_t *v)
{
	/* Values built in code could nest deeper than the writer can: they
	 * are cut with null rather than fail the answer. */
	if (w->depth + 1 >= JW_MAX_DEPTH && (json_is_object(v) || json_is_array(v))) {
		jw_null(w);
		return;
	}
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: {
		const char *key;
		json_t *member;
		jw_obj_begin(w);
		/* json_object_foreach wants a non-const object; it only reads. */
		json_object_foreach((json_t *)v, key, member) {
			jw_key(w, key);
			jw_json(w, member);
		}
		jw_obj_end(w);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *item;
		jw_arr_begin(w);
		json_array_foreach(v, i, item)
			jw_json(w, item);
		jw_arr_end(w);
		break;
	}
	case JSON_STRING:
		jw_strn(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jw_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		jw_real(w, json_real_value(v));
		break;
	case JSON_TRUE:
		jw_bool(w, 1);
		break;
	case JSON_FALSE:
		jw_bool(w, 0);
		break;
	case JSON_NULL:
	default:
		jw_null(w);
		break;
	}
}

/* --- checking JSON text ------------------------------------------------------- */

/* A recursive-descent recogniser of RFC 8259: it builds nothing, so a
 * stored value can be checked and copied into an answer for the price of
 * one pass over its bytes. */
struct scan {
	const unsigned char *p, *end;
	unsigned depth;
};

/* As deep as jansson parses (2048), so what the API stored can be shown. */
#define SCAN_MAX_DEPTH 2048

static int scan_value(struct scan *s);

static void
scan_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

static int
is_digit(const struct scan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int
scan_digits(struct scan *s)
{
	if (!is_digit(s))
		return 0;
	while (is_digit(s))
		s->p++;
	return 1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
scan_number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!scan_digits(s))
		return 0;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!scan_digits(s))
			return 0;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!scan_digits(s))
			return 0;
	}
	return 1;
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
scan_string(struct scan *s)
{
	s->p++;                                 /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '"') {
			s->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (s->end - s->p < 2)
				return 0;
			unsigned char e = s->p[1];
			if (e == 'u') {
				if (s->end - s->p < 6 || !is_hex(s->p[2]) || !is_hex(s->p[3]) ||
				    !is_hex(s->p[4]) || !is_hex(s->p[5]))
					return 0;
				s->p += 6;
			} else if (strchr("\"\\/bfnrt", e) != NULL && e != '\0') {
				s->p += 2;
			} else
				return 0;
			continue;
		}
		if (c < 0x80) {
			s->p++;
			continue;
		}
		size_t seq = utf8_sequence(s->p, (size_t)(s->end - s->p));
		if (seq == 0)
			return 0;
		s->p += seq;
	}
	return 0;                               /* no closing quote */
}

/* The members of an object or the elements of an array, up to close. */
static int
scan_container(struct scan *s, unsigned char close)
{
	if (++s->depth > SCAN_MAX_DEPTH)
		return 0;
	s->p++;
	scan_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 1;
	}
	for (;;) {
		if (close == '}') {
			scan_space(s);          /* before a key, after '{' or ',' */
			if (s->p >= s->end || *s->p != '"' || !scan_string(s))
				return 0;
			scan_space(s);
			if (s->p >= s->end || *s->p != ':')
				return 0;
			s->p++;
		}
		if (!scan_value(s))
			return 0;
		scan_space(s);
		if (s->p >= s->end)
			return 0;
		if (*s->p == close) {
			s->p++;
			s->depth--;
			return 1;
		}
		if (*s->p != ',')
			return 0;
		s->p++;
	}
}

/* One value with the whitespace before it. */
static int
scan_value(struct scan *s)
{
	scan_space(s);
	if (s->p >= s->end)
		return 0;
	switch (*s->p) {
	case '{': return scan_container(s, '}');
	case '[': return scan_container(s, ']');
	case '"': return scan_string(s);
	case 't': return scan_literal(s, "true");
	case 'f': return scan_literal(s, "false");
	case 'n': return scan_literal(s, "null");
	default: return scan_number(s);
	}
}

int
jw_text_is_json(const char *text, size_t len)
{
	struct scan s = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };
	if (text == NULL || !scan_value(&s))
		return 0;
	scan_space(&s);
	return s.p == s.end;
}

void
jw_json_textn(struct jw *w, const char *text, size_t len, const char *fallback)
{
	if (text != NULL && jw_text_is_json(text, len))
		jw_raw(w, text, len);
	else
		jw_raw(w, fallback, strlen(fallback));
}

void
jw_json_text(struct jw *w, const char *text, const char *fallback)
{
	jw_json_textn(w, text, text ? strlen(text) : 0, fallback);
}

char *
jw_dump(const json_t *v, size_t *len)
{
	struct jw w;
	jw_init(&w);
	jw_json(&w, v);
	return jw_take(&w, len);
}

json_t *
jw_to_json(const struct jw *w)
{
	if (w->len == 0)
		return NULL;
	return json_loadb(w->buf, w->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}
