/*
 * test_kinds.h: node kinds that exist only for the engine's own tests,
 * reachable only when PIPELIT_TEST_ROUTES is set (DESIGN.md: test-only
 * behaviour needs a test setting):
 *   test_sleep   blocks its executor for extra_config.seconds (a node in
 *                flight long enough to kill its executor under it), in
 *                every run, or only in the first extra_config.sleeping_runs
 *                when set
 *   test_flaky   fails its first extra_config.fail_times runs, then
 *                succeeds with {"attempt": n}
 *   test_http    GETs extra_config.url on the executor's event loop (a
 *                node that waits on I/O) under the outbound policy, and
 *                succeeds with {"status", "body", "attempt"}
 * Tests give a node one of these types by changing its component_type in
 * the database; the API knows nothing of them.
 */
#ifndef PIPELIT_ENGINE_TEST_KINDS_H
#define PIPELIT_ENGINE_TEST_KINDS_H

#include "nodes/node_kind.h"

/* The kind named name: a test kind when enabled, else node_kind_find(). */
const struct node_kind *engine_kind_find(const char *name, int test_kinds);

#endif
