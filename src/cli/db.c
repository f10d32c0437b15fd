/*
 * db.c: 'pipelit db', the migration verbs, modelled on Alembic's:
 * upgrade, downgrade, current, history, heads, revision, merge, check.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db/db.h"
#include "db/migration.h"
#include "db/vacuum.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The options every verb may be given; each verb says which it accepts. */
enum {
	OPT_SQL = 1,
	OPT_VERBOSE = 2,
	OPT_MESSAGE = 4,
	OPT_DIR = 8,
};

struct db_args {
	const char *env_file;
	int sql, verbose;
	const char *message, *dir;
	const char *pos[2];
	int npos;
};

struct verb {
	const char *name;
	int (*run)(struct db_args *a);
	int options;
	int min_pos, max_pos;
	const char *usage;
	const char *help;
};

/* ---- shared steps: configuration, the graph, the database ---------- */

struct session {
	struct config cfg;
	struct migration_graph *g;
	struct db *db;
};

/* What a verb needs: no database, an existing one (db_open refuses a
 * missing SQLite file, naming it), or one it may create ('db upgrade'). */
enum { NO_DB, OPEN_DB, EXISTING_DB = OPEN_DB, CREATE_DB };

static int
session_start(struct session *s, const struct db_args *a, int open_db)
{
	memset(s, 0, sizeof(*s));
	if (cli_load_config(&s->cfg, a->env_file, "Cli") != 0)
		return -1;
	char *err = NULL;
	s->g = migration_graph_embedded(&err);
	if (s->g == NULL) {
		cli_fail_with(err);
		config_free(&s->cfg);
		return -1;
	}
	if (open_db) {
		s->db = open_db == CREATE_DB ? db_open_create(s->cfg.database_url, &err) :
					       db_open(s->cfg.database_url, &err);
		if (s->db == NULL) {
			cli_fail_with(err);
			migration_graph_free(s->g);
			config_free(&s->cfg);
			return -1;
		}
	}
	return 0;
}

static void
session_end(struct session *s)
{
	db_close(s->db);
	migration_graph_free(s->g);
	config_free(&s->cfg);
}

static int
configured_backend(const struct config *cfg, enum db_backend *out)
{
	struct db_url u;
	char *err = NULL;
	if (db_url_parse(cfg->database_url, &u, &err) != 0)
		return cli_fail_with(err);
	*out = u.backend;
	db_url_free(&u);
	return 0;
}

/* The URL with any password replaced by "***", for display. */
static char *
masked_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	if (at == NULL || colon == NULL || colon > at)
		return xstrdup(url);
	return xasprintf("%.*s:***%s", (int)(colon - url), url, at);
}

/* ---- printing revisions ---------------------------------------------- */

static char *
parents_text(const struct migration *m)
{
	if (m->nparents == 0)
		return xstrdup("<base>");
	struct mbuf b = { 0 };
	for (size_t i = 0; i < m->nparents; i++)
		mbuf_printf(&b, "%s%s", i ? ", " : "", m->parents[i]);
	return mbuf_take(&b);
}

static char *
children_text(const struct migration_graph *g, size_t idx)
{
	struct mbuf b = { 0 };
	for (size_t j = idx + 1; j < migration_graph_count(g); j++) {
		const struct migration *c = migration_graph_at(g, j);
		for (size_t k = 0; k < c->nparents; k++)
			if (c->parent_index[k] == idx)
				mbuf_printf(&b, "%s%s", b.len ? ", " : "", c->revision);
	}
	return mbuf_take(&b);
}

static void
print_markers(const struct migration_graph *g, size_t i)
{
	if (migration_is_head(g, i))
		printf(" (head)");
	if (migration_child_count(g, i) > 1)
		printf(" (branchpoint)");
	if (migration_graph_at(g, i)->nparents > 1)
		printf(" (mergepoint)");
}

static void
print_line(const struct migration_graph *g, size_t i)
{
	const struct migration *m = migration_graph_at(g, i);
	char *parents = parents_text(m);
	printf("%s -> %s", parents, m->revision);
	print_markers(g, i);
	printf(", %s\n", m->message);
	free(parents);
}

