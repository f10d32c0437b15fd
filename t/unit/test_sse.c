/* test_sse.c: the Server-Sent Events parser (llm/sse.c): line ends, fields,
 * comments, dispatch, chunking, bounds and errors. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "llm/sse.h"
#include "util/xalloc.h"

/* The events seen, written as "name=data;" (data's NULs as "\\0"). */
struct seen {
	char *text;
	size_t len, cap;
	int count;
	int fail_at;                 /* the event number (1-based) whose callback fails; 0: none */
};

static void
seen_add(struct seen *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->text = xrealloc(s->text, s->cap);
	}
	memcpy(s->text + s->len, p, n);
	s->len += n;
	s->text[s->len] = '\0';
}

static int
on_event(void *arg, const struct sse_event *ev, char **err)
{
	struct seen *s = arg;
	s->count++;
	if (s->fail_at == s->count) {
		*err = xstrdup("the reader refused it");
		return -1;
	}
	seen_add(s, ev->name, strlen(ev->name));
	seen_add(s, "=", 1);
	for (size_t i = 0; i < ev->data_len; i++) {
		if (ev->data[i] == '\0')
			seen_add(s, "\\0", 2);
		else
			seen_add(s, ev->data + i, 1);
	}
	seen_add(s, ";", 1);
	if (ev->data[ev->data_len] != '\0')
		seen_add(s, "(not NUL-terminated)", 20);
	return 0;
}

/* Feeds text in pieces of at most step bytes (0: whole), then finishes
 * when finish is set; returns what was seen ("ERR:msg" on an error). */
static char *
parse(const char *text, size_t len, size_t step, int finish, size_t max_event)
{
	struct sse_parser p;
	struct seen s = { 0 };
	char *err = NULL;
	int rc = 0;
	sse_init(&p, max_event);
	seen_add(&s, "", 0);
	for (size_t off = 0; off < len && rc == 0;) {
		size_t n = step == 0 || len - off < step ? len - off : step;
		rc = sse_feed(&p, text + off, n, on_event, &s, &err);
		off += n;
	}
	if (rc == 0 && finish)
		rc = sse_finish(&p, on_event, &s, &err);
	sse_free(&p);
	if (rc != 0) {
		char *out = xasprintf("ERR:%s", err ? err : "(no message)");
		free(err);
		free(s.text);
		return out;
	}
	return s.text;
}

static void
check(const char *text, const char *want, const char *name)
{
	size_t len = strlen(text);
	char *whole = parse(text, len, 0, 0, 0);
	is_str(whole, want, "%s (whole)", name);
	char *bytes = parse(text, len, 1, 0, 0);
	is_str(bytes, want, "%s (byte by byte)", name);
	free(whole);
	free(bytes);
}

static void
test_fields(void)
{
	check("data: hello\n\n", "message=hello;", "one event, default name");
	check("event: message_start\ndata: {\"a\":1}\n\n", "message_start={\"a\":1};",
	      "a named event");
	check("data: a\ndata: b\ndata: c\n\n", "message=a\nb\nc;", "data lines joined with LF");
	check("data:x\n\n", "message=x;", "no space after the colon");
	check("data:  x\n\n", "message= x;", "only one space is dropped");
	check("data\n\n", "message=;", "a field with no colon has an empty value");
	check("data:\n\n", "message=;", "an empty data line still dispatches");
	check("data\ndata\n\n", "message=\n;", "two empty data lines make one LF");
	check(": keep-alive\ndata: x\n: another\n\n", "message=x;", "comments are ignored");
	check(":\n\n", "", "a lone comment and blank line dispatch nothing");
	check("event: ping\n\ndata: y\n\n", "message=y;",
	      "an event without data is not dispatched, and its name is forgotten");
	check("id: 7\nretry: 100\nfoo: bar\ndata: z\n\n", "message=z;",
	      "id, retry and unknown fields are ignored");
	check("data: 1\n\n\n\ndata: 2\n\n", "message=1;message=2;", "extra blank lines are harmless");
	check("Data: x\n\n", "", "field names are case-sensitive");
	check("data: a:b: c\n\n", "message=a:b: c;", "only the first colon splits");
	check("event: a\nevent: b\ndata: x\n\n", "b=x;", "the last event field wins");
	check("data: x\n", "", "no blank line: nothing yet");
}

