/*
 * field_key.h: the FIELD_ENCRYPTION_KEY as handlers need it.  Handlers that
 * store or read secrets call req_field_key() first and return when it
 * answers NULL: the request has then been answered with a 503 saying what
 * to configure.  Everything else keeps working without a key.
 */
#ifndef PIPELIT_HTTP_FIELD_KEY_H
#define PIPELIT_HTTP_FIELD_KEY_H

struct req;
struct field_keyring;

/* The process's keys (FIELD_ENCRYPTION_KEY, then FIELD_ENCRYPTION_KEY_OLD;
 * valid for the life of the process), or NULL after answering 503 when no
 * usable key is configured. */
const struct field_keyring *req_field_key(struct req *r);

/* The process's keys, or NULL when no usable key is configured; answers
 * nothing (for handlers that need a key only for some requests: they call
 * req_field_key() to answer the 503 when it turns out they do). */
const struct field_keyring *req_field_key_if_set(struct req *r);

/* Answers 503 for a stored secret that does not open: its key is not
 * configured, or it was moved from another row or column.  Returns as
 * resp_error(). */
int resp_field_key_mismatch(struct req *r);

#endif
