/*
 * probe.h: talking to an LLM provider to check a credential and to list
 * its models (POST /credentials/{id}/test/ and GET .../models/).
 *
 * One blocking libcurl request per call under the outbound policy
 * (net/outbound.h: the address checked at connect time, http and https
 * only), bounded by one total deadline for every hop and in size (1 MiB
 * of answer).  A redirect is followed only to the same host and port, so
 * the key never travels anywhere the user did not name.  The API key is
 * never logged; a provider's error answer comes back only as its status
 * and a short message, with any echo of the key masked.
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
#define PROBE_ERROR_CHARS 500
#define PROBE_REASON_CHARS 160   /* of a provider's own error message */

struct outbound_policy;

/* Where and how long a probe may go. */
struct probe_limits {
	const struct outbound_policy *policy;   /* borrowed */
	long timeout_seconds;                   /* for the whole probe, redirects included */
};

/* The provider's answer to one call. */
struct probe_response {
	long status;        /* HTTP status; 0 when the request failed */
	char *body;         /* owned, NUL-terminated ("" when empty) */
	size_t len;
	char *error;        /* owned; set (and status 0) when the request failed */
};

/* The provider's API base: its base_url, or the provider's default when
 * it has none; *len is its length without trailing slashes (the text is
 * not cut there). */
const char *llm_api_base(const struct llm_provider *p, size_t *len);
/* The base followed by path ("/models"); Anthropic's paths go under /v1
 * unless the base ends with it.  malloc'd. */
char *llm_api_url(const struct llm_provider *p, const char *path);

/* The models endpoint for a provider: malloc'd URL. */
char *llm_models_url(const struct llm_provider *p);

/* GETs the models endpoint.  Always fills *out; free it with
 * probe_response_free(). */
void llm_fetch_models(const struct llm_provider *p, const struct probe_limits *lim,
		      struct probe_response *out);
void probe_response_free(struct probe_response *res);

/* GETs url with the header lines given ("Name: value"), under the same
 * rules as a provider call: the outbound policy, one total deadline,
 * redirects only to the same host and port, at most PROBE_BODY_MAX bytes.
 * Always fills *out; free it with probe_response_free(). */
void probe_get(const char *url, char *const *header_lines, size_t n_headers,
	       const struct probe_limits *lim, struct probe_response *out);

/* CredentialTestOut {"ok","error","detail"} for an LLM credential: a real
 * call to the models endpoint.  Returns a new object. */
json_t *llm_probe_test(const struct llm_provider *p, const struct probe_limits *lim);

/* The bare [{"id","name"}] list of GET .../models/, with the spec's
 * fallbacks when the provider cannot be asked.  Returns a new array. */
json_t *llm_probe_models(const struct llm_provider *p, const struct probe_limits *lim);

/* [{"id","name"}] sorted by id from a models answer ("data", or the whole
 * body when it is an array); NULL when the text is not such an answer. */
json_t *llm_models_from_body(const char *body, size_t len);

/* At most max characters of text as valid UTF-8 (bad bytes become U+FFFD),
 * with every occurrence of secret (when non-empty) masked.  malloc'd. */
char *probe_excerpt(const char *text, size_t len, size_t max, const char *secret);

#endif
