/*
 * password.c: Argon2id password hashes.
 *
 * The limits are fixed here rather than libsodium's "interactive" ones so a
 * library upgrade never silently changes the cost of a login: 2 passes over
 * 19 MiB is the OWASP minimum for Argon2id, and keeps several concurrent
 * logins within a small machine's memory.
 */
#include "crypto.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define PASSWORD_OPSLIMIT 2ULL
#define PASSWORD_MEMLIMIT ((size_t)19 << 20)

char *
password_hash(const char *password)
{
	char *out = xmalloc(crypto_pwhash_STRBYTES);
	if (crypto_pwhash_str_alg(out, password, strlen(password), PASSWORD_OPSLIMIT,
				  PASSWORD_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

int
password_verify(const char *hash, const char *password)
{
	if (hash == NULL || password == NULL)
		return 0;
	/* crypto_pwhash_str_verify wants a NUL within its buffer size. */
	if (strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return 0;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/*
 * The dummy hash is made once per process, on first use: computing it at
 * start-up would slow every CLI command for a value only logins need.
 * Immutable once made.
 */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy_hash(void)
{
	unsigned char noise[16];
	char text[sizeof(noise) * 2 + 1];
	randombytes_buf(noise, sizeof(noise));
	sodium_bin2hex(text, sizeof(text), noise, sizeof(noise));
	if (crypto_pwhash_str_alg(dummy_hash, text, strlen(text), PASSWORD_OPSLIMIT,
				  PASSWORD_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
		dummy_hash[0] = '\0';
}

void
password_verify_dummy(const char *password)
{
	pthread_once(&dummy_once, make_dummy_hash);
	(void)password_verify(dummy_hash, password ? password : "");
}
