/*
 * operators.c: the rule operators of switch, assertion and filter
 * (pipelit-engine.md section 4.5), with Pipelit's coercions.
 *
 * Regular expressions go through PCRE2 with a match limit, a depth limit
 * and a heap limit, so a pattern that backtracks catastrophically on a
 * value ("(a+)+$" on a long run of a's) fails the node with a clear error
 * instead of holding an executor.  Python's re and PCRE2 agree on the
 * common syntax (classes, groups, (?P<name>...), lookarounds, lazy
 * quantifiers); \d, \w and case folding are Unicode-aware in both
 * (PCRE2_UCP).  One difference: Python's \Z is PCRE2's \z.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "expr/pystr.h"
#include "expr/value.h"
#include "nodes/kind_util.h"
#include "nodes/isotime.h"
#include "nodes/operators.h"
#include "nodes/pycoerce.h"
#include "util/xalloc.h"

/* Bounds of one regular expression search.  The match limit counts
 * backtracking steps (a few ms of work); the depth and heap limits bound
 * the memory of nested backtracking.  Ordinary patterns on field values
 * stay far below all three. */
#define REGEX_MATCH_LIMIT 1000000u
#define REGEX_DEPTH_LIMIT 100000u
#define REGEX_HEAP_LIMIT_KIB 16384u

enum op_code {
	OP_EXISTS, OP_DOES_NOT_EXIST, OP_IS_EMPTY, OP_IS_NOT_EMPTY,
	OP_EQUALS, OP_NOT_EQUALS, OP_CONTAINS, OP_NOT_CONTAINS,
	OP_STARTS_WITH, OP_NOT_STARTS_WITH, OP_ENDS_WITH, OP_NOT_ENDS_WITH,
	OP_MATCHES_REGEX, OP_NOT_MATCHES_REGEX,
	OP_GT, OP_LT, OP_GTE, OP_LTE,
	OP_AFTER, OP_BEFORE, OP_AFTER_OR_EQUAL, OP_BEFORE_OR_EQUAL,
	OP_IS_TRUE, OP_IS_FALSE,
	OP_LENGTH_EQ, OP_LENGTH_NEQ, OP_LENGTH_GT, OP_LENGTH_LT, OP_LENGTH_GTE, OP_LENGTH_LTE,
};

struct op {
	const char *name;
	enum op_code code;
};

static const struct op operators[] = {
	{ "exists", OP_EXISTS },
	{ "does_not_exist", OP_DOES_NOT_EXIST },
	{ "is_empty", OP_IS_EMPTY },
	{ "is_not_empty", OP_IS_NOT_EMPTY },
	{ "equals", OP_EQUALS },
	{ "not_equals", OP_NOT_EQUALS },
	{ "contains", OP_CONTAINS },
	{ "not_contains", OP_NOT_CONTAINS },
	{ "starts_with", OP_STARTS_WITH },
	{ "not_starts_with", OP_NOT_STARTS_WITH },
	{ "ends_with", OP_ENDS_WITH },
	{ "not_ends_with", OP_NOT_ENDS_WITH },
	{ "matches_regex", OP_MATCHES_REGEX },
	{ "not_matches_regex", OP_NOT_MATCHES_REGEX },
	{ "gt", OP_GT },
	{ "lt", OP_LT },
	{ "gte", OP_GTE },
	{ "lte", OP_LTE },
	{ "after", OP_AFTER },
	{ "before", OP_BEFORE },
	{ "after_or_equal", OP_AFTER_OR_EQUAL },
	{ "before_or_equal", OP_BEFORE_OR_EQUAL },
	{ "is_true", OP_IS_TRUE },
	{ "is_false", OP_IS_FALSE },
	{ "length_eq", OP_LENGTH_EQ },
	{ "length_neq", OP_LENGTH_NEQ },
	{ "length_gt", OP_LENGTH_GT },
	{ "length_lt", OP_LENGTH_LT },
	{ "length_gte", OP_LENGTH_GTE },
	{ "length_lte", OP_LENGTH_LTE },
};

const struct op *
op_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (strcmp(operators[i].name, name) == 0)
			return &operators[i];
	return NULL;
}

const char *
op_name(const struct op *op)
{
	return op ? op->name : "(none)";
}

/* --- evaluation ------------------------------------------------------------- */

static const json_t *
rv_of(const struct op_test *t)
{
	return t->rv;
}

/* str() of v (None for NULL): malloc'd. */
static char *
str_of(const json_t *v)
{
	char *s = py_str(v ? v : json_null());
	return s ? s : xstrdup("");
}

static const char *
rv_str(struct op_test *t)
{
	if (t->rv_str == NULL)
		t->rv_str = str_of(rv_of(t));
	return t->rv_str;
}

