/* filters.c: Jinja's filters and tests, on JSON values, with Jinja's
 * argument names and defaults. */
#include "expr/filters.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/pyjson.h"
#include "expr/pystr.h"
#include "expr/strbuf.h"
#include "expr/value.h"
#include "util/xalloc.h"

/* What a filter receives: its input, its arguments bound to its parameter
 * names (NULL when not given), and for the variadic ones all of them. */
struct call {
	struct expr_ctx *c;
	size_t offset;
	const char *name;
	json_t *in;
	json_t *p[6];	/* bound parameters */
	json_t **args;	/* positional, as given */
	size_t nargs;
	char **kwnames;
	json_t **kwargs;
	size_t nkw;
};

typedef int filter_fn(struct call *k, json_t **out);

struct filter {
	const char *name;
	filter_fn *fn;
	const char *params[6]; /* NULL-terminated; {"*"} takes anything */
	bool method_only;      /* a str method (s.split()), not a filter */
};

/* --- helpers -------------------------------------------------------------- */

static int
need_string_arg(struct call *k, json_t *v, const char *what)
{
	if (v && !json_is_string(v))
		return ctx_fail(k->c, k->offset, "%s: %s must be a string, not %s", k->name, what,
				value_type_name(v));
	return EV_OK;
}

/* The input as text: str() of it, as Jinja's filters take strings. */
static char *
input_text(struct call *k, size_t *len)
{
	if (json_is_string(k->in)) {
		*len = json_string_length(k->in);
		char *s = xmalloc(*len + 1);
		memcpy(s, json_string_value(k->in), *len);
		s[*len] = '\0';
		return s;
	}
	struct strbuf b;
	strbuf_init(&b, k->c->lim->max_output);
	if (!py_str_append(&b, k->in)) {
		strbuf_free(&b);
		ctx_fits(k->c, k->offset, SIZE_MAX);
		return NULL;
	}
	if (!ctx_made(k->c, k->offset, b.len)) {
		strbuf_free(&b);
		return NULL;
	}
	*len = b.len;
	return strbuf_take(&b);
}

/* A string result from a buffer (taking its bytes); the error when the
 * buffer passed its cap. */
static int
buf_result(struct call *k, struct strbuf *b, json_t **out)
{
	if (b->overflow || !ctx_made(k->c, k->offset, b->len)) {
		strbuf_free(b);
		ctx_fits(k->c, k->offset, SIZE_MAX);
		return EV_ERR;
	}
	*out = str_value(b->data ? b->data : "", b->len);
	strbuf_free(b);
	return EV_OK;
}

/* The items of an iterable as a new list: a list's items, a dict's keys, a
 * string's characters. */
static int
iterate(struct expr_ctx *c, size_t offset, json_t *v, json_t **out)
{
	if (json_is_array(v)) {
		*out = json_incref(v);
		return EV_OK;
	}
	if (json_is_object(v)) {
		if (!ctx_step(c, offset, json_object_size(v)))
			return EV_ERR;
		json_t *list = json_array();
		const char *key;
		json_t *item;
		json_object_foreach(v, key, item) json_array_append_new(list, json_string_nocheck(key));
		*out = list;
		return EV_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), i = 0, len;
		if (!ctx_step(c, offset, n))
			return EV_ERR;
		json_t *list = json_array();
		while (i < n) {
			utf8_next(s + i, n - i, &len);
			json_array_append_new(list, str_value(s + i, len));
			i += len;
		}
		*out = list;
		return EV_OK;
	}
	return ctx_fail(c, offset, "'%s' object is not iterable", value_type_name(v));
}

/* Jinja's attribute path "a.b.0": each part a key, or an index for digits.
 * Borrowed, or NULL (with the undefined's message) when missing. */
static json_t *
get_path(struct expr_ctx *c, size_t offset, json_t *v, const char *path)
{
	char part[128];
	const char *p = path;
	while (v) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof part)
			n = sizeof part - 1;
		memcpy(part, p, n);
		part[n] = '\0';
		json_t *next = NULL;
		char *end;
		long idx = strtol(part, &end, 10);
		if (json_is_array(v) && n > 0 && *end == '\0' && idx >= 0)
			next = json_array_get(v, (size_t)idx);
		else
			next = value_getattr(v, part);
		if (next == NULL) {
			char msg[160];
			describe_missing_attr(msg, sizeof msg, v, part);
			ctx_undef(c, offset, "%s", msg);
			return NULL;
		}
		v = next;
		if (!dot)
			break;
		p = dot + 1;
	}
	return v;
}

/* --- string filters ------------------------------------------------------- */

/* Maps each code point of the input text through fn. */
static int
map_case(struct call *k, json_t **out, int mode)
{
	size_t n, i = 0, len;
	char *s = input_text(k, &n);
	if (s == NULL)
		return EV_ERR;
	struct strbuf b;
	strbuf_init(&b, k->c->lim->max_output);
	bool word_start = true;
	while (i < n) {
		unsigned long cp = utf8_next(s + i, n - i, &len), m = cp;
		char enc[4];
		switch (mode) {
		case 0: m = cp_upper(cp); break;
		case 1: m = cp_lower(cp); break;
		case 2: /* title: Jinja starts a word after spaces, - ( { [ < */
			m = word_start ? cp_upper(cp) : cp_lower(cp);
			word_start = cp_isspace(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' ||
				     cp == '<';
			break;
		case 3: /* capitalize */
			m = i == 0 ? cp_upper(cp) : cp_lower(cp);
			break;
		}
		if (len == 1 || m != cp)
			strbuf_append(&b, enc, utf8_encode(m, enc));
		else
			strbuf_append(&b, s + i, len);
		i += len;
	}
	free(s);
	return buf_result(k, &b, out);
}

static int f_upper(struct call *k, json_t **out) { return map_case(k, out, 0); }
static int f_lower(struct call *k, json_t **out) { return map_case(k, out, 1); }
static int f_title(struct call *k, json_t **out) { return map_case(k, out, 2); }
static int f_capitalize(struct call *k, json_t **out) { return map_case(k, out, 3); }

static int
f_length(struct call *k, json_t **out)
{
	json_t *v = k->in;
	if (json_is_string(v))
		*out = json_integer((json_int_t)utf8_count(json_string_value(v), json_string_length(v)));
	else if (json_is_array(v))
		*out = json_integer((json_int_t)json_array_size(v));
	else if (json_is_object(v))
		*out = json_integer((json_int_t)json_object_size(v));
	else
		return ctx_fail(k->c, k->offset, "object of type '%s' has no len()", value_type_name(v));
	return EV_OK;
}

static bool
arg_int(struct call *k, json_t *v, json_int_t dflt, json_int_t *out, const char *what)
{
	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return true;
	}
	if (!value_is_int(v)) {
		ctx_fail(k->c, k->offset, "%s: %s must be an integer, not %s", k->name, what,
			 value_type_name(v));
		return false;
	}
	*out = value_int(v);
	return true;
}

