/* eval.c: expressions to values, with Python's semantics and Jinja's
 * strict undefined. */
#include "expr/eval.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/filters.h"
#include "expr/pystr.h"
#include "expr/strbuf.h"
#include "expr/value.h"
#include "util/pymath.h"
#include "util/xalloc.h"

/* No value the language builds is deeper than this: parsed JSON is at most
 * 2048 deep (jansson's limit), and freeing, printing and comparing values
 * recurse on their depth. */
#define EXPR_MAX_VALUE_DEPTH 4000

int
ctx_fail(struct expr_ctx *c, size_t offset, const char *fmt, ...)
{
	if (!c->failed) {
		c->failed = true;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
		va_end(ap);
		c->err->offset = offset;
	}
	return EV_ERR;
}

int
ctx_undef(struct expr_ctx *c, size_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->undef_msg, sizeof c->undef_msg, fmt, ap);
	va_end(ap);
	c->undef_offset = offset;
	return EV_UNDEF;
}

int
ctx_undef_error(struct expr_ctx *c)
{
	return ctx_fail(c, c->undef_offset, "%s", c->undef_msg);
}

bool
ctx_step(struct expr_ctx *c, size_t offset, unsigned long n)
{
	if (c->failed)
		return false;
	if (n > c->lim->max_steps || c->steps > c->lim->max_steps - n) {
		ctx_fail(c, offset, "template exceeds %lu evaluation steps", c->lim->max_steps);
		return false;
	}
	c->steps += n;
	return true;
}

bool
ctx_fits(struct expr_ctx *c, size_t offset, size_t n)
{
	if (n > c->lim->max_output) {
		ctx_fail(c, offset, "template output exceeds %zu bytes", c->lim->max_output);
		return false;
	}
	return true;
}

bool
ctx_made(struct expr_ctx *c, size_t offset, size_t n)
{
	return ctx_fits(c, offset, n) && ctx_step(c, offset, n / 64);
}

json_t *
ctx_lookup(const struct expr_ctx *c, const char *name)
{
	for (const struct scope *s = c->scope; s; s = s->parent) {
		json_t *v = json_object_get(s->vars, name);
		if (v)
			return v;
	}
	return c->globals ? json_object_get(c->globals, name) : NULL;
}

json_t *
value_getattr(const json_t *obj, const char *name)
{
	if (json_is_object(obj))
		return json_object_get(obj, name);
	return NULL;
}

void
describe_missing_attr(char *buf, size_t size, const json_t *obj, const char *name)
{
	if (obj == NULL || json_is_null(obj))
		snprintf(buf, size, "'None' has no attribute '%.60s'", name);
	else
		snprintf(buf, size, "'%s object' has no attribute '%.60s'", value_type_name(obj), name);
}

int
eval_defined(struct expr_ctx *c, const struct node *n, json_t **out)
{
	int r = eval(c, n, out);
	if (r == EV_UNDEF)
		return ctx_undef_error(c);
	return r;
}

/* A float result; JSON has no infinity or NaN, so those are errors. */
static int
make_float(struct expr_ctx *c, size_t offset, double d, json_t **out)
{
	if (!isfinite(d))
		return ctx_fail(c, offset, "float result out of range");
	*out = json_real(d);
	return EV_OK;
}

static int
type_error(struct expr_ctx *c, size_t offset, const char *op, const json_t *x, const json_t *y)
{
	return ctx_fail(c, offset, "unsupported operand type(s) for %s: '%s' and '%s'", op,
			value_type_name(x), value_type_name(y));
}

