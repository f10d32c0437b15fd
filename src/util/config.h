/*
 * config.h: the process configuration.
 *
 * Values come from the environment, which overrides a .env file in the
 * working directory (or the file given with --env-file).  Loaded once by
 * each command before it does anything else; read-only afterwards.
 */
#ifndef PIPELIT_CONFIG_H
#define PIPELIT_CONFIG_H

#include <stddef.h>

#include "netaddr.h"

struct config {
	char *data_dir;          /* PIPELIT_DATA_DIR, absolute; default ./data */
	char *database_url;      /* DATABASE_URL; default sqlite:////<data_dir>/db.sqlite3 */
	char *checkpoints_path;  /* CHECKPOINTS_DB_PATH; default beside the SQLite file */
	int checkpoints_in_database; /* CHECKPOINTS_STORE=database: the checkpoint store's
					tables in the main database (several hosts); file
					(default): its own SQLite file at checkpoints_path */
	long checkpoint_thread_max_messages; /* CHECKPOINT_THREAD_MAX_MESSAGES, 200: a
						thread's bound, oldest trimmed first */
	char *workspaces_dir;    /* PIPELIT_WORKSPACES_DIR, absolute; default <data_dir>/workspaces */
	char *field_encryption_key; /* FIELD_ENCRYPTION_KEY or NULL */
	char *field_encryption_key_old; /* FIELD_ENCRYPTION_KEY_OLD: keys that still open
					   values (during a rotation), or NULL */
	char *secret_key;        /* SECRET_KEY, else the key kept in <data_dir>/secret_key;
				    NULL when neither (serve and fcgi then make one:
				    util/secret_key.h) */
	int log_level;           /* LOG_LEVEL */
	char *log_file;          /* LOG_FILE or NULL for stderr */
	int cors_allow_all_origins;      /* CORS_ALLOW_ALL_ORIGINS */
	long zombie_threshold_seconds;   /* ZOMBIE_EXECUTION_THRESHOLD_SECONDS, 900 */
	/* Stored and shown by /api/v1/settings/ (doc/settings.md); nothing
	 * else reads them yet. */
	char *sandbox_mode;              /* SANDBOX_MODE: auto (default), bwrap or container */
	char *redis_url;                 /* REDIS_URL, redis://localhost:6379/0 */
	char *platform_base_url;         /* PLATFORM_BASE_URL, "" */
	char *env_file_names;            /* "\nNAME\n...": variables the .env file set */
	long mfa_rate_window_seconds;    /* MFA_RATE_WINDOW_SECONDS, 60 */
	long mfa_rate_max_attempts;      /* MFA_RATE_MAX_ATTEMPTS, 5 per window and user */
	long mfa_lockout_threshold;      /* MFA_LOCKOUT_THRESHOLD, 10 consecutive failures */
	long mfa_lockout_seconds;        /* MFA_LOCKOUT_SECONDS, 900 */
	long provider_timeout_seconds;   /* PIPELIT_OUTBOUND_TIMEOUT_SECONDS (older name
					    PROVIDER_TIMEOUT_SECONDS), 15: the total deadline
					    of one outbound call, redirects included */
	char *outbound_allow;            /* PIPELIT_OUTBOUND_ALLOW: hosts and CIDRs the outbound
					    policy lets through although not public; NULL = none */
	long outbound_per_user;          /* PIPELIT_OUTBOUND_PER_USER, 2: provider probes one
					    user may have in flight across the pool */
	long execution_retention_seconds; /* EXECUTION_RETENTION (30d, 12h); 0 = keep all */
	int execution_retention_keep_failed; /* EXECUTION_RETENTION_KEEP_FAILED */
	long execution_prune_interval_seconds; /* EXECUTION_PRUNE_INTERVAL_SECONDS, 3600 */
	long password_checks;    /* PIPELIT_PASSWORD_CHECKS: Argon2id runs at once on this host;
				    default half the responders, at least 1 */
	int sqlite_synchronous;  /* PIPELIT_SQLITE_SYNCHRONOUS: 1 NORMAL, 2 FULL (default), 3 EXTRA */
	long db_query_timeout_seconds; /* PIPELIT_DB_QUERY_TIMEOUT_SECONDS, 10: PostgreSQL
					  statement deadline (server and client side) */
	long detail_cache_kb;    /* PIPELIT_DETAIL_CACHE_KB, 1024: rendered workflow details
				    kept per responder; 0 = off */

	/* How large a workflow may grow (model/limits.h). */
	long max_nodes_per_workflow;   /* PIPELIT_MAX_NODES_PER_WORKFLOW, 5000 */
	long max_edges_per_workflow;   /* PIPELIT_MAX_EDGES_PER_WORKFLOW, 20000 */
	long max_node_config_bytes;    /* PIPELIT_MAX_NODE_CONFIG_BYTES, 262144 */
	long max_import_bytes;         /* PIPELIT_MAX_IMPORT_BYTES, 8 MiB: an import document */

