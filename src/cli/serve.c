/* serve.c: 'pipelit serve', the pool.  Parses the command line; the
 * master itself is src/pool/master.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pool/pool.h"
#include "pool/proctitle.h"
#include "pool/reexec.h"
#include "util/config.h"
#include "util/secret_key.h"
#include "util/xalloc.h"

static void
serve_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit serve [options]\n"
		"\n"
		"Runs the pool: migrates the database to the newest schema, binds the FastCGI\n"
		"socket, forks responders and executors and keeps them running.  Stays in the\n"
		"foreground; SIGTERM or SIGINT stops it (requests in flight finish, new ones get\n"
		"503), SIGHUP re-reads the configuration and restarts the children one at a\n"
		"time, SIGUSR2 re-executes the binary in place (see 'pipelit restart').\n"
		"\n"
		"options (each overrides its environment variable and .env):\n"
		"  --env-file FILE         read settings from FILE instead of ./.env\n"
		"  --socket PATH|HOST:PORT FastCGI socket to listen on (PIPELIT_SOCKET)\n"
		"  --responders N          FastCGI responder processes, 1-256 (PIPELIT_RESPONDERS)\n"
		"  --executors M           executor processes, 0-256 (PIPELIT_EXECUTORS)\n"
		"  --max-requests K        recycle a responder after K requests, 0 = never\n"
		"                          (PIPELIT_MAX_REQUESTS)\n"
		"  --pid-file FILE         where the master writes its pid (PIPELIT_PID_FILE)\n"
		"  -h, --help              show this help\n"
		"\n"
		"environment:\n"
		"  PIPELIT_DATA_DIR        data directory (default ./data)\n"
		"  DATABASE_URL            sqlite:///path or postgresql://user:pass@host:port/db\n"
		"                          (default sqlite:///<data dir>/db.sqlite3)\n"
		"  PIPELIT_SOCKET          unix socket path or HOST:PORT; a bare PORT binds 127.0.0.1\n"
		"                          (default <data dir>/pipelit.sock)\n"
		"  PIPELIT_SOCKET_MODE     permissions of the unix socket, octal (default 0660)\n"
		"  PIPELIT_RESPONDERS      responder processes (default 8)\n"
		"  PIPELIT_EXECUTORS       executor processes (default 1)\n"
		"  PIPELIT_MAX_REQUESTS    requests before a responder is recycled (default 10000)\n"
		"  PIPELIT_PID_FILE        PID file (default <data dir>/pipelit.pid)\n"
		"  PIPELIT_MAX_BODY_BYTES  largest request body accepted (default 10485760)\n"
		"  PIPELIT_SHUTDOWN_TIMEOUT_SECONDS     grace time for children on stop (default 30)\n"
		"  PIPELIT_RESPAWN_BACKOFF_MAX_SECONDS  longest wait before respawning a crashing\n"
		"                          child (default 30)\n"
		"  PIPELIT_REQUEST_TIMEOUT_SECONDS      the master kills a responder whose request\n"
		"                          runs longer, and replaces it (default 60)\n"
		"  PIPELIT_SLOW_REQUEST_SECONDS         requests counted as slow (default 5)\n"
		"  PIPELIT_TEST_ROUTES     enable the test-only routes under /api/v1/_test/ (default off)\n"
		"  LOG_LEVEL               DEBUG, INFO, WARNING or ERROR (default INFO)\n"
		"  LOG_FILE                log file (default standard error)\n"
		"  CORS_ALLOW_ALL_ORIGINS  answer cross-origin requests from any origin (default off)\n"
		"  FIELD_ENCRYPTION_KEY, SECRET_KEY, CHECKPOINTS_DB_PATH,\n"
		"  ZOMBIE_EXECUTION_THRESHOLD_SECONDS   see pipelit(8)\n");
}

/* Accepts "--name value" and "--name=value"; returns the value or NULL. */
static const char *
option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *arg = argv[*i];
	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "pipelit: %s needs a value\n", name);
		return "";
	}
	return argv[++*i];
}

