/*
 * secret_key.h: SECRET_KEY, which signs what the server signs (event
 * tickets).
 *
 * Configured, it is used as given, unless it is a publicly known default
 * (the old development default, "change-me", ...): those are refused, since
 * anyone could forge with them.  Unset, the key is the one kept in
 * <data dir>/secret_key (0600), which 'serve' and 'fcgi' create with a
 * random value on their first start; every other command reads the same
 * file, so all agree on one key.
 */
#ifndef PIPELIT_UTIL_SECRET_KEY_H
#define PIPELIT_UTIL_SECRET_KEY_H

struct config;

#define SECRET_KEY_FILE "secret_key"

/* 1 when key is a publicly known default that must not be used. */
int secret_key_is_known_default(const char *key);

/* The key kept in data_dir, malloc'd; NULL when there is none (or it is
 * empty).  Surrounding whitespace is dropped. */
char *secret_key_read_stored(const char *data_dir);

/*
 * Gives cfg a secret key when it has none: the stored one, or a new
 * random one (32 bytes, hex) written to <data_dir>/secret_key with mode
 * 0600 (another process creating it at the same time wins; its key is
 * used).  0, or -1 with a malloc'd message in *err.
 */
int secret_key_provision(struct config *cfg, char **err);

#endif
