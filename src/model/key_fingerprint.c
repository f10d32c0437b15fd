/* key_fingerprint.c: see key_fingerprint.h. */
#include "key_fingerprint.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static int
record_if_absent(struct db *db, const char *name, const char *fp)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO key_fingerprints (name, fingerprint, "
					    "created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1);
	db_bind_text(st, 2, fp, -1);
	db_bind_text(st, 3, now, -1);
	int rc = db_step(st) == DB_DONE ? 0 : -1;
	db_reset(st);
	return rc;
}

/* 1 when the recorded fingerprint equals fp, 0 when not, -1 on error. */
static int
recorded_equals(struct db *db, const char *name, const char *fp)
{
	struct db_stmt *st = db_prepare(db, "SELECT fingerprint FROM key_fingerprints WHERE name = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1);
	int rc = -1;
	if (db_step(st) == DB_ROW) {
		const char *have = db_column_text(st, 0);
		rc = have != NULL && strlen(have) == strlen(fp) &&
		     crypto_equal(have, fp, strlen(fp));
	}
	db_reset(st);
	return rc;
}

int
key_fingerprint_check(struct db *db, const char *name, const char *key)
{
	char fp[KEY_FINGERPRINT_HEX_LEN + 1];
	key_fingerprint(name, key, fp);
	if (db_begin_write(db) != 0)
		return KEY_FP_DB_ERROR;
	int same = record_if_absent(db, name, fp) == 0 ? recorded_equals(db, name, fp) : -1;
	if (same < 0) {
		log_error("key fingerprints: %s", db_errmsg(db));
		db_rollback(db);
		return KEY_FP_DB_ERROR;
	}
	if (db_commit(db) != 0)
		return KEY_FP_DB_ERROR;
	return same ? KEY_FP_OK : KEY_FP_DIFFERS;
}

int
secret_key_check_shared(struct db *db, const char *secret_key, char **err)
{
	*err = NULL;
	if (secret_key == NULL) {
		*err = xstrdup("no SECRET_KEY: set one, or let 'pipelit serve' generate it");
		return -1;
	}
	int rc = key_fingerprint_check(db, "SECRET_KEY", secret_key);
	if (rc == KEY_FP_OK)
		return 0;
	if (rc == KEY_FP_DIFFERS)
		*err = xstrdup("SECRET_KEY differs from the key recorded in the database by the "
			       "first host that used it. Every host sharing one database must use "
			       "the same SECRET_KEY: copy SECRET_KEY (or <data dir>/secret_key) from "
			       "a running host. To change the key on purpose, see 'Changing "
			       "SECRET_KEY' in doc/security.md");
	else
		*err = xasprintf("cannot check SECRET_KEY against the database: %s",
				 db_errmsg(db));
	return -1;
}
