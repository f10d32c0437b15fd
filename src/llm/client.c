/*
 * client.c: one LLM call in flight on a caller's libcurl multi handle
 * (client.h).
 *
 * Each attempt is one easy handle, configured by the outbound policy with
 * the same-origin rule and one total deadline, and bound to the call with
 * net/transfer.h; the loop hands it back through on_done().  What arrives
 * is read as it comes: a 2xx event stream goes to the stream decoder
 * (text reaches on_text at once), a whole answer is kept (bounded) and
 * parsed at the end, an error answer keeps its first bytes for the
 * message.  Then the call is done, fails, or waits out a back-off: the
 * next attempt starts from llm_call_tick(), never from inside a callback.
 *
 * What is retried (retry.h): a transport failure (no connection, reset,
 * timeout) and 408, 409, 429, 5xx.  What is not: an answer the provider
 * finished but that is not well formed (llm_malformed), a 2xx body that
 * stopped short of its Content-Length or last chunk, or a stream that
 * ended before its final event (llm_cut), a refusal of the outbound
 * policy (llm_refused), any other status.
 */
#include "llm/client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "llm/probe.h"
#include "llm/retry.h"
#include "net/outbound.h"
#include "net/transfer.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* A whole answer larger than this is refused (a reply is a few hundred
 * KB at most); a stream may carry more, as events are consumed. */
#define LLM_WHOLE_BODY_MAX (8L << 20)
#define LLM_STREAM_BODY_MAX (64L << 20)
/* An error answer is read for its message only. */
#define LLM_ERROR_BODY_MAX (64L << 10)
#define LLM_MESSAGE_CHARS 600

enum body_mode {
	BODY_UNDECIDED = 0,
	BODY_STREAM,     /* a 2xx event stream: fed to the decoder */
	BODY_WHOLE,      /* a 2xx answer in one piece: kept and parsed */
	BODY_ERROR,      /* any other status: its first bytes, for the message */
};

struct buf {
	char *data;
	size_t len, cap;
};

struct llm_call {
	struct transfer xfer;        /* first: how the loop finds the call */
	CURLM *multi;                /* borrowed */
	struct llm_call_options opt;
	enum llm_wire wire;
	int stream_requested;
	char *url, *body;            /* owned, built once for every attempt */
	struct curl_slist *headers;  /* owned; holds the key */
	char *secret;                /* owned copy of the key, for masking messages */
	llm_text_fn on_text;
	void (*on_restart)(void *arg);
	void *arg;

	/* The attempt in flight (easy != NULL). */
	CURL *easy;
	struct outbound_guard guard;
	char errbuf[CURL_ERROR_SIZE];
	enum body_mode mode;
	struct llm_stream *stream;
	struct buf answer;
	size_t received;
	char *retry_after, *retry_after_ms;   /* the last response's headers, owned */
	char *stop_code, *stop_message;       /* why on_body() stopped the transfer */
	int text_delivered;                   /* on_text has had text of this answer */

	enum llm_call_state state;
	int requests;
	int64_t wake_at;
	struct llm_reply reply;
	char *error;
	char code[32];
};

static void start_attempt(struct llm_call *c);

void
llm_call_options_init(struct llm_call_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_retries = 2;
	o->connect_timeout_ms = 10000;
	o->attempt_timeout_ms = 600000;
	o->backoff_scale = 1.0;
}

/* --- small helpers ---------------------------------------------------------- */

