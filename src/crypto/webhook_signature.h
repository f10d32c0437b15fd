/*
 * webhook_signature.h: checking the HMAC-SHA256 signature of a webhook
 * delivery (the schemes of graph/webhook_config.h):
 *   sha256  header "sha256=<hex HMAC of the raw body>" (GitHub's
 *           X-Hub-Signature-256)
 *   hex     header "<hex HMAC of the raw body>"
 *   stripe  header "t=<unix time>,v1=<hex>[,v1=<hex>...]" where the HMAC
 *           is of "<t>.<body>" and t lies within the tolerance of now
 *           (Stripe-Signature; any v1 may match, as during a secret roll)
 * Comparisons are constant-time; hex digits are accepted in either case.
 */
#ifndef PIPELIT_CRYPTO_WEBHOOK_SIGNATURE_H
#define PIPELIT_CRYPTO_WEBHOOK_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "graph/webhook_config.h"

enum webhook_sig_result {
	WEBHOOK_SIG_OK = 0,
	WEBHOOK_SIG_MISSING,      /* no header, or no signature in it */
	WEBHOOK_SIG_MISMATCH,     /* a signature that does not match */
	WEBHOOK_SIG_STALE,        /* stripe: t outside the tolerance */
};

/* header: the signature header's value (NULL when absent); now: unix s. */
enum webhook_sig_result webhook_signature_check(const struct webhook_config *c,
						const char *header, const char *body,
						size_t body_len, int64_t now);

/* The hex HMAC-SHA256 of the n bytes at p under key (65 bytes of out);
 * for tests and the documentation's examples. */
void webhook_hmac_hex(const char *key, const void *p, size_t n, char out[65]);

#endif
