/*
 * pymath.h: Python's arithmetic where C's differs, for the two places that
 * promise Python's results (the expression language and the calculator
 * tool).
 */
#ifndef PIPELIT_UTIL_PYMATH_H
#define PIPELIT_UTIL_PYMATH_H

/* Python's floor division and modulo of doubles (x // y, x % y): the
 * remainder takes the divisor's sign, and both come from one fmod so they
 * stay consistent.  y must not be 0. */
void py_float_divmod(double x, double y, double *floordiv, double *mod);

#endif
