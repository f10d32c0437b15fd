/* fcgi.c: 'pipelit fcgi', one responder on fd 0 for a web server that
 * spawns FastCGI programs itself (spawn-fcgi, Apache mod_fcgid). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "events/watch.h"
#include "api/api.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "db/db_settings.h"
#include "db/migrate.h"
#include "http/fcgi_loop.h"
#include "http/request.h"
#include "pool/dblock.h"
#include "pool/trigger_background.h"
#include "util/config.h"
#include "util/secret_key.h"
#include "model/key_fingerprint.h"
#include "model/secrets.h"
#include "model/setting_live.h"
#include "model/setting_startup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define FCGI_LISTEN_FD 0

static void
fcgi_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit fcgi [--env-file FILE]\n"
		"\n"
		"Runs one FastCGI responder on the listening socket passed as standard input,\n"
		"for web servers that start FastCGI programs themselves (spawn-fcgi, Apache\n"
		"mod_fcgid).  Migrates the database first (safe when several start at once).\n"
		"SIGTERM stops it after the request in flight.\n"
		"\n"
		"options:\n"
		"  --env-file FILE         read settings from FILE instead of ./.env\n"
		"  -h, --help              show this help\n"
		"\n"
		"environment:\n"
		"  DATABASE_URL            sqlite:///path or postgresql://user:pass@host:port/db\n"
		"  PIPELIT_DATA_DIR        data directory (default ./data)\n"
		"  PIPELIT_MAX_REQUESTS    exit after this many requests, 0 = never (default 10000);\n"
		"                          the web server starts a new one\n"
		"  PIPELIT_MAX_BODY_BYTES  largest request body accepted (default 10485760)\n"
		"  PIPELIT_TEST_ROUTES     enable the test-only routes (default off)\n"
		"  LOG_LEVEL, LOG_FILE     log threshold and file (default INFO, standard error)\n"
		"  CORS_ALLOW_ALL_ORIGINS  answer cross-origin requests from any origin\n"
		"  FIELD_ENCRYPTION_KEY, SECRET_KEY, CHECKPOINTS_DB_PATH   see pipelit(8)\n");
}

static int
fd_is_listening_socket(int fd)
{
	int listening = 0;
	socklen_t len = sizeof(listening);
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
}

/* Opens the handle for the responder and migrates; NULL on failure
 * (reported).  Not being able to migrate is fatal: the schema is unknown. */
static struct db *
open_and_migrate(const struct config *cfg)
{
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		fprintf(stderr, "pipelit: cannot open the database: %s\n", err);
		log_error("cannot open the database: %s", err);
		free(err);
		return NULL;
	}
	if (migrate_upgrade(db, "head", &err) != 0) {
		fprintf(stderr, "pipelit: database migration failed: %s\n", err);
		log_error("database migration failed: %s", err);
		free(err);
		db_close(db);
		return NULL;
	}
	if (secret_key_check_shared(db, cfg->secret_key, &err) != 0) {
		fprintf(stderr, "pipelit: %s\n", err);
		log_error("%s", err);
		free(err);
		db_close(db);
		return NULL;
	}
	secrets_convert_at_start(db, cfg->field_encryption_key, cfg->field_encryption_key_old);
	return db;
}

/* The settings stored through the API over the environment's
 * (doc/settings.md); a log file that cannot be opened leaves the log
 * where it was. */
static void
apply_stored_settings(struct db *db, struct config *cfg)
{
	char *before = cfg->log_file ? xstrdup(cfg->log_file) : NULL;
	if (settings_start(db, cfg) != 0) {
		log_error("cannot read the stored settings: %s; the environment's values hold",
			  db_errmsg(db));
	} else if (cfg->log_file != NULL && (before == NULL || strcmp(before, cfg->log_file) != 0) &&
		   log_open(log_get_level(), cfg->log_file) != 0) {
		log_error("cannot open %s (the log_file setting) for writing; logging stays where "
			  "it was", cfg->log_file);
		free(cfg->log_file);
		cfg->log_file = before;
		before = NULL;
	}
	free(before);
}

/* Before each request: a change made elsewhere is applied within
 * SETTINGS_LIVE_DELAY_S (model/setting_live.h). */
static void
check_settings(void *arg, const char *method, const char *uri)
{
	(void)method;
	(void)uri;
	settings_live_check(http_ctx_db(arg));
}

int
cmd_fcgi(int argc, char **argv)
{
	const char *env_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fcgi_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
			env_file = argv[++i];
		} else if (strncmp(argv[i], "--env-file=", 11) == 0) {
			env_file = argv[i] + 11;
		} else {
			fprintf(stderr, "pipelit: fcgi: unknown option '%s'\n", argv[i]);
			fcgi_usage(stderr);
			return 2;
		}
	}
	if (!fd_is_listening_socket(FCGI_LISTEN_FD)) {
		fprintf(stderr, "pipelit: fcgi: standard input is not a listening socket; start "
				"it from a web server or spawn-fcgi, or use 'pipelit serve'\n");
		return 2;
	}
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Responder") != 0)
		return 1;
	/* The pool's table of watched channels, when there is one. */
	watch_attach(&cfg, 0);
	db_configure_from(&cfg, DB_FOR_REQUESTS);
	if (crypto_init() != 0) {
		fprintf(stderr, "pipelit: libsodium failed to initialise\n");
		config_free(&cfg);
		return 1;
	}
	char *key_err = NULL;
	if (secret_key_provision(&cfg, &key_err) != 0) {
		fprintf(stderr, "pipelit: %s\n", key_err);
		free(key_err);
		config_free(&cfg);
		return 1;
	}
	/* Held until exit, like the pool's master: it tells 'pipelit db
	 * restore' that this database is in use. */
	char *err = NULL;
	int dblock_fd = dblock_share(cfg.database_url, &err);
	if (dblock_fd == -2) {
		fprintf(stderr, "pipelit: %s\n", err);
		log_error("%s", err);
		free(err);
		config_free(&cfg);
		return 1;
	}
	struct db *db = open_and_migrate(&cfg);
	if (db == NULL) {
		dblock_release(dblock_fd);
		config_free(&cfg);
		return 1;
	}
	apply_stored_settings(db, &cfg);
	struct router routes;
	api_router_init(&routes, &cfg);
	struct http_ctx ctx;
	http_ctx_init(&ctx, &cfg, &routes);
	ctx.db = db;
	const struct fcgi_background background = trigger_background(&ctx);
	const struct fcgi_watch watch = { .begin = check_settings, .arg = &ctx,
					  .background = &background };
	int rc = fcgi_serve(FCGI_LISTEN_FD, &ctx, cfg.max_requests, &watch);
	http_ctx_close(&ctx);
	dblock_release(dblock_fd);
	config_free(&cfg);
	return rc == 0 ? 0 : 1;
}