static int
repeat(struct expr_ctx *c, size_t offset, const json_t *seq, json_int_t times, json_t **out)
{
	size_t seqlen = json_is_string(seq) ? json_string_length(seq) : json_array_size(seq);
	if (times < 0 || seqlen == 0)
		times = 0;
	if (json_is_string(seq)) {
		size_t len = json_string_length(seq);
		if (len != 0 && (size_t)times > c->lim->max_output / len + 1) {
			ctx_fits(c, offset, SIZE_MAX);
			return EV_ERR;
		}
		size_t total = len * (size_t)times;
		if (!ctx_made(c, offset, total))
			return EV_ERR;
		char *buf = xmalloc(total + 1);
		for (json_int_t i = 0; i < times; i++)
			memcpy(buf + (size_t)i * len, json_string_value(seq), len);
		*out = str_value(buf, total);
		free(buf);
		return EV_OK;
	}
	size_t len = json_array_size(seq);
	if (len != 0 && (unsigned long)times > c->lim->max_steps / len + 1) {
		ctx_step(c, offset, c->lim->max_steps + 1);
		return EV_ERR;
	}
	if (!ctx_step(c, offset, len * (size_t)times))
		return EV_ERR;
	json_t *list = json_array();
	for (json_int_t i = 0; i < times; i++)
		json_array_extend(list, (json_t *)seq);
	*out = list;
	return EV_OK;
}

static int
int_pow(struct expr_ctx *c, size_t offset, json_int_t base, json_int_t exp, json_t **out)
{
	json_int_t result = 1;
	while (exp > 0) {
		if (exp & 1) {
			if (__builtin_mul_overflow(result, base, &result))
				return ctx_fail(c, offset, "integer overflow");
		}
		exp >>= 1;
		if (exp > 0 && __builtin_mul_overflow(base, base, &base))
			return ctx_fail(c, offset, "integer overflow");
	}
	*out = json_integer(result);
	return EV_OK;
}

static int
arith(struct expr_ctx *c, size_t offset, enum tok_op op, json_t *x, json_t *y, json_t **out)
{
	if (op == OP_TILDE) {
		struct strbuf b;
		strbuf_init(&b, c->lim->max_output);
		if (!py_str_append(&b, x) || !py_str_append(&b, y)) {
			strbuf_free(&b);
			ctx_fits(c, offset, SIZE_MAX);
			return EV_ERR;
		}
		if (!ctx_made(c, offset, b.len)) {
			strbuf_free(&b);
			return EV_ERR;
		}
		*out = str_value(b.data ? b.data : "", b.len);
		strbuf_free(&b);
		return EV_OK;
	}
	bool nums = value_is_number(x) && value_is_number(y);
	bool ints = nums && value_is_int(x) && value_is_int(y);
	json_int_t a = ints ? value_int(x) : 0, b = ints ? value_int(y) : 0, r;
	double fa = nums ? value_number(x) : 0, fb = nums ? value_number(y) : 0;
	switch (op) {
	case OP_ADD:
		if (ints) {
			if (__builtin_add_overflow(a, b, &r))
				return ctx_fail(c, offset, "integer overflow");
			*out = json_integer(r);
			return EV_OK;
		}
		if (nums)
			return make_float(c, offset, fa + fb, out);
		if (json_is_string(x) && json_is_string(y)) {
			size_t la = json_string_length(x), lb = json_string_length(y);
			if (!ctx_made(c, offset, la + lb))
				return EV_ERR;
			char *buf = xmalloc(la + lb + 1);
			memcpy(buf, json_string_value(x), la);
			memcpy(buf + la, json_string_value(y), lb);
			*out = str_value(buf, la + lb);
			free(buf);
			return EV_OK;
		}
		if (json_is_array(x) && json_is_array(y)) {
			if (!ctx_step(c, offset, json_array_size(x) + json_array_size(y)))
				return EV_ERR;
			json_t *list = json_array();
			json_array_extend(list, x);
			json_array_extend(list, y);
			*out = list;
			return EV_OK;
		}
		return type_error(c, offset, "+", x, y);
	case OP_SUB:
		if (ints) {
			if (__builtin_sub_overflow(a, b, &r))
				return ctx_fail(c, offset, "integer overflow");
			*out = json_integer(r);
			return EV_OK;
		}
		if (nums)
			return make_float(c, offset, fa - fb, out);
		return type_error(c, offset, "-", x, y);
	case OP_MUL:
		if (ints) {
			if (__builtin_mul_overflow(a, b, &r))
				return ctx_fail(c, offset, "integer overflow");
			*out = json_integer(r);
			return EV_OK;
		}
		if (nums)
			return make_float(c, offset, fa * fb, out);
		if ((json_is_string(x) || json_is_array(x)) && value_is_int(y))
			return repeat(c, offset, x, value_int(y), out);
		if ((json_is_string(y) || json_is_array(y)) && value_is_int(x))
			return repeat(c, offset, y, value_int(x), out);
		return type_error(c, offset, "*", x, y);
	case OP_DIV:
		if (!nums)
			return type_error(c, offset, "/", x, y);
		if (fb == 0.0)
			return ctx_fail(c, offset, "division by zero");
		return make_float(c, offset, fa / fb, out);
	case OP_FLOORDIV:
	case OP_MOD:
		if (!nums)
			return type_error(c, offset, op == OP_MOD ? "%" : "//", x, y);
		if (ints) {
			if (b == 0)
				return ctx_fail(c, offset, op == OP_MOD ? "integer modulo by zero"
									  : "integer division by zero");
			if (a == INT64_MIN && b == -1) {
				if (op == OP_MOD) {
					*out = json_integer(0);
					return EV_OK;
				}
				return ctx_fail(c, offset, "integer overflow");
			}
			json_int_t q = a / b, m = a % b;
			if (m != 0 && ((m < 0) != (b < 0))) {
				q -= 1;
				m += b;
			}
			*out = json_integer(op == OP_MOD ? m : q);
			return EV_OK;
		}
		if (fb == 0.0)
			return ctx_fail(c, offset, "float division by zero");
		double fd, fm;
		py_float_divmod(fa, fb, &fd, &fm);
		return make_float(c, offset, op == OP_MOD ? fm : fd, out);
	case OP_POW:
		if (!nums)
			return type_error(c, offset, "**", x, y);
		if (ints && b >= 0)
			return int_pow(c, offset, a, b, out);
		if (fa == 0.0 && fb < 0)
			return ctx_fail(c, offset, "0.0 cannot be raised to a negative power");
		if (fa < 0 && fb != floor(fb))
			return ctx_fail(c, offset, "a negative number cannot be raised to a fractional power");
		return make_float(c, offset, pow(fa, fb), out);
	default:
		return ctx_fail(c, offset, "unknown operator");
	}
}

