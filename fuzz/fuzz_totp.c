/* fuzz_totp.c: base32 secrets and TOTP codes (crypto/base32.c, totp.c):
 * the first line is a secret, the second a code, as a user sends them. */
#include "fuzz_util.h"

#include "crypto/crypto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	char *code = strchr(text, '\n');
	if (code != NULL)
		*code++ = '\0';
	unsigned char raw[256];
	long n = base32_decode(text, raw, sizeof(raw));
	if (n > (long)sizeof(raw))
		abort();
	if (n > 0) {
		char again[512];
		(void)base32_encode(raw, (size_t)n, again, sizeof(again));
	}
	char digits[7];
	(void)totp_code_at(text, 59, digits);
	(void)totp_match(text, code ? code : "123456", 1700000000);
	free(text);
	return 0;
}