/* truncate(length=255, killwords=False, end='...', leeway=5) */
static int
f_truncate(struct call *k, json_t **out)
{
	json_int_t length, leeway;
	if (!arg_int(k, k->p[0], 255, &length, "length") || !arg_int(k, k->p[3], 5, &leeway, "leeway") ||
	    need_string_arg(k, k->p[2], "end") != EV_OK)
		return EV_ERR;
	bool killwords = k->p[1] && value_truthy(k->p[1]);
	const char *end = k->p[2] ? json_string_value(k->p[2]) : "...";
	size_t endlen = k->p[2] ? json_string_length(k->p[2]) : 3;
	size_t endcount = utf8_count(end, endlen);
	if (length < (json_int_t)endcount)
		return ctx_fail(k->c, k->offset, "expected length >= %zu, got %" JSON_INTEGER_FORMAT,
				endcount, length);
	if (leeway < 0)
		return ctx_fail(k->c, k->offset, "expected leeway >= 0, got %" JSON_INTEGER_FORMAT, leeway);
	if (!json_is_string(k->in)) {
		/* Jinja measures the value as it is: a short list or dict comes
		 * back unchanged, a number has no length. */
		size_t items = json_is_array(k->in)    ? json_array_size(k->in)
			       : json_is_object(k->in) ? json_object_size(k->in)
						       : SIZE_MAX;
		if (items == SIZE_MAX)
			return ctx_fail(k->c, k->offset, "object of type '%s' has no len()",
					value_type_name(k->in));
		if (length > INT64_MAX - leeway || (json_int_t)items <= length + leeway) {
			*out = json_incref(k->in);
			return EV_OK;
		}
		return ctx_fail(k->c, k->offset, "truncate needs a string, not %s", value_type_name(k->in));
	}
	size_t n;
	char *s = input_text(k, &n);
	if (s == NULL)
		return EV_ERR;
	size_t count = utf8_count(s, n);
	if (length > INT64_MAX - leeway || (json_int_t)count <= length + leeway) {
		*out = str_value(s, n);
		free(s);
		return EV_OK;
	}
	size_t cut = utf8_offset(s, n, (size_t)length - endcount);
	if (!killwords) {
		/* s[:cut].rsplit(" ", 1)[0] */
		size_t sp = cut;
		while (sp > 0 && s[sp - 1] != ' ')
			sp--;
		if (sp > 0)
			cut = sp - 1;
	}
	struct strbuf b;
	strbuf_init(&b, k->c->lim->max_output);
	strbuf_append(&b, s, cut);
	strbuf_append(&b, end, endlen);
	free(s);
	return buf_result(k, &b, out);
}

/* default(default_value='', boolean=False); also d */
static int
f_default(struct call *k, json_t **out)
{
	bool boolean = k->p[1] && value_truthy(k->p[1]);
	if (k->in == NULL || (boolean && !value_truthy(k->in)))
		*out = k->p[0] ? json_incref(k->p[0]) : json_string("");
	else
		*out = json_incref(k->in);
	return EV_OK;
}

/* tojson(indent=None) */
static int
f_tojson(struct call *k, json_t **out)
{
	json_int_t indent;
	if (!arg_int(k, k->p[0], -1, &indent, "indent"))
		return EV_ERR;
	if (indent > 64)
		indent = 64;
	struct strbuf b;
	strbuf_init(&b, k->c->lim->max_output);
	py_json_dumps_append(&b, k->in, (int)indent);
	return buf_result(k, &b, out);
}

