/* fuzz_calculator.c: the calculator tool's evaluator (nodes/calculator).
 * Whatever the input: no crash, no leak, no undefined arithmetic (UBSan
 * catches signed overflow), a bounded recursion, and always an answer:
 * a number, or a text starting "Error: ". */
#include "fuzz_util.h"

#include "nodes/calculator.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	int rc = calculator_eval((const char *)data, size, &out);
	if (out == NULL)
		abort();
	if (rc == 0) {
		/* A result is a number as Python prints it. */
		if (out[0] == '\0' || strspn(out, "0123456789.-+e") != strlen(out))
			abort();
	} else if (rc != -1 || strncmp(out, "Error: ", 7) != 0) {
		abort();
	}
	free(out);
	return 0;
}