static void
print_block(const struct migration_graph *g, size_t i)
{
	const struct migration *m = migration_graph_at(g, i);
	char *parents = parents_text(m);
	char *children = children_text(g, i);
	printf("Rev: %s", m->revision);
	print_markers(g, i);
	printf("\nParent: %s\n", parents);
	if (migration_child_count(g, i) > 1)
		printf("Branches into: %s\n", children);
	printf("Path: migrations/%s\n", m->file);
	if (m->created)
		printf("Created: %s\n", m->created);
	printf("\n    %s\n\n", m->message);
	free(parents);
	free(children);
}

static void
print_revision(const struct migration_graph *g, size_t i, int verbose)
{
	if (verbose)
		print_block(g, i);
	else
		print_line(g, i);
}

/* ---- upgrade and downgrade ------------------------------------------- */

/* "FROM:TO" or "TO"; the start is base for an upgrade and every head for a
 * downgrade, as an offline script cannot ask the database. */
static int
offline_start(const struct migration_graph *g, const char *spec, enum migration_direction dir,
	      unsigned char *applied, const char **target)
{
	size_t n = migration_graph_count(g);
	const char *colon = strchr(spec, ':');
	*target = colon ? colon + 1 : spec;
	if (colon == NULL) {
		if (dir == MIGRATION_DOWN)
			memset(applied, 1, n);
		return 0;
	}
	char *from = xstrndup(spec, (size_t)(colon - spec));
	int rc = 0;
	if (strcmp(from, "base") != 0) {
		char *err = NULL;
		long i = migration_graph_find(g, from, &err);
		if (i < 0)
			rc = cli_fail_with(err);
		else
			migration_mark_ancestors(g, (size_t)i, applied);
	}
	free(from);
	return rc;
}

static int
print_offline_script(struct db_args *a, enum migration_direction dir, const char *spec)
{
	struct session s;
	if (session_start(&s, a, NO_DB) != 0)
		return 1;
	enum db_backend backend = DB_SQLITE;   /* set by configured_backend on success */
	int rc = configured_backend(&s.cfg, &backend);
	size_t n = migration_graph_count(s.g);
	unsigned char *applied = xcalloc(n ? n : 1, 1);
	const char *target = NULL;
	if (rc == 0)
		rc = offline_start(s.g, spec, dir, applied, &target);
	size_t *steps = NULL, nsteps = 0;
	char *err = NULL;
	if (rc == 0 && migration_plan(s.g, applied, target, dir, &steps, &nsteps, &err) != 0)
		rc = cli_fail_with(err);
	if (rc == 0) {
		char *script = migration_script(s.g, applied, steps, nsteps, dir, backend);
		fputs(script, stdout);
		free(script);
	}
	free(steps);
	free(applied);
	session_end(&s);
	return rc;
}

static int
migrate_live(struct db_args *a, enum migration_direction dir, const char *spec)
{
	/* 'db upgrade' is how a database is made outside 'serve'. */
	struct session s;
	if (session_start(&s, a, dir == MIGRATION_UP ? CREATE_DB : OPEN_DB) != 0)
		return 1;
	char *err = NULL;
	int rc = 0;
	if (migration_apply(s.db, s.g, spec, dir, 0, &err) != 0)
		rc = cli_fail_with(err);
	session_end(&s);
	return rc;
}

static int
verb_upgrade(struct db_args *a)
{
	const char *spec = a->npos ? a->pos[0] : "head";
	if (a->sql)
		return print_offline_script(a, MIGRATION_UP, spec);
	if (strchr(spec, ':'))
		return cli_usage_error("FROM:TO ranges are for --sql only");
	return migrate_live(a, MIGRATION_UP, spec);
}

static int
verb_downgrade(struct db_args *a)
{
	if (a->sql)
		return print_offline_script(a, MIGRATION_DOWN, a->pos[0]);
	if (strchr(a->pos[0], ':'))
		return cli_usage_error("FROM:TO ranges are for --sql only");
	return migrate_live(a, MIGRATION_DOWN, a->pos[0]);
}

/* ---- current, history, heads ----------------------------------------- */

static int
verb_current(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, EXISTING_DB) != 0)
		return 1;
	unsigned char *applied = NULL;
	char **revs = NULL;
	size_t nrevs = 0;
	char *err = NULL;
	int rc = 0;
	if (migration_read_current(s.db, s.g, &applied, &revs, &nrevs, &err) != 0) {
		rc = cli_fail_with(err);
	} else {
		if (a->verbose) {
			char *url = masked_url(s.cfg.database_url);
			printf("Current revision(s) for %s:\n", url);
			free(url);
		}
		for (size_t i = 0; i < nrevs; i++) {
			long k = migration_graph_find(s.g, revs[i], &err);
			if (a->verbose)
				print_block(s.g, (size_t)k);
			else
				printf("%s%s\n", revs[i],
				       migration_is_head(s.g, (size_t)k) ? " (head)" : "");
		}
	}
	free(applied);
	migration_free_revs(revs, nrevs);
	session_end(&s);
	return rc;
}

