/* workflow_credentials.c: see workflow_credentials.h. */
#include "workflow_credentials.h"

#include <stdlib.h>
#include <string.h>

#include "graph/node_types.h"
#include "http/validate.h"
#include "model/credential.h"
#include "model/credential_ref.h"
#include "model/node.h"

#define CRED_NAME_MAX 255

/* A config slot that holds a credential: its id key in NodeOut, its
 * reference key in a document, and the node kinds that store it. */
struct slot {
	const char *id_key;
	const char *ref_key;
	bool (*kept_by)(const char *component_type);
};

static bool
is_model(const char *type)
{
	return node_type_has(type, NODE_MODEL_CONFIG);
}

/* Triggers keep credential_id in their group; web_search alone. */
static bool
keeps_credential(const char *type)
{
	return node_type_is_trigger(type) || node_type_has(type, NODE_KEEPS_CREDENTIAL);
}

static const struct slot slots[] = {
	{ "llm_credential_id", "llm_credential", is_model },
	{ "credential_id", "credential", keeps_credential },
};
#define NSLOTS (sizeof(slots) / sizeof(slots[0]))

static const char *
type_of(json_t *node)
{
	const char *t = json_string_value(json_object_get(node, "component_type"));
	return t ? t : "";
}

/* --- export ------------------------------------------------------------------- */

/* The reference for credential id, or null when there is none. */
static int
reference(struct db *db, json_t *id, json_t **out)
{
	*out = json_null();
	if (!json_is_integer(id))
		return 0;
	char *name, *type;
	int rc = credential_ref_describe(db, json_integer_value(id), &name, &type);
	if (rc == CREDREF_DB_ERROR)
		return -1;
	if (rc == CREDREF_OK)
		*out = json_pack("{s:s, s:s}", "name", name, "credential_type", type);
	free(name);
	free(type);
	return 0;
}

int
credential_refs_export(struct db *db, json_t *nodes)
{
	size_t i;
	json_t *node;
	json_array_foreach(nodes, i, node) {
		json_t *config = json_object_get(node, "config");
		for (size_t k = 0; k < NSLOTS; k++) {
			json_t *ref = NULL;
			if (slots[k].kept_by(type_of(node)) &&
			    reference(db, json_object_get(config, slots[k].id_key), &ref) != 0)
				return -1;
			json_object_del(config, slots[k].id_key);
			if (ref != NULL)
				json_object_set_new(config, slots[k].ref_key, ref);
		}
	}
	return 0;
}

/* --- import: the shape of a reference ------------------------------------------ */

void
credential_refs_check(struct validator *v, json_t *doc_nodes)
{
	size_t i;
	json_t *node;
	json_array_foreach(doc_nodes, i, node) {
		json_t *config = json_object_get(node, "config");
		for (size_t k = 0; json_is_object(config) && k < NSLOTS; k++) {
			json_t *ref = json_object_get(config, slots[k].ref_key);
			if (ref == NULL || json_is_null(ref))
				continue;
			json_t *at = json_pack("[s, I, s]", "nodes", (json_int_t)i, "config");
			v_nest(v, config, at);
			json_t *obj = NULL;
			if (v_object(v, config, slots[k].ref_key, 0, &obj) == 1) {
				json_array_append_new(at, json_string(slots[k].ref_key));
				v_nest(v, obj, at);
				const char *s;
				v_string(v, obj, "name", 1, 1, CRED_NAME_MAX, &s);
				v_literal(v, obj, "credential_type", 1, credential_types, &s);
			}
			v_nest(v, NULL, NULL);
			json_decref(at);
		}
	}
}

/* --- import: resolving ---------------------------------------------------------- */

static void
unresolved_add(json_t *list, json_t *node, const struct slot *s, json_t *ref, json_t *id)
{
	json_t *name = json_object_get(ref, "name"), *type = json_object_get(ref, "credential_type");
	json_array_append_new(list, json_pack("{s:O, s:s, s:O, s:O, s:O}",
		"node_id", json_object_get(node, "node_id") ? json_object_get(node, "node_id") : json_null(),
		"field", s->id_key, "name", name ? name : json_null(),
		"credential_type", type ? type : json_null(), "credential_id", id ? id : json_null()));
}

/* The id a slot of a document node resolves to for user_id: *id 0 with the
 * reference listed in unresolved when it does not.  0, or -1. */
static int
resolve_slot(struct db *db, int64_t user_id, json_t *node, const struct slot *s,
	     json_t *unresolved, int64_t *id)
{
	json_t *config = json_object_get(node, "config");
	json_t *ref = json_object_get(config, s->ref_key);
	json_t *old = json_object_get(config, s->id_key);
	int rc;
	*id = 0;
	if (json_is_object(ref)) {
		rc = credential_ref_resolve(db, user_id,
					    json_string_value(json_object_get(ref, "name")),
					    json_string_value(json_object_get(ref, "credential_type")), id);
	} else if (json_is_integer(old)) {
		/* An id from a version 1 document: trusted only as the user's own. */
		*id = json_integer_value(old);
		rc = credential_ref_owned(db, user_id, *id);
		ref = NULL;
	} else {
		return 0;
	}
	if (rc == CREDREF_DB_ERROR)
		return -1;
	if (rc != CREDREF_OK) {
		*id = 0;
		unresolved_add(unresolved, node, s, ref, ref ? NULL : old);
	}
	return 0;
}

int
credential_refs_resolve(struct db *db, int64_t user_id, json_t *doc_nodes, json_t *plan_nodes,
			json_t *unresolved)
{
	size_t i;
	json_t *node;
	json_array_foreach(doc_nodes, i, node) {
		json_t *fields = json_array_get(plan_nodes, i);
		if (fields == NULL)
			break;
		for (size_t k = 0; k < NSLOTS; k++) {
			json_t *config = json_object_get(fields, "config");
			if (config == NULL) {
				config = json_object();
				json_object_set_new(fields, "config", config);
			}
			json_object_del(config, slots[k].id_key);
			if (!slots[k].kept_by(type_of(node)))
				continue;
			int64_t id;
			if (resolve_slot(db, user_id, node, &slots[k], unresolved, &id) != 0)
				return -1;
			json_object_set_new(config, slots[k].id_key, id ? json_integer(id) : json_null());
		}
	}
	return 0;
}