/* value in container, as Python's "in". */
static int
contains(struct expr_ctx *c, size_t offset, json_t *item, json_t *container, bool *result)
{
	if (json_is_string(container)) {
		if (!json_is_string(item))
			return ctx_fail(c, offset, "'in <string>' requires string as left operand, not %s",
					value_type_name(item));
		size_t hl = json_string_length(container), nl = json_string_length(item);
		const char *h = json_string_value(container), *nd = json_string_value(item);
		*result = false;
		if (nl == 0) {
			*result = true;
			return EV_OK;
		}
		if (!ctx_step(c, offset, hl / 64))
			return EV_ERR;
		for (size_t i = 0; i + nl <= hl; i++)
			if (h[i] == nd[0] && memcmp(h + i, nd, nl) == 0) {
				*result = true;
				break;
			}
		return EV_OK;
	}
	if (json_is_array(container)) {
		size_t i;
		json_t *v;
		if (!ctx_step(c, offset, json_array_size(container)))
			return EV_ERR;
		*result = false;
		json_array_foreach(container, i, v) {
			if (value_equal(item, v)) {
				*result = true;
				break;
			}
		}
		return EV_OK;
	}
	if (json_is_object(container)) {
		if (json_is_array(item) || json_is_object(item))
			return ctx_fail(c, offset, "unhashable type: '%s'", value_type_name(item));
		*result = json_is_string(item) && json_object_getn(container, json_string_value(item),
								     json_string_length(item)) != NULL;
		return EV_OK;
	}
	return ctx_fail(c, offset, "argument of type '%s' is not iterable", value_type_name(container));
}