static void
buf_append(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_reset(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* A message for the caller: bounded, valid UTF-8, the key masked. */
static char *
masked(const struct llm_call *c, const char *text)
{
	return probe_excerpt(text, strlen(text), LLM_MESSAGE_CHARS, c->secret);
}

static void
fail(struct llm_call *c, const char *code, const char *message)
{
	free(c->error);
	c->error = masked(c, message);
	snprintf(c->code, sizeof(c->code), "%s", code);
	c->state = LLM_CALL_FAILED;
	c->wake_at = 0;
}

/* Remembers why on_body() stops the transfer; on_done() fails the call. */
static size_t
stop_transfer(struct llm_call *c, const char *code, const char *message)
{
	if (c->stop_code == NULL) {
		c->stop_code = xstrdup(code);
		c->stop_message = xstrdup(message);
	}
	return 0;   /* libcurl ends the transfer with CURLE_WRITE_ERROR */
}

static double
random_unit(void)
{
	uint32_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time_now_ms() * 2654435761u;
	return (double)r / 4294967296.0;
}

static long
response_status(CURL *easy)
{
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* --- receiving ---------------------------------------------------------------- */

static void
deliver_text(void *arg, const char *text, size_t len)
{
	struct llm_call *c = arg;
	if (len == 0)
		return;
	c->text_delivered = 1;
	if (c->on_text)
		c->on_text(c->arg, text, len);
}

/* The first bytes of a body say what it is: the status and content type
 * are known by then. */
static void
choose_mode(struct llm_call *c)
{
	long status = response_status(c->easy);
	if (status < 200 || status > 299) {
		c->mode = BODY_ERROR;
		return;
	}
	char *ctype = NULL;
	curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ctype);
	/* A server that does not stream answers JSON even when asked to. */
	if (c->stream_requested && ctype != NULL && strncasecmp(ctype, "text/event-stream", 17) == 0) {
		c->mode = BODY_STREAM;
		c->stream = llm_stream_new(c->wire);
	} else {
		c->mode = BODY_WHOLE;
	}
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct llm_call *c = userdata;
	size_t len = size * nmemb;
	if (c->mode == BODY_UNDECIDED)
		choose_mode(c);
	c->received += len;
	switch (c->mode) {
	case BODY_STREAM: {
		if (c->received > (size_t)LLM_STREAM_BODY_MAX)
			return stop_transfer(c, "llm_malformed", "the streamed answer is larger than 64 MiB");
		char *err = NULL;
		if (llm_stream_feed(c->stream, ptr, len, deliver_text, c, &err) != 0) {
			stop_transfer(c, "llm_malformed",
				      err ? err : "the provider's stream is not well formed");
			free(err);
			return 0;
		}
		return len;
	}
	case BODY_WHOLE:
		if (c->received > (size_t)LLM_WHOLE_BODY_MAX)
			return stop_transfer(c, "llm_malformed", "the answer is larger than 8 MiB");
		buf_append(&c->answer, ptr, len);
		return len;
	default:
		if (c->answer.len < (size_t)LLM_ERROR_BODY_MAX) {
			size_t room = (size_t)LLM_ERROR_BODY_MAX - c->answer.len;
			buf_append(&c->answer, ptr, len < room ? len : room);
		}
		return len;
	}
}

/* Keeps Retry-After and retry-after-ms of the last response only (a 100
 * Continue or a redirect starts a new one). */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct llm_call *c = userdata;
	size_t len = size * nmemb;
	if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		free(c->retry_after);
		free(c->retry_after_ms);
		c->retry_after = c->retry_after_ms = NULL;
		return len;
	}
	const char *colon = memchr(ptr, ':', len);
	if (colon == NULL)
		return len;
	size_t nlen = (size_t)(colon - ptr);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen > 64)
		return len;
	if (nlen == 11 && strncasecmp(ptr, "retry-after", 11) == 0) {
		free(c->retry_after);
		c->retry_after = xstrndup(v, vlen);
	} else if (nlen == 14 && strncasecmp(ptr, "retry-after-ms", 14) == 0) {
		free(c->retry_after_ms);
		c->retry_after_ms = xstrndup(v, vlen);
	}
	return len;
}

/* --- the attempt's end ------------------------------------------------------- */

