/* memory_fact.c: see memory_fact.h. */
#include "memory_fact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define DEFAULT_LIMIT 10
#define MAX_LIMIT 100
#define DEFAULT_MIN_CONFIDENCE 0.5
#define ESC "ESCAPE '\\'"

static const char *const fact_types[] = {
	"world_knowledge", "user_preference", "self_knowledge", "correction", "relationship", NULL,
};

/* --- small helpers ------------------------------------------------------- */

/* A JSON value as the model reads it: a string as itself, else compact JSON. */
static char *
value_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	return s ? s : xstrdup("null");
}

/* The stored JSON text of a fact's value as the model reads it. */
static char *
stored_value_text(const char *stored)
{
	json_t *v = stored ? json_loads(stored, JSON_DECODE_ANY, NULL) : NULL;
	char *out = v ? value_text(v) : xstrdup(stored ? stored : "");
	json_decref(v);
	return out;
}

static const char *
arg_string(const json_t *args, const char *name)
{
	const char *s = json_string_value(json_object_get(args, name));
	return s && *s ? s : NULL;
}

static long
config_limit(const json_t *extra)
{
	json_t *v = json_object_get(extra, "limit");
	long n = json_is_integer(v) ? (long)json_integer_value(v)
		 : json_is_real(v) ? (long)json_real_value(v) : DEFAULT_LIMIT;
	return n < 1 ? 1 : n > MAX_LIMIT ? MAX_LIMIT : n;
}

static double
config_min_confidence(const json_t *extra)
{
	json_t *v = json_object_get(extra, "min_confidence");
	return json_is_number(v) ? json_number_value(v) : DEFAULT_MIN_CONFIDENCE;
}

/*
 * The LIKE pattern for text: lower case, '%' and '\' escaped, and spaces,
 * '_' and '-' made the one-character wildcard, so "favorite color",
 * "favorite_color" and "favorite-color" find each other.
 */
static char *
like_pattern(const char *text)
{
	size_t n = strlen(text);
	char *out = xmalloc(2 * n + 3), *p = out;
	*p++ = '%';
	for (const char *s = text; *s; s++) {
		if (*s == ' ' || *s == '_' || *s == '-') {
			*p++ = '_';
		} else {
			if (*s == '%' || *s == '\\')
				*p++ = '\\';
			*p++ = (char)tolower((unsigned char)*s);
		}
	}
	*p++ = '%';
	*p = '\0';
	return out;
}

static char *
db_failed(struct db *db, char **err)
{
	*err = xasprintf("the memory could not be read or written: %s", db_errmsg(db));
	db_abandon(db);
	return NULL;
}

/* --- recall -------------------------------------------------------------- */

/* Counts an access of the fact (the caller's write transaction). */
static int
touch(struct db *db, const char *id, const char *now)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE memory_facts SET access_count = access_count + 1, last_accessed = ? "
		"WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, now, -1);
	db_bind_text(st, 2, id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Runs a fact query (columns id, key, value, confidence) into [{key, value,
 * confidence}], counting each access.  0 or -1. */
static int
facts_into(struct db *db, struct db_stmt *st, const char *now, json_t *out)
{
	json_t *ids = json_array();
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *stored = db_column_text(st, 2);
		json_t *v = stored ? json_loads(stored, JSON_DECODE_ANY, NULL) : NULL;
		json_array_append_new(out, json_pack("{s:s, s:o, s:f}", "key", db_column_text(st, 1),
						     "value", v ? v : json_string(stored ? stored : ""),
						     "confidence", db_column_double(st, 3)));
		json_array_append_new(ids, json_string(db_column_text(st, 0)));
	}
	db_reset(st);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		if (rc != DB_ERROR && touch(db, json_string_value(id), now) != 0)
			rc = DB_ERROR;
	}
	json_decref(ids);
	return rc == DB_ERROR ? -1 : 0;
}

static int
all_facts(struct db *db, double min_conf, long limit, const char *now, json_t *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, key, value, confidence FROM memory_facts "
		"WHERE scope = 'global' AND confidence >= ? "
		"ORDER BY confidence DESC, updated_at DESC, id LIMIT ?");
	if (st == NULL)
		return -1;
	db_bind_double(st, 1, min_conf);
	db_bind_int64(st, 2, limit);
	return facts_into(db, st, now, out);
}