static int
compare_one(struct expr_ctx *c, size_t offset, enum tok_op op, json_t *x, json_t *y, bool *result)
{
	int cmp;
	switch (op) {
	case OP_EQ:
		*result = value_equal(x, y);
		return EV_OK;
	case OP_NE:
		*result = !value_equal(x, y);
		return EV_OK;
	case OP_IN:
		return contains(c, offset, x, y, result);
	case OP_NOT_IN:
		if (contains(c, offset, x, y, result) != EV_OK)
			return EV_ERR;
		*result = !*result;
		return EV_OK;
	default:
		break;
	}
	static const char *const names[] = {[OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">="};
	if (!value_order(x, y, &cmp))
		return ctx_fail(c, offset, "'%s' not supported between instances of '%s' and '%s'",
				names[op], value_type_name(x), value_type_name(y));
	*result = op == OP_LT ? cmp < 0 : op == OP_LE ? cmp <= 0 : op == OP_GT ? cmp > 0 : cmp >= 0;
	return EV_OK;
}

static int
eval_compare(struct expr_ctx *c, const struct node *n, json_t **out)
{
	json_t *left;
	if (eval_defined(c, n->kids[0], &left) != EV_OK)
		return EV_ERR;
	bool result = true;
	for (size_t i = 1; i < n->nkids && result; i++) {
		json_t *right;
		if (eval_defined(c, n->kids[i], &right) != EV_OK) {
			json_decref(left);
			return EV_ERR;
		}
		int r = compare_one(c, n->kids[i]->offset, n->ops[i - 1], left, right, &result);
		json_decref(left);
		left = right;
		if (r != EV_OK) {
			json_decref(left);
			return EV_ERR;
		}
	}
	json_decref(left);
	*out = json_boolean(result);
	return EV_OK;
}

/* Python's index normalisation: -1 is the last; false when out of range. */
static bool
normalise_index(json_int_t i, size_t len, size_t *out)
{
	if (i < 0)
		i += (json_int_t)len;
	if (i < 0 || (size_t)i >= len)
		return false;
	*out = (size_t)i;
	return true;
}

static int
eval_item(struct expr_ctx *c, const struct node *n, json_t **out)
{
	json_t *obj, *key;
	if (eval_defined(c, n->a, &obj) != EV_OK)
		return EV_ERR;
	if (eval_defined(c, n->b, &key) != EV_OK) {
		json_decref(obj);
		return EV_ERR;
	}
	int r = EV_OK;
	json_t *found = NULL;
	size_t idx;
	if (json_is_object(obj) && json_is_string(key)) {
		found = json_object_getn(obj, json_string_value(key), json_string_length(key));
		if (found)
			*out = json_incref(found);
		else
			r = ctx_undef(c, n->offset, "'dict object' has no attribute '%.60s'",
				      json_string_value(key));
	} else if (json_is_array(obj) && value_is_int(key)) {
		if (normalise_index(value_int(key), json_array_size(obj), &idx))
			*out = json_incref(json_array_get(obj, idx));
		else
			r = ctx_undef(c, n->offset, "'list object' has no element %" JSON_INTEGER_FORMAT,
				      value_int(key));
	} else if (json_is_string(obj) && value_is_int(key)) {
		const char *s = json_string_value(obj);
		size_t len = json_string_length(obj);
		if (!ctx_step(c, n->offset, len / 64))
			r = EV_ERR;
		else if (normalise_index(value_int(key), utf8_count(s, len), &idx)) {
			size_t from = utf8_offset(s, len, idx), clen;
			utf8_next(s + from, len - from, &clen);
			*out = str_value(s + from, clen);
		} else {
			r = ctx_undef(c, n->offset, "'str object' has no element %" JSON_INTEGER_FORMAT,
				      value_int(key));
		}
	} else {
		char *k = py_repr(key);
		r = ctx_undef(c, n->offset, "'%s object' has no element %.60s", value_type_name(obj), k);
		free(k);
	}
	json_decref(obj);
	json_decref(key);
	return r;
}

static int
slice_bound(struct expr_ctx *c, const struct node *n, json_int_t *out, bool *given)
{
	*given = false;
	if (n == NULL)
		return EV_OK;
	json_t *v;
	if (eval_defined(c, n, &v) != EV_OK)
		return EV_ERR;
	if (json_is_null(v)) {
		json_decref(v);
		return EV_OK;
	}
	if (!value_is_int(v)) {
		json_decref(v);
		return ctx_fail(c, n->offset, "slice indices must be integers or None");
	}
	*out = value_int(v);
	*given = true;
	json_decref(v);
	return EV_OK;
}

static int
eval_slice(struct expr_ctx *c, const struct node *n, json_t **out)
{
	json_t *obj;
	json_int_t start = 0, stop = 0, step = 1;
	bool has_start, has_stop, has_step;
	if (eval_defined(c, n->a, &obj) != EV_OK)
		return EV_ERR;
	if (slice_bound(c, n->kids[0], &start, &has_start) != EV_OK ||
	    slice_bound(c, n->kids[1], &stop, &has_stop) != EV_OK ||
	    slice_bound(c, n->kids[2], &step, &has_step) != EV_OK) {
		json_decref(obj);
		return EV_ERR;
	}
	if (!has_step)
		step = 1;
	if (step == 0) {
		json_decref(obj);
		return ctx_fail(c, n->offset, "slice step cannot be zero");
	}
	bool is_str = json_is_string(obj);
	if (!is_str && !json_is_array(obj)) {
		int r = ctx_fail(c, n->offset, "'%s' object is not subscriptable", value_type_name(obj));
		json_decref(obj);
		return r;
	}
	const char *s = is_str ? json_string_value(obj) : NULL;
	size_t slen = is_str ? json_string_length(obj) : 0;
	json_int_t len = (json_int_t)(is_str ? utf8_count(s, slen) : json_array_size(obj));
	/* Python's PySlice_AdjustIndices. */
	if (!has_start)
		start = step < 0 ? len - 1 : 0;
	else if (start < 0)
		start = start + len < 0 ? (step < 0 ? -1 : 0) : start + len;
	else if (start >= len)
		start = step < 0 ? len - 1 : len;
	if (!has_stop)
		stop = step < 0 ? -1 : len;
	else if (stop < 0)
		stop = stop + len < 0 ? (step < 0 ? -1 : 0) : stop + len;
	else if (stop >= len)
		stop = step < 0 ? len - 1 : len;
	if (!ctx_step(c, n->offset, (unsigned long)len)) {
		json_decref(obj);
		return EV_ERR;
	}
	size_t *offs = NULL;
	if (is_str) {
		offs = xmalloc(((size_t)len + 1) * sizeof *offs);
		size_t pos = 0, cl;
		for (json_int_t i = 0; i < len; i++) {
			offs[i] = pos;
			utf8_next(s + pos, slen - pos, &cl);
			pos += cl;
		}
		offs[len] = slen;
	}
	struct strbuf b;
	strbuf_init(&b, 0);
	json_t *list = is_str ? NULL : json_array();
	for (json_int_t i = start; step > 0 ? i < stop : i > stop; i += step) {
		if (is_str)
			strbuf_append(&b, s + offs[i], offs[i + 1] - offs[i]);
		else
			json_array_append(list, json_array_get(obj, (size_t)i));
		if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step))
			break;
	}
	free(offs);
	if (is_str) {
		*out = str_value(b.data ? b.data : "", b.len);
		strbuf_free(&b);
	} else {
		*out = list;
	}
	json_decref(obj);
	return EV_OK;
}

