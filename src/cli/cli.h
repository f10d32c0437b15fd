/*
 * cli.h: the subcommands of the pipelit binary.  Each takes the arguments
 * after its own name (argv[0] is the subcommand name) and returns the
 * process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef PIPELIT_CLI_H
#define PIPELIT_CLI_H

struct config;

int cmd_serve(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_fcgi(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
/* 'pipelit db rotate-key' (rotate_key.c), parsing its own options. */
int db_rotate_key(int argc, char **argv, const char *env_file);
/* 'pipelit db backup', 'restore' and 'integrity' (db_backup.c). */
int db_backup(int argc, char **argv, const char *env_file);
int db_restore(int argc, char **argv, const char *env_file);
int db_integrity_check(int argc, char **argv, const char *env_file);
/* 'pipelit db copy' and 'pipelit db prune' (db_copy.c). */
int db_copy_main(int argc, char **argv, const char *env_file);
int db_prune_main(int argc, char **argv, const char *env_file);
int cmd_user(int argc, char **argv);
int cmd_run(int argc, char **argv);

/*
 * Shared by the subcommands: loads the configuration (honouring a
 * --env-file given earlier on the command line) and opens the log with the
 * given tag.  On failure prints "pipelit: <message>" to stderr and returns
 * -1.
 */
int cli_load_config(struct config *cfg, const char *env_file, const char *log_tag);

/* True when arg is -h or --help. */
int cli_is_help(const char *arg);

/* Print "pipelit: <message>" on stderr and return the exit status: 1 for a
 * failure, 2 for a usage error.  cli_fail_with takes a malloc'd message
 * and frees it (NULL reads "unknown error"). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail_with(char *err);

#endif
