/* log_sanitize.c: see log_sanitize.h. */
#include "log_sanitize.h"

#include <string.h>

void
log_sanitize(const char *s, char out[LOG_SANITIZE_BUF])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	if (s == NULL)
		s = "";
	for (; s[i] != '\0' && i < LOG_SANITIZE_MAX_INPUT; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (s[i] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}
