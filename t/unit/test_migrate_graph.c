/* test_migrate_graph.c: migration file parsing, the revision graph, and
 * paths through it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/migration.h"
#include "tap.h"
#include "util/xalloc.h"

/* A file body with the given header values and a trivial upgrade. */
static char *
file_text(const char *rev, const char *parent, const char *message)
{
	return xasprintf("-- Revision: %s\n-- Parent: %s\n-- Message: %s\n"
			 "-- Created: 2026-01-01 00:00:00\n\n"
			 "-- +upgrade\nCREATE TABLE t_%s (id INTEGER);\n"
			 "-- +downgrade\nDROP TABLE t_%s;\n",
			 rev, parent, message, rev, rev);
}

/* Test graphs are built from (rev, parent) pairs; the file name follows. */
struct spec {
	const char *rev, *parent;
};

static struct migration_graph *
load(const struct spec *specs, size_t n, char **err)
{
	struct migration_source *src = xcalloc(n, sizeof(*src));
	for (size_t i = 0; i < n; i++) {
		src[i].name = xasprintf("%s_m.sql", specs[i].rev);
		src[i].text = file_text(specs[i].rev, specs[i].parent, specs[i].rev);
	}
	*err = NULL;
	struct migration_graph *g = migration_graph_load(src, n, err);
	for (size_t i = 0; i < n; i++) {
		free((char *)src[i].name);
		free((char *)src[i].text);
	}
	free(src);
	return g;
}

static char *
parse_error(const char *name, const char *text)
{
	struct migration m;
	char *err = NULL;
	if (migration_parse(name, text, &m, &err) == 0) {
		migration_free(&m);
		return xstrdup("(parsed)");
	}
	return err;
}

static void
test_parse_good(void)
{
	const char *text = "-- Revision: 0123456789ab\n"
			   "-- Parent: aaaaaaaaaaaa, bbbbbbbbbbbb\n"
			   "-- Message: core tables\n"
			   "-- Created: 2026-11-25 23:00:00\n"
			   "-- a free comment\n"
			   "\n"
			   "-- +upgrade\n"
			   "CREATE TABLE a (x INTEGER);\n"
			   "-- +upgrade sqlite\n"
			   "CREATE TABLE s (x INTEGER); -- trailing comment\n"
			   "-- +upgrade postgresql\n"
			   "CREATE TABLE p (x SERIAL);\n"
			   "-- +upgrade\n"
			   "CREATE TABLE b (x INTEGER);\n"
			   "\n"
			   "-- +downgrade\n"
			   "DROP TABLE b;\n"
			   "DROP TABLE a;\n"
			   "-- +downgrade sqlite\n"
			   "DROP TABLE s;\n"
			   "-- +downgrade postgresql\n"
			   "DROP TABLE p;\n";
	struct migration m;
	char *err = NULL;
	ok(migration_parse("0123456789ab_core.sql", text, &m, &err) == 0, "good file parses: %s",
	   err ? err : "");
	is_str(m.revision, "0123456789ab", "revision");
	is_int(m.nparents, 2, "two parents");
	is_str(m.parents[1], "bbbbbbbbbbbb", "second parent");
	is_str(m.message, "core tables", "message");
	is_str(m.created, "2026-11-25 23:00:00", "created");
	char *up = migration_sql(&m, MIGRATION_UP, DB_SQLITE);
	is_str(up,
	       "CREATE TABLE a (x INTEGER);\nCREATE TABLE s (x INTEGER); -- trailing comment\n"
	       "CREATE TABLE b (x INTEGER);\n\n",
	       "sqlite upgrade: common and sqlite sections in file order");
	free(up);
	up = migration_sql(&m, MIGRATION_UP, DB_POSTGRES);
	ok(strstr(up, "SERIAL") && !strstr(up, "TABLE s "), "postgresql upgrade skips sqlite");
	free(up);
	char *down = migration_sql(&m, MIGRATION_DOWN, DB_POSTGRES);
	is_str(down, "DROP TABLE b;\nDROP TABLE a;\nDROP TABLE p;\n", "postgresql downgrade");
	free(down);
	migration_free(&m);

	ok(migration_parse("aaaaaaaaaaaa_first.sql",
			   "-- Revision: aaaaaaaaaaaa\n-- Parent: <base>\n-- Message: m\n"
			   "-- +upgrade\n-- +downgrade\n",
			   &m, &err) == 0,
	   "base parent, no Created, empty sections");
	is_int(m.nparents, 0, "<base> has no parents");
	migration_free(&m);
}

