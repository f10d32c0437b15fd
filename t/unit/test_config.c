/* test_config.c: .env parsing and configuration loading. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/config.h"
#include "util/secret_key.h"
#include "util/xalloc.h"
#include "util/log.h"

struct seen {
	char keys[8][64];
	char values[8][128];
	int n;
};

static void
collect(const char *k, const char *v, void *arg)
{
	struct seen *s = arg;
	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", k);
		snprintf(s->values[s->n], sizeof(s->values[0]), "%s", v);
		s->n++;
	}
}

static void
test_dotenv(void)
{
	struct seen s = { 0 };
	const char *text = "# comment\n"
			   "\n"
			   "A=1\n"
			   "export B = two words \n"
			   "C=\"quoted # not a comment\"\n"
			   "D='single'\n"
			   "E=value # trailing comment\n"
			   "F=\n";
	is_int(dotenv_parse(text, collect, &s), 0, "well-formed .env parses");
	is_int(s.n, 6, "six assignments");
	is_str(s.keys[1], "B", "export prefix is dropped");
	is_str(s.values[1], "two words", "unquoted value is trimmed");
	is_str(s.values[2], "quoted # not a comment", "double quotes keep '#'");
	is_str(s.values[3], "single", "single quotes are removed");
	is_str(s.values[4], "value", "trailing comment is dropped");
	is_str(s.values[5], "", "empty value");

	struct seen bad = { 0 };
	is_int(dotenv_parse("A=1\nnot an assignment\n", collect, &bad), 2,
	       "malformed line is reported by number");
}

static void
test_parsers(void)
{
	int b = -1;
	ok(config_parse_bool("TRUE", &b) == 0 && b == 1, "TRUE is true");
	ok(config_parse_bool("off", &b) == 0 && b == 0, "off is false");
	ok(config_parse_bool("maybe", &b) != 0, "maybe is rejected");
	long v = 0;
	ok(config_parse_long("42", 0, 100, &v) == 0 && v == 42, "42 parses");
	ok(config_parse_long("42x", 0, 100, &v) != 0, "trailing junk is rejected");
	ok(config_parse_long("101", 0, 100, &v) != 0, "out of range is rejected");
	is_int(log_level_parse("warning"), LOG_LEVEL_WARNING, "level names are case-insensitive");
	is_int(log_level_parse("LOUD"), -1, "unknown level");
}

static void
test_load(void)
{
	char dir[] = "/tmp/pipelit-config-XXXXXX";
	if (mkdtemp(dir) == NULL || chdir(dir) != 0) {
		ok(0, "temporary directory");
		return;
	}
	unsetenv("DATABASE_URL");
	unsetenv("PIPELIT_DATA_DIR");
	unsetenv("PIPELIT_RESPONDERS");
	unsetenv("SECRET_KEY");
	FILE *f = fopen(".env", "w");
	fprintf(f, "PIPELIT_RESPONDERS=3\nLOG_LEVEL=debug\n");
	fclose(f);

	struct config cfg;
	char *err = NULL;
	ok(config_load(&cfg, NULL, &err) == 0, "loads .env from the working directory");
	is_int(cfg.responders, 3, "value from .env");
	is_int(cfg.log_level, LOG_LEVEL_DEBUG, "log level from .env");
	char want[512];
	snprintf(want, sizeof(want), "sqlite:///%s/data/db.sqlite3", dir);
	is_str(cfg.database_url, want, "default DATABASE_URL is in the data directory");
	snprintf(want, sizeof(want), "%s/data/checkpoints.db", dir);
	is_str(cfg.checkpoints_path, want, "checkpoint store beside the main database");
	ok(cfg.secret_key == NULL, "no SECRET_KEY and none stored: none");
	char *kerr = NULL;
	ok(secret_key_provision(&cfg, &kerr) == 0 && cfg.secret_key != NULL &&
	   strlen(cfg.secret_key) == 64, "provisioning makes a random key");
	char *made = xstrdup(cfg.secret_key ? cfg.secret_key : "");
	struct stat kst;
	ok(stat("data/secret_key", &kst) == 0 && (kst.st_mode & 0777) == 0600,
	   "kept in data/secret_key with mode 0600");
	config_free(&cfg);
	ok(config_load(&cfg, NULL, &err) == 0 && cfg.secret_key != NULL &&
	   strcmp(cfg.secret_key, made) == 0, "every later load uses the stored key (CLI, fcgi)");
	ok(secret_key_provision(&cfg, &kerr) == 0 && strcmp(cfg.secret_key, made) == 0,
	   "provisioning again keeps it");
	config_free(&cfg);
	free(made);
	static const char *defaults[] = { "change-me-in-production", "change-me", "CHANGEME", NULL };
	for (const char **d = defaults; *d; d++) {
		setenv("SECRET_KEY", *d, 1);
		ok(config_load(&cfg, NULL, &err) == -1 && strstr(err, "publicly known default"),
		   "SECRET_KEY=%s is refused: %s", *d, err ? err : "");
		free(err);
		err = NULL;
	}
	setenv("SECRET_KEY", "a-long-random-operator-chosen-value", 1);
	ok(config_load(&cfg, NULL, &err) == 0 &&
	   strcmp(cfg.secret_key, "a-long-random-operator-chosen-value") == 0,
	   "a configured key wins over the stored one");
	config_free(&cfg);
	unsetenv("SECRET_KEY");

	setenv("PIPELIT_RESPONDERS", "5", 1);
	ok(config_load(&cfg, NULL, &err) == 0, "environment overrides .env");
	is_int(cfg.responders, 5, "value from the environment");
	config_free(&cfg);

	/* Password checks: half the responders, at most the CPUs (Argon2id
	 * is all CPU), at least 1. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	setenv("PIPELIT_RESPONDERS", "64", 1);
	unsetenv("PIPELIT_PASSWORD_CHECKS");
	ok(config_load(&cfg, NULL, &err) == 0, "64 responders load");
	is_int(cfg.password_checks, cpus > 0 && cpus < 32 ? cpus : 32,
	       "password checks: half the responders, at most the CPUs");
	config_free(&cfg);
	setenv("PIPELIT_RESPONDERS", "1", 1);
	ok(config_load(&cfg, NULL, &err) == 0, "1 responder loads");
	is_int(cfg.password_checks, 1, "password checks: at least 1");
	config_free(&cfg);

	setenv("PIPELIT_RESPONDERS", "many", 1);
	ok(config_load(&cfg, NULL, &err) != 0, "invalid value stops loading");
	ok(err && strstr(err, "PIPELIT_RESPONDERS"), "message names the variable: %s", err);
	free(err);
	unsetenv("PIPELIT_RESPONDERS");

	setenv("DATABASE_URL", "mysql://x", 1);
	err = NULL;
	ok(config_load(&cfg, NULL, &err) != 0 && err && strstr(err, "DATABASE_URL"),
	   "unsupported DATABASE_URL is named");
	free(err);
	unsetenv("DATABASE_URL");

	setenv("FIELD_ENCRYPTION_KEY", "short", 1);
	err = NULL;
	ok(config_load(&cfg, NULL, &err) != 0 && err && strstr(err, "FIELD_ENCRYPTION_KEY"),
	   "malformed FIELD_ENCRYPTION_KEY is named");
	free(err);
	unsetenv("FIELD_ENCRYPTION_KEY");

	err = NULL;
	ok(config_load(&cfg, "/nonexistent/.env", &err) != 0, "explicit env file must exist");
	free(err);

	unlink(".env");
	if (chdir("/") == 0)
		rmdir(dir);
}

int
main(void)
{
	test_dotenv();
	test_parsers();
	test_load();
	return done_testing();
}
