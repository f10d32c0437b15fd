/*
 * test_writer.h: the one write the end-to-end tests' write load makes
 * (POST /api/v1/_test/write/, only with PIPELIT_TEST_ROUTES): a user row
 * with a unique name, in its own write transaction.
 */
#ifndef PIPELIT_MODEL_TEST_WRITER_H
#define PIPELIT_MODEL_TEST_WRITER_H

#include <stdint.h>

#include "db/db.h"

/* The new row's id, or DB_FAILED (the error on the handle).  hold_ms > 0
 * keeps the transaction (and SQLite's write lock) open that long before
 * the commit: the fault tests stop a responder while it holds the lock. */
int64_t test_writer_insert(struct db *db, const char *username, long hold_ms);

#endif
