/* test_crypto.c: field encryption, passwords, API keys, SHA-1/HMAC, base32, TOTP, uuids. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "crypto/crypto.h"
#include "crypto/sha1.h"

static void
hex(const unsigned char *in, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

static void
test_field_key_decode(void)
{
	unsigned char key[FIELD_KEY_BYTES];
	/* 32 bytes 0x00..0x1f as URL-safe base64, padded and unpadded. */
	const char *padded = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	ok(field_key_decode(padded, key) == 0 && key[0] == 0 && key[31] == 31,
	   "padded key decodes");
	ok(field_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", key) == 0,
	   "unpadded key decodes");
	ok(field_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", key) != 0,
	   "31-byte key is refused");
	ok(field_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+=", key) != 0,
	   "standard base64 '+' is refused");
	ok(field_key_decode("", key) != 0, "empty key is refused");
}

/* Security review, findings 20 and 8: a ciphertext is bound to its table,
 * column and row, and names its key, so an old key can still open it. */
static void
test_field_seal(void)
{
	static const char k1[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	static const char k2[] = "HxwdGhsYGRYXFBUSExARDg8MDQoLCAkGBwQFAgMAAQI=";
	struct field_keyring ring, both, only2;
	char *plain = NULL;
	ok(field_keyring_init(&ring, k1, NULL) == 0, "a ring of one key");
	ok(field_keyring_init(&both, k2, k1) == 0 && both.n == 2, "a ring of a new and an old key");
	ok(field_keyring_init(&only2, k2, NULL) == 0, "a ring of the new key alone");
	ok(field_keyring_init(&only2, k2, "short") == -1, "a bad old key is refused");
	field_keyring_init(&only2, k2, NULL);

	char *a = field_seal(&ring, "llm_credentials.api_key", 7, "sk-secret-value");
	ok(strncmp(a, "v2:", 3) == 0 && a[11] == ':', "v2:<kid>:...");
	ok(strstr(a, "secret") == NULL, "no plaintext in the stored text");
	ok(field_open(&ring, "llm_credentials.api_key", 7, a, &plain) == 0 &&
	   strcmp(plain, "sk-secret-value") == 0, "opens in its place");
	free(plain);
	ok(field_open(&ring, "llm_credentials.api_key", 8, a, &plain) == -1 && plain == NULL,
	   "copied to another row it does not open");
	ok(field_open(&ring, "git_credentials.access_token", 7, a, &plain) == -1,
	   "copied to another column it does not open");
	ok(field_open(&ring, "llm_credentials.custom_headers", 7, a, &plain) == -1,
	   "nor to the headers of the same row");
	ok(field_open(&both, "llm_credentials.api_key", 7, a, &plain) == 0 && plain != NULL,
	   "a ring that keeps the key as an old one opens it");
	free(plain);
	ok(field_open(&only2, "llm_credentials.api_key", 7, a, &plain) == -1,
	   "a ring without its key does not");
	ok(field_is_current(&ring, a) && !field_is_current(&both, a),
	   "current under its own key only");
	char *b = field_seal(&both, "llm_credentials.api_key", 7, "x");
	ok(field_is_current(&both, b) && field_is_current(&only2, b), "sealed with the first key");
	free(b);

	unsigned char raw[FIELD_KEY_BYTES];
	field_key_decode(k1, raw);
	char *legacy = field_encrypt(raw, "old-format");
	ok(field_open(&ring, "llm_credentials.api_key", 7, legacy, &plain) == -1,
	   "a v1 value does not open as a bound one");
	ok(field_open_legacy(&both, legacy, &plain) == 0 && strcmp(plain, "old-format") == 0,
	   "the conversion opens it with any key of the ring");
	free(plain);
	ok(field_is_sealed(legacy) && field_is_sealed(a) && !field_is_sealed("{}"),
	   "sealed values are told from clear ones");
	free(legacy);
	free(a);
	field_keyring_wipe(&ring);
	field_keyring_wipe(&both);
	field_keyring_wipe(&only2);
}

static void
test_field_encryption(void)
{
	unsigned char key[FIELD_KEY_BYTES], other[FIELD_KEY_BYTES];
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));

	char *a = field_encrypt(key, "sk-secret-value");
	char *b = field_encrypt(key, "sk-secret-value");
	ok(strncmp(a, "v1:", 3) == 0, "stored text starts with v1:");
	ok(strcmp(a, b) != 0, "same plaintext encrypts differently each time");
	ok(strstr(a, "secret") == NULL, "no plaintext in the stored text");
	ok(strspn(a + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		   strlen(a + 3),
	   "URL-safe base64 without padding");

	char *plain = NULL;
	ok(field_decrypt(key, a, &plain) == 0 && strcmp(plain, "sk-secret-value") == 0,
	   "round trip");
	free(plain);
	ok(field_decrypt(other, a, &plain) == -1 && plain == NULL, "wrong key fails");

	char *tampered = strdup(a);
	size_t mid = strlen(tampered) / 2;
	tampered[mid] = tampered[mid] == 'A' ? 'B' : 'A';
	ok(field_decrypt(key, tampered, &plain) == -1, "tampered value fails");
	free(tampered);

	ok(field_decrypt(key, "v1:", &plain) == -1, "empty body fails");
	ok(field_decrypt(key, "v1:AAAA", &plain) == -1, "short body fails");
	ok(field_decrypt(key, "gAAAAABk", &plain) == -1, "unknown format fails");
	ok(field_decrypt(key, "v1:!!!!", &plain) == -1, "non-base64 fails");

	char *empty = field_encrypt(key, "");
	ok(field_decrypt(key, empty, &plain) == 0 && strcmp(plain, "") == 0,
	   "empty plaintext round trips");
	free(plain);
	free(empty);
	free(a);
	free(b);
}

