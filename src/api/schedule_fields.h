/*
 * schedule_fields.h: the one check of a schedule's request fields (create
 * and PATCH of /schedules/, and POST /schedules/preview/), as
 * body_check_fn (http/answer.h): the clean fields, or NULL with the 422
 * items in v.
 */
#ifndef PIPELIT_API_SCHEDULE_FIELDS_H
#define PIPELIT_API_SCHEDULE_FIELDS_H

#include <jansson.h>

struct validator;

json_t *schedule_fields_check(struct validator *v, json_t *body, int creating);
/* {cron, timezone = "UTC", count = 5 (1..100)}. */
json_t *schedule_preview_check(struct validator *v, json_t *body, int creating);

#endif
