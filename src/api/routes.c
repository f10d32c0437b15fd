/* routes.c: the whole HTTP surface, one line per route.  Literal segments
 * are listed before {param} routes that would also match them. */
#include "api.h"

#include "model/limits.h"
#include "util/config.h"

static const struct route routes[] = {
	{ "GET",  "/health",                   api_health,     AUTH_NONE, 0 },
	{ "GET",  "/status",                   api_status,     AUTH_NONE, 0 }, /* admin or loopback */
	{ "GET",  "/api/v1/openapi.json",      api_openapi,    AUTH_NONE, 0 },
	{ "GET",  "/api/v1/workflows/node-types/", api_node_types, AUTH_NONE, 0 },
	{ "GET",    "/api/v1/workflows/",               workflows_list,         AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/",               workflows_create,       AUTH_USER, ROUTE_JSON_BODY },
	{ "POST",   "/api/v1/workflows/batch-delete/",  workflows_batch_delete, AUTH_USER, ROUTE_JSON_BODY },
	{ "POST",   "/api/v1/workflows/import/",        workflows_import,       AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/workflows/{slug}/",        workflows_get,          AUTH_USER, 0 },
	{ "PATCH",  "/api/v1/workflows/{slug}/",        workflows_update,       AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/workflows/{slug}/",        workflows_delete,       AUTH_USER, 0 },
	{ "GET",    "/api/v1/workflows/{slug}/nodes/",           nodes_list,   AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/nodes/",           nodes_create, AUTH_USER, ROUTE_JSON_BODY },
	{ "PATCH",  "/api/v1/workflows/{slug}/nodes/{node_id}/", nodes_update, AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/workflows/{slug}/nodes/{node_id}/", nodes_delete, AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/nodes/{node_id}/schedule/start/", nodes_schedule_start, AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/nodes/{node_id}/schedule/pause/", nodes_schedule_pause, AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/nodes/{node_id}/schedule/stop/",  nodes_schedule_stop,  AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/validate/", workflows_validate,   AUTH_USER, 0 },
	{ "GET",    "/api/v1/workflows/{slug}/export/", workflows_export,       AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/execute/", workflows_execute,     AUTH_USER_KEPT,
	  ROUTE_JSON_BODY | ROUTE_OPTIONAL_BODY },
	{ "POST",   "/api/v1/workflows/{slug}/chat/",   workflows_chat,         AUTH_USER_KEPT, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/workflows/{slug}/chat/history", chat_history_get,  AUTH_USER, 0 },
	{ "DELETE", "/api/v1/workflows/{slug}/chat/history", chat_history_delete, AUTH_USER, 0 },
	{ "GET",    "/api/v1/workflows/{slug}/edges/",  edges_list,             AUTH_USER, 0 },
	{ "POST",   "/api/v1/workflows/{slug}/edges/",  edges_create,           AUTH_USER, ROUTE_JSON_BODY },
	{ "PATCH",  "/api/v1/workflows/{slug}/edges/{edge_id}/", edges_update,  AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/workflows/{slug}/edges/{edge_id}/", edges_delete,  AUTH_USER, 0 },

	{ "GET",  "/api/v1/executions/",                         executions_list,   AUTH_USER, 0 },
	{ "POST", "/api/v1/executions/batch-delete/",            executions_batch_delete, AUTH_USER,
	  ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/executions/stats/",                   executions_stats,  AUTH_USER, 0 },
	{ "GET",  "/api/v1/executions/{execution_id}/",          executions_get,    AUTH_USER, 0 },
	{ "GET",  "/api/v1/executions/{execution_id}/status/",   executions_status, AUTH_USER, 0 },
	{ "POST", "/api/v1/executions/{execution_id}/cancel/",   executions_cancel, AUTH_USER, 0 },
	{ "POST", "/api/v1/executions/{execution_id}/confirm/",  executions_confirm, AUTH_USER,
	  ROUTE_JSON_BODY },

	/* Any method: the webhook's own method answers 405 (webhooks.c). */
	{ ROUTE_ANY_METHOD, "/api/v1/webhooks/{path*}", webhooks_deliver, AUTH_NONE, 0 },

	{ "POST", "/api/v1/inbound",                api_inbound,           AUTH_NONE, 0 }, /* its own token */
	{ "POST", "/api/v1/auth/token/",            api_auth_token,        AUTH_NONE, ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/auth/me/",               api_auth_me,           AUTH_USER, 0 },
	{ "POST", "/api/v1/auth/logout/",           api_auth_logout,       AUTH_USER, 0 },
	{ "GET",  "/api/v1/auth/setup-status/",     api_auth_setup_status, AUTH_NONE, 0 },
	{ "POST", "/api/v1/auth/setup/",            api_auth_setup,        AUTH_NONE, ROUTE_JSON_BODY },

	{ "GET",    "/api/v1/users/me",                  api_users_me_get,         AUTH_USER, 0 },
	{ "PATCH",  "/api/v1/users/me",                  api_users_me_patch,       AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/users/me/keys",             api_users_me_keys_list,   AUTH_USER, 0 },
	{ "POST",   "/api/v1/users/me/keys",             api_users_me_keys_create, AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/users/me/keys/{key_id}",    api_users_me_keys_delete, AUTH_USER, 0 },
	{ "GET",    "/api/v1/users/",                    api_users_list,           AUTH_ADMIN, 0 },
	{ "POST",   "/api/v1/users/",                    api_users_create,         AUTH_ADMIN, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/users/{user_id}",           api_users_get,            AUTH_ADMIN, 0 },
	{ "PATCH",  "/api/v1/users/{user_id}",           api_users_patch,          AUTH_ADMIN, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/users/{user_id}",           api_users_delete,         AUTH_ADMIN, 0 },
	{ "GET",    "/api/v1/users/{user_id}/keys",      api_users_keys_list,      AUTH_ADMIN, 0 },
	{ "POST",   "/api/v1/users/{user_id}/keys",      api_users_keys_create,    AUTH_ADMIN, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/users/{user_id}/keys/{key_id}", api_users_keys_delete, AUTH_ADMIN, 0 },

	{ "POST", "/api/v1/auth/mfa/setup/",        api_mfa_setup,        AUTH_USER, 0 },
	{ "POST", "/api/v1/auth/mfa/verify/",       api_mfa_verify,       AUTH_USER, ROUTE_JSON_BODY },
	{ "POST", "/api/v1/auth/mfa/disable/",      api_mfa_disable,      AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/auth/mfa/status/",       api_mfa_status,       AUTH_USER, 0 },
	{ "POST", "/api/v1/auth/mfa/login-verify/", api_mfa_login_verify, AUTH_NONE, ROUTE_JSON_BODY },
	{ "POST", "/api/v1/auth/mfa/reset/",        api_mfa_reset,        AUTH_USER, ROUTE_JSON_BODY },

	{ "GET",    "/api/v1/schedules/",                        schedules_list,   AUTH_USER, 0 },
	{ "POST",   "/api/v1/schedules/",                        schedules_create, AUTH_USER, ROUTE_JSON_BODY },
	{ "POST",   "/api/v1/schedules/batch-delete/",           schedules_batch_delete, AUTH_USER, ROUTE_JSON_BODY },
	{ "POST",   "/api/v1/schedules/preview/",                schedules_preview, AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/schedules/{schedule_id}/",          schedules_get,    AUTH_USER, 0 },
	{ "PATCH",  "/api/v1/schedules/{schedule_id}/",          schedules_update, AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/schedules/{schedule_id}/",          schedules_delete, AUTH_USER, 0 },
	{ "POST",   "/api/v1/schedules/{schedule_id}/pause/",    schedules_pause,  AUTH_USER, 0 },
	{ "POST",   "/api/v1/schedules/{schedule_id}/resume/",   schedules_resume, AUTH_USER, 0 },
	{ "GET",    "/api/v1/schedules/{schedule_id}/next-runs/", schedules_next_runs, AUTH_USER, 0 },

	{ "GET",    "/api/v1/credentials/",                  credentials_list,     AUTH_USER, 0 },
	{ "POST",   "/api/v1/credentials/",                  credentials_create,   AUTH_USER, ROUTE_JSON_BODY },
	{ "POST",   "/api/v1/credentials/batch-delete/",     credentials_batch_delete, AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/credentials/{credential_id}/",  credentials_get,      AUTH_USER, 0 },
	{ "PATCH",  "/api/v1/credentials/{credential_id}/",  credentials_update,   AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/credentials/{credential_id}/",  credentials_delete,   AUTH_USER, 0 },
	{ "POST",   "/api/v1/credentials/{credential_id}/test/",   credentials_test,   AUTH_USER, 0 },
	{ "GET",    "/api/v1/credentials/{credential_id}/models/", credentials_models, AUTH_USER, 0 },
	{ "POST",   "/api/v1/credentials/{credential_id}/activate/",   credentials_gateway_toggle, AUTH_USER, 0 },
	{ "POST",   "/api/v1/credentials/{credential_id}/deactivate/", credentials_gateway_toggle, AUTH_USER, 0 },

	{ "GET",   "/api/v1/settings/",                      settings_get,   AUTH_USER,  0 },
	{ "PATCH", "/api/v1/settings/",                      settings_patch, AUTH_ADMIN, ROUTE_JSON_BODY },
	{ "POST",  "/api/v1/settings/recheck-environment/",  settings_recheck_environment, AUTH_USER, 0 },

	{ "GET",    "/api/v1/workspaces/",                   workspaces_list,   AUTH_USER, 0 },
	{ "POST",   "/api/v1/workspaces/",                   workspaces_create, AUTH_USER, ROUTE_JSON_BODY },
	{ "POST",   "/api/v1/workspaces/batch-delete/",      workspaces_batch_delete, AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",    "/api/v1/workspaces/{workspace_id}/",    workspaces_get,    AUTH_USER, 0 },
	{ "PATCH",  "/api/v1/workspaces/{workspace_id}/",    workspaces_update, AUTH_USER, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/workspaces/{workspace_id}/",    workspaces_delete, AUTH_USER, 0 },
	{ "POST",   "/api/v1/workspaces/{workspace_id}/reset/",        workspaces_reset,        AUTH_USER, 0 },
	{ "POST",   "/api/v1/workspaces/{workspace_id}/reset-rootfs/", workspaces_reset_rootfs, AUTH_USER, 0 },

	{ "GET",  "/api/v1/memories/facts/",                   memories_facts_list,       AUTH_ADMIN, 0 },
	{ "POST", "/api/v1/memories/facts/batch-delete/",      memories_facts_batch_delete, AUTH_ADMIN,
	  ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/memories/episodes/",                memories_episodes_list,    AUTH_ADMIN, 0 },
	{ "POST", "/api/v1/memories/episodes/batch-delete/",   memories_episodes_batch_delete, AUTH_ADMIN,
	  ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/memories/procedures/",              memories_procedures_list,  AUTH_ADMIN, 0 },
	{ "POST", "/api/v1/memories/procedures/batch-delete/", memories_procedures_batch_delete, AUTH_ADMIN,
	  ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/memories/users/",                   memories_users_list,       AUTH_ADMIN, 0 },
	{ "POST", "/api/v1/memories/users/batch-delete/",      memories_users_batch_delete, AUTH_ADMIN,
	  ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/memories/checkpoints/",             memories_checkpoints_list, AUTH_ADMIN, 0 },
	{ "POST", "/api/v1/memories/checkpoints/batch-delete/", memories_checkpoints_batch_delete,
	  AUTH_ADMIN, ROUTE_JSON_BODY },

	{ "POST", "/api/v1/events/ticket/",    api_events_ticket,    AUTH_USER, ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/events/authorize/", api_events_authorize, AUTH_NONE, 0 },

	{ "POST", "/api/v1/_test/publish/",    api_test_publish, AUTH_NONE, ROUTE_TEST_ONLY | ROUTE_JSON_BODY },
	{ "GET",  "/api/v1/_test/slow/",       api_test_slow,  AUTH_NONE, ROUTE_TEST_ONLY },
	{ "POST", "/api/v1/_test/crash/",      api_test_crash, AUTH_NONE, ROUTE_TEST_ONLY },
	{ "POST", "/api/v1/_test/write/",      api_test_write, AUTH_NONE, ROUTE_TEST_ONLY },
	{ "GET",  "/api/v1/_test/pid/",        api_test_pid,   AUTH_NONE, ROUTE_TEST_ONLY },
	{ "POST", "/api/v1/_test/fault-after-commit/", api_test_fault_after_commit, AUTH_NONE,
	  ROUTE_TEST_ONLY },
	{ "POST", "/api/v1/_test/checkpoints/", api_test_checkpoint_append, AUTH_NONE,
	  ROUTE_TEST_ONLY | ROUTE_JSON_BODY },
	{ "POST", "/api/v1/_test/echo/",       api_test_echo,  AUTH_NONE,
	  ROUTE_TEST_ONLY | ROUTE_JSON_BODY },
};

void
api_router_init(struct router *rt, const struct config *cfg)
{
	rt->routes = routes;
	rt->n = sizeof(routes) / sizeof(routes[0]);
	rt->skip_flags = cfg->test_routes ? 0 : ROUTE_TEST_ONLY;
	/* The workflow size limits the models enforce in this process. */
	graph_limits_set(&(struct graph_limits){
		cfg->max_nodes_per_workflow, cfg->max_edges_per_workflow, cfg->max_node_config_bytes,
	});
}
