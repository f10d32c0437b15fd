/* state_path.c: dotted paths into the execution state. */
#include <string.h>

#include "nodes/state_path.h"

const json_t *
state_path_get(const json_t *state, const char *path)
{
	if (state == NULL || path == NULL)
		return NULL;
	const char *p = path;
	/* The optional "state." prefix names the state itself. */
	if (strncmp(p, "state", 5) == 0 && (p[5] == '.' || p[5] == '\0'))
		p += p[5] == '.' ? 6 : 5;
	const json_t *cur = state;
	if (p == path + 5) /* exactly "state" */
		return cur;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_getn(cur, p, len);
		if (cur == NULL)
			return NULL;
		if (dot == NULL)
			return cur;
		p = dot + 1;
	}
}
