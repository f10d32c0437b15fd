/* test_webhook_model.c: webhook paths through model/node.c and
 * model/webhook.h on a migrated in-memory SQLite database: a
 * trigger_webhook node's path row written with the node, the secret sealed
 * (never in component_configs), webhook_find with the secret opened, the
 * path unique across workflows, updates, a type change, the row gone with
 * the node and with the workflow, and the secret re-sealed by key
 * rotation. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "db/migrate.h"
#include "model/node.h"
#include "model/secrets.h"
#include "model/webhook.h"
#include "tap.h"

static const char KEY[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

static struct db *
open_db(void)
{
	char *err = NULL;
	struct db *db = db_open_create("sqlite://", &err);
	if (db == NULL || migrate_upgrade(db, "head", &err) != 0) {
		printf("# %s\n", err ? err : "open failed");
		free(err);
		return NULL;
	}
	db_exec(db, "INSERT INTO user_profiles (id, username) VALUES (1, 'alice')");
	db_exec(db, "INSERT INTO workflows (id, name, slug, owner_id, created_at, updated_at) VALUES "
		    "(10, 'A', 'wf-a', 1, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')");
	db_exec(db, "INSERT INTO workflows (id, name, slug, owner_id, is_active, created_at, "
		    "updated_at) VALUES (11, 'B', 'wf-b', 1, FALSE, '2026-01-01 00:00:00.000000', "
		    "'2026-01-01 00:00:00.000000')");
	return db;
}

static char *
text(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	char *out = NULL;
	if (st != NULL && db_step(st) == DB_ROW)
		out = strdup(db_column_text(st, 0) ? db_column_text(st, 0) : "(null)");
	if (st != NULL)
		db_reset(st);
	return out ? out : strdup("(none)");
}

static int
create(struct db *db, const struct field_keyring *ring, int64_t wf, const char *node_id,
       const char *extra_json, struct config_problem *why)
{
	json_t *fields = json_pack("{s:s, s:s, s:{s:o}}", "node_id", node_id, "component_type",
				   "trigger_webhook", "config", "extra_config",
				   json_loads(extra_json, 0, NULL));
	char *id = NULL;
	int rc = node_create(db, wf, fields, ring, &id, why);
	free(id);
	json_decref(fields);
	return rc;
}

static int
update(struct db *db, const struct field_keyring *ring, int64_t wf, const char *node_id,
       json_t *fields, struct config_problem *why)
{
	char *id = NULL;
	int rc = node_update(db, wf, node_id, fields, ring, &id, why);
	free(id);
	json_decref(fields);
	return rc;
}

static void
test_create_and_find(struct db *db, const struct field_keyring *ring)
{
	struct config_problem why = { NULL, NULL };
	is_int(create(db, ring, 10, "hook", "{\"path\":\"gh/push\",\"secret\":\"s3cret-value\","
		      "\"mode\":\"sync\",\"max_wait_seconds\":7}", &why), NODE_OK, "a webhook node");
	char *extra = text(db, "SELECT c.extra_config FROM component_configs c JOIN workflow_nodes n "
			       "ON n.component_config_id = c.id WHERE n.node_id = 'hook'");
	ok(strstr(extra, "s3cret") == NULL && strstr(extra, WEBHOOK_SECRET_MASK) != NULL,
	   "component_configs holds the mask, never the secret: %s", extra);
	free(extra);
	char *sealed = text(db, "SELECT secret FROM webhook_paths WHERE path = 'gh/push'");
	ok(strncmp(sealed, "v2:", 3) == 0 && strstr(sealed, "s3cret") == NULL,
	   "webhook_paths holds it sealed");
	free(sealed);

	struct webhook_target t;
	is_int(webhook_find(db, ring, "gh/push", &t), WEBHOOK_OK, "webhook_find finds it");
	is_str(t.node_id, "hook", "the node");
	is_str(t.workflow_slug, "wf-a", "its workflow");
	ok(t.workflow_id == 10 && t.owner_id == 1, "workflow id and owner");
	ok(t.workflow_active && t.owner_active && t.trigger_active, "all active");
	is_str(t.config.secret ? t.config.secret : "(none)", "s3cret-value", "the secret, opened");
	ok(t.config.sync && t.config.max_wait_seconds == 7, "the config, parsed");
	is_str(t.config.method, "POST", "with its defaults");
	webhook_target_free(&t);

	is_int(webhook_find(db, NULL, "gh/push", &t), WEBHOOK_KEY_MISMATCH,
	       "without the key the secret cannot be opened");
	is_int(webhook_find(db, ring, "gh/pull", &t), WEBHOOK_NOT_FOUND, "another path: not found");
	is_int(webhook_find(db, ring, "GH/push", &t), WEBHOOK_NOT_FOUND, "paths are case-sensitive");

	is_int(create(db, ring, 11, "other", "{\"path\":\"gh/push\"}", &why), NODE_WEBHOOK_PATH_TAKEN,
	       "the same path in another workflow: taken");
	is_str(why.message, "Webhook path 'gh/push' is already used by another webhook trigger.",
	       "saying so");
	config_problem_free(&why);
	is_int(create(db, ring, 10, "twin", "{\"path\":\"gh/push\"}", &why), NODE_WEBHOOK_PATH_TAKEN,
	       "in the same workflow too");
	config_problem_free(&why);
	char *n = text(db, "SELECT count(*) FROM workflow_nodes WHERE node_id IN ('other', 'twin')");
	is_str(n, "0", "and neither node was written");
	free(n);

	is_int(create(db, NULL, 10, "nokey", "{\"path\":\"k\",\"secret\":\"x\"}", &why),
	       NODE_NEEDS_KEY, "a secret without a key to seal it");
	is_int(create(db, ring, 10, "masked", "{\"path\":\"m\",\"secret\":\"" WEBHOOK_SECRET_MASK
		      "\"}", &why), NODE_BAD_CONFIG, "the mask where no secret is stored");
	is_str(why.field, "secret", "points at the secret");
	config_problem_free(&why);
	is_int(create(db, ring, 10, "bad", "{\"path\":\"a/../b\"}", &why), NODE_BAD_CONFIG,
	       "a bad path");
	is_str(why.field, "path", "points at the path");
	config_problem_free(&why);
}

static void
test_update(struct db *db, const struct field_keyring *ring)
{
	struct config_problem why = { NULL, NULL };
	is_int(update(db, ring, 10, "hook", json_pack("{s:{s:{s:s, s:s}}}", "config", "extra_config",
						       "path", "gh/push2", "secret", WEBHOOK_SECRET_MASK),
		      &why), NODE_OK, "a new path, the mask sent back");
	struct webhook_target t;
	is_int(webhook_find(db, ring, "gh/push2", &t), WEBHOOK_OK, "found at the new path");
	is_str(t.config.secret ? t.config.secret : "(none)", "s3cret-value", "the secret kept");
	ok(!t.config.sync, "the rest replaced with extra_config (mode back to async)");
	webhook_target_free(&t);
	is_int(webhook_find(db, ring, "gh/push", &t), WEBHOOK_NOT_FOUND, "the old path is free");

	is_int(update(db, ring, 10, "hook", json_pack("{s:s}", "label", "renamed"), &why), NODE_OK,
	       "an update without extra_config");
	is_int(webhook_find(db, ring, "gh/push2", &t), WEBHOOK_OK, "keeps path");
	ok(t.config.secret != NULL, "and secret");
	webhook_target_free(&t);

	is_int(update(db, ring, 10, "hook", json_pack("{s:{s:{s:s}}}", "config", "extra_config",
						       "path", "gh/push2"), &why), NODE_OK,
	       "extra_config without a secret");
	is_int(webhook_find(db, ring, "gh/push2", &t), WEBHOOK_OK, "found");
	ok(t.config.secret == NULL, "the secret is gone");
	webhook_target_free(&t);

	is_int(create(db, ring, 10, "second", "{\"path\":\"two\"}", &why), NODE_OK, "a second hook");
	is_int(update(db, ring, 10, "second", json_pack("{s:{s:{s:s}}}", "config", "extra_config",
							 "path", "gh/push2"), &why),
	       NODE_WEBHOOK_PATH_TAKEN, "renaming onto a taken path");
	config_problem_free(&why);
	is_int(webhook_find(db, ring, "two", &t), WEBHOOK_OK, "it kept its own");
	webhook_target_free(&t);

	is_int(update(db, ring, 10, "second", json_pack("{s:s, s:{s:{}}}", "component_type", "code",
							 "config", "extra_config"), &why),
	       NODE_OK, "no longer a webhook, and its extra_config emptied");
	is_int(webhook_find(db, ring, "two", &t), WEBHOOK_NOT_FOUND, "its path is free");
	is_int(update(db, ring, 10, "second", json_pack("{s:s}", "component_type", "trigger_webhook"),
		      &why), NODE_BAD_CONFIG, "becoming one again needs a valid stored config");
	config_problem_free(&why);
	is_int(update(db, ring, 10, "second", json_pack("{s:s, s:{s:{s:s}}}", "component_type",
							 "trigger_webhook", "config", "extra_config",
							 "path", "two"), &why),
	       NODE_OK, "with a path it becomes one");
	is_int(webhook_find(db, ring, "two", &t), WEBHOOK_OK, "found again");
	webhook_target_free(&t);
}

static void
test_delete(struct db *db, const struct field_keyring *ring)
{
	struct webhook_target t;
	is_int(node_delete(db, 10, "second"), NODE_OK, "delete the node");
	is_int(webhook_find(db, ring, "two", &t), WEBHOOK_NOT_FOUND, "its path goes with it");
	struct config_problem why = { NULL, NULL };
	is_int(create(db, ring, 11, "b1", "{\"path\":\"two\"}", &why), NODE_OK,
	       "and another workflow may take it");
	is_int(webhook_find(db, ring, "two", &t), WEBHOOK_OK, "found");
	ok(!t.workflow_active, "its workflow is inactive, as the flag says");
	webhook_target_free(&t);
	is_int(db_exec(db, "DELETE FROM workflows WHERE id = 11"), 0, "delete that workflow");
	is_int(webhook_find(db, ring, "two", &t), WEBHOOK_NOT_FOUND, "its paths go by cascade");
	is_int(db_exec(db, "UPDATE user_profiles SET is_active = FALSE WHERE id = 1"), 0,
	       "the owner deleted");
	is_int(webhook_find(db, ring, "gh/push2", &t), WEBHOOK_OK, "the path still answers");
	ok(!t.owner_active, "with owner_active false");
	webhook_target_free(&t);
}

/* Key rotation (pipelit db rotate-key, model/secrets.c) re-seals the
 * webhook secret under the new key with the other secrets. */