/* A list or dict literal: refused past the value depth limit. */
static int
check_depth(struct expr_ctx *c, const struct node *n, json_t *v)
{
	unsigned long visits = 0;
	size_t d = value_depth(v, EXPR_MAX_VALUE_DEPTH + 1, &visits);
	if (!ctx_step(c, n->offset, visits))
		return EV_ERR;
	if (d > EXPR_MAX_VALUE_DEPTH)
		return ctx_fail(c, n->offset, "value nesting exceeds %d levels", EXPR_MAX_VALUE_DEPTH);
	return EV_OK;
}

static int
eval_list(struct expr_ctx *c, const struct node *n, json_t **out)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n->nkids; i++) {
		json_t *v;
		if (eval_defined(c, n->kids[i], &v) != EV_OK) {
			json_decref(list);
			return EV_ERR;
		}
		json_array_append_new(list, v);
	}
	if (check_depth(c, n, list) != EV_OK) {
		json_decref(list);
		return EV_ERR;
	}
	*out = list;
	return EV_OK;
}

static int
eval_dict(struct expr_ctx *c, const struct node *n, json_t **out)
{
	json_t *dict = json_object();
	for (size_t i = 0; i + 1 < n->nkids; i += 2) {
		json_t *k, *v;
		if (eval_defined(c, n->kids[i], &k) != EV_OK) {
			json_decref(dict);
			return EV_ERR;
		}
		if (!json_is_string(k)) {
			/* JSON objects have string keys only. */
			json_decref(k);
			json_decref(dict);
			return ctx_fail(c, n->kids[i]->offset, "dict keys must be strings here");
		}
		if (eval_defined(c, n->kids[i + 1], &v) != EV_OK) {
			json_decref(k);
			json_decref(dict);
			return EV_ERR;
		}
		json_object_setn_new_nocheck(dict, json_string_value(k), json_string_length(k), v);
		json_decref(k);
	}
	if (check_depth(c, n, dict) != EV_OK) {
		json_decref(dict);
		return EV_ERR;
	}
	*out = dict;
	return EV_OK;
}

