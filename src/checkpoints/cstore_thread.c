/*
 * cstore_thread.c: a thread's messages: load, append (dedup by message id,
 * then the bound), delete.  The SQL runs unchanged in the file and in the
 * main database on either backend (doc/dialect.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "checkpoints/cstore_internal.h"
#include "db/db.h"
#include "util/xalloc.h"

#define ID_LEN 37   /* 36 characters and the NUL */

/* --- ids --------------------------------------------------------------- */

static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got <= 0)
			break;
		p += got;
		n -= (size_t)got;
	}
}

/* The microseconds a checkpoint id of ours starts with (its first 16 hex
 * digits, dashes skipped), or -1 for any other id. */
static int64_t
id_time(const char *id)
{
	if (id == NULL || strlen(id) != ID_LEN - 1)
		return -1;
	char hex[17];
	size_t n = 0;
	for (const char *p = id; *p && n < 16; p++) {
		if (*p == '-')
			continue;
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
		hex[n++] = *p;
	}
	hex[n] = '\0';
	return n == 16 ? (int64_t)strtoull(hex, NULL, 16) : -1;
}

/*
 * A checkpoint id: the time in microseconds in its first 16 hex digits,
 * then randomness, in the shape of a UUID.  Ids of one thread sort in the
 * order they were written (ORDER BY checkpoint_id DESC is newest first):
 * a clock that went back still gives a larger id than the parent's.
 */
static void
checkpoint_id_make(const char *parent, char out[ID_LEN])
{
	int64_t t = now_us(), pt = id_time(parent);
	if (pt >= 0 && t <= pt)
		t = pt + 1;
	unsigned char r[8];
	random_bytes(r, sizeof(r));
	uint64_t u = (uint64_t)t;
	snprintf(out, ID_LEN, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u >> 32, (u >> 16) & 0xffff, u & 0xffff, r[0], r[1], r[2], r[3], r[4], r[5], r[6],
		 r[7]);
}

/* A random (version 4) UUID for a message that came without an id. */
static void
message_id_make(char out[ID_LEN])
{
	unsigned char r[16];
	random_bytes(r, sizeof(r));
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, ID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
		 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
		 r[15]);
}

/* --- load -------------------------------------------------------------- */

json_t *
cstore_thread_load(struct cstore *cs, const char *thread_id, int limit, char **err)
{
	int absent;
	struct db *db = cstore_reader(cs, &absent, err);
	if (db == NULL)
		return absent ? json_array() : NULL;
	struct db_stmt *st = db_prepare(db, limit > 0
		? "SELECT message FROM conversation_messages WHERE thread_id = ? "
		  "ORDER BY seq DESC LIMIT ?"
		: "SELECT message FROM conversation_messages WHERE thread_id = ? ORDER BY seq DESC");
	if (st == NULL)
		return cstore_fail(cs, db, "the checkpoint store cannot be read", err), NULL;
	db_bind_text(st, 1, thread_id, -1);
	if (limit > 0)
		db_bind_int64(st, 2, limit);
	json_t *newest_first = json_array();
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		size_t len;
		const char *text = db_column_text_n(st, 0, &len);
		json_t *m = text ? json_loadb(text, len, 0, NULL) : NULL;
		if (json_is_object(m))
			json_array_append_new(newest_first, m);
		else
			json_decref(m);   /* not ours: skipped rather than failing the thread */
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		json_decref(newest_first);
		return cstore_fail(cs, db, "the checkpoint store cannot be read", err), NULL;
	}
	json_t *out = json_array();
	for (size_t i = json_array_size(newest_first); i > 0; i--)
		json_array_append(out, json_array_get(newest_first, i - 1));
	json_decref(newest_first);
	return out;
}

/* --- append ------------------------------------------------------------ */

/* The messages to write, each with its id: a new array, or NULL with
 * *err when one is not a canonical message. */
