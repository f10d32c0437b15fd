/*
 * services.h: the services an executor offers node kinds (node_kind.h
 * struct node_services), set up on its engine.
 */
#ifndef PIPELIT_ENGINE_SERVICES_H
#define PIPELIT_ENGINE_SERVICES_H

struct engine;

/* Fills e->services (e->db, e->multi and e->policy must be set). */
void engine_services_init(struct engine *e);
/* Closes what the services opened (the conversation store, the keys). */
void engine_services_free(struct engine *e);

#endif
