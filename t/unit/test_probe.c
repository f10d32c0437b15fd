/* test_probe.c: the provider probe's pure parts: the mask, the error
 * excerpt, the models URL per provider and the models answer parsing. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "llm/probe.h"
#include "util/secret_mask.h"

static void
is_owned(char *got, const char *want, const char *name)
{
	is_str(got, want, "%s", name);
	free(got);
}

static void
test_mask(void)
{
	/* Security review, finding 15: an 8-character secret was shown whole. */
	is_owned(secret_mask("sk-abcdefghijklmnop"), "****mnop", "mask: **** + the last 4");
	is_owned(secret_mask("12345678"), "****", "mask: 8 characters show nothing");
	is_owned(secret_mask("12345678901"), "****", "mask: 11 characters show nothing");
	is_owned(secret_mask("123456789012"), "****9012", "mask: 12 characters show the last 4");
	is_owned(secret_mask("1234567"), "****", "mask: fewer is all stars");
	is_owned(secret_mask(""), "****", "mask: empty");
	is_owned(secret_mask("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xyzw"),
		 "****xyzw", "mask: counts characters, not bytes");
	is_owned(secret_mask("abcdefgh\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
		 "****\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "mask: the tail is whole characters");
}

static void
test_excerpt(void)
{
	is_owned(probe_excerpt("hello", 5, 3, NULL), "hel", "excerpt: cut at max characters");
	is_owned(probe_excerpt("a\xff" "b", 3, 10, NULL), "a\xef\xbf\xbd" "b", "excerpt: a bad byte becomes U+FFFD");
	is_owned(probe_excerpt("a\0b", 3, 10, NULL), "a\xef\xbf\xbd" "b", "excerpt: a NUL does not cut the text");
	is_owned(probe_excerpt("bad key sk-abcdefghijkl here", 28, 500, "sk-abcdefghijkl"),
		 "bad key ****ijkl here", "excerpt: the secret is masked");
	is_owned(probe_excerpt("kk kk", 5, 500, "kk"), "**** ****", "excerpt: a short secret is masked too");
	char big[1200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *e = probe_excerpt(big, strlen(big), 500, NULL);
	is_int(strlen(e), 500, "excerpt: 500 characters of a long body");
	free(e);
}

static void
test_urls(void)
{
	struct llm_provider p = { .provider_type = "openai_compatible", .base_url = "" };
	is_owned(llm_models_url(&p), "https://api.openai.com/v1/models", "openai default");
	p.base_url = "http://127.0.0.1:8000/v1/";
	is_owned(llm_models_url(&p), "http://127.0.0.1:8000/v1/models", "custom base, trailing slash dropped");
	p.provider_type = "glm";
	p.base_url = "";
	is_owned(llm_models_url(&p), "https://api.z.ai/api/paas/v4/models", "glm default");
	p.provider_type = "anthropic";
	is_owned(llm_models_url(&p), "https://api.anthropic.com/v1/models?limit=1000", "anthropic default");
	p.base_url = "https://proxy.example/v1";
	is_owned(llm_models_url(&p), "https://proxy.example/v1/models?limit=1000",
		 "anthropic base with /v1 gets no second /v1");
}

static void
test_models_body(void)
{
	const char *body = "{\"data\":[{\"id\":\"b\"},{\"x\":1},{\"id\":\"a\",\"owned_by\":\"me\"},{\"id\":3}]}";
	json_t *m = llm_models_from_body(body, strlen(body));
	char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
	is_str(text, "[{\"id\":\"a\",\"name\":\"a\"},{\"id\":\"b\",\"name\":\"b\"}]", "data: ids sorted, name == id");
	free(text);
	json_decref(m);
	body = "[{\"id\":\"z\"}]";
	m = llm_models_from_body(body, strlen(body));
	is_int(json_array_size(m), 1, "a bare array is the list");
	json_decref(m);
	ok(llm_models_from_body("{\"data\": 5}", 11) == NULL, "data not a list: NULL");
	ok(llm_models_from_body("not json", 8) == NULL, "not JSON: NULL");
}

int
main(void)
{
	test_mask();
	test_excerpt();
	test_urls();
	test_models_body();
	return done_testing();
}
