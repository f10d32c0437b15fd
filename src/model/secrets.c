/* secrets.c: see secrets.h. */
#include "secrets.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "model/workspace_env.h"
#include "util/progress.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Rows are read in id order, a batch at a time, so memory stays small
 * however many secrets there are. */
#define BATCH_ROWS 500

struct secret_column {
	const char *where;     /* table.column: bound into each ciphertext with the row key */
	const char *select;    /* row key, value of the rows after ?, BATCH_ROWS at most */
	const char *update;    /* value = ? where row key = ? */
	int clear_is_legacy;   /* a value in clear is one written before it was encrypted */
	const char *legacy;    /* a row in an older format, if there is one */
	const char *count;     /* how many values there are (the progress total) */
};

#define SELECT_AFTER(table, key, col)                                                   \
	"SELECT " key ", " col " FROM " table " WHERE " key " > ? AND " col " IS NOT NULL " \
	"AND " col " <> '' ORDER BY " key " LIMIT 500"
#define UPDATE_BY_KEY(table, key, col) "UPDATE " table " SET " col " = ? WHERE " key " = ?"
#define LEGACY_ROW(table, col, clear)                                                  \
	"SELECT 1 FROM " table " WHERE " col " LIKE 'v1:%' " clear " LIMIT 1"
#define COUNT_VALUES(table, col) \
	"SELECT count(*) FROM " table " WHERE " col " IS NOT NULL AND " col " <> ''"
#define CLEAR_TOO(col) "OR (" col " <> '' AND " col " NOT LIKE 'v2:%')"
#define COLUMN(table, key, col)                                                     \
	{ table "." col, SELECT_AFTER(table, key, col), UPDATE_BY_KEY(table, key, col), 0, \
	  LEGACY_ROW(table, col, ""), COUNT_VALUES(table, col) }
#define COLUMN_ONCE_CLEAR(table, key, col)                                          \
	{ table "." col, SELECT_AFTER(table, key, col), UPDATE_BY_KEY(table, key, col), 1, \
	  LEGACY_ROW(table, col, CLEAR_TOO(col)), COUNT_VALUES(table, col) }

/* The row key is the one the code that writes the value binds it to: the
 * user's id, or the credential's (base_credentials_id). */
static const struct secret_column columns[] = {
	COLUMN("user_profiles", "id", "totp_secret"),
	COLUMN("llm_credentials", "base_credentials_id", "api_key"),
	COLUMN_ONCE_CLEAR("llm_credentials", "base_credentials_id", "custom_headers"),
	COLUMN("git_credentials", "base_credentials_id", "ssh_private_key"),
	COLUMN("git_credentials", "base_credentials_id", "access_token"),
	COLUMN("git_credentials", "base_credentials_id", "webhook_secret"),
	COLUMN("webhook_paths", "node_pk", "secret"),
};

struct batch {
	int64_t ids[BATCH_ROWS];
	char *values[BATCH_ROWS];   /* owned: the stored (encrypted) text */
	size_t n;
};

static void
batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->values[i]);
	b->n = 0;
}

