/* health.c: GET /health, the liveness route load balancers and the
 * benchmark poll.  Kept lean: one database round trip, no allocation. */
#include <stdio.h>

#include "api.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"

/* Whether the database answers, healing a broken handle for next time. */
static int
database_answers(struct req *r)
{
	struct db *db = req_db(r);
	if (db == NULL)
		return 0;
	if (db_ping(db) == 0)
		return 1;
	req_db_failed(r);
	return 0;
}

int
api_health(struct req *r)
{
	int up = database_answers(r);
	char body[128];
	int n = snprintf(body, sizeof(body), "{\"status\":\"%s\",\"version\":\"%s\",\"database\":%s}",
			 up ? "ok" : "degraded", PACKAGE_VERSION, up ? "true" : "false");
	return resp_raw(r, 200, body, (size_t)n);
}
