/*
 * wire_internal.h: what the two wire formats (wire_openai.c,
 * wire_anthropic.c) and the stream decoder (stream.c) share: reading the
 * canonical messages, tool-call arguments, and filling a reply.
 */
#ifndef PIPELIT_LLM_WIRE_INTERNAL_H
#define PIPELIT_LLM_WIRE_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "expr/strbuf.h"
#include "llm/llm.h"
#include "util/jsonw.h"

/* The bound of a reply's text and tool arguments together (a streamed
 * answer larger than this fails instead of growing without end). */
#define LLM_REPLY_MAX ((size_t)8 << 20)

/* How long a tool's name may be in an error message. */
#define WIRE_NAME_CHARS 64

enum wire_role { WIRE_SYSTEM, WIRE_HUMAN, WIRE_AI, WIRE_TOOL, WIRE_UNKNOWN };

/* The role of a canonical message ("type"; "user"/"assistant" accepted). */
enum wire_role wire_role_of(const json_t *m);
/* Its "data" object (the message itself when it has none). */
const json_t *wire_data_of(const json_t *m);

/* Appends the text of content (a string, or its text blocks joined with
 * "\n", empty ones skipped) to b. */
void wire_append_text(struct strbuf *b, const json_t *content);
/* The text of a canonical message's content; malloc'd, "" when none. */
char *wire_content_text(const json_t *data);
/* A tool result's text: the content's text, or any other JSON value
 * written as JSON.  malloc'd. */
char *wire_tool_result_text(const json_t *data);
/* The system prompt of a request: req->system and the text of every
 * system message, joined with "\n\n" (empty parts skipped); malloc'd,
 * "" when none. */
char *wire_system_text(const struct llm_request *req);
/* The tool calls of an "ai" message's data: an array (borrowed) or NULL,
 * which json_array_foreach and json_array_size take as empty. */
const json_t *wire_tool_calls_of(const json_t *data);

/* A value that is constant JSON text. */
#define JW_RAW_LITERAL(w, literal) jw_raw((w), "" literal "", sizeof(literal) - 1)

/* Writes the settings shared by both wires when they are set. */
void wire_write_sampling(struct jw *w, const struct llm_settings *s);
/* Writes a tool definition's members, in the object open in w: "name",
 * "description" (when it has one) and its parameters' JSON schema under
 * schema_key ("parameters" for OpenAI, "input_schema" for Anthropic; an
 * empty object schema when it has none). */
void wire_tool_fields(struct jw *w, const json_t *tool, const char *schema_key);

/* A tool call's arguments from their JSON text: an object (new
 * reference); blank text is {}.  NULL with *err when the text is not a
 * JSON object. */
json_t *wire_parse_args(const char *text, size_t len, const char *tool, char **err);
/* An error message naming a tool (its name clipped); malloc'd. */
char *wire_tool_error(const char *fmt, const char *tool);

/* Resets r to an empty reply ("" text, [] tool calls). */
void wire_reply_init(struct llm_reply *r);
/* Copies a stop reason (when not NULL) into dst[size], cut to fit. */
void wire_set_stop_reason(char *dst, size_t size, const char *reason);
/* An integer member of a usage object, 0 when absent. */
long wire_usage_count(const json_t *usage, const char *key);
/* Adds {"id","name","args"} to r->tool_calls (args is stolen). */
void wire_add_tool_call(struct llm_reply *r, const char *id, const char *name, json_t *args);
/* A tool call without an id gets one from its position in the reply. */
char *wire_fallback_call_id(size_t index);

/* The provider's error message in a JSON answer (error.message, error,
 * message, detail), or NULL; borrowed from root. */
const char *wire_provider_message(const json_t *root);

/* Anthropic's input tokens as billed: uncached, cache writes and reads. */
long wire_anthropic_input_tokens(const json_t *usage);

/* The per-wire halves. */
char *wire_openai_body(const struct llm_request *req);
char *wire_anthropic_body(const struct llm_request *req);
int wire_openai_reply(const json_t *root, struct llm_reply *out, char **err);
int wire_anthropic_reply(const json_t *root, struct llm_reply *out, char **err);

#endif