static void
expect_parse_error(const char *text, const char *want, const char *what)
{
	char *err = parse_error("aaaaaaaaaaaa_x.sql", text);
	ok(strstr(err, want) != NULL, "%s: %s", what, err);
	free(err);
}

#define HDR "-- Revision: aaaaaaaaaaaa\n-- Parent: <base>\n-- Message: m\n"

static void
test_parse_errors(void)
{
	expect_parse_error("-- Parent: <base>\n-- Message: m\n-- +upgrade\n",
			   "aaaaaaaaaaaa_x.sql:1: missing '-- Revision:'", "missing revision");
	expect_parse_error("-- Revision: aaaaaaaaaaaa\n-- Message: m\n-- +upgrade\n",
			   "missing '-- Parent:'", "missing parent");
	expect_parse_error("-- Revision: aaaaaaaaaaaa\n-- Parent: <base>\n-- +upgrade\n",
			   "missing '-- Message:'", "missing message");
	expect_parse_error("-- Revision: AAAAaaaaaaaa\n", "x.sql:1: bad revision id",
			   "upper-case revision");
	expect_parse_error("-- Revision: aaaa\n", "bad revision id", "short revision");
	expect_parse_error("-- Revision: aaaaaaaaaaaa\n-- Parent: xyz\n", "x.sql:2: bad parent",
			   "bad parent");
	expect_parse_error("-- Revision: aaaaaaaaaaaa\n-- Parent: bbbbbbbbbbbb, bbbbbbbbbbbb\n",
			   "listed twice", "duplicate parent");
	expect_parse_error(HDR "-- Message: again\n", "x.sql:4: Message given twice",
			   "repeated header");
	expect_parse_error("-- Revision: aaaaaaaaaaaa\n-- Parent: <base>\n-- Message:  \n",
			   "x.sql:3: empty Message", "empty message");
	expect_parse_error(HDR "-- +downgrade\nDROP TABLE t;\n", "no '-- +upgrade' section",
			   "no upgrade section");
	expect_parse_error(HDR "CREATE TABLE t (x INTEGER);\n-- +upgrade\n",
			   "x.sql:4: SQL before the first", "SQL outside a section");
	expect_parse_error(HDR "-- +sideways\n", "x.sql:4: unknown section marker",
			   "unknown marker");
	expect_parse_error(HDR "-- +upgrade mysql\n", "unknown dialect 'mysql'",
			   "unknown dialect");
	expect_parse_error(HDR "-- +upgrade\nCREATE TABLE t (x INTEGER)\n-- +downgrade\n",
			   "x.sql:4: the section's last statement does not end with ';'",
			   "missing semicolon");
	expect_parse_error(HDR "-- +upgrade\nSELECT 1;\n-- Revision: bbbbbbbbbbbb\n",
			   "x.sql:6: header line after", "header after SQL");
	expect_parse_error("-- Revision: bbbbbbbbbbbb\n-- Parent: <base>\n-- Message: m\n"
			   "-- +upgrade\n",
			   "file name must start with its revision", "file name mismatch");
	expect_parse_error("-- Revision: aaaaaaaaaaaa\n-- Parent: aaaaaaaaaaaa\n-- Message: m\n"
			   "-- +upgrade\n",
			   "names itself", "self parent");
	expect_parse_error("", "missing '-- Revision:'", "empty file");
}

#define A "aaaaaaaaaaaa"
#define B "bbbbbbbbbbbb"
#define C "cccccccccccc"
#define D "dddddddddddd"
#define E "eeeeeeeeeeee"
#define F "ffffffffffff"

