/*
 * fuzz_llm_reply.c: what a provider's answer goes through (llm/wire*.c,
 * llm/stream.c).  The first byte picks the wire (bit 0) and the chunking
 * (the rest); the others are the answer: parsed whole (llm_reply_parse,
 * llm_error_message, llm_reply_message), decoded as a stream fed whole
 * and fed in pieces (both must give the same reply, and the text handed
 * out on the way must be whole UTF-8 adding up to the reply's), and, when
 * it is a JSON array, used as canonical messages for a request body of
 * both wires (which must be valid JSON).
 */
#include "fuzz_util.h"

#include "llm/llm.h"
#include "util/jsonw.h"
#include "util/utf8.h"
#include "util/xalloc.h"

struct seen {
	char *text;
	size_t len, cap;
};

static void
on_text(void *arg, const char *text, size_t len)
{
	struct seen *s = arg;
	char *piece = xstrndup(text, len);
	if (len == 0 || strlen(piece) != len || !utf8_valid(piece))
		abort();	/* pieces are non-empty, whole UTF-8, without NULs */
	free(piece);
	if (s->len + len + 1 > s->cap) {
		s->cap = (s->len + len + 1) * 2;
		s->text = xrealloc(s->text, s->cap);
	}
	memcpy(s->text + s->len, text, len);
	s->len += len;
	s->text[s->len] = '\0';
}

/* The reply as text ("!" when the stream failed); malloc'd. */
static char *
reply_text(const struct llm_reply *r)
{
	char *calls = jw_dump(r->tool_calls, NULL);
	char *out = xasprintf("%s|%s|%d:%ld/%ld|%s|%s", r->text, calls, r->usage.known,
			      r->usage.input_tokens, r->usage.output_tokens, r->stop_reason,
			      r->id ? r->id : "");
	free(calls);
	return out;
}

static char *
decode(enum llm_wire wire, const char *body, size_t len, unsigned seed, struct seen *seen)
{
	struct llm_stream *s = llm_stream_new(wire);
	char *err = NULL, *out = NULL;
	int rc = 0;
	for (size_t off = 0; off < len && rc == 0;) {
		size_t n = len - off;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			size_t step = 1 + (seed >> 16) % 23;
			if (step < n)
				n = step;
		}
		rc = llm_stream_feed(s, body + off, n, on_text, seen, &err);
		off += n;
	}
	if (rc == 0) {
		struct llm_reply r;
		rc = llm_stream_finish(s, &r, &err);
		if (rc == 0) {
			out = reply_text(&r);
			if (strcmp(r.text, seen->text ? seen->text : "") != 0)
				abort();	/* the streamed text is the reply's */
			json_t *m = llm_reply_message(&r, "fallback", "2026-01-01T00:00:00Z");
			char *t = llm_message_text(m);
			if (strcmp(t, r.text) != 0)
				abort();
			free(t);
			json_decref(m);
		}
		llm_reply_clear(&r);
	}
	if ((rc != 0) != (err != NULL))
		abort();
	free(err);
	llm_stream_free(s);
	return out ? out : xstrdup("!");
}

static void
build_requests(const char *body, size_t len)
{
	json_t *messages = json_loadb(body, len, 0, NULL);
	if (!json_is_array(messages)) {
		json_decref(messages);
		return;
	}
	struct llm_request req = { .messages = messages, .tools = messages, .system = "s",
				   .force_tool = "t" };
	llm_settings_init(&req.settings);
	req.settings.temperature = 0.5;
	for (int wire = 0; wire < 2; wire++) {
		req.stream = wire;
		char *text = llm_request_body((enum llm_wire)wire, &req);
		json_t *back = json_loads(text, 0, NULL);
		if (!json_is_object(back))
			abort();	/* a body is always one JSON object */
		json_decref(back);
		free(text);
	}
	json_decref(messages);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum llm_wire wire = (data[0] & 1) ? LLM_WIRE_ANTHROPIC : LLM_WIRE_OPENAI;
	unsigned seed = data[0] >> 1 | 1u;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;

	struct llm_reply r;
	char *err = NULL;
	if (llm_reply_parse(wire, body, len, &r, &err) == 0) {
		json_t *m = llm_reply_message(&r, NULL, NULL);
		char *t = jw_dump(m, NULL);
		free(t);
		json_decref(m);
	} else if (err == NULL) {
		abort();
	}
	free(err);
	llm_reply_clear(&r);

	char *msg = llm_error_message(wire, 500, body, len, "sk-secret-key-123456");
	if (!utf8_valid(msg) || strstr(msg, "sk-secret-key-123456") != NULL)
		abort();
	free(msg);

	struct seen whole = { 0 }, pieces = { 0 };
	char *a = decode(wire, body, len, 0, &whole);
	char *b = decode(wire, body, len, seed, &pieces);
	if (strcmp(a, b) != 0)
		abort();	/* the chunking never changes the reply */
	free(a);
	free(b);
	free(whole.text);
	free(pieces.text);

	build_requests(body, len);
	return 0;
}