static json_t *
prepared_messages(const json_t *messages, char **err)
{
	if (!json_is_array(messages)) {
		*err = xstrdup("the messages to append must be a JSON array");
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(messages, i, m) {
		json_t *data = json_object_get(m, "data");
		if (!json_is_string(json_object_get(m, "type")) || !json_is_object(data)) {
			*err = xasprintf("message %zu is not a canonical message ({type, data})", i);
			json_decref(out);
			return NULL;
		}
		json_t *copy = json_deep_copy(m);
		json_t *id = json_object_get(data, "id");
		if (!json_is_string(id) || json_string_length(id) == 0) {
			char made[ID_LEN];
			message_id_make(made);
			json_object_set_new(json_object_get(copy, "data"), "id", json_string(made));
		}
		json_array_append_new(out, copy);
	}
	return out;
}

/* Locks the thread's row (creating it) and reads its last position and
 * checkpoint: concurrent appends to one thread queue up here. */
static int
lock_thread(struct db *db, const char *thread_id, int64_t now_ms, int64_t *last_seq,
	    char **parent)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO conversation_threads (thread_id, last_seq, updated_ms) VALUES (?, 0, ?) "
		"ON CONFLICT (thread_id) DO UPDATE SET updated_ms = excluded.updated_ms "
		"RETURNING last_seq, last_checkpoint_id");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, thread_id, -1);
	db_bind_int64(st, 2, now_ms);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*last_seq = db_column_int64(st, 0);
		const char *p = db_column_text(st, 1);
		*parent = p ? xstrdup(p) : NULL;
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

/* Writes one message: replaces the thread's message with its id, else
 * adds it at the next position.  Adds its size to *bytes. */
static int
put_message(struct db *db, const char *thread_id, const char *checkpoint_id, const json_t *m,
	    int64_t *last_seq, int64_t *bytes)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	const char *id = json_string_value(json_object_get(json_object_get(m, "data"), "id"));
	char *text = json_dumps(m, JSON_COMPACT);
	if (text == NULL)
		return -1;
	*bytes += (int64_t)strlen(text);
	struct db_stmt *st = db_prepare(db,
		"UPDATE conversation_messages SET message = ?, type = ?, checkpoint_id = ? "
		"WHERE thread_id = ? AND message_id = ?");
	int rc = -1;
	if (st != NULL) {
		db_bind_text(st, 1, text, -1);
		db_bind_text(st, 2, type, -1);
		db_bind_text(st, 3, checkpoint_id, -1);
		db_bind_text(st, 4, thread_id, -1);
		db_bind_text(st, 5, id, -1);
		rc = db_step(st) == DB_DONE ? (db_changes(st) > 0 ? 1 : 0) : -1;
		db_reset(st);
	}
	if (rc == 0) {
		st = db_prepare(db, "INSERT INTO conversation_messages "
				    "(thread_id, seq, message_id, checkpoint_id, type, message) "
				    "VALUES (?, ?, ?, ?, ?, ?)");
		rc = -1;
		if (st != NULL) {
			db_bind_text(st, 1, thread_id, -1);
			db_bind_int64(st, 2, ++*last_seq);
			db_bind_text(st, 3, id, -1);
			db_bind_text(st, 4, checkpoint_id, -1);
			db_bind_text(st, 5, type, -1);
			db_bind_text(st, 6, text, -1);
			rc = db_step(st) == DB_DONE ? 0 : -1;
			db_reset(st);
		}
	}
	free(text);
	return rc < 0 ? -1 : 0;
}

static int
put_checkpoint(struct db *db, const char *thread_id, const char *checkpoint_id,
	       const char *parent, const char *source, int step, int64_t bytes, int64_t now_ms)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO conversation_checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
		"parent_checkpoint_id, step, source, blob_size, created_ms) "
		"VALUES (?, '', ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, thread_id, -1);
	db_bind_text(st, 2, checkpoint_id, -1);
	db_bind_text(st, 3, parent, -1);   /* NULL binds NULL */
	db_bind_int64(st, 4, step);
	db_bind_text(st, 5, source, -1);
	db_bind_int64(st, 6, bytes);
	db_bind_int64(st, 7, now_ms);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* A one-value query bound with the thread id and an optional integer:
 * 1 with *out, 0 for no row or NULL, -1 on error. */
