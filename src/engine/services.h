/*
 * services.h: the services an executor offers node kinds (node_kind.h
 * struct node_services), set up on its engine.
 */
#ifndef PIPELIT_ENGINE_SERVICES_H
#define PIPELIT_ENGINE_SERVICES_H

#include <stddef.h>

struct engine;

/* Fills e->services (e->db, e->multi and e->policy must be set). */
void engine_services_init(struct engine *e);
/* Closes what the services opened (the conversation store, the keys). */
void engine_services_free(struct engine *e);
/* Answers every reservation asked for with budget_reserve_later since the
 * last flush: one statement for the calls of workflows without a budget,
 * budget_reserve() for the others; their nodes are made ready.  How many
 * it answered. */
size_t engine_reservations_flush(struct engine *e);
/* Writes every answer's turn handed over with turn_later since the last
 * flush (settlements and checkpoints) in one transaction; their nodes are
 * made ready, *written says how many.  -1 when the database failed for a
 * while (a lost connection, a deadlock's victim, a full disk): nothing was
 * written and they wait for the next call.  A lasting failure gives them
 * up (logged; 0): their settlements are charged at their estimates later,
 * and their runs go on from an earlier checkpoint if they run again. */
int engine_turns_flush(struct engine *e, size_t *written);

#endif