static char *
find_error(const struct migration_graph *g, const char *rev)
{
	char *err = NULL;
	if (migration_graph_find(g, rev, &err) >= 0)
		return xstrdup("(found)");
	return err;
}

static const char *
rev(const struct migration_graph *g, size_t i)
{
	return migration_graph_at(g, i)->revision;
}

/* The path as "rev rev ..." (first four characters each), or the error. */
static char *
path(const struct migration_graph *g, const char *from, const char *to,
     enum migration_direction dir)
{
	size_t n = migration_graph_count(g);
	unsigned char *applied = xcalloc(n, 1);
	char *err = NULL;
	if (strcmp(from, "base") != 0) {
		long i = migration_graph_find(g, from, &err);
		if (i < 0)
			return err;
		migration_mark_ancestors(g, (size_t)i, applied);
	}
	size_t *steps, nsteps;
	if (migration_plan(g, applied, to, dir, &steps, &nsteps, &err) != 0) {
		free(applied);
		return err;
	}
	struct mbuf b = { 0 };
	for (size_t k = 0; k < nsteps; k++)
		mbuf_printf(&b, "%s%.4s", k ? " " : "", rev(g, steps[k]));
	free(steps);
	free(applied);
	return mbuf_take(&b);
}

static void
is_path(const struct migration_graph *g, const char *from, const char *to,
	enum migration_direction dir, const char *want)
{
	char *got = path(g, from, to, dir);
	is_str(got, want, "%s %s -> %s", dir == MIGRATION_UP ? "upgrade" : "downgrade", from, to);
	free(got);
}

static void
test_linear(void)
{
	/* Given out of order: the graph sorts parents first. */
	const struct spec specs[] = { { C, B }, { A, "<base>" }, { B, A } };
	char *err;
	struct migration_graph *g = load(specs, 3, &err);
	ok(g != NULL, "linear graph loads");
	is_str(rev(g, 0), A, "order 1");
	is_str(rev(g, 1), B, "order 2");
	is_str(rev(g, 2), C, "order 3");
	size_t heads[3];
	is_int(migration_graph_heads(g, heads), 1, "one head");
	is_str(rev(g, heads[0]), C, "head is the last");
	is_int(migration_graph_find(g, "bbbb", &err), 1, "prefix lookup");
	is_int(migration_graph_find(g, B, &err), 1, "full lookup");
	char *e = find_error(g, "bbb");
	ok(strstr(e, "at least 4") != NULL, "prefix too short: %s", e);
	free(e);
	e = find_error(g, "1234");
	ok(strstr(e, "unknown revision '1234'") != NULL, "unknown revision: %s", e);
	free(e);

	for (int from = 0; from <= 3; from++) {
		for (int to = 0; to <= 3; to++) {
			static const char *names[] = { "base", A, B, C };
			static const char *up[4][4] = {
				{ "", "aaaa", "aaaa bbbb", "aaaa bbbb cccc" },
				{ "", "", "bbbb", "bbbb cccc" },
				{ "", "", "", "cccc" },
				{ "", "", "", "" },
			};
			static const char *down[4][4] = {
				{ "", "", "", "" },
				{ "aaaa", "", "", "" },
				{ "bbbb aaaa", "bbbb", "", "" },
				{ "cccc bbbb aaaa", "cccc bbbb", "cccc", "" },
			};
			is_path(g, names[from], names[to], MIGRATION_UP, up[from][to]);
			if (to <= from)
				is_path(g, names[from], names[to], MIGRATION_DOWN, down[from][to]);
		}
	}
	is_path(g, "base", "head", MIGRATION_UP, "aaaa bbbb cccc");
	is_path(g, B, "heads", MIGRATION_UP, "cccc");
	is_path(g, C, "-1", MIGRATION_DOWN, "cccc");
	is_path(g, C, "-2", MIGRATION_DOWN, "cccc bbbb");
	is_path(g, C, "-3", MIGRATION_DOWN, "cccc bbbb aaaa");
	e = path(g, C, "-4", MIGRATION_DOWN);
	ok(strstr(e, "cannot go back 4") != NULL, "too far back: %s", e);
	free(e);
	e = path(g, "base", "-1", MIGRATION_DOWN);
	ok(strstr(e, "at base") != NULL, "-1 at base: %s", e);
	free(e);
	e = path(g, A, C, MIGRATION_DOWN);
	ok(strstr(e, "not applied") != NULL, "downgrade to a later revision: %s", e);
	free(e);
	migration_graph_free(g);
}

