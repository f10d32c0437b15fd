/* health.c: GET /health, the liveness route load balancers, systemd
 * watchdogs and the benchmark poll.  Kept lean: one database round trip,
 * no allocation.  200 only when the database answers and takes writes;
 * otherwise 503 with Retry-After, since clients act on the status code. */
#include <stdio.h>

#include "api.h"
#include "db/db.h"
#include "db/db_health.h"
#include "http/request.h"
#include "http/response.h"

/* How the database is, closing a handle that failed so the next request
 * opens a fresh one. */
static enum db_health
database_health(struct req *r)
{
	struct db *db = req_db(r);
	if (db == NULL)
		return DB_UNREACHABLE;
	enum db_health h = db_health_check(db);
	if (h == DB_UNREACHABLE)
		req_db_failed(r);
	return h;
}

static const char *
detail_of(enum db_health h)
{
	if (h == DB_READ_ONLY)
		return "The database is read-only: writes are refused until it is writable "
		       "again (check the file, directory and mount, or the server's role).";
	return "The database does not answer: the server is down, hung or unreachable, or "
	       "the file cannot be opened.";
}

int
api_health(struct req *r)
{
	enum db_health h = database_health(r);
	char body[320];
	int n;
	if (h == DB_HEALTHY) {
		n = snprintf(body, sizeof(body),
			     "{\"status\":\"ok\",\"version\":\"%s\",\"database\":true}",
			     PACKAGE_VERSION);
		return resp_raw(r, 200, body, (size_t)n);
	}
	n = snprintf(body, sizeof(body),
		     "{\"status\":\"unavailable\",\"version\":\"%s\",\"database\":false,"
		     "\"database_state\":\"%s\",\"detail\":\"%s\"}",
		     PACKAGE_VERSION, db_health_name(h), detail_of(h));
	resp_add_header(r, "Retry-After", "5");
	return resp_raw(r, 503, body, (size_t)n);
}
