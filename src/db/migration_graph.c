/* migration_graph.c: the revision graph, its heads, and paths through it. */
#include "migration.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct migration_graph {
	struct migration *items;   /* topological order: parents first */
	size_t n;
	size_t *nchildren;
};

size_t
migration_graph_count(const struct migration_graph *g)
{
	return g->n;
}

const struct migration *
migration_graph_at(const struct migration_graph *g, size_t i)
{
	return &g->items[i];
}

size_t
migration_child_count(const struct migration_graph *g, size_t i)
{
	return g->nchildren[i];
}

int
migration_is_head(const struct migration_graph *g, size_t i)
{
	return g->nchildren[i] == 0;
}

void
migration_graph_free(struct migration_graph *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		migration_free(&g->items[i]);
	free(g->items);
	free(g->nchildren);
	free(g);
}

static long
index_of(const struct migration *items, size_t n, const char *rev)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].revision, rev) == 0)
			return (long)i;
	return -1;
}

static int
check_duplicates(const struct migration *items, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		long j = index_of(items, i, items[i].revision);
		if (j >= 0) {
			*err = xasprintf("duplicate revision %s in %s and %s", items[i].revision,
					 items[j].file, items[i].file);
			return -1;
		}
	}
	return 0;
}

static int
link_parents(struct migration *items, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		struct migration *m = &items[i];
		m->parent_index = xcalloc(m->nparents, sizeof(size_t));
		for (size_t k = 0; k < m->nparents; k++) {
			long j = index_of(items, n, m->parents[k]);
			if (j < 0) {
				*err = xasprintf("%s: unknown parent revision %s", m->file,
						 m->parents[k]);
				return -1;
			}
			m->parent_index[k] = (size_t)j;
		}
	}
	return 0;
}

static char *
describe_cycle(const struct migration *items, size_t n, const unsigned char *placed)
{
	struct mbuf b = { 0 };
	mbuf_puts(&b, "cycle in the migration graph among revisions");
	const char *sep = " ";
	for (size_t i = 0; i < n; i++) {
		if (!placed[i]) {
			mbuf_printf(&b, "%s%s (%s)", sep, items[i].revision, items[i].file);
			sep = ", ";
		}
	}
	return mbuf_take(&b);
}

/* Kahn's algorithm; ties go to the earliest file name, so the order is
 * stable across builds.  order[k] is the source index of position k. */
static int
topological_order(const struct migration *items, size_t n, size_t *order, char **err)
{
	unsigned char *placed = xcalloc(n, 1);
	size_t done = 0;
	while (done < n) {
		size_t pick = n;
		for (size_t i = 0; i < n && pick == n; i++) {
			if (placed[i])
				continue;
			int ready = 1;
			for (size_t k = 0; k < items[i].nparents; k++)
				ready = ready && placed[items[i].parent_index[k]];
			if (ready)
				pick = i;
		}
		if (pick == n) {
			*err = describe_cycle(items, n, placed);
			free(placed);
			return -1;
		}
		placed[pick] = 1;
		order[done++] = pick;
	}
	free(placed);
	return 0;
}

/* Moves the items into topological order and renumbers their parents. */
static void
reorder(struct migration_graph *g, struct migration *items, const size_t *order)
{
	size_t *position = xcalloc(g->n, sizeof(size_t));
	for (size_t k = 0; k < g->n; k++)
		position[order[k]] = k;
	for (size_t k = 0; k < g->n; k++) {
		g->items[k] = items[order[k]];
		for (size_t p = 0; p < g->items[k].nparents; p++)
			g->items[k].parent_index[p] = position[g->items[k].parent_index[p]];
	}
	free(position);
	g->nchildren = xcalloc(g->n, sizeof(size_t));
	for (size_t k = 0; k < g->n; k++)
		for (size_t p = 0; p < g->items[k].nparents; p++)
			g->nchildren[g->items[k].parent_index[p]]++;
}

