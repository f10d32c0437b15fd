/* crypto.c: library start-up and constant-time comparison. */
#include "crypto.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

int
crypto_init(void)
{
	/* sodium_init() answers 1 when already initialised: not an error. */
	return sodium_init() < 0 ? -1 : 0;
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, p, n);
	sodium_bin2hex(out, CRYPTO_SHA256_HEX_LEN + 1, digest, sizeof(digest));
}

/*
 * Random bytes for identifiers (execution, thread and task ids), drawn from
 * a buffer the kernel's generator fills 512 bytes at a time: one system
 * call for some thirty ids, where a trigger otherwise made one or two of
 * its own.  A forked child starts with an empty buffer (the handler below),
 * so no two processes ever hand out the same bytes.  Keys, nonces and
 * secrets do not come from here: they call randombytes_buf themselves.
 * The pool's processes are single-threaded.
 */
static struct {
	unsigned char bytes[512];
	size_t used;                 /* bytes[used..] are unused */
	int fork_watched;
} id_pool = { .used = sizeof id_pool.bytes };

static void
id_pool_forget(void)
{
	sodium_memzero(id_pool.bytes, sizeof id_pool.bytes);
	id_pool.used = sizeof id_pool.bytes;
}

static void
id_random(unsigned char *out, size_t n)
{
	if (n > sizeof id_pool.bytes) {
		randombytes_buf(out, n);
		return;
	}
	if (!id_pool.fork_watched && pthread_atfork(NULL, NULL, id_pool_forget) == 0)
		id_pool.fork_watched = 1;
	if (!id_pool.fork_watched) {
		randombytes_buf(out, n);  /* no way to hear of a fork: no buffer */
		return;
	}
	if (sizeof id_pool.bytes - id_pool.used < n) {
		randombytes_buf(id_pool.bytes, sizeof id_pool.bytes);
		id_pool.used = 0;
	}
	memcpy(out, id_pool.bytes + id_pool.used, n);
	/* Handed out once: wiped from the buffer. */
	sodium_memzero(id_pool.bytes + id_pool.used, n);
	id_pool.used += n;
}

void
crypto_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t done = 0;
	while (done < n) {
		size_t k = n - done < sizeof b ? n - done : sizeof b;
		id_random(b, k);
		for (size_t i = 0; i < k; i++) {
			out[2 * (done + i)] = hex[b[i] >> 4];
			out[2 * (done + i) + 1] = hex[b[i] & 15];
		}
		done += k;
	}
	out[2 * n] = '\0';
}

/* The 16 bytes b in the 8-4-4-4-12 hex form. */
static void
uuid_text(const unsigned char b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

void
crypto_uuid4(char out[37])
{
	unsigned char b[16];
	id_random(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	uuid_text(b, out);
}

void
crypto_uuid7(char out[37], int64_t unix_ms)
{
	unsigned char b[16];
	id_random(b, sizeof b);
	uint64_t ms = unix_ms > 0 ? (uint64_t)unix_ms : 0;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);   /* version 7 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 9562 variant */
	uuid_text(b, out);
}
