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
/* Encrypts; returns malloc'd stored text. */
char *field_encrypt(const unsigned char key[FIELD_KEY_BYTES], const char *plaintext);
/* Decrypts stored text into a malloc'd string; -1 on a wrong key or damaged value. */
int field_decrypt(const unsigned char key[FIELD_KEY_BYTES], const char *stored, char **plaintext);

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
