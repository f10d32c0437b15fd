/* test_webhook_delivery.c: the pure parts of a webhook delivery: the
 * signature schemes (crypto/webhook_signature.h) against vectors computed
 * independently (openssl dgst -sha256 -hmac), and the answer a synchronous
 * webhook's caller gets (events/webhook_result.h). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/webhook_signature.h"
#include "events/webhook_result.h"
#include "tap.h"

#define BODY "{\"a\":1}"
#define SECRET "It's a Secret to Everybody"
/* printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" */
#define BODY_MAC "3aea7d9882012d69ea49b8443b94e755179f85ee830bfa901efb5dc673af63a3"
/* printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac "$SECRET" */
#define STRIPE_MAC "51538ab6f6314bb1f45de59d49edd93447bd4ca11fd52ee2fc1bb150735de0c6"

static struct webhook_config
config(enum webhook_signature s)
{
	struct webhook_config c = { .secret = SECRET, .signature = s,
				    .signature_tolerance_seconds = 300 };
	return c;
}

static void
test_signatures(void)
{
	char mac[65];
	webhook_hmac_hex(SECRET, BODY, strlen(BODY), mac);
	is_str(mac, BODY_MAC, "the HMAC-SHA256 of the body, as openssl computes it");

	struct webhook_config c = config(WEBHOOK_SIG_SHA256);
	char header[128];
	snprintf(header, sizeof header, "sha256=%s", mac);
	is_int(webhook_signature_check(&c, header, BODY, strlen(BODY), 0), WEBHOOK_SIG_OK,
	       "sha256: sha256=<hex> of the body");
	is_int(webhook_signature_check(&c, mac, BODY, strlen(BODY), 0), WEBHOOK_SIG_MISSING,
	       "sha256: the bare hex lacks its prefix");
	is_int(webhook_signature_check(&c, NULL, BODY, strlen(BODY), 0), WEBHOOK_SIG_MISSING,
	       "sha256: no header");
	is_int(webhook_signature_check(&c, header, "{\"a\":2}", 7, 0), WEBHOOK_SIG_MISMATCH,
	       "sha256: another body");
	header[strlen(header) - 1] = '\0';
	is_int(webhook_signature_check(&c, header, BODY, strlen(BODY), 0), WEBHOOK_SIG_MISMATCH,
	       "sha256: a truncated signature");

	c = config(WEBHOOK_SIG_HEX);
	is_int(webhook_signature_check(&c, mac, BODY, strlen(BODY), 0), WEBHOOK_SIG_OK,
	       "hex: the bare hex");

	c = config(WEBHOOK_SIG_STRIPE);
	char signed_text[64], smac[65];
	snprintf(signed_text, sizeof signed_text, "1700000000.%s", BODY);
	webhook_hmac_hex(SECRET, signed_text, strlen(signed_text), smac);
	is_str(smac, STRIPE_MAC, "stripe: the HMAC of <t>.<body>, as openssl computes it");
	snprintf(header, sizeof header, "t=1700000000,v1=%s,v0=ignored", smac);
	is_int(webhook_signature_check(&c, header, BODY, strlen(BODY), 1700000100), WEBHOOK_SIG_OK,
	       "stripe: t and v1 over <t>.<body>, within the tolerance");
	is_int(webhook_signature_check(&c, header, BODY, strlen(BODY), 1700000301), WEBHOOK_SIG_STALE,
	       "stripe: 301 s later is past the tolerance");
	is_int(webhook_signature_check(&c, header, BODY, strlen(BODY), 1699999699), WEBHOOK_SIG_STALE,
	       "stripe: 301 s earlier too");
	snprintf(header, sizeof header, "t=1700000001,v1=%s", smac);
	is_int(webhook_signature_check(&c, header, BODY, strlen(BODY), 1700000000),
	       WEBHOOK_SIG_MISMATCH, "stripe: the time is signed");
	is_int(webhook_signature_check(&c, "t=1700000000", BODY, strlen(BODY), 1700000000),
	       WEBHOOK_SIG_MISSING, "stripe: no v1");
	is_int(webhook_signature_check(&c, "t=abc,v1=00", BODY, strlen(BODY), 1700000000),
	       WEBHOOK_SIG_MISSING, "stripe: a time that is not a number");
}

static json_t *
sync_node(const char *respond_with)
{
	json_t *extra = json_pack("{s:s, s:s}", "path", "p", "mode", "sync");
	if (respond_with)
		json_object_set_new(extra, "respond_with", json_string(respond_with));
	return json_pack("{s:s, s:s, s:{s:o}}", "node_id", "hook", "component_type", "trigger_webhook",
			 "config", "extra_config", extra);
}

static void
is_message(char *got, const char *want, const char *name)
{
	json_t *g = got ? json_loads(got, 0, NULL) : NULL;
	json_t *w = json_loads(want, 0, NULL);
	ok(g && json_equal(g, w), "%s", name);
	if (!(g && json_equal(g, w)))
		printf("#   got: %s\n", got ? got : "NULL");
	json_decref(g);
	json_decref(w);
	free(got);
}

static void
test_results(void)
{
	json_t *node = sync_node(NULL);
	json_t *state = json_pack("{s:{s:{s:s}}}", "node_outputs", "calc", "v", "x");
	json_t *reply = json_pack("{s:{s:s}}", "output", "output", "hi");
	is_message(webhook_result_message(node, "E", "execution_completed", reply, state),
		   "{\"execution_id\":\"E\",\"status\":\"completed\",\"output\":\"hi\"}",
		   "completed: the reply's output");
	json_t *other = json_pack("{s:{s:{s:i}}}", "output", "node_outputs", "n", 1);
	is_message(webhook_result_message(node, "E", "execution_completed", other, state),
		   "{\"execution_id\":\"E\",\"status\":\"completed\",\"output\":{\"node_outputs\":{\"n\":1}}}",
		   "completed without a reply: the final output");
	json_t *failed = json_pack("{s:s}", "error", "boom");
	is_message(webhook_result_message(node, "E", "execution_failed", failed, state),
		   "{\"execution_id\":\"E\",\"status\":\"failed\",\"error\":\"boom\"}",
		   "failed: the error");
	ok(webhook_result_message(node, "E", "node_status", failed, state) == NULL,
	   "no message for other events");
	json_t *with = sync_node("calc");
	is_message(webhook_result_message(with, "E", "execution_completed", reply, state),
		   "{\"execution_id\":\"E\",\"status\":\"completed\",\"output\":{\"v\":\"x\"}}",
		   "respond_with: that node's output");
	json_t *async = json_pack("{s:s, s:{s:{s:s}}}", "component_type", "trigger_webhook", "config",
				  "extra_config", "mode", "async");
	ok(webhook_result_message(async, "E", "execution_completed", reply, state) == NULL,
	   "asynchronous webhooks publish no result");
	json_t *manual = json_pack("{s:s}", "component_type", "trigger_manual");
	ok(webhook_result_message(manual, "E", "execution_completed", reply, state) == NULL,
	   "nor do other triggers");
	ok(webhook_result_message(NULL, "E", "execution_completed", reply, state) == NULL,
	   "nor executions without a trigger");
	json_decref(node);
	json_decref(with);
	json_decref(async);
	json_decref(manual);
	json_decref(state);
	json_decref(reply);
	json_decref(other);
	json_decref(failed);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_signatures();
	test_results();
	return done_testing();
}