static int
verb_history(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, NO_DB) != 0)
		return 1;
	for (size_t i = migration_graph_count(s.g); i-- > 0;)
		print_revision(s.g, i, a->verbose);
	session_end(&s);
	return 0;
}

static int
verb_heads(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, NO_DB) != 0)
		return 1;
	size_t n = migration_graph_count(s.g);
	size_t *heads = xcalloc(n ? n : 1, sizeof(size_t));
	size_t nh = migration_graph_heads(s.g, heads);
	for (size_t i = 0; i < nh; i++) {
		if (a->verbose)
			print_block(s.g, heads[i]);
		else
			printf("%s (head)\n", migration_graph_at(s.g, heads[i])->revision);
	}
	free(heads);
	session_end(&s);
	return 0;
}

/* ---- revision and merge: writing new files in the source tree -------- */

struct source_dir {
	char *path;
	struct migration_source *files;  /* names and texts owned here */
	size_t n;
};

static void
source_dir_free(struct source_dir *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->files[i].name);
		free((char *)d->files[i].text);
	}
	free(d->files);
	free(d->path);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	struct mbuf b = { 0 };
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mbuf_add(&b, chunk, got);
	fclose(f);
	return mbuf_take(&b);
}

static int
by_name(const void *x, const void *y)
{
	const struct migration_source *a = x, *b = y;
	return strcmp(a->name, b->name);
}

static int
is_sql_file(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".sql") == 0 && name[0] != '.';
}

/* The developer's migrations directory: --dir, else ./migrations when it
 * exists, else the one in the source tree this binary was built from. */
static char *
choose_dir(const char *given)
{
	struct stat st;
	if (given != NULL)
		return xstrdup(given);
	if (stat("migrations", &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup("migrations");
	return xstrdup(PIPELIT_SRCDIR "/migrations");
}

static int
read_source_dir(struct source_dir *d, const char *given)
{
	memset(d, 0, sizeof(*d));
	d->path = choose_dir(given);
	DIR *dir = opendir(d->path);
	if (dir == NULL)
		return cli_fail("cannot read migrations directory %s: %s", d->path, strerror(errno));
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (!is_sql_file(e->d_name))
			continue;
		char *path = xasprintf("%s/%s", d->path, e->d_name);
		char *text = slurp(path);
		free(path);
		if (text == NULL)
			continue;
		d->files = xrealloc(d->files, (d->n + 1) * sizeof(*d->files));
		d->files[d->n].name = xstrdup(e->d_name);
		d->files[d->n].text = text;
		d->n++;
	}
	closedir(dir);
	qsort(d->files, d->n, sizeof(*d->files), by_name);
	return 0;
}

static void
new_revision(const struct migration_graph *g, char out[MIGRATION_REV_LEN + 1])
{
	for (;;) {
		unsigned char bytes[MIGRATION_REV_LEN / 2];
		if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
			/* Without entropy a clock-based id is still unique enough
			 * for a developer's file. */
			unsigned long long t = (unsigned long long)time(NULL) ^ (unsigned long long)getpid();
			memcpy(bytes, &t, sizeof(bytes));
		}
		for (size_t i = 0; i < sizeof(bytes); i++)
			sprintf(out + 2 * i, "%02x", bytes[i]);
		char *err = NULL;
		long clash = migration_graph_find(g, out, &err);
		free(err);
		if (clash < 0)
			return;
	}
}