/* Evaluates n's positional and keyword arguments into args and kwargs
 * (each n->nkids / n->nkw long, new references; NULL arrays when none). */
static int
eval_args(struct expr_ctx *c, const struct node *n, json_t ***args, json_t ***kwargs)
{
	*args = n->nkids ? xcalloc(n->nkids, sizeof **args) : NULL;
	*kwargs = n->nkw ? xcalloc(n->nkw, sizeof **kwargs) : NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (eval_defined(c, n->kids[i], &(*args)[i]) != EV_OK)
			return EV_ERR;
	for (size_t i = 0; i < n->nkw; i++)
		if (eval_defined(c, n->kwvals[i], &(*kwargs)[i]) != EV_OK)
			return EV_ERR;
	return EV_OK;
}

static void
free_args(const struct node *n, json_t **args, json_t **kwargs)
{
	for (size_t i = 0; args && i < n->nkids; i++)
		json_decref(args[i]);
	for (size_t i = 0; kwargs && i < n->nkw; i++)
		json_decref(kwargs[i]);
	free(args);
	free(kwargs);
}

static int
eval_filter(struct expr_ctx *c, const struct node *n, json_t **out)
{
	json_t **args, **kwargs, *in = NULL;
	int r = eval_args(c, n, &args, &kwargs);
	if (r == EV_OK) {
		r = eval(c, n->a, &in);
		if (r == EV_UNDEF) {
			in = NULL;
			r = EV_OK;
		}
	}
	if (r == EV_OK) {
		if (n->kind == N_FILTER) {
			r = filter_apply(c, n, in, args, kwargs, out);
		} else {
			bool result;
			r = test_apply(c, n, in, args, kwargs, &result);
			if (r == EV_OK)
				*out = json_boolean(n->negate ? !result : result);
		}
	}
	json_decref(in);
	free_args(n, args, kwargs);
	return r; /* first and last give EV_UNDEF for an empty sequence */
}

