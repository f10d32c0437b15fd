/* kind_util.c: helpers shared by the node kinds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes/kind_util.h"
#include "nodes/operators.h"
#include "util/xalloc.h"

const json_t *
cfg_get(const json_t *extra, const char *key)
{
	const json_t *v = json_object_get(extra, key);
	return v == NULL || json_is_null(v) ? NULL : v;
}

const char *
cfg_str(const json_t *extra, const char *key, const char *def)
{
	const char *s = json_string_value(cfg_get(extra, key));
	return s ? s : def;
}

enum step
kind_done(struct node_ctx *ctx, json_t *result)
{
	ctx->result = result;
	return STEP_DONE;
}

enum step
kind_bad_config(struct node_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	node_fail(ctx, "bad_config", "%s", msg);
	free(msg);
	ctx->no_retry = 1;
	return STEP_FAILED;
}

enum step
kind_fail_op(struct node_ctx *ctx, const struct op_error *err)
{
	node_fail(ctx, err->code, "%s", err->message);
	ctx->no_retry = err->no_retry;
	return STEP_FAILED;
}

const json_t *
state_node_outputs(const json_t *state)
{
	const json_t *o = json_object_get(state, "node_outputs");
	return json_is_object(o) ? o : NULL;
}

int
check_fail(char **msg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*msg = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

int
check_string(const json_t *extra, const char *key, char **msg)
{
	const json_t *v = cfg_get(extra, key);
	if (v != NULL && !json_is_string(v))
		return check_fail(msg, "%s must be a string", key);
	return 0;
}

int
is_template_string(const json_t *v)
{
	const char *s = json_string_value(v);
	return s != NULL && (strstr(s, "{{") != NULL || strstr(s, "{%") != NULL);
}

int
check_choice(const json_t *extra, const char *key, const char *const *choices, char **msg)
{
	const json_t *v = cfg_get(extra, key);
	if (v == NULL || is_template_string(v))
		return 0;
	const char *s = json_string_value(v);
	for (size_t i = 0; s != NULL && choices[i] != NULL; i++)
		if (strcmp(s, choices[i]) == 0)
			return 0;
	/* "a, b or c" */
	size_t len = 1;
	for (size_t i = 0; choices[i] != NULL; i++)
		len += strlen(choices[i]) + 4;
	char *list = xmalloc(len);
	list[0] = '\0';
	for (size_t i = 0; choices[i] != NULL; i++) {
		if (i > 0)
			strcat(list, choices[i + 1] == NULL ? " or " : ", ");
		strcat(list, choices[i]);
	}
	int rc = check_fail(msg, "%s must be %s", key, list);
	free(list);
	return rc;
}
