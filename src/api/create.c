/* create.c: see create.h. */
#include "create.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

#define KEY_MALFORMED "Idempotency-Key must be 1 to 255 printable ASCII characters."
#define KEY_REUSED \
	"Idempotency-Key was already used with a different request; use a new key for a new request."

/* The request's key: 1 with *key set, 0 when absent, -1 when malformed. */
static int
idempotency_key(struct req *r, const char **key)
{
	const char *k = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->fcgi->envp);
	*key = NULL;
	if (k == NULL)
		return 0;
	size_t n = strlen(k);
	if (n == 0 || n > IDEM_KEY_MAX)
		return -1;
	for (const char *p = k; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return -1;
	*key = k;
	return 1;
}

/* What makes two requests "the same": method, path and the body as JSON
 * with its keys sorted (key order and spacing do not matter, values do). */
static void
request_hash(struct req *r, char out[IDEM_HASH_HEX + 1])
{
	json_t *body = req_json(r);
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	char *all = xasprintf("%s\n%s\n%s", r->method, r->path,
			      text ? text : (r->body ? r->body : ""));
	crypto_sha256_hex(all, strlen(all), out);
	free(all);
	free(text);
}

void
create_answer_take(struct idem_answer *out, int status, struct jw *w)
{
	out->status = status;
	out->body = jw_take(w, &out->len);
}

static int
create_answered(struct req *r, struct db *db, const struct create_ops *ops, void *arg,
		int standalone)
{
	struct idem_request rq = { .user_id = r->user.id, .now = (int64_t)time(NULL),
				   .standalone = standalone };
	if (idempotency_key(r, &rq.key) < 0)
		return resp_error(r, 422, KEY_MALFORMED);
	if (rq.key != NULL)
		request_hash(r, rq.request_hash);
	struct idem_answer a;
	int create_rc = 0;
	int rc;
	switch (idem_create(db, &rq, ops->create, arg, &a, &create_rc)) {
	case IDEM_CREATED:
		if (ops->created != NULL)
			ops->created(r, a.body, a.len, arg);
		rc = resp_raw(r, a.status, a.body ? a.body : "{}", a.body ? a.len : 2);
		idem_answer_free(&a);
		return rc;
	case IDEM_REPLAYED:
		resp_add_header(r, "Idempotent-Replayed", "true");
		rc = resp_raw(r, a.status, a.body ? a.body : "{}", a.body ? a.len : 2);
		idem_answer_free(&a);
		return rc;
	case IDEM_KEY_REUSED:
		return resp_error(r, 422, KEY_REUSED);
	case IDEM_CREATE_FAILED:
		return ops->fail(r, db, create_rc, arg);
	default:
		return resp_db_error(r, db, "create");
	}
}

int
api_create(struct req *r, struct db *db, const struct create_ops *ops, void *arg)
{
	return create_answered(r, db, ops, arg, 0);
}

int
api_create_standalone(struct req *r, struct db *db, const struct create_ops *ops, void *arg)
{
	return create_answered(r, db, ops, arg, 1);
}
