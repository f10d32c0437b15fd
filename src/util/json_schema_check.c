/* json_schema_check.c: see json_schema_check.h. */
#include "json_schema_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define PATH_MAX_LEN 256

static const char *const type_names[] = {
	"object", "array", "string", "number", "integer", "boolean", "null", NULL,
};

const char *
json_schema_type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* Whether v is of the named JSON Schema type: an integer is a number, and
 * a real without a fraction is an integer (1.0), as the standard says. */
static bool
is_type(const json_t *v, const char *type)
{
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v) ||
		       (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)));
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	return strcmp(type, json_schema_type_of(v)) == 0;
}

/* --- checking a value ---------------------------------------------------------- */

struct checker {
	struct strbuf msg;
	int problems;
};

__attribute__((format(printf, 3, 4))) static void
problem(struct checker *ch, const char *path, const char *fmt, ...)
{
	ch->problems++;
	if (ch->problems > JSON_SCHEMA_MAX_PROBLEMS) {
		if (ch->problems == JSON_SCHEMA_MAX_PROBLEMS + 1)
			strbuf_puts(&ch->msg, "; ...");
		return;
	}
	if (ch->msg.len > 0)
		strbuf_puts(&ch->msg, "; ");
	strbuf_printf(&ch->msg, "%s: ", path);
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_puts(&ch->msg, text);
	free(text);
}

/* path + ".key" or "[i]" into out; a path too long to show ends in "...". */
static void
path_key(char out[PATH_MAX_LEN], const char *path, const char *key)
{
	if ((size_t)snprintf(out, PATH_MAX_LEN, "%s.%s", path, key) >= PATH_MAX_LEN)
		snprintf(out, PATH_MAX_LEN, "%.*s...", PATH_MAX_LEN - 8, path);
}

static void
path_index(char out[PATH_MAX_LEN], const char *path, size_t i)
{
	if ((size_t)snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, i) >= PATH_MAX_LEN)
		snprintf(out, PATH_MAX_LEN, "%.*s...", PATH_MAX_LEN - 8, path);
}

/* A value as a message shows it: strings in single quotes, others as
 * compact JSON, clipped. */
static char *
shown(const json_t *v)
{
	if (json_is_string(v))
		return xasprintf("'%.60s'", json_string_value(v));
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *out = xasprintf("%.60s", text ? text : "?");
	free(text);
	return out;
}

/* "string", "string or null", "object, array or null". */
static char *
type_words(const json_t *type)
{
	if (json_is_string(type))
		return xstrdup(json_string_value(type));
	struct strbuf b;
	strbuf_init(&b, 0);
	size_t n = json_array_size(type);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_puts(&b, i + 1 == n ? " or " : ", ");
		const char *s = json_string_value(json_array_get(type, i));
		strbuf_puts(&b, s ? s : "?");
	}
	return strbuf_take(&b);
}

static bool
type_matches(const json_t *type, const json_t *v)
{
	if (json_is_string(type))
		return is_type(v, json_string_value(type));
	size_t i;
	const json_t *t;
	json_array_foreach(type, i, t)
		if (json_is_string(t) && is_type(v, json_string_value(t)))
			return true;
	return !json_is_array(type);
}

static void check(struct checker *ch, const json_t *schema, const json_t *v, const char *path,
		  int depth);

static void
check_enum(struct checker *ch, const json_t *schema, const json_t *v, const char *path)
{
	const json_t *options = json_object_get(schema, "enum");
	if (json_is_array(options)) {
		size_t i;
		const json_t *o;
		json_array_foreach(options, i, o)
			if (json_equal(o, v))
				return;
		struct strbuf b;
		strbuf_init(&b, 0);
		json_array_foreach(options, i, o) {
			if (i == 8) {
				strbuf_puts(&b, ", ...");
				break;
			}
			char *s = shown(o);
			strbuf_printf(&b, "%s%s", i > 0 ? ", " : "", s);
			free(s);
		}
		char *list = strbuf_take(&b);
		problem(ch, path, "expected one of %s", list);
		free(list);
	}
	const json_t *c = json_object_get(schema, "const");
	if (c != NULL && !json_equal(c, v)) {
		char *s = shown(c);
		problem(ch, path, "expected %s", s);
		free(s);
	}
}

static bool
bound(const json_t *schema, const char *key, double *out)
{
	const json_t *b = json_object_get(schema, key);
	if (!json_is_number(b))
		return false;
	*out = json_number_value(b);
	return true;
}

