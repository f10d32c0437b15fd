/*
 * db_backup.c: 'pipelit db backup', 'pipelit db restore' and 'pipelit db
 * integrity'.  SQLite goes through the online backup API (src/db/backup.c);
 * PostgreSQL through pg_dump and pg_restore of the server's major version,
 * given the password in PGPASSWORD, never on a command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db/backup.h"
#include "db/db.h"
#include "db/migration.h"
#include "pool/dblock.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/progress.h"
#include "util/xalloc.h"

/* "YYYYmmdd-HHMMSS" (sep '-') or "YYYYmmdd_HHMMSS", UTC. */
static void
timestamp(char out[16], char sep)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char fmt[] = "%Y%m%d-%H%M%S";
	fmt[6] = sep;
	strftime(out, 16, fmt, &tm);
}

static char *
human_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return xstrdup("? bytes");
	double v = (double)st.st_size;
	const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	return u == 0 ? xasprintf("%lld bytes", (long long)st.st_size) :
			xasprintf("%.1f %s", v, units[u]);
}

static void
print_wrote(const char *path)
{
	char *size = human_size(path);
	printf("wrote %s (%s)\n", path, size);
	free(size);
}

/* ---- the command line ---------------------------------------------------- */

struct opts {
	const char *dir;
	const char *file;
};

static int
parse_opts(int argc, char **argv, int want_dir, int want_file, void (*help)(FILE *),
	   struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			help(stdout);
			return -1;
		} else if (want_dir && strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			o->dir = argv[++i];
		} else if (want_dir && strncmp(argv[i], "--dir=", 6) == 0) {
			o->dir = argv[i] + 6;
		} else if (want_file && o->file == NULL && argv[i][0] != '-') {
			o->file = argv[i];
		} else {
			fprintf(stderr, "pipelit: db %s: unexpected argument '%s'\n", argv[0], argv[i]);
			help(stderr);
			return 2;
		}
	}
	if (want_file && o->file == NULL) {
		help(stderr);
		return 2;
	}
	return 0;
}

/* Loads the configuration and parses DATABASE_URL; 0 or 1 (reported). */
static int
load(const char *env_file, struct config *cfg, struct db_url *u)
{
	if (cli_load_config(cfg, env_file, "Cli") != 0)
		return 1;
	char *err = NULL;
	if (db_url_parse(cfg->database_url, u, &err) != 0) {
		config_free(cfg);
		return cli_fail_with(err);
	}
	if (u->backend == DB_SQLITE && strcmp(u->path, ":memory:") == 0) {
		db_url_free(u);
		config_free(cfg);
		return cli_fail("DATABASE_URL names an in-memory database: there is nothing to "
			    "back up or restore");
	}
	return 0;
}

/* ---- running pg_dump and pg_restore ------------------------------------- */

/*
 * The connection reaches the tool whole, as a conninfo string on its
 * command line (--dbname=...: host, port, socket directory, sslmode and
 * every other parameter of DATABASE_URL), so it talks to the server the
 * pool uses; the password alone goes in PGPASSWORD, which ps does not show.
 */
static void
set_pg_env(const struct db_url *u)
{
	if (u->password != NULL)
		setenv("PGPASSWORD", u->password, 1);
}

/*
 * Runs argv (argv[0] a path or a name in PATH), with the connection's
 * password in the environment when u is not NULL, and hands each line of
 * its stdout and stderr to on_line.  Returns the exit status, 127 when it
 * could not be started.
 */
typedef void tool_line_fn(const char *line, void *arg);

