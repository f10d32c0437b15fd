/*
 * test_memory_tools.c: the recall and remember tools (model/memory_fact.c,
 * pipelit-engine.md 4.4) and the admin listings (model/memory_list.c) on a
 * migrated SQLite database, and again in a PostgreSQL schema of its own
 * inside PIPELIT_TEST_PG_URL (skipped when unset): the answers the model
 * sees, word for word; and remember calls racing for one key, each on a
 * connection of its own, leave one fact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "db/db.h"
#include "db/migrate.h"
#include "model/memory_fact.h"
#include "model/memory_list.h"
#include "tap.h"
#include "util/log.h"
#include "util/xalloc.h"

static char *
call(struct db *db, int remember, const char *args_json, const char *extra_json)
{
	json_t *args = json_loads(args_json, 0, NULL), *extra = json_loads(extra_json, 0, NULL);
	char *err = NULL;
	char *out = remember ? memory_remember(db, args, extra, &err)
			     : memory_recall(db, args, extra, &err);
	if (out == NULL)
		out = xasprintf("(failed: %s)", err ? err : "?");
	free(err);
	json_decref(args);
	json_decref(extra);
	return out;
}

static void
answer_is(struct db *db, int remember, const char *args, const char *extra, const char *want,
	  const char *what)
{
	char *got = call(db, remember, args, extra);
	is_str(got, want, "%s", what);
	free(got);
}

static int64_t
count(struct db *db, const char *sql)
{
	int64_t n = -1;
	db_query_int64(db, sql, &n);
	return n;
}

static void
tools(struct db *db)
{
	answer_is(db, 0, "{}", "{}", "Memory is empty — no facts stored.", "recall: empty");
	answer_is(db, 1, "{\"key\":\"favorite color\",\"value\":\"blue\"}", "{}",
		  "Remembered: favorite color = blue (created)", "remember: created");
	answer_is(db, 1, "{\"key\":\"favorite color\",\"value\":\"blue\"}", "{}",
		  "Remembered: favorite color = blue (updated)", "remember: updated");
	is_int(count(db, "SELECT times_confirmed FROM memory_facts WHERE key = 'favorite color'"), 2,
	       "the same value again confirms it");
	answer_is(db, 1, "{\"key\":\"favorite color\",\"value\":\"red\"}", "{\"overwrite\":false}",
		  "Remembered: favorite color = red (skipped)", "remember: overwrite false skips");
	answer_is(db, 1, "{\"key\":\"limits\",\"value\":{\"a\":1},\"fact_type\":\"self_knowledge\"}",
		  "{}", "Remembered: limits = {\"a\":1} (created)", "remember: a JSON value");
	is_int(count(db, "SELECT COUNT(*) FROM memory_facts WHERE scope = 'global' "
			 "AND fact_type = 'self_knowledge'"), 1, "fact_type from the arguments");
	answer_is(db, 1, "{\"key\":\"tz\",\"value\":\"UTC\"}", "{\"fact_type\":\"user_preference\"}",
		  "Remembered: tz = UTC (created)", "remember: fact_type from extra_config");
	is_int(count(db, "SELECT COUNT(*) FROM memory_facts WHERE key = 'tz' "
			 "AND fact_type = 'user_preference'"), 1, "... stored");
	answer_is(db, 1, "{\"value\":\"x\"}", "{}", "Error: remember needs a key (a non-empty string).",
		  "remember: no key");
	answer_is(db, 1, "{\"key\":\"k\",\"value\":\"x\",\"fact_type\":\"gossip\"}", "{}",
		  "Error: fact_type must be one of world_knowledge, user_preference, self_knowledge, "
		  "correction, relationship (not gossip).", "remember: unknown fact_type");

	answer_is(db, 0, "{\"key\":\"favorite color\"}", "{}", "favorite color = blue",
		  "recall: exact key");
	answer_is(db, 0, "{\"key\":\"favorite_color\"}", "{}",
		  "[{\"key\":\"favorite color\",\"value\":\"blue\",\"confidence\":1.0}]",
		  "recall: a key not found exactly is searched ('_' for ' ')");
	answer_is(db, 0, "{\"key\":\"nothing\"}", "{}", "No memory found for key: nothing",
		  "recall: unknown key");
	answer_is(db, 0, "{\"query\":\"FAVORITE-color\"}", "{}",
		  "[{\"key\":\"favorite color\",\"value\":\"blue\",\"confidence\":1.0}]",
		  "recall: query, case-insensitive, '-' for ' '");
	answer_is(db, 0, "{\"query\":\"utc\"}", "{}",
		  "[{\"key\":\"tz\",\"value\":\"UTC\",\"confidence\":1.0}]", "recall: query matches values");
	answer_is(db, 0, "{\"query\":\"100%\"}", "{}", "No memories found for query: 100%",
		  "recall: '%' is no wildcard");
	answer_is(db, 0, "{\"query\":\"zzz\"}", "{}", "No memories found for query: zzz",
		  "recall: nothing matches");

	db_exec(db, "INSERT INTO memory_facts (id, scope, key, value, fact_type, confidence) VALUES "
		    "('f-low', 'global', 'rumour', '\"maybe\"', 'world_knowledge', 0.2)");
	char *all = call(db, 0, "{}", "{}");
	json_t *list = json_loads(all, 0, NULL);
	is_int(json_array_size(list), 3, "recall: every global fact above min_confidence");
	ok(strstr(all, "rumour") == NULL, "... not the one below it");
	json_decref(list);
	free(all);
	answer_is(db, 0, "{}", "{\"min_confidence\":0.1,\"limit\":1}",
		  "[{\"key\":\"tz\",\"value\":\"UTC\",\"confidence\":1.0}]",
		  "recall: limit from extra_config (the most confident, then the newest)");
	char *low = call(db, 0, "{}", "{\"min_confidence\":0.1}");
	ok(strstr(low, "rumour") != NULL, "recall: min_confidence from extra_config");
	free(low);
	ok(count(db, "SELECT access_count FROM memory_facts WHERE key = 'favorite color'") >= 4,
	   "recall counts accesses");

	db_exec(db, "INSERT INTO memory_procedures (id, agent_id, name, description, procedure_type, "
		    "procedure_content) VALUES ('p1', 'agent_1', 'color survey', 'ask for a favorite "
		    "color', 'steps', '{}')");
	answer_is(db, 0, "{\"query\":\"favorite color\"}", "{\"memory_type\":\"procedures\"}",
		  "{\"procedures\":[{\"name\":\"color survey\",\"description\":\"ask for a favorite "
		  "color\",\"procedure_type\":\"steps\",\"success_rate\":0.5}]}",
		  "recall: memory_type procedures");
	char *both = call(db, 0, "{\"query\":\"color\"}", "{\"memory_type\":\"all\"}");
	json_t *o = json_loads(both, 0, NULL);
	ok(json_array_size(json_object_get(o, "facts")) == 1 &&
	   json_array_size(json_object_get(o, "procedures")) == 1 &&
	   json_object_get(o, "episodes") == NULL, "recall: memory_type all: %s", both);
	json_decref(o);
	free(both);
}

static void
listings(struct db *db)
{
	int64_t total = -1;
	json_t *items = memory_list(db, MEMORY_FACTS, NULL, NULL, 50, 0, &total);
	is_int(total, 4, "facts: total");
	json_t *f = json_array_get(items, 0);
	const char *keys[] = { "id", "scope", "agent_id", "user_id", "key", "value", "fact_type",
			       "confidence", "times_confirmed", "access_count", "created_at",
			       "updated_at" };
	int in_order = json_object_size(f) == 12;
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach(f, k, v) {
		if (i >= 12 || strcmp(k, keys[i++]) != 0)
			in_order = 0;
	}
	ok(in_order, "FactOut: every key, in order");
	json_decref(items);
	items = memory_list(db, MEMORY_FACTS, "global", "user_preference", 50, 0, &total);
	ok(total == 1 && strcmp(json_string_value(json_object_get(json_array_get(items, 0), "key")),
				"tz") == 0, "facts filtered by scope and fact_type");
	json_decref(items);
	items = memory_list(db, MEMORY_FACTS, NULL, NULL, 2, 3, &total);
	ok(total == 4 && json_array_size(items) == 1, "limit and offset");
	json_decref(items);

	items = memory_list(db, MEMORY_PROCEDURES, "agent_1", NULL, 50, 0, &total);
	json_t *p = json_array_get(items, 0);
	ok(total == 1 && json_real_value(json_object_get(p, "success_rate")) == 0.5 &&
	   json_is_true(json_object_get(p, "is_active")), "ProcedureOut: success_rate 0.5 unused");
	json_decref(items);
	items = memory_list(db, MEMORY_PROCEDURES, "agent_2", NULL, 50, 0, &total);
	is_int(total, 0, "procedures filtered by agent");
	json_decref(items);

	db_exec(db, "INSERT INTO memory_episodes (id, agent_id, trigger_type, success, summary, "
		    "started_at) VALUES ('e1', 'agent_1', 'chat', TRUE, 'talked', "
		    "'2026-01-02 03:04:05.000000')");
	items = memory_list(db, MEMORY_EPISODES, NULL, NULL, 50, 0, &total);
	json_t *e = json_array_get(items, 0);
	ok(total == 1 && json_is_true(json_object_get(e, "success")) &&
	   strcmp(json_string_value(json_object_get(e, "started_at")), "2026-01-02T03:04:05Z") == 0 &&
	   json_is_null(json_object_get(e, "ended_at")), "EpisodeOut: bool, times, nulls");
	json_decref(items);

	db_exec(db, "INSERT INTO memory_users (id, canonical_id, display_name) VALUES "
		    "('u1', 'telegram:1', 'Ann')");
	items = memory_list(db, MEMORY_USERS, NULL, NULL, 50, 0, &total);
	ok(total == 1 && json_object_size(json_array_get(items, 0)) == 8 &&
	   json_integer_value(json_object_get(json_array_get(items, 0), "total_conversations")) == 0,
	   "MemoryUserOut");
	json_decref(items);

	const char *ids[] = { "f-low", "unknown" };
	ok(memory_delete_many(db, MEMORY_FACTS, ids, 2) == 0, "batch delete (an unknown id skipped)");
	is_int(count(db, "SELECT COUNT(*) FROM memory_facts"), 3, "one fact fewer");
	ok(memory_delete_many(db, MEMORY_FACTS, NULL, 0) == 0, "an empty list is a no-op");
	const char *eps[] = { "e1" }, *users[] = { "u1" }, *procs[] = { "p1" };
	ok(memory_delete_many(db, MEMORY_EPISODES, eps, 1) == 0 &&
	   memory_delete_many(db, MEMORY_USERS, users, 1) == 0 &&
	   memory_delete_many(db, MEMORY_PROCEDURES, procs, 1) == 0, "the other kinds");
	is_int(count(db, "SELECT (SELECT COUNT(*) FROM memory_episodes) + (SELECT COUNT(*) FROM "
			 "memory_users) + (SELECT COUNT(*) FROM memory_procedures)"), 0, "gone");
}

/* Migrates to head through the unique index's revision with duplicate
 * global facts written before it: the one recall used stays. */
