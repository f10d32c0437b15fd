/*
 * categorize.h: the categorizer node's prompt and the reading of its
 * model's reply (pipelit-engine.md 4.2), as pure functions; the node that
 * makes the call is the agent's machinery.
 *
 * extra_config.categories is a list of {name, description}.  The system
 * prompt is three blocks separated by blank lines:
 *
 *   You are a message classifier. Classify the user's message into exactly one category.
 *
 *   Categories:
 *   - billing: Questions about invoices
 *   - support: Anything else
 *
 *   Respond with ONLY a JSON object: {"category": "<name>"}
 *   Valid category names: ['billing', 'support']
 *
 * (the names as a Python list), with the node's own system_prompt, when it
 * has one, before it and a blank line.  The model is sent that system
 * prompt and only the last message of the state (or a human "(no
 * message)").
 */
#ifndef PIPELIT_NODES_CATEGORIZE_H
#define PIPELIT_NODES_CATEGORIZE_H

#include <jansson.h>

/* The system prompt (malloc'd).  categories may be NULL or malformed: an
 * entry without a string name is skipped, a missing description is "".
 * custom_prompt NULL or "" adds nothing. */
char *categorize_system_prompt(const json_t *categories, const char *custom_prompt);

/* The messages to send (new reference): a one-element array holding the
 * last of state_messages (canonical form, llm/llm.h), or a human message
 * "(no message)" when there is none. */
json_t *categorize_messages(const json_t *state_messages);

/* The node's result for the model's reply text (new reference):
 * {"_route": c, "category": c, "raw": the reply trimmed}, where c is, the
 * first rule that gives one:
 *   1. the reply (trimmed, without a ``` fence) as JSON {"category": n}
 *      with n a valid name;
 *   2. "category"\s*:\s*"n" anywhere in it, n valid;
 *   3. the first category whose name appears in it, ignoring case;
 *   4. the first category;
 *   5. "unknown" (no categories at all).
 * The caller adds _token_usage. */
json_t *categorize_result(const json_t *categories, const char *reply);

#endif
