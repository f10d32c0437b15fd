/*
 * validate.h: request validation with the error items FastAPI/Pydantic v2
 * produce (pipelit-api.md section 1.4), including Pydantic's lax coercion:
 * "5" is an int, "true" a bool, but a number is not a string.
 *
 * A struct validator collects every error of one request; the handler
 * checks v.errors at the end and answers resp_validation(r, v_take(&v)).
 * Functions never fail for a missing optional field: they leave *out as it
 * was (callers set defaults first) and return 0.  They return 1 when the
 * field was present and valid, 0 when absent, -1 when invalid (an item was
 * added).  JSON null counts as absent for optional fields and as invalid for
 * required ones ("Input should be a valid string", type string_type).
 */
#ifndef PIPELIT_VALIDATE_H
#define PIPELIT_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum v_loc { V_BODY, V_QUERY, V_PATH };

struct validator {
	json_t *errors;     /* owned; NULL until the first error */
	json_t *body;       /* borrowed: the whole body, the "input" of a missing-field item */
	json_t *prefix;     /* borrowed, NULL for none: the loc steps between "body" and the
			       field, for checks of an object nested in a document
			       (["nodes", 3] gives ["body", "nodes", 3, "label"]) */
};

void v_init(struct validator *v, json_t *body);
/* Checks the fields of obj, nested at prefix (borrowed) in the body, from
 * here on: missing-field items carry obj as their input. */
void v_nest(struct validator *v, json_t *obj, json_t *prefix);
/* Hands over the error list (the caller owns it) and resets v. */
json_t *v_take(struct validator *v);
void v_free(struct validator *v);
int v_failed(const struct validator *v);
/* How many items v holds: a check of one part of a body failed when it
 * grew. */
size_t v_count(const struct validator *v);

/* Adds an item; ctx may be NULL (stolen). */
void v_add(struct validator *v, enum v_loc where, const char *field, const char *type,
	   const char *msg, json_t *input, json_t *ctx);

/* The whole body must be a JSON object (type model_attributes_type);
 * 1 when it is, -1 otherwise.  Field checks on a non-object report their
 * fields missing, so handlers call this first and stop on failure. */
int v_body_object(struct validator *v, json_t *body);

/* A body field that must be an object when present. */
int v_object(struct validator *v, json_t *obj, const char *field, int required, json_t **out);

/* Strings: min/max in characters (UTF-8 code points); max 0 = no limit.
 * *out is borrowed from the JSON. Invalid UTF-8 never reaches here (jansson
 * rejects it at parse time). */
int v_string(struct validator *v, json_t *obj, const char *field, int required, size_t min,
	     size_t max, const char **out);
/* A string that must match one of the NULL-terminated values (type literal_error). */
int v_literal(struct validator *v, json_t *obj, const char *field, int required,
	      const char *const *values, const char **out);
/* A string of exactly n ASCII digits (pattern ^\d{n}$, type string_pattern_mismatch). */
int v_digits(struct validator *v, json_t *obj, const char *field, int required, int n,
	     const char **out);
int v_int(struct validator *v, json_t *obj, const char *field, int required, int64_t *out);
int v_bool(struct validator *v, json_t *obj, const char *field, int required, int *out);
/* An ISO-8601 datetime (with or without offset or Z) as UTC seconds since the epoch. */
int v_datetime(struct validator *v, json_t *obj, const char *field, int required,
	       int64_t *out_epoch);

/* Query parameters (strings from the URL). limit: 0..1000, default 50;
 * offset: >= 0, default 0; non-integers and negatives are 422 items. */
int v_query_int(struct validator *v, const char *name, const char *value, int64_t min,
		int64_t max, int64_t *out);
struct req;
#define V_PAGE_LIMIT_DEFAULT 50
#define V_PAGE_LIMIT_MAX 1000
/* A list's paging from r's query: limit 0..1000 (default 50) into *limit
 * and offset >= 0 (default 0) into *offset; each bad one is a 422 item. */
void v_query_page(struct validator *v, struct req *r, int64_t *limit, int64_t *offset);
/* A path parameter that must be an integer (type int_parsing). */
int v_path_int(struct validator *v, const char *name, const char *value, int64_t *out);

#endif
