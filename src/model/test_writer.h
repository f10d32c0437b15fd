/*
 * test_writer.h: the one write the end-to-end tests' write load makes
 * (POST /api/v1/_test/write/, only with PIPELIT_TEST_ROUTES): a user row
 * with a unique name, in its own write transaction.
 */
#ifndef PIPELIT_MODEL_TEST_WRITER_H
#define PIPELIT_MODEL_TEST_WRITER_H

#include <stdint.h>

#include "db/db.h"

/* The new row's id, or DB_FAILED (the error on the handle). */
int64_t test_writer_insert(struct db *db, const char *username);

#endif