static void
test_passwords(void)
{
	char *h = password_hash("correct horse");
	ok(h != NULL && strncmp(h, "$argon2id$", 10) == 0, "Argon2id string");
	ok(h != NULL && strstr(h, "m=19456,t=2,") != NULL, "19 MiB, 2 passes");
	is_int(password_verify(h, "correct horse"), 1, "right password verifies");
	is_int(password_verify(h, "correct horsf"), 0, "wrong password fails");
	is_int(password_verify(h, ""), 0, "empty password fails");
	is_int(password_verify("$2b$12$notargon", "x"), 0, "malformed hash fails");
	is_int(password_verify("", "x"), 0, "empty hash fails");
	is_int(password_verify(NULL, "x"), 0, "NULL hash fails");
	char *h2 = password_hash("correct horse");
	ok(strcmp(h, h2) != 0, "salted: two hashes differ");
	password_verify_dummy("anything");
	password_verify_dummy(NULL);
	ok(1, "dummy verify runs");
	free(h);
	free(h2);
}

static void
test_api_keys(void)
{
	char t1[API_KEY_TOKEN_LEN + 1], h1[API_KEY_HASH_HEX_LEN + 1];
	char t2[API_KEY_TOKEN_LEN + 1], h2[API_KEY_HASH_HEX_LEN + 1];
	api_key_generate(t1, h1);
	api_key_generate(t2, h2);
	is_int(strlen(t1), 43, "token is 43 characters");
	ok(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43,
	   "token is URL-safe");
	is_int(strlen(h1), 64, "hash is 64 hex digits");
	ok(strcmp(t1, t2) != 0 && strcmp(h1, h2) != 0, "tokens are random");
	char again[API_KEY_HASH_HEX_LEN + 1];
	api_key_hash(t1, again);
	is_str(again, h1, "hash of the token matches the generated hash");
	api_key_hash("abc", again);
	is_str(again, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "SHA-256 of abc");
	ok(crypto_equal("abcd", "abcd", 4) && !crypto_equal("abcd", "abce", 4),
	   "constant-time equality");
}

