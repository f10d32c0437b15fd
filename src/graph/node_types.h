/*
 * node_types.h: the node-type registry, the one home of what the code knows
 * about each kind of node.  One constant table names every component type
 * a workflow node may have, with its ports, its sub-component needs, its
 * configuration fields and the flags below.  GET /api/v1/workflows/
 * node-types/ renders it; node writes read which config groups a kind
 * keeps; edge rules read its ports and flags; the engine reads whether a
 * kind is a trigger, a sub-component or a step it runs (node_type_role).
 * Nothing else keeps a list of kinds: a new kind is one entry here (and,
 * when the engine runs it, one file under src/nodes/).
 */
#ifndef PIPELIT_GRAPH_NODE_TYPES_H
#define PIPELIT_GRAPH_NODE_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

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

/* node_type.flags.  The first six are Pipelit's registry flags, rendered
 * by GET /node-types/ as they are (executable there is Pipelit's flag, not
 * whether our engine runs the kind: see node_type_role). */
#define NODE_REQUIRES_MODEL         0x01u
#define NODE_REQUIRES_TOOLS         0x02u
#define NODE_REQUIRES_MEMORY        0x04u
#define NODE_REQUIRES_OUTPUT_PARSER 0x08u
#define NODE_REQUIRES_SKILLS        0x10u
#define NODE_EXECUTABLE             0x20u
/* Starts executions; never run by the engine.  Its outgoing edges carry no
 * port value (their targets are the entry nodes, fed by the state the
 * trigger's payload seeds), so the port type check skips them.  Its config
 * keeps the trigger group (credential_id, is_active, priority,
 * trigger_config). */
#define NODE_IS_TRIGGER             0x40u
/* Wired into another node by a llm/tool/skill/output_parser edge and used
 * by it; never run by the engine as a step of its own. */
#define NODE_SUB_COMPONENT          0x80u
/* system_prompt is stored on create (agent, categorizer, router, extractor). */
#define NODE_KEEPS_PROMPT           0x100u
/* The config keeps the LLM model group (model_name, temperature, ...). */
#define NODE_MODEL_CONFIG           0x200u
/* May start conditional edges (its result's _route picks the branch). */
#define NODE_CONDITIONAL_SOURCE     0x400u
/* Always interrupts before it runs (human_confirmation). */
#define NODE_INTERRUPTS_BEFORE      0x800u
/* Accepted as a component_type but absent from GET /node-types/ (Pipelit's
 * code_execute and error_handler have no type spec). */
#define NODE_UNLISTED               0x1000u
/* The config keeps credential_id without the rest of the trigger group
 * (web_search: its SearXNG tool credential). */
#define NODE_KEEPS_CREDENTIAL       0x2000u

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

/* What went wrong with a config: the extra_config key (or NULL for the
 * whole object) and a readable message, both malloc'd. */
struct config_problem {
	char *field;
	char *message;
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
	/* Checks extra_config at save time, for kinds whose rules live here
	 * (trigger_webhook); NULL when the registry has none (the node kinds
	 * of src/nodes/ may have their own).  0, or -1 with *out filled. */
	int (*check_config)(const json_t *extra_config, struct config_problem *out);
};

/* How the engine treats a kind. */
enum node_role {
	NODE_ROLE_UNKNOWN,          /* not a registered kind */
	NODE_ROLE_TRIGGER,          /* starts executions, never runs */
	NODE_ROLE_SUB_COMPONENT,    /* used by the node it is wired into, never runs */
	NODE_ROLE_STEP,             /* run by the engine */
};

/* The registry in the order the API lists it (unlisted kinds last), and
 * its length. */
const struct node_type *node_types_all(size_t *n);

/* The type named name, or NULL when there is none. */
const struct node_type *node_type_find(const char *name);

/* Whether name is a registered kind with every bit of flags; false for
 * NULL and unknown names. */
bool node_type_has(const char *name, unsigned flags);

/* node_type_has(name, NODE_IS_TRIGGER). */
bool node_type_is_trigger(const char *name);

/* How the engine treats the kind named name. */
enum node_role node_type_role(const char *name);

/* Every accepted component_type, NULL-terminated, in registry order
 * (process-lifetime, do not free). */
const char *const *node_type_names(void);

/* Runs the kind's registry check of extra_config (0 when it has none). */
int node_type_check_config(const char *name, const json_t *extra_config,
			   struct config_problem *out);

void config_problem_free(struct config_problem *p);

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