static int
query_int(struct db *db, const char *sql, const char *thread_id, int64_t arg, int has_arg,
	  int64_t *out)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, thread_id, -1);
	if (has_arg)
		db_bind_int64(st, 2, arg);
	int rc = db_step(st), found = 0;
	if (rc == DB_ROW && !db_column_is_null(st, 0)) {
		*out = db_column_int64(st, 0);
		found = 1;
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : found;
}

static int
exec_thread(struct db *db, const char *sql, const char *thread_id, const char *text,
	    int64_t arg, int has_arg)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, thread_id, -1);
	int i = 2;
	if (text != NULL)
		db_bind_text(st, i++, text, -1);
	if (has_arg)
		db_bind_int64(st, i, arg);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The bound: past max messages the oldest go, and then any tool results
 * left at the start (their call went with the trimmed part; a provider
 * refuses a tool result without its call).  Checkpoints left holding no
 * message go too, but the newest, which the next append names as parent.
 */
static int
trim_thread(struct db *db, const char *thread_id, const char *checkpoint_id, long max)
{
	int64_t n = 0, keep_from = 0;
	if (query_int(db, "SELECT COUNT(*) FROM conversation_messages WHERE thread_id = ?",
		      thread_id, 0, 0, &n) < 0)
		return -1;
	if (n > max) {
		if (query_int(db, "SELECT seq FROM conversation_messages WHERE thread_id = ? "
				  "ORDER BY seq DESC LIMIT 1 OFFSET ?",
			      thread_id, max - 1, 1, &keep_from) < 0)
			return -1;
		int64_t first = 0;
		int rc = query_int(db, "SELECT MIN(seq) FROM conversation_messages WHERE thread_id = ? "
				       "AND seq >= ? AND type <> 'tool'",
				   thread_id, keep_from, 1, &first);
		if (rc < 0)
			return -1;
		keep_from = rc == 1 ? first : INT64_MAX;
		if (exec_thread(db, "DELETE FROM conversation_messages WHERE thread_id = ? AND seq < ?",
				thread_id, NULL, keep_from, 1) != 0)
			return -1;
	}
	return exec_thread(db,
		"DELETE FROM conversation_checkpoints WHERE thread_id = ? AND checkpoint_id <> ? "
		"AND NOT EXISTS (SELECT 1 FROM conversation_messages m "
		"WHERE m.thread_id = conversation_checkpoints.thread_id "
		"AND m.checkpoint_id = conversation_checkpoints.checkpoint_id)",
		thread_id, checkpoint_id, 0, 0);
}

static int append(struct cstore *cs, struct db *db, const char *thread_id, json_t *list,
		  const char *source, int step);

/* Appends, waiting for the disk when durable. */
static int
append_as(struct cstore *cs, const char *thread_id, const json_t *messages, const char *source,
	  int step, int durable, char **err)
{
	cs->failed = NULL;
	if (thread_id == NULL || *thread_id == '\0') {
		*err = xstrdup("a thread needs an id");
		return -1;
	}
	json_t *list = prepared_messages(messages, err);
	if (list == NULL)
		return -1;
	if (json_array_size(list) == 0) {
		json_decref(list);
		return 0;
	}
	struct db *db = cstore_writer(cs, err);
	if (db == NULL) {
		json_decref(list);
		return -1;
	}
	if (!durable && db_set_commit_durable(db, 0) != 0) {
		json_decref(list);
		return cstore_fail(cs, db, "the conversation could not be saved", err);
	}
	int rc = append(cs, db, thread_id, list, source, step);
	if (rc != 0)
		rc = cstore_fail(cs, db, "the conversation could not be saved", err);
	/* After the transaction is over (PostgreSQL refuses a SET inside a
	 * failed one). */
	if (!durable)
		db_set_commit_durable(db, 1);
	if (rc != 0)
		return rc;
	if (!durable && db != cs->main && (cs->unsynced == NULL || strcmp(cs->unsynced, thread_id) != 0)) {
		/* The pass's barrier makes the file durable (cstore_sync). */
		free(cs->unsynced);
		cs->unsynced = xstrdup(thread_id);
	}
	return 0;
}

