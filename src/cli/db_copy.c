/*
 * db_copy.c: 'pipelit db copy' (every table from one database into
 * another, of either backend) and 'pipelit db prune' (old executions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db/copy.h"
#include "db/db.h"
#include "db/vacuum.h"
#include "util/progress.h"
#include "db/migrate.h"
#include "model/prune.h"
#include "util/config.h"
#include "util/xalloc.h"

static int
failed(const char *what, char *err)
{
	fprintf(stderr, "pipelit: %s%s%s\n", what, err && *what ? ": " : "", err ? err : "");
	free(err);
	return 1;
}

static int
usage_error(const char *verb, const char *arg, void (*usage)(FILE *))
{
	fprintf(stderr, "pipelit: db %s: unexpected argument '%s'\n", verb, arg);
	usage(stderr);
	return 2;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; 1 when it matched. */
static int
take_option(int argc, char **argv, int *i, const char *name, const char **dest)
{
	size_t n = strlen(name);
	if (strcmp(argv[*i], name) == 0 && *i + 1 < argc) {
		*dest = argv[++*i];
		return 1;
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*dest = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- copy ------------------------------------------------------------------ */

struct copy_args {
	const char *from, *to;
	int force, checkpoints;
};

static void
copy_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit db [--env-file FILE] copy --to URL [--from URL] [--force] "
		"[--checkpoints]\n\n"
		"Copies every table from one database (default DATABASE_URL) into another,\n"
		"SQLite or PostgreSQL: the target is migrated to head first, ids and encrypted\n"
		"values are kept as they are, the whole copy is one transaction on the target,\n"
		"PostgreSQL sequences are reset and every table's row count is verified.\n"
		"A target that already holds rows is refused unless --force (which empties it).\n"
		"--checkpoints also copies the checkpoint store into the checkpoints.db beside\n"
		"an SQLite target.  Stop the pool first (or accept a copy of the moment it began).\n");
}

static int
parse_copy_args(int argc, char **argv, struct copy_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			copy_usage(stdout);
			return -1;
		} else if (take_option(argc, argv, &i, "--to", &a->to) ||
			   take_option(argc, argv, &i, "--from", &a->from)) {
			continue;
		} else if (strcmp(argv[i], "--force") == 0) {
			a->force = 1;
		} else if (strcmp(argv[i], "--checkpoints") == 0) {
			a->checkpoints = 1;
		} else {
			return usage_error("copy", argv[i], copy_usage);
		}
	}
	if (a->to == NULL || *a->to == '\0') {
		fprintf(stderr, "pipelit: db copy: --to URL is required\n");
		copy_usage(stderr);
		return 2;
	}
	return 0;
}

static void
print_table(const char *table, int64_t rows, void *arg)
{
	printf("%s: %lld row%s\n", table, (long long)rows, rows == 1 ? "" : "s");
	fflush(stdout);
}

/* The SQLite file behind url, or NULL for PostgreSQL and memory. */
static char *
sqlite_path_of(const char *url)
{
	struct db_url u;
	char *err = NULL;
	if (db_url_parse(url, &u, &err) != 0) {
		free(err);
		return NULL;
	}
	char *path = u.backend == DB_SQLITE && strcmp(u.path, ":memory:") != 0 ? xstrdup(u.path)
									       : NULL;
	db_url_free(&u);
	return path;
}

static char *
beside(const char *file, const char *name)
{
	const char *slash = strrchr(file, '/');
	if (slash == NULL)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - file), file, name);
}

static int
open_both(const char *from, const char *to, struct db **src, struct db **dst)
{
	char *err = NULL;
	char *path = sqlite_path_of(from);
	int missing = path && access(path, F_OK) != 0;
	free(path);
	if (missing)
		return failed("the source database does not exist", xstrdup(from));
	*src = db_open(from, &err);
	if (*src == NULL)
		return failed("cannot open the source", err);
	/* Copying into a new database is what copy is for. */
	*dst = db_open_create(to, &err);
	if (*dst == NULL) {
		db_close(*src);
		return failed("cannot open the target", err);
	}
	return 0;
}

static int
copy_main_database(const char *from, const char *to, int force)
{
	struct db *src, *dst;
	if (open_both(from, to, &src, &dst) != 0)
		return 1;
	char *err = NULL;
	int rc = 0;
	if (migrate_check_known(src, &err) != 0 || migrate_upgrade(dst, "head", &err) != 0) {
		rc = failed("", err);
	} else {
		struct db_copy_options opt = { .force = force, .report = print_table,
					       .progress = progress_start("copy", "rows", 0) };
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int64_t total = 0;
		int copied = db_copy(src, dst, &opt, &total, &err) == 0;
		progress_finish(opt.progress, 0);  /* the total line below is the summary */
		if (!copied) {
			rc = failed("copy failed, the target is unchanged", err);
		} else {
			double s = seconds_since(&t0);
			printf("total: %lld rows in %.2f s (%.0f rows/s)\n", (long long)total, s,
			       s > 0 ? (double)total / s : (double)total);
		}
	}
	db_close(src);
	db_close(dst);
	return rc;
}

static int
copy_store(const char *from_file, const char *to_file, int force)
{
	char *from = xasprintf("sqlite:///%s", from_file), *to = xasprintf("sqlite:///%s", to_file);
	struct db *src = NULL, *dst = NULL;
	int rc = open_both(from, to, &src, &dst);
	char *err = NULL;
	if (rc == 0) {
		struct db_copy_options opt = { .force = force, .skip_revision_check = 1,
					       .report = print_table,
					       .progress = progress_start("copy checkpoints", "rows", 0) };
		int64_t total = 0;
		int copied = db_copy_sqlite_schema(src, dst, &err) == 0 &&
			     db_copy(src, dst, &opt, &total, &err) == 0;
		progress_finish(opt.progress, 0);
		if (!copied)
			rc = failed("checkpoint store", err);
		else
			printf("checkpoint store: %lld rows into %s\n", (long long)total, to_file);
		db_close(src);
		db_close(dst);
	}
	free(from);
	free(to);
	return rc;
}

