/*
 * workspace_dir.h: a workspace's directory, kept under the workspaces root
 * (PIPELIT_WORKSPACES_DIR, default <data dir>/workspaces).
 *
 * A workspace directory is a direct child of the root: <root>/<name>, one
 * component, never ".", "..", empty, longer than NAME_MAX, or holding a
 * slash or a control character.  Paths are checked as text first (no
 * realpath()), then every use opens the root and walks down from it with
 * openat() and O_NOFOLLOW, so a symlink planted anywhere below the root is
 * refused, never followed, and nothing can swap a checked path for another
 * between the check and the use.  Directories are made 0700.
 *
 * No SQL here: model/workspace.c keeps the rows.
 */
#ifndef PIPELIT_MODEL_WORKSPACE_DIR_H
#define PIPELIT_MODEL_WORKSPACE_DIR_H

#include <stddef.h>

/* The longest stored path (the column is VARCHAR(500)). */
#define WSDIR_PATH_MAX 500

enum wsdir_result {
	WSDIR_OK = 0,
	WSDIR_OUTSIDE = 1,    /* not a direct child of the root, or a symlink on the way */
	WSDIR_NOT_EMPTY = 2,  /* creating: the directory exists and holds files */
	WSDIR_IO = 3,         /* the file system refused; errno tells why (logged by the caller) */
};

/* 1 when name can be a workspace directory's name (see above), else 0. */
int wsdir_name_ok(const char *name);

/*
 * The directory name a requested path stands for: an absolute path must be
 * <root>/<name> (repeated and trailing slashes aside), a relative one is
 * <name> under the root.  Returns WSDIR_OK with a malloc'd *name, or
 * WSDIR_OUTSIDE.  root is absolute.
 */
int wsdir_name_of_path(const char *root, const char *requested, char **name);

/* "<root>/<name>", malloc'd. */
char *wsdir_path(const char *root, const char *name);

/*
 * Makes <root>/<name> (0700) and its .tmp/, creating the root when it is
 * missing.  A directory that exists already is taken when it is vacant
 * (nothing in it but an empty .tmp/), or whatever it holds when
 * keep_contents is set; otherwise WSDIR_NOT_EMPTY.  *created says whether
 * this call made the directory (so a failed create can take it back with
 * wsdir_remove()).
 */
int wsdir_create(const char *root, const char *name, int keep_contents, int *created);

/* Empties <root>/<name> (made again when missing) and gives it a new .tmp/.
 * Symlinks inside are removed, never followed. */
int wsdir_reset(const char *root, const char *name);

/* Removes <root>/<name>/<entry> and everything under it (nothing to do
 * when it is missing); entry is one component (".rootfs"). */
int wsdir_remove_entry(const char *root, const char *name, const char *entry);

/* Removes <root>/<name> and everything under it (nothing to do when it is
 * missing). */
int wsdir_remove(const char *root, const char *name);

#endif