	/* The pool. */
	char *socket;            /* PIPELIT_SOCKET: unix path, or HOST:PORT; default <data_dir>/pipelit.sock */
	int socket_mode;         /* PIPELIT_SOCKET_MODE (octal), 0660 */
	char *socket_group;      /* PIPELIT_SOCKET_GROUP: the web server's group, or NULL */
	int responders;          /* PIPELIT_RESPONDERS, 8 */
	int executors;           /* PIPELIT_EXECUTORS, 1 */
	long trigger_writer;     /* PIPELIT_TRIGGER_WRITER, 1: the pool runs a trigger writer
				    (engine/trigger_relay.h); 0 = none, each trigger commits alone */
	long max_requests;       /* PIPELIT_MAX_REQUESTS, 10000; 0 = never recycle */
	char *pid_file;          /* PIPELIT_PID_FILE; default <data_dir>/pipelit.pid */
	long max_body_bytes;     /* PIPELIT_MAX_BODY_BYTES, 10 MiB */
	long shutdown_timeout_seconds;   /* PIPELIT_SHUTDOWN_TIMEOUT_SECONDS, 30 */
	long respawn_backoff_max_seconds; /* PIPELIT_RESPAWN_BACKOFF_MAX_SECONDS, 30 */
	long request_timeout_seconds;    /* PIPELIT_REQUEST_TIMEOUT_SECONDS, 60: the master kills
					    a child in one request longer than this */
	long slow_request_seconds;       /* PIPELIT_SLOW_REQUEST_SECONDS, 5: counted as slow */
	long stall_timeout_seconds;      /* PIPELIT_STALL_TIMEOUT_SECONDS, 60: the master kills an
					    executor or trigger writer whose loop stalls longer */
	int test_routes;         /* PIPELIT_TEST_ROUTES: enables test-only routes */

	/* Login security (doc/security.md). */
	char *trusted_proxies;   /* PIPELIT_TRUSTED_PROXIES: addresses/CIDRs whose
				    X-Forwarded-For is believed; NULL = none */
	struct cidr *trusted_proxy_list;  /* owned; parsed trusted_proxies */
	size_t trusted_proxy_count;
	long login_max_failures;          /* PIPELIT_LOGIN_MAX_FAILURES, 5: per account and address */
	long login_account_max_failures;  /* PIPELIT_LOGIN_ACCOUNT_MAX_FAILURES, 50: per account */
	long login_address_max_failures;  /* PIPELIT_LOGIN_ADDRESS_MAX_FAILURES, 100: per address */
	long login_backoff_seconds;       /* PIPELIT_LOGIN_BACKOFF_SECONDS, 1: first block, doubling */
	long login_backoff_max_seconds;   /* PIPELIT_LOGIN_BACKOFF_MAX_SECONDS, 900 */
	long login_forget_seconds;        /* PIPELIT_LOGIN_FORGET_SECONDS, 3600: quiet time that
					     resets a counter */
	long mfa_grant_seconds;           /* MFA_LOGIN_GRANT_SECONDS, 300: password step -> code */
	long session_idle_seconds;        /* PIPELIT_SESSION_IDLE_SECONDS, 43200 (12 h) */
	long session_max_seconds;         /* PIPELIT_SESSION_MAX_SECONDS, 604800 (7 days) */

	/* Live events. */
	char *events_publish_url; /* EVENTS_PUBLISH_URL: nginx's publisher; NULL = publishing off */
	long event_ticket_seconds; /* EVENT_TICKET_SECONDS, 60: lifetime of a subscription ticket */
	long event_buffer_seconds; /* EVENT_BUFFER_SECONDS, 300: how long nginx keeps a channel's messages */

	/* The message gateway (doc/gateway.md). */
	char *gateway_url;        /* GATEWAY_URL: http(s) base of msg-gateway, no trailing
				     slash; NULL = replies are not sent */
	char *gateway_send_token; /* GATEWAY_SEND_TOKEN: Bearer for its /api/v1/send, or NULL */
	char *gateway_inbound_token; /* GATEWAY_INBOUND_TOKEN: what POST /api/v1/inbound must
					present; NULL = the route answers 503 */
	long gateway_send_max_attempts; /* GATEWAY_SEND_MAX_ATTEMPTS, 20: sends of one message
					   before it is dropped (logged) */
	long gateway_retry_max_seconds; /* GATEWAY_RETRY_MAX_SECONDS, 300: the longest back-off
					   between two sends (1 s, doubling, up to this) */

	/* Prices and budgets (doc/budgets.md). */
	char *pricing_file;       /* PIPELIT_PRICING_FILE: the operator's pricing entries,
				     matched before the built-in ones; NULL = none.  Loaded
				     (llm/pricing.h) and checked by config_load. */
	long budget_reservation_seconds; /* PIPELIT_BUDGET_RESERVATION_SECONDS, 3600: an LLM
					    call's reservation not settled by then is charged
					    at its estimate */
};

/*
 * Loads the configuration.  env_file NULL means ".env" in the working
 * directory, silently skipped when absent; an explicit file must exist.
 * Returns 0, or -1 with a malloc'd message naming the variable in *err.
 */
int config_load(struct config *cfg, const char *env_file, char **err);
void config_free(struct config *cfg);

/* Whether the variable name had a value in the environment or the .env
 * file when cfg was loaded (1), or took its default (0). */
int config_was_set(const struct config *cfg, const char *name);

/*
 * A PIPELIT_SOCKET value as the pool uses it (malloc'd): a path made
 * absolute, HOST:PORT kept, and a bare PORT or ":PORT" bound to 127.0.0.1
 * (the FastCGI socket answers anyone who reaches it, so every interface
 * must be asked for by name, e.g. 0.0.0.0:9000).
 */
char *config_socket_spec(const char *value);

/*
 * Parses a .env text into a callback per KEY=VALUE (comments, blank lines,
 * "export " prefixes and single/double quotes handled).  Returns 0, or the
 * 1-based number of the first malformed line.
 */
int dotenv_parse(const char *text, void (*cb)(const char *key, const char *value, void *arg),
		 void *arg);

/* Value parsers shared by config and the command line; 0 on success. */
int config_parse_bool(const char *s, int *out);
int config_parse_long(const char *s, long min, long max, long *out);
/* A DURATION: a whole number followed by d, h, m or s ("30d", "12h"). */
int config_parse_duration(const char *s, long *seconds);

#endif
