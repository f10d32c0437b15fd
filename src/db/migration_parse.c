/* migration_parse.c: one migration file's text into a struct migration. */
#include "migration.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
mbuf_add(struct mbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
mbuf_puts(struct mbuf *b, const char *s)
{
	mbuf_add(b, s, strlen(s));
}

void
mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	mbuf_puts(b, s);
	free(s);
}

char *
mbuf_take(struct mbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");
	memset(b, 0, sizeof(*b));
	return s;
}

int
migration_rev_is_valid(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return i == MIGRATION_REV_LEN;
}

/* State while reading one file, so errors can name the line. */
struct parser {
	const char *name;
	int line;
	char **err;
	struct migration *m;
	struct mbuf section;    /* SQL of the section being read */
	int in_section;
	int seen_parent;
};

__attribute__((format(printf, 2, 3))) static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	*p->err = xasprintf("%s:%d: %s", p->name, p->line, msg);
	free(msg);
	return -1;
}

static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* "-- Key: value": the text after the colon, or NULL when the line is not one. */
static const char *
header_value(const char *line, const char *key)
{
	size_t k = strlen(key);
	if (strncmp(line, "-- ", 3) != 0 || strncmp(line + 3, key, k) != 0 || line[3 + k] != ':')
		return NULL;
	return line + 4 + k;
}

static const char *const header_keys[] = { "Revision", "Parent", "Message", "Created" };

static int
is_header_line(const char *line)
{
	for (size_t i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]); i++)
		if (header_value(line, header_keys[i]) != NULL)
			return 1;
	return 0;
}

static int
parse_parents(struct parser *p, const char *value)
{
	struct migration *m = p->m;
	if (strcmp(value, "<base>") == 0)
		return 0;
	const char *s = value;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		char *rev = trimmed(s, n);
		if (!migration_rev_is_valid(rev)) {
			fail(p, "bad parent revision '%s' (expected <base> or 12 lowercase hex digits)",
			     rev);
			free(rev);
			return -1;
		}
		for (size_t i = 0; i < m->nparents; i++) {
			if (strcmp(m->parents[i], rev) == 0) {
				fail(p, "parent %s is listed twice", rev);
				free(rev);
				return -1;
			}
		}
		m->parents = xrealloc(m->parents, (m->nparents + 1) * sizeof(*m->parents));
		memcpy(m->parents[m->nparents++], rev, MIGRATION_REV_LEN + 1);
		free(rev);
		s = comma ? comma + 1 : s + n;
	}
	if (m->nparents == 0)
		return fail(p, "empty Parent (write <base> for the first migration)");
	return 0;
}

static int
parse_header_line(struct parser *p, const char *line)
{
	struct migration *m = p->m;
	const char *v;
	char *value;
	int rc = 0;
	if ((v = header_value(line, "Revision")) != NULL) {
		value = trimmed(v, strlen(v));
		if (m->revision[0])
			rc = fail(p, "Revision given twice");
		else if (!migration_rev_is_valid(value))
			rc = fail(p, "bad revision id '%s' (expected 12 lowercase hex digits)", value);
		else
			memcpy(m->revision, value, MIGRATION_REV_LEN + 1);
	} else if ((v = header_value(line, "Parent")) != NULL) {
		value = trimmed(v, strlen(v));
		if (p->seen_parent)
			rc = fail(p, "Parent given twice");
		else
			rc = parse_parents(p, value);
		p->seen_parent = 1;
	} else if ((v = header_value(line, "Message")) != NULL) {
		value = trimmed(v, strlen(v));
		if (m->message)
			rc = fail(p, "Message given twice");
		else if (*value == '\0')
			rc = fail(p, "empty Message");
		else
			m->message = xstrdup(value);
	} else {
		v = header_value(line, "Created");
		value = trimmed(v, strlen(v));
		if (m->created)
			rc = fail(p, "Created given twice");
		else
			m->created = xstrdup(value);
	}
	free(value);
	return rc;
}

/* Parses "-- +upgrade [dialect]"; 1 when the line is a marker, 0 when
 * not, -1 on a malformed marker. */
static int
parse_marker(struct parser *p, const char *line, struct migration_section *out)
{
	if (strncmp(line, "-- +", 4) != 0)
		return 0;
	char word[32] = "", dialect[32] = "", extra[8] = "";
	int n = sscanf(line + 4, "%31s %31s %7s", word, dialect, extra);
	if (strcmp(word, "upgrade") == 0)
		out->direction = MIGRATION_UP;
	else if (strcmp(word, "downgrade") == 0)
		out->direction = MIGRATION_DOWN;
	else
		return fail(p, "unknown section marker '-- +%s' (expected +upgrade or +downgrade)",
			    word);
	if (n >= 3)
		return fail(p, "unexpected '%s' after the section marker", extra);
	if (n < 2)
		out->backend = 0;
	else if (strcmp(dialect, "sqlite") == 0)
		out->backend = DB_SQLITE;
	else if (strcmp(dialect, "postgresql") == 0)
		out->backend = DB_POSTGRES;
	else
		return fail(p, "unknown dialect '%s' (expected sqlite or postgresql)", dialect);
	out->line = p->line;
	return 1;
}

