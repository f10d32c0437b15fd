/*
 * webhook_config.h: the configuration of a trigger_webhook node (its
 * extra_config), its rules and its parsed form.
 *
 * The path rule: 1 to 255 characters of A-Z a-z 0-9 . _ ~ - and /, read as
 * segments separated by single slashes, with no leading or trailing slash
 * and no empty, "." or ".." segment, so one path has one spelling and the
 * URL /api/v1/webhooks/<path> means the same to nginx, to the server and
 * to the caller.  Paths are case-sensitive and unique across the instance
 * (the table webhook_paths, model/webhook.h).
 *
 * Signatures: an HMAC-SHA256 of the raw request body under the secret,
 * sent in signature_header: "sha256" is GitHub's "sha256=<hex>", "hex" the
 * bare hex, "stripe" Stripe's "t=<unix time>,v1=<hex>" where the HMAC is
 * of "<t>.<body>" and t must lie within signature_tolerance_seconds of now.
 */
#ifndef PIPELIT_GRAPH_WEBHOOK_CONFIG_H
#define PIPELIT_GRAPH_WEBHOOK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "graph/node_types.h"

#define WEBHOOK_PATH_MAX 255
#define WEBHOOK_SECRET_MAX 1024
#define WEBHOOK_HEADER_MAX 100
#define WEBHOOK_RESPOND_WITH_MAX 255

/* What a node answer shows for a stored secret; sent back in an update, it
 * keeps the stored secret (as a credential's masked header does). */
#define WEBHOOK_SECRET_MASK "********"

#define WEBHOOK_PATH_RULE                                                                \
	"Where the webhook listens: /api/v1/webhooks/<path>. 1 to 255 characters of "   \
	"A-Z a-z 0-9 . _ ~ - and /, as segments separated by single slashes (no leading " \
	"or trailing slash, no empty, '.' or '..' segment); unique across the instance"

enum webhook_signature {
	WEBHOOK_SIG_SHA256,   /* "sha256=<hex>" (GitHub) */
	WEBHOOK_SIG_STRIPE,   /* "t=<time>,v1=<hex>" over "<t>.<body>" (Stripe) */
	WEBHOOK_SIG_HEX,      /* "<hex>" */
};

/* A parsed, checked config with its defaults applied; strings owned. */
struct webhook_config {
	char *path;
	char method[8];                 /* "POST", ..., or "ANY" */
	char *secret;                   /* NULL: deliveries are not signed */
	char *signature_header;
	enum webhook_signature signature;
	int signature_tolerance_seconds;
	bool sync;                      /* mode "sync" */
	int max_wait_seconds;
	int rate_limit_per_minute;      /* 0: no limit */
	int max_concurrency;            /* 0: no limit */
	char *respond_with;             /* a node_id, or NULL: the final output */
};

/* Whether path follows the path rule; *why (static text) says how not. */
bool webhook_path_valid(const char *path, const char **why);

/* The registry's check of a trigger_webhook extra_config: the declared
 * fields (types, enums, bounds, path required), then the path rule, the
 * header name (an HTTP token) and the lengths.  The secret may be the
 * mask.  0, or -1 with *out set. */
int webhook_config_check(const json_t *extra_config, struct config_problem *out);

/* Checks and parses extra_config into *out (defaults applied; the secret
 * as extra_config has it, NULL when unset or ""). 0, or -1 with *problem
 * set (problem may be NULL) and *out empty. */
int webhook_config_parse(const json_t *extra_config, struct webhook_config *out,
			 struct config_problem *problem);

void webhook_config_free(struct webhook_config *c);

/* Whether a request with this method reaches the webhook. */
bool webhook_method_accepts(const struct webhook_config *c, const char *method);

#endif
