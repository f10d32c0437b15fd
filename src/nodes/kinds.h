/*
 * kinds.h: the node kinds the registry (node_kind.c) lists, one file each
 * (kind_<name>.c).
 */
#ifndef PIPELIT_NODES_KINDS_H
#define PIPELIT_NODES_KINDS_H

#include "nodes/node_kind.h"

extern const struct node_kind node_kind_switch;
extern const struct node_kind node_kind_router;
extern const struct node_kind node_kind_filter;
extern const struct node_kind node_kind_merge;
extern const struct node_kind node_kind_loop;
extern const struct node_kind node_kind_wait;
extern const struct node_kind node_kind_assertion;
extern const struct node_kind node_kind_human_confirmation;
extern const struct node_kind node_kind_reply_chat;
extern const struct node_kind node_kind_identify_user;
extern const struct node_kind node_kind_agent;
extern const struct node_kind node_kind_categorizer;
extern const struct node_kind node_kind_extractor;
extern const struct node_kind node_kind_workflow;

#endif
