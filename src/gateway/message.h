/*
 * message.h: the texts sent to a chat through the message gateway
 * (doc/gateway.md, pipelit-engine.md 2.10 and 2.11 step 5).  Pure: no I/O.
 */
#ifndef PIPELIT_GATEWAY_MESSAGE_H
#define PIPELIT_GATEWAY_MESSAGE_H

#include <jansson.h>

#define GATEWAY_ACK_CONFIRMED "Action confirmed. Resuming execution..."
#define GATEWAY_ACK_CANCELLED "Action cancelled."
#define GATEWAY_ACK_EXPIRED "This confirmation has expired."

/* Where a message goes: the trigger payload's credential_id and chat_id
 * (a chat_id that is a number is written as one).  1 when the payload
 * came through the gateway (both present), with *credential_id borrowed
 * and *chat_id malloc'd; 0 otherwise. */
int gateway_destination(const json_t *trigger, const char **credential_id, char **chat_id);

/* The reply for an execution's final output (malloc'd): its "message";
 * else its "output" (a string as it is, anything else as Python's str()
 * prints it); else each node output as "**<id>**: <value>", separated by
 * blank lines; else the whole output as str() prints it.  NULL when the
 * output is null (nothing to say). */
char *gateway_reply_text(const json_t *final_output);

/* The prompt for a confirmation task (malloc'd). */
char *gateway_prompt_text(const char *task_id);

#endif
