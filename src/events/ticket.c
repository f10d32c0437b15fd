/* ticket.c: see ticket.h. */
#include "ticket.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db/db.h"

#define WORKFLOW_PREFIX "workflow:"
#define EXECUTION_PREFIX "execution:"
#define KEY_MAX 255

/* Slugs and execution ids are plain words; refusing anything else keeps
 * '|' (the mac's separator) and URL syntax out of channel names. */
static int
key_is_clean(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > KEY_MAX)
		return 0;
	for (const char *p = key; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

enum channel_kind
events_channel_parse(const char *channel, const char **key)
{
	enum channel_kind kind = CHANNEL_INVALID;
	const char *k = NULL;
	if (channel == NULL)
		return CHANNEL_INVALID;
	if (strncmp(channel, WORKFLOW_PREFIX, strlen(WORKFLOW_PREFIX)) == 0) {
		kind = CHANNEL_WORKFLOW;
		k = channel + strlen(WORKFLOW_PREFIX);
	} else if (strncmp(channel, EXECUTION_PREFIX, strlen(EXECUTION_PREFIX)) == 0) {
		kind = CHANNEL_EXECUTION;
		k = channel + strlen(EXECUTION_PREFIX);
	}
	if (kind == CHANNEL_INVALID || !key_is_clean(k))
		return CHANNEL_INVALID;
	if (key)
		*key = k;
	return kind;
}

static void
mac_of(const char *secret, const char *channel, int64_t user_id, time_t expiry,
       unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	char msg[EVENTS_CHANNEL_MAX + 64];
	int n = snprintf(msg, sizeof(msg), "%s|%" PRId64 "|%lld", channel, user_id,
			 (long long)expiry);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, (size_t)n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

void
ticket_make(const char *secret, const char *channel, int64_t user_id, time_t expiry,
	    char out[EVENTS_TICKET_MAX])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char mac_text[sodium_base64_ENCODED_LEN(sizeof(mac),
						sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	mac_of(secret, channel, user_id, expiry, mac);
	sodium_bin2base64(mac_text, sizeof(mac_text), mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, EVENTS_TICKET_MAX, "%" PRId64 ".%lld.%s", user_id, (long long)expiry,
		 mac_text);
}

/* A decimal without sign, leading zeros or overflow: the text must be
 * exactly what ticket_make printed, or the mac would not match anyway. */
static int
parse_number(const char *s, size_t len, int64_t *out)
{
	if (len == 0 || len > 18 || (len > 1 && s[0] == '0'))
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
ticket_check(const char *secret, const char *channel, const char *ticket, time_t now,
	     int64_t *user_id)
{
	if (ticket == NULL || strlen(ticket) >= EVENTS_TICKET_MAX ||
	    events_channel_parse(channel, NULL) == CHANNEL_INVALID)
		return -1;
	const char *dot1 = strchr(ticket, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	int64_t uid, expiry;
	if (dot2 == NULL || parse_number(ticket, (size_t)(dot1 - ticket), &uid) != 0 ||
	    parse_number(dot1 + 1, (size_t)(dot2 - dot1 - 1), &expiry) != 0)
		return -1;
	if ((time_t)expiry < now)
		return -1;
	char expect[EVENTS_TICKET_MAX];
	ticket_make(secret, channel, uid, (time_t)expiry, expect);
	size_t len = strlen(expect);
	if (strlen(ticket) != len || sodium_memcmp(expect, ticket, len) != 0)
		return -1;
	*user_id = uid;
	return 0;
}

/* The owner of the channel's workflow: 0 found, 1 not found, -1 error. */
static int
channel_owner(struct db *db, enum channel_kind kind, const char *key, int64_t *owner)
{
	const char *sql = kind == CHANNEL_WORKFLOW
		? "SELECT owner_id FROM workflows WHERE slug = ?"
		: "SELECT w.owner_id FROM workflow_executions e "
		  "JOIN workflows w ON w.id = e.workflow_id WHERE e.execution_id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key, -1);
	int rc = db_step(st);
	int found = rc == DB_ROW;
	if (found)
		*owner = db_column_int64(st, 0);
	while (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	return found ? 0 : 1;
}

int
events_channel_visible(struct db *db, const char *channel, int64_t user_id, int is_admin)
{
	const char *key;
	enum channel_kind kind = events_channel_parse(channel, &key);
	if (kind == CHANNEL_INVALID)
		return 0;
	int64_t owner = 0;
	int rc = channel_owner(db, kind, key, &owner);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	return is_admin || owner == user_id;
}
