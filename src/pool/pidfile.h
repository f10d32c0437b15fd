/*
 * pidfile.h: the master's PID file.  A live process named in the file
 * keeps it (a second master refuses to start); a stale one is replaced.
 */
#ifndef PIPELIT_PIDFILE_H
#define PIPELIT_PIDFILE_H

/* Writes our pid to path.  Returns 0, or -1 with a malloc'd message. */
int pidfile_claim(const char *path, char **err);
/* The pid in the file, 0 when it holds none, -1 when it cannot be read. */
long pidfile_read(const char *path);
/* Removes path if it still names this process. */
void pidfile_release(const char *path);

#endif
