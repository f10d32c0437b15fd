/*
 * state_path.h: a dotted path into the execution state, as the logic nodes
 * name their fields ("node_outputs.cat_1.category", "trigger.text",
 * "state.route").
 */
#ifndef PIPELIT_NODES_STATE_PATH_H
#define PIPELIT_NODES_STATE_PATH_H

#include <jansson.h>

/*
 * The value at path in state (borrowed from state), or NULL when it is
 * missing.  A leading "state" segment is skipped; every segment is an
 * object key (no list indices), so a path that runs into anything but an
 * object is missing.  "state" alone is the whole state.  A JSON null
 * found on the way is returned as such at the end and makes any longer
 * path missing; callers treat NULL and a JSON null alike (Python's None).
 */
const json_t *state_path_get(const json_t *state, const char *path);

#endif