/* range(stop), range(start, stop[, step]) as a list. */
static int
call_range(struct expr_ctx *c, const struct node *n, json_t **args, json_t **out)
{
	json_int_t v[3] = {0, 0, 1};
	if (n->nkids < 1 || n->nkids > 3 || n->nkw)
		return ctx_fail(c, n->offset, "range expected 1 to 3 integer arguments");
	for (size_t i = 0; i < n->nkids; i++) {
		if (!value_is_int(args[i]))
			return ctx_fail(c, n->offset, "'%s' object cannot be interpreted as an integer",
					value_type_name(args[i]));
		v[n->nkids == 1 ? 1 : i] = value_int(args[i]);
	}
	if (v[2] == 0)
		return ctx_fail(c, n->offset, "range() arg 3 must not be zero");
	/* Its length, in floating point so that no subtraction overflows. */
	double count = v[2] > 0 ? ceil(((double)v[1] - (double)v[0]) / (double)v[2])
				: ceil(((double)v[0] - (double)v[1]) / -(double)v[2]);
	if (count < 0)
		count = 0;
	if (count > (double)c->lim->max_steps) {
		ctx_step(c, n->offset, c->lim->max_steps + 1);
		return EV_ERR;
	}
	if (!ctx_step(c, n->offset, (unsigned long)count))
		return EV_ERR;
	json_t *list = json_array();
	for (unsigned long i = 0; i < (unsigned long)count; i++)
		/* start + i * step stays between start and stop; computed unsigned so
		 * that no intermediate product overflows a signed integer. */
		json_array_append_new(list, json_integer((json_int_t)((uint64_t)v[0] +
								      (uint64_t)i * (uint64_t)v[2])));
	*out = list;
	return EV_OK;
}

/* obj.method(args): dict and str methods that templates commonly use;
 * the str ones share the filters' code. */
static int
call_method(struct expr_ctx *c, const struct node *n, json_t *obj, const char *method, json_t **args,
	    json_t **kwargs, json_t **out)
{
	if (json_is_object(obj)) {
		if (strcmp(method, "get") == 0) {
			if (n->nkids < 1 || n->nkids > 2 || !json_is_string(args[0]))
				return ctx_fail(c, n->offset, "get() takes a string key and an optional default");
			json_t *v = json_object_getn(obj, json_string_value(args[0]), json_string_length(args[0]));
			*out = json_incref(v ? v : n->nkids == 2 ? args[1] : json_null());
			return EV_OK;
		}
		bool items = strcmp(method, "items") == 0, keys = strcmp(method, "keys") == 0,
		     values = strcmp(method, "values") == 0;
		if (items || keys || values) {
			if (!ctx_step(c, n->offset, json_object_size(obj)))
				return EV_ERR;
			json_t *list = json_array();
			const char *k;
			json_t *v;
			json_object_foreach(obj, k, v) {
				if (items)
					json_array_append_new(list, json_pack("[s%O]", k, strlen(k), v));
				else if (keys)
					json_array_append_new(list, json_string_nocheck(k));
				else
					json_array_append(list, v);
			}
			*out = list;
			return EV_OK;
		}
	}
	if (json_is_string(obj)) {
		static const struct {
			const char *method, *filter;
		} as_filter[] = {{"upper", "upper"}, {"lower", "lower"}, {"strip", "trim"},
				 {"title", "title"}, {"capitalize", "capitalize"}, {"replace", "replace"},
				 {"startswith", "startswith"}, {"endswith", "endswith"}, {"split", "split"}};
		for (size_t i = 0; i < sizeof as_filter / sizeof as_filter[0]; i++)
			if (strcmp(method, as_filter[i].method) == 0) {
				return filter_call(c, n->offset, as_filter[i].filter, obj, args, n->nkids,
						   n->kwnames, kwargs, n->nkw, out);
			}
	}
	return ctx_fail(c, n->offset, "'%s' object has no method '%.60s'", value_type_name(obj), method);
}

static int
eval_call(struct expr_ctx *c, const struct node *n, json_t **out)
{
	const struct node *callee = n->a;
	json_t **args, **kwargs, *obj = NULL;
	int r = eval_args(c, n, &args, &kwargs);
	if (r == EV_OK) {
		if (callee->kind == N_NAME && strcmp(callee->name, "range") == 0 &&
		    ctx_lookup(c, "range") == NULL) {
			r = call_range(c, n, args, out);
		} else if (callee->kind == N_ATTR) {
			r = eval_defined(c, callee->a, &obj);
			if (r == EV_OK)
				r = call_method(c, n, obj, callee->name, args, kwargs, out);
		} else {
			r = ctx_fail(c, n->offset, "this value cannot be called");
		}
	}
	json_decref(obj);
	free_args(n, args, kwargs);
	return r == EV_OK ? EV_OK : EV_ERR;
}