static int
run_tool(char *const argv[], const struct db_url *u, tool_line_fn *on_line, void *arg)
{
	int pfd[2];
	if (pipe(pfd) != 0)
		return 127;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (u != NULL)
			set_pg_env(u);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	FILE *in = pid > 0 ? fdopen(pfd[0], "r") : NULL;
	char line[4096];
	while (in != NULL && fgets(line, sizeof(line), in) != NULL)
		on_line(line, arg);
	if (in != NULL)
		fclose(in);
	else
		close(pfd[0]);
	if (pid < 0)
		return 127;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Keeps the tool's whole output (arg: a struct mbuf). */
static void
collect_line(const char *line, void *arg)
{
	mbuf_add(arg, line, strlen(line));
}

/* run_tool with the output in *out (malloc'd). */
static int
run_tool_output(char *const argv[], char **out)
{
	struct mbuf b = { 0 };
	int status = run_tool(argv, NULL, collect_line, &b);
	*out = mbuf_take(&b);
	return status;
}

/*
 * Turns what pg_dump or pg_restore --verbose says into progress (arg: a
 * struct progress): each 'dumping contents of table "T"' (pg_dump) or
 * 'processing data for table "T"' (pg_restore) is one table done.  Its
 * other chatter is dropped; errors, warnings and anything unexpected pass
 * through to stderr, so the operator still sees why it failed.
 */
static void
progress_line(const char *line, void *arg)
{
	const char *table = strstr(line, "dumping contents of table \"");
	if (table == NULL)
		table = strstr(line, "processing data for table \"");
	if (table != NULL) {
		table = strchr(table, '"') + 1;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(table, "\""), table);
		progress_stage(arg, name);
		progress_add(arg, 1);
	} else if (strstr(line, "error") != NULL || strstr(line, "warning") != NULL ||
		   (strncmp(line, "pg_dump: ", 9) != 0 && strncmp(line, "pg_restore: ", 12) != 0)) {
		fputs(line, stderr);
	}
}

/* The major version a pg_dump/pg_restore reports, 0 when it cannot run. */
static int
tool_major(const char *tool)
{
	char *const argv[] = { (char *)tool, "--version", NULL };
	char *out = NULL;
	int rc = run_tool_output(argv, &out);
	const char *p = out ? strstr(out, "(PostgreSQL) ") : NULL;
	int major = rc == 0 && p ? atoi(p + 13) : 0;
	free(out);
	return major;
}

/* The tool of the server's major version: PATH first, then Debian's
 * per-version directory.  NULL (reported) when there is none. */
static char *
find_pg_tool(const char *name, int server_major)
{
	int path_major = tool_major(name);
	if (path_major == server_major)
		return xstrdup(name);
	char *versioned = xasprintf("/usr/lib/postgresql/%d/bin/%s", server_major, name);
	if (access(versioned, X_OK) == 0 && tool_major(versioned) == server_major)
		return versioned;
	free(versioned);
	if (path_major == 0)
		cli_fail("%s not found; install the PostgreSQL %d client programs (Debian: apt "
		     "install postgresql-client-%d)",
		     name, server_major, server_major);
	else
		cli_fail("%s is version %d but the server is PostgreSQL %d; install "
		     "postgresql-client-%d or put its %s first in PATH",
		     name, path_major, server_major, server_major, name);
	return NULL;
}

/* Opens the database and finds the tool for its server; 0 or 1. */
static int
pg_connect_with_tool(const struct config *cfg, const char *tool_name, struct db **db,
		     char **tool)
{
	char *err = NULL;
	*db = db_open(cfg->database_url, &err);
	if (*db == NULL)
		return cli_fail_with(err);
	int major = 0;
	if (db_pg_server_major(*db, &major, &err) != 0) {
		db_close(*db);
		*db = NULL;
		return cli_fail_with(err);
	}
	*tool = find_pg_tool(tool_name, major);
	if (*tool == NULL) {
		db_close(*db);
		*db = NULL;
		return 1;
	}
	return 0;
}

/* ---- backup ---------------------------------------------------------------- */

static void
backup_help(FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] backup [--dir D]\n\n"
		     "Writes a consistent copy of the database while the pool keeps serving:\n"
		     "SQLite through its online backup API into D/pipelit-YYYYmmdd-HHMMSS.sqlite3,\n"
		     "PostgreSQL with pg_dump --format=custom into D/pipelit-YYYYmmdd-HHMMSS.pgdump;\n"
		     "with either, the checkpoint store (agent memory) into\n"
		     "D/checkpoints-YYYYmmdd-HHMMSS.db when it exists.  Both or nothing: a copy\n"
		     "that fails (a full disk) removes what was written.  D defaults to\n"
		     "<PIPELIT_DATA_DIR>/backups.\n"
		     "Back up FIELD_ENCRYPTION_KEY too, but keep it apart from these files:\n"
		     "without it the stored secrets cannot be read, and with it anyone holding\n"
		     "a backup can read them.\n");
}

/* Moves part to final; 0, or 1 (reported, part removed). */
static int
finish_file(const char *part, const char *final)
{
	if (rename(part, final) != 0) {
		int e = errno;
		unlink(part);
		return cli_fail("cannot rename %s to %s: %s", part, final, strerror(e));
	}
	return 0;
}

