/*
 * user.c: 'pipelit user create|passwd|mfa-reset', for the first admin, for
 * scripts and for shared hosting where nobody runs a browser setup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "db/migrate.h"
#include "model/mfa.h"
#include "model/user.h"
#include "util/config.h"
#include "util/log.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 4096

struct user_opts {
	const char *verb;
	const char *env_file;
	const char *username;
	const char *password;
	int password_stdin;
	const char *role;
};

static const char usage_text[] =
	"usage: pipelit user [--env-file FILE] <command> [options]\n\n"
	"commands:\n"
	"  create --username U (--password P | --password-stdin) [--role admin|normal]\n"
	"                 create a user (the first admin, for example)\n"
	"  passwd --username U (--password P | --password-stdin)\n"
	"                 set a user's password\n"
	"  mfa-reset --username U\n"
	"                 turn a user's TOTP MFA off (clears the secret and the replay guard)\n\n"
	"--password-stdin reads the password from the first line of standard input,\n"
	"so it stays out of the process list and the shell history.\n"
	"The database is upgraded to the newest migration first.\n"
	"Exit status: 0 done, 1 failed, 2 usage error.\n";

static int
usage_error(const char *msg)
{
	fprintf(stderr, "pipelit user: %s\n\n%s", msg, usage_text);
	return 2;
}

/* The value of an option given as "--name value" or "--name=value";
 * advances *i past it.  NULL when argv[*i] is not that option. */
static const char *
option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int
parse_args(int argc, char **argv, struct user_opts *o)
{
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v;
		if ((v = option_value(argc, argv, &i, "--env-file", &missing)))
			o->env_file = v;
		else if ((v = option_value(argc, argv, &i, "--username", &missing)))
			o->username = v;
		else if ((v = option_value(argc, argv, &i, "--password", &missing)))
			o->password = v;
		else if ((v = option_value(argc, argv, &i, "--role", &missing)))
			o->role = v;
		else if (missing)
			return usage_error("an option is missing its value");
		else if (strcmp(argv[i], "--password-stdin") == 0)
			o->password_stdin = 1;
		else if (argv[i][0] != '-' && o->verb == NULL)
			o->verb = argv[i];
		else {
			fprintf(stderr, "pipelit user: unknown argument '%s'\n", argv[i]);
			return 2;
		}
		if (missing)
			return usage_error("an option is missing its value");
	}
	return 0;
}

static int
check_args(const struct user_opts *o)
{
	int needs_password = strcmp(o->verb, "create") == 0 || strcmp(o->verb, "passwd") == 0;
	if (!needs_password && strcmp(o->verb, "mfa-reset") != 0)
		return usage_error("unknown command");
	if (o->username == NULL || *o->username == '\0')
		return usage_error("--username is required");
	if (needs_password && (o->password != NULL) == o->password_stdin)
		return usage_error("give exactly one of --password and --password-stdin");
	if (!needs_password && (o->password || o->password_stdin))
		return usage_error("mfa-reset takes no password");
	if (o->role && (strcmp(o->verb, "create") != 0 ||
			(strcmp(o->role, "admin") != 0 && strcmp(o->role, "normal") != 0)))
		return usage_error("--role is admin or normal, and only for create");
	return 0;
}

/* The first line of stdin without its newline, into buf; 0 or -1. */
static int
read_password_line(char *buf, size_t size)
{
	if (fgets(buf, (int)size, stdin) == NULL)
		return -1;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1)
		return -1;   /* longer than the buffer */
	buf[n] = '\0';
	return 0;
}

/* A malloc'd Argon2id hash of the chosen password, or NULL after saying why. */
static char *
hash_chosen_password(const struct user_opts *o)
{
	char buf[PASSWORD_MAX + 2];
	const char *password = o->password;
	if (o->password_stdin) {
		if (read_password_line(buf, sizeof(buf)) != 0) {
			fprintf(stderr, "pipelit user: no password on standard input "
					"(or longer than %d bytes)\n", PASSWORD_MAX);
			return NULL;
		}
		password = buf;
	}
	char *hash = NULL;
	if (strlen(password) < PASSWORD_MIN)
		fprintf(stderr, "pipelit user: the password needs at least %d characters\n",
			PASSWORD_MIN);
	else if ((hash = password_hash(password)) == NULL)
		fprintf(stderr, "pipelit user: hashing the password failed\n");
	sodium_memzero(buf, sizeof(buf));
	return hash;
}

