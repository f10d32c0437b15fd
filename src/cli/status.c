/* status.c: 'pipelit status', the pool's status page on the command line,
 * read from the scoreboard the running master shares with its children. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pool/scoreboard.h"
#include "pool/status.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

static void
status_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit status [--json] [--pid-file FILE] [--env-file FILE]\n"
		"\n"
		"Prints what GET /status shows: version, schema revision, backend, uptime,\n"
		"accepted connections, slow requests, restarts, the last crash, and per child\n"
		"its role, state, requests served and the current request with its age.\n"
		"Reads <PID file without .pid>.scoreboard, which the running master shares\n"
		"with its children; exits 1 when no pool runs with that PID file.\n"
		"\n"
		"  --json            the JSON document instead of text\n"
		"  --pid-file FILE   the pool's PID file (PIPELIT_PID_FILE)\n"
		"  --env-file FILE   read settings from FILE instead of ./.env\n");
}

int
cmd_status(int argc, char **argv)
{
	const char *env_file = NULL, *pid_file = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			status_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--pid-file") == 0 && i + 1 < argc) {
			pid_file = argv[++i];
		} else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
			env_file = argv[++i];
		} else {
			return cli_usage_error("status: unknown option '%s' (see pipelit status "
					       "--help)", argv[i]);
		}
	}
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Status") != 0)
		return 1;
	char *pf = pid_file ? fs_absolute_path(pid_file) : xstrdup(cfg.pid_file);
	char *path = scoreboard_path(pf);
	free(pf);
	config_free(&cfg);
	char *err = NULL;
	const struct scoreboard *sb = scoreboard_open_readonly(path, &err);
	free(path);
	if (sb == NULL)
		return cli_fail_with(err);
	if (sb->head.master_pid <= 0 || kill(sb->head.master_pid, 0) != 0) {
		scoreboard_unmap(sb);
		return cli_fail("the pool is not running (its master, pid %d, is gone)",
				(int)sb->head.master_pid);
	}
	if (json) {
		json_t *doc = pool_status_json(sb);
		char *text = json_dumps(doc, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(doc);
	} else {
		char *text = pool_status_text(sb);
		fputs(text, stdout);
		free(text);
	}
	scoreboard_unmap(sb);
	return 0;
}