struct migration_graph *
migration_graph_load(const struct migration_source *src, size_t n, char **err)
{
	struct migration *items = xcalloc(n, sizeof(*items));
	size_t parsed = 0;
	size_t *order = xcalloc(n, sizeof(size_t));
	struct migration_graph *g = NULL;
	for (; parsed < n; parsed++)
		if (migration_parse(src[parsed].name, src[parsed].text, &items[parsed], err) != 0)
			goto fail;
	if (check_duplicates(items, n, err) != 0 || link_parents(items, n, err) != 0 ||
	    topological_order(items, n, order, err) != 0)
		goto fail;
	g = xcalloc(1, sizeof(*g));
	g->n = n;
	g->items = xcalloc(n, sizeof(*g->items));
	reorder(g, items, order);
	free(items);
	free(order);
	return g;
fail:
	for (size_t i = 0; i < parsed; i++)
		migration_free(&items[i]);
	free(items);
	free(order);
	return NULL;
}

struct migration_graph *
migration_graph_embedded(char **err)
{
	return migration_graph_load(migrations_embedded, migrations_embedded_count, err);
}

long
migration_graph_find(const struct migration_graph *g, const char *rev, char **err)
{
	size_t len = strlen(rev);
	if (len < 4) {
		*err = xasprintf("revision '%s' is too short: give at least 4 characters", rev);
		return -1;
	}
	long found = -1;
	struct mbuf matches = { 0 };
	for (size_t i = 0; i < g->n; i++) {
		if (strncmp(g->items[i].revision, rev, len) != 0)
			continue;
		if (len == MIGRATION_REV_LEN)
			return (long)i;
		mbuf_printf(&matches, "%s%s", matches.len ? ", " : "",
			    g->items[i].revision);
		found = found == -1 ? (long)i : -2;
	}
	char *list = mbuf_take(&matches);
	if (found == -1)
		*err = xasprintf("unknown revision '%s'", rev);
	else if (found == -2)
		*err = xasprintf("revision prefix '%s' is ambiguous: it matches %s", rev, list);
	free(list);
	return found >= 0 ? found : -1;
}

size_t
migration_graph_heads(const struct migration_graph *g, size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->nchildren[i] == 0)
			out[n++] = i;
	return n;
}

void
migration_mark_ancestors(const struct migration_graph *g, size_t i, unsigned char *set)
{
	if (set[i])
		return;
	set[i] = 1;
	for (size_t k = 0; k < g->items[i].nparents; k++)
		migration_mark_ancestors(g, g->items[i].parent_index[k], set);
}

static int
has_applied_child(const struct migration_graph *g, const unsigned char *set, size_t i)
{
	for (size_t j = i + 1; j < g->n; j++) {
		if (!set[j])
			continue;
		for (size_t k = 0; k < g->items[j].nparents; k++)
			if (g->items[j].parent_index[k] == i)
				return 1;
	}
	return 0;
}

size_t
migration_set_heads(const struct migration_graph *g, const unsigned char *set, size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (set[i] && !has_applied_child(g, set, i))
			out[n++] = i;
	return n;
}

static int
is_ancestor(const struct migration_graph *g, size_t ancestor, size_t of)
{
	unsigned char *set = xcalloc(g->n, 1);
	migration_mark_ancestors(g, of, set);
	int r = set[ancestor];
	free(set);
	return r;
}

static char *
heads_list(const struct migration_graph *g)
{
	size_t *heads = xcalloc(g->n, sizeof(size_t));
	size_t nh = migration_graph_heads(g, heads);
	struct mbuf b = { 0 };
	for (size_t i = 0; i < nh; i++)
		mbuf_printf(&b, "%s%s", i ? ", " : "", g->items[heads[i]].revision);
	free(heads);
	return mbuf_take(&b);
}

