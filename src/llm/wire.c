/*
 * wire.c: what both wire formats share (llm.h): the wire of a provider,
 * its endpoint and headers, the canonical messages read for a request,
 * replies parsed and turned back into canonical messages, and a
 * provider's error answer in a few readable words.  Pure: no I/O.
 */
#include "llm/llm.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llm/wire_internal.h"
#include "util/xalloc.h"

#define ANTHROPIC_VERSION "2023-06-01"

enum llm_wire
llm_wire_of(const struct llm_provider *p)
{
	return p->provider_type != NULL && strcmp(p->provider_type, "anthropic") == 0
		       ? LLM_WIRE_ANTHROPIC
		       : LLM_WIRE_OPENAI;
}

void
llm_settings_init(struct llm_settings *s)
{
	s->model = NULL;
	s->temperature = s->top_p = NAN;
	s->frequency_penalty = s->presence_penalty = NAN;
	s->max_tokens = -1;
	s->response_format = NULL;
}

/* --- endpoint and headers ------------------------------------------------ */

char *
llm_endpoint_url(const struct llm_provider *p)
{
	return llm_api_url(p, llm_wire_of(p) == LLM_WIRE_ANTHROPIC ? "/messages"
								    : "/chat/completions");
}

/* RFC 9110 token characters: what a header name may be made of. */
static int
is_header_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	return 1;
}

