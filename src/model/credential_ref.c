/* credential_ref.c: see credential_ref.h. */
#include "credential_ref.h"

#include <stddef.h>

#include "db/db.h"
#include "util/xalloc.h"

int
credential_ref_describe(struct db *db, int64_t id, char **name, char **type)
{
	*name = *type = NULL;
	struct db_stmt *st = db_prepare(db, "SELECT name, credential_type FROM credentials WHERE id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		const char *n = db_column_text(st, 0), *t = db_column_text(st, 1);
		*name = xstrdup(n ? n : "");
		*type = xstrdup(t ? t : "");
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return db_abandon(db);
	return rc == DB_ROW ? CREDREF_OK : CREDREF_NONE;
}

int
credential_ref_resolve(struct db *db, int64_t user_id, const char *name, const char *type,
		       int64_t *id)
{
	*id = 0;
	/* Two rows are enough to know the reference is ambiguous. */
	struct db_stmt *st = db_prepare(db, "SELECT id FROM credentials WHERE user_profile_id = ? "
					    "AND name = ? AND credential_type = ? ORDER BY id LIMIT 2");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, name, -1);
	db_bind_text(st, 3, type, -1);
	int rc, rows = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (rows++ == 0)
			*id = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return db_abandon(db);
	if (rows != 1)
		*id = 0;
	return rows == 0 ? CREDREF_NONE : rows == 1 ? CREDREF_OK : CREDREF_AMBIGUOUS;
}

int
credential_ref_owned(struct db *db, int64_t user_id, int64_t id)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM credentials WHERE id = ? AND user_profile_id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR)
		return db_abandon(db);
	return rc == DB_ROW ? CREDREF_OK : CREDREF_NONE;
}