static int
read_batch(struct db *db, const struct secret_column *c, int64_t after, struct batch *b)
{
	struct db_stmt *st = db_prepare(db, c->select);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, after);
	int rc;
	while ((rc = db_step(st)) == DB_ROW && b->n < BATCH_ROWS) {
		b->ids[b->n] = db_column_int64(st, 0);
		b->values[b->n] = xstrdup(db_column_text(st, 1));
		b->n++;
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static int
write_value(struct db *db, const struct secret_column *c, int64_t id, const char *stored)
{
	struct db_stmt *st = db_prepare(db, c->update);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, stored, -1);
	db_bind_int64(st, 2, id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* The clear text of a stored value in any format this project wrote, or
 * NULL when the ring cannot open it here. */
static char *
open_any(const struct secret_column *c, const struct field_keyring *ring, int64_t row,
	 const char *stored)
{
	char *plain = NULL;
	if (!field_is_sealed(stored))
		return c->clear_is_legacy ? xstrdup(stored) : NULL;
	if (field_open(ring, c->where, row, stored, &plain) == 0 ||
	    field_open_legacy(ring, stored, &plain) == 0)
		return plain;
	return NULL;
}

/* Whether a value needs sealing again in this mode. */
static int
needs_reseal(const struct field_keyring *ring, const char *stored, enum reseal_mode mode)
{
	if (mode == RESEAL_ALL)
		return !field_is_current(ring, stored);
	return !field_is_sealed(stored) || strncmp(stored, "v1:", 3) == 0;
}

/* Re-seals one batch; the count, or -1 with *err set. */
static long
rotate_batch(struct db *db, const struct secret_column *c, const struct batch *b,
	     const struct field_keyring *ring, enum reseal_mode mode, long *skipped, char **err)
{
	long n = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (!needs_reseal(ring, b->values[i], mode))
			continue;
		char *plain = open_any(c, ring, b->ids[i], b->values[i]);
		if (plain == NULL && mode == RESEAL_LEGACY) {
			(*skipped)++;
			continue;
		}
		if (plain == NULL) {
			*err = xasprintf("%s of id %lld does not decrypt with FIELD_ENCRYPTION_KEY "
					 "or FIELD_ENCRYPTION_KEY_OLD (or was moved from another "
					 "row); nothing was changed", c->where,
					 (long long)b->ids[i]);
			return -1;
		}
		char *stored = field_seal(ring, c->where, b->ids[i], plain);
		sodium_memzero(plain, strlen(plain));
		free(plain);
		int rc = write_value(db, c, b->ids[i], stored);
		free(stored);
		if (rc != 0) {
			*err = xasprintf("cannot update %s of id %lld: %s", c->where,
					 (long long)b->ids[i], db_errmsg(db));
			return -1;
		}
		n++;
	}
	return n;
}

static long
rotate_column(struct db *db, const struct secret_column *c, const struct field_keyring *ring,
	      enum reseal_mode mode, struct progress *progress, long *skipped, char **err)
{
	progress_stage(progress, c->where);
	struct batch *b = xcalloc(1, sizeof(*b));
	long total = 0;
	int64_t after = 0;
	for (;;) {
		if (read_batch(db, c, after, b) != 0) {
			*err = xasprintf("cannot read %s: %s", c->where, db_errmsg(db));
			total = -1;
			break;
		}
		if (b->n == 0)
			break;
		long n = rotate_batch(db, c, b, ring, mode, skipped, err);
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
		progress_add(progress, (int64_t)b->n);
		after = b->ids[b->n - 1];
		batch_clear(b);
	}
	batch_clear(b);
	free(b);
	return total;
}

/* The number of stored values in every column, for the progress total;
 * 0 when it cannot be read (the progress then shows no total). */
static int64_t
count_values(struct db *db)
{
	int64_t all = 0, n;
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		if (db_query_int64(db, columns[i].count, &n) != 0)
			return 0;
		all += n;
	}
	return all + wsenv_count_rows(db);
}

long
secrets_reseal(struct db *db, const struct field_keyring *ring, enum reseal_mode mode,
	       struct progress *progress, long *skipped, char **err)
{
	*err = NULL;
	*skipped = 0;
	if (db_begin_write(db) != 0) {
		*err = xasprintf("cannot start a write transaction: %s", db_errmsg(db));
		return -1;
	}
	if (progress != NULL)
		progress_set_total(progress, count_values(db));
	long total = 0;
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		long n = rotate_column(db, &columns[i], ring, mode, progress, skipped, err);
		if (n < 0) {
			db_rollback(db);
			return -1;
		}
		total += n;
	}
	/* Workspace variables: sealed values inside a JSON list, one per
	 * variable (always in the bound format, so nothing to convert). */
	if (mode == RESEAL_ALL) {
		long n = wsenv_reseal(db, ring, progress, err);
		if (n < 0) {
			db_rollback(db);
			return -1;
		}
		total += n;
	}
	if (db_commit(db) != 0) {
		*err = xasprintf("cannot commit: %s", db_errmsg(db));
		return -1;
	}
	return total;
}

/* 1 when some stored value is in an older format, 0 when none, -1 on error.
 * Read only, so the usual start takes no write lock. */
static int
any_legacy(struct db *db)
{
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		struct db_stmt *st = db_prepare(db, columns[i].legacy);
		if (st == NULL)
			return -1;
		int rc = db_step(st);
		db_reset(st);
		if (rc == DB_ROW)
			return 1;
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}

void
secrets_convert_at_start(struct db *db, const char *key_text, const char *old_text)
{
	struct field_keyring ring;
	if (key_text == NULL || crypto_init() != 0 || any_legacy(db) == 0)
		return;
	if (field_keyring_init(&ring, key_text, old_text) != 0) {
		log_warn("stored secrets not checked: FIELD_ENCRYPTION_KEY does not decode");
		return;
	}
	char *err = NULL;
	long skipped = 0;
	long n = secrets_reseal(db, &ring, RESEAL_LEGACY, NULL, &skipped, &err);
	field_keyring_wipe(&ring);
	if (n < 0) {
		log_error("converting stored secrets to the bound format failed: %s", err);
		free(err);
		return;
	}
	if (n > 0)
		log_info("sealed %ld stored secret%s in the bound format (bound to their row)", n,
			 n == 1 ? "" : "s");
	if (skipped > 0)
		log_warn("%ld stored secret%s in the old format do not decrypt with "
			 "FIELD_ENCRYPTION_KEY or FIELD_ENCRYPTION_KEY_OLD; left as they are", skipped,
			 skipped == 1 ? "" : "s");
}
