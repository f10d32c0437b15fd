/* pymath.c: see pymath.h (the rule is CPython's Objects/floatobject.c). */
#include "util/pymath.h"

#include <math.h>

void
py_float_divmod(double x, double y, double *floordiv, double *mod)
{
	double m = fmod(x, y);
	double div = (x - m) / y;
	if (m != 0.0) {
		if ((y < 0) != (m < 0)) {
			m += y;
			div -= 1.0;
		}
	} else {
		m = copysign(0.0, y);
	}
	double fd;
	if (div != 0.0) {
		fd = floor(div);
		if (div - fd > 0.5)
			fd += 1.0;
	} else {
		fd = copysign(0.0, x / y);
	}
	*floordiv = fd;
	*mod = m;
}