/* A value that cannot end the header early or smuggle another one. */
static int
is_header_value(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* The credential's custom header of that name (case-insensitive), or NULL. */
static const char *
custom_header(const struct llm_provider *p, const char *name)
{
	const char *key;
	json_t *value;
	if (!json_is_object(p->custom_headers))
		return NULL;
	json_object_foreach(p->custom_headers, key, value)
		if (strcasecmp(key, name) == 0)
			return json_string_value(value);
	return NULL;
}

/* Appends "name: value" ("name;" sends an empty value); *ok is cleared
 * when curl cannot. */
static struct curl_slist *
add_header(struct curl_slist *list, const char *name, const char *value, int *ok)
{
	char *line = *value ? xasprintf("%s: %s", name, value) : xasprintf("%s;", name);
	struct curl_slist *next = curl_slist_append(list, line);
	free(line);
	if (next == NULL)
		*ok = 0;
	return next ? next : list;
}

/* One of our own headers, unless the credential sets that name itself
 * (a proxy's own key header, a newer anthropic-version). */
static struct curl_slist *
add_own_header(struct curl_slist *list, const struct llm_provider *p, const char *name,
	       const char *value, int *ok)
{
	if (custom_header(p, name) != NULL)
		return list;
	return add_header(list, name, value, ok);
}

struct curl_slist *
llm_request_headers(const struct llm_provider *p, int stream)
{
	const char *key = p->api_key ? p->api_key : "";
	if (!is_header_value(key) || (p->organization_id && !is_header_value(p->organization_id)))
		return NULL;
	if (json_is_object(p->custom_headers)) {
		const char *name;
		json_t *value;
		json_object_foreach(p->custom_headers, name, value)
			if (!is_header_name(name) || !is_header_value(json_string_value(value)))
				return NULL;
	}
	int ok = 1;
	struct curl_slist *h = NULL;
	h = add_own_header(h, p, "Content-Type", "application/json", &ok);
	h = add_own_header(h, p, "Accept", stream ? "text/event-stream" : "application/json", &ok);
	/* "Expect:" with no value removes curl's own "Expect: 100-continue"
	 * for large bodies: a round trip many servers answer only after a
	 * second. */
	struct curl_slist *next = curl_slist_append(h, "Expect:");
	ok = next != NULL;
	h = next ? next : h;
	if (llm_wire_of(p) == LLM_WIRE_ANTHROPIC) {
		h = add_own_header(h, p, "x-api-key", key, &ok);
		h = add_own_header(h, p, "anthropic-version", ANTHROPIC_VERSION, &ok);
	} else {
		char *bearer = xasprintf("Bearer %s", key);
		h = add_own_header(h, p, "Authorization", bearer, &ok);
		free(bearer);
		if (p->organization_id && *p->organization_id &&
		    strcmp(p->provider_type ? p->provider_type : "", "glm") != 0)
			h = add_own_header(h, p, "OpenAI-Organization", p->organization_id, &ok);
	}
	if (json_is_object(p->custom_headers)) {
		const char *name;
		json_t *value;
		json_object_foreach(p->custom_headers, name, value)
			h = add_header(h, name, json_string_value(value), &ok);
	}
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* --- canonical messages ---------------------------------------------------- */

enum wire_role
wire_role_of(const json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	if (type == NULL)
		type = json_string_value(json_object_get(m, "role"));
	if (type == NULL)
		return WIRE_UNKNOWN;
	if (strcmp(type, "system") == 0)
		return WIRE_SYSTEM;
	if (strcmp(type, "human") == 0 || strcmp(type, "user") == 0)
		return WIRE_HUMAN;
	if (strcmp(type, "ai") == 0 || strcmp(type, "assistant") == 0)
		return WIRE_AI;
	if (strcmp(type, "tool") == 0)
		return WIRE_TOOL;
	return WIRE_UNKNOWN;
}

const json_t *
wire_data_of(const json_t *m)
{
	const json_t *data = json_object_get(m, "data");
	return json_is_object(data) ? data : m;
}

static void
append_piece(struct strbuf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (b->len > 0)
		strbuf_putc(b, '\n');
	strbuf_append(b, s, n);
}

void
wire_append_text(struct strbuf *b, const json_t *content)
{
	if (json_is_string(content)) {
		strbuf_append(b, json_string_value(content), json_string_length(content));
		return;
	}
	size_t i;
	const json_t *block;
	json_array_foreach(content, i, block) {
		if (json_is_string(block)) {
			append_piece(b, json_string_value(block), json_string_length(block));
		} else {
			const char *type = json_string_value(json_object_get(block, "type"));
			const json_t *text = json_object_get(block, "text");
			if (type != NULL && strcmp(type, "text") == 0 && json_is_string(text))
				append_piece(b, json_string_value(text), json_string_length(text));
		}
	}
}

char *
wire_content_text(const json_t *data)
{
	struct strbuf b;
	strbuf_init(&b, 0);
	wire_append_text(&b, json_object_get(data, "content"));
	return strbuf_take(&b);
}

char *
llm_message_text(const json_t *message)
{
	return wire_content_text(wire_data_of(message));
}

char *
wire_tool_result_text(const json_t *data)
{
	const json_t *content = json_object_get(data, "content");
	if (content == NULL || json_is_null(content) || json_is_string(content) ||
	    json_is_array(content))
		return wire_content_text(data);
	return jw_dump(content, NULL);
}

char *
wire_system_text(const struct llm_request *req)
{
	struct strbuf b;
	strbuf_init(&b, 0);
	if (req->system != NULL && *req->system)
		strbuf_puts(&b, req->system);
	size_t i;
	const json_t *m;
	json_array_foreach(req->messages, i, m) {
		if (wire_role_of(m) != WIRE_SYSTEM)
			continue;
		char *text = wire_content_text(wire_data_of(m));
		if (*text) {
			if (b.len > 0)
				strbuf_puts(&b, "\n\n");
			strbuf_puts(&b, text);
		}
		free(text);
	}
	return strbuf_take(&b);
}

const json_t *
wire_tool_calls_of(const json_t *data)
{
	const json_t *calls = json_object_get(data, "tool_calls");
	return json_is_array(calls) ? calls : NULL;
}

void
wire_write_sampling(struct jw *w, const struct llm_settings *s)
{
	if (!isnan(s->temperature))
		jw_kreal(w, "temperature", s->temperature);
	if (!isnan(s->top_p))
		jw_kreal(w, "top_p", s->top_p);
}

void
wire_tool_fields(struct jw *w, const json_t *tool, const char *schema_key)
{
	const json_t *params = json_object_get(tool, "parameters");
	const char *desc = json_string_value(json_object_get(tool, "description"));
	jw_kstr(w, "name", json_string_value(json_object_get(tool, "name")));
	if (desc != NULL)
		jw_kstr(w, "description", desc);
	jw_key(w, schema_key);
	if (json_is_object(params))
		jw_json(w, params);
	else
		JW_RAW_LITERAL(w, "{\"type\":\"object\",\"properties\":{}}");
}

/* --- building a request ---------------------------------------------------- */

char *
llm_request_body(enum llm_wire wire, const struct llm_request *req)
{
	return wire == LLM_WIRE_ANTHROPIC ? wire_anthropic_body(req) : wire_openai_body(req);
}

/* --- replies --------------------------------------------------------------- */

char *
wire_tool_error(const char *fmt, const char *tool)
{
	const char *name = tool ? tool : "";
	char *cut = probe_excerpt(name, strlen(name), WIRE_NAME_CHARS, NULL);
	char *out = xasprintf(fmt, cut);
	free(cut);
	return out;
}

json_t *
wire_parse_args(const char *text, size_t len, const char *tool, char **err)
{
	size_t i = 0;
	while (i < len && strchr(" \t\r\n", text[i]) != NULL)
		i++;
	if (i == len)
		return json_object();
	json_t *args = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	if (json_is_object(args))
		return args;
	*err = wire_tool_error(args ? "the arguments of the call to tool '%s' are not a JSON object"
				    : "the arguments of the call to tool '%s' are not JSON",
			       tool);
	json_decref(args);
	return NULL;
}

void
wire_reply_init(struct llm_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->text = xstrdup("");
	r->tool_calls = json_array();
}

void
llm_reply_clear(struct llm_reply *r)
{
	free(r->text);
	json_decref(r->tool_calls);
	free(r->id);
	memset(r, 0, sizeof(*r));
}

void
wire_set_stop_reason(char *dst, size_t size, const char *reason)
{
	if (reason == NULL || size == 0)
		return;
	size_t n = strlen(reason);
	if (n >= size)
		n = size - 1;
	memcpy(dst, reason, n);
	dst[n] = '\0';
}

long
wire_usage_count(const json_t *usage, const char *key)
{
	const json_t *v = json_object_get(usage, key);
	return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

void
wire_add_tool_call(struct llm_reply *r, const char *id, const char *name, json_t *args)
{
	json_t *call = json_object();
	json_object_set_new(call, "id", json_string(id ? id : ""));
	json_object_set_new(call, "name", json_string(name ? name : ""));
	json_object_set_new(call, "args", args);
	json_array_append_new(r->tool_calls, call);
}

char *
wire_fallback_call_id(size_t index)
{
	return xasprintf("call_%zu", index);
}

int
llm_reply_parse(enum llm_wire wire, const char *body, size_t len, struct llm_reply *out,
		char **err)
{
	wire_reply_init(out);
	json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, NULL);
	int rc;
	if (!json_is_object(root)) {
		*err = xstrdup(root ? "the provider's answer is not a JSON object"
				    : "the provider's answer is not JSON");
		rc = -1;
	} else if (json_object_get(root, "error") != NULL &&
		   !json_is_null(json_object_get(root, "error"))) {
		const char *msg = wire_provider_message(root);
		char *cut = probe_excerpt(msg ? msg : "", msg ? strlen(msg) : 0,
					  PROBE_REASON_CHARS, NULL);
		*err = xasprintf("the provider answered with an error: %s", *cut ? cut : "(no message)");
		free(cut);
		rc = -1;
	} else {
		rc = wire == LLM_WIRE_ANTHROPIC ? wire_anthropic_reply(root, out, err)
						: wire_openai_reply(root, out, err);
	}
	json_decref(root);
	if (rc != 0)
		llm_reply_clear(out);
	return rc;
}

json_t *
llm_reply_message(const struct llm_reply *r, const char *id_fallback, const char *timestamp)
{
	json_t *data = json_object();
	json_object_set_new(data, "content", json_string(r->text ? r->text : ""));
	const char *id = r->id ? r->id : id_fallback;
	if (id != NULL)
		json_object_set_new(data, "id", json_string(id));
	json_object_set_new(data, "tool_calls",
			    r->tool_calls ? json_deep_copy(r->tool_calls) : json_array());
	json_t *kwargs = json_object();
	if (timestamp != NULL)
		json_object_set_new(kwargs, "timestamp", json_string(timestamp));
	json_object_set_new(data, "additional_kwargs", kwargs);
	if (r->usage.known)
		json_object_set_new(data, "usage_metadata",
				    json_pack("{s:I, s:I, s:I}", "input_tokens",
					      (json_int_t)r->usage.input_tokens, "output_tokens",
					      (json_int_t)r->usage.output_tokens, "total_tokens",
					      (json_int_t)(r->usage.input_tokens +
							   r->usage.output_tokens)));
	return json_pack("{s:s, s:o}", "type", "ai", "data", data);
}

/* --- error answers ------------------------------------------------------------ */

const char *
wire_provider_message(const json_t *root)
{
	const json_t *err = json_object_get(root, "error");
	const char *s = json_string_value(json_object_get(err, "message"));
	if (s == NULL)
		s = json_string_value(err);
	if (s == NULL)
		s = json_string_value(json_object_get(root, "message"));
	if (s == NULL) {
		const json_t *detail = json_object_get(root, "detail");
		s = json_string_value(detail);
		/* A validation answer of a FastAPI server (vLLM, LiteLLM):
		 * detail: [{"msg": ...}]. */
		if (s == NULL)
			s = json_string_value(json_object_get(json_array_get(detail, 0), "msg"));
	}
	return s;
}

/*
 * The status and, when the body is a JSON error, its message cut short,
 * control characters made spaces and the key masked.  Nothing else of
 * the body: the address may be a service that was never meant to be
 * read from outside.
 */
char *
llm_error_message(enum llm_wire wire, long status, const char *body, size_t len,
		  const char *secret)
{
	(void)wire;	/* both wires (and their imitators) put it in the same places */
	json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *msg = json_is_object(root) ? wire_provider_message(root) : NULL;
	char *out;
	if (msg == NULL || *msg == '\0') {
		out = xasprintf("the provider answered HTTP %ld", status);
	} else {
		char *cut = probe_excerpt(msg, strlen(msg), PROBE_REASON_CHARS, secret);
		for (char *q = cut; *q; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				*q = ' ';
		out = xasprintf("the provider answered HTTP %ld: %s", status, cut);
		free(cut);
	}
	json_decref(root);
	return out;
}
