/*
 * calculator.h: the calculator tool's evaluator, a small recursive-descent
 * parser over numbers, never a shell or a general evaluator.
 *
 * Grammar (Python's, restricted to arithmetic):
 *   expr   := term (('+' | '-') term)*
 *   term   := unary (('*' | '/' | '//' | '%') unary)*
 *   unary  := ('+' | '-') unary | power
 *   power  := atom ('**' unary)?          (right-associative: 2**3**2 = 512)
 *   atom   := number | '(' expr ')'
 * so -2**2 is -4 and 2**-1 is 0.5, as in Python.  Numbers are decimal
 * integers (held as 64-bit integers) and decimal floats ("1.5", ".5",
 * "1.", "1e-3"); an underscore may separate digits as in Python.
 *
 * Arithmetic follows Python: '/' always gives a float; '//' and '%' round
 * towards minus infinity (the remainder takes the divisor's sign); '**'
 * of two integers is an integer unless the exponent is negative; an
 * integer result prints without ".0", a float as Python's repr.  Where
 * Python would give an exact big integer, an infinity or a complex number,
 * the answer is an "Error: ..." text instead.
 */
#ifndef PIPELIT_NODES_CALCULATOR_H
#define PIPELIT_NODES_CALCULATOR_H

#include <stddef.h>

#define CALC_MAX_LEN 10000     /* longest expression accepted, in bytes */
#define CALC_MAX_DEPTH 100     /* deepest nesting of parentheses, signs and powers */

/* Evaluates the len bytes of expression.  Returns 0 with the result's
 * text ("4", "0.5", "-4") in *out, or -1 with "Error: <why>" in *out;
 * *out is malloc'd either way. */
int calculator_eval(const char *expression, size_t len, char **out);

#endif
