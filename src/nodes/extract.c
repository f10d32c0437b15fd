/* extract.c: see extract.h. */
#include "extract.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_schema_check.h"
#include "util/xalloc.h"

#define INSTRUCTION                                                                        \
	"Extract structured data from the conversation. Call the " EXTRACT_TOOL_NAME " tool " \
	"exactly once, with every field its schema describes that the conversation states; "  \
	"do not invent values. Reply with nothing else."

json_t *
extract_tool_definition(const json_t *schema)
{
	char *why = NULL;
	if (json_schema_valid(schema, true, &why) != 0) {
		free(why);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:O}", "name", EXTRACT_TOOL_NAME, "description",
			 "Record the data extracted from the conversation.", "parameters", schema);
}

char *
extract_system_prompt(const char *custom_prompt)
{
	if (custom_prompt == NULL || custom_prompt[0] == '\0')
		return xstrdup(INSTRUCTION);
	return xasprintf("%s\n\n%s", custom_prompt, INSTRUCTION);
}

/* The arguments of the first call of EXTRACT_TOOL_NAME, or NULL. */
static const json_t *
call_args(const json_t *tool_calls)
{
	size_t i;
	const json_t *call;
	json_array_foreach(tool_calls, i, call) {
		const char *name = json_string_value(json_object_get(call, "name"));
		if (name != NULL && strcmp(name, EXTRACT_TOOL_NAME) == 0)
			return json_object_get(call, "args");
	}
	return NULL;
}

/* A JSON object in the text (new reference): the text itself, the inside
 * of a ``` fence, or the span from the first '{' to the last '}'. */
static json_t *
object_in_text(const char *text)
{
	if (text == NULL)
		return NULL;
	json_t *doc = json_loads(text, 0, NULL);
	if (json_is_object(doc))
		return doc;
	json_decref(doc);
	const char *open = strchr(text, '{'), *close = strrchr(text, '}');
	if (open == NULL || close == NULL || close < open)
		return NULL;
	doc = json_loadb(open, (size_t)(close - open + 1), 0, NULL);
	if (json_is_object(doc))
		return doc;
	json_decref(doc);
	return NULL;
}

int
extract_result(const json_t *schema, const json_t *tool_calls, const char *text,
	       json_t **result, char **err)
{
	*result = NULL;
	*err = NULL;
	const json_t *args = call_args(tool_calls);
	json_t *data = args != NULL ? json_incref((json_t *)args) : object_in_text(text);
	if (!json_is_object(data)) {
		json_decref(data);
		*err = xstrdup("The model returned no " EXTRACT_TOOL_NAME " call and no JSON object "
			       "to extract the data from");
		return -1;
	}
	char *why = NULL;
	if (json_schema_check(schema, data, &why) != 0) {
		*err = xasprintf("The extracted data does not match the schema: %s", why);
		free(why);
		json_decref(data);
		return -1;
	}
	*result = json_pack("{s:o}", "extracted", data);
	return 0;
}
