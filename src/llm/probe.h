/*
 * probe.h: talking to an LLM provider to check a credential and to list
 * its models (POST /credentials/{id}/test/ and GET .../models/).
 *
 * One blocking libcurl request per call, bounded in time (the caller's
 * timeout, 5 s to connect) and in size (1 MiB of answer).  Only http and
 * https are spoken, and a redirect is followed only to the same host, so
 * the key never travels anywhere the user did not name.  The API key is
 * never logged, and any echo of it in a provider's error text is masked.
 */
#ifndef PIPELIT_LLM_PROBE_H
#define PIPELIT_LLM_PROBE_H

#include <stddef.h>

#include <jansson.h>

/* What a provider call needs from an LLM credential (all borrowed). */
struct llm_provider {
	const char *provider_type;   /* "anthropic", "glm", "openai_compatible", ... */
	const char *api_key;
	const char *base_url;        /* "" for the provider's default */
	const char *organization_id; /* "" when none */
	json_t *custom_headers;      /* object of strings, or NULL */
};

#define PROBE_BODY_MAX (1L << 20)
#define PROBE_CONNECT_TIMEOUT 5L
#define PROBE_ERROR_CHARS 500

/* The provider's answer to one call. */
struct probe_response {
	long status;        /* HTTP status; 0 when the request failed */
	char *body;         /* owned, NUL-terminated ("" when empty) */
	size_t len;
	char *error;        /* owned; set (and status 0) when the request failed */
};

/* The models endpoint for a provider: malloc'd URL. */
char *llm_models_url(const struct llm_provider *p);

/* GETs the models endpoint.  Always fills *out; free it with
 * probe_response_free(). */
void llm_fetch_models(const struct llm_provider *p, long timeout_seconds,
		      struct probe_response *out);
void probe_response_free(struct probe_response *res);

/* CredentialTestOut {"ok","error","detail"} for an LLM credential: a real
 * call to the models endpoint.  Returns a new object. */
json_t *llm_probe_test(const struct llm_provider *p, long timeout_seconds);

/* The bare [{"id","name"}] list of GET .../models/, with the spec's
 * fallbacks when the provider cannot be asked.  Returns a new array. */
json_t *llm_probe_models(const struct llm_provider *p, long timeout_seconds);

/* [{"id","name"}] sorted by id from a models answer ("data", or the whole
 * body when it is an array); NULL when the text is not such an answer. */
json_t *llm_models_from_body(const char *body, size_t len);

/* At most max characters of text as valid UTF-8 (bad bytes become U+FFFD),
 * with every occurrence of secret (when non-empty) masked.  malloc'd. */
char *probe_excerpt(const char *text, size_t len, size_t max, const char *secret);

/* The mask of section 2 of the API: first 4 + "****" + last 4 characters,
 * or "****" for fewer than 8.  malloc'd. */
char *secret_mask(const char *value);

#endif
