/*
 * password_gate.h: at most a few Argon2id computations at once on a host.
 *
 * A password check is meant to be slow (tens of milliseconds of CPU and
 * 19 MiB of memory).  If every responder were hashing at once, nothing else
 * would be served: a burst of logins must not starve other requests.  So a
 * request that needs Argon2id first takes one of cfg->password_checks slots
 * without waiting (waiting would still hold the responder); when all are
 * taken it is answered 503 with Retry-After at once.
 *
 * A slot is an flock(2) on a file under <data dir>/locks/, opened lazily by
 * each process: the kernel releases it when a process dies, so a crash never
 * leaks a slot, and every pool, fcgi responder and command sharing the data
 * directory shares the slots.  If the lock files cannot be created the gate
 * stays open (logged once): slower under a login storm, never locked out.
 */
#ifndef PIPELIT_PASSWORD_GATE_H
#define PIPELIT_PASSWORD_GATE_H

struct http_ctx;
struct req;

/* Takes a slot: 0 with *slot set (leave it with password_gate_leave), or -1
 * after answering 503 {"detail": ...} with Retry-After: 1. */
int password_gate_enter(struct req *r, int *slot);
void password_gate_leave(struct req *r, int slot);

/* Argon2id of password under a slot: 0 with *hash set (malloc'd, the
 * caller frees it), 1 when the request has been answered (no slot free),
 * -1 when hashing failed (out of memory). */
int password_gate_hash(struct req *r, const char *password, char **hash);

/*
 * Checks password against a stored hash under a slot.  hash NULL or ""
 * (an unknown user, a user without a password) costs one dummy check of
 * the same price, so the answer's timing does not tell whether the name
 * exists.  0 right, 1 wrong, 2 when the request has been answered (no slot
 * free).
 *
 * With PIPELIT_TEST_ROUTES each Argon2id run adds a response header
 * "X-Test-Password-Hash: verify|dummy|hash", so tests can see what a
 * request cost without measuring time.
 */
int password_gate_verify(struct req *r, const char *hash, const char *password);

/* Closes the process's slot files (http_ctx_close). */
void password_gate_close(struct http_ctx *ctx);

#endif