int
cstore_thread_append(struct cstore *cs, const char *thread_id, const json_t *messages,
		     const char *source, int step, char **err)
{
	return append_as(cs, thread_id, messages, source, step, 1, err);
}

int
cstore_thread_append_lazy(struct cstore *cs, const char *thread_id, const json_t *messages,
			  const char *source, int step, char **err)
{
	return append_as(cs, thread_id, messages, source, step, 0, err);
}

/*
 * The lazy appends made durable: the database's durability barrier (on
 * SQLite the shared log sync every durable commit waits for), which
 * covers every commit before it.
 */
int
cstore_sync(struct cstore *cs, char **err)
{
	if (cs == NULL || cs->unsynced == NULL || cs->file == NULL)
		return 0;
	struct db *db = cs->file;
	cs->failed = NULL;
	if (db_make_durable(db) != 0)
		return cstore_fail(cs, db, "the conversation could not be made durable", err);
	free(cs->unsynced);
	cs->unsynced = NULL;
	return 0;
}

/* The append's transaction on db: 0 committed, or -1 (the caller
 * abandons it).  Takes list. */
static int
append(struct cstore *cs, struct db *db, const char *thread_id, json_t *list, const char *source,
       int step)
{
	int64_t now_ms = now_us() / 1000, last_seq = 0, bytes = 0;
	char *parent = NULL, checkpoint_id[ID_LEN];
	int rc = db_begin_write(db);
	if (rc == 0)
		rc = lock_thread(db, thread_id, now_ms, &last_seq, &parent);
	if (rc == 0)
		checkpoint_id_make(parent, checkpoint_id);
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		if (rc == 0)
			rc = put_message(db, thread_id, checkpoint_id, m, &last_seq, &bytes);
	}
	json_decref(list);
	if (rc == 0)
		rc = put_checkpoint(db, thread_id, checkpoint_id, parent, source, step, bytes, now_ms);
	free(parent);
	if (rc == 0)
		rc = trim_thread(db, thread_id, checkpoint_id, cs->max_messages);
	if (rc == 0) {
		struct db_stmt *st = db_prepare(db,
			"UPDATE conversation_threads SET last_seq = ?, last_checkpoint_id = ? "
			"WHERE thread_id = ?");
		rc = -1;
		if (st != NULL) {
			db_bind_int64(st, 1, last_seq);
			db_bind_text(st, 2, checkpoint_id, -1);
			db_bind_text(st, 3, thread_id, -1);
			rc = db_step(st) == DB_DONE ? 0 : -1;
			db_reset(st);
		}
	}
	if (rc == 0)
		rc = db_commit(db);
	return rc;
}

/* --- delete ------------------------------------------------------------ */

int
cstore_delete_thread_rows(struct db *db, const char *thread_id)
{
	static const char *const sql[] = {
		"DELETE FROM conversation_messages WHERE thread_id = ?",
		"DELETE FROM conversation_checkpoints WHERE thread_id = ?",
		"DELETE FROM conversation_threads WHERE thread_id = ?",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (exec_thread(db, sql[i], thread_id, NULL, 0, 0) != 0)
			return -1;
	return 0;
}

int
cstore_thread_delete(struct cstore *cs, const char *thread_id, char **err)
{
	return cstore_delete_many(cs, &thread_id, 1, NULL, 0, err);
}