static int
search_facts(struct db *db, const char *text, double min_conf, long limit, const char *now,
	     json_t *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, key, value, confidence FROM memory_facts "
		"WHERE scope = 'global' AND confidence >= ? "
		"AND (lower(key) LIKE ? " ESC " OR lower(CAST(value AS TEXT)) LIKE ? " ESC ") "
		"ORDER BY confidence DESC, updated_at DESC, id LIMIT ?");
	if (st == NULL)
		return -1;
	char *pattern = like_pattern(text);
	db_bind_double(st, 1, min_conf);
	db_bind_text(st, 2, pattern, -1);
	db_bind_text(st, 3, pattern, -1);
	db_bind_int64(st, 4, limit);
	free(pattern);
	return facts_into(db, st, now, out);
}

/* The exact global fact: 1 with *text "<key> = <value>", 0, -1. */
static int
exact_fact(struct db *db, const char *key, const char *now, char **text)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, value FROM memory_facts WHERE scope = 'global' AND key = ? "
		"ORDER BY confidence DESC, updated_at DESC, id LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key, -1);
	int rc = db_step(st);
	char *id = NULL;
	if (rc == DB_ROW) {
		char *v = stored_value_text(db_column_text(st, 1));
		*text = xasprintf("%s = %s", key, v);
		free(v);
		id = xstrdup(db_column_text(st, 0));
	}
	db_reset(st);
	if (rc == DB_ROW && touch(db, id, now) != 0)
		rc = DB_ERROR;
	free(id);
	if (rc == DB_ERROR) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return rc == DB_ROW;
}

static int
search_procedures(struct db *db, const char *text, long limit, json_t *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT name, description, procedure_type, CASE WHEN times_used = 0 THEN 0.5 "
		"ELSE CAST(times_succeeded AS FLOAT) / times_used END FROM memory_procedures "
		"WHERE is_active = TRUE AND (lower(name) LIKE ? " ESC " OR lower(description) LIKE ? "
		ESC ") ORDER BY times_succeeded DESC, created_at DESC, id LIMIT ?");
	if (st == NULL)
		return -1;
	char *pattern = like_pattern(text);
	db_bind_text(st, 1, pattern, -1);
	db_bind_text(st, 2, pattern, -1);
	db_bind_int64(st, 3, limit);
	free(pattern);
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:f}", "name",
						     db_column_text(st, 0), "description",
						     db_column_text(st, 1), "procedure_type",
						     db_column_text(st, 2), "success_rate",
						     db_column_double(st, 3)));
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static int
search_episodes(struct db *db, const char *text, long limit, json_t *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT summary, trigger_type, success, started_at FROM memory_episodes "
		"WHERE lower(COALESCE(summary, '')) LIKE ? " ESC " "
		"ORDER BY started_at DESC, id LIMIT ?");
	if (st == NULL)
		return -1;
	char *pattern = like_pattern(text);
	db_bind_text(st, 1, pattern, -1);
	db_bind_int64(st, 2, limit);
	free(pattern);
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(out, json_pack("{s:s, s:s, s:b, s:o}", "summary",
						     db_column_text(st, 0), "trigger_type",
						     db_column_text(st, 1), "success",
						     db_column_bool(st, 2), "started_at",
						     time_db_to_json_or_text(db_column_text(st, 3))));
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static char *
dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	return s;
}