static struct db *
open_database(const struct config *cfg)
{
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		fprintf(stderr, "pipelit user: cannot open the database: %s\n",
			err ? err : "unknown error");
		free(err);
		return NULL;
	}
	if (migrate_upgrade(db, "head", &err) != 0) {
		fprintf(stderr, "pipelit user: database migration failed: %s\n",
			err ? err : "unknown error");
		free(err);
		db_close(db);
		return NULL;
	}
	return db;
}

static int
run_create(struct db *db, const struct user_opts *o, const char *hash)
{
	if (strlen(o->username) > USER_NAME_MAX) {
		fprintf(stderr, "pipelit user: the username has more than %d characters\n",
			USER_NAME_MAX);
		return 1;
	}
	struct user_new u = { .username = o->username, .password_hash = hash,
			      .role = o->role ? o->role : "normal" };
	int64_t id;
	int rc = user_create(db, &u, &id);
	if (rc == 1) {
		fprintf(stderr, "pipelit user: username '%s' already exists\n", o->username);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "pipelit user: creating the user failed: %s\n", db_errmsg(db));
		return 1;
	}
	printf("created user '%s' (id %lld, role %s)\n", o->username, (long long)id, u.role);
	return 0;
}

/* The user's id by name; prints the failure. */
static int
find_user(struct db *db, const char *username, struct user *u)
{
	int rc = user_find_by_username(db, username, u);
	if (rc == 1)
		fprintf(stderr, "pipelit user: no user named '%s'\n", username);
	else if (rc != 0)
		fprintf(stderr, "pipelit user: looking the user up failed: %s\n", db_errmsg(db));
	return rc;
}

static int
run_passwd(struct db *db, const struct user_opts *o, const char *hash)
{
	struct user u;
	if (find_user(db, o->username, &u) != 0)
		return 1;
	/* An operator's reset, like an admin's: every key of the user ends. */
	struct user_changes c = { .password_hash = hash, .end_sessions = 1,
				  .revoke_named_keys = 1, .keep_key_id = -1 };
	if (user_update(db, u.id, &c) != 0) {
		fprintf(stderr, "pipelit user: setting the password failed: %s\n", db_errmsg(db));
		return 1;
	}
	printf("password of '%s' changed\n", o->username);
	return 0;
}

static int
run_mfa_reset(struct db *db, const struct user_opts *o)
{
	struct user u;
	if (find_user(db, o->username, &u) != 0)
		return 1;
	if (mfa_clear(db, u.id) != 0) {
		fprintf(stderr, "pipelit user: resetting MFA failed: %s\n", db_errmsg(db));
		return 1;
	}
	printf("MFA of '%s' turned off\n", o->username);
	return 0;
}

static int
run_verb(const struct config *cfg, const struct user_opts *o)
{
	char *hash = NULL;   /* owned here */
	if (strcmp(o->verb, "mfa-reset") != 0 && (hash = hash_chosen_password(o)) == NULL)
		return 1;
	struct db *db = open_database(cfg);
	int rc = 1;
	if (db != NULL) {
		if (strcmp(o->verb, "create") == 0)
			rc = run_create(db, o, hash);
		else if (strcmp(o->verb, "passwd") == 0)
			rc = run_passwd(db, o, hash);
		else
			rc = run_mfa_reset(db, o);
		db_close(db);
	}
	free(hash);
	return rc;
}

int
cmd_user(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		}
	struct user_opts o = { 0 };
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc;
	if (o.verb == NULL)
		return usage_error("a command is needed");
	if ((rc = check_args(&o)) != 0)
		return rc;
	if (crypto_init() != 0) {
		fprintf(stderr, "pipelit user: libsodium failed to initialise\n");
		return 1;
	}
	struct config cfg;
	if (cli_load_config(&cfg, o.env_file, "Cli") != 0)
		return 1;
	rc = run_verb(&cfg, &o);
	config_free(&cfg);
	return rc;
}