/* join(d='', attribute=None) */
static int
f_join(struct call *k, json_t **out)
{
	json_t *items;
	if (need_string_arg(k, k->p[1], "attribute") != EV_OK ||
	    iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	struct strbuf b;
	strbuf_init(&b, k->c->lim->max_output);
	size_t i;
	json_t *item;
	int r = EV_OK;
	json_array_foreach(items, i, item) {
		if (!ctx_step(k->c, k->offset, 1)) {
			r = EV_ERR;
			break;
		}
		if (i > 0 && k->p[0])
			py_str_append(&b, k->p[0]);
		if (k->p[1]) {
			item = get_path(k->c, k->offset, item, json_string_value(k->p[1]));
			if (item == NULL) {
				r = ctx_undef_error(k->c);
				break;
			}
		}
		if (!py_str_append(&b, item))
			break;
	}
	json_decref(items);
	if (r != EV_OK) {
		strbuf_free(&b);
		return r;
	}
	return buf_result(k, &b, out);
}

/* replace(old, new, count=None), as Python's str.replace */
static int
f_replace(struct call *k, json_t **out)
{
	if (k->p[0] == NULL || k->p[1] == NULL)
		return ctx_fail(k->c, k->offset, "replace needs the old and the new text");
	json_int_t count;
	if (!arg_int(k, k->p[2], -1, &count, "count"))
		return EV_ERR;
	size_t n, on, nn;
	char *s = input_text(k, &n);
	if (s == NULL)
		return EV_ERR;
	struct call ko = *k, kn = *k;
	ko.in = k->p[0];
	kn.in = k->p[1];
	char *old = input_text(&ko, &on), *new = old ? input_text(&kn, &nn) : NULL;
	if (new == NULL) {
		free(s);
		free(old);
		return EV_ERR;
	}
	struct strbuf b;
	strbuf_init(&b, k->c->lim->max_output);
	size_t i = 0;
	json_int_t done = 0;
	while (i <= n && !b.overflow) {
		if (!ctx_step(k->c, k->offset, 1))
			break;
		bool match = count < 0 || done < count;
		if (on == 0) {
			/* Python puts new before every character and at the end. */
			if (match) {
				strbuf_append(&b, new, nn);
				done++;
			}
			if (i == n)
				break;
			size_t len;
			utf8_next(s + i, n - i, &len);
			strbuf_append(&b, s + i, len);
			i += len;
			continue;
		}
		if (match && i + on <= n && memcmp(s + i, old, on) == 0) {
			strbuf_append(&b, new, nn);
			done++;
			i += on;
			continue;
		}
		/* Copy up to the next possible match at once. */
		const char *next = match && i + on <= n ? memmem(s + i, n - i, old, on) : NULL;
		size_t upto = next ? (size_t)(next - s) : n;
		strbuf_append(&b, s + i, upto - i);
		i = upto;
		if (i == n)
			break;
	}
	free(s);
	free(old);
	free(new);
	if (k->c->failed) {
		strbuf_free(&b);
		return EV_ERR;
	}
	return buf_result(k, &b, out);
}

static bool
in_set(unsigned long cp, const char *set, size_t n)
{
	size_t i = 0, len;
	while (i < n) {
		if (utf8_next(set + i, n - i, &len) == cp)
			return true;
		i += len;
	}
	return false;
}

/* The input with leading and trailing characters removed: whitespace, or
 * those of chars. */
static int
strip(struct call *k, json_t *chars, bool left, bool right, json_t **out)
{
	if (need_string_arg(k, chars, "chars") != EV_OK)
		return EV_ERR;
	size_t n;
	char *s = input_text(k, &n);
	if (s == NULL)
		return EV_ERR;
	const char *set = chars ? json_string_value(chars) : NULL;
	size_t setn = chars ? json_string_length(chars) : 0;
	size_t from = 0, to = n, len;
	while (left && from < n) {
		unsigned long cp = utf8_next(s + from, n - from, &len);
		if (set ? !in_set(cp, set, setn) : !cp_isspace(cp))
			break;
		from += len;
	}
	while (right && to > from) {
		size_t start = to - 1;
		while (start > from && ((unsigned char)s[start] & 0xc0) == 0x80)
			start--;
		unsigned long cp = utf8_next(s + start, to - start, &len);
		if (set ? !in_set(cp, set, setn) : !cp_isspace(cp))
			break;
		to = start;
	}
	if (!ctx_made(k->c, k->offset, to - from)) {
		free(s);
		return EV_ERR;
	}
	*out = str_value(s + from, to - from);
	free(s);
	return EV_OK;
}

static int f_trim(struct call *k, json_t **out) { return strip(k, k->p[0], true, true, out); }

static int
f_affix(struct call *k, json_t **out, bool prefix)
{
	if (k->p[0] == NULL || !json_is_string(k->p[0]) || !json_is_string(k->in))
		return ctx_fail(k->c, k->offset, "%s needs a string", k->name);
	size_t n = json_string_length(k->in), m = json_string_length(k->p[0]);
	const char *s = json_string_value(k->in), *a = json_string_value(k->p[0]);
	*out = json_boolean(m <= n && memcmp(prefix ? s : s + n - m, a, m) == 0);
	return EV_OK;
}

static int f_startswith(struct call *k, json_t **out) { return f_affix(k, out, true); }
static int f_endswith(struct call *k, json_t **out) { return f_affix(k, out, false); }

/* str.split(sep=None, maxsplit=-1) */
static int
f_split(struct call *k, json_t **out)
{
	json_int_t maxsplit;
	if (need_string_arg(k, k->p[0], "sep") != EV_OK || !arg_int(k, k->p[1], -1, &maxsplit, "maxsplit"))
		return EV_ERR;
	if (!json_is_string(k->in))
		return ctx_fail(k->c, k->offset, "split needs a string");
	const char *s = json_string_value(k->in);
	size_t n = json_string_length(k->in), i = 0, len;
	if (!ctx_step(k->c, k->offset, n))
		return EV_ERR;
	json_t *list = json_array();
	if (k->p[0] && !json_is_null(k->p[0])) {
		const char *sep = json_string_value(k->p[0]);
		size_t sn = json_string_length(k->p[0]);
		if (sn == 0) {
			json_decref(list);
			return ctx_fail(k->c, k->offset, "empty separator");
		}
		json_int_t done = 0;
		for (;;) {
			const char *hit = (maxsplit < 0 || done < maxsplit) ? memmem(s + i, n - i, sep, sn) : NULL;
			size_t end = hit ? (size_t)(hit - s) : n;
			json_array_append_new(list, str_value(s + i, end - i));
			if (!hit)
				break;
			i = end + sn;
			done++;
		}
	} else {
		/* Runs of whitespace separate; none at the ends. */
		json_int_t done = 0;
		while (i < n) {
			while (i < n && cp_isspace(utf8_next(s + i, n - i, &len)))
				i += len;
			if (i >= n)
				break;
			size_t start = i;
			if (maxsplit >= 0 && done >= maxsplit) {
				size_t end = n;
				while (end > start && cp_isspace((unsigned char)s[end - 1]))
					end--;
				json_array_append_new(list, str_value(s + start, end - start));
				break;
			}
			while (i < n && !cp_isspace(utf8_next(s + i, n - i, &len)))
				i += len;
			json_array_append_new(list, str_value(s + start, i - start));
			done++;
		}
	}
	*out = list;
	return EV_OK;
}

/* --- sequences ------------------------------------------------------------ */

static int
first_or_last(struct call *k, json_t **out, bool last)
{
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	size_t n = json_array_size(items);
	int r = EV_OK;
	if (n == 0)
		r = ctx_undef(k->c, k->offset, "No %s item, sequence was empty.", last ? "last" : "first");
	else
		*out = json_incref(json_array_get(items, last ? n - 1 : 0));
	json_decref(items);
	return r;
}

static int f_first(struct call *k, json_t **out) { return first_or_last(k, out, false); }
static int f_last(struct call *k, json_t **out) { return first_or_last(k, out, true); }

static int
f_list(struct call *k, json_t **out)
{
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	if (!ctx_step(k->c, k->offset, json_array_size(items))) {
		json_decref(items);
		return EV_ERR;
	}
	*out = json_array();
	json_array_extend(*out, items);
	json_decref(items);
	return EV_OK;
}

static int
f_reverse(struct call *k, json_t **out)
{
	if (json_is_string(k->in)) {
		const char *s = json_string_value(k->in);
		size_t n = json_string_length(k->in), to = n;
		if (!ctx_made(k->c, k->offset, n))
			return EV_ERR;
		char *r = xmalloc(n + 1);
		size_t o = 0;
		while (to > 0) {
			size_t start = to - 1;
			while (start > 0 && ((unsigned char)s[start] & 0xc0) == 0x80)
				start--;
			memcpy(r + o, s + start, to - start);
			o += to - start;
			to = start;
		}
		*out = str_value(r, o);
		free(r);
		return EV_OK;
	}
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	size_t n = json_array_size(items);
	if (!ctx_step(k->c, k->offset, n)) {
		json_decref(items);
		return EV_ERR;
	}
	json_t *list = json_array();
	for (size_t i = n; i > 0; i--)
		json_array_append(list, json_array_get(items, i - 1));
	json_decref(items);
	*out = list;
	return EV_OK;
}

/* The items of the input for select/reject, selectattr/rejectattr. */
static int
select_items(struct call *k, json_t **out, bool by_attr, bool keep)
{
	size_t first_test = by_attr ? 1 : 0;
	if (by_attr && (k->nargs < 1 || !json_is_string(k->args[0])))
		return ctx_fail(k->c, k->offset, "%s needs an attribute name", k->name);
	if (k->nargs > first_test && !json_is_string(k->args[first_test]))
		return ctx_fail(k->c, k->offset, "%s: the test name must be a string", k->name);
	const char *test = k->nargs > first_test ? json_string_value(k->args[first_test]) : NULL;
	if (test && !test_known(test))
		return ctx_fail(k->c, k->offset, "no test named '%.60s'", test);
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	json_t *list = json_array();
	size_t i;
	json_t *item;
	int r = EV_OK;
	json_array_foreach(items, i, item) {
		if (!ctx_step(k->c, k->offset, 1)) {
			r = EV_ERR;
			break;
		}
		json_t *v = by_attr ? get_path(k->c, k->offset, item, json_string_value(k->args[0])) : item;
		bool pass;
		if (test) {
			r = test_by_name(k->c, k->offset, test, v, k->args + first_test + 1,
					 k->nargs - first_test - 1, &pass);
		} else if (v == NULL) {
			r = ctx_undef_error(k->c);
		} else {
			pass = value_truthy(v);
		}
		if (r != EV_OK)
			break;
		if (pass == keep)
			json_array_append(list, item);
	}
	json_decref(items);
	if (r != EV_OK) {
		json_decref(list);
		return EV_ERR;
	}
	*out = list;
	return EV_OK;
}

static int f_select(struct call *k, json_t **out) { return select_items(k, out, false, true); }
static int f_reject(struct call *k, json_t **out) { return select_items(k, out, false, false); }
static int f_selectattr(struct call *k, json_t **out) { return select_items(k, out, true, true); }
static int f_rejectattr(struct call *k, json_t **out) { return select_items(k, out, true, false); }

static json_t *
kwarg(struct call *k, const char *name)
{
	for (size_t i = 0; i < k->nkw; i++)
		if (strcmp(k->kwnames[i], name) == 0)
			return k->kwargs[i];
	return NULL;
}

/* map(attribute="a.b", default=None) or map("filter", args...) */
static int
f_map(struct call *k, json_t **out)
{
	json_t *attr = kwarg(k, "attribute"), *dflt = kwarg(k, "default");
	if (attr == NULL && (k->nargs < 1 || !json_is_string(k->args[0])))
		return ctx_fail(k->c, k->offset, "map needs attribute= or a filter name");
	if (attr && !json_is_string(attr))
		return ctx_fail(k->c, k->offset, "map: attribute must be a string");
	const char *fname = attr ? NULL : json_string_value(k->args[0]);
	if (fname && (!filter_known(fname) || strcmp(fname, "map") == 0))
		return ctx_fail(k->c, k->offset, "no filter named '%.60s'", fname);
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	json_t *list = json_array();
	size_t i;
	json_t *item;
	int r = EV_OK;
	json_array_foreach(items, i, item) {
		json_t *v;
		if (!ctx_step(k->c, k->offset, 1)) {
			r = EV_ERR;
			break;
		}
		if (attr) {
			json_t *found = get_path(k->c, k->offset, item, json_string_value(attr));
			if (found == NULL && dflt == NULL) {
				/* Jinja would carry an undefined item; printing or
				 * comparing it fails the same way, here at once. */
				r = ctx_undef_error(k->c);
				break;
			}
			v = json_incref(found ? found : dflt);
		} else {
			r = filter_call(k->c, k->offset, fname, item, k->args + 1, k->nargs - 1, k->kwnames,
					k->kwargs, k->nkw, &v);
			if (r == EV_UNDEF)
				r = ctx_undef_error(k->c);
			if (r != EV_OK)
				break;
		}
		json_array_append_new(list, v);
	}
	json_decref(items);
	if (r != EV_OK) {
		json_decref(list);
		return EV_ERR;
	}
	*out = list;
	return EV_OK;
}

static int
f_sort(struct call *k, json_t **out)
{
	bool reverse = k->p[0] && value_truthy(k->p[0]);
	bool case_sensitive = k->p[1] && value_truthy(k->p[1]);
	if (need_string_arg(k, k->p[2], "attribute") != EV_OK)
		return EV_ERR;
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	size_t n = json_array_size(items);
	/* Sort keys: the attribute, lower-cased strings unless case_sensitive. */
	json_t **keys = xcalloc(n ? n : 1, sizeof *keys);
	size_t *order = xcalloc(n ? n : 1, sizeof *order);
	int r = ctx_step(k->c, k->offset, n * 8) ? EV_OK : EV_ERR;
	for (size_t i = 0; r == EV_OK && i < n; i++) {
		json_t *v = json_array_get(items, i);
		order[i] = i;
		if (k->p[2]) {
			v = get_path(k->c, k->offset, v, json_string_value(k->p[2]));
			if (v == NULL) {
				r = ctx_undef_error(k->c);
				break;
			}
		}
		if (json_is_string(v) && !case_sensitive) {
			struct call kl = *k;
			kl.in = v;
			r = map_case(&kl, &keys[i], 1);
		} else {
			keys[i] = json_incref(v);
		}
	}
	/* Insertion sort: stable, as Python's sort; n is bounded by the steps. */
	for (size_t i = 1; r == EV_OK && i < n; i++) {
		size_t j = i;
		while (j > 0) {
			int cmp;
			if (!ctx_step(k->c, k->offset, 1)) {
				r = EV_ERR;
				break;
			}
			if (!value_order(keys[order[j - 1]], keys[order[j]], &cmp)) {
				r = ctx_fail(k->c, k->offset, "'<' not supported between instances of '%s' and '%s'",
					     value_type_name(keys[order[j]]), value_type_name(keys[order[j - 1]]));
				break;
			}
			if (reverse ? cmp >= 0 : cmp <= 0)
				break;
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
			j--;
		}
	}
	if (r == EV_OK) {
		*out = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append(*out, json_array_get(items, order[i]));
	}
	for (size_t i = 0; i < n; i++)
		json_decref(keys[i]);
	free(keys);
	free(order);
	json_decref(items);
	return r == EV_OK ? EV_OK : EV_ERR;
}

static int
f_items(struct call *k, json_t **out)
{
	if (!json_is_object(k->in))
		return ctx_fail(k->c, k->offset, "items needs a dict, not %s", value_type_name(k->in));
	if (!ctx_step(k->c, k->offset, json_object_size(k->in)))
		return EV_ERR;
	json_t *list = json_array();
	const char *key;
	json_t *v;
	json_object_foreach(k->in, key, v) json_array_append_new(list, json_pack("[sO]", key, v));
	*out = list;
	return EV_OK;
}

/* --- numbers -------------------------------------------------------------- */

/* Python's int() of a string: optional spaces and sign, digits in base
 * with single underscores between them. */
static bool
parse_int(const char *s, size_t n, int base, json_int_t *out)
{
	char buf[80];
	size_t o = 0, i = 0;
	while (i < n && cp_isspace((unsigned char)s[i]))
		i++;
	while (n > i && cp_isspace((unsigned char)s[n - 1]))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		buf[o++] = s[i++];
	if (base == 16 && i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		i += 2;
	if (i >= n)
		return false;
	for (; i < n; i++) {
		if (s[i] == '_' && i > 0 && s[i - 1] != '_' && i + 1 < n && s[i + 1] != '_')
			continue;
		if (o >= sizeof buf - 1)
			return false;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, base);
	if (errno != 0 || *end != '\0' || end == buf)
		return false;
	*out = v;
	return true;
}

static bool
parse_float(const char *s, size_t n, double *out)
{
	char buf[80];
	size_t i = 0;
	while (i < n && cp_isspace((unsigned char)s[i]))
		i++;
	while (n > i && cp_isspace((unsigned char)s[n - 1]))
		n--;
	if (i >= n || n - i >= sizeof buf)
		return false;
	memcpy(buf, s + i, n - i);
	buf[n - i] = '\0';
	/* strtod also reads hex and "infinity"; Python's float() reads no hex. */
	if (strchr(buf, 'x') || strchr(buf, 'X'))
		return false;
	char *end;
	*out = strtod(buf, &end);
	return *end == '\0';
}

/* int(default=0, base=10) */
static int
f_int(struct call *k, json_t **out)
{
	json_int_t base;
	if (!arg_int(k, k->p[1], 10, &base, "base"))
		return EV_ERR;
	if (base < 2 || base > 36)
		return ctx_fail(k->c, k->offset, "int: base must be between 2 and 36");
	json_t *v = k->in;
	json_int_t i;
	double d;
	bool ok = false;
	if (value_is_int(v)) {
		i = value_int(v);
		ok = true;
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		ok = true;
		goto from_float;
	} else if (json_is_string(v)) {
		if (parse_int(json_string_value(v), json_string_length(v), (int)base, &i))
			ok = true;
		else if (parse_float(json_string_value(v), json_string_length(v), &d)) {
			ok = true;
			goto from_float;
		}
	}
	if (!ok) {
		*out = k->p[0] ? json_incref(k->p[0]) : json_integer(0);
		return EV_OK;
	}
	*out = json_integer(i);
	return EV_OK;
from_float:
	if (!isfinite(d))
		return ctx_fail(k->c, k->offset, "cannot convert float infinity or NaN to integer");
	if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
		return ctx_fail(k->c, k->offset, "integer overflow");
	*out = json_integer((json_int_t)d);
	return EV_OK;
}

/* float(default=0.0) */
static int
f_float(struct call *k, json_t **out)
{
	json_t *v = k->in;
	double d;
	if (value_is_number(v))
		d = value_number(v);
	else if (!json_is_string(v) || !parse_float(json_string_value(v), json_string_length(v), &d)) {
		*out = k->p[0] ? json_incref(k->p[0]) : json_real(0.0);
		return EV_OK;
	}
	if (!isfinite(d))
		return ctx_fail(k->c, k->offset, "float result out of range");
	*out = json_real(d);
	return EV_OK;
}

static int
f_string(struct call *k, json_t **out)
{
	size_t n;
	char *s = input_text(k, &n);
	if (s == NULL)
		return EV_ERR;
	*out = str_value(s, n);
	free(s);
	return EV_OK;
}

static int
f_abs(struct call *k, json_t **out)
{
	if (value_is_int(k->in)) {
		json_int_t v = value_int(k->in);
		if (v == INT64_MIN)
			return ctx_fail(k->c, k->offset, "integer overflow");
		*out = json_integer(v < 0 ? -v : v);
	} else if (json_is_real(k->in)) {
		*out = json_real(fabs(json_real_value(k->in)));
	} else {
		return ctx_fail(k->c, k->offset, "bad operand type for abs(): '%s'", value_type_name(k->in));
	}
	return EV_OK;
}

/* round(precision=0, method='common'): Python's round (half to even on the
 * exact binary value), ceil or floor; always a float, as Jinja. */
static int
f_round(struct call *k, json_t **out)
{
	json_int_t precision;
	if (!arg_int(k, k->p[0], 0, &precision, "precision") ||
	    need_string_arg(k, k->p[1], "method") != EV_OK)
		return EV_ERR;
	const char *method = k->p[1] ? json_string_value(k->p[1]) : "common";
	if (!value_is_number(k->in))
		return ctx_fail(k->c, k->offset, "round needs a number, not %s", value_type_name(k->in));
	if (precision > 30)
		precision = 30;
	if (precision < -30)
		precision = -30;
	double v = value_number(k->in), scale = pow(10.0, (double)precision), r;
	if (strcmp(method, "common") == 0) {
		if (value_is_int(k->in) && precision >= 0) {
			*out = json_integer(value_int(k->in));
			return EV_OK;
		}
		if (precision >= 0) {
			char buf[400];
			snprintf(buf, sizeof buf, "%.*f", (int)precision, v);
			r = strtod(buf, NULL);
		} else {
			r = nearbyint(v * scale) / scale;
		}
	} else if (strcmp(method, "ceil") == 0) {
		r = ceil(v * scale) / scale;
	} else if (strcmp(method, "floor") == 0) {
		r = floor(v * scale) / scale;
	} else {
		return ctx_fail(k->c, k->offset, "method must be common, ceil or floor");
	}
	if (!isfinite(r))
		return ctx_fail(k->c, k->offset, "float result out of range");
	*out = json_real(r);
	return EV_OK;
}

/* sum(attribute=None, start=0) */
static int
f_sum(struct call *k, json_t **out)
{
	if (need_string_arg(k, k->p[0], "attribute") != EV_OK)
		return EV_ERR;
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	json_t *total = k->p[1] ? json_incref(k->p[1]) : json_integer(0);
	size_t i;
	json_t *item;
	int r = EV_OK;
	json_array_foreach(items, i, item) {
		if (!ctx_step(k->c, k->offset, 1)) {
			r = EV_ERR;
			break;
		}
		json_t *v = k->p[0] ? get_path(k->c, k->offset, item, json_string_value(k->p[0])) : item;
		if (v == NULL) {
			r = ctx_undef_error(k->c);
			break;
		}
		if (!value_is_number(v) || !value_is_number(total)) {
			r = ctx_fail(k->c, k->offset, "unsupported operand type(s) for +: '%s' and '%s'",
				     value_type_name(total), value_type_name(v));
			break;
		}
		json_t *next;
		json_int_t s;
		if (value_is_int(total) && value_is_int(v)) {
			if (__builtin_add_overflow(value_int(total), value_int(v), &s)) {
				r = ctx_fail(k->c, k->offset, "integer overflow");
				break;
			}
			next = json_integer(s);
		} else {
			double d = value_number(total) + value_number(v);
			if (!isfinite(d)) {
				r = ctx_fail(k->c, k->offset, "float result out of range");
				break;
			}
			next = json_real(d);
		}
		json_decref(total);
		total = next;
	}
	json_decref(items);
	if (r != EV_OK) {
		json_decref(total);
		return EV_ERR;
	}
	*out = total;
	return EV_OK;
}

static int
min_or_max(struct call *k, json_t **out, bool max)
{
	json_t *items;
	if (iterate(k->c, k->offset, k->in, &items) != EV_OK)
		return EV_ERR;
	json_t *best = NULL;
	size_t i;
	json_t *item;
	int r = EV_OK;
	json_array_foreach(items, i, item) {
		int cmp;
		if (!ctx_step(k->c, k->offset, 1)) {
			r = EV_ERR;
			break;
		}
		if (best == NULL) {
			best = item;
			continue;
		}
		if (!value_order(item, best, &cmp)) {
			r = ctx_fail(k->c, k->offset, "'<' not supported between instances of '%s' and '%s'",
				     value_type_name(item), value_type_name(best));
			break;
		}
		if (max ? cmp > 0 : cmp < 0)
			best = item;
	}
	if (r == EV_OK && best == NULL)
		r = ctx_undef(k->c, k->offset, "No aggregated item, sequence was empty.");
	else if (r == EV_OK)
		*out = json_incref(best);
	json_decref(items);
	return r;
}

static int f_min(struct call *k, json_t **out) { return min_or_max(k, out, false); }
static int f_max(struct call *k, json_t **out) { return min_or_max(k, out, true); }

static const struct filter filters[] = {
	{"upper", f_upper, {NULL}, false},
	{"lower", f_lower, {NULL}, false},
	{"title", f_title, {NULL}, false},
	{"capitalize", f_capitalize, {NULL}, false},
	{"length", f_length, {NULL}, false},
	{"count", f_length, {NULL}, false},
	{"truncate", f_truncate, {"length", "killwords", "end", "leeway", NULL}, false},
	{"default", f_default, {"default_value", "boolean", NULL}, false},
	{"d", f_default, {"default_value", "boolean", NULL}, false},
	{"tojson", f_tojson, {"indent", NULL}, false},
	{"join", f_join, {"d", "attribute", NULL}, false},
	{"replace", f_replace, {"old", "new", "count", NULL}, false},
	{"trim", f_trim, {"chars", NULL}, false},
	{"first", f_first, {NULL}, false},
	{"last", f_last, {NULL}, false},
	{"list", f_list, {NULL}, false},
	{"reverse", f_reverse, {NULL}, false},
	{"select", f_select, {"*"}, false},
	{"reject", f_reject, {"*"}, false},
	{"selectattr", f_selectattr, {"*"}, false},
	{"rejectattr", f_rejectattr, {"*"}, false},
	{"map", f_map, {"*"}, false},
	{"sort", f_sort, {"reverse", "case_sensitive", "attribute", NULL}, false},
	{"items", f_items, {NULL}, false},
	{"int", f_int, {"default", "base", NULL}, false},
	{"float", f_float, {"default", NULL}, false},
	{"string", f_string, {NULL}, false},
	{"abs", f_abs, {NULL}, false},
	{"round", f_round, {"precision", "method", NULL}, false},
	{"sum", f_sum, {"attribute", "start", NULL}, false},
	{"min", f_min, {NULL}, false},
	{"max", f_max, {NULL}, false},
	{"startswith", f_startswith, {"prefix", NULL}, true},
	{"endswith", f_endswith, {"suffix", NULL}, true},
	{"split", f_split, {"sep", "maxsplit", NULL}, true},
};

static const struct filter *
find_filter(const char *name)
{
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (strcmp(filters[i].name, name) == 0)
			return &filters[i];
	return NULL;
}

bool
filter_known(const char *name)
{
	const struct filter *f = find_filter(name);
	return f && !f->method_only;
}

/* Binds positional and keyword arguments to the parameter names. */
static int
bind(struct call *k, const char *const *params)
{
	memset(k->p, 0, sizeof k->p);
	if (params[0] && strcmp(params[0], "*") == 0)
		return EV_OK;
	size_t np = 0;
	while (params[np])
		np++;
	if (k->nargs > np)
		return ctx_fail(k->c, k->offset, "%s takes at most %zu argument%s (%zu given)", k->name, np,
				np == 1 ? "" : "s", k->nargs);
	for (size_t i = 0; i < k->nargs; i++)
		k->p[i] = k->args[i];
	for (size_t i = 0; i < k->nkw; i++) {
		size_t j = 0;
		while (j < np && strcmp(params[j], k->kwnames[i]) != 0)
			j++;
		if (j == np)
			return ctx_fail(k->c, k->offset, "%s got an unexpected keyword argument '%.60s'",
					k->name, k->kwnames[i]);
		if (k->p[j])
			return ctx_fail(k->c, k->offset, "%s got multiple values for '%.60s'", k->name,
					k->kwnames[i]);
		k->p[j] = k->kwargs[i];
	}
	return EV_OK;
}

int
filter_call(struct expr_ctx *c, size_t offset, const char *name, json_t *in, json_t **args,
	    size_t nargs, char **kwnames, json_t **kwargs, size_t nkw, json_t **out)
{
	const struct filter *f = find_filter(name);
	if (f == NULL)
		return ctx_fail(c, offset, "no filter named '%.60s'", name);
	bool takes_undefined = f->fn == f_default;
	if (in == NULL && !takes_undefined)
		return ctx_undef_error(c);
	if (!ctx_step(c, offset, 1))
		return EV_ERR;
	struct call k = {.c = c,
			 .offset = offset,
			 .name = name,
			 .in = in,
			 .args = args,
			 .nargs = nargs,
			 .kwnames = kwnames,
			 .kwargs = kwargs,
			 .nkw = nkw};
	if (bind(&k, f->params) != EV_OK)
		return EV_ERR;
	return f->fn(&k, out);
}

int
filter_apply(struct expr_ctx *c, const struct node *n, json_t *in, json_t **args, json_t **kwargs,
	     json_t **out)
{
	return filter_call(c, n->offset, n->name, in, args, n->nkids, n->kwnames, kwargs, n->nkw, out);
}

/* --- tests ------------------------------------------------------------------ */

static const char *const test_names[] = {
	"defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number",
	"string", "mapping", "sequence", "iterable", "even", "odd", "divisibleby", "eq", "equalto",
	"==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
	"in", "lower", "upper", "sameas", "truthy", "falsy", NULL,
};

bool
test_known(const char *name)
{
	for (size_t i = 0; test_names[i]; i++)
		if (strcmp(test_names[i], name) == 0)
			return true;
	return false;
}

static bool
is(const char *name, const char *a, const char *b, const char *c)
{
	return strcmp(name, a) == 0 || (b && strcmp(name, b) == 0) || (c && strcmp(name, c) == 0);
}

static bool
text_is_case(const json_t *v, bool upper)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), i = 0, len;
	bool cased = false;
	while (i < n) {
		unsigned long cp = utf8_next(s + i, n - i, &len);
		if (cp_upper(cp) != cp || cp_lower(cp) != cp) {
			cased = true;
			if ((upper ? cp_upper(cp) : cp_lower(cp)) != cp)
				return false;
		}
		i += len;
	}
	return cased;
}