static void
check_string(struct checker *ch, const json_t *schema, const json_t *v, const char *path)
{
	double lim;
	size_t n = utf8_count(json_string_value(v), json_string_length(v));
	if (bound(schema, "minLength", &lim) && (double)n < lim)
		problem(ch, path, "expected at least %.0f characters, got %zu", lim, n);
	if (bound(schema, "maxLength", &lim) && (double)n > lim)
		problem(ch, path, "expected at most %.0f characters, got %zu", lim, n);
}

static void
check_number(struct checker *ch, const json_t *schema, const json_t *v, const char *path)
{
	double lim, x = json_number_value(v);
	if (bound(schema, "minimum", &lim) && x < lim)
		problem(ch, path, "expected a number >= %g, got %g", lim, x);
	if (bound(schema, "maximum", &lim) && x > lim)
		problem(ch, path, "expected a number <= %g, got %g", lim, x);
}

static void
check_object(struct checker *ch, const json_t *schema, const json_t *v, const char *path,
	     int depth)
{
	char at[PATH_MAX_LEN];
	const json_t *props = json_object_get(schema, "properties");
	size_t i;
	const json_t *name;
	json_array_foreach(json_object_get(schema, "required"), i, name) {
		const char *key = json_string_value(name);
		if (key != NULL && json_object_get(v, key) == NULL) {
			path_key(at, path, key);
			problem(ch, at, "required property missing");
		}
	}
	const json_t *extra = json_object_get(schema, "additionalProperties");
	const char *key;
	const json_t *item;
	json_object_foreach((json_t *)v, key, item) {
		const json_t *sub = json_object_get(props, key);
		path_key(at, path, key);
		if (sub != NULL)
			check(ch, sub, item, at, depth + 1);
		else if (json_is_false(extra))
			problem(ch, at, "unexpected property (not in the schema)");
		else if (json_is_object(extra))
			check(ch, extra, item, at, depth + 1);
	}
}

static void
check_array(struct checker *ch, const json_t *schema, const json_t *v, const char *path, int depth)
{
	double lim;
	size_t n = json_array_size(v);
	if (bound(schema, "minItems", &lim) && (double)n < lim)
		problem(ch, path, "expected at least %.0f items, got %zu", lim, n);
	if (bound(schema, "maxItems", &lim) && (double)n > lim)
		problem(ch, path, "expected at most %.0f items, got %zu", lim, n);
	const json_t *items = json_object_get(schema, "items");
	if (!json_is_object(items))
		return;
	char at[PATH_MAX_LEN];
	for (size_t i = 0; i < n && ch->problems <= JSON_SCHEMA_MAX_PROBLEMS; i++) {
		path_index(at, path, i);
		check(ch, items, json_array_get(v, i), at, depth + 1);
	}
}

static void
check(struct checker *ch, const json_t *schema, const json_t *v, const char *path, int depth)
{
	if (!json_is_object(schema) || ch->problems > JSON_SCHEMA_MAX_PROBLEMS)
		return;
	if (depth > JSON_SCHEMA_MAX_DEPTH) {
		problem(ch, path, "nested too deeply (at most %d levels)", JSON_SCHEMA_MAX_DEPTH);
		return;
	}
	const json_t *type = json_object_get(schema, "type");
	if (type != NULL && !type_matches(type, v)) {
		char *words = type_words(type);
		problem(ch, path, "expected %s, got %s", words, json_schema_type_of(v));
		free(words);
		return;
	}
	check_enum(ch, schema, v, path);
	if (json_is_string(v))
		check_string(ch, schema, v, path);
	else if (json_is_number(v))
		check_number(ch, schema, v, path);
	else if (json_is_object(v))
		check_object(ch, schema, v, path, depth);
	else if (json_is_array(v))
		check_array(ch, schema, v, path, depth);
}

int
json_schema_check(const json_t *schema, const json_t *value, char **why)
{
	struct checker ch = { .problems = 0 };
	strbuf_init(&ch.msg, 0);
	check(&ch, schema, value, "$", 0);
	if (ch.problems == 0) {
		strbuf_free(&ch.msg);
		*why = NULL;
		return 0;
	}
	*why = strbuf_take(&ch.msg);
	return -1;
}

/* --- checking a schema ------------------------------------------------------------- */

static bool
known_type(const json_t *t)
{
	for (size_t i = 0; json_is_string(t) && type_names[i] != NULL; i++)
		if (strcmp(type_names[i], json_string_value(t)) == 0)
			return true;
	return false;
}

