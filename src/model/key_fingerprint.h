/*
 * key_fingerprint.h: keys that every host sharing one database must agree
 * on (table key_fingerprints).  The first process to check a key records
 * its fingerprint; later ones compare theirs with it.
 */
#ifndef PIPELIT_MODEL_KEY_FINGERPRINT_H
#define PIPELIT_MODEL_KEY_FINGERPRINT_H

struct db;

enum key_fp_result {
	KEY_FP_OK = 0,          /* recorded now, or the same as recorded */
	KEY_FP_DIFFERS = 1,     /* another key was recorded */
	KEY_FP_DB_ERROR = -1,
};

/* Records or compares the fingerprint of key under name. */
int key_fingerprint_check(struct db *db, const char *name, const char *key);

/*
 * The check for SECRET_KEY as 'serve' and 'fcgi' run it after migrating:
 * 0, or -1 with a malloc'd message for the operator in *err.
 */
int secret_key_check_shared(struct db *db, const char *secret_key, char **err);

#endif
