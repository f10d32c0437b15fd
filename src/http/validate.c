/* validate.c: see validate.h.  The types and messages are Pydantic v2's. */
#include "validate.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/request.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

void
v_init(struct validator *v, json_t *body)
{
	v->errors = NULL;
	v->body = body;
	v->prefix = NULL;
}

void
v_nest(struct validator *v, json_t *obj, json_t *prefix)
{
	v->body = obj;
	v->prefix = prefix;
}

json_t *
v_take(struct validator *v)
{
	json_t *items = v->errors ? v->errors : json_array();
	v->errors = NULL;
	return items;
}

void
v_free(struct validator *v)
{
	json_decref(v->errors);
	v->errors = NULL;
}

int
v_failed(const struct validator *v)
{
	return v->errors != NULL && json_array_size(v->errors) > 0;
}

size_t
v_count(const struct validator *v)
{
	return v->errors ? json_array_size(v->errors) : 0;
}

static const char *
loc_name(enum v_loc where)
{
	switch (where) {
	case V_QUERY:
		return "query";
	case V_PATH:
		return "path";
	case V_BODY:
		break;
	}
	return "body";
}

void
v_add(struct validator *v, enum v_loc where, const char *field, const char *type,
      const char *msg, json_t *input, json_t *ctx)
{
	json_t *item = json_object();
	json_object_set_new(item, "type", json_string(type));
	json_t *loc = json_array();
	json_array_append_new(loc, json_string(loc_name(where)));
	if (where == V_BODY && v->prefix != NULL)
		json_array_extend(loc, v->prefix);
	if (field != NULL)
		json_array_append_new(loc, json_string(field));
	json_object_set_new(item, "loc", loc);
	json_object_set_new(item, "msg", json_string(msg));
	json_object_set_new(item, "input", input ? input : json_null());
	if (ctx != NULL)
		json_object_set_new(item, "ctx", ctx);
	if (v->errors == NULL)
		v->errors = json_array();
	json_array_append_new(v->errors, item);
}

/* A body error about a value that is present: the input is that value. */
static int
body_error(struct validator *v, const char *field, const char *type, const char *msg,
	   json_t *value, json_t *ctx)
{
	v_add(v, V_BODY, field, type, msg, json_incref(value), ctx);
	return -1;
}

/*
 * The common start of every body field check: 0 when absent (or null and
 * optional), 1 when there is a value to check in *value, -1 when a
 * required field is missing.  A required null is left to the type check,
 * which reports it as a wrong type (as Pydantic does).
 */
static int
field_lookup(struct validator *v, json_t *obj, const char *field, int required, json_t **value)
{
	json_t *val = json_is_object(obj) ? json_object_get(obj, field) : NULL;
	if (val == NULL) {
		if (!required)
			return 0;
		v_add(v, V_BODY, field, "missing", "Field required",
		      json_incref(v->body ? v->body : obj), NULL);
		return -1;
	}
	if (json_is_null(val) && !required)
		return 0;
	*value = val;
	return 1;
}

int
v_body_object(struct validator *v, json_t *body)
{
	if (json_is_object(body))
		return 1;
	v_add(v, V_BODY, NULL, "model_attributes_type",
	      "Input should be a valid dictionary or object to extract fields from",
	      json_incref(body), NULL);
	return -1;
}

int
v_object(struct validator *v, json_t *obj, const char *field, int required, json_t **out)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	if (!json_is_object(val))
		return body_error(v, field, "dict_type", "Input should be a valid dictionary", val,
				  NULL);
	*out = val;
	return 1;
}

