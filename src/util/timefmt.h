/*
 * timefmt.h: the project's one timestamp format (doc/dialect.md).
 * Stored: "YYYY-MM-DD HH:MM:SS.ffffff", UTC.  API: ISO-8601 with 'Z'.
 */
#ifndef PIPELIT_TIMEFMT_H
#define PIPELIT_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define TIME_DB_LEN 27      /* "2026-02-17 23:18:00.123456" + NUL */
#define TIME_ISO_LEN 28     /* "2026-02-17T23:18:00.123456Z" + NUL */

/* Now, in the storage format. */
void time_now_db(char out[TIME_DB_LEN]);
/* Seconds since the epoch in the storage format. */
void time_epoch_to_db(int64_t epoch, char out[TIME_DB_LEN]);
/* Now as unix milliseconds (the engine's clock: due times, deadlines). */
int64_t time_now_ms(void);
/* The monotonic clock, in milliseconds and microseconds: intervals and
 * deadlines inside one process (never stored, never compared across
 * processes on other hosts). */
int64_t time_mono_ms(void);
int64_t time_mono_us(void);
/* Unix milliseconds in the storage format. */
void time_ms_to_db(int64_t ms, char out[TIME_DB_LEN]);
/* Parses a stored value (any fraction length, or none; a 'T' accepted) as UTC. 0 or -1. */
int time_db_to_epoch(const char *db, int64_t *epoch, int *micros);
/* Stored value to ISO-8601 UTC with a trailing Z ("2026-02-17T23:18:00.123456Z",
 * the fraction padded to six digits, left out when it is zero, so both
 * backends render a value alike). 0 or -1. */
int time_db_to_iso(const char *db, char out[TIME_ISO_LEN]);
/* A stored value (or SQL NULL) as the API renders it: an ISO-8601 string
 * with Z, or JSON null for NULL or an unreadable value.  New reference. */
json_t *time_db_to_json(const char *db);
/* The same, but an unreadable value is rendered as it is stored rather than
 * as null (db must not be NULL).  New reference. */
json_t *time_db_to_json_or_text(const char *db);
/* time_db_to_iso() for text of len bytes that need not end in a NUL (a
 * column read with its length); the stored form itself is rendered
 * without parsing. */
int time_db_to_iso_n(const char *db, size_t len, char out[TIME_ISO_LEN]);
/* Parses ISO-8601 input from clients: date-time with optional fraction and
 * an optional Z or +HH:MM/-HH:MM offset (naive means UTC). 0 or -1. */
int time_iso_parse(const char *s, int64_t *epoch);

#endif