static int
is_blank_or_comment(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return *line == '\0' || strncmp(line, "--", 2) == 0;
}

/* The last line of SQL in text, with a trailing "-- comment" cut off,
 * must end with ';' so that concatenated sections cannot run together. */
static int
ends_with_semicolon(const char *text)
{
	const char *end = text + strlen(text);
	while (end > text) {
		const char *start = end;
		while (start > text && start[-1] != '\n')
			start--;
		char *line = xstrndup(start, (size_t)(end - start));
		int quoted = 0;
		for (char *c = line; *c; c++) {
			if (*c == '\'')
				quoted = !quoted;
			else if (!quoted && c[0] == '-' && c[1] == '-') {
				*c = '\0';
				break;
			}
		}
		char *t = trimmed(line, strlen(line));
		free(line);
		int result = *t ? t[strlen(t) - 1] == ';' : -1;
		free(t);
		if (result >= 0)
			return result;
		end = start > text ? start - 1 : start;
	}
	return 1;
}

static int
close_section(struct parser *p)
{
	if (!p->in_section)
		return 0;
	struct migration_section *s = &p->m->sections[p->m->nsections - 1];
	s->sql = mbuf_take(&p->section);
	if (!ends_with_semicolon(s->sql)) {
		p->line = s->line;
		return fail(p, "the section's last statement does not end with ';'");
	}
	return 0;
}

static int
open_section(struct parser *p, const struct migration_section *marker)
{
	if (close_section(p) != 0)
		return -1;
	struct migration *m = p->m;
	m->sections = xrealloc(m->sections, (m->nsections + 1) * sizeof(*m->sections));
	m->sections[m->nsections] = *marker;
	m->sections[m->nsections].sql = NULL;
	m->nsections++;
	p->in_section = 1;
	return 0;
}

static int
check_complete(struct parser *p)
{
	struct migration *m = p->m;
	p->line = 1;
	if (!m->revision[0])
		return fail(p, "missing '-- Revision:' header");
	if (!p->seen_parent)
		return fail(p, "missing '-- Parent:' header");
	if (!m->message)
		return fail(p, "missing '-- Message:' header");
	if (strncmp(p->name, m->revision, MIGRATION_REV_LEN) != 0 ||
	    p->name[MIGRATION_REV_LEN] != '_')
		return fail(p, "the file name must start with its revision: %s_<slug>.sql",
			    m->revision);
	for (size_t i = 0; i < m->nparents; i++)
		if (strcmp(m->parents[i], m->revision) == 0)
			return fail(p, "revision %s names itself as its parent", m->revision);
	for (size_t i = 0; i < m->nsections; i++)
		if (m->sections[i].direction == MIGRATION_UP)
			return 0;
	return fail(p, "no '-- +upgrade' section");
}

static int
parse_line(struct parser *p, const char *line, int *in_header)
{
	if (*in_header) {
		if (is_header_line(line))
			return parse_header_line(p, line);
		if (is_blank_or_comment(line) && strncmp(line, "-- +", 4) != 0)
			return 0;
		*in_header = 0;
	}
	if (is_header_line(line))
		return fail(p, "header line after the start of the SQL (headers come first)");
	struct migration_section marker;
	int r = parse_marker(p, line, &marker);
	if (r < 0)
		return -1;
	if (r > 0)
		return open_section(p, &marker);
	if (!p->in_section) {
		if (is_blank_or_comment(line))
			return 0;
		return fail(p, "SQL before the first '-- +upgrade' or '-- +downgrade' marker");
	}
	mbuf_puts(&p->section, line);
	mbuf_puts(&p->section, "\n");
	return 0;
}

int
migration_parse(const char *name, const char *text, struct migration *out, char **err)
{
	memset(out, 0, sizeof(*out));
	out->file = xstrdup(name);
	struct parser p = { .name = name, .err = err, .m = out };
	int in_header = 1;
	int rc = 0;
	const char *s = text;
	while (rc == 0 && *s) {
		p.line++;
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		char *line = xstrndup(s, n);
		rc = parse_line(&p, line, &in_header);
		free(line);
		s = eol ? eol + 1 : s + strlen(s);
	}
	if (rc == 0)
		rc = close_section(&p);
	if (rc == 0)
		rc = check_complete(&p);
	free(mbuf_take(&p.section));
	if (rc != 0)
		migration_free(out);
	return rc;
}

void
migration_free(struct migration *m)
{
	free(m->file);
	free(m->parents);
	free(m->message);
	free(m->created);
	for (size_t i = 0; i < m->nsections; i++)
		free(m->sections[i].sql);
	free(m->sections);
	free(m->parent_index);
	memset(m, 0, sizeof(*m));
}

char *
migration_sql(const struct migration *m, enum migration_direction dir, enum db_backend backend)
{
	struct mbuf b = { 0 };
	for (size_t i = 0; i < m->nsections; i++) {
		const struct migration_section *s = &m->sections[i];
		if (s->direction == dir && (s->backend == 0 || s->backend == (int)backend))
			mbuf_puts(&b, s->sql);
	}
	return mbuf_take(&b);
}
