/* secret_mask.c: see secret_mask.h. */
#include "util/secret_mask.h"

#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

char *
secret_mask(const char *value)
{
	size_t len = value ? strlen(value) : 0;
	size_t chars = value ? utf8_count(value, len) : 0;
	if (chars < SECRET_MASK_MIN_CHARS)
		return xstrdup("****");
	size_t tail = utf8_offset(value, len, chars - SECRET_MASK_TAIL_CHARS);
	char *masked = xasprintf("****%s", value + tail);
	/* A value with bad bytes could give a mask jansson refuses; such a
	 * value shows no characters at all. */
	if (!utf8_valid(masked)) {
		free(masked);
		return xstrdup("****");
	}
	return masked;
}
