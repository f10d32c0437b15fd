/* config_check.c: see config_check.h. */
#include "config_check.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int
refuse(struct config_problem *out, const char *field, char *message)
{
	out->field = xstrdup(field);
	out->message = message;
	return -1;
}

/* Whether v has the JSON Schema type named type. */
static int
has_type(const json_t *v, const char *type)
{
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	return 1;
}

static const char *
type_words(const char *type)
{
	if (strcmp(type, "string") == 0)
		return "a valid string";
	if (strcmp(type, "integer") == 0)
		return "a valid integer";
	if (strcmp(type, "number") == 0)
		return "a valid number";
	if (strcmp(type, "boolean") == 0)
		return "a valid boolean";
	if (strcmp(type, "object") == 0)
		return "a valid dictionary";
	return "a valid list";
}

/* "'a', 'b' or 'c'", malloc'd. */
static char *
choice_words(const char *const *choices)
{
	char *s = xstrdup("");
	for (size_t i = 0; choices[i] != NULL; i++) {
		const char *sep = i == 0 ? "" : choices[i + 1] == NULL ? " or " : ", ";
		char *next = xasprintf("%s%s'%s'", s, sep, choices[i]);
		free(s);
		s = next;
	}
	return s;
}

static int
check_choice(const struct config_field *f, const json_t *v, struct config_problem *out)
{
	for (size_t i = 0; f->choices[i] != NULL; i++)
		if (strcmp(f->choices[i], json_string_value(v)) == 0)
			return 0;
	char *words = choice_words(f->choices);
	int rc = refuse(out, f->name, xasprintf("Input should be %s", words));
	free(words);
	return rc;
}

/* Integer bounds: the table holds them as JSON text of integers. */
static int
check_bounds(const struct config_field *f, const json_t *v, struct config_problem *out)
{
	json_int_t n = json_integer_value(v);
	if (f->minimum != NULL && n < strtoll(f->minimum, NULL, 10))
		return refuse(out, f->name, xasprintf("Input should be greater than or equal to %s",
						      f->minimum));
	if (f->maximum != NULL && n > strtoll(f->maximum, NULL, 10))
		return refuse(out, f->name, xasprintf("Input should be less than or equal to %s",
						      f->maximum));
	return 0;
}

static int
check_field(const struct config_field *f, const json_t *extra_config, struct config_problem *out)
{
	const json_t *v = json_object_get(extra_config, f->name);
	if (v == NULL || json_is_null(v))
		return f->required ? refuse(out, f->name, xstrdup("Field required")) : 0;
	if (!has_type(v, f->type))
		return refuse(out, f->name, xasprintf("Input should be %s", type_words(f->type)));
	if (f->choices != NULL && json_is_string(v) && check_choice(f, v, out) != 0)
		return -1;
	if (json_is_integer(v))
		return check_bounds(f, v, out);
	return 0;
}

int
config_fields_check(const struct config_field *fields, const json_t *extra_config,
		    struct config_problem *out)
{
	out->field = NULL;
	out->message = NULL;
	for (size_t i = 0; fields != NULL && fields[i].name != NULL; i++)
		if (check_field(&fields[i], extra_config, out) != 0)
			return -1;
	return 0;
}