static int
parse_count(const char *name, const char *v, long min, long max, long *out)
{
	if (*v == '\0' || config_parse_long(v, min, max, out) != 0) {
		fprintf(stderr, "pipelit: invalid %s=%s: expected an integer from %ld to %ld\n",
			name, v, min, max);
		return -1;
	}
	return 0;
}

static int
parse_path(const char *name, const char *v, const char **out)
{
	if (*v == '\0') {
		fprintf(stderr, "pipelit: invalid %s: expected a non-empty value\n", name);
		return -1;
	}
	*out = v;
	return 0;
}

/* Returns 0, 1 for --help, or -1 on a usage error (already reported). */
static int
parse_serve_args(int argc, char **argv, struct pool_options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		long n;
		if (cli_is_help(argv[i]))
			return 1;
		if ((v = option_value(argc, argv, &i, "--env-file")) != NULL) {
			if (parse_path("--env-file", v, &o->env_file) != 0)
				return -1;
		} else if ((v = option_value(argc, argv, &i, "--socket")) != NULL) {
			if (parse_path("--socket", v, &o->socket) != 0)
				return -1;
		} else if ((v = option_value(argc, argv, &i, "--pid-file")) != NULL) {
			if (parse_path("--pid-file", v, &o->pid_file) != 0)
				return -1;
		} else if ((v = option_value(argc, argv, &i, "--responders")) != NULL) {
			if (parse_count("--responders", v, 1, 256, &n) != 0)
				return -1;
			o->responders = (int)n;
		} else if ((v = option_value(argc, argv, &i, "--executors")) != NULL) {
			if (parse_count("--executors", v, 0, 256, &n) != 0)
				return -1;
			o->executors = (int)n;
		} else if ((v = option_value(argc, argv, &i, "--max-requests")) != NULL) {
			if (parse_count("--max-requests", v, 0, LONG_MAX, &o->max_requests) != 0)
				return -1;
		} else {
			fprintf(stderr, "pipelit: serve: unknown option '%s'\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

/* Without SECRET_KEY, the first start generates one in the data directory
 * (util/secret_key.h); the master and every command then read it there. */
static int
provision_secret_key(const char *env_file)
{
	struct config cfg;
	char *err = NULL;
	if (config_load(&cfg, env_file, &err) != 0 || secret_key_provision(&cfg, &err) != 0) {
		fprintf(stderr, "pipelit: %s\n", err);
		free(err);
		if (cfg.data_dir != NULL)
			config_free(&cfg);
		return -1;
	}
	config_free(&cfg);
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	struct pool_options o = { .responders = -1, .executors = -1, .max_requests = -1 };
	int rc = parse_serve_args(argc, argv, &o);
	if (rc == 1) {
		serve_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "Run 'pipelit serve --help' for the options.\n");
		return 2;
	}
	/* The process titles reuse the command line's memory: the options
	 * that outlive this moment (a SIGHUP reads them again) are copied. */
	char *env_file = o.env_file ? xstrdup(o.env_file) : NULL;
	char *socket = o.socket ? xstrdup(o.socket) : NULL;
	char *pid_file = o.pid_file ? xstrdup(o.pid_file) : NULL;
	o.env_file = env_file;
	o.socket = socket;
	o.pid_file = pid_file;
	/* For an upgrade in place (SIGUSR2): the binary and the whole command
	 * line, "pipelit serve ..." (argv here starts at "serve"). */
	char *exe = reexec_self_path();
	char **args = xcalloc((size_t)argc + 2, sizeof(*args));
	args[0] = xstrdup(exe ? exe : "pipelit");
	for (int i = 0; i < argc; i++)
		args[i + 1] = xstrdup(argv[i]);
	o.exe = exe;
	o.argv = args;
	proctitle_init(argc, argv);
	rc = provision_secret_key(env_file) == 0 ? pool_run(&o) : 1;
	for (int i = 0; i <= argc; i++)
		free(args[i]);
	free(args);
	free(exe);
	free(env_file);
	free(socket);
	free(pid_file);
	return rc;
}
