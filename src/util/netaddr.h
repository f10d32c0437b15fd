/*
 * netaddr.h: IP addresses and CIDR lists, parsed and compared as bytes.
 * Pure functions, no I/O: the trusted-proxy list (PIPELIT_TRUSTED_PROXIES)
 * is parsed with them at configuration time and matched per request.
 *
 * An IPv4 address is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so
 * "10.0.0.1" and "::ffff:10.0.0.1" are the same address and one list
 * covers both spellings nginx may send.
 */
#ifndef PIPELIT_NETADDR_H
#define PIPELIT_NETADDR_H

#include <stddef.h>

struct netaddr {
	unsigned char b[16];
};

struct cidr {
	struct netaddr net;
	int prefix;   /* 0..128, counted in the IPv6 form */
};

/* Parses a literal IPv4 or IPv6 address (no port, no brackets, no zone);
 * 0 or -1. */
int netaddr_parse(const char *s, struct netaddr *out);

/* The canonical text of a (at most INET6_ADDRSTRLEN bytes with the NUL):
 * dotted quad for IPv4, RFC 5952 for IPv6. */
void netaddr_format(const struct netaddr *a, char *out, size_t size);

/*
 * Parses a comma- or space-separated list of addresses and CIDRs
 * ("127.0.0.1, 10.0.0.0/8, fd00::/8").  0 with *out (malloc'd, the caller
 * frees it) and *n set; -1 with the offending item copied into bad (NUL-
 * terminated, truncated to bad_size).  An empty list is 0 with *n == 0.
 */
int cidr_list_parse(const char *s, struct cidr **out, size_t *n, char *bad, size_t bad_size);

int cidr_contains(const struct cidr *c, const struct netaddr *a);
int cidr_list_contains(const struct cidr *list, size_t n, const struct netaddr *a);

#endif
