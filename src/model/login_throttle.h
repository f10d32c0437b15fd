/*
 * login_throttle.h: counters of failed password checks (table
 * login_throttle), so guessing is slowed per account, per client address
 * and per pair of both, across responders, hosts and restarts.
 *
 * Three counters move on every failure:
 *   account_address  the strict one: a few failures, then a growing block
 *                    for that name from that address only;
 *   account          looser: only many failures from many addresses block
 *                    the account everywhere;
 *   address          looser: one address trying many names.
 * So a flood from one address blocks that address, and the real user
 * still logs in from theirs.  A counter at or over its limit blocks for
 * backoff * 2^(failures - limit) seconds, capped; a counter quiet for the
 * forget time starts over; a success clears the pair's counter.
 *
 * Subjects are SHA-256 hex of the name as typed and of the address text,
 * so an unknown name is counted exactly like a known one (the answers do
 * not tell them apart) and no client-chosen text is stored.
 */
#ifndef PIPELIT_MODEL_LOGIN_THROTTLE_H
#define PIPELIT_MODEL_LOGIN_THROTTLE_H

#include <stdint.h>

#include "crypto/crypto.h"

struct config;
struct db;

struct login_limits {
	int64_t max_pair, max_account, max_address;   /* failures before blocking */
	int64_t backoff_seconds, backoff_max_seconds;
	int64_t forget_seconds;
};

void login_limits_from_config(const struct config *cfg, struct login_limits *out);

struct login_subject {
	char account[API_KEY_HASH_HEX_LEN + 1];
	char address[API_KEY_HASH_HEX_LEN + 1];
	char pair[API_KEY_HASH_HEX_LEN + 1];
};

void login_subject_init(struct login_subject *s, const char *username, const char *address);

/* The block of a counter that reached failures (pure; unit-tested):
 * seconds, 0 below the limit. */
int64_t login_backoff_seconds(const struct login_limits *lim, int64_t limit, int64_t failures);

/* Seconds until any counter of s lets a check through (0: now), or -1 on
 * a database error. */
int64_t login_throttle_wait(struct db *db, const struct login_subject *s, int64_t now);

/* Counts one failure in all three counters, in one write transaction
 * unless the caller has one open; 0 or -1. */
int login_throttle_fail(struct db *db, const struct login_limits *lim,
			const struct login_subject *s, int64_t now);

/* A right password clears the pair's counter; 0 or -1. */
int login_throttle_succeed(struct db *db, const struct login_subject *s);

#endif