static int
resolve_head(const struct migration_graph *g, struct migration_target *out, char **err)
{
	size_t *heads = xcalloc(g->n, sizeof(size_t));
	size_t nh = migration_graph_heads(g, heads);
	int rc = 0;
	if (nh == 0) {
		out->kind = TARGET_BASE;
	} else if (nh == 1) {
		out->kind = TARGET_REV;
		out->index = heads[0];
	} else {
		char *list = heads_list(g);
		*err = xasprintf("multiple heads are present (%s); use 'heads' to upgrade all of "
				 "them, or merge them with 'pipelit db merge -m MSG'",
				 list);
		free(list);
		rc = -1;
	}
	free(heads);
	return rc;
}

/* "-N" on a downgrade: back from the one current head along single
 * parents; the last step may remove a merge. */
static int
resolve_relative(const struct migration_graph *g, const char *spec,
		 const unsigned char *applied, struct migration_target *out, char **err)
{
	char *end;
	long steps = strtol(spec + 1, &end, 10);
	if (*end != '\0' || steps < 1) {
		*err = xasprintf("bad relative revision '%s' (expected -1, -2, ...)", spec);
		return -1;
	}
	size_t *heads = xcalloc(g->n ? g->n : 1, sizeof(size_t));
	size_t nh = migration_set_heads(g, applied, heads);
	size_t at = nh == 1 ? heads[0] : 0;
	free(heads);
	if (nh == 0) {
		*err = xasprintf("cannot go back %ld: the database is at base", steps);
		return -1;
	}
	if (nh > 1) {
		*err = xstrdup("the database has several heads, so a relative downgrade is "
			       "ambiguous; name the revision to downgrade to");
		return -1;
	}
	for (long k = 1; k < steps; k++) {
		const struct migration *m = &g->items[at];
		if (m->nparents != 1) {
			*err = m->nparents == 0
				       ? xasprintf("cannot go back %ld: only %ld migrations are applied",
						   steps, k)
				       : xasprintf("revision %s is a merge, so going back through it is "
						   "ambiguous; name the revision to downgrade to",
						   m->revision);
			return -1;
		}
		at = m->parent_index[0];
	}
	out->kind = TARGET_BELOW;
	out->index = at;
	return 0;
}

/* "+N" for an upgrade: N steps forward from the one applied head (or
 * from base), along a line with no branch to choose between. */
static int
resolve_forward(const struct migration_graph *g, const char *spec,
		const unsigned char *applied, struct migration_target *out, char **err)
{
	char *end;
	long steps = strtol(spec + 1, &end, 10);
	if (*end != '\0' || steps < 1) {
		*err = xasprintf("bad relative revision '%s' (expected +1, +2, ...)", spec);
		return -1;
	}
	size_t *heads = xcalloc(g->n ? g->n : 1, sizeof(size_t));
	size_t nh = migration_set_heads(g, applied, heads);
	long at = nh == 1 ? (long)heads[0] : -1;
	free(heads);
	if (nh > 1) {
		*err = xstrdup("the database has several heads, so a relative upgrade is ambiguous; "
			       "name the revision to upgrade to");
		return -1;
	}
	for (long k = 0; k < steps; k++) {
		long next = -1;
		size_t found = 0;
		for (size_t j = at < 0 ? 0 : (size_t)at + 1; j < g->n; j++) {
			const struct migration *c = &g->items[j];
			int child = at < 0 ? c->nparents == 0 : 0;
			for (size_t p = 0; at >= 0 && p < c->nparents; p++)
				child |= c->parent_index[p] == (size_t)at;
			if (child) {
				next = (long)j;
				found++;
			}
		}
		if (found == 0) {
			*err = xasprintf("cannot go forward %ld: only %ld migration%s to apply", steps,
					 k, k == 1 ? "" : "s");
			return -1;
		}
		if (found > 1) {
			*err = xasprintf("the migrations branch after %s, so going forward is "
					 "ambiguous; name the revision to upgrade to",
					 at < 0 ? "base" : g->items[at].revision);
			return -1;
		}
		at = next;
	}
	out->kind = TARGET_REV;
	out->index = (size_t)at;
	return 0;
}

