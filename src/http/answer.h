/*
 * answer.h: the answers every handler needs: the database or a 503, a
 * failed query as a logged 500, collected validation errors as a 422, and an
 * integer path parameter or its 422.  One place, so every resource answers
 * these cases alike.
 */
#ifndef PIPELIT_HTTP_ANSWER_H
#define PIPELIT_HTTP_ANSWER_H

#include <stdint.h>

#include <jansson.h>

struct db;
struct req;
struct validator;

/* The request's database handle, or NULL after answering
 * 503 {"detail":"Database unavailable; retry later"} with Retry-After. */
struct db *req_db_or_answer(struct req *r);

/* A failed query, answered by its class (http/db_status.h): 503 or 507
 * with Retry-After, 409/422, or 500.  Logged once, here, with the
 * backend's code and message (never the request's values, which may hold
 * a password) and the request id; the open transaction is rolled back.
 * Models never log a database failure themselves: they return DB_FAILED
 * and leave the description on the handle for this.  Returns the resp_*
 * result. */
int resp_db_error(struct req *r, struct db *db, const char *what);

/* Answers v's errors as a 422 (v is left empty; v_free stays harmless). */
int resp_invalid(struct req *r, struct validator *v);

/* A list's limit and offset (v_query_page()): 0, or -1 after answering
 * their 422.  A route with more query parameters checks them all in one
 * validator with v_query_page() instead. */
int req_query_page(struct req *r, int64_t *limit, int64_t *offset);

/* A resource's body check: the clean fields (a new reference), or NULL
 * with the errors in v; creating says whether required fields must be
 * there. */
typedef json_t *(*body_check_fn)(struct validator *v, json_t *body, int creating);

/* The request body checked by check, or NULL after answering its 422. */
json_t *req_checked_body(struct req *r, body_check_fn check, int creating);

/* The integer path parameter name in *out: 0, or -1 after answering 422
 * (type int_parsing). */
int req_path_int(struct req *r, const char *name, int64_t *out);

#endif
