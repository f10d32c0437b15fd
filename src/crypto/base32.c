/* base32.c: RFC 4648 base32, as authenticator apps exchange TOTP secrets. */
#include "crypto.h"

#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

long
base32_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t need = (n * 8 + 4) / 5;
	if (cap < need + 1)
		return -1;
	size_t o = 0;
	unsigned buffer = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		buffer = (buffer << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(buffer >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buffer << (5 - bits)) & 31];
	out[o] = '\0';
	return (long)o;
}

static int
symbol_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* A group of 8 symbols carries 5 bytes; a final partial group of 1, 3 or
 * 6 symbols would leave bits that make no whole byte. */
static int
symbol_count_is_possible(size_t symbols)
{
	size_t rest = symbols % 8;
	return rest != 1 && rest != 3 && rest != 6;
}

long
base32_decode(const char *text, unsigned char *out, size_t cap)
{
	size_t o = 0, symbols = 0;
	unsigned buffer = 0, bits = 0;
	int padding_seen = 0;
	for (const char *p = text; *p; p++) {
		if (*p == ' ')
			continue;
		if (*p == '=') {
			padding_seen = 1;
			continue;
		}
		int v = symbol_value(*p);
		if (v < 0 || padding_seen)
			return -1;
		symbols++;
		buffer = (buffer << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(buffer >> bits);
		}
	}
	if (!symbol_count_is_possible(symbols))
		return -1;
	return (long)o;
}
