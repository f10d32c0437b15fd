/*
 * fuzz_json_body.c: a JSON request body as a handler sees it: parsed and
 * depth-checked by req_json (http/request.c), then read by the validators
 * (http/validate.c) the resources' checks are made of, echoed by the JSON
 * writer (util/jsonw.c) as a 422 does, and recognised as stored JSON.
 */
#include "fuzz_util.h"

#include "http/request.h"
#include "http/validate.h"
#include "util/jsonw.h"

static const char *const kinds[] = { "direct", "conditional", NULL };

static void
validate(json_t *body)
{
	struct validator v;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1) {
		const char *s;
		int64_t i;
		int b;
		json_t *o;
		(void)v_string(&v, body, "name", 1, 1, 255, &s);
		(void)v_string(&v, body, "slug", 0, 0, 255, &s);
		(void)v_literal(&v, body, "edge_type", 0, kinds, &s);
		(void)v_digits(&v, body, "code", 0, 6, &s);
		(void)v_int(&v, body, "priority", 0, &i);
		(void)v_bool(&v, body, "is_active", 0, &b);
		(void)v_datetime(&v, body, "expires_at", 0, &i);
		if (v_object(&v, body, "config", 0, &o) == 1) {
			json_t *prefix = json_pack("[s]", "config");
			v_nest(&v, o, prefix);
			json_decref(prefix);
			(void)v_int(&v, o, "llm_credential_id", 0, &i);
		}
	}
	json_t *problems = v_take(&v);
	struct jw w;
	jw_init(&w);
	jw_json(&w, problems);
	jw_free(&w);
	json_decref(problems);
	v_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req *r = calloc(1, sizeof(*r));
	r->body = fuzz_cstring(data, size);
	r->body_len = size;
	json_t *body = req_json(r);
	if (body != NULL) {
		validate(body);
		struct jw w;
		jw_init(&w);
		jw_json(&w, body);
		json_t *back = jw_to_json(&w);
		json_decref(back);
		jw_free(&w);
	}
	if (jw_text_is_json(r->body, size)) {
		struct jw w;
		jw_init(&w);
		jw_json_textn(&w, r->body, size, "null");
		jw_free(&w);
	}
	req_cleanup(r);
	free(r);
	return 0;
}
