/* testing.c: routes that exist only for the end-to-end tests
 * (PIPELIT_TEST_ROUTES=1): a slow request, a forced crash, one write
 * transaction, the pid of the responder that answered, an echo of a JSON
 * body (for the body limit and JSON error tests), and a database fault
 * right after a commit. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "db/db.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "model/test_writer.h"
#include "util/config.h"
#include "util/log.h"

#define SLOW_MAX_MS 60000

int
api_test_slow(struct req *r)
{
	const char *ms_text = req_query(r, "ms");
	long ms = 1000;
	if (ms_text != NULL && config_parse_long(ms_text, 0, SLOW_MAX_MS, &ms) != 0) {
		json_t *item = json_pack("{s:s, s:[s, s], s:s, s:s}", "type", "int_parsing", "loc",
					 "query", "ms", "msg",
					 "Input should be a valid integer from 0 to 60000", "input",
					 ms_text);
		return resp_validation(r, json_pack("[o]", item));
	}
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	/* Signals are blocked while a request runs, so this sleeps in full. */
	while (nanosleep(&ts, &ts) != 0)
		;
	return resp_json(r, 200, json_pack("{s:I}", "slept_ms", (json_int_t)ms));
}

int
api_test_crash(struct req *r)
{
	log_warn("forced crash requested through the test route");
	abort();
}

int
api_test_pid(struct req *r)
{
	return resp_json(r, 200, json_pack("{s:I}", "pid", (json_int_t)getpid()));
}

int
api_test_echo(struct req *r)
{
	return resp_json(r, 200, json_incref(req_json(r)));
}

int
api_test_write(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	uint32_t nonce = 0;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint32_t)time(NULL);
	char username[96];
	snprintf(username, sizeof(username), "writer-%ld-%lu-%08" PRIx32, (long)getpid(),
		 r->ctx->requests, nonce);
	const char *hold = req_query(r, "hold_ms");
	long hold_ms = 0;
	if (hold != NULL && config_parse_long(hold, 0, SLOW_MAX_MS, &hold_ms) != 0)
		return resp_error(r, 422, "hold_ms must be an integer from 0 to 60000");
	int64_t id = test_writer_insert(db, username, hold_ms);
	if (id == DB_FAILED)
		return resp_db_error(r, db, "test write");
	return resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

/* The next commit on this responder's handle is followed by a failure of
 * the next statement, as when the server restarts right after a commit:
 * shows that a create's answer never depends on a read after its commit. */
int
api_test_fault_after_commit(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	db_test_fail_after_next_commit(db);
	return resp_json(r, 200, json_pack("{s:b}", "armed", 1));
}
