/*
 * fuzz_sse.c: the Server-Sent Events parser (llm/sse.c).  The input is
 * parsed whole and again in pieces whose sizes come from the input
 * itself; both must give the same events (chunking never changes what is
 * read), under a small bound so the size checks are reached.
 */
#include "fuzz_util.h"

#include "llm/sse.h"
#include "util/xalloc.h"

struct record {
	char *text;
	size_t len, cap;
};

static void
put(struct record *r, const char *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->text = xrealloc(r->text, r->cap);
	}
	memcpy(r->text + r->len, s, n);
	r->len += n;
}

static int
on_event(void *arg, const struct sse_event *ev, char **err)
{
	struct record *r = arg;
	if (ev->data[ev->data_len] != '\0')
		abort();	/* data must be NUL-terminated */
	put(r, ev->name, strlen(ev->name) + 1);
	put(r, ev->data, ev->data_len);
	put(r, "\0\n", 2);
	(void)err;
	return 0;
}

/* Parses data in pieces (sizes from seed; 0: whole); the events and the
 * outcome, recorded. */
static void
parse(const uint8_t *data, size_t size, unsigned seed, struct record *r)
{
	struct sse_parser p;
	char *err = NULL;
	int rc = 0;
	sse_init(&p, 1024);
	for (size_t off = 0; off < size && rc == 0;) {
		size_t n = size - off;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			size_t step = 1 + (seed >> 16) % 17;
			if (step < n)
				n = step;
		}
		rc = sse_feed(&p, (const char *)data + off, n, on_event, r, &err);
		off += n;
	}
	if (rc == 0)
		rc = sse_finish(&p, on_event, r, &err);
	put(r, rc == 0 ? "ok" : "failed", rc == 0 ? 2 : 6);
	if ((rc != 0) != (err != NULL))
		abort();
	free(err);
	sse_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record whole = { 0 }, pieces = { 0 };
	unsigned seed = size > 0 ? data[0] + 1u : 1u;
	parse(data, size, 0, &whole);
	parse(data, size, seed, &pieces);
	/* The bounds are on the event's data and on one line, whatever
	 * the pieces: the outcome and the events are the same. */
	if (whole.len != pieces.len || memcmp(whole.text, pieces.text, whole.len) != 0)
		abort();
	free(whole.text);
	free(pieces.text);
	return 0;
}
