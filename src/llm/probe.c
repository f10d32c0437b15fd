/* probe.c: see probe.h. */
#include "probe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "llm/llm.h"
#include "net/outbound.h"
#include "util/log.h"
#include "util/secret_mask.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define PROBE_MAX_REDIRECTS 3
#define ANTHROPIC_VERSION "2023-06-01"

static const char *const anthropic_fallback[] = {
	"claude-opus-4-6", "claude-sonnet-4-6", "claude-sonnet-4-20250514",
	"claude-opus-4-0-20250514", "claude-haiku-4-5-20251001", "claude-3-5-sonnet-20241022",
	NULL,
};

static const char *const minimax_fallback[] = {
	"MiniMax-M2.5", "MiniMax-M2.5-highspeed", "MiniMax-M2.1", "MiniMax-M2.1-highspeed",
	"MiniMax-M2", NULL,
};

static int
is_anthropic(const struct llm_provider *p)
{
	return p->provider_type != NULL && strcmp(p->provider_type, "anthropic") == 0;
}

static int
is_glm(const struct llm_provider *p)
{
	return p->provider_type != NULL && strcmp(p->provider_type, "glm") == 0;
}

static int
has_text(const char *s)
{
	return s != NULL && *s != '\0';
}

static const char *
default_base(const struct llm_provider *p)
{
	if (is_anthropic(p))
		return "https://api.anthropic.com";
	if (is_glm(p))
		return "https://api.z.ai/api/paas/v4";
	return "https://api.openai.com/v1";
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

const char *
llm_api_base(const struct llm_provider *p, size_t *len)
{
	const char *base = has_text(p->base_url) ? p->base_url : default_base(p);
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	*len = n;
	return base;
}

char *
llm_api_url(const struct llm_provider *p, const char *path)
{
	size_t len;
	const char *base = llm_api_base(p, &len);
	/* Anthropic's paths are under /v1; a base URL that already names the
	 * version is not given a second one. */
	const char *version = is_anthropic(p) && !ends_with(base, len, "/v1") ? "/v1" : "";
	return xasprintf("%.*s%s%s", (int)len, base, version, path);
}

char *
llm_models_url(const struct llm_provider *p)
{
	/* Listing the models is Anthropic's cheapest authenticated call: it
	 * proves the key without spending tokens on a message. */
	return llm_api_url(p, is_anthropic(p) ? "/models?limit=1000" : "/models");
}

/* --- UTF-8 helpers ------------------------------------------------------ */

/* text with every occurrence of secret replaced by its mask; malloc'd. */
static char *
mask_occurrences(const char *text, size_t len, const char *secret, size_t *out_len)
{
	size_t slen = has_text(secret) ? strlen(secret) : 0;
	char *mask = slen ? secret_mask(secret) : NULL;
	size_t mlen = mask ? strlen(mask) : 0;
	/* Each replacement shrinks or keeps the size except for very short
	 * secrets; len * (mlen + 1) bounds every case. */
	size_t cap = len * (mlen + 1) + 1;
	char *out = xmalloc(cap);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		if (slen && i + slen <= len && memcmp(text + i, secret, slen) == 0) {
			memcpy(out + o, mask, mlen);
			o += mlen;
			i += slen;
		} else {
			out[o++] = text[i++];
		}
	}
	out[o] = '\0';
	free(mask);
	*out_len = o;
	return out;
}

