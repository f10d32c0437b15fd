/*
 * password_check.h: the one password step of the API (login, a password
 * change, the loopback MFA reset), with what guards it: the login throttle
 * (429 with Retry-After, answered before any Argon2id work, so a flood
 * never takes the password slots), the equal cost of unknown names, and a
 * log line for every failure (name sanitised, client address).
 */
#ifndef PIPELIT_API_PASSWORD_CHECK_H
#define PIPELIT_API_PASSWORD_CHECK_H

#include "http/client_addr.h"
#include "model/user.h"

struct db;
struct req;

/* How a wrong password is answered (the login's 401, or a 400 where a 401
 * would log the caller out). */
struct password_refusal {
	int status;
	const char *detail;
	const char *what;    /* for the log: "login", "password change", ... */
};

/*
 * Checks username's password.  0 when it is right (*u set, the pair's
 * failure counter cleared); otherwise the request has been answered (the
 * refusal, 429, 503 or 500) and 1 is returned.  *client receives the
 * client's address either way.
 */
int password_check(struct req *r, struct db *db, const char *username, const char *password,
		   const struct password_refusal *refusal, struct user *u,
		   struct client_addr *client);

#endif