/* The query's answer: facts alone (memory_type facts) or the kinds asked. */
static int
recall_query(struct db *db, const char *query, const json_t *extra, const char *now,
	     char **answer)
{
	const char *type = json_string_value(json_object_get(extra, "memory_type"));
	if (type == NULL)
		type = "facts";
	int all = strcmp(type, "all") == 0;
	long limit = config_limit(extra);
	double min_conf = config_min_confidence(extra);
	json_t *facts = json_array(), *procs = json_array(), *eps = json_array();
	int rc = 0;
	if (all || strcmp(type, "facts") == 0)
		rc = search_facts(db, query, min_conf, limit, now, facts);
	if (rc == 0 && (all || strcmp(type, "procedures") == 0))
		rc = search_procedures(db, query, limit, procs);
	if (rc == 0 && (all || strcmp(type, "episodes") == 0))
		rc = search_episodes(db, query, limit, eps);
	*answer = NULL;
	if (rc == 0) {
		if (json_array_size(facts) + json_array_size(procs) + json_array_size(eps) == 0) {
			*answer = xasprintf("No memories found for query: %s", query);
		} else if (strcmp(type, "facts") == 0) {
			*answer = dump(json_incref(facts));
		} else {
			json_t *o = json_object();
			if (json_array_size(facts))
				json_object_set(o, "facts", facts);
			if (json_array_size(procs))
				json_object_set(o, "procedures", procs);
			if (json_array_size(eps))
				json_object_set(o, "episodes", eps);
			*answer = dump(o);
		}
	}
	json_decref(facts);
	json_decref(procs);
	json_decref(eps);
	return rc;
}

static int
recall_key(struct db *db, const char *key, const json_t *extra, const char *now, char **answer)
{
	int found = exact_fact(db, key, now, answer);
	if (found != 0)
		return found < 0 ? -1 : 0;
	json_t *facts = json_array();
	int rc = search_facts(db, key, config_min_confidence(extra), config_limit(extra), now, facts);
	if (rc == 0)
		*answer = json_array_size(facts) ? dump(json_incref(facts))
						 : xasprintf("No memory found for key: %s", key);
	json_decref(facts);
	return rc;
}

char *
memory_recall(struct db *db, const json_t *args, const json_t *extra_config, char **err)
{
	const char *key = arg_string(args, "key"), *query = arg_string(args, "query");
	char now[TIME_DB_LEN], *answer = NULL;
	time_now_db(now);
	/* A write transaction: recalling counts an access of what it found. */
	if (db_begin_write(db) != 0)
		return db_failed(db, err);
	int rc;
	if (key != NULL) {
		rc = recall_key(db, key, extra_config, now, &answer);
	} else if (query != NULL) {
		rc = recall_query(db, query, extra_config, now, &answer);
	} else {
		json_t *facts = json_array();
		rc = all_facts(db, config_min_confidence(extra_config), config_limit(extra_config),
			       now, facts);
		if (rc == 0)
			answer = json_array_size(facts) ? dump(json_incref(facts))
							: xstrdup("Memory is empty — no facts stored.");
		json_decref(facts);
	}
	if (rc != 0 || answer == NULL || db_commit(db) != 0) {
		free(answer);
		return db_failed(db, err);
	}
	return answer;
}

/* --- remember ------------------------------------------------------------ */

static int
is_fact_type(const char *t)
{
	for (int i = 0; fact_types[i]; i++)
		if (strcmp(t, fact_types[i]) == 0)
			return 1;
	return 0;
}

/* The existing global fact with key: 1 with *id and *stored (malloc'd), 0, -1.
 * On PostgreSQL its row stays locked until the transaction ends, so a
 * concurrent remember of the key waits and then reads what this one
 * wrote (SQLite's write transaction already excludes it). */
static int
find_fact(struct db *db, const char *key, char **id, char **stored)
{
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES
		? "SELECT id, CAST(value AS TEXT) FROM memory_facts WHERE scope = 'global' AND key = ? "
		  "ORDER BY confidence DESC, updated_at DESC, id LIMIT 1 FOR UPDATE"
		: "SELECT id, CAST(value AS TEXT) FROM memory_facts WHERE scope = 'global' AND key = ? "
		  "ORDER BY confidence DESC, updated_at DESC, id LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*id = xstrdup(db_column_text(st, 0));
		*stored = xstrdup(db_column_text(st, 1) ? db_column_text(st, 1) : "");
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : rc == DB_ROW;
}

/* Writes the fact: a new one (id NULL) or the one with id.  0, -1, or 1
 * when a new one met a fact of the key that a concurrent remember
 * inserted meanwhile (ux_memory_facts_global_key): nothing written. */
