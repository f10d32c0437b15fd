/*
 * sse.h: an incremental Server-Sent Events parser (the WHATWG
 * "text/event-stream" interpretation), pure: bytes in, events out.
 *
 * Bytes may arrive in any chunking.  Lines end in LF, CRLF or CR (a CRLF
 * split across two chunks is one line end); a line starting with ':' is a
 * comment; "field: value" drops one space after the colon; several data
 * lines are joined with "\n"; a blank line dispatches the event (none when
 * it had no data line).  A byte-order mark opening the stream is skipped.
 * "id" and "retry" are read and ignored (nothing here reconnects).
 *
 * Memory: two buffers (the partial line, the event's data) grow by
 * doubling and are reused from event to event, so a stream costs no
 * allocation per byte or per event once they have grown; an event larger
 * than the parser's bound fails the stream instead of growing further.
 *
 *   struct sse_parser p;
 *   sse_init(&p, SSE_DEFAULT_MAX_EVENT);
 *   while (bytes arrive)
 *           if (sse_feed(&p, buf, len, on_event, arg, &err) != 0) ... fail with err
 *   sse_finish(&p, on_event, arg, &err);   (at the end of the body)
 *   sse_free(&p);
 */
#ifndef PIPELIT_LLM_SSE_H
#define PIPELIT_LLM_SSE_H

#include <stddef.h>

#define SSE_DEFAULT_MAX_EVENT ((size_t)4 << 20)   /* 4 MiB: of an event's data, and of one line */
#define SSE_EVENT_NAME_MAX 64                     /* longer names are cut */

/* One dispatched event; valid only during the callback. */
struct sse_event {
	const char *name;            /* "message" when the event had no "event:" field */
	const char *data;            /* NUL-terminated (may hold NULs of its own) */
	size_t data_len;
};

/* Called for each complete event: 0 to go on, or -1 with *err set
 * (malloc'd) to stop the feed, which then returns -1 with that message. */
typedef int (*sse_event_fn)(void *arg, const struct sse_event *ev, char **err);

struct sse_parser {
	size_t max_event;
	char *line;                  /* a line not yet ended (owned) */
	size_t line_len, line_cap;
	char *data;                  /* the event's data so far (owned) */
	size_t data_len, data_cap;
	int has_data;                /* a data field was seen since the last dispatch */
	char name[SSE_EVENT_NAME_MAX + 1];
	int after_cr;                /* the last byte fed was a CR: an LF next ends nothing */
	int started;                 /* a line was read (the BOM is only looked for before) */
	int failed;
};

void sse_init(struct sse_parser *p, size_t max_event);
void sse_free(struct sse_parser *p);

/* Parses len more bytes, calling fn for every event they complete.  0, or
 * -1 with *err (malloc'd): an event or line over the bound, or fn's own
 * error.  A failed parser refuses further input. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *arg,
	     char **err);

/* The end of the stream: a last line without its line end is taken as
 * ended, and an event whose blank line never came is dispatched (servers
 * that close right after their last line exist).  0 or -1 as sse_feed. */
int sse_finish(struct sse_parser *p, sse_event_fn fn, void *arg, char **err);

#endif