static int
migrate_with_duplicates(struct db *db, char **err)
{
	if (migrate_upgrade(db, "b7d3e9f2a4c6", err) != 0)
		return -1;
	db_exec(db, "INSERT INTO memory_facts (id, scope, key, value, fact_type, confidence, "
		    "updated_at) VALUES "
		    "('d1', 'global', 'dup', '\"low\"', 'world_knowledge', 0.5, '2026-01-03 00:00:00.000000'), "
		    "('d2', 'global', 'dup', '\"old\"', 'world_knowledge', 1.0, '2026-01-01 00:00:00.000000'), "
		    "('d3', 'global', 'dup', '\"kept\"', 'world_knowledge', 1.0, '2026-01-02 00:00:00.000000'), "
		    "('d4', 'agent', 'dup', '\"agent\"', 'world_knowledge', 1.0, '2026-01-02 00:00:00.000000')");
	if (migrate_upgrade(db, "head", err) != 0)
		return -1;
	is_int(count(db, "SELECT COUNT(*) FROM memory_facts WHERE key = 'dup'"), 2,
	       "upgrading keeps one global fact per key (and the agent's)");
	is_int(count(db, "SELECT COUNT(*) FROM memory_facts WHERE id IN ('d3', 'd4')"), 2,
	       "the global one kept is the most confident, then the newest");
	db_exec(db, "DELETE FROM memory_facts");
	return 0;
}

