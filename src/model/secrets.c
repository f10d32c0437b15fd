/* secrets.c: see secrets.h. */
#include "secrets.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/xalloc.h"

/* Rows are read in id order, a batch at a time, so memory stays small
 * however many secrets there are. */
#define BATCH_ROWS 500

struct secret_column {
	const char *name;      /* table.column, for messages */
	const char *select;    /* id, value of the rows after id ?, BATCH_ROWS at most */
	const char *update;    /* value = ? where id = ? */
};

#define SELECT_AFTER(table, col)                                                   \
	"SELECT id, " col " FROM " table " WHERE id > ? AND " col " IS NOT NULL AND " \
	col " <> '' ORDER BY id LIMIT 500"
#define UPDATE_BY_ID(table, col) "UPDATE " table " SET " col " = ? WHERE id = ?"
#define COLUMN(table, col) \
	{ table "." col, SELECT_AFTER(table, col), UPDATE_BY_ID(table, col) }

static const struct secret_column columns[] = {
	COLUMN("user_profiles", "totp_secret"),
	COLUMN("llm_credentials", "api_key"),
	COLUMN("git_credentials", "ssh_private_key"),
	COLUMN("git_credentials", "access_token"),
	COLUMN("git_credentials", "webhook_secret"),
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

/* Re-encrypts one batch; the count, or -1 with *err set. */
static long
rotate_batch(struct db *db, const struct secret_column *c, const struct batch *b,
	     const unsigned char *old_key, const unsigned char *new_key, char **err)
{
	for (size_t i = 0; i < b->n; i++) {
		char *plain = NULL;
		if (field_decrypt(old_key, b->values[i], &plain) != 0) {
			*err = xasprintf("%s of id %lld does not decrypt with the current "
					 "FIELD_ENCRYPTION_KEY; nothing was changed",
					 c->name, (long long)b->ids[i]);
			return -1;
		}
		char *stored = field_encrypt(new_key, plain);
		sodium_memzero(plain, strlen(plain));
		free(plain);
		int rc = write_value(db, c, b->ids[i], stored);
		free(stored);
		if (rc != 0) {
			*err = xasprintf("cannot update %s of id %lld: %s", c->name,
					 (long long)b->ids[i], db_errmsg(db));
			return -1;
		}
	}
	return (long)b->n;
}

static long
rotate_column(struct db *db, const struct secret_column *c, const unsigned char *old_key,
	      const unsigned char *new_key, char **err)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	long total = 0;
	int64_t after = 0;
	for (;;) {
		if (read_batch(db, c, after, b) != 0) {
			*err = xasprintf("cannot read %s: %s", c->name, db_errmsg(db));
			total = -1;
			break;
		}
		if (b->n == 0)
			break;
		long n = rotate_batch(db, c, b, old_key, new_key, err);
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
		after = b->ids[b->n - 1];
		batch_clear(b);
	}
	batch_clear(b);
	free(b);
	return total;
}

long
secrets_rotate(struct db *db, const unsigned char old_key[FIELD_KEY_BYTES],
	       const unsigned char new_key[FIELD_KEY_BYTES], char **err)
{
	*err = NULL;
	if (db_begin_write(db) != 0) {
		*err = xasprintf("cannot start a write transaction: %s", db_errmsg(db));
		return -1;
	}
	long total = 0;
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		long n = rotate_column(db, &columns[i], old_key, new_key, err);
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