static int
bad(char **why, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bad(char **why, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	*why = xasprintf("%s: %s", where, text);
	free(text);
	return -1;
}

static int valid(const json_t *schema, const char *where, int depth, char **why);

static int
valid_type(const json_t *type, const char *where, char **why)
{
	if (type == NULL || known_type(type))
		return 0;
	if (json_is_array(type) && json_array_size(type) > 0) {
		size_t i;
		const json_t *t;
		json_array_foreach(type, i, t)
			if (!known_type(t))
				return bad(why, where, "type: '%s' is not a type (object, array, string, "
						       "number, integer, boolean or null)",
					   json_is_string(t) ? json_string_value(t) : "?");
		return 0;
	}
	if (json_is_string(type))
		return bad(why, where, "type: '%s' is not a type (object, array, string, number, "
				       "integer, boolean or null)", json_string_value(type));
	return bad(why, where, "type should be a type name or a list of them");
}

static int
valid_counts(const json_t *schema, const char *where, char **why)
{
	static const char *const counts[] = { "minItems", "maxItems", "minLength", "maxLength", NULL };
	for (size_t i = 0; counts[i] != NULL; i++) {
		const json_t *v = json_object_get(schema, counts[i]);
		if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
			return bad(why, where, "%s should be a whole number >= 0", counts[i]);
	}
	static const char *const bounds[] = { "minimum", "maximum", NULL };
	for (size_t i = 0; bounds[i] != NULL; i++) {
		const json_t *v = json_object_get(schema, bounds[i]);
		if (v != NULL && !json_is_number(v))
			return bad(why, where, "%s should be a number", bounds[i]);
	}
	return 0;
}

static int
valid_object_keywords(const json_t *schema, const char *where, int depth, char **why)
{
	char at[PATH_MAX_LEN];
	const json_t *props = json_object_get(schema, "properties");
	if (props != NULL && !json_is_object(props))
		return bad(why, where, "properties should be an object of schemas");
	const char *key;
	const json_t *sub;
	json_object_foreach((json_t *)props, key, sub) {
		snprintf(at, sizeof(at), "%s.properties.%s", where, key);
		if (valid(sub, at, depth + 1, why) != 0)
			return -1;
	}
	const json_t *req = json_object_get(schema, "required");
	if (req != NULL) {
		size_t i;
		const json_t *name;
		if (!json_is_array(req))
			return bad(why, where, "required should be a list of property names");
		json_array_foreach(req, i, name)
			if (!json_is_string(name))
				return bad(why, where, "required should be a list of property names");
	}
	const json_t *extra = json_object_get(schema, "additionalProperties");
	if (extra != NULL && !json_is_boolean(extra)) {
		snprintf(at, sizeof(at), "%s.additionalProperties", where);
		if (!json_is_object(extra))
			return bad(why, where, "additionalProperties should be true, false or a schema");
		if (valid(extra, at, depth + 1, why) != 0)
			return -1;
	}
	return 0;
}

static int
valid(const json_t *schema, const char *where, int depth, char **why)
{
	if (depth > JSON_SCHEMA_MAX_DEPTH)
		return bad(why, where, "nested too deeply (at most %d levels)", JSON_SCHEMA_MAX_DEPTH);
	if (!json_is_object(schema))
		return bad(why, where, "a schema should be an object, not %s",
			   json_schema_type_of(schema));
	if (valid_type(json_object_get(schema, "type"), where, why) != 0 ||
	    valid_counts(schema, where, why) != 0 ||
	    valid_object_keywords(schema, where, depth, why) != 0)
		return -1;
	const json_t *options = json_object_get(schema, "enum");
	if (options != NULL && (!json_is_array(options) || json_array_size(options) == 0))
		return bad(why, where, "enum should be a non-empty list of values");
	const json_t *items = json_object_get(schema, "items");
	if (items != NULL) {
		char at[PATH_MAX_LEN];
		snprintf(at, sizeof(at), "%s.items", where);
		if (valid(items, at, depth + 1, why) != 0)
			return -1;
	}
	return 0;
}

int
json_schema_valid(const json_t *schema, bool want_object, char **why)
{
	*why = NULL;
	if (want_object) {
		const json_t *type = json_object_get(schema, "type");
		if (!json_is_object(schema) || !json_is_string(type) ||
		    strcmp(json_string_value(type), "object") != 0 ||
		    !json_is_object(json_object_get(schema, "properties")))
			return bad(why, "schema", "should describe an object: {\"type\": \"object\", "
						  "\"properties\": {\"name\": {\"type\": \"string\"}, "
						  "...}}");
	}
	return valid(schema, "schema", 0, why);
}