/* D/<prefix>-<stamp><ext>, not yet taken. */
static char *
backup_name(const char *dir, const char *prefix, const char *stamp, const char *ext)
{
	char *path = xasprintf("%s/%s-%s%s", dir, prefix, stamp, ext);
	for (int n = 2; access(path, F_OK) == 0; n++) {
		free(path);
		path = xasprintf("%s/%s-%s-%d%s", dir, prefix, stamp, n, ext);
	}
	return path;
}

/* Copies the SQLite file src to a new file in dir; its name goes to
 * *written.  0, or 1 (reported; nothing left behind). */
static int
backup_sqlite_file(const char *src, const char *dir, const char *prefix, const char *stamp,
		   const char *ext, char **written)
{
	char *final = backup_name(dir, prefix, stamp, ext);
	char *part = xasprintf("%s.part", final);
	unlink(part);
	char *err = NULL;
	struct progress *p = progress_start("backup", "pages", 0);
	const char *base = strrchr(final, '/');
	progress_stage(p, base ? base + 1 : final);
	int copied = db_sqlite_backup(src, part, p, &err) == 0;
	progress_finish(p, copied);
	int rc = copied ? finish_file(part, final) : cli_fail_with(err);
	free(part);
	if (rc == 0)
		*written = final;
	else
		free(final);
	return rc;
}

/* The main database into dir; its file's name goes to *written. */
static int
backup_sqlite(const struct db_url *u, const char *dir, const char *stamp, char **written)
{
	if (access(u->path, F_OK) != 0)
		return cli_fail_with(db_sqlite_missing_message(u->path));
	return backup_sqlite_file(u->path, dir, "pipelit", stamp, ".sqlite3", written);
}

/* pg_dump's own messages name a full disk ("No space left on device")
 * on its standard error, which the operator sees above ours. */
static int
backup_postgres(const struct config *cfg, const struct db_url *u, const char *dir,
		const char *stamp, char **written)
{
	struct db *db = NULL;
	char *tool = NULL;
	if (pg_connect_with_tool(cfg, "pg_dump", &db, &tool) != 0)
		return 1;
	long tables = db_pg_table_count(db);
	db_close(db);
	char *final = backup_name(dir, "pipelit", stamp, ".pgdump");
	char *part = xasprintf("%s.part", final);
	char *file_arg = xasprintf("--file=%s", part);
	char *db_arg = xasprintf("--dbname=%s", u->conninfo_public);
	char *const argv[] = { tool, "--format=custom", "--no-password", "--verbose", db_arg,
			       file_arg, NULL };
	struct progress *p = progress_start("backup", "tables", tables);
	int status = run_tool(argv, u, progress_line, p);
	progress_finish(p, status == 0);
	free(db_arg);
	int rc;
	if (status == 0) {
		rc = finish_file(part, final);
	} else {
		unlink(part);
		rc = cli_fail("pg_dump failed (exit status %d); nothing was written", status);
	}
	free(file_arg);
	free(part);
	if (rc == 0)
		*written = final;
	else
		free(final);
	free(tool);
	return rc;
}

/*
 * Both stores, whatever the backend: the main database and the checkpoint
 * store (agent memory, an SQLite file of its own) when it exists.  A backup
 * is the pair or nothing: when the second copy fails, the first is removed
 * too, so no half set is ever mistaken for a backup.
 */
static int
backup_all(const struct config *cfg, const struct db_url *u, const char *dir, const char *stamp)
{
	char *main_file = NULL, *cp_file = NULL;
	int rc = u->backend == DB_SQLITE ? backup_sqlite(u, dir, stamp, &main_file) :
					   backup_postgres(cfg, u, dir, stamp, &main_file);
	if (rc == 0 && cfg->checkpoints_path != NULL && access(cfg->checkpoints_path, F_OK) == 0) {
		rc = backup_sqlite_file(cfg->checkpoints_path, dir, "checkpoints", stamp, ".db",
					&cp_file);
		if (rc != 0) {
			unlink(main_file);
			fprintf(stderr, "pipelit: removed %s: a backup holds both stores or none\n",
				main_file);
		}
	}
	if (rc == 0) {
		print_wrote(main_file);
		if (cp_file != NULL)
			print_wrote(cp_file);
	}
	free(main_file);
	free(cp_file);
	return rc;
}

