/*
 * test_cstore.c: the conversation store (src/checkpoints/) and agent
 * checkpoints (model/agent_checkpoint.c).
 *
 * The store runs three times: in its own SQLite file (no file until the
 * first write, 0600 once created, whatever the umask), in a migrated
 * SQLite main database, and in a migrated PostgreSQL schema of its own
 * inside PIPELIT_TEST_PG_URL (skipped when unset).  Each run checks order,
 * dedup by message id, the bound with its tool-result rule, limits,
 * isolation between threads, the checkpoint listing and both deletes.
 * Agent checkpoints run on both backends: newest across attempts, older
 * rows dropped, rows gone with their execution.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "checkpoints/cstore.h"
#include "db/db.h"
#include "db/migrate.h"
#include "model/agent_checkpoint.h"
#include "tap.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_MESSAGES 6

static json_t *
msg(const char *type, const char *id, const char *text)
{
	json_t *data = json_pack("{s:s}", "content", text);
	if (id != NULL)
		json_object_set_new(data, "id", json_string(id));
	return json_pack("{s:s, s:o}", "type", type, "data", data);
}

/* The messages' texts joined with ",". */
static char *
texts(const json_t *list)
{
	size_t len = 1, i;
	json_t *m;
	json_array_foreach(list, i, m)
		len += strlen(json_string_value(json_object_get(json_object_get(m, "data"),
								"content"))) + 1;
	char *out = xcalloc(1, len);
	json_array_foreach(list, i, m) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, json_string_value(json_object_get(json_object_get(m, "data"), "content")));
	}
	return out;
}

static void
is_thread(struct cstore *cs, const char *thread, int limit, const char *want, const char *what)
{
	char *err = NULL;
	json_t *got = cstore_thread_load(cs, thread, limit, &err);
	char *t = got ? texts(got) : xstrdup(err ? err : "(failed)");
	is_str(t, want, "%s", what);
	free(t);
	free(err);
	json_decref(got);
}

static int
append(struct cstore *cs, const char *thread, json_t *list, int step)
{
	char *err = NULL;
	int rc = cstore_thread_append(cs, thread, list, "loop", step, &err);
	if (rc != 0)
		printf("# append: %s\n", err);
	free(err);
	json_decref(list);
	return rc;
}