#define RACERS 8
#define ROUNDS 4

/* A racer: connects, says it is ready, waits for the start, remembers.
 * Exits 0 when the answer is a success. */
static void
racer(const char *url, const char *setup_sql, int ready, int start, const char *key)
{
	char *err = NULL;
	struct db *db = db_open(url, &err);
	if (db == NULL || (setup_sql && db_exec(db, setup_sql) != 0))
		_exit(2);
	char b = 'r';
	if (write(ready, &b, 1) != 1 || read(start, &b, 1) < 0)
		_exit(3);
	char *args = xasprintf("{\"key\":\"%s\",\"value\":\"v\"}", key);
	char *out = call(db, 1, args, "{}");
	_exit(strncmp(out, "Remembered: ", 12) == 0 ? 0 : 1);
}

/* RACERS remember calls for one key at once, ROUNDS times: one fact per
 * key, confirmed by every call. */
static void
race(struct db *db, const char *url, const char *setup_sql)
{
	for (int round = 0; round < ROUNDS; round++) {
		char key[32];
		snprintf(key, sizeof key, "raced-%d", round);
		int ready[2], start[2];
		if (pipe(ready) != 0 || pipe(start) != 0) {
			ok(0, "pipes");
			return;
		}
		fflush(stdout);
		pid_t kids[RACERS];
		for (int i = 0; i < RACERS; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				close(ready[0]);
				close(start[1]);
				racer(url, setup_sql, ready[1], start[0], key);
			}
		}
		close(ready[1]);
		close(start[0]);
		char buf[RACERS];
		size_t got = 0;
		ssize_t n;
		while (got < RACERS && (n = read(ready[0], buf, RACERS - got)) > 0)
			got += (size_t)n;
		close(start[1]);                 /* every racer's read returns: go */
		close(ready[0]);
		int succeeded = 0;
		for (int i = 0; i < RACERS; i++) {
			int status = 0;
			if (kids[i] > 0 && waitpid(kids[i], &status, 0) == kids[i] &&
			    WIFEXITED(status) && WEXITSTATUS(status) == 0)
				succeeded++;
		}
		char *sql = xasprintf("SELECT COUNT(*) FROM memory_facts WHERE key = '%s'", key);
		int64_t facts = count(db, sql);
		free(sql);
		sql = xasprintf("SELECT SUM(times_confirmed) FROM memory_facts WHERE key = '%s'", key);
		int64_t confirmed = count(db, sql);
		free(sql);
		ok(succeeded == RACERS && facts == 1 && confirmed == RACERS,
		   "round %d: %d remember calls at once for one key: %d succeeded, %lld fact(s), "
		   "confirmed %lld times", round + 1, RACERS, succeeded, (long long)facts,
		   (long long)confirmed);
	}
}

