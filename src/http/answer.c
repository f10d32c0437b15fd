/* answer.c: see answer.h. */
#include "answer.h"

#include <stdio.h>

#include "db/db.h"
#include "http/db_status.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "util/log.h"

struct db *
req_db_or_answer(struct req *r)
{
	struct db *db = req_db(r);
	if (db == NULL) {
		resp_add_header(r, "Retry-After", "5");
		resp_error(r, 503, "Database unavailable; retry later");
	}
	return db;
}

int
resp_db_error(struct req *r, struct db *db, const char *what)
{
	/* Logged first, while the handle still holds the description (the
	 * rollback below keeps it, but nothing else is promised to). */
	const struct db_error *e = db_last_error(db);
	struct db_answer a = db_answer_for(e);
	log_error("%s: database error (%s%s%s) answered %d: %s", what, db_errclass_name(e->cls),
		  *e->code ? ", code " : "", e->code, a.status,
		  *e->message ? e->message : "no message recorded");
	if (db_in_transaction(db))
		db_rollback(db);
	if (a.retry_after > 0) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%d", a.retry_after);
		resp_add_header(r, "Retry-After", secs);
	}
	return resp_error(r, a.status, a.detail);
}

int
resp_invalid(struct req *r, struct validator *v)
{
	return resp_validation(r, v_take(v));
}

json_t *
req_checked_body(struct req *r, body_check_fn check, int creating)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	json_t *fields = check(&v, body, creating);
	if (fields == NULL)
		resp_invalid(r, &v);
	v_free(&v);
	return fields;
}

int
req_query_page(struct req *r, int64_t *limit, int64_t *offset)
{
	struct validator v;
	v_init(&v, NULL);
	v_query_page(&v, r, limit, offset);
	if (!v_failed(&v))
		return 0;
	resp_invalid(r, &v);
	v_free(&v);
	return -1;
}

int
req_path_int(struct req *r, const char *name, int64_t *out)
{
	struct validator v;
	v_init(&v, NULL);
	v_path_int(&v, name, req_param(r, name), out);
	if (!v_failed(&v))
		return 0;
	resp_invalid(r, &v);
	v_free(&v);
	return -1;
}
