/*
 * cstore_admin.c: the conversation store as the admin API sees it
 * (pipelit-api.md 3.11): checkpoints listed newest first, and deleted by
 * thread or by checkpoint.  A store whose file does not exist lists
 * nothing and deletes nothing, and stays without a file.
 */
#include <stdlib.h>

#include "checkpoints/cstore_internal.h"
#include "db/db.h"
#include "util/xalloc.h"

/* Binds the optional thread filter (CAST(? AS TEXT) IS NULL OR thread_id = ?). */
static void
bind_filter(struct db_stmt *st, const char *thread_id)
{
	db_bind_text(st, 1, thread_id, -1);
	db_bind_text(st, 2, thread_id, -1);
}

static json_t *
checkpoint_out(struct db_stmt *st)
{
	const char *ns = db_column_text(st, 1), *parent = db_column_text(st, 3),
		   *source = db_column_text(st, 5);
	json_t *o = json_object();
	json_object_set_new(o, "thread_id", json_string(db_column_text(st, 0)));
	json_object_set_new(o, "checkpoint_ns", json_string(ns ? ns : ""));
	json_object_set_new(o, "checkpoint_id", json_string(db_column_text(st, 2)));
	json_object_set_new(o, "parent_checkpoint_id", parent ? json_string(parent) : json_null());
	json_object_set_new(o, "step", db_column_is_null(st, 4) ? json_null()
							       : json_integer(db_column_int64(st, 4)));
	json_object_set_new(o, "source", source ? json_string(source) : json_null());
	json_object_set_new(o, "blob_size", json_integer(db_column_is_null(st, 6)
								 ? 0 : db_column_int64(st, 6)));
	return o;
}

static int
list_page(struct db *db, const char *thread_id, int64_t limit, int64_t offset, json_t *items,
	  int64_t *total)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT COUNT(*) FROM conversation_checkpoints "
		"WHERE CAST(? AS TEXT) IS NULL OR thread_id = ?");
	if (st == NULL)
		return -1;
	bind_filter(st, thread_id);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*total = db_column_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW)
		return -1;
	st = db_prepare(db,
		"SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, step, source, "
		"blob_size FROM conversation_checkpoints "
		"WHERE CAST(? AS TEXT) IS NULL OR thread_id = ? "
		"ORDER BY checkpoint_id DESC, thread_id, checkpoint_ns LIMIT ? OFFSET ?");
	if (st == NULL)
		return -1;
	bind_filter(st, thread_id);
	db_bind_int64(st, 3, limit);
	db_bind_int64(st, 4, offset);
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, checkpoint_out(st));
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

int
cstore_checkpoints_list(struct cstore *cs, const char *thread_id, int64_t limit,
			int64_t offset, json_t **items, int64_t *total, char **err)
{
	int absent;
	*items = json_array();
	*total = 0;
	struct db *db = cstore_reader(cs, &absent, err);
	if (db == NULL) {
		if (absent)
			return 0;
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	/* One snapshot, so the total and the page agree. */
	if (db_begin(db) != 0 || list_page(db, thread_id, limit, offset, *items, total) != 0 ||
	    db_commit(db) != 0) {
		json_decref(*items);
		*items = NULL;
		return cstore_fail(cs, db, "the checkpoint store cannot be read", err);
	}
	return 0;
}

static int
delete_checkpoint(struct db *db, const char *checkpoint_id)
{
	static const char *const sql[] = {
		"DELETE FROM conversation_messages WHERE checkpoint_id = ?",
		"DELETE FROM conversation_checkpoints WHERE checkpoint_id = ?",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		struct db_stmt *st = db_prepare(db, sql[i]);
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, checkpoint_id, -1);
		int rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}

int
cstore_delete_many(struct cstore *cs, const char *const *thread_ids, size_t n_threads,
		   const char *const *checkpoint_ids, size_t n_checkpoints, char **err)
{
	if (n_threads == 0 && n_checkpoints == 0)
		return 0;
	int absent;
	struct db *db = cstore_reader(cs, &absent, err);
	if (db == NULL)
		return absent ? 0 : -1;
	int rc = db_begin_write(db);
	for (size_t i = 0; rc == 0 && i < n_threads; i++)
		rc = cstore_delete_thread_rows(db, thread_ids[i]);
	for (size_t i = 0; rc == 0 && i < n_checkpoints; i++)
		rc = delete_checkpoint(db, checkpoint_ids[i]);
	if (rc == 0)
		rc = db_commit(db);
	if (rc != 0)
		return cstore_fail(cs, db, "the checkpoints could not be deleted", err);
	return 0;
}