static void
store_behaviour(struct cstore *cs, const char *label)
{
	char *err = NULL;
	printf("# the store: %s\n", label);
	is_thread(cs, "t1", 0, "", "an unknown thread is empty");

	ok(append(cs, "t1", json_pack("[o,o]", msg("human", "system_prompt_fallback", "sys1"),
				      msg("human", "h1", "hello")), 1) == 0, "first append");
	ok(append(cs, "t1", json_pack("[o,o]", msg("ai", "a1", "hi"), msg("human", NULL, "q2")),
		  2) == 0, "second append (one message without an id)");
	is_thread(cs, "t1", 0, "sys1,hello,hi,q2", "the thread in order");
	is_thread(cs, "t1", 2, "hi,q2", "limit: the last two");

	json_t *loaded = cstore_thread_load(cs, "t1", 0, &err);
	const char *given = json_string_value(
		json_object_get(json_object_get(json_array_get(loaded, 3), "data"), "id"));
	ok(given != NULL && strlen(given) == 36, "a message without an id got one: %s",
	   given ? given : "(none)");
	json_decref(loaded);

	ok(append(cs, "t1", json_pack("[o,o]", msg("human", "system_prompt_fallback", "sys2"),
				      msg("ai", "a2", "answer2")), 3) == 0, "append with a known id");
	is_thread(cs, "t1", 0, "sys2,hello,hi,q2,answer2",
		  "a message with a known id replaces the stored one in place");

	ok(append(cs, "t2", json_pack("[o]", msg("human", "h1", "other")), 1) == 0,
	   "another thread, same message id");
	is_thread(cs, "t2", 0, "other", "threads are apart");
	is_thread(cs, "t1", 0, "sys2,hello,hi,q2,answer2", "... and the first is unchanged");

	/* The bound: 6 messages.  Appending 3 more makes 8: the two oldest go. */
	json_t *call = msg("ai", "a3", "calls");
	json_object_set_new(json_object_get(call, "data"), "tool_calls",
			    json_pack("[{s:s, s:s, s:{}}]", "id", "c1", "name", "calculator", "args"));
	json_t *result = msg("tool", "r1", "42");
	json_object_set_new(json_object_get(result, "data"), "tool_call_id", json_string("c1"));
	ok(append(cs, "t1", json_pack("[o,o,o]", call, result, msg("ai", "a4", "done")), 4) == 0,
	   "append past the bound");
	is_thread(cs, "t1", 0, "hi,q2,answer2,calls,42,done", "the oldest trimmed first");

	/* Two more: the bound would keep "42" (a tool result) first: it goes too. */
	ok(append(cs, "t1", json_pack("[o,o,o,o]", msg("human", "h5", "q5"), msg("ai", "a5", "r5"),
				      msg("human", "h6", "q6"), msg("ai", "a6", "r6")), 5) == 0,
	   "append again");
	is_thread(cs, "t1", 0, "done,q5,r5,q6,r6",
		  "a thread never starts with a tool result whose call was trimmed");

	json_t *bad = json_pack("[o,s]", msg("human", "h7", "q7"), "x");
	ok(cstore_thread_append(cs, "t1", bad, "loop", 6, &err) == -1 && err != NULL,
	   "a malformed message is refused: %s", err ? err : "");
	json_decref(bad);
	free(err);
	err = NULL;
	is_thread(cs, "t1", 0, "done,q5,r5,q6,r6", "... and nothing was written");

	json_t *items = NULL;
	int64_t total = -1;
	ok(cstore_checkpoints_list(cs, "t1", 50, 0, &items, &total, &err) == 0, "list t1");
	/* Checkpoints 1 and 2 hold no message any more (trimmed or replaced). */
	is_int(total, 2, "t1 has the checkpoints that still hold messages");
	json_t *first = json_array_get(items, 0), *second = json_array_get(items, 1);
	is_int(json_integer_value(json_object_get(first, "step")), 5, "newest first");
	is_str(json_string_value(json_object_get(first, "source")), "loop", "source");
	is_str(json_string_value(json_object_get(first, "checkpoint_ns")), "", "checkpoint_ns");
	is_str(json_string_value(json_object_get(first, "parent_checkpoint_id")),
	       json_string_value(json_object_get(second, "checkpoint_id")),
	       "parent_checkpoint_id names the previous checkpoint");
	ok(json_integer_value(json_object_get(first, "blob_size")) > 0, "blob_size");
	ok(strcmp(json_string_value(json_object_get(first, "checkpoint_id")),
		  json_string_value(json_object_get(second, "checkpoint_id"))) > 0,
	   "checkpoint ids sort by time");
	char *second_id = xstrdup(json_string_value(json_object_get(second, "checkpoint_id")));
	json_decref(items);

	ok(cstore_checkpoints_list(cs, NULL, 1, 1, &items, &total, &err) == 0 && total == 3 &&
	   json_array_size(items) == 1, "all threads: total 3, a page of one");
	json_decref(items);

	const char *ids[] = { second_id };
	ok(cstore_delete_many(cs, NULL, 0, ids, 1, &err) == 0, "delete one checkpoint");
	is_thread(cs, "t1", 0, "q5,r5,q6,r6", "its messages went with it");
	free(second_id);

	ok(cstore_thread_delete(cs, "t1", &err) == 0, "delete thread t1");
	is_thread(cs, "t1", 0, "", "t1 is empty");
	is_thread(cs, "t2", 0, "other", "t2 stays");
	ok(append(cs, "t1", json_pack("[o]", msg("human", "h9", "again")), 1) == 0,
	   "a deleted thread starts again");
	is_thread(cs, "t1", 0, "again", "... from nothing");

	const char *threads[] = { "t1", "t2", "nope" };
	ok(cstore_delete_many(cs, threads, 3, NULL, 0, &err) == 0, "delete by thread ids");
	ok(cstore_checkpoints_list(cs, NULL, 50, 0, &items, &total, &err) == 0 && total == 0,
	   "nothing left");
	json_decref(items);
	free(err);
}

