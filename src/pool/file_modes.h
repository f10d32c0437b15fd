/*
 * file_modes.h: who may read what the pool writes (doc/security.md, "File
 * modes").
 *
 * Every pipelit command runs under umask 077 (src/main.c), so what it
 * creates (the SQLite files, backups, logs, the pid file, the secret key,
 * lock files, directories) is private to its user.  The exceptions are
 * what another process must reach by design:
 *  - the FastCGI socket, for the web server: PIPELIT_SOCKET_MODE (0660)
 *    and PIPELIT_SOCKET_GROUP, the group the web server runs in;
 *  - .env, which scripts/start.sh makes 0640 root:pipelit so the pool can
 *    read it after dropping root.
 * Files that exist already are never changed under a running deployment:
 * the master warns about the ones every local user can read.
 */
#ifndef PIPELIT_POOL_FILE_MODES_H
#define PIPELIT_POOL_FILE_MODES_H

struct config;

/* Logs a warning for each existing data file (the SQLite database and its
 * journal files, the checkpoint store, backups, the log file, anything
 * directly in the data directory) that every local user can read or
 * write, with the chmod that fixes it.  Returns how many. */
int file_modes_warn(const struct config *cfg);

/*
 * Gives the unix socket at path to cfg->socket_group (PIPELIT_SOCKET_GROUP;
 * nothing to do when unset or for TCP), and its directory group search
 * permission when we own it, so that group's web server can connect.
 * 0, or -1 with a malloc'd message in *err.
 */
int socket_group_apply(const struct config *cfg, char **err);

#endif
