/*
 * response.h: answering a request.  Every body is JSON (except 204 and
 * HEAD, which have none), with Content-Type application/json, a Status:
 * line and Content-Length.  Each function sends the whole response and
 * returns 0, or -1 when the request was already answered or the web
 * server went away.
 */
#ifndef PIPELIT_RESPONSE_H
#define PIPELIT_RESPONSE_H

#include <jansson.h>
#include <stddef.h>

struct jw;
struct req;

/* Takes ownership of body (which may be NULL for an empty JSON object). */
int resp_json(struct req *r, int status, json_t *body);
/* {"detail": detail} */
int resp_error(struct req *r, int status, const char *detail);
/* 422 {"detail": items}; takes ownership of items (a JSON array). */
int resp_validation(struct req *r, json_t *items);
/* An empty body with a Location header (301, 302, 307, 308). */
int resp_redirect(struct req *r, int status, const char *location);
/* The text of a JSON writer (util/jsonw.h), which is freed. */
int resp_jw(struct req *r, int status, struct jw *w);
/* A body that is already JSON text (the fast path for /health). */
int resp_raw(struct req *r, int status, const char *json_text, size_t len);
/* A plain-text answer (text/plain; charset=utf-8). */
int resp_text(struct req *r, int status, const char *text, size_t len);
/* No body at all (204). */
int resp_empty(struct req *r, int status);

/* Adds "Name: value" to the headers of the coming response; 0, or -1 when
 * there is no room left (the header is then not sent). */
int resp_add_header(struct req *r, const char *name, const char *value);

/* The reason phrase for a status ("Not Found"); "Unknown" if none. */
const char *http_reason(int status);

#endif
