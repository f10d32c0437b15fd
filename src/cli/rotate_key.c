/*
 * rotate_key.c: 'pipelit db rotate-key', re-encrypting every stored secret
 * under a new FIELD_ENCRYPTION_KEY in one transaction.  Each ciphertext
 * names its key, so while the pool reloads with the new key and the old
 * one in FIELD_ENCRYPTION_KEY_OLD, secrets written by children that still
 * hold the old key stay readable; --finish re-encrypts them afterwards.
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
#include "util/progress.h"

static void
rotate_usage(FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] rotate-key (--new-key-file FILE | "
		     "--new-key-stdin | --finish)\n\n"
		     "Decrypts every stored secret (TOTP secrets, LLM API keys and headers, git\n"
		     "keys and tokens, webhook secrets, workspace environment variables) with\n"
		     "the current FIELD_ENCRYPTION_KEY and encrypts it with\n"
		     "the new key, in one transaction: interrupted, nothing changes and the\n"
		     "current key stays valid.  The new key comes from 'pipelit keygen', read\n"
		     "from FILE or from standard input (never from the command line, which\n"
		     "every local user can see in the process list).  Afterwards put it in .env\n"
		     "with FIELD_ENCRYPTION_KEY_OLD set to the current key, send SIGHUP to the\n"
		     "running 'pipelit serve' master, and when it has reloaded run --finish,\n"
		     "which re-encrypts under FIELD_ENCRYPTION_KEY whatever is still under an\n"
		     "old key (written by children that had not reloaded yet).\n");
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
	int finish;              /* --finish: to the current key, no new one */
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
		} else if (strcmp(argv[i], "--finish") == 0) {
			src->finish = 1;
		} else {
			fprintf(stderr, "pipelit: db rotate-key: unexpected argument '%s'\n", argv[i]);
			rotate_usage(stderr);
			return 2;
		}
	}
	if ((src->file != NULL) + src->from_stdin + src->finish != 1) {
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

/* The ring to seal with: the new key first (when given), then the
 * current and the old ones, which open only.  0, or the exit status after
 * a message. */
static int
load_ring(const struct config *cfg, const char *new_text, struct field_keyring *ring)
{
	unsigned char new_key[FIELD_KEY_BYTES], cur_key[FIELD_KEY_BYTES];
	int rc = 0;
	if (new_text != NULL && parse_new_key(new_text, new_key) != 0) {
		fprintf(stderr, "pipelit: db rotate-key: the new key is not 32 bytes of URL-safe "
				"base64 (44 characters); make one with 'pipelit keygen'\n");
		rc = 2;
	} else if (cfg->field_encryption_key == NULL) {
		fprintf(stderr, "pipelit: db rotate-key: FIELD_ENCRYPTION_KEY is not set, so "
				"there is no current key to re-encrypt from\n");
		rc = 1;
	} else if (field_key_decode(cfg->field_encryption_key, cur_key) != 0 ||
		   field_keyring_init(ring, cfg->field_encryption_key,
				      cfg->field_encryption_key_old) != 0) {
		fprintf(stderr, "pipelit: db rotate-key: FIELD_ENCRYPTION_KEY or "
				"FIELD_ENCRYPTION_KEY_OLD does not decode to 32 bytes\n");
		rc = 1;
	} else if (new_text != NULL && crypto_equal(cur_key, new_key, FIELD_KEY_BYTES)) {
		fprintf(stderr, "pipelit: db rotate-key: the new key is the key in use; nothing "
				"to do (after a rotation, use --finish)\n");
		rc = 1;
	} else if (new_text != NULL && field_keyring_prepend(ring, new_text) != 0) {
		fprintf(stderr, "pipelit: db rotate-key: too many keys at once; finish the "
				"rotation in progress first (--finish)\n");
		rc = 1;
	}
	sodium_memzero(new_key, sizeof(new_key));
	sodium_memzero(cur_key, sizeof(cur_key));
	return rc;
}

static void
print_next_steps(const struct config *cfg, long n, const char *new_text)
{
	if (new_text == NULL) {
		printf("Re-encrypted %ld stored secret%s under FIELD_ENCRYPTION_KEY: none is left\n"
		       "under another key.  Remove FIELD_ENCRYPTION_KEY_OLD from .env and send\n"
		       "SIGHUP to the pool.\n", n, n == 1 ? "" : "s");
		return;
	}
	printf("Re-encrypted %ld stored secret%s with the new key.\n\n"
	       "Now set in .env (or wherever FIELD_ENCRYPTION_KEY is set):\n\n"
	       "    FIELD_ENCRYPTION_KEY=%s\n"
	       "    FIELD_ENCRYPTION_KEY_OLD=%s\n\n"
	       "then send SIGHUP to the running pool ('kill -HUP $(cat <pid file>)'): its\n"
	       "children are replaced by ones that seal with the new key and still open\n"
	       "what the old children write meanwhile.  Until then the old children answer\n"
	       "503 for secrets under the new key.  When the reload is done, run\n\n"
	       "    pipelit db rotate-key --finish\n\n"
	       "to re-encrypt what was written under the old key meanwhile, then remove\n"
	       "FIELD_ENCRYPTION_KEY_OLD and send SIGHUP again.\n",
	       n, n == 1 ? "" : "s", new_text, cfg->field_encryption_key);
}

static int
rotate(const struct config *cfg, const struct field_keyring *ring, const char *new_text)
{
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		fprintf(stderr, "pipelit: cannot open the database: %s\n", err);
		free(err);
		return 1;
	}
	long skipped;
	struct progress *p = progress_start("rotate-key", "values", 0);
	long n = secrets_reseal(db, ring, RESEAL_ALL, p, &skipped, &err);
	progress_finish(p, 0);  /* the next steps below say how many */
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "pipelit: db rotate-key: %s\n", err);
		free(err);
		return 1;
	}
	log_info("re-encrypted %ld stored secrets under %s FIELD_ENCRYPTION_KEY", n,
		 new_text ? "a new" : "the current");
	print_next_steps(cfg, n, new_text);
	return 0;
}

int
db_rotate_key(int argc, char **argv, const char *env_file)
{
	struct key_source src;
	char new_text[256] = "";
	int rc = parse_args(argc, argv, &src);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (!src.finish && (rc = read_new_key(&src, new_text, sizeof(new_text))) != 0)
		return rc;
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Cli") != 0) {
		sodium_memzero(new_text, sizeof(new_text));
		return 1;
	}
	struct field_keyring ring;
	memset(&ring, 0, sizeof(ring));
	if (crypto_init() != 0) {
		fprintf(stderr, "pipelit: libsodium failed to initialise\n");
		rc = 1;
	} else {
		const char *new_key = src.finish ? NULL : new_text;
		rc = load_ring(&cfg, new_key, &ring);
		if (rc == 0)
			rc = rotate(&cfg, &ring, new_key);
	}
	field_keyring_wipe(&ring);
	sodium_memzero(new_text, sizeof(new_text));
	config_free(&cfg);
	return rc;
}