static void
end_attempt(struct llm_call *c)
{
	if (c->easy != NULL) {
		curl_multi_remove_handle(c->multi, c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		outbound_guard_free(&c->guard);
	}
	llm_stream_free(c->stream);
	c->stream = NULL;
	buf_reset(&c->answer);
	free(c->retry_after);
	free(c->retry_after_ms);
	free(c->stop_code);
	free(c->stop_message);
	c->retry_after = c->retry_after_ms = c->stop_code = c->stop_message = NULL;
	c->mode = BODY_UNDECIDED;
	c->received = 0;
	c->errbuf[0] = '\0';
}

/* A retryable failure: another attempt after the back-off, or the end. */
static void
retry_or_fail(struct llm_call *c, const char *code, const char *message, int64_t provider_wait_ms)
{
	int retries_done = c->requests - 1;
	if (retries_done >= c->opt.max_retries) {
		char *msg = c->requests > 1
			? xasprintf("%s (gave up after %d requests)", message, c->requests)
			: xstrdup(message);
		fail(c, code, msg);
		free(msg);
		return;
	}
	int64_t wait = provider_wait_ms >= 0 ? provider_wait_ms
		: llm_backoff_ms(retries_done + 1, random_unit());
	double scaled = (double)wait * c->opt.backoff_scale;
	if (!(scaled >= 0))
		scaled = 0;
	c->wake_at = time_now_ms() + (int64_t)scaled;
	/* Keep the reason, in case the caller looks before the next attempt. */
	free(c->error);
	c->error = masked(c, message);
	snprintf(c->code, sizeof(c->code), "%s", code);
	/* The text so far belongs to an answer that will not finish. */
	if (c->text_delivered && c->on_restart)
		c->on_restart(c->arg);
	c->text_delivered = 0;
}

static void
transport_failed(struct llm_call *c, CURLcode res, long status)
{
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(res);
	if (res == CURLE_PARTIAL_FILE && status >= 200 && status <= 299) {
		/* The provider answered and stopped short: asking again costs money. */
		char *msg = xasprintf("the provider's answer was cut off (%s)", detail);
		fail(c, "llm_cut", msg);
		free(msg);
		return;
	}
	char *msg;
	const char *code;
	if (res == CURLE_OPERATION_TIMEDOUT) {
		code = "llm_timeout";
		msg = xasprintf(c->received > 0 ? "the provider's answer did not finish within %ld ms"
				: "the provider did not answer within %ld ms", c->opt.attempt_timeout_ms);
	} else {
		code = "llm_connection";
		msg = xasprintf("could not reach the provider: %s", detail);
	}
	retry_or_fail(c, code, msg, -1);
	free(msg);
}

static void
error_status(struct llm_call *c, long status)
{
	char *msg = llm_error_message(c->wire, status, c->answer.data ? c->answer.data : "",
				      c->answer.len, c->secret);
	char code[32];
	snprintf(code, sizeof(code), "llm_http_%ld", status);
	if (llm_status_retryable(status))
		retry_or_fail(c, code,
			      msg, llm_retry_after_ms(c->retry_after, c->retry_after_ms, time_now_ms()));
	else
		fail(c, code, msg);
	free(msg);
}

static void
answer_arrived(struct llm_call *c)
{
	char *err = NULL;
	if (c->mode == BODY_STREAM) {
		if (llm_stream_finish(c->stream, &c->reply, &err) != 0) {
			fail(c, "llm_cut", err ? err : "the provider's stream ended before its final event");
			free(err);
			return;
		}
	} else {
		if (llm_reply_parse(c->wire, c->answer.data ? c->answer.data : "", c->answer.len,
				    &c->reply, &err) != 0) {
			fail(c, "llm_malformed", err ? err : "the provider's answer is not well formed");
			free(err);
			return;
		}
		/* Asked to stream, answered whole: the text still reaches on_text. */
		if (c->stream_requested && c->reply.text != NULL)
			deliver_text(c, c->reply.text, strlen(c->reply.text));
	}
	c->state = LLM_CALL_DONE;
	c->wake_at = 0;
	free(c->error);
	c->error = NULL;
	c->code[0] = '\0';
}

static void
on_done(struct transfer *t, CURL *easy, CURLcode res)
{
	struct llm_call *c = (struct llm_call *)t;
	if (c->opt.ended_flag)
		*c->opt.ended_flag = 1;
	long status = response_status(easy);
	if (c->mode == BODY_UNDECIDED && res == CURLE_OK)
		choose_mode(c);

	if (c->stop_code != NULL) {
		fail(c, c->stop_code, c->stop_message);
	} else if (c->guard.refused || c->guard.refused_redirect) {
		char *why = outbound_refusal_text(&c->guard);
		fail(c, "llm_refused", why ? why : "refused by the outbound policy");
		free(why);
	} else if (res != CURLE_OK) {
		transport_failed(c, res, status);
	} else if (status < 200 || status > 299) {
		error_status(c, status);
	} else {
		answer_arrived(c);
	}
	end_attempt(c);
}

/* --- starting ------------------------------------------------------------------ */

static void
start_attempt(struct llm_call *c)
{
	c->wake_at = 0;
	c->easy = curl_easy_init();
	if (c->easy == NULL) {
		fail(c, "llm_connection", "could not create a transfer");
		return;
	}
	memset(&c->guard, 0, sizeof(c->guard));
	long timeout = c->opt.attempt_timeout_ms > 0 ? c->opt.attempt_timeout_ms : 600000;
	if (outbound_configure(c->easy, c->opt.policy, c->url, timeout, 0, OUTBOUND_SAME_ORIGIN,
			       &c->guard) != 0) {
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		outbound_guard_free(&c->guard);
		fail(c, "llm_refused", "the provider's URL is not an http or https URL");
		return;
	}
	long connect = c->opt.connect_timeout_ms > 0 ? c->opt.connect_timeout_ms : 10000;
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, connect < timeout ? connect : timeout);
	curl_easy_setopt(c->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	c->errbuf[0] = '\0';
	c->xfer.done = on_done;
	transfer_bind(c->easy, &c->xfer);
	if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		outbound_guard_free(&c->guard);
		fail(c, "llm_connection", "could not add the transfer to the event loop");
		return;
	}
	c->requests++;
}