static int
write_fact(struct db *db, const char *id, const char *key, const char *value,
	   const char *fact_type, int same, const char *now)
{
	struct db_stmt *st;
	if (id == NULL) {
		st = db_prepare(db, "INSERT INTO memory_facts (scope, key, value, fact_type, "
				    "created_at, updated_at) VALUES ('global', ?, ?, ?, ?, ?) "
				    "ON CONFLICT (key) WHERE scope = 'global' DO NOTHING");
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, key, -1);
		db_bind_text(st, 2, value, -1);
		db_bind_text(st, 3, fact_type, -1);
		db_bind_text(st, 4, now, -1);
		db_bind_text(st, 5, now, -1);
	} else {
		/* The same value again confirms the fact; another one contradicts
		 * what was stored and starts the count again. */
		st = db_prepare(db, same
			? "UPDATE memory_facts SET value = ?, fact_type = ?, updated_at = ?, "
			  "times_confirmed = times_confirmed + 1 WHERE id = ?"
			: "UPDATE memory_facts SET value = ?, fact_type = ?, updated_at = ?, "
			  "times_confirmed = 1, times_contradicted = times_contradicted + 1 "
			  "WHERE id = ?");
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, value, -1);
		db_bind_text(st, 2, fact_type, -1);
		db_bind_text(st, 3, now, -1);
		db_bind_text(st, 4, id, -1);
	}
	int rc = db_step(st);
	int64_t changed = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	return id == NULL && changed == 0 ? 1 : 0;
}

/* Whether two stored JSON texts hold the same value. */
static int
same_value(const char *a, const char *b)
{
	json_t *x = json_loads(a, JSON_DECODE_ANY, NULL), *y = json_loads(b, JSON_DECODE_ANY, NULL);
	int same = x && y ? json_equal(x, y) : strcmp(a, b) == 0;
	json_decref(x);
	json_decref(y);
	return same;
}

char *
memory_remember(struct db *db, const json_t *args, const json_t *extra_config, char **err)
{
	const char *key = arg_string(args, "key");
	json_t *value = json_object_get(args, "value");
	if (key == NULL)
		return xstrdup("Error: remember needs a key (a non-empty string).");
	if (value == NULL)
		return xstrdup("Error: remember needs a value.");
	const char *fact_type = arg_string(args, "fact_type");
	if (fact_type == NULL)
		fact_type = json_string_value(json_object_get(extra_config, "fact_type"));
	if (fact_type == NULL || *fact_type == '\0')
		fact_type = "world_knowledge";
	if (!is_fact_type(fact_type))
		return xasprintf("Error: fact_type must be one of world_knowledge, user_preference, "
				 "self_knowledge, correction, relationship (not %s).", fact_type);
	json_t *ow = json_object_get(extra_config, "overwrite");
	int overwrite = ow == NULL || json_is_null(ow) || json_is_true(ow);

	char *stored = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	char *shown = value_text(value), *id = NULL, *old = NULL, now[TIME_DB_LEN];
	time_now_db(now);
	const char *outcome = NULL;
	int rc = stored ? db_begin_write(db) : -1;
	int found = rc == 0 ? find_fact(db, key, &id, &old) : -1;
	if (found == 0) {
		rc = write_fact(db, NULL, key, stored, fact_type, 0, now);
		if (rc == 0)
			outcome = "created";
		else if (rc == 1)        /* a concurrent remember created it first */
			found = find_fact(db, key, &id, &old);
	}
	if (outcome != NULL || found < 0) {
		/* created, or failed */
	} else if (found == 1 && overwrite) {
		rc = write_fact(db, id, key, stored, fact_type, same_value(old, stored), now);
		outcome = "updated";
	} else if (found == 1) {
		rc = 0;
		outcome = "skipped";
	} else {
		rc = -1;                 /* it conflicted, yet is not there */
	}
	if (found < 0)
		rc = -1;
	char *answer = NULL;
	if (rc == 0 && db_commit(db) == 0)
		answer = xasprintf("Remembered: %s = %s (%s)", key, shown, outcome);
	else if (stored != NULL)
		db_failed(db, err);
	else
		*err = xstrdup("the value cannot be stored as JSON");
	free(stored);
	free(shown);
	free(id);
	free(old);
	return answer;
}
