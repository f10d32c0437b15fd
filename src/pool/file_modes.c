/* file_modes.c: see file_modes.h. */
#include "file_modes.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "pool/listen.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

/* 1 (after warning) when path is a regular file others may read or write. */
static int
warn_if_open(const char *path)
{
	struct stat st;
	if (path == NULL || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((st.st_mode & (S_IROTH | S_IWOTH)) == 0)
		return 0;
	log_warn("%s is readable by every local user (mode %04o); it may hold user data: "
		 "chmod o-rwx %s", path, (unsigned)(st.st_mode & 07777), path);
	return 1;
}

/* warn_if_open for every regular file directly in dir. */
static int
warn_in_dir(const char *dir)
{
	DIR *d = dir ? opendir(dir) : NULL;
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		n += warn_if_open(path);
		free(path);
	}
	closedir(d);
	return n;
}

/* The SQLite file and its journals, unless they are in the data directory
 * (already looked at). */
static int
warn_sqlite(const struct config *cfg)
{
	struct db_url u;
	char *err = NULL;
	if (db_url_parse(cfg->database_url, &u, &err) != 0) {
		free(err);
		return 0;
	}
	int n = 0;
	if (u.backend == DB_SQLITE && u.path != NULL && strcmp(u.path, ":memory:") != 0) {
		static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			char *path = xasprintf("%s%s", u.path, suffixes[i]);
			char *slash = strrchr(path, '/');
			int in_data_dir = slash != NULL && cfg->data_dir != NULL &&
				(size_t)(slash - path) == strlen(cfg->data_dir) &&
				strncmp(path, cfg->data_dir, (size_t)(slash - path)) == 0;
			if (!in_data_dir)
				n += warn_if_open(path);
			free(path);
		}
	}
	db_url_free(&u);
	return n;
}

int
file_modes_warn(const struct config *cfg)
{
	int n = warn_in_dir(cfg->data_dir);
	char *backups = xasprintf("%s/backups", cfg->data_dir);
	n += warn_in_dir(backups);
	free(backups);
	n += warn_sqlite(cfg);
	n += warn_if_open(cfg->checkpoints_path);
	n += warn_if_open(cfg->log_file);
	return n;
}

/* The group named (or numbered) s; 0 with *gid, or -1. */
static int
group_id(const char *s, gid_t *gid)
{
	struct group *g = getgrnam(s);
	if (g != NULL) {
		*gid = g->gr_gid;
		return 0;
	}
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	*gid = (gid_t)v;
	return 0;
}

int
socket_group_apply(const struct config *cfg, char **err)
{
	const char *group = cfg->socket_group;
	if (group == NULL || *group == '\0' || listen_spec_is_tcp(cfg->socket))
		return 0;
	gid_t gid;
	if (group_id(group, &gid) != 0) {
		*err = xasprintf("invalid PIPELIT_SOCKET_GROUP=%s: no such group", group);
		return -1;
	}
	if (chown(cfg->socket, (uid_t)-1, gid) != 0) {
		*err = xasprintf("cannot give %s to group %s (PIPELIT_SOCKET_GROUP): %s",
				 cfg->socket, group, strerror(errno));
		return -1;
	}
	/* Our own directory (0700 when we made it) lets the group pass, not
	 * list: the files in it stay private by their own modes. */
	char *dir = xstrdup(cfg->socket);
	char *slash = strrchr(dir, '/');
	struct stat st;
	int rc = 0;
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && st.st_uid == geteuid() &&
		    (st.st_gid != gid || !(st.st_mode & S_IXGRP)) &&
		    (chown(dir, (uid_t)-1, gid) != 0 ||
		     chmod(dir, (st.st_mode & 07777 & ~(mode_t)(S_IRGRP | S_IWGRP)) | S_IXGRP) != 0)) {
			*err = xasprintf("cannot let group %s (PIPELIT_SOCKET_GROUP) reach %s: %s", group,
					 dir, strerror(errno));
			rc = -1;
		}
	}
	free(dir);
	return rc;
}