static char *
slug_of(const char *message)
{
	char *slug = xmalloc(strlen(message) + 1);
	size_t n = 0;
	for (const char *p = message; *p && n < 40; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			slug[n++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			slug[n++] = (char)(c - 'A' + 'a');
		else if (n > 0 && slug[n - 1] != '_')
			slug[n++] = '_';
	}
	while (n > 0 && slug[n - 1] == '_')
		n--;
	slug[n] = '\0';
	if (n == 0) {
		free(slug);
		return xstrdup("migration");
	}
	return slug;
}

/* A message is one header line: newlines become spaces. */
static char *
one_line(const char *message)
{
	char *m = xstrdup(message);
	for (char *p = m; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return m;
}

static int
write_new_file(const char *dir, const struct migration_graph *g, const char *parents,
	       const char *message)
{
	char rev[MIGRATION_REV_LEN + 1];
	new_revision(g, rev);
	char *msg = one_line(message);
	char *slug = slug_of(msg);
	char *path = xasprintf("%s/%s_%s.sql", dir, rev, slug);
	char created[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", &tm);
	int rc = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		rc = cli_fail("cannot create %s: %s", path, strerror(errno));
	} else {
		fprintf(f, "-- Revision: %s\n-- Parent: %s\n-- Message: %s\n-- Created: %s\n\n"
			   "-- +upgrade\n\n-- +downgrade\n",
			rev, parents, msg, created);
		if (fclose(f) != 0)
			rc = cli_fail("cannot write %s: %s", path, strerror(errno));
	}
	if (rc == 0) {
		printf("  Generating %s ...  done\n", path);
		printf("Add migrations/%s_%s.sql to MIGRATION_FILES in Makefile.am, fill in its\n"
		       "upgrade and downgrade SQL, and rebuild (make) to build it into pipelit.\n",
		       rev, slug);
	}
	free(path);
	free(slug);
	free(msg);
	return rc;
}

static char *
heads_text(const struct migration_graph *g, const size_t *heads, size_t nh)
{
	struct mbuf b = { 0 };
	for (size_t i = 0; i < nh; i++)
		mbuf_printf(&b, "%s%s", i ? ", " : "", migration_graph_at(g, heads[i])->revision);
	return mbuf_take(&b);
}

/* Loads the developer's directory and hands its heads to make_file. */
static int
with_source_heads(struct db_args *a,
		  int (*make_file)(struct db_args *a, const char *dir,
				   const struct migration_graph *g, const size_t *heads, size_t nh))
{
	if (a->message == NULL || *a->message == '\0')
		return cli_usage_error("a message is required: -m MSG");
	struct source_dir d;
	if (read_source_dir(&d, a->dir) != 0) {
		source_dir_free(&d);
		return 1;
	}
	char *err = NULL;
	struct migration_graph *g = migration_graph_load(d.files, d.n, &err);
	int rc;
	if (g == NULL) {
		rc = cli_fail_with(err);
	} else {
		size_t *heads = xcalloc(d.n + 1, sizeof(size_t));
		size_t nh = migration_graph_heads(g, heads);
		rc = make_file(a, d.path, g, heads, nh);
		free(heads);
	}
	migration_graph_free(g);
	source_dir_free(&d);
	return rc;
}

static int
make_revision(struct db_args *a, const char *dir, const struct migration_graph *g,
	      const size_t *heads, size_t nh)
{
	char *list = heads_text(g, heads, nh);
	int rc;
	if (nh > 1)
		rc = cli_fail("multiple heads: %s; run 'pipelit db merge -m MSG' first", list);
	else
		rc = write_new_file(dir, g, nh ? list : "<base>", a->message);
	free(list);
	return rc;
}

static int
make_merge(struct db_args *a, const char *dir, const struct migration_graph *g,
	   const size_t *heads, size_t nh)
{
	char *list = heads_text(g, heads, nh);
	int rc;
	if (nh < 2)
		rc = cli_fail("nothing to merge: there is %s head (%s)", nh ? "only one" : "no",
			  nh ? list : "empty history");
	else
		rc = write_new_file(dir, g, list, a->message);
	free(list);
	return rc;
}

static int
verb_revision(struct db_args *a)
{
	return with_source_heads(a, make_revision);
}

static int
verb_merge(struct db_args *a)
{
	return with_source_heads(a, make_merge);
}

/* ---- check ------------------------------------------------------------ */

static void
print_difference(const char *line, void *arg)
{
	long *count = arg;
	printf("%s\n", line);
	(*count)++;
}

/* 0 when the applied set is the whole graph; otherwise says where the
 * database is and returns 1. */
static int
require_head(const struct session *s, const unsigned char *applied, const char *heads)
{
	size_t n = migration_graph_count(s->g);
	for (size_t i = 0; i < n; i++) {
		if (applied[i])
			continue;
		size_t *at = xcalloc(n, sizeof(size_t));
		size_t nat = migration_set_heads(s->g, applied, at);
		char *where = nat ? heads_text(s->g, at, nat) : xstrdup("base");
		printf("database is at %s, not at the head of the migrations (%s); run "
		       "'pipelit db upgrade'\n",
		       where, heads);
		free(where);
		free(at);
		return 1;
	}
	return 0;
}

static int
verb_check(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, EXISTING_DB) != 0)
		return 1;
	size_t n = migration_graph_count(s.g);
	size_t *heads = xcalloc(n ? n : 1, sizeof(size_t));
	char *head_list = heads_text(s.g, heads, migration_graph_heads(s.g, heads));
	unsigned char *applied = NULL;
	char **revs = NULL;
	size_t nrevs = 0;
	char *err = NULL;
	int rc;
	if (migration_read_current(s.db, s.g, &applied, &revs, &nrevs, &err) != 0) {
		rc = cli_fail_with(err);
	} else if ((rc = require_head(&s, applied, head_list)) == 0) {
		long count = 0;
		long found = schema_check(s.db, s.g, print_difference, &count, &err);
		if (found < 0)
			rc = cli_fail_with(err);
		else if (found == 0)
			printf("No drift: database matches the migrations at %s\n", head_list);
		else
			rc = cli_fail("the database schema differs from the migrations at %s "
				  "(%ld difference%s)",
				  head_list, found, found == 1 ? "" : "s");
	}
	free(applied);
	migration_free_revs(revs, nrevs);
	free(head_list);
	free(heads);
	session_end(&s);
	return rc;
}

