/*
 * json_schema_check.h: a small subset of JSON Schema, for the arguments a
 * model passes to a tool and the data an extractor returns.
 *
 * Keywords understood: type (a name or a list of names: object, array,
 * string, number, integer, boolean, null), properties, required,
 * additionalProperties (false or a schema), enum, const, items (one
 * schema), minItems/maxItems, minLength/maxLength (in characters),
 * minimum/maximum, and nested objects and arrays to any depth up to
 * JSON_SCHEMA_MAX_DEPTH.  Other keywords (description, default, title,
 * format, ...) are ignored, so a schema written for a provider passes.
 *
 * Problems are named by the path of the value in JSONPath-like form:
 * "$.address.zip: expected string, got integer", "$.tags[2]: ...".
 */
#ifndef PIPELIT_UTIL_JSON_SCHEMA_CHECK_H
#define PIPELIT_UTIL_JSON_SCHEMA_CHECK_H

#include <jansson.h>
#include <stdbool.h>

#define JSON_SCHEMA_MAX_DEPTH 32       /* nesting of schemas and of values checked */
#define JSON_SCHEMA_MAX_PROBLEMS 10    /* problems listed in one message */

/* Whether value satisfies schema.  0, or -1 with every problem found (at
 * most JSON_SCHEMA_MAX_PROBLEMS, then "...") in *why, joined by "; "
 * (malloc'd). */
int json_schema_check(const json_t *schema, const json_t *value, char **why);

/* Whether schema is one this file can check, using only the keywords
 * above in their proper shapes (a type that names a type, required as a
 * list of strings, enum as a non-empty list, properties as an object of
 * schemas, ...).  With want_object, the top level must also describe an
 * object ("type": "object" with "properties"), as a tool's parameters
 * and an extraction schema must.  0, or -1 with a readable message
 * naming the place in the schema ("properties.address.type: ...") in
 * *why (malloc'd). */
int json_schema_valid(const json_t *schema, bool want_object, char **why);

/* The JSON type name of a value as the messages give it: "object",
 * "array", "string", "integer", "number", "boolean", "null". */
const char *json_schema_type_of(const json_t *value);

#endif