static void
test_line_ends(void)
{
	check("data: a\r\n\r\n", "message=a;", "CRLF");
	check("data: a\r\r", "message=a;", "CR alone");
	check("data: a\rdata: b\r\n\ndata: c\n\r\n", "message=a\nb;message=c;", "mixed line ends");
	char *got = parse("data: a\r\ndata: b\r\n\r\n", 20, 8, 0, 0);
	/* Pieces of 8 bytes: "data: a\r" | "\ndata: b" ...: the CR ends one
	 * piece and its LF opens the next; it is one line end, not two (two
	 * would be a blank line dispatching "a" alone). */
	is_str(got, "message=a\nb;", "a CRLF split across two chunks is one line end");
	free(got);
	struct sse_parser p;
	struct seen s = { 0 };
	char *err = NULL;
	sse_init(&p, 0);
	seen_add(&s, "", 0);
	sse_feed(&p, "data: a\r", 8, on_event, &s, &err);
	sse_feed(&p, "", 0, on_event, &s, &err);
	sse_feed(&p, "\n", 1, on_event, &s, &err);
	sse_feed(&p, "\n", 1, on_event, &s, &err);
	is_str(s.text, "message=a;", "an empty chunk between CR and LF changes nothing");
	sse_free(&p);
	free(s.text);
}

static void
test_bom_and_bytes(void)
{
	check("\xef\xbb\xbf" "data: x\n\n", "message=x;", "a BOM opening the stream is skipped");
	check("data: x\n\n\xef\xbb\xbf" "data: y\n\n", "message=x;",
	      "a BOM later is part of a field name");
	check("data: caf\xc3\xa9 \xf0\x9f\x98\x80\n\n", "message=caf\xc3\xa9 \xf0\x9f\x98\x80;",
	      "multibyte characters pass whole whatever the chunking");
	char *got = parse("data: a\0b\n\n", 11, 0, 0, 0);
	is_str(got, "message=a\\0b;", "a NUL inside data is kept and counted");
	free(got);
}

static void
test_finish(void)
{
	char *got = parse("data: x\n", 8, 0, 1, 0);
	is_str(got, "message=x;", "finish dispatches an event whose blank line never came");
	free(got);
	got = parse("data: x", 7, 3, 1, 0);
	is_str(got, "message=x;", "finish takes a last line without its end as ended");
	free(got);
	got = parse("data: x\n\n", 9, 0, 1, 0);
	is_str(got, "message=x;", "finish after a complete event adds nothing");
	free(got);
	got = parse(": only a comment", 16, 0, 1, 0);
	is_str(got, "", "finish on a comment dispatches nothing");
	free(got);
}