/* The checkpoint store stays an SQLite file: it is copied beside an
 * SQLite target, and only pointed at for a PostgreSQL one. */
static int
copy_checkpoints(const struct config *cfg, const struct copy_args *a)
{
	char *src_db = a->from ? sqlite_path_of(a->from) : NULL;
	char *from = src_db ? beside(src_db, "checkpoints.db") : xstrdup(cfg->checkpoints_path);
	char *dst_db = sqlite_path_of(a->to);
	int rc = 0;
	if (access(from, F_OK) != 0) {
		printf("checkpoint store: %s does not exist, nothing to copy\n", from);
	} else if (dst_db == NULL) {
		printf("checkpoint store: it stays an SQLite file (%s) beside a PostgreSQL "
		       "database; 'pipelit db backup' copies it\n", from);
	} else {
		char *to = beside(dst_db, "checkpoints.db");
		rc = strcmp(to, from) == 0 ? failed("the checkpoint store would be copied onto "
						    "itself", xstrdup(to))
					   : copy_store(from, to, a->force);
		free(to);
	}
	free(src_db);
	free(dst_db);
	free(from);
	return rc;
}

int
db_copy_main(int argc, char **argv, const char *env_file)
{
	struct copy_args a;
	int rc = parse_copy_args(argc, argv, &a);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Cli") != 0)
		return 1;
	const char *from = a.from ? a.from : cfg.database_url;
	if (strcmp(from, a.to) == 0) {
		config_free(&cfg);
		return failed("db copy: the source and the target are the same database", NULL);
	}
	rc = copy_main_database(from, a.to, a.force);
	if (rc == 0 && a.checkpoints)
		rc = copy_checkpoints(&cfg, &a);
	config_free(&cfg);
	return rc;
}

/* ---- prune ------------------------------------------------------------------ */

static void
prune_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit db [--env-file FILE] prune --executions-older-than DURATION\n"
		"                  [--keep-failed] [--dry-run] [--batch N]\n\n"
		"Deletes executions that finished more than DURATION ago (30d, 12h, 45m, 90s),\n"
		"with their logs and pending tasks; running, pending and interrupted ones are\n"
		"never deleted, failed ones are kept with --keep-failed.  Works in batches of N\n"
		"executions (default 500), each its own short transaction, so the pool keeps\n"
		"serving.  --dry-run only counts.  EXECUTION_RETENTION does the same periodically.\n");
}

struct prune_args {
	long older_than;
	int keep_failed, dry_run;
	long batch;
};

static int
parse_prune_args(int argc, char **argv, struct prune_args *a)
{
	const char *age = NULL, *batch = NULL;
	memset(a, 0, sizeof(*a));
	a->batch = 500;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			prune_usage(stdout);
			return -1;
		} else if (take_option(argc, argv, &i, "--executions-older-than", &age) ||
			   take_option(argc, argv, &i, "--batch", &batch)) {
			continue;
		} else if (strcmp(argv[i], "--keep-failed") == 0) {
			a->keep_failed = 1;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			a->dry_run = 1;
		} else {
			return usage_error("prune", argv[i], prune_usage);
		}
	}
	if (age == NULL) {
		fprintf(stderr, "pipelit: db prune: --executions-older-than DURATION is required\n");
		prune_usage(stderr);
		return 2;
	}
	if (config_parse_duration(age, &a->older_than) != 0) {
		fprintf(stderr, "pipelit: db prune: invalid duration '%s': expected a number "
				"followed by d, h, m or s (30d, 12h)\n", age);
		return 2;
	}
	if (batch && config_parse_long(batch, 1, 100000, &a->batch) != 0) {
		fprintf(stderr, "pipelit: db prune: --batch expects a number from 1 to 100000\n");
		return 2;
	}
	return 0;
}

int
db_prune_main(int argc, char **argv, const char *env_file)
{
	struct prune_args a;
	int rc = parse_prune_args(argc, argv, &a);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Cli") != 0)
		return 1;
	char *err = NULL;
	/* db_open refuses a missing file, saying which and how to point at it. */
	struct db *db = db_open(cfg.database_url, &err);
	struct prune_result res;
	if (db == NULL)
		rc = failed("cannot open the database", err);
	else {
		struct progress *p = a.dry_run ? NULL : progress_start("prune", "executions", 0);
		int pruned = prune_executions(db, a.older_than, a.keep_failed, (int)a.batch,
					      a.dry_run, p, &res, &err) == 0;
		progress_finish(p, 0);  /* the line below is the summary */
		if (!pruned)
			rc = failed("", err);
	}
	if (rc == 0)
		printf("%s %lld execution%s and %lld log row%s\n",
		       a.dry_run ? "would delete" : "deleted", (long long)res.executions,
		       res.executions == 1 ? "" : "s", (long long)res.logs, res.logs == 1 ? "" : "s");
	int64_t before = 0, after = 0;
	if (rc == 0 && !a.dry_run && res.executions > 0) {
		if (db_reclaim_space(db, &before, &after) != 0)
			rc = failed("the rows are deleted, but giving the space back failed",
				    xstrdup(db_errmsg(db)));
		else if (before > after)
			printf("gave %lld KiB back to the file system\n",
			       (long long)((before - after) / 1024));
	}
	db_close(db);
	config_free(&cfg);
	return rc;
}
