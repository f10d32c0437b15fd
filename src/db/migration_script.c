/* migration_script.c: the SQL text of migration steps and of the version
 * table bookkeeping, shared by live runs and 'db upgrade --sql'. */
#include "migration.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int
contains(const size_t *list, size_t n, size_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

/* The entries of a that are not in b. */
static size_t
difference(const size_t *a, size_t na, const size_t *b, size_t nb, size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < na; i++)
		if (!contains(b, nb, a[i]))
			out[n++] = a[i];
	return n;
}

/* Rows that go away are paired with rows that arrive, so a linear step is
 * one UPDATE as in Alembic; a merge deletes the surplus rows first. */
char *
migration_version_sql(const struct migration_graph *g, const size_t *old_heads, size_t nold,
		      const size_t *new_heads, size_t nnew)
{
	size_t *gone = xcalloc(nold + 1, sizeof(size_t));
	size_t *added = xcalloc(nnew + 1, sizeof(size_t));
	size_t ngone = difference(old_heads, nold, new_heads, nnew, gone);
	size_t nadded = difference(new_heads, nnew, old_heads, nold, added);
	size_t surplus = ngone > nadded ? ngone - nadded : 0;
	struct mbuf b = { 0 };
	for (size_t i = 0; i < surplus; i++)
		mbuf_printf(&b,
			    "DELETE FROM alembic_version WHERE alembic_version.version_num = '%s';\n",
			    migration_graph_at(g, gone[i])->revision);
	size_t k = 0;
	for (size_t i = surplus; i < ngone; i++, k++)
		mbuf_printf(&b,
			    "UPDATE alembic_version SET version_num='%s' WHERE "
			    "alembic_version.version_num = '%s';\n",
			    migration_graph_at(g, added[k])->revision,
			    migration_graph_at(g, gone[i])->revision);
	for (; k < nadded; k++)
		mbuf_printf(&b, "INSERT INTO alembic_version (version_num) VALUES ('%s');\n",
			    migration_graph_at(g, added[k])->revision);
	free(gone);
	free(added);
	return mbuf_take(&b);
}

static void
add_step_comment(struct mbuf *b, const struct migration *m, enum migration_direction dir)
{
	struct mbuf parents = { 0 };
	for (size_t i = 0; i < m->nparents; i++)
		mbuf_printf(&parents, "%s%s", i ? ", " : "", m->parents[i]);
	char *p = mbuf_take(&parents);
	if (dir == MIGRATION_UP)
		mbuf_printf(b, "-- Running upgrade %s -> %s, %s\n\n", *p ? p : "<base>",
			    m->revision, m->message);
	else
		mbuf_printf(b, "-- Running downgrade %s -> %s, %s\n\n", m->revision,
			    *p ? p : "<base>", m->message);
	free(p);
}

char *
migration_script(const struct migration_graph *g, const unsigned char *applied,
		 const size_t *steps, size_t nsteps, enum migration_direction dir,
		 enum db_backend backend)
{
	size_t n = migration_graph_count(g);
	unsigned char *state = xcalloc(n ? n : 1, 1);
	memcpy(state, applied, n);
	size_t *old_heads = xcalloc(n ? n : 1, sizeof(size_t));
	size_t *new_heads = xcalloc(n ? n : 1, sizeof(size_t));
	struct mbuf b = { 0 };
	mbuf_puts(&b, "BEGIN;\n\n");
	mbuf_puts(&b, MIGRATION_VERSION_TABLE_SQL "\n\n");
	for (size_t k = 0; k < nsteps; k++) {
		const struct migration *m = migration_graph_at(g, steps[k]);
		size_t nold = migration_set_heads(g, state, old_heads);
		state[steps[k]] = dir == MIGRATION_UP;
		size_t nnew = migration_set_heads(g, state, new_heads);
		add_step_comment(&b, m, dir);
		char *sql = migration_sql(m, dir, backend);
		mbuf_puts(&b, sql);
		free(sql);
		char *version = migration_version_sql(g, old_heads, nold, new_heads, nnew);
		mbuf_printf(&b, "\n%s\n", version);
		free(version);
	}
	mbuf_puts(&b, "COMMIT;\n");
	free(state);
	free(old_heads);
	free(new_heads);
	return mbuf_take(&b);
}