/* ---- the command line ------------------------------------------------- */

/* ---- show, branches, stamp, vacuum ------------------------------------- */

static int
verb_show(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, NO_DB) != 0)
		return 1;
	char *err = NULL;
	int rc = 0;
	long i = -1;
	if (strcmp(a->pos[0], "head") == 0) {
		size_t n = migration_graph_count(s.g);
		size_t *heads = xcalloc(n ? n : 1, sizeof(size_t));
		size_t nh = migration_graph_heads(s.g, heads);
		if (nh == 1)
			i = (long)heads[0];
		else
			rc = cli_fail("there are %zu heads; name one ('pipelit db heads')", nh);
		free(heads);
	} else if ((i = migration_graph_find(s.g, a->pos[0], &err)) < 0) {
		rc = cli_fail_with(err);
	}
	if (rc == 0)
		print_block(s.g, (size_t)i);
	session_end(&s);
	return rc;
}

static int
verb_branches(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, NO_DB) != 0)
		return 1;
	for (size_t i = 0; i < migration_graph_count(s.g); i++) {
		if (migration_child_count(s.g, i) < 2)
			continue;
		if (a->verbose) {
			print_block(s.g, i);
			continue;
		}
		char *children = children_text(s.g, i);
		printf("%s (branchpoint) -> %s, %s\n", migration_graph_at(s.g, i)->revision, children,
		       migration_graph_at(s.g, i)->message);
		free(children);
	}
	session_end(&s);
	return 0;
}

/* Writes the version table so the database says it is at the target,
 * running no migration: for a database whose schema was made by other
 * means (restored by hand, built from a dump).  Never creates a database. */
static int
stamp_in_transaction(struct session *s, const char *spec, char **err)
{
	size_t n = migration_graph_count(s->g);
	unsigned char *applied = NULL, *target_set = xcalloc(n ? n : 1, 1);
	char **revs = NULL;
	size_t nrevs = 0;
	size_t *old_heads = xcalloc(n ? n : 1, sizeof(size_t));
	size_t *new_heads = xcalloc(n ? n : 1, sizeof(size_t));
	int rc = -1;
	if (db_exec(s->db, MIGRATION_VERSION_TABLE_SQL) != 0) {
		*err = xasprintf("cannot create alembic_version: %s", db_errmsg(s->db));
		goto out;
	}
	if (migration_read_current(s->db, s->g, &applied, &revs, &nrevs, err) != 0)
		goto out;
	struct migration_target t;
	if (migration_resolve_target(s->g, spec, MIGRATION_UP, applied, &t, err) != 0)
		goto out;
	if (t.kind == TARGET_HEADS) {
		size_t nh = migration_graph_heads(s->g, new_heads);
		for (size_t k = 0; k < nh; k++)
			migration_mark_ancestors(s->g, new_heads[k], target_set);
	} else if (t.kind == TARGET_REV) {
		migration_mark_ancestors(s->g, t.index, target_set);
	}
	size_t nold = migration_set_heads(s->g, applied, old_heads);
	size_t nnew = migration_set_heads(s->g, target_set, new_heads);
	char *sql = migration_version_sql(s->g, old_heads, nold, new_heads, nnew);
	rc = db_exec(s->db, sql);
	free(sql);
	if (rc != 0)
		*err = xasprintf("cannot write alembic_version: %s", db_errmsg(s->db));
out:
	free(applied);
	free(target_set);
	free(old_heads);
	free(new_heads);
	migration_free_revs(revs, nrevs);
	return rc;
}

