/*
 * sql_rows.h: statements over many rows at once, for the model's files
 * (the SQL stays in src/model): how many rows one statement takes, and
 * its text with an item repeated.
 */
#ifndef PIPELIT_MODEL_SQL_ROWS_H
#define PIPELIT_MODEL_SQL_ROWS_H

#include <stddef.h>

/* Statements over many rows take up to 32 at a time: a batch of up to 32
 * is one statement (each statement is a round trip of its own where it
 * is read, and work for the server wherever it is), at the price of up to
 * 32 statement texts of a kind, each prepared once per connection. */
#define SQL_ROWS_GROUP_MAX 32

/* The rows the next statement takes of the left ones. */
size_t sql_rows_group(size_t left);

/* head, then k copies of item separated by ", ", then tail (malloc'd). */
char *sql_rows_repeated(const char *head, const char *item, size_t k, const char *tail);

#endif