#define WRITERS 4
#define WRITES 25

/*
 * Appends from several processes at once to one thread, each with its own
 * handle (open_db: a new main database handle, or NULL for the file): no
 * write is lost or fails, and each writer's messages stay in its order.
 */
static void
concurrent_appends(const struct config *cfg, struct db *(*open_db)(void *), void *arg,
		   const char *label)
{
	for (int w = 0; w < WRITERS; w++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct db *db = open_db ? open_db(arg) : NULL;
			struct cstore *cs = cstore_open(cfg, db);
			int failed = 0;
			for (int i = 0; i < WRITES; i++) {
				char id[32], text[32];
				snprintf(id, sizeof(id), "w%d-%d", w, i);
				snprintf(text, sizeof(text), "%d", i);
				failed |= append(cs, "busy", json_pack("[o]", msg("human", id, text)), i) != 0;
			}
			cstore_close(cs);
			db_close(db);
			_exit(failed);
		}
	}
	int all_ok = 1;
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;
		wait(&status);
		all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	ok(all_ok, "%s: %d writers appended %d messages each to one thread, none failed", label,
	   WRITERS, WRITES);
	struct db *db = open_db ? open_db(arg) : NULL;
	struct cstore *cs = cstore_open(cfg, db);
	char *err = NULL;
	json_t *list = cstore_thread_load(cs, "busy", 0, &err);
	is_int(json_array_size(list), WRITERS * WRITES, "%s: every message is there", label);
	int next[WRITERS] = { 0 }, in_order = 1;
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		int w = -1, n = -1;
		const char *id = json_string_value(json_object_get(json_object_get(m, "data"), "id"));
		if (id == NULL || sscanf(id, "w%d-%d", &w, &n) != 2 || w < 0 || w >= WRITERS ||
		    n != next[w]++)
			in_order = 0;
	}
	ok(in_order, "%s: each writer's messages in its order", label);
	json_decref(list);
	cstore_thread_delete(cs, "busy", &err);
	free(err);
	cstore_close(cs);
	db_close(db);
}

static struct db *
open_url(void *url)
{
	char *err = NULL;
	struct db *db = db_open(url, &err);
	free(err);
	return db;
}

static struct config
config_for(const char *path, int in_database)
{
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.checkpoints_path = (char *)path;
	cfg.checkpoints_in_database = in_database;
	cfg.checkpoint_thread_max_messages = MAX_MESSAGES;
	return cfg;
}

