/* sha1.c: see sha1.h.  Follows FIPS 180-4 section 6.1 step by step. */
#include "sha1.h"

#include <sodium.h>
#include <string.h>

static uint32_t
rotl32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The round function f_t and constant K_t for round t (FIPS 180-4, 4.1.1 and 4.2.1). */
static uint32_t
round_mix(unsigned t, uint32_t b, uint32_t c, uint32_t d)
{
	if (t < 20)
		return ((b & c) | (~b & d)) + 0x5a827999u;
	if (t < 40)
		return (b ^ c ^ d) + 0x6ed9eba1u;
	if (t < 60)
		return ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdcu;
	return (b ^ c ^ d) + 0xca62c1d6u;
}

static void
compress_block(uint32_t h[5], const unsigned char block[SHA1_BLOCK_BYTES])
{
	uint32_t w[80];
	for (unsigned t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	for (unsigned t = 16; t < 80; t++)
		w[t] = rotl32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (unsigned t = 0; t < 80; t++) {
		uint32_t tmp = rotl32(a, 5) + round_mix(t, b, c, d) + e + w[t];
		e = d;
		d = c;
		c = rotl32(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1_init(struct sha1_ctx *c)
{
	static const uint32_t initial[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu,
					     0x10325476u, 0xc3d2e1f0u };
	memcpy(c->h, initial, sizeof(initial));
	c->total_bytes = 0;
	c->block_len = 0;
}

void
sha1_update(struct sha1_ctx *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	c->total_bytes += n;
	while (n > 0) {
		size_t take = SHA1_BLOCK_BYTES - c->block_len;
		if (take > n)
			take = n;
		memcpy(c->block + c->block_len, p, take);
		c->block_len += take;
		p += take;
		n -= take;
		if (c->block_len == SHA1_BLOCK_BYTES) {
			compress_block(c->h, c->block);
			c->block_len = 0;
		}
	}
}

/* Padding: a 1 bit, zeros, then the message length in bits as 64-bit big-endian. */
void
sha1_final(struct sha1_ctx *c, unsigned char digest[SHA1_DIGEST_BYTES])
{
	uint64_t bits = c->total_bytes * 8;
	static const unsigned char one = 0x80, zero = 0;
	sha1_update(c, &one, 1);
	while (c->block_len != SHA1_BLOCK_BYTES - 8)
		sha1_update(c, &zero, 1);
	unsigned char len_be[8];
	for (int i = 0; i < 8; i++)
		len_be[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(c, len_be, sizeof(len_be));
	for (int i = 0; i < 5; i++)
		store_be32(digest + 4 * i, c->h[i]);
	sodium_memzero(c, sizeof(*c));
}

void
sha1(const void *data, size_t n, unsigned char digest[SHA1_DIGEST_BYTES])
{
	struct sha1_ctx c;
	sha1_init(&c);
	sha1_update(&c, data, n);
	sha1_final(&c, digest);
}

/* RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), K hashed first when longer than a block. */
void
hmac_sha1(const unsigned char *key, size_t key_len, const unsigned char *msg, size_t msg_len,
	  unsigned char mac[SHA1_DIGEST_BYTES])
{
	unsigned char k0[SHA1_BLOCK_BYTES] = { 0 };
	if (key_len > SHA1_BLOCK_BYTES)
		sha1(key, key_len, k0);
	else
		memcpy(k0, key, key_len);

	unsigned char pad[SHA1_BLOCK_BYTES];
	unsigned char inner[SHA1_DIGEST_BYTES];
	struct sha1_ctx c;

	for (int i = 0; i < SHA1_BLOCK_BYTES; i++)
		pad[i] = k0[i] ^ 0x36;
	sha1_init(&c);
	sha1_update(&c, pad, sizeof(pad));
	sha1_update(&c, msg, msg_len);
	sha1_final(&c, inner);

	for (int i = 0; i < SHA1_BLOCK_BYTES; i++)
		pad[i] = k0[i] ^ 0x5c;
	sha1_init(&c);
	sha1_update(&c, pad, sizeof(pad));
	sha1_update(&c, inner, sizeof(inner));
	sha1_final(&c, mac);

	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(pad, sizeof(pad));
}
