/*
 * restart.c: 'pipelit restart', an upgrade in place without a failed
 * request.  Run with the new binary (already installed where the pool was
 * started from): it migrates the database while the old pool still
 * serves, then asks the master to re-execute itself (SIGUSR2), which keeps
 * the listening socket and replaces the children one at a time, and waits
 * until the new master has taken over.  scripts/start.sh restart and
 * systemd's ExecReload run this.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db/db.h"
#include "db/migrate.h"
#include "pool/pidfile.h"
#include "pool/scoreboard.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#define RESTART_POLL_US 100000

static void
restart_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit restart [--pid-file FILE] [--env-file FILE] [--timeout SECONDS]\n"
		"\n"
		"Upgrades the running pool in place, with no failed request: migrates the\n"
		"database with this binary (the running pool keeps serving; migrations must\n"
		"leave the schema usable by the version still running, as ours do), then\n"
		"sends SIGUSR2 to the master, which re-executes the binary it was started\n"
		"from (install the new one there first), keeping its process id and the\n"
		"listening socket, and replaces its children one at a time.  Waits until the\n"
		"new master has replaced every child, then prints its version and schema.\n"
		"\n"
		"  --pid-file FILE   the pool's PID file (PIPELIT_PID_FILE)\n"
		"  --env-file FILE   read settings from FILE instead of ./.env\n"
		"  --timeout S       how long to wait for the take-over (default: the shutdown\n"
		"                    timeout plus 60 s)\n");
}

static int
migrate(const struct config *cfg)
{
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL)
		return cli_fail("cannot open the database: %s; the running pool is unchanged",
				err ? err : "unknown error");
	int rc = migrate_upgrade(db, "head", &err);
	db_close(db);
	if (rc != 0)
		return cli_fail("database migration failed: %s; the running pool is unchanged",
				err ? err : "unknown error");
	return 0;
}

static ino_t
inode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* 1 once the scoreboard at path is a new one (another inode than old) of
 * master pid, with every child replaced. */
static int
taken_over(const char *path, ino_t old, long pid, char *version, char *schema, size_t size)
{
	ino_t now = inode_of(path);
	if (now == 0 || now == old)
		return 0;
	char *err = NULL;
	const struct scoreboard *sb = scoreboard_open_readonly(path, &err);
	if (sb == NULL) {
		free(err);
		return 0;
	}
	int done = sb->head.master_pid == pid &&
		   !__atomic_load_n(&sb->head.replacing, __ATOMIC_ACQUIRE);
	snprintf(version, size, "%s", sb->head.version);
	snprintf(schema, size, "%s", sb->head.schema);
	scoreboard_unmap(sb);
	return done;
}

int
cmd_restart(int argc, char **argv)
{
	const char *env_file = NULL, *pid_file = NULL;
	long timeout = -1;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			restart_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--pid-file") == 0 && i + 1 < argc) {
			pid_file = argv[++i];
		} else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
			env_file = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (config_parse_long(argv[++i], 1, 86400, &timeout) != 0)
				return cli_usage_error("invalid --timeout %s: expected seconds", argv[i]);
		} else {
			return cli_usage_error("restart: unknown option '%s' (see pipelit restart "
					       "--help)", argv[i]);
		}
	}
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Restart") != 0)
		return 1;
	char *pf = pid_file ? fs_absolute_path(pid_file) : xstrdup(cfg.pid_file);
	long pid = pidfile_read(pf);
	int rc = 1;
	char *sb_path = scoreboard_path(pf);
	if (pid <= 0 || kill((pid_t)pid, 0) != 0) {
		rc = cli_fail("no pool is running with PID file %s; start it with 'pipelit serve'", pf);
		goto out;
	}
	if (migrate(&cfg) != 0)
		goto out;
	ino_t old = inode_of(sb_path);
	if (kill((pid_t)pid, SIGUSR2) != 0) {
		rc = cli_fail("cannot signal the master (pid %ld): %s", pid, strerror(errno));
		goto out;
	}
	if (timeout < 0)
		timeout = cfg.shutdown_timeout_seconds + 60;
	char version[64] = "", schema[64] = "";
	for (long waited = 0; waited < timeout * 1000000L; waited += RESTART_POLL_US) {
		if (kill((pid_t)pid, 0) != 0) {
			rc = cli_fail("the master (pid %ld) exited during the restart; see its log", pid);
			goto out;
		}
		if (taken_over(sb_path, old, pid, version, schema, sizeof(version))) {
			printf("pipelit %s restarted in place (pid %ld), schema revision %s\n", version,
			       pid, schema);
			rc = 0;
			goto out;
		}
		usleep(RESTART_POLL_US);
	}
	rc = cli_fail("the master (pid %ld) did not finish the restart within %ld s; see its log",
		      pid, timeout);
out:
	free(sb_path);
	free(pf);
	config_free(&cfg);
	return rc;
}
