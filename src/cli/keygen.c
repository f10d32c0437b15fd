/* keygen.c: 'pipelit keygen' prints a new FIELD_ENCRYPTION_KEY. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
cmd_keygen(int argc, char **argv)
{
	if (argc > 1) {
		FILE *out = cli_is_help(argv[1]) ? stdout : stderr;
		fprintf(out, "usage: pipelit keygen\n\n"
			     "Prints a new random FIELD_ENCRYPTION_KEY: 32 bytes as URL-safe base64.\n"
			     "Put it in .env as FIELD_ENCRYPTION_KEY=<key> and keep a copy apart\n"
			     "from your backups: without it stored secrets cannot be decrypted.\n");
		return cli_is_help(argv[1]) ? 0 : 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "pipelit: libsodium failed to initialise\n");
		return 1;
	}
	unsigned char key[32];
	randombytes_buf(key, sizeof(key));
	char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE)];
	sodium_bin2base64(text, sizeof(text), key, sizeof(key), sodium_base64_VARIANT_URLSAFE);
	sodium_memzero(key, sizeof(key));
	printf("%s\n", text);
	return 0;
}
