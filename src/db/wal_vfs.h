/*
 * wal_vfs.h: a thin SQLite VFS over the platform's default one that
 * gathers the write-ahead log's appends into one write per commit.
 *
 * SQLite writes each log frame as two writes (its 24-byte header, then
 * the page), so a commit of 15 pages cost 30 system calls; through this
 * VFS it costs one.  Everything but the log's contiguous appends (the
 * database file, the shared-memory index, rollback journals, reads)
 * passes straight through.  wal_vfs.c says when the gathered bytes are
 * written and why SQLite's guarantees still hold.
 */
#ifndef PIPELIT_DB_WAL_VFS_H
#define PIPELIT_DB_WAL_VFS_H

/* Registers the VFS as the process's default, once; every connection
 * opened afterwards uses it.  0, or an SQLite error code (the default VFS
 * then stays in use, which is correct, only slower). */
int wal_vfs_register(void);

#endif