struct llm_call *
llm_call_start(CURLM *multi, const struct llm_provider *p, const struct llm_request *req,
	       const struct llm_call_options *o, llm_text_fn on_text, void (*on_restart)(void *arg),
	       void *arg)
{
	struct llm_call *c = xcalloc(1, sizeof(*c));
	c->multi = multi;
	if (o != NULL)
		c->opt = *o;
	else
		llm_call_options_init(&c->opt);
	if (c->opt.max_retries < 0)
		c->opt.max_retries = 0;
	c->wire = llm_wire_of(p);
	c->stream_requested = req->stream;
	c->on_text = on_text;
	c->on_restart = on_restart;
	c->arg = arg;
	c->secret = xstrdup(p->api_key ? p->api_key : "");
	c->reply.tool_calls = NULL;
	c->url = llm_endpoint_url(p);
	c->body = llm_request_body(c->wire, req);
	/* (It already removes curl's "Expect: 100-continue".) */
	c->headers = llm_request_headers(p, req->stream);
	c->state = LLM_CALL_RUNNING;
	if (c->url == NULL || c->body == NULL) {
		fail(c, "llm_refused", "the provider has no usable URL or the request cannot be built");
		return c;
	}
	if (c->headers == NULL) {
		fail(c, "llm_refused", "the credential's API key or a custom header cannot be sent "
				       "(a line break, or a header name that is not a token)");
		return c;
	}
	start_attempt(c);
	return c;
}

/* --- the caller's view ---------------------------------------------------------- */

enum llm_call_state
llm_call_state(const struct llm_call *c)
{
	return c->state;
}

int64_t
llm_call_wake_at(const struct llm_call *c)
{
	return c->state == LLM_CALL_RUNNING && c->easy == NULL ? c->wake_at : 0;
}

void
llm_call_tick(struct llm_call *c, int64_t now_ms)
{
	if (c->state != LLM_CALL_RUNNING || c->easy != NULL || now_ms < c->wake_at)
		return;
	start_attempt(c);
}

const struct llm_reply *
llm_call_reply(const struct llm_call *c)
{
	return c->state == LLM_CALL_DONE ? &c->reply : NULL;
}

const char *
llm_call_error(const struct llm_call *c)
{
	return c->state == LLM_CALL_FAILED && c->error ? c->error : NULL;
}

const char *
llm_call_error_code(const struct llm_call *c)
{
	return c->state == LLM_CALL_FAILED ? c->code : NULL;
}

int
llm_call_requests(const struct llm_call *c)
{
	return c->requests;
}

void
llm_call_free(struct llm_call *c)
{
	if (c == NULL)
		return;
	end_attempt(c);
	llm_reply_clear(&c->reply);
	free(c->url);
	free(c->body);
	curl_slist_free_all(c->headers);
	if (c->secret) {
		explicit_bzero(c->secret, strlen(c->secret));
		free(c->secret);
	}
	free(c->error);
	free(c);
}