int
db_backup(int argc, char **argv, const char *env_file)
{
	struct opts o;
	int rc = parse_opts(argc, argv, 1, 0, backup_help, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	struct config cfg;
	struct db_url u;
	if (load(env_file, &cfg, &u) != 0)
		return 1;
	char *dir = o.dir ? fs_absolute_path(o.dir) : xasprintf("%s/backups", cfg.data_dir);
	char *probe = xasprintf("%s/x", dir);
	if (fs_make_parent_dirs(probe) != 0)
		rc = cli_fail("cannot create %s: %s", dir, strerror(errno));
	free(probe);
	char stamp[16];
	timestamp(stamp, '-');
	if (rc == 0)
		rc = backup_all(&cfg, &u, dir, stamp);
	free(dir);
	db_url_free(&u);
	config_free(&cfg);
	return rc;
}

/* ---- restore ------------------------------------------------------------- */

static void
restore_help(FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] restore FILE\n\n"
		     "Replaces the database with a backup.  Refuses while a pipelit pool runs on\n"
		     "the database.  Checks FILE first (SQLite: integrity check; PostgreSQL:\n"
		     "pg_restore can read it) and refuses a schema revision this pipelit does not\n"
		     "know.  The previous database is kept: SQLite renames the file to\n"
		     "<file>.before-restore-YYYYmmdd-HHMMSS, PostgreSQL renames the database to\n"
		     "<name>_before_restore_YYYYmmdd_HHMMSS.\n");
}

/* 0 when every revision is one this binary knows; else 1 (reported). */
static int
revisions_known(const char *file, char **revs, size_t nrevs)
{
	char *err = NULL;
	struct migration_graph *g = migration_graph_embedded(&err);
	if (g == NULL)
		return cli_fail_with(err);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nrevs; i++) {
		if (migration_graph_find(g, revs[i], &err) < 0) {
			free(err);
			err = NULL;
			rc = cli_fail("%s is at schema revision %s, which this pipelit does not know "
				  "(a backup from a newer version?); refusing to restore it",
				  file, revs[i]);
		}
	}
	migration_graph_free(g);
	return rc;
}

static int
refuse_running_pool(pid_t holder)
{
	if (holder > 0)
		return cli_fail("a pipelit pool is running on this database (pid %ld); stop it first",
			    (long)holder);
	return cli_fail("a pipelit pool is running on this database; stop it first");
}

/* Renames path (and a leftover -wal) to aside; 0 or 1. */
static int
set_file_aside(const char *path, const char *aside)
{
	char *err = NULL;
	if (db_sqlite_checkpoint(path, &err) != 0)
		return cli_fail_with(err);
	if (rename(path, aside) != 0)
		return cli_fail("cannot rename %s to %s: %s", path, aside, strerror(errno));
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	char *aside_wal = xasprintf("%s-wal", aside);
	if (access(wal, F_OK) == 0)
		rename(wal, aside_wal);
	unlink(shm);
	free(wal);
	free(shm);
	free(aside_wal);
	return 0;
}

/*
 * The restored file takes the owner and mode of the one it replaces: a
 * restore run as root must leave the pool (running as its own user) a file
 * it can write.  A new file stays private (0600).
 */
static int
keep_owner_and_mode(const char *part, const struct stat *was, int had_target)
{
	if (!had_target)
		return chmod(part, 0600) == 0 ? 0 : cli_fail("cannot chmod %s: %s", part,
							     strerror(errno));
	if ((geteuid() == 0 || was->st_uid == geteuid()) && chown(part, was->st_uid, was->st_gid) != 0)
		return cli_fail("cannot give %s the owner of the database it replaces: %s", part,
				strerror(errno));
	if (chmod(part, was->st_mode & 07777) != 0)
		return cli_fail("cannot give %s the mode of the database it replaces: %s", part,
				strerror(errno));
	return 0;
}

