/*
 * api.h: the HTTP surface.  routes.c holds the one route table; each
 * handler lives in the file of its resource.
 */
#ifndef PIPELIT_API_H
#define PIPELIT_API_H

#include "http/router.h"

struct config;
struct req;

/* Points rt at the route table, hiding test-only routes unless
 * cfg->test_routes is set. */
void api_router_init(struct router *rt, const struct config *cfg);

/* health.c */
int api_health(struct req *r);
int api_status(struct req *r);

/* openapi.c: GET /api/v1/openapi.json, the embedded doc/openapi.json */
int api_openapi(struct req *r);

/* node_types.c: GET /api/v1/workflows/node-types/ */
int api_node_types(struct req *r);

/* workflows.c: /api/v1/workflows/... */
int workflows_list(struct req *r);
int workflows_create(struct req *r);
int workflows_batch_delete(struct req *r);
int workflows_get(struct req *r);
int workflows_update(struct req *r);
int workflows_delete(struct req *r);

/* nodes.c: /api/v1/workflows/{slug}/nodes/... */
int nodes_list(struct req *r);
int nodes_create(struct req *r);
int nodes_update(struct req *r);
int nodes_delete(struct req *r);

/* node_schedule.c: /api/v1/workflows/{slug}/nodes/{node_id}/schedule/... */
int nodes_schedule_start(struct req *r);
int nodes_schedule_pause(struct req *r);
int nodes_schedule_stop(struct req *r);

/* schedules.c: /api/v1/schedules/... */
int schedules_list(struct req *r);
int schedules_create(struct req *r);
int schedules_batch_delete(struct req *r);
int schedules_preview(struct req *r);
int schedules_get(struct req *r);
int schedules_update(struct req *r);
int schedules_delete(struct req *r);
int schedules_pause(struct req *r);
int schedules_resume(struct req *r);
int schedules_next_runs(struct req *r);

/* inbound.c: POST /api/v1/inbound, the message gateway's webhook */
int api_inbound(struct req *r);

/* executions.c: /api/v1/executions/... */
int executions_list(struct req *r);
int executions_batch_delete(struct req *r);
int executions_get(struct req *r);
int executions_status(struct req *r);
int executions_cancel(struct req *r);
int executions_confirm(struct req *r);
/* execution_stats.c: GET /api/v1/executions/stats/ */
int executions_stats(struct req *r);

/* triggers.c: /api/v1/workflows/{slug}/execute/ and .../chat/ */
int workflows_execute(struct req *r);
int workflows_chat(struct req *r);

/* webhooks.c: /api/v1/webhooks/<path>, any method */
int webhooks_deliver(struct req *r);

/* mfa.c: /api/v1/auth/mfa/... */
int api_mfa_setup(struct req *r);
int api_mfa_verify(struct req *r);
int api_mfa_disable(struct req *r);
int api_mfa_status(struct req *r);
int api_mfa_login_verify(struct req *r);
int api_mfa_reset(struct req *r);

/* credentials.c: /api/v1/credentials/... */
int credentials_list(struct req *r);
int credentials_create(struct req *r);
int credentials_batch_delete(struct req *r);
int credentials_get(struct req *r);
int credentials_update(struct req *r);
int credentials_delete(struct req *r);
int credentials_test(struct req *r);
int credentials_models(struct req *r);
int credentials_gateway_toggle(struct req *r);

/* edges.c, validate.c: /api/v1/workflows/{slug}/edges/..., .../validate/ */
int edges_list(struct req *r);
int edges_create(struct req *r);
int edges_update(struct req *r);
int edges_delete(struct req *r);
int workflows_validate(struct req *r);
int workflows_export(struct req *r);
int workflows_import(struct req *r);

/* auth.c: /api/v1/auth/ login, me, first-run setup */
int api_auth_token(struct req *r);
int api_auth_logout(struct req *r);
int api_auth_me(struct req *r);
int api_auth_setup_status(struct req *r);
int api_auth_setup(struct req *r);

/* users.c: /api/v1/users/... */
int api_users_me_get(struct req *r);
int api_users_me_patch(struct req *r);
int api_users_me_keys_list(struct req *r);
int api_users_me_keys_create(struct req *r);
int api_users_me_keys_delete(struct req *r);
int api_users_list(struct req *r);
int api_users_create(struct req *r);
int api_users_get(struct req *r);
int api_users_patch(struct req *r);
int api_users_delete(struct req *r);
int api_users_keys_list(struct req *r);
int api_users_keys_create(struct req *r);
int api_users_keys_delete(struct req *r);

/* settings.c: /api/v1/settings/ and .../recheck-environment/ */
int settings_get(struct req *r);
int settings_patch(struct req *r);
int settings_recheck_environment(struct req *r);

/* workspaces.c: /api/v1/workspaces/... */
int workspaces_list(struct req *r);
int workspaces_create(struct req *r);
int workspaces_batch_delete(struct req *r);
int workspaces_get(struct req *r);
int workspaces_update(struct req *r);
int workspaces_delete(struct req *r);
int workspaces_reset(struct req *r);
int workspaces_reset_rootfs(struct req *r);

/* events.c: live-event tickets, nginx's subscriber check, a test publish */
int api_events_ticket(struct req *r);
int api_events_authorize(struct req *r);
int api_test_publish(struct req *r);

/* memories.c: /api/v1/memories/... (admin), and the checkpoint store's
 * failures answered alike everywhere */
struct cstore;
int memories_facts_list(struct req *r);
int memories_episodes_list(struct req *r);
int memories_procedures_list(struct req *r);
int memories_users_list(struct req *r);
int memories_checkpoints_list(struct req *r);
int memories_facts_batch_delete(struct req *r);
int memories_episodes_batch_delete(struct req *r);
int memories_procedures_batch_delete(struct req *r);
int memories_users_batch_delete(struct req *r);
int memories_checkpoints_batch_delete(struct req *r);
int api_cstore_failed(struct req *r, struct cstore *cs, const char *err, const char *detail);
int api_test_checkpoint_append(struct req *r);

/* chat_history.c: /api/v1/workflows/{slug}/chat/history */
int chat_history_get(struct req *r);
int chat_history_delete(struct req *r);

/* testing.c: only routed with PIPELIT_TEST_ROUTES=1 */
int api_test_slow(struct req *r);
int api_test_crash(struct req *r);
int api_test_write(struct req *r);
int api_test_pid(struct req *r);
int api_test_echo(struct req *r);
int api_test_fault_after_commit(struct req *r);

#endif
