/*
 * mfa.h: TOTP two-factor state of a user (user_profiles.totp_secret,
 * mfa_enabled, totp_last_used_at) and the attempt counters that throttle
 * code checks (table auth_throttle).  The only SQL for these lives in
 * model/mfa.c.
 *
 * Every code check runs in one write transaction: read the user and the
 * counters, decide, count, write.  So the rate limit, the lockout and the
 * replay guard hold across responders, hosts and restarts.
 */
#ifndef PIPELIT_MODEL_MFA_H
#define PIPELIT_MODEL_MFA_H

#include <stdint.h>

#include "crypto/crypto.h"
#include "db/db.h"

struct config;
struct db;

/* Where a TOTP secret is stored, bound into its ciphertext with the user's id. */
#define MFA_SECRET_COLUMN "user_profiles.totp_secret"

struct mfa_limits {
	int64_t window_seconds;     /* length of a rate-limit window */
	int64_t max_attempts;       /* codes checked per user and window */
	int64_t lockout_threshold;  /* consecutive wrong codes that lock */
	int64_t lockout_seconds;    /* how long a lock lasts */
	int64_t session_max_seconds; /* lifetime of the session key a login issues */
};

void mfa_limits_from_config(const struct config *cfg, struct mfa_limits *out);

/* What a checked code is for; each has its own preconditions. */
enum mfa_purpose {
	MFA_FOR_ENABLE,    /* /mfa/verify/: a secret is set up, MFA not yet enabled */
	MFA_FOR_DISABLE,   /* /mfa/disable/: MFA enabled; success clears it */
	MFA_FOR_LOGIN,     /* /mfa/login-verify/: MFA enabled; success issues the session key */
};

enum mfa_result {
	MFA_OK = 0,
	MFA_BAD_CODE,          /* wrong, replayed, over the rate limit, or locked out */
	MFA_NO_USER,           /* enable, disable: the user is gone */
	MFA_NO_GRANT,          /* login: no live password-step grant (nothing was counted) */
	MFA_ALREADY_ENABLED,   /* enable: MFA is on already */
	MFA_NOT_SET_UP,        /* enable: no secret; login: MFA off or no secret */
	MFA_NOT_ENABLED,       /* disable: MFA is off */
	MFA_KEY_MISMATCH,      /* the stored secret does not decrypt with the key */
	MFA_DB_ERROR = DB_FAILED,  /* the description is on the handle */
};

struct mfa_attempt {
	enum mfa_purpose purpose;
	int64_t user_id;           /* enable, disable */
	const char *username;      /* login: may be NULL when grant_token is given */
	const char *grant_token;   /* login: the mfa_token of the password step, or NULL */
	const char *client_addr;   /* login: the client, for a grant found by username */
	const char *code;          /* six digits, validated by the caller */
	int64_t now;               /* unix seconds */
	/* Out, for MFA_FOR_LOGIN on MFA_OK: the new session token. */
	char session_token[API_KEY_TOKEN_LEN + 1];
};

enum mfa_result mfa_check_code(struct db *db, const struct mfa_limits *lim,
			       const struct field_keyring *key, struct mfa_attempt *a);

/*
 * Stores a new encrypted secret unless MFA is enabled (and forgets the
 * replay guard's step, which belonged to the old secret).  0 stored,
 * 1 MFA is already enabled (or no such user), -1 database error.
 */
int mfa_store_secret(struct db *db, int64_t user_id, const char *encrypted_secret);

/* Turns MFA off: clears the secret, the replay step and the counters.
 * Runs in the caller's transaction when there is one.  0 or -1. */
int mfa_clear(struct db *db, int64_t user_id);

#endif
