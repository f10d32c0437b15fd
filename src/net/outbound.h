/*
 * outbound.h: the outbound policy, for every request the server makes on a
 * user's behalf (credential probes today; LLM calls and the http_request
 * tool later, from an event loop).
 *
 * The policy configures a libcurl easy handle; it never performs the
 * request, so a blocking caller (curl_easy_perform) and an event loop
 * (curl_multi_socket_action) use it alike.  The address is checked where
 * libcurl opens the socket (CURLOPT_OPENSOCKETFUNCTION), after resolving:
 * what is checked is what is connected, so a name that resolves somewhere
 * else a moment later (DNS rebinding) gains nothing, and every redirect
 * hop connects through the same check.  Only http and https are spoken,
 * also after a redirect; proxies from the environment are not used.
 *
 * Refused unless the operator's allowlist (PIPELIT_OUTBOUND_ALLOW: host
 * names and CIDRs) opens them: loopback, private (RFC 1918, fc00::/7),
 * link-local (169.254/16 with the cloud metadata address, fe80::/10),
 * unspecified, multicast, broadcast and other reserved IPv4, CGNAT
 * 100.64/10, and the IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6
 * forms of any of those.
 */
#ifndef PIPELIT_NET_OUTBOUND_H
#define PIPELIT_NET_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <curl/curl.h>

/* What an address is; everything but OUTBOUND_PUBLIC is refused by default. */
enum outbound_class {
	OUTBOUND_PUBLIC = 0,
	OUTBOUND_LOOPBACK,
	OUTBOUND_PRIVATE,
	OUTBOUND_LINK_LOCAL,     /* includes 169.254.169.254, the cloud metadata service */
	OUTBOUND_UNSPECIFIED,
	OUTBOUND_MULTICAST,
	OUTBOUND_BROADCAST,
	OUTBOUND_CGNAT,
	OUTBOUND_RESERVED,       /* documentation, benchmarking, 240/4, discard-only */
	OUTBOUND_NOT_IP,         /* not an IPv4 or IPv6 address at all */
};

/* "loopback", "private", ... for messages. */
const char *outbound_class_name(enum outbound_class c);

/* Classifies a socket address (AF_INET or AF_INET6; anything else is
 * OUTBOUND_NOT_IP).  Pure. */
enum outbound_class outbound_classify(const struct sockaddr *sa, size_t len);

/*
 * Classifies an address written as text, with every spelling the C
 * library's resolver accepts for a numeric host: dotted quads, decimal
 * (2130706433), octal (0177.0.0.1), hex (0x7f000001), short forms (127.1)
 * and IPv6 (with or without brackets, ::ffff:127.0.0.1, ::ffff:7f00:1).
 * OUTBOUND_NOT_IP for a name.  Pure.
 */
enum outbound_class outbound_classify_text(const char *text);

/* The operator's allowlist. */
struct outbound_cidr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network, in network order */
	int prefix;
};

struct outbound_policy {
	char **hosts;            /* lowercase host names, owned */
	size_t nhosts;
	struct outbound_cidr *cidrs;
	size_t ncidrs;
};

/*
 * Parses PIPELIT_OUTBOUND_ALLOW: entries separated by commas or spaces,
 * each a host name (localhost, ollama.internal), an address (127.0.0.1,
 * ::1) or a CIDR (10.0.0.0/8, fd00::/8).  NULL or "" is an empty list.
 * 0, or -1 with a malloc'd message naming the bad entry in *err.
 */
int outbound_policy_parse(const char *text, struct outbound_policy *out, char **err);
void outbound_policy_free(struct outbound_policy *p);

/* 1 when the policy lets a connection to sa go ahead for a request to
 * host (the URL's host name, lowercase or not; may be NULL). */
int outbound_allowed(const struct outbound_policy *p, const char *host,
		     const struct sockaddr *sa, size_t len);

/*
 * One request's guard: lives as long as the easy handle uses it (the
 * caller owns both).  After the transfer, refused says whether the policy
 * stopped a connection and why, for the caller's message.
 */
struct outbound_guard {
	const struct outbound_policy *policy;   /* borrowed */
	CURL *curl;                              /* the handle guarded */
	char *origin_host;                       /* owned; set when same_origin */
	long origin_port;
	int same_origin;                         /* redirects only to the first URL's host and port */
	int refused;                             /* the last refusal's class, 0 when none */
	int refused_redirect;                    /* a redirect to another origin was stopped */
};

#define OUTBOUND_SAME_ORIGIN 1  /* flags: credentials travel with the request */

/*
 * Configures c for a request to url under policy: the connect-time check,
 * http/https only (redirects too), at most max_redirects redirects
 * followed by libcurl (each connecting through the check), no proxy, and
 * one total deadline of timeout_ms for the whole transfer, redirects
 * included (connecting gets at most 5 s of it).  With
 * OUTBOUND_SAME_ORIGIN a redirect to another host or port is refused
 * before anything is sent there, so headers that carry a key never leave
 * for a host the user did not name.  Sets CURLOPT_URL.  0, or -1 when url
 * is not an http(s) URL.  guard must outlive the transfer; free it with
 * outbound_guard_free().
 */
int outbound_configure(CURL *c, const struct outbound_policy *policy, const char *url,
		       long timeout_ms, long max_redirects, int flags,
		       struct outbound_guard *guard);
void outbound_guard_free(struct outbound_guard *guard);

/* A short message for a refused transfer (malloc'd), or NULL when the
 * guard refused nothing. */
char *outbound_refusal_text(const struct outbound_guard *guard);

#endif
