/* url_mask.c: see url_mask.h. */
#include "url_mask.h"

#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* Appends n bytes of s to the buffer at *p. */
static void
put(char **p, const char *s, size_t n)
{
	memcpy(*p, s, n);
	*p += n;
}

char *
url_mask_password(const char *url)
{
	/* The mask is never longer than what it replaces plus its own three
	 * characters, once per password: bounded by twice the length. */
	size_t len = strlen(url);
	char *out = xmalloc(2 * len + 8);
	char *p = out;
	const char *s = url;
	const char *scheme_end = strstr(s, "://");
	if (scheme_end != NULL) {
		const char *auth = scheme_end + 3;
		size_t auth_len = strcspn(auth, "/?#");
		const char *at = NULL;
		for (size_t i = 0; i < auth_len; i++)
			if (auth[i] == '@')
				at = auth + i;      /* the last '@' ends the user part */
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon != NULL) {
			put(&p, s, (size_t)(colon + 1 - s));
			put(&p, URL_MASK, strlen(URL_MASK));
			s = at;
		}
	}
	/* Query parameters named password. */
	const char *q = strchr(s, '?');
	if (q == NULL) {
		put(&p, s, strlen(s));
		*p = '\0';
		return out;
	}
	put(&p, s, (size_t)(q + 1 - s));
	s = q + 1;
	while (*s != '\0') {
		size_t item = strcspn(s, "&#");
		const char *eq = memchr(s, '=', item);
		if (eq != NULL && (size_t)(eq - s) == 8 && strncasecmp(s, "password", 8) == 0) {
			put(&p, s, 9);
			put(&p, URL_MASK, strlen(URL_MASK));
		} else {
			put(&p, s, item);
		}
		s += item;
		if (*s == '&') {
			put(&p, s, 1);
			s++;
		} else if (*s == '#') {
			put(&p, s, strlen(s));
			break;
		}
	}
	*p = '\0';
	return out;
}