int
test_by_name(struct expr_ctx *c, size_t offset, const char *name, json_t *in, json_t **args,
	     size_t nargs, bool *result)
{
	if (is(name, "defined", NULL, NULL)) {
		*result = in != NULL;
		return EV_OK;
	}
	if (is(name, "undefined", NULL, NULL)) {
		*result = in == NULL;
		return EV_OK;
	}
	if (in == NULL) {
		/* Jinja's type tests look at an undefined value without using it,
		 * and say no; the others use it, which strict undefined refuses. */
		static const char *const type_tests[] = {"none", "boolean", "true", "false", "integer",
							 "float", "number", "string", "mapping",
							 "sequence", "sameas", NULL};
		for (size_t i = 0; type_tests[i]; i++)
			if (strcmp(name, type_tests[i]) == 0) {
				*result = false;
				return EV_OK;
			}
		return ctx_undef_error(c);
	}
	if (!ctx_step(c, offset, 1))
		return EV_ERR;
	json_t *arg = nargs > 0 ? args[0] : NULL;
	bool needs_arg = is(name, "divisibleby", "in", "sameas") || is(name, "eq", "equalto", "==") ||
			 is(name, "ne", "!=", NULL) || is(name, "lt", "lessthan", "<") ||
			 is(name, "le", "<=", NULL) || is(name, "gt", "greaterthan", ">") ||
			 is(name, "ge", ">=", NULL);
	if (needs_arg && arg == NULL)
		return ctx_fail(c, offset, "test '%.60s' needs an argument", name);
	int cmp;
	if (is(name, "none", NULL, NULL))
		*result = json_is_null(in);
	else if (is(name, "boolean", NULL, NULL))
		*result = json_is_boolean(in);
	else if (is(name, "true", NULL, NULL))
		*result = json_is_true(in);
	else if (is(name, "false", NULL, NULL))
		*result = json_is_false(in);
	else if (is(name, "integer", NULL, NULL))
		*result = json_is_integer(in);
	else if (is(name, "float", NULL, NULL))
		*result = json_is_real(in);
	else if (is(name, "number", NULL, NULL))
		*result = value_is_number(in);
	else if (is(name, "string", NULL, NULL))
		*result = json_is_string(in);
	else if (is(name, "mapping", NULL, NULL))
		*result = json_is_object(in);
	else if (is(name, "sequence", "iterable", NULL))
		*result = json_is_string(in) || json_is_array(in) || json_is_object(in);
	else if (is(name, "truthy", NULL, NULL))
		*result = value_truthy(in);
	else if (is(name, "falsy", NULL, NULL))
		*result = !value_truthy(in);
	else if (is(name, "even", "odd", NULL)) {
		/* value % 2 == 0, as Python computes it for ints and floats */
		if (value_is_int(in))
			*result = (value_int(in) % 2 == 0) == (name[0] == 'e');
		else if (json_is_real(in))
			*result = (fmod(json_real_value(in), 2.0) == 0.0) == (name[0] == 'e');
		else
			return ctx_fail(c, offset, "test '%s' needs a number, not %s", name, value_type_name(in));
	} else if (is(name, "divisibleby", NULL, NULL)) {
		if (!value_is_number(in) || !value_is_number(arg))
			return ctx_fail(c, offset, "divisibleby needs numbers");
		if (value_number(arg) == 0.0)
			return ctx_fail(c, offset, "modulo by zero");
		if (value_is_int(in) && value_is_int(arg))
			*result = value_int(arg) == -1 || value_int(in) % value_int(arg) == 0;
		else
			*result = fmod(value_number(in), value_number(arg)) == 0.0;
	} else if (is(name, "eq", "equalto", "=="))
		*result = value_equal(in, arg);
	else if (is(name, "ne", "!=", NULL))
		*result = !value_equal(in, arg);
	else if (is(name, "sameas", NULL, NULL))
		*result = (json_is_null(in) && json_is_null(arg)) ||
			  (json_is_boolean(in) && json_is_boolean(arg) && json_typeof(in) == json_typeof(arg)) ||
			  in == arg;
	else if (is(name, "lower", NULL, NULL))
		*result = text_is_case(in, false);
	else if (is(name, "upper", NULL, NULL))
		*result = text_is_case(in, true);
	else if (is(name, "in", NULL, NULL)) {
		if (json_is_string(arg)) {
			if (!json_is_string(in))
				return ctx_fail(c, offset, "'in <string>' requires string as left operand, not %s",
						value_type_name(in));
			*result = json_string_length(in) == 0 ||
				  memmem(json_string_value(arg), json_string_length(arg), json_string_value(in),
					 json_string_length(in)) != NULL;
		} else if (json_is_array(arg)) {
			size_t i;
			json_t *v;
			*result = false;
			json_array_foreach(arg, i, v) if (value_equal(in, v)) {
				*result = true;
				break;
			}
		} else if (json_is_object(arg)) {
			*result = json_is_string(in) &&
				  json_object_getn(arg, json_string_value(in), json_string_length(in)) != NULL;
		} else {
			return ctx_fail(c, offset, "argument of type '%s' is not iterable", value_type_name(arg));
		}
	} else {
		/* the orderings */
		if (!value_order(in, arg, &cmp))
			return ctx_fail(c, offset, "'<' not supported between instances of '%s' and '%s'",
					value_type_name(in), value_type_name(arg));
		if (is(name, "lt", "lessthan", "<"))
			*result = cmp < 0;
		else if (is(name, "le", "<=", NULL))
			*result = cmp <= 0;
		else if (is(name, "gt", "greaterthan", ">"))
			*result = cmp > 0;
		else
			*result = cmp >= 0;
	}
	return EV_OK;
}

int
test_apply(struct expr_ctx *c, const struct node *n, json_t *in, json_t **args, json_t **kwargs,
	   bool *result)
{
	if (n->nkw > 0)
		return ctx_fail(c, n->offset, "test '%.60s' takes no keyword arguments", n->name);
	return test_by_name(c, n->offset, n->name, in, args, n->nkids, result);
}
