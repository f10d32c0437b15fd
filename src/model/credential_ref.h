/*
 * credential_ref.h: credentials as a workflow document names them, by name
 * and credential_type, never by row id (ids mean nothing on another
 * instance, and an id copied from another user's document would attach
 * whatever credential carries it here).  Only names and types are read:
 * no secret passes through this file.
 */
#ifndef PIPELIT_MODEL_CREDENTIAL_REF_H
#define PIPELIT_MODEL_CREDENTIAL_REF_H

#include <stdint.h>

#include "db/db.h"

struct db;

enum credential_ref_result {
	CREDREF_OK = 0,
	CREDREF_NONE = 1,          /* nothing matches */
	CREDREF_AMBIGUOUS = 2,     /* more than one of the user's credentials matches */
	CREDREF_DB_ERROR = DB_FAILED,
};

/* The name and credential_type of credential id (both malloc'd). */
int credential_ref_describe(struct db *db, int64_t id, char **name, char **type);

/* The id of the one credential of user_id with this name and type:
 * CREDREF_OK, CREDREF_NONE or CREDREF_AMBIGUOUS (never a guess). */
int credential_ref_resolve(struct db *db, int64_t user_id, const char *name, const char *type,
			   int64_t *id);

/* CREDREF_OK when credential id belongs to user_id, else CREDREF_NONE. */
int credential_ref_owned(struct db *db, int64_t user_id, int64_t id);

#endif
