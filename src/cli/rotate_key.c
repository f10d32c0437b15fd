/*
 * rotate_key.c: 'pipelit db rotate-key', re-encrypting every stored secret
 * under a new FIELD_ENCRYPTION_KEY in one transaction.  Until .env names
 * the new key and the pool is told (SIGHUP), running responders still hold
 * the old key and answer a clear 503 for secrets they cannot decrypt.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "model/secrets.h"
#include "util/config.h"
#include "util/log.h"

static void
rotate_usage(FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] rotate-key (--new-key-file FILE | "
		     "--new-key-stdin)\n\n"
		     "Decrypts every stored secret (TOTP secrets, LLM API keys and headers, git\n"
		     "keys and tokens) with the current FIELD_ENCRYPTION_KEY and encrypts it with\n"
		     "the new key, in one transaction: interrupted, nothing changes and the\n"
		     "current key stays valid.  The new key comes from 'pipelit keygen', read\n"
		     "from FILE or from standard input (never from the command line, which\n"
		     "every local user can see in the process list).  Afterwards put it in .env\n"
		     "and send SIGHUP to the running 'pipelit serve' master.\n");
}

/* The text config_load() accepts (44 characters, '=' last) that decodes
 * to 32 bytes: anything else could not be put in .env afterwards. */
static int
parse_new_key(const char *text, unsigned char key[FIELD_KEY_BYTES])
{
	return strlen(text) == 44 && text[43] == '=' && field_key_decode(text, key) == 0 ? 0 : -1;
}

/* Where the new key comes from. */
struct key_source {
	const char *file;        /* --new-key-file, or NULL */
	int from_stdin;          /* --new-key-stdin */
};

static int
refuse_key_argument(void)
{
	fprintf(stderr, "pipelit: db rotate-key: --new-key is no longer accepted: a key on the "
			"command line is visible to every local user in the process list. Use "
			"--new-key-file FILE or --new-key-stdin (pipelit keygen > key && pipelit db "
			"rotate-key --new-key-file key)\n");
	return 2;
}

static int
parse_args(int argc, char **argv, struct key_source *src)
{
	memset(src, 0, sizeof(*src));
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			rotate_usage(stdout);
			return -1;
		} else if (strcmp(argv[i], "--new-key") == 0 ||
			   strncmp(argv[i], "--new-key=", 10) == 0) {
			return refuse_key_argument();
		} else if (strcmp(argv[i], "--new-key-file") == 0 && i + 1 < argc) {
			src->file = argv[++i];
		} else if (strncmp(argv[i], "--new-key-file=", 15) == 0) {
			src->file = argv[i] + 15;
		} else if (strcmp(argv[i], "--new-key-stdin") == 0) {
			src->from_stdin = 1;
		} else {
			fprintf(stderr, "pipelit: db rotate-key: unexpected argument '%s'\n", argv[i]);
			rotate_usage(stderr);
			return 2;
		}
	}
	if ((src->file == NULL) == (src->from_stdin == 0)) {
		rotate_usage(stderr);
		return 2;
	}
	return 0;
}

/* The first line of the key's source, without surrounding blanks, into
 * text; 0, or the exit status after a message. */
static int
read_new_key(const struct key_source *src, char *text, size_t size)
{
	FILE *f = src->from_stdin ? stdin : fopen(src->file, "r");
	if (f == NULL) {
		fprintf(stderr, "pipelit: db rotate-key: cannot read %s: %s\n", src->file,
			strerror(errno));
		return 1;
	}
	char line[256];
	int got = fgets(line, sizeof(line), f) != NULL;
	if (!src->from_stdin)
		fclose(f);
	if (!got) {
		fprintf(stderr, "pipelit: db rotate-key: no key in %s\n",
			src->from_stdin ? "standard input" : src->file);
		return 2;
	}
	char *p = line, *end = line + strlen(line);
	while (*p == ' ' || *p == '\t')
		p++;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	snprintf(text, size, "%.*s", (int)(end - p), p);
	sodium_memzero(line, sizeof(line));
	return 0;
}

/* Both keys decoded and checked; 0, or the exit status after a message. */
static int
load_keys(const struct config *cfg, const char *new_text, unsigned char old_key[FIELD_KEY_BYTES],
	  unsigned char new_key[FIELD_KEY_BYTES])
{
	if (parse_new_key(new_text, new_key) != 0) {
		fprintf(stderr, "pipelit: db rotate-key: the new key is not 32 bytes of URL-safe "
				"base64 (44 characters); make one with 'pipelit keygen'\n");
		return 2;
	}
	if (cfg->field_encryption_key == NULL) {
		fprintf(stderr, "pipelit: db rotate-key: FIELD_ENCRYPTION_KEY is not set, so "
				"there is no current key to re-encrypt from\n");
		return 1;
	}
	if (field_key_decode(cfg->field_encryption_key, old_key) != 0) {
		fprintf(stderr, "pipelit: db rotate-key: the current FIELD_ENCRYPTION_KEY does not "
				"decode to 32 bytes\n");
		return 1;
	}
	if (crypto_equal(old_key, new_key, FIELD_KEY_BYTES)) {
		fprintf(stderr, "pipelit: db rotate-key: the new key is the key in use; nothing "
				"to do\n");
		return 1;
	}
	return 0;
}

static int
rotate(const struct config *cfg, const unsigned char *old_key, const unsigned char *new_key,
       const char *new_text)
{
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		fprintf(stderr, "pipelit: cannot open the database: %s\n", err);
		free(err);
		return 1;
	}
	long n = secrets_rotate(db, old_key, new_key, &err);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "pipelit: db rotate-key: %s\n", err);
		free(err);
		return 1;
	}
	log_info("re-encrypted %ld stored secrets under a new FIELD_ENCRYPTION_KEY", n);
	printf("Re-encrypted %ld stored secret%s with the new key.\n\n"
	       "Now replace the key in .env (or wherever FIELD_ENCRYPTION_KEY is set):\n\n"
	       "    FIELD_ENCRYPTION_KEY=%s\n\n"
	       "then send SIGHUP to the running pool ('kill -HUP $(cat <pid file>)'): the\n"
	       "master re-reads its configuration and replaces its children, which then\n"
	       "use the new key.  Until then they answer 503 for stored secrets.  The old\n"
	       "key no longer decrypts anything.\n",
	       n, n == 1 ? "" : "s", new_text);
	return 0;
}

int
db_rotate_key(int argc, char **argv, const char *env_file)
{
	struct key_source src;
	char new_text[256];
	int rc = parse_args(argc, argv, &src);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	rc = read_new_key(&src, new_text, sizeof(new_text));
	if (rc != 0)
		return rc;
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Cli") != 0) {
		sodium_memzero(new_text, sizeof(new_text));
		return 1;
	}
	if (crypto_init() != 0) {
		fprintf(stderr, "pipelit: libsodium failed to initialise\n");
		config_free(&cfg);
		return 1;
	}
	unsigned char old_key[FIELD_KEY_BYTES], new_key[FIELD_KEY_BYTES];
	rc = load_keys(&cfg, new_text, old_key, new_key);
	if (rc == 0)
		rc = rotate(&cfg, old_key, new_key, new_text);
	sodium_memzero(old_key, sizeof(old_key));
	sodium_memzero(new_key, sizeof(new_key));
	sodium_memzero(new_text, sizeof(new_text));
	config_free(&cfg);
	return rc;
}