/* RFC 3174 section 7.3 test vectors. */
static void
test_sha1(void)
{
	static const struct {
		const char *text;
		int repeat;
		const char *digest;
	} v[] = {
		{ "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
		{ "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
		{ "0123456701234567012345670123456701234567012345670123456701234567", 10,
		  "dea356a2cddd90c7a7ecedc5ebb563934f460452" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sha1_ctx c;
		unsigned char d[SHA1_DIGEST_BYTES];
		char out[SHA1_DIGEST_BYTES * 2 + 1];
		sha1_init(&c);
		for (int r = 0; r < v[i].repeat; r++)
			sha1_update(&c, v[i].text, strlen(v[i].text));
		sha1_final(&c, d);
		hex(d, sizeof(d), out);
		is_str(out, v[i].digest, "SHA-1 RFC 3174 vector %zu", i + 1);
	}
	unsigned char d[SHA1_DIGEST_BYTES];
	char out[SHA1_DIGEST_BYTES * 2 + 1];
	sha1("", 0, d);
	hex(d, sizeof(d), out);
	is_str(out, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1 of the empty string");
}

/* RFC 2202 HMAC-SHA1 test cases 1, 2 and 6 (short key, short text, long key). */
static void
test_hmac_sha1(void)
{
	unsigned char mac[SHA1_DIGEST_BYTES];
	char out[SHA1_DIGEST_BYTES * 2 + 1];
	unsigned char k1[20];
	memset(k1, 0x0b, sizeof(k1));
	hmac_sha1(k1, sizeof(k1), (const unsigned char *)"Hi There", 8, mac);
	hex(mac, sizeof(mac), out);
	is_str(out, "b617318655057264e28bc0b6fb378c8ef146be00", "HMAC-SHA1 RFC 2202 case 1");
	hmac_sha1((const unsigned char *)"Jefe", 4,
		  (const unsigned char *)"what do ya want for nothing?", 28, mac);
	hex(mac, sizeof(mac), out);
	is_str(out, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "HMAC-SHA1 RFC 2202 case 2");
	unsigned char k6[80];
	memset(k6, 0xaa, sizeof(k6));
	const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_sha1(k6, sizeof(k6), (const unsigned char *)t6, strlen(t6), mac);
	hex(mac, sizeof(mac), out);
	is_str(out, "aa4ae5e15272d00e95705637ce8a3b55ed402112", "HMAC-SHA1 RFC 2202 case 6");
}

static void
test_base32(void)
{
	char out[64];
	unsigned char bin[64];
	/* RFC 4648 section 10 vectors, without padding. */
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB",
				     "MZXW6YTBOI" };
	for (size_t i = 0; i < 7; i++) {
		base32_encode((const unsigned char *)plain[i], strlen(plain[i]), out, sizeof(out));
		is_str(out, enc[i], "base32 encode \"%s\"", plain[i]);
		long n = base32_decode(enc[i], bin, sizeof(bin));
		ok(n == (long)strlen(plain[i]) && memcmp(bin, plain[i], (size_t)n) == 0,
		   "base32 decode \"%s\"", enc[i]);
	}
	long n = base32_decode("mzxw 6ytb oi======", bin, sizeof(bin));
	ok(n == 6 && memcmp(bin, "foobar", 6) == 0, "lowercase, spaces and padding accepted");
	is_int(base32_decode("MZXW6YTBO1", bin, sizeof(bin)), -1, "'1' is not base32");
	is_int(base32_decode("MZ=XW", bin, sizeof(bin)), -1, "padding inside is refused");
	is_int(base32_decode("M", bin, sizeof(bin)), -1, "one symbol is an impossible length");
	is_int(base32_decode("MZXWYY", bin, sizeof(bin)), -1, "six symbols: impossible length");
	is_int(base32_decode("MZXW6YTBOI", bin, 3), -1, "too small an output buffer");
	is_int(base32_encode((const unsigned char *)"foobar", 6, out, 10), -1,
	       "too small an encode buffer");

	char secret[TOTP_SECRET_B32_LEN + 1], secret2[TOTP_SECRET_B32_LEN + 1];
	totp_new_secret(secret);
	totp_new_secret(secret2);
	is_int(strlen(secret), 32, "new TOTP secret is 32 base32 characters");
	ok(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 32, "uppercase alphabet");
	ok(strcmp(secret, secret2) != 0, "secrets are random");
	is_int(base32_decode(secret, bin, sizeof(bin)), 20, "decodes to 20 bytes");
}

/* RFC 6238 appendix B, SHA-1 rows; the RFC prints 8 digits, we use the last 6. */
static void
test_totp(void)
{
	static const struct {
		int64_t t;
		const char *code8;
	} v[] = {
		{ 59, "94287082" },	    { 1111111109, "07081804" }, { 1111111111, "14050471" },
		{ 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000, "65353130" },
	};
	char secret[64];
	base32_encode((const unsigned char *)"12345678901234567890", 20, secret, sizeof(secret));
	is_str(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "RFC 6238 secret in base32");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char code[7];
		ok(totp_code_at(secret, (uint64_t)(v[i].t / 30), code) == 0, "code computes");
		is_str(code, v[i].code8 + 2, "RFC 6238 T=%lld", (long long)v[i].t);
		is_int(totp_match(secret, v[i].code8 + 2, v[i].t), v[i].t / 30,
		       "match at T=%lld returns the step", (long long)v[i].t);
	}
	int64_t now = 1234567890, step = now / 30;
	char prev[7], next[7], far[7];
	totp_code_at(secret, (uint64_t)(step - 1), prev);
	totp_code_at(secret, (uint64_t)(step + 1), next);
	totp_code_at(secret, (uint64_t)(step + 2), far);
	is_int(totp_match(secret, prev, now), step - 1, "previous step accepted");
	is_int(totp_match(secret, next, now), step + 1, "next step accepted");
	is_int(totp_match(secret, far, now), -1, "two steps ahead refused");
	is_int(totp_match(secret, "12345", now), -1, "five digits refused");
	is_int(totp_match(secret, "1234567", now), -1, "seven digits refused");
	is_int(totp_match(secret, "12a456", now), -1, "non-digit refused");
	is_int(totp_match(secret, NULL, now), -1, "NULL code refused");
	char code[7];
	is_int(totp_code_at("not base32!", 1, code), -1, "bad secret refused");
	is_int(totp_code_at("", 1, code), -1, "empty secret refused");
	is_int(totp_match("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "005924", 1234567890),
	       step, "lowercase spaced secret works");
}

/* RFC 9562's example time, 2022-02-22 19:22:22 UTC = 0x017F22E279B0 ms. */
static void
test_uuid7(void)
{
	char a[37], b[37];
	crypto_uuid7(a, 0x017F22E279B0LL);
	is_int((int)strlen(a), 36, "uuid7: 36 characters");
	ok(strncmp(a, "017f22e2-79b0-7", 15) == 0, "uuid7: the time, then version 7");
	ok(strchr("89ab", a[19]) != NULL && a[23] == '-', "uuid7: the RFC variant");
	crypto_uuid7(b, 0x017F22E279B0LL);
	ok(strcmp(a, b) != 0, "uuid7: the same millisecond, other random bits");
	crypto_uuid7(b, 0x017F22E279B1LL);
	ok(strcmp(a, b) < 0, "uuid7: a later millisecond sorts after");
	crypto_uuid4(b);
	ok(b[14] == '4' && strchr("89ab", b[19]) != NULL, "uuid4 unchanged");
}

/* Ids drawn after a fork differ between parent and child: the child does
 * not hand out what was left in the parent's buffer of random bytes. */
static void
test_ids_after_fork(void)
{
	char before[37], mine[37], childs[37] = "";
	crypto_uuid4(before);        /* the buffer is filled, and partly left */
	int fds[2];
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char id[37];
		crypto_uuid4(id);
		ssize_t w = write(fds[1], id, sizeof id);
		_exit(w == (ssize_t)sizeof id ? 0 : 1);
	}
	crypto_uuid4(mine);
	int status = 0;
	waitpid(pid, &status, 0);
	ssize_t r = read(fds[0], childs, sizeof childs);
	close(fds[0]);
	close(fds[1]);
	ok(r == (ssize_t)sizeof childs && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the child made an id");
	ok(strcmp(mine, childs) != 0, "parent and child draw different ids after a fork (%s, %s)",
	   mine, childs);
	ok(strcmp(before, mine) != 0, "and neither repeats the one before");
}

int
main(void)
{
	if (crypto_init() != 0) {
		printf("Bail out! libsodium failed to initialise\n");
		return 1;
	}
	test_field_key_decode();
	test_field_encryption();
	test_field_seal();
	test_passwords();
	test_api_keys();
	test_sha1();
	test_hmac_sha1();
	test_base32();
	test_totp();
	test_uuid7();
	test_ids_after_fork();
	return done_testing();
}
