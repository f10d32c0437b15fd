/* password_check.c: see password_check.h. */
#include "password_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db/db.h"
#include "http/answer.h"
#include "http/password_gate.h"
#include "http/request.h"
#include "http/response.h"
#include "model/login_throttle.h"
#include "util/log.h"
#include "util/log_sanitize.h"
#include "util/xalloc.h"

static int
answer_throttled(struct req *r, int64_t wait)
{
	char secs[24];
	snprintf(secs, sizeof(secs), "%lld", (long long)wait);
	resp_add_header(r, "Retry-After", secs);
	char *detail = xasprintf("Too many failed login attempts; retry in %lld seconds.",
				 (long long)wait);
	resp_error(r, 429, detail);
	free(detail);
	return 1;
}

static void
log_failure(const char *what, const char *username, const struct client_addr *client)
{
	char name[LOG_SANITIZE_BUF];
	log_sanitize(username, name);
	log_warn("%s failed: user \"%s\" from %s", what, name, client->text);
}

int
password_check(struct req *r, struct db *db, const char *username, const char *password,
	       const struct password_refusal *refusal, struct user *u,
	       struct client_addr *client)
{
	client_addr_of(r, client);
	struct login_limits lim;
	login_limits_from_config(r->cfg, &lim);
	struct login_subject subject;
	login_subject_init(&subject, username, client->text);
	int64_t now = (int64_t)time(NULL);

	int64_t wait = login_throttle_wait(db, &subject, now);
	if (wait < 0)
		return resp_db_error(r, db, "login throttle"), 1;
	if (wait > 0)
		return answer_throttled(r, wait);

	char *hash = NULL;   /* owned here */
	int found = user_find_login(db, username, u, &hash);
	if (found < 0)
		return resp_db_error(r, db, "login"), 1;
	int verdict = password_gate_verify(r, found == 0 ? hash : NULL, password);
	free(hash);
	if (verdict == 2)
		return 1;
	if (verdict == 0) {
		if (login_throttle_succeed(db, &subject) != 0)
			log_warn("login throttle not cleared: %s", db_errmsg(db));
		return 0;
	}
	log_failure(refusal->what, username, client);
	if (login_throttle_fail(db, &lim, &subject, (int64_t)time(NULL)) != 0)
		return resp_db_error(r, db, "login throttle"), 1;
	resp_error(r, refusal->status, refusal->detail);
	return 1;
}