static int
install_sqlite(const char *file, const char *target, const char *stamp)
{
	char *part = xasprintf("%s.restore-part", target);
	char *aside = xasprintf("%s.before-restore-%s", target, stamp);
	char *err = NULL;
	unlink(part);
	struct stat was;
	int had_target = stat(target, &was) == 0;
	struct progress *p = progress_start("restore", "pages", 0);
	int copied = db_sqlite_backup(file, part, p, &err) == 0;
	progress_finish(p, copied);
	int rc = copied ? 0 : cli_fail_with(err);
	if (rc == 0)
		rc = keep_owner_and_mode(part, &was, had_target);
	if (rc == 0 && had_target)
		rc = set_file_aside(target, aside);
	if (rc == 0 && rename(part, target) != 0) {
		rc = cli_fail("cannot move %s into place: %s", part, strerror(errno));
		if (had_target)
			rename(aside, target);
	}
	if (rc != 0)
		unlink(part);
	if (rc == 0) {
		if (had_target)
			printf("kept the previous database as %s\n", aside);
		printf("restored %s from %s\n", target, file);
	}
	free(part);
	free(aside);
	return rc;
}

static int
restore_sqlite(const struct db_url *u, const char *file)
{
	pid_t holder = 0;
	char *err = NULL;
	char *url = xasprintf("sqlite:///%s", u->path);
	int lock = dblock_take(url, &holder, &err);
	free(url);
	if (lock == -2)
		return refuse_running_pool(holder);
	if (lock < 0)
		return cli_fail_with(err);
	char **revs = NULL;
	size_t nrevs = 0;
	int rc = db_sqlite_inspect(file, &revs, &nrevs, &err) == 0 ? 0 : cli_fail_with(err);
	if (rc == 0)
		rc = revisions_known(file, revs, nrevs);
	db_free_strings(revs, nrevs);
	char stamp[16];
	timestamp(stamp, '-');
	if (rc == 0)
		rc = install_sqlite(file, u->path, stamp);
	dblock_release(lock);
	return rc;
}

/* The revisions in the archive's alembic_version data, read from the COPY
 * block pg_restore prints for it. */
static int
pg_archive_revisions(const char *tool, const char *file, char ***revs, size_t *nrevs)
{
	char *const argv[] = { (char *)tool, "--data-only", "--table=alembic_version", "--file=-",
			       (char *)file, NULL };
	char *out = NULL;
	int status = run_tool_output(argv, &out);
	int rc = 0;
	if (status != 0) {
		rc = cli_fail("pg_restore cannot read the schema revision of %s: %s", file,
			  out ? out : "");
	} else {
		int in_copy = 0;
		char *save = NULL;
		for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "COPY ", 5) == 0)
				in_copy = 1;
			else if (strcmp(line, "\\.") == 0)
				in_copy = 0;
			else if (in_copy) {
				*revs = xrealloc(*revs, (*nrevs + 1) * sizeof(**revs));
				(*revs)[(*nrevs)++] = xstrdup(line);
			}
		}
		if (*nrevs == 0)
			rc = cli_fail("%s holds no schema revision (no alembic_version data)", file);
	}
	free(out);
	return rc;
}

static int
pg_check_archive(const char *tool, const char *file)
{
	if (access(file, R_OK) != 0)
		return cli_fail("cannot read %s: %s", file, strerror(errno));
	char *const argv[] = { (char *)tool, "--list", (char *)file, NULL };
	char *out = NULL;
	int status = run_tool_output(argv, &out);
	int rc = 0;
	if (status != 0) {
		char *nl = out ? strchr(out, '\n') : NULL;
		if (nl)
			*nl = '\0';
		rc = cli_fail("%s is not an archive pg_restore can read: %s", file, out ? out : "");
	}
	free(out);
	char **revs = NULL;
	size_t nrevs = 0;
	if (rc == 0)
		rc = pg_archive_revisions(tool, file, &revs, &nrevs);
	if (rc == 0)
		rc = revisions_known(file, revs, nrevs);
	db_free_strings(revs, nrevs);
	return rc;
}

/* The URL with its database replaced by "postgres", the maintenance
 * database a rename is run from. */
static char *
maintenance_url(const char *url)
{
	const char *rest = strstr(url, "://");
	rest = rest ? rest + 3 : url;
	size_t alen = strcspn(rest, "/?");
	const char *query = strchr(rest + alen, '?');
	return xasprintf("%.*s/postgres%s", (int)(rest + alen - url), url, query ? query : "");
}