/*      A
 *     / \
 *    B   C      D merges B and C; E branches off D; F too: two heads.
 *     \ /
 *      D
 *     / \
 *    E   F
 */
static void
test_branches(void)
{
	const struct spec specs[] = {
		{ A, "<base>" }, { B, A }, { C, A }, { D, B ", " C }, { E, D }, { F, D },
	};
	char *err;
	struct migration_graph *g = load(specs, 6, &err);
	ok(g != NULL, "branchy graph loads: %s", err ? err : "");
	size_t heads[6];
	is_int(migration_graph_heads(g, heads), 2, "two heads");
	is_str(rev(g, heads[0]), E, "head E");
	is_str(rev(g, heads[1]), F, "head F");
	is_int(migration_graph_at(g, 3)->nparents, 2, "D is a merge with two parents");
	is_int(migration_child_count(g, 0), 2, "A is a branch point");

	char *e = path(g, "base", "head", MIGRATION_UP);
	ok(strstr(e, "multiple heads") && strstr(e, "'heads'") && strstr(e, "merge"),
	   "'head' with two heads is refused: %s", e);
	free(e);
	is_path(g, "base", "heads", MIGRATION_UP, "aaaa bbbb cccc dddd eeee ffff");
	is_path(g, "base", E, MIGRATION_UP, "aaaa bbbb cccc dddd eeee");
	is_path(g, "bbbb", D, MIGRATION_UP, "cccc dddd");
	is_path(g, "eeee", F, MIGRATION_UP, "ffff");
	is_path(g, E, "base", MIGRATION_DOWN, "eeee dddd cccc bbbb aaaa");
	is_path(g, E, B, MIGRATION_DOWN, "eeee dddd");
	is_path(g, D, "-1", MIGRATION_DOWN, "dddd");
	e = path(g, D, "-2", MIGRATION_DOWN);
	ok(strstr(e, "merge") != NULL, "going back through a merge is ambiguous: %s", e);
	free(e);

	/* A database with both heads applied. */
	unsigned char applied[6] = { 0 };
	migration_mark_ancestors(g, 4, applied);
	migration_mark_ancestors(g, 5, applied);
	size_t h[6];
	is_int(migration_set_heads(g, applied, h), 2, "applied set has two heads");
	size_t *steps, n;
	ok(migration_plan(g, applied, "-1", MIGRATION_DOWN, &steps, &n, &err) != 0 &&
		   strstr(err, "several heads"),
	   "-1 with two applied heads is ambiguous");
	free(err);
	ok(migration_plan(g, applied, E, MIGRATION_DOWN, &steps, &n, &err) == 0 && n == 0,
	   "downgrade to a head removes nothing from the other branch");
	free(steps);
	ok(migration_plan(g, applied, D, MIGRATION_DOWN, &steps, &n, &err) == 0 && n == 2,
	   "downgrade to the branch point removes both heads");
	free(steps);

	unsigned char bonly[6] = { 0 };
	migration_mark_ancestors(g, 1, bonly);
	char *sql = migration_version_sql(g, (size_t[]){ 1 }, 1, (size_t[]){ 1, 2 }, 2);
	is_str(sql, "INSERT INTO alembic_version (version_num) VALUES ('cccccccccccc');\n",
	       "applying a second branch inserts a version row");
	free(sql);
	sql = migration_version_sql(g, (size_t[]){ 1, 2 }, 2, (size_t[]){ 3 }, 1);
	ok(strstr(sql, "DELETE FROM alembic_version WHERE alembic_version.version_num = "
		       "'bbbbbbbbbbbb'") &&
		   strstr(sql, "UPDATE alembic_version SET version_num='dddddddddddd' WHERE "
			       "alembic_version.version_num = 'cccccccccccc'"),
	   "applying a merge leaves one row: %s", sql);
	free(sql);
	migration_graph_free(g);
}

