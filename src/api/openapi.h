/*
 * openapi.h: the OpenAPI 3.1 document of the HTTP API, doc/openapi.json,
 * built into the binary (build-aux/embed-file.sh) and served as it is at
 * GET /api/v1/openapi.json without authentication.  A unit test holds it
 * to the route table: every route is in it and it names no other.
 */
#ifndef PIPELIT_API_OPENAPI_H
#define PIPELIT_API_OPENAPI_H

#include <stddef.h>

extern const char openapi_json[];
extern const size_t openapi_json_len;

#endif