static void
test_bounds(void)
{
	/* The bound is on the event's data (and on one line). */
	char line[200];
	char *got = parse("data: 0123456789\n\n", 18, 0, 0, 10);
	is_str(got, "message=0123456789;", "data exactly at the bound passes");
	free(got);
	got = parse("data: 01234\ndata: 56789\n\n", 25, 0, 0, 10);
	is_str(got, "ERR:an event of the stream is larger than 10 bytes",
	       "data lines adding up past the bound fail");
	free(got);
	memset(line, 'x', sizeof(line));
	got = parse(line, 200, 4, 0, 10);
	is_str(got, "ERR:an event of the stream is larger than 10 bytes",
	       "a line growing past the bound without its end fails");
	free(got);
	/* A line may pass the bound by a field name's length (64), no more. */
	memset(line, 'x', sizeof(line));
	memcpy(line, ": ", 2);
	memcpy(line + 74, "\ndata: y\n\n", 11);
	got = parse(line, 85, 0, 0, 10);
	is_str(got, "message=y;", "a comment line of 74 bytes passes a bound of 10 (+64)");
	free(got);
	got = parse(line, 85, 5, 0, 10);
	is_str(got, "message=y;", "... also in pieces");
	free(got);
	line[74] = 'x';
	memcpy(line + 75, "\ndata: y\n\n", 11);
	got = parse(line, 86, 0, 0, 10);
	is_str(got, "ERR:an event of the stream is larger than 10 bytes",
	       "a line of 75 bytes fails in one piece");
	free(got);
	got = parse(line, 86, 5, 0, 10);
	is_str(got, "ERR:an event of the stream is larger than 10 bytes", "... and in pieces");
	free(got);

	struct sse_parser p;
	char *err = NULL;
	struct seen s = { 0 };
	sse_init(&p, 4);
	ok(sse_feed(&p, "data: 12345\n\n", 13, on_event, &s, &err) == -1, "over the bound: -1");
	free(err);
	err = NULL;
	ok(sse_feed(&p, "data: 1\n\n", 9, on_event, &s, &err) == -1 && err != NULL,
	   "a failed parser refuses more input with a message");
	free(err);
	sse_free(&p);
	free(s.text);

	/* Two MiB of data in 1000-byte pieces: linear, one event. */
	size_t n = 2u << 20;
	char *big = xmalloc(n + 16);
	memcpy(big, "data: ", 6);
	memset(big + 6, 'x', n);
	memcpy(big + 6 + n, "\n\n", 2);
	sse_init(&p, 0);
	struct seen s2 = { 0 };
	int rc = 0;
	for (size_t off = 0; off < n + 8 && rc == 0; off += 1000)
		rc = sse_feed(&p, big + off, n + 8 - off < 1000 ? n + 8 - off : 1000, on_event,
			      &s2, &err);
	is_int(rc, 0, "a 2 MiB event in 1000-byte chunks parses");
	is_int(s2.count, 1, "... as one event");
	is_int(s2.len, n + strlen("message=;"), "... with all its data");
	sse_free(&p);
	free(s2.text);
	free(big);
}

static void
test_callback_error(void)
{
	struct sse_parser p;
	struct seen s = { .fail_at = 2 };
	char *err = NULL;
	sse_init(&p, 0);
	int rc = sse_feed(&p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27, on_event, &s, &err);
	is_int(rc, -1, "a callback error stops the feed");
	is_str(err, "the reader refused it", "... with the callback's message");
	is_int(s.count, 2, "... and no later event is read");
	free(err);
	sse_free(&p);
	free(s.text);
}

/* A small deterministic generator, so a failure is reproducible. */
static unsigned long rng_state = 12345;
static unsigned
rng(unsigned n)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng_state >> 33) % n);
}

static void
test_random_chunking(void)
{
	const char *stream =
		"\xef\xbb\xbf: hello\r\n"
		"event: message_start\r\n"
		"data: {\"type\":\"message_start\"}\r\n\r\n"
		"event: content_block_delta\n"
		"data: {\"text\":\"caf\xc3\xa9 \xe2\x82\xac\"}\n\n"
		"event: ping\rdata:{}\r\r"
		"data: line one\ndata:line two\n: comment\n\n"
		"data: [DONE]\n\n";
	size_t len = strlen(stream);
	char *want = parse(stream, len, 0, 1, 0);
	int same = 1;
	for (int round = 0; round < 500 && same; round++) {
		struct sse_parser p;
		struct seen s = { 0 };
		char *err = NULL;
		sse_init(&p, 0);
		seen_add(&s, "", 0);
		for (size_t off = 0; off < len;) {
			size_t n = 1 + rng(12);
			if (n > len - off)
				n = len - off;
			if (sse_feed(&p, stream + off, n, on_event, &s, &err) != 0)
				same = 0;
			off += n;
		}
		sse_finish(&p, on_event, &s, &err);
		if (strcmp(s.text, want) != 0) {
			same = 0;
			printf("# round %d got: %s\n", round, s.text);
		}
		sse_free(&p);
		free(s.text);
		free(err);
	}
	ok(same, "500 random chunkings give the same events as the whole stream");
	is_str(want,
	       "message_start={\"type\":\"message_start\"};"
	       "content_block_delta={\"text\":\"caf\xc3\xa9 \xe2\x82\xac\"};"
	       "ping={};message=line one\nline two;message=[DONE];",
	       "... which are the expected ones");
	free(want);
}

int
main(void)
{
	test_fields();
	test_line_ends();
	test_bom_and_bytes();
	test_finish();
	test_bounds();
	test_callback_error();
	test_random_chunking();
	return done_testing();
}
