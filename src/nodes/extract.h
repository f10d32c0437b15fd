/*
 * extract.h: the extractor node's pure parts.  Pipelit registers the
 * extractor but never runs it (pipelit-engine.md 4.2); here it extracts
 * the fields of extra_config.extraction_schema, a JSON schema of an
 * object, by forcing the model to call one tool whose parameters are that
 * schema (llm_request.force_tool), and checks what comes back against the
 * same schema (util/json_schema_check.h), so a node's output always
 * matches its schema.
 *
 * A provider that answers with text instead of the call (JSON mode, or one
 * that ignores the forced tool) is read too: the text as a JSON object,
 * alone or inside a ``` fence.
 */
#ifndef PIPELIT_NODES_EXTRACT_H
#define PIPELIT_NODES_EXTRACT_H

#include <jansson.h>

#define EXTRACT_TOOL_NAME "extract_data"

/* The tool the model must call (new reference): {"name": EXTRACT_TOOL_NAME,
 * "description", "parameters": schema}.  NULL when schema is no object
 * schema (json_schema_valid). */
json_t *extract_tool_definition(const json_t *schema);

/* The system prompt (malloc'd): the node's own prompt (when not NULL or
 * ""), a blank line, then the instruction to call EXTRACT_TOOL_NAME with
 * what the conversation says. */
char *extract_system_prompt(const char *custom_prompt);

/* The node's result from the model's reply: tool_calls as llm_reply has
 * them ([{"id","name","args"}], may be NULL) and its text.  0 with
 * *result = {"extracted": {...}} (new reference), or -1 with a readable
 * *err (malloc'd): no call and no JSON object in the text, or data that
 * breaks the schema ("The extracted data does not match the schema:
 * $.address.zip: expected string, got integer"). */
int extract_result(const json_t *schema, const json_t *tool_calls, const char *text,
		   json_t **result, char **err);

#endif
