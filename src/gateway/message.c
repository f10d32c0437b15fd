/* message.c: see message.h. */
#include "message.h"

#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

int
gateway_destination(const json_t *trigger, const char **credential_id, char **chat_id)
{
	*credential_id = NULL;
	*chat_id = NULL;
	const char *cred = json_string_value(json_object_get(trigger, "credential_id"));
	const json_t *chat = json_object_get(trigger, "chat_id");
	if (cred == NULL || *cred == '\0' || chat == NULL || json_is_null(chat))
		return 0;
	if (json_is_string(chat))
		*chat_id = json_string_length(chat) ? xstrdup(json_string_value(chat)) : NULL;
	else if (json_is_integer(chat))
		*chat_id = jw_dump(chat, NULL);
	if (*chat_id == NULL)
		return 0;
	*credential_id = cred;
	return 1;
}

/* Each node output as "**<id>**: <value>", separated by blank lines. */
static char *
node_outputs_text(const json_t *outputs)
{
	size_t len = 0;
	char *text = xstrdup("");
	const char *id;
	json_t *v;
	json_object_foreach((json_t *)outputs, id, v) {
		char *value = py_str(v);
		char *part = xasprintf("%s**%s**: %s", len ? "\n\n" : "", id, value ? value : "");
		free(value);
		size_t n = strlen(part);
		text = xrealloc(text, len + n + 1);
		memcpy(text + len, part, n + 1);
		len += n;
		free(part);
	}
	return text;
}

char *
gateway_reply_text(const json_t *final_output)
{
	if (final_output == NULL || json_is_null(final_output))
		return NULL;
	const json_t *message = json_object_get(final_output, "message");
	if (json_is_string(message) && json_string_length(message) > 0)
		return xstrdup(json_string_value(message));
	const json_t *output = json_object_get(final_output, "output");
	if (output != NULL && !json_is_null(output))
		return json_is_string(output) ? xstrdup(json_string_value(output)) : py_str(output);
	const json_t *outputs = json_object_get(final_output, "node_outputs");
	if (json_is_object(outputs) && json_object_size(outputs) > 0)
		return node_outputs_text(outputs);
	return py_str(final_output);
}

char *
gateway_prompt_text(const char *task_id)
{
	return xasprintf("Action requires confirmation.\n\nTo confirm: /confirm_%s\n"
			 "To cancel: /cancel_%s", task_id, task_id);
}
