/* sse.c: see sse.h. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* A line may be this much longer than an event's data: its field name. */
#define SSE_LINE_SLACK 64

/* A buffer that grew this large for one big event or line is given back
 * after it, so a long-lived stream does not keep its largest event. */
#define SSE_KEEP_CAP ((size_t)64 << 10)

void
sse_init(struct sse_parser *p, size_t max_event)
{
	memset(p, 0, sizeof(*p));
	p->max_event = max_event ? max_event : SSE_DEFAULT_MAX_EVENT;
}

void
sse_free(struct sse_parser *p)
{
	free(p->line);
	free(p->data);
	memset(p, 0, sizeof(*p));
}

static int
fail(struct sse_parser *p, char **err, char *msg)
{
	p->failed = 1;
	if (err != NULL)
		*err = msg;
	else
		free(msg);
	return -1;
}

static int
too_big(struct sse_parser *p, char **err)
{
	return fail(p, err, xasprintf("an event of the stream is larger than %zu bytes",
				      p->max_event));
}

/* Room for n more bytes and a NUL in *buf (doubling, so appends stay linear). */
static void
reserve(char **buf, size_t *cap, size_t len, size_t n)
{
	if (len + n + 1 <= *cap)
		return;
	size_t want = *cap ? *cap : 256;
	while (want < len + n + 1)
		want *= 2;
	*buf = xrealloc(*buf, want);
	*cap = want;
}

static int
append_data(struct sse_parser *p, const char *s, size_t n, char **err)
{
	size_t sep = p->has_data ? 1 : 0;
	if (p->data_len + sep + n > p->max_event)
		return too_big(p, err);
	reserve(&p->data, &p->data_cap, p->data_len, sep + n);
	if (sep)
		p->data[p->data_len++] = '\n';
	memcpy(p->data + p->data_len, s, n);
	p->data_len += n;
	p->data[p->data_len] = '\0';
	p->has_data = 1;
	return 0;
}

static void
reset_event(struct sse_parser *p)
{
	p->data_len = 0;
	p->has_data = 0;
	p->name[0] = '\0';
	if (p->data_cap > SSE_KEEP_CAP) {
		free(p->data);
		p->data = NULL;
		p->data_cap = 0;
	}
}

static int
dispatch(struct sse_parser *p, sse_event_fn fn, void *arg, char **err)
{
	if (!p->has_data) {
		p->name[0] = '\0';
		return 0;
	}
	struct sse_event ev = {
		.name = p->name[0] ? p->name : "message",
		.data = p->data ? p->data : "",
		.data_len = p->data_len,
	};
	char *msg = NULL;
	int rc = fn(arg, &ev, &msg);
	reset_event(p);
	if (rc != 0)
		return fail(p, err, msg ? msg : xstrdup("the stream's reader stopped"));
	return 0;
}

static int
field_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(name, want, n) == 0;
}

/* One whole line (without its line end). */
static int
process_line(struct sse_parser *p, const char *s, size_t n, sse_event_fn fn, void *arg,
	     char **err)
{
	if (!p->started) {
		p->started = 1;
		if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			n -= 3;
		}
	}
	if (n == 0)
		return dispatch(p, fn, arg, err);
	if (s[0] == ':')
		return 0;	/* a comment (keep-alives, ": OPENROUTER PROCESSING") */
	const char *colon = memchr(s, ':', n);
	size_t name_len = colon ? (size_t)(colon - s) : n;
	const char *value = colon ? colon + 1 : s + n;
	size_t value_len = colon ? n - name_len - 1 : 0;
	if (value_len > 0 && value[0] == ' ') {
		value++;
		value_len--;
	}
	if (field_is(s, name_len, "data"))
		return append_data(p, value, value_len, err);
	if (field_is(s, name_len, "event")) {
		size_t k = value_len < SSE_EVENT_NAME_MAX ? value_len : SSE_EVENT_NAME_MAX;
		memcpy(p->name, value, k);
		p->name[k] = '\0';
	}
	/* "id", "retry" and unknown fields: nothing to do without reconnecting. */
	return 0;
}

/* The first CR or LF in s[0..n), or NULL. */
static const char *
find_line_end(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r')
			return s + i;
	return NULL;
}

int
sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *arg,
	 char **err)
{
	if (p->failed)
		return fail(p, err, xstrdup("the stream failed earlier"));
	const char *s = buf, *end = buf + len;
	if (p->after_cr && s < end) {
		p->after_cr = 0;
		if (*s == '\n')
			s++;
	}
	while (s < end) {
		const char *eol = find_line_end(s, (size_t)(end - s));
		if (eol == NULL) {
			size_t n = (size_t)(end - s);
			if (p->line_len + n > p->max_event + SSE_LINE_SLACK)
				return too_big(p, err);
			reserve(&p->line, &p->line_cap, p->line_len, n);
			memcpy(p->line + p->line_len, s, n);
			p->line_len += n;
			break;
		}
		int rc;
		size_t n = (size_t)(eol - s);
		if (p->line_len > 0) {
			/* The line began in an earlier chunk: finish it in the buffer. */
			if (p->line_len + n > p->max_event + SSE_LINE_SLACK)
				return too_big(p, err);
			reserve(&p->line, &p->line_cap, p->line_len, n);
			memcpy(p->line + p->line_len, s, n);
			p->line_len += n;
			rc = process_line(p, p->line, p->line_len, fn, arg, err);
			p->line_len = 0;
			if (p->line_cap > SSE_KEEP_CAP) {
				free(p->line);
				p->line = NULL;
				p->line_cap = 0;
			}
		} else {
			/* The same bound as a line gathered from pieces, so the
			 * chunking never changes what is accepted. */
			if (n > p->max_event + SSE_LINE_SLACK)
				return too_big(p, err);
			rc = process_line(p, s, n, fn, arg, err);
		}
		if (rc != 0)
			return -1;
		s = eol + 1;
		if (*eol == '\r') {
			if (s == end)
				p->after_cr = 1;
			else if (*s == '\n')
				s++;
		}
	}
	return 0;
}

int
sse_finish(struct sse_parser *p, sse_event_fn fn, void *arg, char **err)
{
	if (p->failed)
		return fail(p, err, xstrdup("the stream failed earlier"));
	if (p->line_len > 0) {
		int rc = process_line(p, p->line, p->line_len, fn, arg, err);
		p->line_len = 0;
		if (rc != 0)
			return -1;
	}
	p->after_cr = 0;
	return dispatch(p, fn, arg, err);
}