static int
pg_load_archive(const char *tool, const struct db_url *u, const char *file)
{
	char *const argv[] = { (char *)tool, "--no-owner", "--exit-on-error", "--single-transaction",
			       "--no-password", "--verbose", "--dbname", u->conninfo_public,
			       (char *)file, NULL };
	struct progress *p = progress_start("restore", "tables", 0);
	int status = run_tool(argv, u, progress_line, p);
	progress_finish(p, status == 0);
	if (status != 0)
		return cli_fail("pg_restore failed (exit status %d)", status);
	return 0;
}

static int
pg_swap_in(const struct config *cfg, const struct db_url *u, const char *tool, const char *file)
{
	char stamp[16];
	timestamp(stamp, '_');
	char *aside = xasprintf("%s_before_restore_%s", u->dbname, stamp);
	char *murl = maintenance_url(cfg->database_url);
	char *err = NULL;
	struct db *maint = db_open(murl, &err);
	free(murl);
	int rc = maint ? 0 : cli_fail_with(err);
	if (rc == 0 && db_pg_set_aside(maint, u->dbname, aside, &err) != 0)
		rc = cli_fail_with(err);
	if (rc == 0 && (rc = pg_load_archive(tool, u, file)) != 0) {
		if (db_pg_put_back(maint, u->dbname, aside, &err) != 0)
			cli_fail_with(err);
		else
			fprintf(stderr, "pipelit: the previous database is back in place\n");
	}
	if (rc == 0) {
		printf("kept the previous database as %s\n", aside);
		printf("restored database %s from %s\n", u->dbname, file);
	}
	db_close(maint);
	free(aside);
	return rc;
}

static int
restore_postgres(const struct config *cfg, const struct db_url *u, const char *file)
{
	if (u->dbname == NULL)
		return cli_fail("DATABASE_URL names no database");
	struct db *db = NULL;
	char *tool = NULL;
	if (pg_connect_with_tool(cfg, "pg_restore", &db, &tool) != 0)
		return 1;
	char *err = NULL;
	long pid = db_pg_other_pipelit_session(db, &err);
	db_close(db);
	int rc = 0;
	if (pid < 0)
		rc = cli_fail_with(err);
	else if (pid > 0)
		rc = refuse_running_pool((pid_t)pid);
	if (rc == 0)
		rc = pg_check_archive(tool, file);
	if (rc == 0)
		rc = pg_swap_in(cfg, u, tool, file);
	free(tool);
	return rc;
}

int
db_restore(int argc, char **argv, const char *env_file)
{
	struct opts o;
	int rc = parse_opts(argc, argv, 0, 1, restore_help, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	struct config cfg;
	struct db_url u;
	if (load(env_file, &cfg, &u) != 0)
		return 1;
	char *file = fs_absolute_path(o.file);
	rc = u.backend == DB_SQLITE ? restore_sqlite(&u, file) : restore_postgres(&cfg, &u, file);
	free(file);
	db_url_free(&u);
	config_free(&cfg);
	return rc;
}

/* ---- integrity ------------------------------------------------------------ */

static void
integrity_help(FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] integrity\n\n"
		     "Checks the database and prints one line per check, \"ok\" or what is wrong.\n"
		     "SQLite: PRAGMA integrity_check and foreign_key_check.  PostgreSQL: invalid\n"
		     "indexes, constraints not validated, rows whose foreign key points nowhere,\n"
		     "and a read of every table.  Exits 0 when everything is ok, 1 otherwise.\n");
}

static void
print_check(const char *check, const char *result, void *arg)
{
	(void)arg;
	printf("%s: %s\n", check, result);
}

int
db_integrity_check(int argc, char **argv, const char *env_file)
{
	struct opts o;
	int rc = parse_opts(argc, argv, 0, 0, integrity_help, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	struct config cfg;
	struct db_url u;
	if (load(env_file, &cfg, &u) != 0)
		return 1;
	char *err = NULL;
	struct db *db = NULL;
	if (u.backend == DB_SQLITE && access(u.path, F_OK) != 0)
		rc = cli_fail_with(db_sqlite_missing_message(u.path));
	else if ((db = db_open(cfg.database_url, &err)) == NULL)
		rc = cli_fail_with(err);
	if (rc == 0) {
		long problems = db_integrity(db, print_check, NULL, &err);
		if (problems < 0)
			rc = cli_fail_with(err);
		else if (problems > 0)
			rc = cli_fail("%ld problem%s found", problems, problems == 1 ? "" : "s");
	}
	db_close(db);
	db_url_free(&u);
	config_free(&cfg);
	return rc;
}
