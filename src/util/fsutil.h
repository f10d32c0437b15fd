/* fsutil.h: small file-system helpers shared by config, the db layer and the pool. */
#ifndef PIPELIT_FSUTIL_H
#define PIPELIT_FSUTIL_H

/* mkdir -p for the directory part of path (mode 0755 less the umask: 0700
 * under pipelit's 077).  0, or -1 with errno. */
int fs_make_parent_dirs(const char *path);

/* path made absolute against the working directory ("./" dropped); malloc'd. */
char *fs_absolute_path(const char *path);

#endif
