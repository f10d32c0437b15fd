/*
 * db_url.c: DATABASE_URL in SQLAlchemy's forms, turned into a SQLite path
 * or a libpq conninfo string.
 *
 * Error messages never quote any part of the URL after the scheme: in a
 * malformed URL the password can end up anywhere (a '/' inside it moves
 * the rest into the "path"), so the only safe text to echo is none.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/db_settings.h"
#include "util/xalloc.h"

static int
fail(char **err, const char *what)
{
	*err = xasprintf("invalid DATABASE_URL: %s", what);
	return -1;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes %XX escapes of s[0..len); NULL when an escape is malformed or
 * decodes to NUL (which no libpq value can carry).  Caller frees. */
static char *
percent_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
		int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

/* Is scheme[0..len) one of "name" or "name+driver"? */
static int
scheme_is(const char *scheme, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len < n || strncmp(scheme, name, n) != 0)
		return 0;
	if (len == n)
		return 1;
	if (scheme[n] != '+' || len == n + 1)
		return 0;
	for (size_t i = n + 1; i < len; i++)
		if (!isalnum((unsigned char)scheme[i]) && scheme[i] != '_')
			return 0;
	return 1;
}

static int
parse_sqlite(const char *rest, struct db_url *out, char **err)
{
	/* rest follows "sqlite://": "" is memory, "/x" a path after the
	 * third slash ("/rel" relative, "//abs" absolute). */
	if (*rest == '\0') {
		out->path = xstrdup(":memory:");
		return 0;
	}
	if (*rest != '/')
		return fail(err, "a sqlite URL has no host: use sqlite:///relative/path "
				 "or sqlite:////absolute/path");
	rest++;
	if (strchr(rest, '?') != NULL)
		return fail(err, "a sqlite URL takes no query parameters");
	out->path = xstrdup(*rest ? rest : ":memory:");
	return 0;
}

/* Appends " key='value'" to the conninfo, quoting as libpq expects. */
static void
conninfo_add(char **ci, const char *key, const char *value)
{
	size_t len = strlen(*ci), vlen = strlen(value);
	*ci = xrealloc(*ci, len + strlen(key) + 2 * vlen + 5);
	char *p = *ci + len;
	p += sprintf(p, "%s%s='", len ? " " : "", key);
	for (const char *v = value; *v; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	*p++ = '\'';
	*p = '\0';
}

/* Decodes s[0..len) into *dst, or fails naming what (never the text). */
static int
decode_part(const char *s, size_t len, char **dst, const char *what, char **err)
{
	*dst = percent_decode(s, len);
	if (*dst != NULL)
		return 0;
	char msg[128];
	snprintf(msg, sizeof(msg), "malformed percent-encoding in the %s", what);
	return fail(err, msg);
}

static int
parse_port(const char *s, size_t len, int *port, char **err)
{
	if (len == 0)
		return 0;
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5)
			return fail(err, "the port must be a number from 1 to 65535");
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return fail(err, "the port must be a number from 1 to 65535");
	*port = (int)v;
	return 0;
}

static int
parse_userinfo(const char *s, size_t len, struct db_url *out, char **err)
{
	const char *colon = memchr(s, ':', len);
	size_t ulen = colon ? (size_t)(colon - s) : len;
	if (ulen > 0 && decode_part(s, ulen, &out->user, "user name", err) != 0)
		return -1;
	if (colon != NULL &&
	    decode_part(colon + 1, len - ulen - 1, &out->password, "password", err) != 0)
		return -1;
	return 0;
}

static int
parse_hostport(const char *s, size_t len, struct db_url *out, char **err)
{
	const char *port = NULL;
	size_t hlen = len;
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL)
			return fail(err, "unterminated [ in the IPv6 host");
		if (close + 1 < s + len && close[1] != ':')
			return fail(err, "unexpected text after the IPv6 host");
		if (close + 1 < s + len)
			port = close + 2;
		if (close - s > 1)
			out->host = xstrndup(s + 1, (size_t)(close - s - 1));
	} else {
		const char *colon = memchr(s, ':', len);
		if (colon != NULL) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
		}
		if (hlen > 0 && decode_part(s, hlen, &out->host, "host", err) != 0)
			return -1;
	}
	if (port != NULL && parse_port(port, (size_t)(s + len - port), &out->port, err) != 0)
		return -1;
	return 0;
}

/* key=value&key=value, each percent-decoded and passed on to libpq. */
static int
parse_query(const char *q, char **ci, char **err)
{
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		if (len > 0) {
			if (eq == NULL || eq == q)
				return fail(err, "each query parameter must be key=value");
			char *key = NULL, *value = NULL;
			if (decode_part(q, (size_t)(eq - q), &key, "query", err) != 0)
				return -1;
			if (decode_part(eq + 1, (size_t)(q + len - eq - 1), &value, "query",
					err) != 0) {
				free(key);
				return -1;
			}
			conninfo_add(ci, key, value);
			free(key);
			free(value);
		}
		q += len + (amp != NULL);
	}
	return 0;
}