static void
test_rotation(struct db *db, const struct field_keyring *ring)
{
	static const char NEW_KEY[] = "HxwdGhsYGRYXFBUSExARDg8MDQoLCAkGBwQFAgMAAQI=";
	struct field_keyring both, only_new;
	field_keyring_init(&both, NEW_KEY, KEY);
	field_keyring_init(&only_new, NEW_KEY, NULL);
	struct config_problem why = { NULL, NULL };
	is_int(create(db, ring, 10, "rot", "{\"path\":\"rot\",\"secret\":\"rotate-me\"}", &why),
	       NODE_OK, "a webhook with a secret");
	char *err = NULL;
	long skipped = 0;
	long n = secrets_reseal(db, &both, RESEAL_ALL, NULL, &skipped, &err);
	ok(n >= 1, "rotation re-seals what is stored (%ld): %s", n, err ? err : "ok");
	free(err);
	struct webhook_target t;
	is_int(webhook_find(db, &only_new, "rot", &t), WEBHOOK_OK, "the new key alone opens it");
	is_str(t.config.secret ? t.config.secret : "(none)", "rotate-me", "the same secret");
	webhook_target_free(&t);
	is_int(webhook_find(db, ring, "rot", &t), WEBHOOK_KEY_MISMATCH, "the old key no longer does");
	field_keyring_wipe(&both);
	field_keyring_wipe(&only_new);
}

int
main(void)
{
	crypto_init();
	struct field_keyring ring;
	field_keyring_init(&ring, KEY, NULL);
	struct db *db = open_db();
	if (!ok(db != NULL, "a migrated database"))
		return done_testing();
	test_create_and_find(db, &ring);
	test_update(db, &ring);
	test_delete(db, &ring);
	test_rotation(db, &ring);
	db_close(db);
	field_keyring_wipe(&ring);
	return done_testing();
}