/* Code points in valid UTF-8 (jansson guarantees validity). */
static size_t
utf8_length(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static json_t *
size_ctx(const char *key, size_t n)
{
	return json_pack("{s:I}", key, (json_int_t)n);
}

static int
check_length(struct validator *v, const char *field, json_t *val, size_t min, size_t max)
{
	size_t bytes = json_string_length(val);
	size_t len = utf8_length(json_string_value(val), bytes);
	char msg[96];
	if (len < min) {
		snprintf(msg, sizeof(msg), "String should have at least %zu character%s", min,
			 min == 1 ? "" : "s");
		return body_error(v, field, "string_too_short", msg, val,
				  size_ctx("min_length", min));
	}
	if (max > 0 && len > max) {
		snprintf(msg, sizeof(msg), "String should have at most %zu character%s", max,
			 max == 1 ? "" : "s");
		return body_error(v, field, "string_too_long", msg, val,
				  size_ctx("max_length", max));
	}
	return 0;
}

/* A string value, or an error item.  An embedded NUL would silently cut
 * the value short everywhere in C, so it is refused. */
static int
string_value(struct validator *v, const char *field, json_t *val, const char **out)
{
	if (!json_is_string(val))
		return body_error(v, field, "string_type", "Input should be a valid string", val,
				  NULL);
	if (strlen(json_string_value(val)) != json_string_length(val))
		return body_error(v, field, "value_error",
				  "Value error, the string contains a NUL character", val,
				  json_pack("{s:{}}", "error"));
	*out = json_string_value(val);
	return 0;
}

int
v_string(struct validator *v, json_t *obj, const char *field, int required, size_t min,
	 size_t max, const char **out)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	const char *s;
	if (string_value(v, field, val, &s) || check_length(v, field, val, min, max))
		return -1;
	*out = s;
	return 1;
}

/* "'a', 'b' or 'c'" */
static char *
literal_expected(const char *const *values)
{
	size_t n = 0;
	while (values[n] != NULL)
		n++;
	char *text = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		char *next = xasprintf("%s%s'%s'", text, sep, values[i]);
		free(text);
		text = next;
	}
	return text;
}

int
v_literal(struct validator *v, json_t *obj, const char *field, int required,
	  const char *const *values, const char **out)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	if (json_is_string(val))
		for (size_t i = 0; values[i] != NULL; i++)
			if (strcmp(json_string_value(val), values[i]) == 0 &&
			    strlen(values[i]) == json_string_length(val)) {
				*out = values[i];
				return 1;
			}
	char *expected = literal_expected(values);
	char *msg = xasprintf("Input should be %s", expected);
	body_error(v, field, "literal_error", msg, val, json_pack("{s:s}", "expected", expected));
	free(msg);
	free(expected);
	return -1;
}

int
v_digits(struct validator *v, json_t *obj, const char *field, int required, int n,
	 const char **out)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	const char *s;
	if (string_value(v, field, val, &s))
		return -1;
	int good = json_string_length(val) == (size_t)n;
	for (int i = 0; good && i < n; i++)
		good = s[i] >= '0' && s[i] <= '9';
	if (!good) {
		char pattern[32], msg[80];
		snprintf(pattern, sizeof(pattern), "^\\d{%d}$", n);
		snprintf(msg, sizeof(msg), "String should match pattern '%s'", pattern);
		return body_error(v, field, "string_pattern_mismatch", msg, val,
				  json_pack("{s:s}", "pattern", pattern));
	}
	*out = s;
	return 1;
}

/*
 * Pydantic's string-to-int rule: surrounding whitespace is ignored, an
 * optional sign, decimal digits, and a fraction of zeros only ("5.00").
 * 0, or -1 with the error kind in *overflow (1 when too large).
 */
