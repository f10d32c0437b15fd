/*
 * accounts.h: small answers shared by the auth and users handlers.
 */
#ifndef PIPELIT_API_ACCOUNTS_H
#define PIPELIT_API_ACCOUNTS_H

#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "util/log.h"

/* The request's database handle, or NULL after answering 503. */
static inline struct db *
accounts_db(struct req *r)
{
	struct db *db = req_db(r);
	if (db == NULL)
		resp_error(r, 503, "Database unavailable");
	return db;
}

/* A failed query: logged with the database's message (never the request's
 * values, which may hold a password), answered 500. */
static inline int
accounts_db_error(struct req *r, struct db *db, const char *what)
{
	log_error("%s: %s", what, db_errmsg(db));
	if (db_in_transaction(db))
		db_rollback(db);
	return resp_error(r, 500, "Internal Server Error");
}

/* Answers the collected validation errors; always returns through resp_*. */
static inline int
accounts_invalid(struct req *r, struct validator *v)
{
	return resp_validation(r, v_take(v));
}

#endif
