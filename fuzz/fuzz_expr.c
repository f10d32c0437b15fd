/* fuzz_expr.c: templates (expr/), rendered against a fixed set of
 * variables under the default limits, and through expr_resolve_tree as the
 * engine calls it.  Whatever the input: no crash, no leak, no output past
 * the cap, and a failure always says what and where. */
#include "fuzz_util.h"

#include <jansson.h>

#include "expr/expr.h"
#include "expr/pystr.h"

static const char vars_json[] =
	"{\"name\": \"world\", \"n\": 5, \"f\": 2.5, \"t\": true, \"nothing\": null,"
	" \"items\": [1, 2, 3], \"words\": [\"a\", \"b\"], \"d\": {\"z\": 1, \"a\": [0.1, \"x'\"]},"
	" \"people\": [{\"name\": \"Ada\", \"role\": \"admin\"}, {\"name\": \"Bob\", \"role\": \"user\"}],"
	" \"trigger\": {\"text\": \"hi\", \"payload\": {\"x\": 1}}, \"s\": \"h\\u00e9llo \\u2028\"}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *vars;
	if (vars == NULL)
		vars = json_loads(vars_json, 0, NULL);
	struct expr_limits lim = expr_limits_default();
	char *out;
	size_t len;
	struct expr_error err;
	if (expr_render((const char *)data, size, vars, &lim, &out, &len, &err) == 0) {
		if (len > lim.max_output && expr_is_template((const char *)data, size))
			abort();
		free(out);
	} else {
		if (out != NULL || err.message[0] == '\0' || err.offset > size || err.line == 0 ||
		    err.column == 0)
			abort();
	}
	/* The same text as a configuration string: the copy is valid JSON. */
	json_t *text = json_stringn((const char *)data, size);
	if (text != NULL) {
		json_t *cfg = json_pack("{s:o, s:[s]}", "prompt", text, "list", "{{ n }}");
		json_t *errors = json_array();
		json_t *r = expr_resolve_tree(cfg, vars, &lim, errors);
		char *dump = json_dumps(r, 0);
		if (dump == NULL)
			abort();
		free(dump);
		if (json_array_size(errors) > 1)
			abort();
		json_decref(r);
		json_decref(errors);
		json_decref(cfg);
	}
	return 0;
}
