/*
 * crypto.h: the project's cryptography, all on libsodium.
 *
 * - Field encryption (secrets at rest) under FIELD_ENCRYPTION_KEY: 32 bytes,
 *   URL-safe base64.  XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf)
 *   with a random nonce; stored text "v1:" + URL-safe base64 (no padding) of
 *   nonce || ciphertext.  A wrong key or a tampered value fails to decrypt
 *   (never returns garbage).
 * - Passwords: Argon2id strings (crypto_pwhash_str), verified in constant time.
 * - API keys: 43-character URL-safe tokens (32 random bytes); stored as the
 *   lowercase hex SHA-256 of the token, looked up by that hash.
 * - TOTP (RFC 6238: SHA-1, 6 digits, 30 s) with base32 secrets (RFC 4648).
 */
#ifndef PIPELIT_CRYPTO_H
#define PIPELIT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Call once per process before anything below; 0 or -1. */
int crypto_init(void);

#define FIELD_KEY_BYTES 32

/* Decodes FIELD_ENCRYPTION_KEY text; 0, or -1 when it is not 32 bytes of URL-safe base64. */
int field_key_decode(const char *text, unsigned char key[FIELD_KEY_BYTES]);
/* The first format ("v1:", no key id, no binding to a place): only read,
 * to convert it; field_encrypt() remains for tests that make such values. */
char *field_encrypt(const unsigned char key[FIELD_KEY_BYTES], const char *plaintext);
/* Decrypts stored text into a malloc'd string; -1 on a wrong key or damaged value. */
int field_decrypt(const unsigned char key[FIELD_KEY_BYTES], const char *stored, char **plaintext);

/*
 * The keys of a process: keys[0] is FIELD_ENCRYPTION_KEY, which seals;
 * the others come from FIELD_ENCRYPTION_KEY_OLD (comma-separated) and only
 * open, so values written under an old key (by children of a pool that
 * had not reloaded yet) stay readable until 'pipelit db rotate-key
 * --finish' has re-sealed them.
 */
#define FIELD_KEYRING_MAX 4
#define FIELD_KID_LEN 8
struct field_keyring {
	unsigned char keys[FIELD_KEYRING_MAX][FIELD_KEY_BYTES];
	char kids[FIELD_KEYRING_MAX][FIELD_KID_LEN + 1];
	size_t n;
};

/* 0, or -1 when a key is not 32 bytes of URL-safe base64 (or too many). */
int field_keyring_init(struct field_keyring *ring, const char *current, const char *old);
/* Makes text the sealing key, the others opening only; 0 or -1. */
int field_keyring_prepend(struct field_keyring *ring, const char *text);
void field_keyring_wipe(struct field_keyring *ring);

/*
 * Seals a value for its place: "v2:<kid>:<b64>" under the ring's first
 * key, with where ("table.column") and row (the row's id) as associated
 * data.  Opening checks the same place: a ciphertext copied into another
 * row or column does not open there.  malloc'd.
 */
char *field_seal(const struct field_keyring *ring, const char *where, int64_t row,
		 const char *plaintext);
/* 0 with a malloc'd *plaintext, or -1: unknown key, another place, damaged. */
int field_open(const struct field_keyring *ring, const char *where, int64_t row,
	       const char *stored, char **plaintext);
/* Opens a "v1:" value with any key of the ring (conversion only); 0 or -1. */
int field_open_legacy(const struct field_keyring *ring, const char *stored, char **plaintext);
/* 1 when stored is a v2 value under the ring's sealing key. */
int field_is_current(const struct field_keyring *ring, const char *stored);
/* 1 when stored is an encrypted value of any format ("v1:" or "v2:"). */
int field_is_sealed(const char *stored);

#define KEY_FINGERPRINT_HEX_LEN 64

/* A fingerprint of a key for one purpose ("SECRET_KEY"): lowercase hex,
 * the same for the same key and purpose, nothing more to learn from it. */
void key_fingerprint(const char *purpose, const char *key,
		     char hex[KEY_FINGERPRINT_HEX_LEN + 1]);

/* malloc'd Argon2id string, or NULL on failure (out of memory). */
char *password_hash(const char *password);
/* 1 when password matches hash, 0 otherwise (also for a malformed hash). */
int password_verify(const char *hash, const char *password);
/* Spends the time of one password_verify() against a fixed dummy hash, so
 * a login for an unknown user costs the same as a wrong password. */
void password_verify_dummy(const char *password);

#define API_KEY_TOKEN_LEN 43
#define API_KEY_HASH_HEX_LEN 64
#define API_KEY_PREFIX_LEN 8

/* A new token (NUL-terminated) and its hash. */
void api_key_generate(char token[API_KEY_TOKEN_LEN + 1], char hash_hex[API_KEY_HASH_HEX_LEN + 1]);
/* Hash of a presented token (any length). */
void api_key_hash(const char *token, char hash_hex[API_KEY_HASH_HEX_LEN + 1]);

/* SHA-256 of n bytes at p, as 64 lowercase hex digits. */
#define CRYPTO_SHA256_HEX_LEN 64
void crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_SHA256_HEX_LEN + 1]);

/* Identifiers: their random bytes come from a per-process buffer refilled
 * from the kernel's generator (crypto.c), never used for secrets. */
/* A random (version 4) UUID in its 36-character text form. */
void crypto_uuid4(char out[37]);
/* A time-ordered (version 7, RFC 9562) UUID: unix_ms in its first 48 bits,
 * then 74 random bits.  Ids made one after another sort by time, so a
 * B-tree keyed by them grows at its right edge: an insert writes the last
 * leaf, which the previous insert wrote too, instead of a random one that
 * must be read and then split. */
void crypto_uuid7(char out[37], int64_t unix_ms);
/* n random bytes as 2n lowercase hex digits (out holds 2n + 1). */
void crypto_random_hex(char *out, size_t n);

/* Constant-time comparison of two equal-length buffers: 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

/*
 * Base32 (RFC 4648 alphabet).  Encoding writes uppercase without padding
 * into out (cap counts the NUL) and returns the text length, or -1 when out
 * is too small.  Decoding accepts lowercase, spaces and trailing '='
 * padding; it returns the byte count, or -1 for any other character, an
 * impossible length, or an out buffer of fewer than cap bytes.
 */
long base32_encode(const unsigned char *in, size_t n, char *out, size_t cap);
long base32_decode(const char *text, unsigned char *out, size_t cap);

#define TOTP_SECRET_B32_LEN 32   /* 20 random bytes as base32, no padding */

void totp_new_secret(char secret_b32[TOTP_SECRET_B32_LEN + 1]);
/* The 6-digit code for a time step; -1 when the secret is not valid base32. */
int totp_code_at(const char *secret_b32, uint64_t step, char code[7]);
/*
 * Checks a code at unix time now within +-1 step.  Returns the matched
 * step (>= 0) or -1.  The caller applies the replay guard with it.
 */
int64_t totp_match(const char *secret_b32, const char *code, int64_t now);

#endif
