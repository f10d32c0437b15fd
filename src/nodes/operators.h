/*
 * operators.h: the comparison operators of the rule-based logic nodes
 * (switch, assertion, filter), pipelit-engine.md section 4.5.
 *
 * FV is the field value (NULL or JSON null: Python's None), RV the rule's
 * value.  String operators compare Python str() forms (py_str), so 1.0
 * equals "1.0" and true equals "True", as in Pipelit.
 *
 * Evaluation is lazy like Pipelit's: a rule's regular expression is
 * compiled, and a length rule's value converted, only when a field value
 * needs it, so a bad pattern fails the node only when its rule is reached.
 */
#ifndef PIPELIT_NODES_OPERATORS_H
#define PIPELIT_NODES_OPERATORS_H

#include <jansson.h>

struct op;   /* one operator of the table */

/* The operator called name, or NULL when there is none (switch and
 * assertion then never match, filter ignores the rule). */
const struct op *op_find(const char *name);

/* Why an evaluation failed: code and message for node_fail(). */
struct op_error {
	const char *code;      /* "bad_regex", "regex_limit", "bad_value" */
	char message[512];
	int no_retry;          /* a retry meets the same pattern and data */
};

/* One operator with one rule value, ready to test many field values
 * (filter's items).  Holds what it prepared on first need. */
struct op_test {
	const struct op *op;
	const json_t *rv;      /* the rule value (borrowed, or owned when rv_owned) */
	int rv_owned;          /* rv is the "" made for a rule without a value */
	char *rv_str;          /* py_str(rv), made on first need */
	void *re;              /* the compiled pattern (pcre2_code *) */
	void *match;           /* its match data */
	void *mctx;            /* its match context (the limits) */
	long long rv_int;      /* int(rv) for the length operators */
	int rv_int_state;      /* 0: not converted yet, 1: done, -1: invalid */
};

/* Prepares t for op and rv (rv NULL: ""); nothing is allocated yet. */
void op_test_init(struct op_test *t, const struct op *op, const json_t *rv);
/* 1 when fv passes, 0 when not, -1 with *err set when the operator cannot
 * be evaluated (a bad or runaway regular expression, a length rule whose
 * value is not an integer). */
int op_test_run(struct op_test *t, const json_t *fv, struct op_error *err);
void op_test_release(struct op_test *t);

/* One evaluation: op_test_init, run, release. */
int op_eval(const struct op *op, const json_t *fv, const json_t *rv, struct op_error *err);

/*
 * Checks a rule value at save time: a matches_regex/not_matches_regex
 * pattern must compile, a length value must be an integer.  Values that
 * hold an expression ("{{" or "{%") are only known at run time and pass.
 * Returns 0, or -1 with a readable reason in *msg (malloc'd).
 */
int op_check_value(const struct op *op, const json_t *rv, char **msg);

/* The operator's name (for messages). */
const char *op_name(const struct op *op);

#endif