static int
parse_int_text(const char *s, int64_t *out, int *overflow)
{
	*overflow = 0;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!((*s >= '0' && *s <= '9') || ((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9')))
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno == ERANGE) {
		*overflow = 1;
		return -1;
	}
	if (*end == '.') {
		end++;
		while (*end == '0')
			end++;
	}
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
int_parsing_error(struct validator *v, enum v_loc where, const char *field, json_t *input,
		  int overflow)
{
	if (overflow)
		v_add(v, where, field, "int_parsing_size",
		      "Unable to parse input string as an integer, exceeded maximum size", input,
		      NULL);
	else
		v_add(v, where, field, "int_parsing",
		      "Input should be a valid integer, unable to parse string as an integer",
		      input, NULL);
	return -1;
}

int
v_int(struct validator *v, json_t *obj, const char *field, int required, int64_t *out)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	if (json_is_integer(val)) {
		*out = json_integer_value(val);
		return 1;
	}
	if (json_is_boolean(val)) {
		*out = json_is_true(val);
		return 1;
	}
	if (json_is_real(val)) {
		double d = json_real_value(val);
		if (!(d > -9.2e18 && d < 9.2e18))
			return body_error(v, field, "int_parsing_size",
					  "Unable to parse input string as an integer, exceeded "
					  "maximum size",
					  val, NULL);
		if (d != (double)(int64_t)d)
			return body_error(v, field, "int_from_float",
					  "Input should be a valid integer, got a number with a "
					  "fractional part",
					  val, NULL);
		*out = (int64_t)d;
		return 1;
	}
	if (json_is_string(val)) {
		int overflow;
		if (parse_int_text(json_string_value(val), out, &overflow) == 0 &&
		    strlen(json_string_value(val)) == json_string_length(val))
			return 1;
		return int_parsing_error(v, V_BODY, field, json_incref(val), overflow);
	}
	return body_error(v, field, "int_type", "Input should be a valid integer", val, NULL);
}

/* The words Pydantic takes for a boolean, in any case. */
static int
parse_bool_text(const char *s, int *out)
{
	static const char *const yes[] = { "1", "on", "t", "true", "y", "yes" };
	static const char *const no[] = { "0", "off", "f", "false", "n", "no" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

int
v_bool(struct validator *v, json_t *obj, const char *field, int required, int *out)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	if (json_is_boolean(val)) {
		*out = json_is_true(val);
		return 1;
	}
	if (json_is_number(val)) {
		double d = json_number_value(val);
		if (d == 0 || d == 1) {
			*out = d == 1;
			return 1;
		}
	} else if (json_is_string(val)) {
		if (strlen(json_string_value(val)) == json_string_length(val) &&
		    parse_bool_text(json_string_value(val), out) == 0)
			return 1;
	} else {
		return body_error(v, field, "bool_type", "Input should be a valid boolean", val,
				  NULL);
	}
	return body_error(v, field, "bool_parsing",
			  "Input should be a valid boolean, unable to interpret input", val, NULL);
}

int
v_datetime(struct validator *v, json_t *obj, const char *field, int required, int64_t *out_epoch)
{
	json_t *val;
	int rc = field_lookup(v, obj, field, required, &val);
	if (rc <= 0)
		return rc;
	if (json_is_string(val)) {
		if (strlen(json_string_value(val)) == json_string_length(val) &&
		    time_iso_parse(json_string_value(val), out_epoch) == 0)
			return 1;
		return body_error(v, field, "datetime_from_date_parsing",
				  "Input should be a valid datetime or date, invalid format", val,
				  json_pack("{s:s}", "error", "invalid format"));
	}
	/* Pydantic reads a number as seconds since the epoch, or as
	 * milliseconds when it is too large to be seconds. */
	if (json_is_number(val) && !json_is_boolean(val)) {
		double d = json_number_value(val);
		if (d > 2e10 || d < -2e10)
			d /= 1000;
		if (d > -1e13 && d < 1e13) {
			int64_t whole = (int64_t)d;
			*out_epoch = whole > d ? whole - 1 : whole;
			return 1;
		}
	}
	return body_error(v, field, "datetime_type", "Input should be a valid datetime", val, NULL);
}

static void
bound_error(struct validator *v, const char *name, const char *value, int is_min,
	    int64_t bound)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "Input should be %s than or equal to %lld",
		 is_min ? "greater" : "less", (long long)bound);
	v_add(v, V_QUERY, name, is_min ? "greater_than_equal" : "less_than_equal", msg,
	      json_string(value), json_pack("{s:I}", is_min ? "ge" : "le", (json_int_t)bound));
}

int
v_query_int(struct validator *v, const char *name, const char *value, int64_t min, int64_t max,
	    int64_t *out)
{
	if (value == NULL)
		return 0;
	int64_t n;
	int overflow;
	if (parse_int_text(value, &n, &overflow) != 0)
		return int_parsing_error(v, V_QUERY, name, json_string(value), overflow);
	if (n < min) {
		bound_error(v, name, value, 1, min);
		return -1;
	}
	if (n > max) {
		bound_error(v, name, value, 0, max);
		return -1;
	}
	*out = n;
	return 1;
}

void
v_query_page(struct validator *v, struct req *r, int64_t *limit, int64_t *offset)
{
	*limit = V_PAGE_LIMIT_DEFAULT;
	*offset = 0;
	v_query_int(v, "limit", req_query(r, "limit"), 0, V_PAGE_LIMIT_MAX, limit);
	v_query_int(v, "offset", req_query(r, "offset"), 0, INT64_MAX, offset);
}

int
v_path_int(struct validator *v, const char *name, const char *value, int64_t *out)
{
	int overflow = 0;
	if (value == NULL || parse_int_text(value, out, &overflow) != 0)
		return int_parsing_error(v, V_PATH, name, json_string(value ? value : ""),
					 overflow);
	return 1;
}