static void
test_prefix(void)
{
	const struct spec specs[] = { { "abcd00000001", "<base>" }, { "abcd00000002", "abcd00000001" } };
	char *err;
	struct migration_graph *g = load(specs, 2, &err);
	char *e = find_error(g, "abcd");
	ok(strstr(e, "ambiguous") && strstr(e, "abcd00000001, abcd00000002"),
	   "ambiguous prefix names the matches: %s", e);
	free(e);
	is_int(migration_graph_find(g, "abcd00000002", &err), 1, "full id is never ambiguous");
	is_int(migration_graph_find(g, "abcd0000000", &err), -1, "11-char prefix of both");
	free(err);
	migration_graph_free(g);
}

static void
test_graph_errors(void)
{
	char *err;
	struct migration_graph *loaded;
	const struct spec cycle[] = { { A, C }, { B, A }, { C, B }, { D, "<base>" } };
	err = NULL;
	loaded = load(cycle, 4, &err);
	ok(!loaded && err && strstr(err, "cycle") && strstr(err, A) &&
		   !strstr(err, D),
	   "cycle is found and named: %s", err);
	free(err);
	const struct spec unknown[] = { { A, "<base>" }, { B, "123456789012" } };
	err = NULL;
	loaded = load(unknown, 2, &err);
	ok(!loaded && err && strstr(err, "bbbbbbbbbbbb_m.sql") &&
		   strstr(err, "unknown parent revision 123456789012"),
	   "unknown parent: %s", err);
	free(err);

	struct migration_source dup[2] = {
		{ "aaaaaaaaaaaa_one.sql", HDR "-- +upgrade\n" },
		{ "aaaaaaaaaaaa_two.sql", HDR "-- +upgrade\n" },
	};
	err = NULL;
	loaded = migration_graph_load(dup, 2, &err);
	ok(!loaded && err && strstr(err, "duplicate revision") &&
		   strstr(err, "_one.sql") && strstr(err, "_two.sql"),
	   "duplicate revision: %s", err);
	free(err);

	struct migration_source bad[1] = { { "aaaaaaaaaaaa_x.sql", "-- Revision: nope\n" } };
	err = NULL;
	loaded = migration_graph_load(bad, 1, &err);
	ok(!loaded && err && strstr(err, "aaaaaaaaaaaa_x.sql:1:"),
	   "a parse error stops the load and names the file: %s", err);
	free(err);

	struct migration_graph *g = migration_graph_load(NULL, 0, &err);
	ok(g != NULL && migration_graph_count(g) == 0, "an empty history loads");
	char *p = path(g, "base", "head", MIGRATION_UP);
	is_str(p, "", "nothing to do on an empty history");
	free(p);
	migration_graph_free(g);
}

/* The text built into the binary is each migrations/ file byte for byte: a
 * backslash or quote that the embedding script mangled would run SQL the
 * file does not say. */
static void
test_embedded_match_files(void)
{
	for (size_t i = 0; i < migrations_embedded_count; i++) {
		const struct migration_source *m = &migrations_embedded[i];
		char *path = xasprintf("%s/migrations/%s", PIPELIT_SRCDIR, m->name);
		FILE *f = fopen(path, "rb");
		char *disk = NULL;
		size_t len = 0;
		if (f != NULL) {
			fseek(f, 0, SEEK_END);
			len = (size_t)ftell(f);
			rewind(f);
			disk = xmalloc(len + 1);
			len = fread(disk, 1, len, f);
			disk[len] = '\0';
			fclose(f);
		}
		ok(disk != NULL && strlen(m->text) == len && memcmp(disk, m->text, len) == 0,
		   "the embedded %s is the file, byte for byte", m->name);
		free(disk);
		free(path);
	}
}

int
main(void)
{
	test_parse_good();
	test_parse_errors();
	test_linear();
	test_branches();
	test_prefix();
	test_graph_errors();
	test_embedded_match_files();
	return done_testing();
}
