/* fuzz_query.c: query strings (http/query.c), as the request parses them:
 * the caller's buffer is exactly what query.h promises is enough. */
#include "fuzz_util.h"

#include "http/query.h"
#include "http/validate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *qs = fuzz_cstring(data, size);
	size_t len = strlen(qs);
	size_t need = 2 * len + 2;
	char *buf = malloc(need);
	struct query_item items[64];
	int n = query_parse(qs, len, buf, need, items, 64);
	if (n > 64)
		abort();
	for (int i = 0; i < n; i++)
		if (strlen(items[i].key) > len || strlen(items[i].value) > len)
			abort();
	if (n > 0)
		(void)query_get(items, n, items[0].key);
	/* The list routes' paging parameters, read as they are. */
	struct validator v;
	int64_t out;
	v_init(&v, NULL);
	(void)v_query_int(&v, "limit", query_get(items, n < 0 ? 0 : n, "limit"), 0, 1000, &out);
	(void)v_query_int(&v, "offset", n > 0 ? items[n - 1].value : NULL, 0, INT64_MAX, &out);
	json_decref(v_take(&v));
	v_free(&v);
	/* Decoding in place never lengthens. */
	char *dst = malloc(len + 1);
	if (percent_decode(qs, len, dst, 1) > len)
		abort();
	free(dst);
	free(buf);
	free(qs);
	return 0;
}