int
main(void)
{
	log_open(LOG_LEVEL_WARNING, NULL);
	char *err = NULL;
	struct db *db = db_open_create("sqlite://", &err);
	if (db == NULL || migrate_with_duplicates(db, &err) != 0) {
		ok(0, "migrated: %s", err ? err : "");
		return done_testing();
	}
	printf("# SQLite\n");
	tools(db);
	listings(db);
	db_close(db);

	/* The race needs a file several connections share. */
	char *path = xasprintf("/tmp/pipelit-memrace-%ld.db", (long)getpid());
	char *file_url = xasprintf("sqlite:///%s", path);   /* sqlite:////tmp/... */
	db = db_open_create(file_url, &err);
	if (db != NULL && migrate_upgrade(db, "head", &err) == 0)
		race(db, file_url, NULL);
	else
		ok(0, "a file database for the race: %s", err ? err : "");
	db_close(db);
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char *f = xasprintf("%s%s", path, suffixes[i]);
		unlink(f);
		free(f);
	}
	free(file_url);
	free(path);

	const char *url = getenv("PIPELIT_TEST_PG_URL");
	if (url == NULL || *url == '\0') {
		printf("# PostgreSQL skipped: PIPELIT_TEST_PG_URL not set\n");
		return done_testing();
	}
	db = db_open(url, &err);
	ok(db != NULL, "connects to PostgreSQL: %s", err ? err : "");
	if (db == NULL)
		return done_testing();
	char *ns = xasprintf("pipelit_memtools_%ld", (long)getpid());
	char *sql = xasprintf("CREATE SCHEMA %s; SET search_path TO %s", ns, ns);
	ok(db_exec(db, sql) == 0, "a schema of its own");
	free(sql);
	if (migrate_with_duplicates(db, &err) == 0) {
		printf("# PostgreSQL\n");
		tools(db);
		listings(db);
		char *setup = xasprintf("SET search_path TO %s", ns);
		race(db, url, setup);
		free(setup);
	} else {
		ok(0, "migrated: %s", err ? err : "");
	}
	sql = xasprintf("SET search_path TO public; DROP SCHEMA %s CASCADE", ns);
	db_exec(db, sql);
	free(sql);
	free(ns);
	db_close(db);
	return done_testing();
}
