/*
 * mfa_grant.h: the proof that a password step succeeded, which the TOTP
 * step of a login needs (table mfa_login_grants).
 *
 * A login with the right password for an MFA user leaves one grant for that
 * user (a newer login replaces it), valid a few minutes and used once.  The
 * login answer carries its opaque mfa_token; login-verify finds the grant by
 * that token, or, for clients that send only the username and the code
 * (Pipelit's own frontend), by the user and the client address that passed
 * the password step.  Without a grant no code is even checked.
 */
#ifndef PIPELIT_MODEL_MFA_GRANT_H
#define PIPELIT_MODEL_MFA_GRANT_H

#include <stdint.h>

#include "crypto/crypto.h"

struct db;

#define MFA_GRANT_TOKEN_LEN API_KEY_TOKEN_LEN

/* Leaves a grant for user_id, good until expires_at (unix seconds), and
 * drops expired ones of every user.  token receives the mfa_token.  0 or -1. */
int mfa_grant_issue(struct db *db, int64_t user_id, const char *client_addr, int64_t now,
		    int64_t expires_at, char token[MFA_GRANT_TOKEN_LEN + 1]);

/* The user of the live grant with this token: 0 with *user_id, 1 none, -1 error. */
int mfa_grant_find_by_token(struct db *db, const char *token, int64_t now, int64_t *user_id);

/* Whether user_id has a live grant issued to client_addr: 0 yes, 1 no, -1 error. */
int mfa_grant_find_for_user(struct db *db, int64_t user_id, const char *client_addr,
			    int64_t now);

/* Uses up (or drops) the user's grant; 0 or -1.  The caller's transaction. */
int mfa_grant_drop(struct db *db, int64_t user_id);

#endif
