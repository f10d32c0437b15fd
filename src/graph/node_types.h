/*
 * node_types.h: the node-type registry.  One constant table in the code
 * names every component type a workflow node may have, with its ports, its
 * sub-component needs and its configuration fields.  GET
 * /api/v1/workflows/node-types/ renders it, edge validation reads its port
 * types and requires_* flags, and the engine will dispatch on it.
 */
#ifndef PIPELIT_GRAPH_NODE_TYPES_H
#define PIPELIT_GRAPH_NODE_TYPES_H

#include <stdbool.h>
#include <stddef.h>

/* The data a port carries.  message, image and file are legal port types
 * that no registered type uses today; the edge type check knows them. */
enum port_type {
	PT_STRING,
	PT_NUMBER,
	PT_BOOLEAN,
	PT_OBJECT,
	PT_ARRAY,
	PT_MESSAGE,
	PT_MESSAGES,
	PT_IMAGE,
	PT_FILE,
	PT_ANY,
};

enum node_category {
	NODE_CAT_TRIGGER,
	NODE_CAT_AI,
	NODE_CAT_SUB_COMPONENT,
	NODE_CAT_AGENT,
	NODE_CAT_MEMORY,
	NODE_CAT_OUTPUT,
	NODE_CAT_LOGIC,
	NODE_CAT_FLOW,
};

/* node_type.flags */
#define NODE_REQUIRES_MODEL         0x01u
#define NODE_REQUIRES_TOOLS         0x02u
#define NODE_REQUIRES_MEMORY        0x04u
#define NODE_REQUIRES_OUTPUT_PARSER 0x08u
#define NODE_REQUIRES_SKILLS        0x10u
#define NODE_EXECUTABLE             0x20u

struct node_port {
	const char *name;		/* NULL ends a port list */
	enum port_type type;
	const char *description;
	bool required;
	const char *schema_json;	/* a JSON Schema of the value, or NULL */
};

/* How config_schema is laid out.  Most types describe an object with
 * "type"/"properties"; reply_chat lists its fields at the top level, and
 * its fields put "description" before "default". */
enum config_shape {
	CONFIG_NONE,
	CONFIG_OBJECT,
	CONFIG_FLAT,
};

/* One configuration field.  Values that may be any JSON (a default, a
 * bound) are held as JSON text; NULL means the key is absent. */
struct config_field {
	const char *name;		/* NULL ends a field list */
	const char *type;		/* JSON Schema type name */
	const char *description;
	const char *default_json;
	const char *const *choices;	/* the enum, NULL-terminated, or NULL */
	const char *minimum;
	const char *maximum;
	const char *items_json;		/* schema of array items, or NULL */
	bool required;
};

struct node_type {
	const char *name;		/* component_type */
	const char *display_name;
	const char *description;
	enum node_category category;
	const struct node_port *inputs;	/* NULL or NULL-name terminated */
	const struct node_port *outputs;
	unsigned flags;
	enum config_shape config_shape;
	const struct config_field *config; /* NULL or NULL-name terminated */
};

/* The registry in the order the API lists it, and its length. */
const struct node_type *node_types_all(size_t *n);

/* The type named name, or NULL when there is none. */
const struct node_type *node_type_find(const char *name);

/* Number of ports in a list (0 for NULL). */
size_t node_port_count(const struct node_port *ports);

/* The first input/output port, or NULL when the type has none: the edge
 * type check compares these two. */
const struct node_port *node_type_first_input(const struct node_type *t);
const struct node_port *node_type_first_output(const struct node_type *t);

/* Whether a value of type from may flow into a port of type to: equal
 * types, either any, or message->messages, string->message,
 * string->messages (pipelit-engine.md section 5). */
bool port_types_compatible(enum port_type from, enum port_type to);

/* The API's names: "string", "messages", ...; "trigger", "sub_component". */
const char *port_type_name(enum port_type t);
const char *node_category_name(enum node_category c);

/* The whole registry as the JSON text of GET /api/v1/workflows/node-types/:
 * rendered on first call, then the same process-lifetime string (do not
 * free).  *len receives its length when len is not NULL.  NULL only if
 * rendering failed (a malformed JSON literal in the table). */
const char *node_types_json(size_t *len);

#endif