/* Fills *err (when the caller wants it). */
static void
error_set(struct op_error *err, const char *code, int no_retry, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
error_set(struct op_error *err, const char *code, int no_retry, const char *fmt, ...)
{
	if (err == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->code = code;
	err->no_retry = no_retry;
}

/* Compiles pattern; NULL with a message in msg (msglen bytes) when bad. */
static pcre2_code *
regex_compile(const char *pattern, char *msg, size_t msglen)
{
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	if (cctx == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	/* Python's re treats only \n as a newline. */
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF |
					       PCRE2_NEVER_BACKSLASH_C,
				       &errcode, &erroff, cctx);
	pcre2_compile_context_free(cctx);
	if (re == NULL) {
		PCRE2_UCHAR text[256];
		pcre2_get_error_message(errcode, text, sizeof(text));
		snprintf(msg, msglen, "%s at offset %zu", (const char *)text, (size_t)erroff);
	}
	return re;
}

static int
regex_prepare(struct op_test *t, struct op_error *err)
{
	if (t->re != NULL)
		return 0;
	char why[300];
	const char *pattern = rv_str(t);
	pcre2_code *re = regex_compile(pattern, why, sizeof(why));
	if (re == NULL) {
		error_set(err, "bad_regex", 1, "%s: bad regular expression '%.200s': %s",
			  t->op->name, pattern, why);
		return -1;
	}
	pcre2_match_context *mctx = pcre2_match_context_create(NULL);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	if (mctx == NULL || md == NULL) {
		pcre2_match_context_free(mctx);
		pcre2_match_data_free(md);
		pcre2_code_free(re);
		error_set(err, "out_of_memory", 0, "%s: out of memory", t->op->name);
		return -1;
	}
	pcre2_set_match_limit(mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(mctx, REGEX_HEAP_LIMIT_KIB);
	t->re = re;
	t->mctx = mctx;
	t->match = md;
	return 0;
}

/* re.search(str(rv), str(fv)): 1 found, 0 not, -1 error. */
static int
regex_search(struct op_test *t, const json_t *fv, struct op_error *err)
{
	if (regex_prepare(t, err) != 0)
		return -1;
	char *subject = str_of(fv);
	int rc = pcre2_match(t->re, (PCRE2_SPTR)subject, strlen(subject), 0, 0, t->match, t->mctx);
	free(subject);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT) {
		error_set(err, "regex_limit", 1,
			  "%s: the regular expression '%.200s' backtracks too much on this value "
			  "(catastrophic backtracking; make the pattern more specific)",
			  t->op->name, rv_str(t));
		return -1;
	}
	PCRE2_UCHAR text[256];
	pcre2_get_error_message(rc, text, sizeof(text));
	error_set(err, "bad_regex", 1, "%s: the regular expression '%.200s' failed: %s",
		  t->op->name, rv_str(t), (const char *)text);
	return -1;
}

/* int(rv), converted once. */
static int
length_rv(struct op_test *t, long long *out, struct op_error *err)
{
	if (t->rv_int_state == 0)
		t->rv_int_state = py_int(rv_of(t), &t->rv_int) == 0 ? 1 : -1;
	if (t->rv_int_state < 0) {
		error_set(err, "bad_value", 1, "%s: the rule value '%.200s' is not an integer",
			  t->op->name, rv_str(t));
		return -1;
	}
	*out = t->rv_int;
	return 0;
}

static int
length_test(struct op_test *t, const json_t *fv, struct op_error *err)
{
	long long len;
	if (json_is_array(fv))
		len = (long long)json_array_size(fv);
	else if (json_is_string(fv))
		len = (long long)utf8_count(json_string_value(fv), json_string_length(fv));
	else /* Pipelit: neither a list nor a string never has a length */
		return t->op->code == OP_LENGTH_NEQ;
	long long want;
	if (length_rv(t, &want, err) != 0)
		return -1;
	switch (t->op->code) {
	case OP_LENGTH_EQ: return len == want;
	case OP_LENGTH_NEQ: return len != want;
	case OP_LENGTH_GT: return len > want;
	case OP_LENGTH_LT: return len < want;
	case OP_LENGTH_GTE: return len >= want;
	default: return len <= want;
	}
}

static int
is_empty(const json_t *v)
{
	return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

static int
list_contains(const json_t *list, const json_t *v)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (value_equal(json_array_get(list, i), v))
			return 1;
	return 0;
}

/* str(fv) against str(rv): how 0 equals, 1 contains, 2 starts with,
 * 3 ends with. */
static int
text_test(struct op_test *t, const json_t *fv, int how)
{
	char *f = str_of(fv);
	const char *r = rv_str(t);
	size_t fl = strlen(f), rl = strlen(r);
	int yes;
	switch (how) {
	case 0: yes = strcmp(f, r) == 0; break;
	case 1: yes = strstr(f, r) != NULL; break;
	case 2: yes = fl >= rl && memcmp(f, r, rl) == 0; break;
	default: yes = fl >= rl && memcmp(f + fl - rl, r, rl) == 0; break;
	}
	free(f);
	return yes;
}

/* Both sides as float, unparseable as 0 (Pipelit's "_to_num(v) or 0"). */
static double
num_or_zero(const json_t *v)
{
	double d;
	return py_float(v, &d) == 0 ? d : 0.0;
}

static int
number_test(struct op_test *t, const json_t *fv)
{
	double a = num_or_zero(fv), b = num_or_zero(rv_of(t));
	switch (t->op->code) {
	case OP_GT: return a > b;
	case OP_LT: return a < b;
	case OP_GTE: return a >= b;
	default: return a <= b;
	}
}

static int
datetime_test(struct op_test *t, const json_t *fv)
{
	struct iso_instant a, b;
	/* Only strings are datetimes (a number is not, as in Pipelit). */
	if (!json_is_string(fv) || !json_is_string(rv_of(t)) ||
	    iso_instant_parse(json_string_value(fv), &a) != 0 ||
	    iso_instant_parse(json_string_value(rv_of(t)), &b) != 0)
		return 0;
	int c = iso_instant_cmp(&a, &b);
	switch (t->op->code) {
	case OP_AFTER: return c > 0;
	case OP_BEFORE: return c < 0;
	case OP_AFTER_OR_EQUAL: return c >= 0;
	default: return c <= 0;
	}
}

void
op_test_init(struct op_test *t, const struct op *op, const json_t *rv)
{
	memset(t, 0, sizeof(*t));
	t->op = op;
	/* A rule without a value has "" (Pipelit's rule.get("value", "")). */
	t->rv = rv ? rv : json_string("");
	t->rv_owned = rv == NULL;
}

void
op_test_release(struct op_test *t)
{
	free(t->rv_str);
	pcre2_match_data_free(t->match);
	pcre2_match_context_free(t->mctx);
	pcre2_code_free(t->re);
	if (t->rv_owned)
		json_decref((json_t *)t->rv);
	memset(t, 0, sizeof(*t));
}

int
op_test_run(struct op_test *t, const json_t *fv, struct op_error *err)
{
	if (t->op == NULL)
		return 0; /* an unknown operator never matches */
	if (fv != NULL && json_is_null(fv))
		fv = NULL;
	int r;
	switch (t->op->code) {
	case OP_EXISTS: return fv != NULL;
	case OP_DOES_NOT_EXIST: return fv == NULL;
	case OP_IS_EMPTY: return is_empty(fv);
	case OP_IS_NOT_EMPTY: return !is_empty(fv);
	case OP_EQUALS: return text_test(t, fv, 0);
	case OP_NOT_EQUALS: return !text_test(t, fv, 0);
	case OP_CONTAINS:
		return json_is_array(fv) ? list_contains(fv, rv_of(t)) : text_test(t, fv, 1);
	case OP_NOT_CONTAINS:
		return json_is_array(fv) ? !list_contains(fv, rv_of(t)) : !text_test(t, fv, 1);
	case OP_STARTS_WITH: return text_test(t, fv, 2);
	case OP_NOT_STARTS_WITH: return !text_test(t, fv, 2);
	case OP_ENDS_WITH: return text_test(t, fv, 3);
	case OP_NOT_ENDS_WITH: return !text_test(t, fv, 3);
	case OP_MATCHES_REGEX:
		return regex_search(t, fv, err);
	case OP_NOT_MATCHES_REGEX:
		r = regex_search(t, fv, err);
		return r < 0 ? r : !r;
	case OP_GT: case OP_LT: case OP_GTE: case OP_LTE:
		return number_test(t, fv);
	case OP_AFTER: case OP_BEFORE: case OP_AFTER_OR_EQUAL: case OP_BEFORE_OR_EQUAL:
		return datetime_test(t, fv);
	case OP_IS_TRUE: return py_to_bool(fv);
	case OP_IS_FALSE: return !py_to_bool(fv);
	case OP_LENGTH_EQ: case OP_LENGTH_NEQ: case OP_LENGTH_GT:
	case OP_LENGTH_LT: case OP_LENGTH_GTE: case OP_LENGTH_LTE:
		return length_test(t, fv, err);
	}
	return 0;
}

int
op_eval(const struct op *op, const json_t *fv, const json_t *rv, struct op_error *err)
{
	struct op_test t;
	op_test_init(&t, op, rv);
	int r = op_test_run(&t, fv, err);
	op_test_release(&t);
	return r;
}

int
op_check_value(const struct op *op, const json_t *rv, char **msg)
{
	/* A value holding an expression is rendered at run time. */
	if (op == NULL || is_template_string(rv))
		return 0;
	if (op->code == OP_MATCHES_REGEX || op->code == OP_NOT_MATCHES_REGEX) {
		char *pattern = rv ? str_of(rv) : xstrdup("");
		char why[300];
		pcre2_code *re = regex_compile(pattern, why, sizeof(why));
		if (re == NULL) {
			*msg = xasprintf("bad regular expression '%.200s': %s", pattern, why);
			free(pattern);
			return -1;
		}
		pcre2_code_free(re);
		free(pattern);
		return 0;
	}
	if (op->code >= OP_LENGTH_EQ && op->code <= OP_LENGTH_LTE) {
		long long n;
		if (rv == NULL || py_int(rv, &n) != 0) {
			char *s = rv ? str_of(rv) : xstrdup("");
			*msg = xasprintf("%s needs an integer value, not '%.200s'", op->name, s);
			free(s);
			return -1;
		}
	}
	return 0;
}
