/* workflow_document.c: see workflow_document.h. */
#include "workflow_document.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph/edge_rules.h"
#include "fields.h"
#include "http/validate.h"
#include "util/xalloc.h"
#include "workflow_credentials.h"

/* An item about what only a document has, at field (NULL: the nested
 * object itself). */
static void
doc_problem(struct validator *v, const char *field, json_t *input, const char *msg)
{
	char *text = xasprintf("Value error, %s", msg);
	v_add(v, V_BODY, field, "value_error", text, input ? json_incref(input) : json_null(),
	      json_pack("{s:{}}", "error"));
	free(text);
}

static void
check_header(struct validator *v, json_t *doc)
{
	json_t *fmt = json_object_get(doc, "format");
	json_t *ver = json_object_get(doc, "version");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), WORKFLOW_DOC_FORMAT) != 0)
		doc_problem(v, "format", fmt, "format should be '" WORKFLOW_DOC_FORMAT "'");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1
	    || json_integer_value(ver) > WORKFLOW_DOC_VERSION)
		doc_problem(v, "version", ver, "version should be 1 or 2");
}

/* The fields of one part of the document, checked at prefix. */
static json_t *
check_part(struct validator *v, json_t *doc, json_t *part, json_t *prefix,
	   json_t *(*check)(struct validator *, json_t *, int))
{
	v_nest(v, part, prefix);
	json_t *clean = check(v, part, 1);
	v_nest(v, doc, NULL);
	json_decref(prefix);
	return clean;
}

/* One node through the nodes API's checks; a document's node must name
 * itself, once.  Records node_id -> component_type in types for the edge
 * rules (from the document, so one bad field does not make its edges
 * look dangling). */
static json_t *
check_node(struct validator *v, json_t *doc, json_t *node, size_t i, json_t *types)
{
	json_t *at = json_pack("[s, I]", "nodes", (json_int_t)i);
	v_nest(v, node, at);
	json_t *clean = node_fields_check(v, node, 1);
	json_t *id = json_object_get(node, "node_id");
	if (json_is_object(node) && (id == NULL || json_is_null(id)))
		v_add(v, V_BODY, "node_id", "missing", "Field required", json_incref(node), NULL);
	const char *sid = json_string_value(id);
	const char *type = json_string_value(json_object_get(node, "component_type"));
	if (sid != NULL && json_object_get(types, sid) != NULL)
		doc_problem(v, "node_id", id, "this node_id names an earlier node of the document");
	else if (sid != NULL)
		json_object_set_new(types, sid, json_string(type ? type : ""));
	v_nest(v, doc, NULL);
	json_decref(at);
	return clean ? clean : json_object();
}

static const char *
type_in(json_t *types, const char *node_id)
{
	return node_id ? json_string_value(json_object_get(types, node_id)) : NULL;
}

/* The edge rules (graph/edge_rules.h, the same that edge creation and
 * validate apply) against the document's own nodes. */
static void
check_edge_rules(struct validator *v, json_t *e, json_t *types)
{
	const char *src = json_string_value(json_object_get(e, "source_node_id"));
	const char *tgt = json_string_value(json_object_get(e, "target_node_id"));
	const char *label = json_string_value(json_object_get(e, "edge_label"));
	struct edge_ends ends = {
		.source = src, .target = tgt ? tgt : "",
		.edge_type = json_string_value(json_object_get(e, "edge_type")),
		.label = label ? label : "",
		.condition_value = json_string_value(json_object_get(e, "condition_value")),
		.source_type = type_in(types, src), .target_type = type_in(types, tgt),
	};
	struct edge_problem found[EDGE_PROBLEMS_MAX];
	size_t n = edge_rules_check(&ends, found);
	for (size_t k = 0; k < n; k++) {
		const char *field = edge_problem_field(&found[k]);
		doc_problem(v, field, field ? json_object_get(e, field) : NULL, found[k].message);
	}
	edge_problems_free(found, n);
}

static json_t *
check_edge(struct validator *v, json_t *doc, json_t *edge, size_t i, json_t *types)
{
	json_t *at = json_pack("[s, I]", "edges", (json_int_t)i);
	v_nest(v, edge, at);
	json_t *clean = edge_fields_check(v, edge, 1);
	if (clean != NULL)
		check_edge_rules(v, clean, types);
	v_nest(v, doc, NULL);
	json_decref(at);
	return clean ? clean : json_object();
}

/* A list of the document, or an item saying it is not one. */
static json_t *
list_of(struct validator *v, json_t *doc, const char *key, int required)
{
	json_t *list = json_object_get(doc, key);
	if (list == NULL && !required)
		return NULL;
	if (list == NULL)
		v_add(v, V_BODY, key, "missing", "Field required", json_incref(doc), NULL);
	else if (!json_is_array(list))
		v_add(v, V_BODY, key, "list_type", "Input should be a valid list", json_incref(list),
		      NULL);
	return json_is_array(list) ? list : NULL;
}

int
workflow_document_check(struct validator *v, json_t *doc, struct workflow_plan *pl)
{
	pl->workflow = NULL;
	pl->nodes = json_array();
	pl->edges = json_array();
	pl->doc_nodes = NULL;
	size_t before = v_count(v);
	if (v_body_object(v, doc) != 1)
		return -1;
	check_header(v, doc);
	json_t *w = json_object_get(doc, "workflow");
	if (w == NULL)
		v_add(v, V_BODY, "workflow", "missing", "Field required", json_incref(doc), NULL);
	else
		pl->workflow = check_part(v, doc, w, json_pack("[s]", "workflow"), workflow_fields_check);
	json_t *nodes = list_of(v, doc, "nodes", 1);
	json_t *edges = list_of(v, doc, "edges", 0);
	json_t *types = json_object();   /* node_id -> component_type */
	size_t i;
	json_t *item;
	json_array_foreach(nodes, i, item)
		json_array_append_new(pl->nodes, check_node(v, doc, item, i, types));
	json_array_foreach(edges, i, item)
		json_array_append_new(pl->edges, check_edge(v, doc, item, i, types));
	json_decref(types);
	credential_refs_check(v, nodes);
	v_nest(v, doc, NULL);
	pl->doc_nodes = nodes;
	return v_count(v) > before ? -1 : 0;
}

void
workflow_plan_free(struct workflow_plan *pl)
{
	json_decref(pl->workflow);
	json_decref(pl->nodes);
	json_decref(pl->edges);
	memset(pl, 0, sizeof(*pl));
}
