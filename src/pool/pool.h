/*
 * pool.h: 'pipelit serve', the master process.  It loads the
 * configuration, migrates the database, binds the socket, forks the
 * responders and executors and supervises them until SIGTERM; SIGHUP
 * reloads the configuration and restarts the children one slot at a time.
 */
#ifndef PIPELIT_POOL_H
#define PIPELIT_POOL_H

struct config;

/* Command-line settings; they override the environment and .env. */
struct pool_options {
	const char *env_file;  /* NULL: ./.env if present */
	const char *socket;    /* NULL: PIPELIT_SOCKET */
	const char *pid_file;  /* NULL: PIPELIT_PID_FILE */
	int responders;        /* -1: PIPELIT_RESPONDERS */
	int executors;         /* -1: PIPELIT_EXECUTORS */
	long max_requests;     /* -1: PIPELIT_MAX_REQUESTS */
	const char *exe;       /* the binary to exec on SIGUSR2; NULL: no upgrade in place */
	char *const *argv;     /* its arguments (a copy: process titles overwrite the real ones) */
};

/* Loads the configuration and applies the options.  Returns 0, or -1 with
 * a malloc'd message in *err. */
int pool_load_config(struct config *cfg, const struct pool_options *opts, char **err);

/* Runs the master; returns the process exit status. */
int pool_run(const struct pool_options *opts);

#endif