int
migration_resolve_target(const struct migration_graph *g, const char *spec,
			 enum migration_direction dir, const unsigned char *applied,
			 struct migration_target *out, char **err)
{
	if (strcmp(spec, "base") == 0) {
		out->kind = TARGET_BASE;
		return 0;
	}
	if (strcmp(spec, "heads") == 0) {
		out->kind = TARGET_HEADS;
		return 0;
	}
	if (strcmp(spec, "head") == 0)
		return resolve_head(g, out, err);
	if (spec[0] == '-' && dir == MIGRATION_DOWN)
		return resolve_relative(g, spec, applied, out, err);
	if (spec[0] == '+' && dir == MIGRATION_UP)
		return resolve_forward(g, spec, applied, out, err);
	long i = migration_graph_find(g, spec, err);
	if (i < 0)
		return -1;
	out->kind = TARGET_REV;
	out->index = (size_t)i;
	return 0;
}

/* The revisions the target wants applied. */
static unsigned char *
target_set(const struct migration_graph *g, const struct migration_target *t)
{
	unsigned char *set = xcalloc(g->n ? g->n : 1, 1);
	if (t->kind == TARGET_HEADS)
		memset(set, 1, g->n);
	else if (t->kind == TARGET_REV)
		migration_mark_ancestors(g, t->index, set);
	return set;
}

static int
next_up(const struct migration_graph *g, const unsigned char *applied,
	const struct migration_target *t, size_t *step)
{
	unsigned char *want = target_set(g, t);
	int found = 0;
	for (size_t i = 0; i < g->n && !found; i++) {
		if (want[i] && !applied[i]) {
			*step = i;
			found = 1;
		}
	}
	free(want);
	return found;
}

/* Going down to a revision removes what was built on it (on its branch
 * only, as Alembic does); going to base removes everything. */
static int
next_down(const struct migration_graph *g, const unsigned char *applied,
	  const struct migration_target *t, size_t *step, char **err)
{
	if (t->kind == TARGET_HEADS) {
		*err = xstrdup("'heads' is not a downgrade target");
		return -1;
	}
	/* Once the revision itself is gone a relative downgrade is done. */
	if (t->kind == TARGET_BELOW && !applied[t->index])
		return 0;
	if (t->kind == TARGET_REV && !applied[t->index]) {
		*err = xasprintf("revision %s is not applied, so it is not a downgrade target",
				 g->items[t->index].revision);
		return -1;
	}
	for (size_t i = g->n; i-- > 0;) {
		if (!applied[i])
			continue;
		int below = t->kind == TARGET_BELOW && i == t->index;
		if (t->kind == TARGET_BASE || below ||
		    (i != t->index && is_ancestor(g, t->index, i))) {
			*step = i;
			return 1;
		}
	}
	return 0;
}

int
migration_next_step(const struct migration_graph *g, const unsigned char *applied,
		    const struct migration_target *t, enum migration_direction dir,
		    size_t *step, char **err)
{
	if (dir == MIGRATION_UP) {
		if (t->kind == TARGET_BASE || t->kind == TARGET_BELOW)
			return 0;
		return next_up(g, applied, t, step);
	}
	return next_down(g, applied, t, step, err);
}

int
migration_plan(const struct migration_graph *g, const unsigned char *applied, const char *spec,
	       enum migration_direction dir, size_t **steps, size_t *nsteps, char **err)
{
	struct migration_target t;
	*steps = NULL;
	*nsteps = 0;
	if (migration_resolve_target(g, spec, dir, applied, &t, err) != 0)
		return -1;
	unsigned char *state = xcalloc(g->n ? g->n : 1, 1);
	memcpy(state, applied, g->n);
	*steps = xcalloc(g->n ? g->n : 1, sizeof(size_t));
	size_t step;
	int r;
	while ((r = migration_next_step(g, state, &t, dir, &step, err)) == 1) {
		(*steps)[(*nsteps)++] = step;
		state[step] = dir == MIGRATION_UP;
	}
	free(state);
	if (r < 0) {
		free(*steps);
		*steps = NULL;
		*nsteps = 0;
		return -1;
	}
	return 0;
}
