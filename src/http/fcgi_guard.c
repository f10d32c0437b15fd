/* fcgi_guard.c: see fcgi_guard.h. */
#include "fcgi_guard.h"

#include <stdlib.h>
#include <string.h>

#define FCGI_VERSION_1 1
#define FCGI_BEGIN_REQUEST 1
#define FCGI_PARAMS 4
#define FCGI_HEADER_LEN 8
#define FCGI_BEGIN_BODY_LEN 8

/* One length of a name-value pair: 1 byte below 128, else 4 bytes with
 * the top bit set.  Returns the bytes used, 0 when cut short. */
static size_t
pair_length(const unsigned char *p, size_t avail, size_t *out)
{
	if (avail < 1)
		return 0;
	if (p[0] < 0x80) {
		*out = p[0];
		return 1;
	}
	if (avail < 4)
		return 0;
	*out = ((size_t)(p[0] & 0x7f) << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
	return 4;
}

/* The pairs fill the parameter stream exactly. */
static int
pairs_fit(const unsigned char *p, size_t len)
{
	size_t off = 0;
	while (off < len) {
		size_t name, value, a, b;
		if ((a = pair_length(p + off, len - off, &name)) == 0)
			return 0;
		off += a;
		if ((b = pair_length(p + off, len - off, &value)) == 0)
			return 0;
		off += b;
		if (name == 0 || name > len - off || value > len - off - name)
			return 0;
		off += name + value;
	}
	return 1;
}

enum fcgi_guard
fcgi_guard_check(const unsigned char *buf, size_t len)
{
	unsigned char *params = malloc(len > 0 ? len : 1);	/* the pairs, joined */
	size_t params_len = 0, off = 0;
	unsigned request_id = 0;
	enum fcgi_guard verdict = FCGI_GUARD_MORE;
	if (params == NULL)
		return FCGI_GUARD_BAD;
	while (verdict == FCGI_GUARD_MORE && off + FCGI_HEADER_LEN <= len) {
		const unsigned char *h = buf + off;
		unsigned type = h[1], id = (unsigned)h[2] << 8 | h[3];
		size_t content = (size_t)h[4] << 8 | h[5], padding = h[6];
		int first = off == 0;
		if (h[0] != FCGI_VERSION_1 || id == 0 || (!first && id != request_id) ||
		    type != (first ? FCGI_BEGIN_REQUEST : FCGI_PARAMS) ||
		    (first && content != FCGI_BEGIN_BODY_LEN)) {
			verdict = FCGI_GUARD_BAD;
			break;
		}
		if (off + FCGI_HEADER_LEN + content + padding > len)
			break;	/* the rest of this record has not arrived */
		request_id = id;
		if (!first && content == 0)
			verdict = pairs_fit(params, params_len) ? FCGI_GUARD_OK : FCGI_GUARD_BAD;
		else if (!first) {
			memcpy(params + params_len, h + FCGI_HEADER_LEN, content);
			params_len += content;
		}
		off += FCGI_HEADER_LEN + content + padding;
	}
	free(params);
	if (verdict == FCGI_GUARD_MORE && len >= FCGI_GUARD_MAX_BYTES)
		verdict = FCGI_GUARD_BAD;
	return verdict;
}
