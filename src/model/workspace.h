/*
 * workspace.h: workspaces (table workspaces) and their directories.  The
 * only SQL for them lives in model/workspace.c and model/workspace_env.c;
 * the directories are made and removed by model/workspace_dir.c.
 *
 * Scope: every call names the user whose rows it may touch, admins
 * included (pipelit-api.md 1.3); another user's workspace behaves as
 * missing.  Names are unique across all users, and so are paths.
 *
 * Environment variables pass through here in clear and are stored sealed
 * (model/workspace_env.h): render a struct workspace's env_vars with
 * wsenv_masked(), never as is.
 */
#ifndef PIPELIT_MODEL_WORKSPACE_H
#define PIPELIT_MODEL_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct field_keyring;

#define WS_NAME_MAX 100
#define WS_DEFAULT_NAME "default"

enum ws_result {
	WS_OK = 0,
	WS_NOT_FOUND = 1,
	WS_NAME_TAKEN = 2,       /* another workspace has this name */
	WS_PATH_TAKEN = 3,       /* another workspace has this directory */
	WS_DIR_NOT_EMPTY = 4,    /* the directory exists with files no workspace owns */
	WS_OUTSIDE = 5,          /* the path is not a directory right under the root */
	WS_DIR_FAILED = 6,       /* the file system refused; errno says why */
	WS_IS_DEFAULT = 7,       /* the default workspace cannot be deleted */
	WS_DB_ERROR = DB_FAILED,
	WS_BAD_KEY = -2,         /* a stored value does not open under the configured keys */
	WS_NO_KEY = -3,          /* a value must be sealed or opened and no key is set */
};

struct workspace {
	int64_t id;
	int64_t user_profile_id;
	char *name;
	char *path;
	int allow_network;
	json_t *env_vars;        /* owned; the clear array (model/workspace_env.h) */
	char created_at[32];     /* storage format */
};

void workspace_free(struct workspace *w);

/* One workspace of owner. */
int workspace_get(struct db *db, const struct field_keyring *ring, int64_t id, int64_t owner,
		  struct workspace *out);

/* The same without its variables (env_vars NULL): no key needed. */
int workspace_find(struct db *db, int64_t id, int64_t owner, struct workspace *out);

/* A page of owner's workspaces ordered by id; *items is a malloc'd array
 * of *n (free each, then the array) and *total counts them all. */
int workspace_list(struct db *db, const struct field_keyring *ring, int64_t owner, int64_t limit,
		   int64_t offset, struct workspace **items, size_t *n, int64_t *total);

/*
 * Creates workspace name of owner in <root>/<dir> (dir: one component,
 * checked by wsdir_name_of_path) with its directory, in the open write
 * transaction when there is one (else in its own).  *dir_created says
 * whether the directory was made by this call: a caller whose commit
 * fails removes it again.
 */
int workspace_create(struct db *db, const struct field_keyring *ring, const char *root,
		     int64_t owner, const char *name, const char *dir, int allow_network,
		     json_t *env_vars, int64_t *id, int *dir_created);

/* Sets allow_network (unless < 0) and replaces env_vars (unless NULL). */
int workspace_update(struct db *db, const struct field_keyring *ring, int64_t id, int64_t owner,
		     int allow_network, json_t *env_vars);

/* Deletes one of owner's workspaces and then its directory (when it lies
 * under root; a directory elsewhere is left and logged).  WS_IS_DEFAULT for
 * the default workspace. */
int workspace_delete(struct db *db, const char *root, int64_t id, int64_t owner);

/* Empties the workspace's directory (rm -rf, then a new .tmp/). */
int workspace_reset_dir(const struct workspace *w, const char *root);
/* Removes <path>/.rootfs. */
int workspace_reset_rootfs(const struct workspace *w, const char *root);

/*
 * Makes sure the workspace named "default" exists once a user does: owned
 * by the first active user (the lowest id), at <root>/default, its directory
 * taken as it is when it exists already.  Nothing is written when it
 * exists.  WS_OK also when there is no user yet.
 */
int workspace_ensure_default(struct db *db, const char *root);

#endif
