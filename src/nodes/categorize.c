/* categorize.c: see categorize.h. */
#include "categorize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "expr/strbuf.h"
#include "util/xalloc.h"

#define INTRO "You are a message classifier. Classify the user's message into exactly one category."
#define ANSWER_FORMAT "Respond with ONLY a JSON object: {\"category\": \"<name>\"}"

/* The category names, in order (new reference: an array of strings). */
static json_t *
valid_names(const json_t *categories)
{
	json_t *names = json_array();
	size_t i;
	const json_t *c;
	json_array_foreach(categories, i, c) {
		const json_t *name = json_object_get(c, "name");
		if (json_is_string(name))
			json_array_append(names, (json_t *)name);
	}
	return names;
}

char *
categorize_system_prompt(const json_t *categories, const char *custom_prompt)
{
	struct strbuf b;
	strbuf_init(&b, 0);
	if (custom_prompt != NULL && custom_prompt[0] != '\0') {
		strbuf_puts(&b, custom_prompt);
		strbuf_puts(&b, "\n\n");
	}
	strbuf_puts(&b, INTRO "\n\nCategories:");
	size_t i;
	const json_t *c;
	json_array_foreach(categories, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *desc = json_string_value(json_object_get(c, "description"));
		if (name != NULL)
			strbuf_printf(&b, "\n- %s: %s", name, desc ? desc : "");
	}
	json_t *names = valid_names(categories);
	char *list = py_repr(names);
	strbuf_printf(&b, "\n\n" ANSWER_FORMAT "\nValid category names: %s", list);
	free(list);
	json_decref(names);
	return strbuf_take(&b);
}

json_t *
categorize_messages(const json_t *state_messages)
{
	size_t n = json_array_size(state_messages);
	json_t *last = n > 0 ? json_array_get(state_messages, n - 1) : NULL;
	if (last == NULL)
		return json_pack("[{s:s, s:{s:s}}]", "type", "human", "data", "content", "(no message)");
	return json_pack("[O]", last);
}

/* --- reading the reply ------------------------------------------------------------ */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The reply without white space around it (malloc'd). */
static char *
trimmed(const char *s)
{
	size_t start = 0, end = strlen(s);
	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;
	return xstrndup(s + start, end - start);
}

static bool
is_valid(const json_t *names, const char *name)
{
	size_t i;
	const json_t *n;
	json_array_foreach(names, i, n)
		if (strcmp(json_string_value(n), name) == 0)
			return true;
	return false;
}

/* Rule 1: the whole reply (or the inside of a ``` fence) as a JSON object
 * with a valid "category".  NULL when it is not. */
static const char *
from_json(const json_t *names, const char *text)
{
	const char *start = text, *end = text + strlen(text);
	if (strncmp(start, "```", 3) == 0 && end - start >= 6 && strncmp(end - 3, "```", 3) == 0) {
		start = strchr(start, '\n');  /* past "```json" */
		end -= 3;
		if (start == NULL || start > end)
			return NULL;
	}
	json_t *doc = json_loadb(start, (size_t)(end - start), 0, NULL);
	const char *name = json_string_value(json_object_get(doc, "category"));
	const char *found = NULL;
	if (name != NULL && is_valid(names, name)) {
		size_t i;
		const json_t *n;
		json_array_foreach(names, i, n)
			if (strcmp(json_string_value(n), name) == 0)
				found = json_string_value(n);
	}
	json_decref(doc);
	return found;
}

/* Rule 2: the first "category"\s*:\s*"..." in the text, when it names a
 * valid category (the search stops at the first match, as re.search). */
static const char *
from_pattern(const json_t *names, const char *text)
{
	for (const char *p = strstr(text, "\"category\""); p != NULL; p = strstr(p + 1, "\"category\"")) {
		const char *q = p + strlen("\"category\"");
		while (is_space(*q))
			q++;
		if (*q != ':')
			continue;
		q++;
		while (is_space(*q))
			q++;
		if (*q != '"')
			continue;
		const char *value = q + 1, *close = strchr(value, '"');
		if (close == NULL)
			return NULL;
		size_t i;
		const json_t *n;
		json_array_foreach(names, i, n) {
			const char *name = json_string_value(n);
			if (strlen(name) == (size_t)(close - value) && memcmp(name, value, strlen(name)) == 0)
				return name;
		}
		return NULL;
	}
	return NULL;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
contains_nocase(const char *text, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return true;
	for (const char *p = text; *p; p++) {
		size_t k = 0;
		while (k < n && p[k] && lower(p[k]) == lower(needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* Rule 3: the first category, in their order, named anywhere in the text. */
static const char *
from_mention(const json_t *names, const char *text)
{
	size_t i;
	const json_t *n;
	json_array_foreach(names, i, n)
		if (contains_nocase(text, json_string_value(n)))
			return json_string_value(n);
	return NULL;
}

json_t *
categorize_result(const json_t *categories, const char *reply)
{
	json_t *names = valid_names(categories);
	char *raw = trimmed(reply ? reply : "");
	const char *category = from_json(names, raw);
	if (category == NULL)
		category = from_pattern(names, raw);
	if (category == NULL)
		category = from_mention(names, raw);
	if (category == NULL && json_array_size(names) > 0)
		category = json_string_value(json_array_get(names, 0));
	if (category == NULL)
		category = "unknown";
	json_t *result = json_pack("{s:s, s:s}", "_route", category, "category", category);
	/* A reply is valid UTF-8 (the wire parser's); should it not be, raw
	 * is empty rather than the result missing. */
	json_t *raw_text = json_string(raw);
	json_object_set_new(result, "raw", raw_text ? raw_text : json_string(""));
	free(raw);
	json_decref(names);
	return result;
}
