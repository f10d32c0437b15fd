/* testing.c: routes that exist only for the end-to-end tests
 * (PIPELIT_TEST_ROUTES=1): a slow request, a forced crash, one write
 * transaction, the pid of the responder that answered, and an echo of a
 * JSON body (for the body limit and JSON error tests). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
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

static int
write_failed(struct req *r, struct db *db, const char *what)
{
	char detail[512];
	snprintf(detail, sizeof(detail), "%s: %s", what, db_errmsg(db));
	log_error("test write failed: %s", detail);
	if (db_in_transaction(db))
		db_rollback(db);
	return resp_error(r, 500, detail);
}

int
api_test_write(struct req *r)
{
	struct db *db = req_db(r);
	if (db == NULL)
		return resp_error(r, 500, "database unavailable");
	uint32_t nonce = 0;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint32_t)time(NULL);
	char username[96];
	snprintf(username, sizeof(username), "writer-%ld-%lu-%08" PRIx32, (long)getpid(),
		 r->ctx->requests, nonce);
	if (db_begin_write(db) != 0)
		return write_failed(r, db, "begin");
	struct db_stmt *st = db_prepare(db, "INSERT INTO user_profiles (username, password_hash) "
					    "VALUES (?, '') RETURNING id");
	if (st == NULL)
		return write_failed(r, db, "prepare");
	db_bind_text(st, 1, username, -1);
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return write_failed(r, db, "insert");
	}
	int64_t id = db_column_int64(st, 0);
	while (db_step(st) == DB_ROW)
		;
	db_reset(st);
	if (db_commit(db) != 0)
		return write_failed(r, db, "commit");
	return resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}
