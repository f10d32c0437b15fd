/*
 * client_addr.h: the address of the client behind a request, for login
 * throttling, logs and the loopback-only MFA reset.
 *
 * It is the web server's REMOTE_ADDR.  Only when that peer is a proxy the
 * operator listed in PIPELIT_TRUSTED_PROXIES is X-Forwarded-For believed:
 * it is read from the right, skipping further trusted proxies, and the
 * first address that is not one is the client.  A client can put anything
 * in the header; what a trusted proxy appended is all that counts.
 */
#ifndef PIPELIT_CLIENT_ADDR_H
#define PIPELIT_CLIENT_ADDR_H

#include <arpa/inet.h>

#include "util/netaddr.h"

struct config;
struct req;

#define CLIENT_ADDR_TEXT INET6_ADDRSTRLEN

struct client_addr {
	struct netaddr addr;
	int known;                      /* 0: REMOTE_ADDR missing or not an IP */
	char text[CLIENT_ADDR_TEXT];    /* canonical form, or "unknown" */
};

/* The same rules on plain strings (unit-tested); xff may be NULL. */
void client_addr_resolve(const struct config *cfg, const char *remote_addr, const char *xff,
			 struct client_addr *out);

void client_addr_of(struct req *r, struct client_addr *out);

int client_addr_is_loopback(const struct client_addr *a);

#endif
