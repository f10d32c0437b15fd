/*
 * kind_util.h: small helpers the node kinds share (reading extra_config,
 * answering, failing, config checks).
 */
#ifndef PIPELIT_NODES_KIND_UTIL_H
#define PIPELIT_NODES_KIND_UTIL_H

#include <jansson.h>

#include "nodes/node_kind.h"

struct op_error;

/* extra_config[key], with a JSON null counted as absent (NULL). */
const json_t *cfg_get(const json_t *extra, const char *key);
/* extra_config[key] when it is a string, else def. */
const char *cfg_str(const json_t *extra, const char *key, const char *def);

/* Hands result (a new reference) to the engine: STEP_DONE. */
enum step kind_done(struct node_ctx *ctx, json_t *result);
/* The node's configuration cannot work (no retry helps): bad_config. */
enum step kind_bad_config(struct node_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An operator that could not be evaluated. */
enum step kind_fail_op(struct node_ctx *ctx, const struct op_error *err);

/* state.node_outputs (an object), or NULL. */
const json_t *state_node_outputs(const json_t *state);

/* For check_config: sets *msg (malloc'd) and returns -1. */
int check_fail(char **msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* key absent, null or a string; else -1 with *msg. */
int check_string(const json_t *extra, const char *key, char **msg);
/* key absent, null or one of the NULL-terminated choices (or a template);
 * else -1 with *msg. */
int check_choice(const json_t *extra, const char *key, const char *const *choices, char **msg);
/* A string that holds an expression, only known at run time. */
int is_template_string(const json_t *v);

#endif
