/*
 * field.c: secrets at rest.  XChaCha20-Poly1305 with a random 24-byte
 * nonce: random nonces that long never collide in practice, so one key can
 * encrypt any number of values.
 *
 *   v2:<kid>:<b64>  the format written: kid names the key (8 hex digits of
 *                   its fingerprint), and the associated data binds the
 *                   ciphertext to its table, column and row
 *   v1:<b64>        the first format, no key id and no binding: read only
 *                   to convert it (field_open_legacy)
 *
 * <b64> is URL-safe base64 (no padding) of nonce || ciphertext.
 */
#include "crypto.h"

#include <sodium.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define FIELD_PREFIX "v1:"
#define FIELD_PREFIX_LEN (sizeof(FIELD_PREFIX) - 1)
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

/* Decodes URL-safe base64 with or without '=' padding; the decoded length, or -1. */
static long
base64url_decode(const char *text, unsigned char *out, size_t cap)
{
	size_t n = strlen(text);
	while (n > 0 && text[n - 1] == '=')
		n--;
	size_t len;
	const char *end;
	if (sodium_base642bin(out, cap, text, n, NULL, &len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != text + n)
		return -1;
	return (long)len;
}

int
field_key_decode(const char *text, unsigned char key[FIELD_KEY_BYTES])
{
	unsigned char buf[FIELD_KEY_BYTES + 1];
	if (text == NULL || strlen(text) > 64)
		return -1;
	long n = base64url_decode(text, buf, sizeof(buf));
	if (n != FIELD_KEY_BYTES) {
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(key, buf, FIELD_KEY_BYTES);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

char *
field_encrypt(const unsigned char key[FIELD_KEY_BYTES], const char *plaintext)
{
	size_t plen = strlen(plaintext);
	size_t blen = NONCE_BYTES + plen + TAG_BYTES;
	unsigned char *blob = xmalloc(blen);
	randombytes_buf(blob, NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE_BYTES, NULL,
						   (const unsigned char *)plaintext, plen,
						   NULL, 0, NULL, blob, key);
	size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = xmalloc(FIELD_PREFIX_LEN + b64len);
	memcpy(out, FIELD_PREFIX, FIELD_PREFIX_LEN);
	sodium_bin2base64(out + FIELD_PREFIX_LEN, b64len, blob, blen,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(blob);
	return out;
}

/* Opens base64url(nonce || ciphertext) under key with the associated data
 * ad (NULL: none): 0 and a malloc'd NUL-terminated *plaintext, or -1 when
 * it does not decode, authenticate, or holds a NUL. */
static int
aead_open(const unsigned char *key, const char *b64, const char *ad, char **plaintext)
{
	size_t cap = strlen(b64) / 4 * 3 + 3;
	unsigned char *blob = xmalloc(cap);
	long blen = base64url_decode(b64, blob, cap);
	if (blen < (long)(NONCE_BYTES + TAG_BYTES)) {
		free(blob);
		return -1;
	}
	size_t clen = (size_t)blen - NONCE_BYTES;
	char *out = xmalloc(clen - TAG_BYTES + 1);
	unsigned long long mlen;
	int bad = crypto_aead_xchacha20poly1305_ietf_decrypt(
			  (unsigned char *)out, &mlen, NULL, blob + NONCE_BYTES, clen,
			  (const unsigned char *)ad, ad ? strlen(ad) : 0, blob, key) != 0 ||
		  memchr(out, '\0', mlen) != NULL;
	free(blob);
	if (bad) {
		sodium_memzero(out, clen - TAG_BYTES + 1);
		free(out);
		return -1;
	}
	out[mlen] = '\0';
	*plaintext = out;
	return 0;
}

int
field_decrypt(const unsigned char key[FIELD_KEY_BYTES], const char *stored, char **plaintext)
{
	*plaintext = NULL;
	if (stored == NULL || strncmp(stored, FIELD_PREFIX, FIELD_PREFIX_LEN) != 0)
		return -1;
	return aead_open(key, stored + FIELD_PREFIX_LEN, NULL, plaintext);
}

/* --- v2: key ids and bound ciphertexts -------------------------------------------- */

#define V2_PREFIX "v2:"
#define V2_PREFIX_LEN (sizeof(V2_PREFIX) - 1)

static void
key_id(const unsigned char key[FIELD_KEY_BYTES], char kid[FIELD_KID_LEN + 1])
{
	static const char purpose[] = "pipelit field key id";
	unsigned char h[FIELD_KID_LEN / 2];
	crypto_generichash(h, sizeof(h), key, FIELD_KEY_BYTES, (const unsigned char *)purpose,
			   sizeof(purpose) - 1);
	sodium_bin2hex(kid, FIELD_KID_LEN + 1, h, sizeof(h));
}

static int
ring_add(struct field_keyring *ring, const char *text)
{
	if (ring->n == FIELD_KEYRING_MAX || field_key_decode(text, ring->keys[ring->n]) != 0)
		return -1;
	key_id(ring->keys[ring->n], ring->kids[ring->n]);
	for (size_t i = 0; i < ring->n; i++)
		if (strcmp(ring->kids[i], ring->kids[ring->n]) == 0)
			return 0;	/* listed twice: once is enough */
	ring->n++;
	return 0;
}

int
field_keyring_init(struct field_keyring *ring, const char *current, const char *old)
{
	memset(ring, 0, sizeof(*ring));
	if (current == NULL || ring_add(ring, current) != 0)
		goto bad;
	if (old != NULL) {
		char buf[FIELD_KEYRING_MAX * 64];
		if (strlen(old) >= sizeof(buf))
			goto bad;
		memcpy(buf, old, strlen(old) + 1);
		char *save = NULL;
		for (char *k = strtok_r(buf, ", \t", &save); k != NULL;
		     k = strtok_r(NULL, ", \t", &save))
			if (ring_add(ring, k) != 0) {
				sodium_memzero(buf, sizeof(buf));
				goto bad;
			}
		sodium_memzero(buf, sizeof(buf));
	}
	return 0;
bad:
	field_keyring_wipe(ring);
	return -1;
}

void
field_keyring_wipe(struct field_keyring *ring)
{
	sodium_memzero(ring, sizeof(*ring));
}

int
field_keyring_prepend(struct field_keyring *ring, const char *text)
{
	struct field_keyring next;
	memset(&next, 0, sizeof(next));
	if (ring_add(&next, text) != 0)
		return -1;
	for (size_t i = 0; i < ring->n && next.n < FIELD_KEYRING_MAX; i++) {
		if (strcmp(ring->kids[i], next.kids[0]) == 0)
			continue;
		memcpy(next.keys[next.n], ring->keys[i], FIELD_KEY_BYTES);
		memcpy(next.kids[next.n], ring->kids[i], sizeof(next.kids[0]));
		next.n++;
	}
	*ring = next;
	sodium_memzero(&next, sizeof(next));
	return 0;
}

/* The associated data: where the value lives.  A ciphertext moved to any
 * other table, column or row fails to authenticate there. */
static char *
bound_to(const char *where, int64_t row)
{
	return xasprintf("pipelit field v2|%s|%" PRId64, where, row);
}

char *
field_seal(const struct field_keyring *ring, const char *where, int64_t row, const char *plaintext)
{
	size_t plen = strlen(plaintext);
	size_t blen = NONCE_BYTES + plen + TAG_BYTES;
	unsigned char *blob = xmalloc(blen);
	char *ad = bound_to(where, row);
	randombytes_buf(blob, NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE_BYTES, NULL,
						   (const unsigned char *)plaintext, plen,
						   (const unsigned char *)ad, strlen(ad), NULL, blob,
						   ring->keys[0]);
	free(ad);
	size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	size_t head = V2_PREFIX_LEN + FIELD_KID_LEN + 1;
	char *out = xmalloc(head + b64len);
	snprintf(out, head + 1, V2_PREFIX "%s:", ring->kids[0]);
	sodium_bin2base64(out + head, b64len, blob, blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(blob);
	return out;
}

/* The key of the ring a v2 value names, or NULL; *b64 is set past the kid. */
static const unsigned char *
key_for(const struct field_keyring *ring, const char *stored, const char **b64)
{
	if (stored == NULL || strncmp(stored, V2_PREFIX, V2_PREFIX_LEN) != 0)
		return NULL;
	const char *kid = stored + V2_PREFIX_LEN;
	if (strlen(kid) < FIELD_KID_LEN + 1 || kid[FIELD_KID_LEN] != ':')
		return NULL;
	*b64 = kid + FIELD_KID_LEN + 1;
	for (size_t i = 0; i < ring->n; i++)
		if (strncmp(ring->kids[i], kid, FIELD_KID_LEN) == 0)
			return ring->keys[i];
	return NULL;
}

int
field_open(const struct field_keyring *ring, const char *where, int64_t row, const char *stored,
	   char **plaintext)
{
	*plaintext = NULL;
	const char *b64 = NULL;
	const unsigned char *key = key_for(ring, stored, &b64);
	if (key == NULL)
		return -1;
	char *ad = bound_to(where, row);
	int rc = aead_open(key, b64, ad, plaintext);
	free(ad);
	return rc;
}

int
field_open_legacy(const struct field_keyring *ring, const char *stored, char **plaintext)
{
	for (size_t i = 0; i < ring->n; i++)
		if (field_decrypt(ring->keys[i], stored, plaintext) == 0)
			return 0;
	*plaintext = NULL;
	return -1;
}

int
field_is_current(const struct field_keyring *ring, const char *stored)
{
	return stored != NULL && strncmp(stored, V2_PREFIX, V2_PREFIX_LEN) == 0 &&
	       strncmp(stored + V2_PREFIX_LEN, ring->kids[0], FIELD_KID_LEN) == 0 &&
	       stored[V2_PREFIX_LEN + FIELD_KID_LEN] == ':';
}

int
field_is_sealed(const char *stored)
{
	return stored != NULL && (strncmp(stored, V2_PREFIX, V2_PREFIX_LEN) == 0 ||
				  strncmp(stored, FIELD_PREFIX, FIELD_PREFIX_LEN) == 0);
}
