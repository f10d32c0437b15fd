/*
 * status.h: the pool's status, php-fpm's status page, rendered from the
 * scoreboard for GET /status (JSON, or plain text for people) and for
 * 'pipelit status'.
 */
#ifndef PIPELIT_POOL_STATUS_H
#define PIPELIT_POOL_STATUS_H

#include <jansson.h>

struct scoreboard;

/* A new JSON object (the caller owns it). */
json_t *pool_status_json(const struct scoreboard *sb);

/* The same as aligned text, one child a line (malloc'd). */
char *pool_status_text(const struct scoreboard *sb);

#endif