static int
verb_stamp(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, OPEN_DB) != 0)
		return 1;
	char *err = NULL;
	int rc = 0;
	if (db_begin_write(s.db) != 0)
		rc = cli_fail("cannot begin: %s", db_errmsg(s.db));
	else if (stamp_in_transaction(&s, a->pos[0], &err) != 0) {
		db_rollback(s.db);
		rc = cli_fail_with(err);
	} else if (db_commit(s.db) != 0) {
		rc = cli_fail("cannot commit: %s", db_errmsg(s.db));
	} else {
		printf("stamped the database at %s (no migration was run)\n", a->pos[0]);
	}
	session_end(&s);
	return rc;
}

static void
print_kib(const char *what, int64_t bytes)
{
	printf("%s %lld KiB\n", what, (long long)(bytes / 1024));
}

static int
verb_vacuum(struct db_args *a)
{
	struct session s;
	if (session_start(&s, a, OPEN_DB) != 0)
		return 1;
	int64_t before = 0, after = 0;
	int rc = 0;
	if (db_vacuum(s.db, &before, &after) != 0) {
		rc = cli_fail("vacuum failed: %s (it needs the database to itself for its whole run "
			      "and free space of about twice its size: stop the pool or try when it "
			      "is idle)", db_errmsg(s.db));
	} else if (db_backend_of(s.db) == DB_SQLITE) {
		print_kib("before:", before);
		print_kib("after:", after);
		printf("the database now gives freed space back after 'pipelit db prune'\n");
	} else {
		printf("vacuumed\n");
	}
	session_end(&s);
	return rc;
}

static const struct verb verbs[] = {
	{ "upgrade", verb_upgrade, OPT_SQL, 0, 1, "upgrade [head|heads|REV|+N] [--sql [FROM:]TO]",
	  "Applies migrations up to the target (default head), or N steps, one transaction\n"
	  "each.  Creates the database when it does not exist.\n"
	  "With --sql prints the SQL instead (from base, or from FROM) and changes nothing." },
	{ "downgrade", verb_downgrade, OPT_SQL, 1, 1, "downgrade REV|-N|base [--sql]",
	  "Reverts migrations down to REV, N steps, or everything.\n"
	  "With --sql prints the SQL (from head, or FROM:TO) and changes nothing." },
	{ "current", verb_current, OPT_VERBOSE, 0, 0, "current [--verbose]",
	  "Shows the revision(s) the database is at." },
	{ "history", verb_history, OPT_VERBOSE, 0, 0, "history [--verbose]",
	  "Lists the migrations built into this binary, newest first." },
	{ "heads", verb_heads, OPT_VERBOSE, 0, 0, "heads [--verbose]",
	  "Lists the head revisions of the migrations." },
	{ "revision", verb_revision, OPT_MESSAGE | OPT_DIR, 0, 0, "revision -m MSG [--dir DIR]",
	  "Writes a new, empty migration whose parent is the single head (developers;\n"
	  "DIR defaults to ./migrations when it exists, else the source tree's)." },
	{ "merge", verb_merge, OPT_MESSAGE | OPT_DIR, 0, 0, "merge -m MSG [--dir DIR]",
	  "Writes a migration that merges all current heads (developers)." },
	{ "show", verb_show, 0, 1, 1, "show REV|head",
	  "Shows one migration: revision, parents, branches, file, date, message." },
	{ "branches", verb_branches, OPT_VERBOSE, 0, 0, "branches [--verbose]",
	  "Lists the branch points of the migrations (revisions with several children)." },
	{ "stamp", verb_stamp, 0, 1, 1, "stamp REV|head|heads|base",
	  "Sets the revision the database says it is at without running migrations\n"
	  "(a schema made by other means).  Never creates a database." },
	{ "vacuum", verb_vacuum, 0, 0, 0, "vacuum",
	  "Rewrites the database to give free space back; an SQLite file made before\n"
	  "incremental auto-vacuum is converted, so later prunes return space.  Needs the\n"
	  "database to itself and free disk of about twice its size." },
	{ "check", verb_check, 0, 0, 0, "check",
	  "Compares the live schema with one built from the migrations in a scratch\n"
	  "database of the same backend; exits 1 and lists the drift if they differ." },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

/* Verbs in files of their own that parse their own options and --help. */
static const struct own_verb {
	const char *name;
	int (*run)(int argc, char **argv, const char *env_file);
	const char *usage;
} own_verbs[] = {
	{ "rotate-key", db_rotate_key, "rotate-key --new-key KEY" },
	{ "backup", db_backup, "backup [--dir D]" },
	{ "restore", db_restore, "restore FILE" },
	{ "integrity", db_integrity_check, "integrity" },
	{ "copy", db_copy_main, "copy --to URL [--from URL] [--force] [--checkpoints]" },
	{ "prune", db_prune_main, "prune --executions-older-than DURATION [--keep-failed] [--dry-run] [--batch N]" },
};

#define NOWN_VERBS (sizeof(own_verbs) / sizeof(own_verbs[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] <command> [options]\n\n"
		     "Migrations and database tools.\n\ncommands:\n");
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(out, "  %s\n", verbs[i].usage);
	for (size_t i = 0; i < NOWN_VERBS; i++)
		fprintf(out, "  %s\n", own_verbs[i].usage);
	fprintf(out, "\nRun 'pipelit db <command> --help' for details.\n");
}

