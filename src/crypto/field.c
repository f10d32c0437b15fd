/*
 * field.c: secrets at rest.  Stored text is "v1:" + URL-safe base64 (no
 * padding) of nonce || ciphertext, XChaCha20-Poly1305 with a random 24-byte
 * nonce: random nonces that long never collide in practice, so one key can
 * encrypt any number of values.
 */
#include "crypto.h"

#include <sodium.h>
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

int
field_decrypt(const unsigned char key[FIELD_KEY_BYTES], const char *stored, char **plaintext)
{
	*plaintext = NULL;
	if (stored == NULL || strncmp(stored, FIELD_PREFIX, FIELD_PREFIX_LEN) != 0)
		return -1;
	const char *b64 = stored + FIELD_PREFIX_LEN;
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
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, &mlen, NULL,
						       blob + NONCE_BYTES, clen, NULL, 0,
						       blob, key) != 0 ||
	    memchr(out, '\0', mlen) != NULL) {
		free(blob);
		sodium_memzero(out, clen - TAG_BYTES + 1);
		free(out);
		return -1;
	}
	free(blob);
	out[mlen] = '\0';
	*plaintext = out;
	return 0;
}