static char *
build_conninfo(const struct db_url *u, int with_password)
{
	/* Defaults first: libpq lets a later repetition of a key win, so a
	 * query string can override them. */
	char *ci = xstrdup("");
	char timeout[24];
	snprintf(timeout, sizeof(timeout), "%ld", db_settings()->connect_timeout_s);
	conninfo_add(&ci, "connect_timeout", timeout);
	/* A peer that vanished (host down, network cut) is noticed within
	 * about 25 s even on an idle connection, and unacknowledged sends
	 * give up after 30 s. */
	conninfo_add(&ci, "keepalives", "1");
	conninfo_add(&ci, "keepalives_idle", "10");
	conninfo_add(&ci, "keepalives_interval", "5");
	conninfo_add(&ci, "keepalives_count", "3");
	conninfo_add(&ci, "tcp_user_timeout", "30000");
	conninfo_add(&ci, "fallback_application_name", "pipelit");
	if (u->host)
		conninfo_add(&ci, "host", u->host);
	if (u->port) {
		char port[8];
		snprintf(port, sizeof(port), "%d", u->port);
		conninfo_add(&ci, "port", port);
	}
	if (u->user)
		conninfo_add(&ci, "user", u->user);
	if (u->password && with_password)
		conninfo_add(&ci, "password", u->password);
	if (u->dbname)
		conninfo_add(&ci, "dbname", u->dbname);
	return ci;
}

static int
parse_postgres(const char *rest, struct db_url *out, char **err)
{
	size_t alen = strcspn(rest, "/?");
	const char *path = rest + alen;
	/* The last '@' ends the user info, so an unescaped '@' in a password
	 * still works. */
	const char *at = NULL;
	for (const char *p = rest; p < path; p++)
		if (*p == '@')
			at = p;
	const char *hp = rest;
	if (at != NULL) {
		if (parse_userinfo(rest, (size_t)(at - rest), out, err) != 0)
			return -1;
		hp = at + 1;
	}
	if (parse_hostport(hp, (size_t)(path - hp), out, err) != 0)
		return -1;
	const char *query = strchr(path, '?');
	if (*path == '/') {
		size_t dlen = query ? (size_t)(query - path - 1) : strlen(path + 1);
		if (dlen > 0 && decode_part(path + 1, dlen, &out->dbname, "database name", err) != 0)
			return -1;
	}
	out->conninfo = build_conninfo(out, 1);
	out->conninfo_public = build_conninfo(out, 0);
	if (query != NULL && (parse_query(query + 1, &out->conninfo, err) != 0 ||
			      parse_query(query + 1, &out->conninfo_public, err) != 0))
		return -1;
	return 0;
}

int
db_url_parse(const char *url, struct db_url *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (url == NULL || *url == '\0')
		return fail(err, "empty");
	const char *sep = strstr(url, "://");
	if (sep == NULL)
		return fail(err, "expected sqlite:///path or postgresql://user:pass@host/db");
	size_t slen = (size_t)(sep - url);
	int rc;
	if (scheme_is(url, slen, "sqlite")) {
		out->backend = DB_SQLITE;
		rc = parse_sqlite(sep + 3, out, err);
	} else if (scheme_is(url, slen, "postgresql") || scheme_is(url, slen, "postgres")) {
		out->backend = DB_POSTGRES;
		rc = parse_postgres(sep + 3, out, err);
	} else if (strspn(url, "abcdefghijklmnopqrstuvwxyz0123456789+_") != slen || slen > 40) {
		rc = fail(err, "expected sqlite:///path or postgresql://user:pass@host/db");
	} else {
		char msg[160];
		snprintf(msg, sizeof(msg), "unsupported scheme '%.*s' (expected sqlite or postgresql)",
			 (int)slen, url);
		rc = fail(err, msg);
	}
	if (rc != 0)
		db_url_free(out);
	return rc;
}

void
db_url_free(struct db_url *u)
{
	free(u->path);
	/* Neither the password nor the conninfo that carries it should
	 * linger in freed memory. */
	if (u->conninfo != NULL) {
		memset(u->conninfo, 0, strlen(u->conninfo));
		free(u->conninfo);
	}
	free(u->conninfo_public);
	free(u->host);
	free(u->user);
	if (u->password != NULL) {
		memset(u->password, 0, strlen(u->password));
		free(u->password);
	}
	free(u->dbname);
	memset(u, 0, sizeof(*u));
}

char *
db_url_sibling(const char *url, const char *suffix)
{
	struct db_url u;
	char *err = NULL;
	if (url == NULL || db_url_parse(url, &u, &err) != 0) {
		free(err);
		return NULL;
	}
	char *path = NULL;
	if (u.backend == DB_SQLITE && u.path != NULL && u.path[0] != '\0' &&
	    strcmp(u.path, ":memory:") != 0)
		path = xasprintf("%s%s", u.path, suffix);
	db_url_free(&u);
	return path;
}