int
eval(struct expr_ctx *c, const struct node *n, json_t **out)
{
	*out = NULL;
	if (n == NULL)
		return ctx_fail(c, 0, "missing expression");
	if (!ctx_step(c, n->offset, 1))
		return EV_ERR;
	json_t *x = NULL, *y = NULL;
	int r;
	switch (n->kind) {
	case N_CONST:
		*out = json_incref(n->value);
		return EV_OK;
	case N_NAME: {
		json_t *v = ctx_lookup(c, n->name);
		if (v == NULL)
			return ctx_undef(c, n->offset, "'%.60s' is undefined", n->name);
		*out = json_incref(v);
		return EV_OK;
	}
	case N_ATTR: {
		/* As in Jinja: an attribute of an undefined value is an error, even
		 * under default. */
		if (eval_defined(c, n->a, &x) != EV_OK)
			return EV_ERR;
		json_t *v = value_getattr(x, n->name);
		if (v == NULL) {
			char msg[160];
			describe_missing_attr(msg, sizeof msg, x, n->name);
			json_decref(x);
			return ctx_undef(c, n->offset, "%s", msg);
		}
		*out = json_incref(v);
		json_decref(x);
		return EV_OK;
	}
	case N_ITEM:
		return eval_item(c, n, out);
	case N_SLICE:
		return eval_slice(c, n, out);
	case N_LIST:
		return eval_list(c, n, out);
	case N_DICT:
		return eval_dict(c, n, out);
	case N_COND:
		if (eval_defined(c, n->b, &x) != EV_OK)
			return EV_ERR;
		r = value_truthy(x);
		json_decref(x);
		if (r)
			return eval(c, n->a, out);
		if (n->c)
			return eval(c, n->c, out);
		/* Jinja gives a lenient undefined here, which prints as nothing. */
		*out = json_string("");
		return EV_OK;
	case N_AND:
	case N_OR:
		if (eval_defined(c, n->a, &x) != EV_OK)
			return EV_ERR;
		if (value_truthy(x) == (n->kind == N_OR)) {
			*out = x;
			return EV_OK;
		}
		json_decref(x);
		return eval(c, n->b, out);
	case N_NOT:
		if (eval_defined(c, n->a, &x) != EV_OK)
			return EV_ERR;
		*out = json_boolean(!value_truthy(x));
		json_decref(x);
		return EV_OK;
	case N_NEG:
	case N_POS:
		if (eval_defined(c, n->a, &x) != EV_OK)
			return EV_ERR;
		if (!value_is_number(x)) {
			r = ctx_fail(c, n->offset, "bad operand type for unary %c: '%s'",
				     n->kind == N_NEG ? '-' : '+', value_type_name(x));
		} else if (value_is_int(x)) {
			json_int_t v = value_int(x);
			if (n->kind == N_NEG && v == INT64_MIN)
				r = ctx_fail(c, n->offset, "integer overflow");
			else {
				*out = json_integer(n->kind == N_NEG ? -v : v);
				r = EV_OK;
			}
		} else {
			double d = json_real_value(x);
			*out = json_real(n->kind == N_NEG ? -d : d);
			r = EV_OK;
		}
		json_decref(x);
		return r;
	case N_BINOP:
		if (eval_defined(c, n->a, &x) != EV_OK)
			return EV_ERR;
		if (eval_defined(c, n->b, &y) != EV_OK) {
			json_decref(x);
			return EV_ERR;
		}
		r = arith(c, n->offset, n->op, x, y, out);
		json_decref(x);
		json_decref(y);
		return r;
	case N_COMPARE:
		return eval_compare(c, n, out);
	case N_FILTER:
	case N_TEST:
		return eval_filter(c, n, out);
	case N_CALL:
		return eval_call(c, n, out);
	default:
		return ctx_fail(c, n->offset, "not an expression");
	}
}
