/*
 * search_probe.h: checking a SearXNG tool credential (POST
 * /credentials/{id}/test/ of a tool credential whose tool_type is
 * "searxng"), as the credential test checks a model provider's key.
 *
 * The check is the web_search tool's own request (nodes/tools.h builds
 * it: GET <url>/search?q=...&format=json) with a harmless query, sent
 * like a provider probe (llm/probe.h: the outbound policy, the provider
 * timeout, same-origin redirects only, a bounded answer).
 */
#ifndef PIPELIT_LLM_SEARCH_PROBE_H
#define PIPELIT_LLM_SEARCH_PROBE_H

#include <jansson.h>

struct probe_limits;

/* The query the check sends. */
#define SEARCH_PROBE_QUERY "pipelit"

/* CredentialTestOut {"ok","error","detail"} for a SearXNG base URL (NULL
 * or "" when the credential has none): ok when the instance answers the
 * search with SearXNG's JSON (a "results" array, empty or not); else
 * the reason in a sentence.  Returns a new object. */
json_t *searxng_probe_test(const char *base_url, const struct probe_limits *lim);

#endif
