/* webhook_signature.c: see webhook_signature.h. */
#include "webhook_signature.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define HMAC_HEX 64

/* HMAC of prefix (may be NULL) followed by body. */
static void
hmac_raw(const char *key, const char *prefix, const void *body, size_t n,
	 unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	if (prefix != NULL)
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, strlen(prefix));
	crypto_auth_hmacsha256_update(&st, body, n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void
webhook_hmac_hex(const char *key, const void *p, size_t n, char out[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac_raw(key, NULL, p, n, mac);
	sodium_bin2hex(out, 65, mac, sizeof mac);
}

/* Whether the len characters at hex are the hex form of mac, in constant
 * time for a candidate of the right length. */
static int
hex_matches(const char *hex, size_t len, const unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	if (len != HMAC_HEX)
		return 0;
	char expected[HMAC_HEX + 1], given[HMAC_HEX + 1];
	sodium_bin2hex(expected, sizeof expected, mac, crypto_auth_hmacsha256_BYTES);
	for (size_t i = 0; i < HMAC_HEX; i++)
		given[i] = (char)tolower((unsigned char)hex[i]);
	return sodium_memcmp(expected, given, HMAC_HEX) == 0;
}

static enum webhook_sig_result
check_stripe(const struct webhook_config *c, const char *header, const char *body, size_t n,
	     int64_t now)
{
	/* First pass: the timestamp. */
	const char *t = NULL;
	for (const char *p = header; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (strncmp(p, "t=", 2) == 0) {
			t = p + 2;
			break;
		}
	}
	if (t == NULL || !isdigit((unsigned char)*t))
		return WEBHOOK_SIG_MISSING;
	char *end;
	long long ts = strtoll(t, &end, 10);
	if (*end != ',' && *end != '\0')
		return WEBHOOK_SIG_MISSING;
	char prefix[32];
	size_t tlen = (size_t)(end - t);
	if (tlen > 20)
		return WEBHOOK_SIG_MISSING;
	memcpy(prefix, t, tlen);
	prefix[tlen] = '.';
	prefix[tlen + 1] = '\0';
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac_raw(c->secret, prefix, body, n, mac);
	int seen = 0, matched = 0;
	for (const char *p = header; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (strncmp(p, "v1=", 3) != 0)
			continue;
		seen = 1;
		const char *v = p + 3;
		size_t len = strcspn(v, ",");
		matched |= hex_matches(v, len, mac);
	}
	sodium_memzero(mac, sizeof mac);
	if (!seen)
		return WEBHOOK_SIG_MISSING;
	if (!matched)
		return WEBHOOK_SIG_MISMATCH;
	/* Checked after the signature so that a stale but genuine delivery
	 * (a replay) is told apart from a forged one. */
	long long skew = (long long)now - ts;
	if (skew > c->signature_tolerance_seconds || -skew > c->signature_tolerance_seconds)
		return WEBHOOK_SIG_STALE;
	return WEBHOOK_SIG_OK;
}

enum webhook_sig_result
webhook_signature_check(const struct webhook_config *c, const char *header, const char *body,
			size_t n, int64_t now)
{
	if (header == NULL || *header == '\0')
		return WEBHOOK_SIG_MISSING;
	if (c->signature == WEBHOOK_SIG_STRIPE)
		return check_stripe(c, header, body, n, now);
	const char *hex = header;
	if (c->signature == WEBHOOK_SIG_SHA256) {
		if (strncmp(header, "sha256=", 7) != 0)
			return WEBHOOK_SIG_MISSING;
		hex = header + 7;
	}
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac_raw(c->secret, NULL, body, n, mac);
	int ok = hex_matches(hex, strlen(hex), mac);
	sodium_memzero(mac, sizeof mac);
	return ok ? WEBHOOK_SIG_OK : WEBHOOK_SIG_MISMATCH;
}
