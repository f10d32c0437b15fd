/*
 * main.c: the pipelit binary; dispatches to one subcommand.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "serve", cmd_serve, "run the pool: migrate, bind, fork responders and executors" },
	{ "fcgi", cmd_fcgi, "run one FastCGI responder on fd 0 (for spawn-fcgi, mod_fcgid)" },
	{ "db", cmd_db, "migrations and database tools (upgrade, downgrade, check, ...)" },
	{ "keygen", cmd_keygen, "print a new FIELD_ENCRYPTION_KEY" },
	{ "user", cmd_user, "create users, set a password, reset a user's MFA" },
	{ "restart", cmd_restart, "upgrade the running pool in place: migrate, re-exec, no failed request" },
	{ "run", cmd_run, "start a workflow (as the execute endpoint does) and print its id" },
	{ "status", cmd_status, "show the running pool's status (children, requests, crashes)" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: pipelit <command> [options]\n\n"
		     "Pipelit, the LLM workflow engine, as a FastCGI application.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "  %-8s %s\n", "version", "print the version");
	fprintf(out, "\nRun 'pipelit <command> --help' for a command's options.\n"
		     "Configuration comes from the environment and a .env file; "
		     "see pipelit(8).\n");
}

int
main(int argc, char **argv)
{
	/* What any command creates (databases, backups, logs, keys, their
	 * directories) is private to its user; the few files another process
	 * must reach get their modes explicitly (pool/file_modes.h). */
	umask(077);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (cli_is_help(name) || strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
		printf("pipelit %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pipelit: unknown command '%s'\n", name);
	usage(stderr);
	return 2;
}