static void
file_store(void)
{
	char dir[] = "/tmp/pipelit-cstore.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	char *path = xasprintf("%s/sub/checkpoints.db", dir);
	struct config cfg = config_for(path, 0);
	struct cstore *cs = cstore_open(&cfg, NULL);
	char *err = NULL;
	json_t *items = NULL;
	int64_t total = -1;

	is_thread(cs, "t1", 0, "", "no file: a thread is empty");
	ok(cstore_thread_delete(cs, "t1", &err) == 0, "no file: deleting a thread succeeds");
	ok(cstore_checkpoints_list(cs, NULL, 50, 0, &items, &total, &err) == 0 && total == 0,
	   "no file: nothing listed");
	json_decref(items);
	ok(access(path, F_OK) != 0 && errno == ENOENT, "reads and deletes created no file");

	mode_t old = umask(022);   /* the file is private whatever the umask */
	ok(append(cs, "t0", json_pack("[o]", msg("human", "h0", "first")), 1) == 0,
	   "the first write");
	umask(old);
	struct stat sb;
	ok(stat(path, &sb) == 0, "... creates the file");
	is_int(sb.st_mode & 0777, 0600, "mode 0600");
	ok(cstore_thread_delete(cs, "t0", &err) == 0, "clean up t0");

	store_behaviour(cs, "its own file");
	cstore_close(cs);
	struct config many = cfg;
	many.checkpoint_thread_max_messages = 1000;
	concurrent_appends(&many, NULL, NULL, "the file");

	/* Another process's handle sees what this one wrote. */
	cs = cstore_open(&cfg, NULL);
	ok(append(cs, "t3", json_pack("[o]", msg("human", "h1", "kept")), 1) == 0, "write, close");
	cstore_close(cs);
	cs = cstore_open(&cfg, NULL);
	is_thread(cs, "t3", 0, "kept", "a new handle reads it");
	cstore_close(cs);

	/* An executor's append waits for no disk and is visible at once; its
	 * pass then syncs the file once. */
	cs = cstore_open(&cfg, NULL);
	struct cstore *other = cstore_open(&cfg, NULL);
	ok(cstore_sync(cs, &err) == 0, "a sync with nothing written does nothing");
	json_t *lazy = json_pack("[o]", msg("human", "h2", "lazy"));
	ok(cstore_thread_append_lazy(cs, "t3", lazy, "loop", 2, &err) == 0, "a lazy append");
	json_decref(lazy);
	is_thread(other, "t3", 0, "kept,lazy", "another handle reads it before the sync");
	ok(cstore_sync(cs, &err) == 0, "the sync");
	ok(append(cs, "t3", json_pack("[o]", msg("human", "h3", "durable")), 3) == 0,
	   "a durable append after it");
	is_thread(other, "t3", 0, "kept,lazy,durable", "both in order");
	cstore_close(other);
	cstore_close(cs);

	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	char *sub = xasprintf("%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
	free(sub);
	free(wal);
	free(shm);
	free(path);
	free(err);
}

/* The file's tables and the migration's have the same columns. */
static void
schema_parity(struct db *main_db)
{
	char dir[] = "/tmp/pipelit-cstore.XXXXXX";
	if (mkdtemp(dir) == NULL)
		return;
	char *path = xasprintf("%s/c.db", dir);
	struct config cfg = config_for(path, 0);
	struct cstore *cs = cstore_open(&cfg, NULL);
	ok(append(cs, "t", json_pack("[o]", msg("human", "h", "x")), 1) == 0, "a file store");
	cstore_close(cs);
	char *url = xasprintf("sqlite:///%s", path), *err = NULL;
	struct db *file = db_open(url, &err);
	static const char *const tables[] = { "conversation_threads", "conversation_checkpoints",
					      "conversation_messages" };
	for (size_t i = 0; file != NULL && i < 3; i++) {
		char *sql = xasprintf("SELECT group_concat(name || ':' || type || ':' || \"notnull\" || "
				      "':' || pk, ',') FROM pragma_table_info('%s')", tables[i]);
		struct db_stmt *a = db_prepare(file, sql), *b = db_prepare(main_db, sql);
		char *x = NULL, *y = NULL;
		if (a && db_step(a) == DB_ROW)
			x = xstrdup(db_column_text(a, 0) ? db_column_text(a, 0) : "");
		if (b && db_step(b) == DB_ROW)
			y = xstrdup(db_column_text(b, 0) ? db_column_text(b, 0) : "");
		if (a)
			db_reset(a);
		if (b)
			db_reset(b);
		ok(x && y && strcmp(x, y) == 0, "%s: the file's columns are the migration's",
		   tables[i]);
		free(x);
		free(y);
		free(sql);
	}
	db_close(file);
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
	free(wal);
	free(shm);
	free(url);
	free(path);
	free(err);
}

static int64_t
count(struct db *db, const char *sql)
{
	int64_t n = -1;
	db_query_int64(db, sql, &n);
	return n;
}

static void
agent_checkpoints(struct db *db)
{
	db_exec(db, "INSERT INTO user_profiles (id, username) VALUES (1, 'alice')");
	db_exec(db, "INSERT INTO workflows (id, name, slug, owner_id, created_at, updated_at) VALUES "
		    "(10, 'A', 'wf-a', 1, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')");
	ok(db_exec(db, "INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, "
		       "thread_id) VALUES ('e1', 10, 1, 'x'), ('e2', 10, 1, 'y')") == 0,
	   "two executions");
	struct agent_checkpoint c;
	is_int(agent_checkpoint_load(db, "e1", "agent_1", &c), 0, "none yet");

	json_t *m1 = json_pack("[o]", msg("human", "h1", "hello"));
	json_t *m2 = json_pack("[o,o]", msg("human", "h1", "hello"), msg("ai", "a1", "hi"));
	json_t *st = json_pack("{s:i}", "tool_rounds", 1);
	ok(agent_checkpoint_save(db, "e1", "agent_1", 1, 1, m1, NULL) == 0, "save step 1");
	ok(agent_checkpoint_save(db, "e1", "agent_1", 1, 2, m2, st) == 0, "save step 2");
	ok(agent_checkpoint_save(db, "e1", "agent_2", 1, 7, m1, NULL) == 0, "another node");
	ok(agent_checkpoint_save(db, "e2", "agent_1", 1, 1, m1, NULL) == 0, "another execution");
	is_int(agent_checkpoint_load(db, "e1", "agent_1", &c), 1, "found");
	is_int(c.step, 2, "the newest step");
	is_int(json_array_size(c.messages), 2, "its messages");
	is_int(json_integer_value(json_object_get(c.loop_state, "tool_rounds")), 1, "its loop state");
	agent_checkpoint_clear(&c);
	is_int(count(db, "SELECT COUNT(*) FROM agent_checkpoints WHERE execution_id = 'e1' "
			 "AND node_id = 'agent_1'"), 1, "older rows of the node dropped");

	ok(agent_checkpoint_save(db, "e1", "agent_1", 2, 1, m1, NULL) == 0, "attempt 2, step 1");
	is_int(agent_checkpoint_load(db, "e1", "agent_1", &c), 1, "found");
	ok(c.attempt == 2 && c.step == 1 && json_object_size(c.loop_state) == 0,
	   "the newest attempt wins over a higher step of an older one");
	agent_checkpoint_clear(&c);

	ok(agent_checkpoint_save(db, "nope", "agent_1", 1, 1, m1, NULL) == DB_FAILED,
	   "an unknown execution is refused (foreign key)");
	ok(agent_checkpoint_delete(db, "e1", "agent_2") == 0, "delete one node's");
	is_int(count(db, "SELECT COUNT(*) FROM agent_checkpoints WHERE execution_id = 'e1'"), 1,
	       "the other node's stay");
	ok(db_exec(db, "DELETE FROM workflow_executions WHERE execution_id = 'e1'") == 0,
	   "delete execution e1");
	is_int(count(db, "SELECT COUNT(*) FROM agent_checkpoints WHERE execution_id = 'e1'"), 0,
	       "its checkpoints went with it");
	ok(agent_checkpoint_delete(db, "e2", NULL) == 0, "delete an execution's");
	is_int(count(db, "SELECT COUNT(*) FROM agent_checkpoints"), 0, "none left");
	json_decref(m1);
	json_decref(m2);
	json_decref(st);
}

static void
database_store(struct db *db, const char *label)
{
	struct config cfg = config_for("/nonexistent/never-created.db", 1);
	struct cstore *cs = cstore_open(&cfg, db);
	ok(cstore_in_database(cs), "CHECKPOINTS_STORE=database");
	store_behaviour(cs, label);
	char *err = NULL;
	json_t *lazy = json_pack("[o]", msg("human", "hl", "lazy"));
	ok(cstore_thread_append_lazy(cs, "tl", lazy, "loop", 1, &err) == 0,
	   "a lazy append to the main database");
	json_decref(lazy);
	is_thread(cs, "tl", 0, "lazy", "read back");
	ok(cstore_sync(cs, &err) == 0, "the sync: the main database's next durable commit covers it");
	ok(cstore_thread_delete(cs, "tl", &err) == 0, "clean up");
	free(err);
	cstore_close(cs);
	ok(access("/nonexistent/never-created.db", F_OK) != 0, "no file anywhere");
}

static void
sqlite_main(void)
{
	char *err = NULL;
	struct db *db = db_open_create("sqlite://", &err);
	if (db == NULL || migrate_upgrade(db, "head", &err) != 0) {
		ok(0, "migrated in-memory database: %s", err ? err : "");
		free(err);
		return;
	}
	database_store(db, "the main database (SQLite)");
	agent_checkpoints(db);
	schema_parity(db);
	db_close(db);
}

static void
pg_main(void)
{
	const char *url = getenv("PIPELIT_TEST_PG_URL");
	if (url == NULL || *url == '\0') {
		printf("# PostgreSQL skipped: PIPELIT_TEST_PG_URL not set\n");
		return;
	}
	char *err = NULL;
	struct db *db = db_open(url, &err);
	ok(db != NULL, "connects to PostgreSQL: %s", err ? err : "");
	if (db == NULL) {
		free(err);
		return;
	}
	char *ns = xasprintf("pipelit_cstore_%ld", (long)getpid());
	char *sql = xasprintf("CREATE SCHEMA %s; SET search_path TO %s", ns, ns);
	ok(db_exec(db, sql) == 0, "a schema of its own");
	free(sql);
	if (migrate_upgrade(db, "head", &err) == 0) {
		database_store(db, "the main database (PostgreSQL)");
		agent_checkpoints(db);
		char *scoped = xasprintf("%s%coptions=-csearch_path%%3D%s", url,
					 strchr(url, '?') ? '&' : '?', ns);
		struct config many = config_for("/nonexistent/never-created.db", 1);
		many.checkpoint_thread_max_messages = 1000;
		concurrent_appends(&many, open_url, scoped, "PostgreSQL");
		free(scoped);
	} else {
		ok(0, "migrated: %s", err ? err : "");
	}
	sql = xasprintf("SET search_path TO public; DROP SCHEMA %s CASCADE", ns);
	db_exec(db, sql);
	free(sql);
	free(ns);
	free(err);
	db_close(db);
}

static void
thread_is(const char *state_json, const char *want, const char *what)
{
	json_t *state = json_loads(state_json, 0, NULL);
	char *got = cstore_agent_thread_id(state, 7, "agent_1");
	is_str(got, want, "thread id: %s", what);
	free(got);
	json_decref(state);
}

static void
thread_ids(void)
{
	thread_is("{\"user_context\": {\"user_profile_id\": 3, \"chat_id\": null}}", "3:7",
		  "web chat: <user>:<workflow>");
	thread_is("{\"user_context\": {\"user_profile_id\": 3, \"chat_id\": \"c9\"}}", "3:c9:7",
		  "a chat id: <user>:<chat>:<workflow>");
	thread_is("{\"user_context\": {\"user_profile_id\": 3, \"chat_id\": 12345}}", "3:12345:7",
		  "a numeric chat id");
	thread_is("{\"user_context\": {\"user_profile_id\": 3, \"telegram_chat_id\": \"t1\"}}",
		  "3:t1:7", "telegram_chat_id");
	thread_is("{\"user_context\": {\"canonical_id\": \"telegram:1\"}}", "anon:7", "no user: anon");
	thread_is("{}", "anon:7", "no user_context");
	thread_is("{\"user_context\": {\"user_profile_id\": 0}}", "anon:7", "user 0 (nobody): anon");
	thread_is("{\"_is_child_execution\": true, \"execution_id\": \"e-1\", "
		  "\"user_context\": {\"user_profile_id\": 3}}", "exec:e-1:agent_1",
		  "a child execution: exec:<execution>:<node>");
}

int
main(void)
{
	log_open(LOG_LEVEL_WARNING, NULL);
	thread_ids();
	file_store();
	sqlite_main();
	pg_main();
	return done_testing();
}