static void
verb_usage(const struct verb *v, FILE *out)
{
	fprintf(out, "usage: pipelit db [--env-file FILE] %s\n\n%s\n", v->usage, v->help);
}

/* Takes --env-file wherever it appears; 0, or 2 on a missing value. */
static int
take_env_file(int *argc, char **argv, struct db_args *a)
{
	int out = 0;
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--env-file") == 0) {
			if (i + 1 >= *argc)
				return cli_usage_error("--env-file needs a file name");
			a->env_file = argv[++i];
		} else if (strncmp(argv[i], "--env-file=", 11) == 0) {
			a->env_file = argv[i] + 11;
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	return 0;
}

static int
take_value(int argc, char **argv, int *i, const char **dest)
{
	if (*i + 1 >= argc)
		return cli_usage_error("%s needs a value", argv[*i]);
	*dest = argv[++*i];
	return 0;
}

static int
parse_verb_args(const struct verb *v, int argc, char **argv, struct db_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int rc = 0;
		if (cli_is_help(arg)) {
			verb_usage(v, stdout);
			return -1;
		} else if ((v->options & OPT_SQL) && strcmp(arg, "--sql") == 0) {
			a->sql = 1;
		} else if ((v->options & OPT_VERBOSE) &&
			   (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0)) {
			a->verbose = 1;
		} else if ((v->options & OPT_MESSAGE) &&
			   (strcmp(arg, "-m") == 0 || strcmp(arg, "--message") == 0)) {
			rc = take_value(argc, argv, &i, &a->message);
		} else if ((v->options & OPT_DIR) && strcmp(arg, "--dir") == 0) {
			rc = take_value(argc, argv, &i, &a->dir);
		} else if (arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9')) {
			rc = cli_usage_error("db %s: unknown option '%s'", v->name, arg);
		} else if (a->npos < v->max_pos) {
			a->pos[a->npos++] = arg;
		} else {
			rc = cli_usage_error("db %s: unexpected argument '%s'", v->name, arg);
		}
		if (rc != 0)
			return rc;
	}
	if (a->npos < v->min_pos) {
		verb_usage(v, stderr);
		return 2;
	}
	return 0;
}

int
cmd_db(int argc, char **argv)
{
	struct db_args a = { 0 };
	argc--;
	argv++;
	if (take_env_file(&argc, argv, &a) != 0)
		return 2;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[0]) || strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NVERBS; i++) {
		if (strcmp(argv[0], verbs[i].name) != 0)
			continue;
		int rc = parse_verb_args(&verbs[i], argc, argv, &a);
		if (rc != 0)
			return rc < 0 ? 0 : rc;
		return verbs[i].run(&a);
	}
	for (size_t i = 0; i < NOWN_VERBS; i++)
		if (strcmp(argv[0], own_verbs[i].name) == 0)
			return own_verbs[i].run(argc, argv, a.env_file);
	cli_fail("db: unknown command '%s'", argv[0]);
	usage(stderr);
	return 2;
}
