/* ai_config.c: see ai_config.h. */
#include "ai_config.h"

#include <stdlib.h>
#include <string.h>

#include "graph/config_check.h"
#include "util/json_schema_check.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static int
refuse(struct config_problem *out, const char *field, char *message)
{
	out->field = xstrdup(field);
	out->message = message;
	return -1;
}

static int
check_category(const json_t *c, size_t i, const json_t *all, struct config_problem *out)
{
	if (!json_is_object(c))
		return refuse(out, "categories", xasprintf("Category %zu should be an object "
							   "{\"name\": ..., \"description\": ...}", i));
	const json_t *name = json_object_get(c, "name");
	size_t chars = json_is_string(name) ? utf8_count(json_string_value(name), json_string_length(name)) : 0;
	if (!json_is_string(name) || chars == 0 || chars > AI_CATEGORY_NAME_MAX)
		return refuse(out, "categories", xasprintf("Category %zu: name should be a string of 1 "
							   "to %d characters", i, AI_CATEGORY_NAME_MAX));
	const json_t *desc = json_object_get(c, "description");
	if (desc != NULL && !json_is_null(desc) && !json_is_string(desc))
		return refuse(out, "categories", xasprintf("Category %zu: description should be a "
							   "string", i));
	for (size_t k = 0; k < i; k++)
		if (json_equal(json_object_get(json_array_get(all, k), "name"), name))
			return refuse(out, "categories",
				      xasprintf("Category %zu: the name '%s' is already category %zu",
						i, json_string_value(name), k));
	return 0;
}

int
ai_config_check_categorizer(const json_t *extra_config, struct config_problem *out)
{
	out->field = NULL;
	out->message = NULL;
	const json_t *cats = json_object_get(extra_config, "categories");
	if (cats == NULL || json_is_null(cats))
		return 0;
	if (!json_is_array(cats))
		return refuse(out, "categories", xstrdup("Input should be a valid list of "
							 "{\"name\", \"description\"} objects"));
	if (json_array_size(cats) > AI_CATEGORIES_MAX)
		return refuse(out, "categories", xasprintf("At most %d categories", AI_CATEGORIES_MAX));
	size_t i;
	const json_t *c;
	json_array_foreach(cats, i, c)
		if (check_category(c, i, cats, out) != 0)
			return -1;
	return 0;
}

int
ai_config_check_extractor(const json_t *extra_config, struct config_problem *out)
{
	out->field = NULL;
	out->message = NULL;
	const json_t *schema = json_object_get(extra_config, "extraction_schema");
	if (schema == NULL || json_is_null(schema))
		return 0;
	char *why = NULL;
	if (json_schema_valid(schema, true, &why) != 0)
		return refuse(out, "extraction_schema", why);
	return 0;
}

/* The agent's settings beyond Pipelit's catalogue (which declares only
 * conversation_memory, and stays Pipelit's), with the bounds the node
 * reads them with (nodes/agent_setup.c). */
static const char *const compacting_modes[] = { "trim", "summarize", NULL };
static const struct config_field agent_fields[] = {
	{ .name = "max_steps", .type = "integer", .minimum = "1", .maximum = "1000" },
	{ .name = "stream", .type = "boolean" },
	{ .name = "context_window", .type = "integer", .minimum = "1", .maximum = "100000000" },
	{ .name = "compacting", .type = "string", .choices = compacting_modes },
	{ .name = "compacting_trigger", .type = "integer", .minimum = "1", .maximum = "100" },
	{ .name = "compacting_keep", .type = "integer", .minimum = "0", .maximum = "10000" },
	{ .name = NULL },
};

int
ai_config_check_agent(const json_t *extra_config, struct config_problem *out)
{
	return config_fields_check(agent_fields, extra_config, out);
}