char *
probe_excerpt(const char *text, size_t len, size_t max, const char *secret)
{
	size_t mlen;
	char *masked = mask_occurrences(text ? text : "", text ? len : 0, secret, &mlen);
	char *out = xmalloc(max * 4 + 1);
	size_t o = 0, chars = 0;
	for (size_t i = 0; i < mlen && chars < max; chars++) {
		size_t k = utf8_seq_len((const unsigned char *)masked + i, mlen - i);
		if (k == 0 || masked[i] == '\0') {
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i += 1;
		} else {
			memcpy(out + o, masked + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	free(masked);
	return out;
}

/* --- one HTTP call ----------------------------------------------------------- */

struct body_buf {
	char *p;
	size_t len, cap;
	int too_big;
};

static size_t
collect_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body_buf *b = arg;
	size_t n = size * nmemb;
	if (b->len + n > (size_t)PROBE_BODY_MAX) {
		b->too_big = 1;
		return 0;	/* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static int
has_line_break(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

static struct curl_slist *
add_header(struct curl_slist *list, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s", name, value);
	struct curl_slist *next = curl_slist_append(list, line);
	free(line);
	return next ? next : list;
}

/* The request headers; NULL with *error set when the key cannot be sent. */
static struct curl_slist *
build_headers(const struct llm_provider *p, char **error)
{
	if (has_line_break(p->api_key)) {
		*error = xstrdup("the API key contains a line break");
		return NULL;
	}
	const char *key = p->api_key ? p->api_key : "";
	struct curl_slist *h = add_header(NULL, "Accept", "application/json");
	if (is_anthropic(p)) {
		h = add_header(h, "x-api-key", key);
		h = add_header(h, "anthropic-version", ANTHROPIC_VERSION);
	} else {
		char *bearer = xasprintf("Bearer %s", key);
		h = add_header(h, "Authorization", bearer);
		free(bearer);
		if (!is_glm(p) && has_text(p->organization_id) &&
		    !has_line_break(p->organization_id))
			h = add_header(h, "OpenAI-Organization", p->organization_id);
	}
	const char *name;
	json_t *value;
	if (json_is_object(p->custom_headers)) {
		json_object_foreach(p->custom_headers, name, value) {
			const char *v = json_string_value(value);
			if (v != NULL && *name && !has_line_break(name) && !has_line_break(v) &&
			    strchr(name, ':') == NULL)
				h = add_header(h, name, v);
		}
	}
	return h;
}

static void
set_request_options(CURL *c, struct curl_slist *headers, struct body_buf *body)
{
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pipelit/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
}

static char *
curl_failure_text(CURLcode rc, const char *errbuf, const struct body_buf *body,
		  const struct outbound_guard *guard, long timeout_seconds)
{
	char *refused = outbound_refusal_text(guard);
	if (refused != NULL)
		return refused;
	const char *msg = *errbuf ? errbuf : curl_easy_strerror(rc);
	if (body->too_big)
		return xasprintf("the provider's answer is larger than %ld bytes", PROBE_BODY_MAX);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("timed out after %ld seconds waiting for the provider",
				 timeout_seconds);
	if (rc == CURLE_TOO_MANY_REDIRECTS)
		return xstrdup("the provider redirected too many times");
	if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		return xstrdup("the provider redirected to a protocol other than http or https");
	return xstrdup(msg);
}

/* Runs the request: the outbound policy checks every connection, the
 * first and each same-host redirect's, under one total deadline. */
static void
perform(CURL *c, const char *url, const struct probe_limits *lim, struct body_buf *body,
	struct probe_response *out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct outbound_guard guard;
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (outbound_configure(c, lim->policy, url, lim->timeout_seconds * 1000,
			       PROBE_MAX_REDIRECTS, OUTBOUND_SAME_ORIGIN, &guard) != 0) {
		out->error = xstrdup("the base URL is not an http or https URL");
		outbound_guard_free(&guard);
		return;
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		out->error = curl_failure_text(rc, errbuf, body, &guard, lim->timeout_seconds);
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (out->status >= 300 && out->status < 400)
			out->error = xasprintf("the provider answered HTTP %ld without a usable "
					       "redirect", out->status);
	}
	outbound_guard_free(&guard);
}

/* GETs url with headers (owned by the caller) under the limits. */
static void
fetch(const char *url, struct curl_slist *headers, const struct probe_limits *lim,
      struct probe_response *out)
{
	struct body_buf body = { 0 };
	CURL *c = headers ? curl_easy_init() : NULL;
	if (headers != NULL && c == NULL)
		out->error = xstrdup("cannot start an HTTP request (libcurl)");
	if (c != NULL) {
		set_request_options(c, headers, &body);
		perform(c, url, lim, &body, out);
		curl_easy_cleanup(c);
	}
	out->body = body.p ? body.p : xstrdup("");
	out->len = body.p ? body.len : 0;
	if (out->error != NULL)
		out->status = 0;
}

void
llm_fetch_models(const struct llm_provider *p, const struct probe_limits *lim,
		 struct probe_response *out)
{
	memset(out, 0, sizeof(*out));
	char *url = llm_models_url(p);
	struct curl_slist *headers = build_headers(p, &out->error);
	fetch(url, headers, lim, out);
	curl_slist_free_all(headers);
	free(url);
}

void
probe_get(const char *url, char *const *header_lines, size_t n_headers,
	  const struct probe_limits *lim, struct probe_response *out)
{
	memset(out, 0, sizeof(*out));
	struct curl_slist *headers = NULL;
	for (size_t i = 0; i < n_headers; i++) {
		struct curl_slist *next = curl_slist_append(headers, header_lines[i]);
		headers = next ? next : headers;
	}
	if (headers == NULL)
		headers = add_header(NULL, "Accept", "*/*");
	fetch(url, headers, lim, out);
	curl_slist_free_all(headers);
}

void
probe_response_free(struct probe_response *res)
{
	free(res->body);
	free(res->error);
	memset(res, 0, sizeof(*res));
}

static json_t *
test_result(int ok, const char *error)
{
	return json_pack("{s:b, s:s, s:n}", "ok", ok, "error", error, "detail");
}

/* A failed answer in a few words (llm_error_message): the status and the
 * provider's own message, nothing else of the body. */
static char *
status_reason(const struct probe_response *res, const char *secret)
{
	return llm_error_message(LLM_WIRE_OPENAI, res->status, res->body, res->len, secret);
}

json_t *
llm_probe_test(const struct llm_provider *p, const struct probe_limits *lim)
{
	struct probe_response res;
	llm_fetch_models(p, lim, &res);
	json_t *out;
	if (res.error != NULL) {
		char *msg = probe_excerpt(res.error, strlen(res.error), PROBE_ERROR_CHARS,
					  p->api_key);
		out = test_result(0, msg);
		free(msg);
	} else if (res.status == 401 || res.status == 403) {
		out = test_result(0, "Authentication failed - invalid API key");
	} else if (res.status >= 400) {
		char *msg = status_reason(&res, p->api_key);
		out = test_result(0, msg);
		free(msg);
	} else {
		out = test_result(1, "");
	}
	if (res.error != NULL || res.status >= 400)
		log_info("credential test against %s provider failed (status %ld)",
			 p->provider_type ? p->provider_type : "?", res.status);
	probe_response_free(&res);
	return out;
}

static int
compare_model_ids(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	return strcmp(json_string_value(json_object_get(*x, "id")),
		      json_string_value(json_object_get(*y, "id")));
}

json_t *
llm_models_from_body(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *list = json_is_array(root) ? root : json_object_get(root, "data");
	if (!json_is_array(list)) {
		json_decref(root);
		return NULL;
	}
	size_t n = 0, i;
	json_t *entry;
	json_t **models = xcalloc(json_array_size(list) + 1, sizeof(*models));
	json_array_foreach(list, i, entry) {
		const char *id = json_string_value(json_object_get(entry, "id"));
		if (id != NULL)
			models[n++] = json_pack("{s:s, s:s}", "id", id, "name", id);
	}
	qsort(models, n, sizeof(*models), compare_model_ids);
	json_t *out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, models[i]);
	free(models);
	json_decref(root);
	return out;
}

static json_t *
fixed_models(const char *const *ids)
{
	json_t *out = json_array();
	for (; *ids != NULL; ids++)
		json_array_append_new(out, json_pack("{s:s, s:s}", "id", *ids, "name", *ids));
	return out;
}

static json_t *
fallback_models(const struct llm_provider *p)
{
	if (is_anthropic(p) && !has_text(p->base_url))
		return fixed_models(anthropic_fallback);
	if (has_text(p->base_url) && strcasestr(p->base_url, "minimax") != NULL)
		return fixed_models(minimax_fallback);
	return json_array();
}

json_t *
llm_probe_models(const struct llm_provider *p, const struct probe_limits *lim)
{
	struct probe_response res;
	llm_fetch_models(p, lim, &res);
	json_t *models = NULL;
	if (res.error == NULL && res.status >= 200 && res.status < 300)
		models = llm_models_from_body(res.body, res.len);
	if (models == NULL) {
		log_info("listing models of a %s provider failed (status %ld); using the fallback",
			 p->provider_type ? p->provider_type : "?", res.status);
		models = fallback_models(p);
	}
	probe_response_free(&res);
	return models;
}
