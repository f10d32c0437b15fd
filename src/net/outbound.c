/* outbound.c: see outbound.h. */
#include "outbound.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/xalloc.h"

#define CONNECT_TIMEOUT_MS 5000L

static const char *const class_names[] = {
	[OUTBOUND_PUBLIC] = "public",
	[OUTBOUND_LOOPBACK] = "loopback",
	[OUTBOUND_PRIVATE] = "private",
	[OUTBOUND_LINK_LOCAL] = "link-local",
	[OUTBOUND_UNSPECIFIED] = "unspecified",
	[OUTBOUND_MULTICAST] = "multicast",
	[OUTBOUND_BROADCAST] = "broadcast",
	[OUTBOUND_CGNAT] = "shared (CGNAT)",
	[OUTBOUND_RESERVED] = "reserved",
	[OUTBOUND_NOT_IP] = "non-IP",
};

const char *
outbound_class_name(enum outbound_class c)
{
	if ((size_t)c >= sizeof(class_names) / sizeof(class_names[0]))
		return "unknown";
	return class_names[c];
}

/* --- classification ---------------------------------------------------------- */

static int
in_v4(uint32_t a, uint32_t net, int prefix)
{
	uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	return (a & mask) == net;
}

/* a in host order. */
static enum outbound_class
classify_v4(uint32_t a)
{
	static const struct { uint32_t net; int prefix; enum outbound_class c; } ranges[] = {
		{ 0x00000000, 8, OUTBOUND_UNSPECIFIED },   /* 0/8, "this network" */
		{ 0x7f000000, 8, OUTBOUND_LOOPBACK },      /* 127/8 */
		{ 0x0a000000, 8, OUTBOUND_PRIVATE },       /* 10/8 */
		{ 0xac100000, 12, OUTBOUND_PRIVATE },      /* 172.16/12 */
		{ 0xc0a80000, 16, OUTBOUND_PRIVATE },      /* 192.168/16 */
		{ 0xa9fe0000, 16, OUTBOUND_LINK_LOCAL },   /* 169.254/16, metadata */
		{ 0x64400000, 10, OUTBOUND_CGNAT },        /* 100.64/10 */
		{ 0xe0000000, 4, OUTBOUND_MULTICAST },     /* 224/4 */
		{ 0xffffffff, 32, OUTBOUND_BROADCAST },
		{ 0xf0000000, 4, OUTBOUND_RESERVED },      /* 240/4 */
		{ 0xc0000000, 24, OUTBOUND_RESERVED },     /* 192.0.0/24, protocol assignments */
		{ 0xc0000200, 24, OUTBOUND_RESERVED },     /* 192.0.2/24, documentation */
		{ 0xc0586300, 24, OUTBOUND_RESERVED },     /* 192.88.99/24, 6to4 relays */
		{ 0xc6120000, 15, OUTBOUND_RESERVED },     /* 198.18/15, benchmarking */
		{ 0xc6336400, 24, OUTBOUND_RESERVED },     /* 198.51.100/24, documentation */
		{ 0xcb007100, 24, OUTBOUND_RESERVED },     /* 203.0.113/24, documentation */
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (in_v4(a, ranges[i].net, ranges[i].prefix))
			return ranges[i].c;
	return OUTBOUND_PUBLIC;
}

static uint32_t
v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
zeros(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* The IPv4 address an IPv6 address stands for (mapped, compatible,
 * SIIT-translated, NAT64 well-known prefix, 6to4), in host order; 0 when
 * it embeds none. */
static int
embedded_v4(const unsigned char *a, uint32_t *v4)
{
	static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	if (zeros(a, 10) && a[10] == 0xff && a[11] == 0xff) {          /* ::ffff:0:0/96 */
		*v4 = v4_at(a + 12);
		return 1;
	}
	if (zeros(a, 8) && a[8] == 0xff && a[9] == 0xff && zeros(a + 10, 2)) { /* ::ffff:0:0:0/96 */
		*v4 = v4_at(a + 12);
		return 1;
	}
	if (zeros(a, 12) && !(zeros(a + 12, 3) && a[15] <= 1)) {      /* ::/96 but :: and ::1 */
		*v4 = v4_at(a + 12);
		return 1;
	}
	if (memcmp(a, nat64, 12) == 0) {                                /* 64:ff9b::/96 */
		*v4 = v4_at(a + 12);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {                             /* 2002::/16, 6to4 */
		*v4 = v4_at(a + 2);
		return 1;
	}
	return 0;
}

static enum outbound_class
classify_v6(const unsigned char *a)
{
	uint32_t v4;
	if (zeros(a, 16))
		return OUTBOUND_UNSPECIFIED;
	if (zeros(a, 15) && a[15] == 1)
		return OUTBOUND_LOOPBACK;
	if (embedded_v4(a, &v4)) {
		enum outbound_class c = classify_v4(v4);
		/* A 6to4 address of a public IPv4 host is an ordinary address. */
		return c;
	}
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 && a[5] == 1)
		return OUTBOUND_PRIVATE;                  /* 64:ff9b:1::/48, local-use NAT64 */
	if ((a[0] & 0xfe) == 0xfc)
		return OUTBOUND_PRIVATE;                  /* fc00::/7, incl. fd00:ec2::254 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return OUTBOUND_LINK_LOCAL;               /* fe80::/10 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return OUTBOUND_PRIVATE;                  /* fec0::/10, old site-local */
	if (a[0] == 0xff)
		return OUTBOUND_MULTICAST;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return OUTBOUND_RESERVED;                 /* 2001:db8::/32, documentation */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00)
		return OUTBOUND_RESERVED;                 /* 2001::/32, Teredo: hides an IPv4 */
	if ((a[0] & 0xe0) != 0x20)
		return OUTBOUND_RESERVED;                 /* outside 2000::/3, global unicast */
	return OUTBOUND_PUBLIC;
}

enum outbound_class
outbound_classify(const struct sockaddr *sa, size_t len)
{
	if (sa == NULL)
		return OUTBOUND_NOT_IP;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return classify_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return classify_v6(in6->sin6_addr.s6_addr);
	}
	return OUTBOUND_NOT_IP;
}

/* Parses text as an address, every numeric spelling the resolver takes,
 * into a socket address; 0 or -1. */
static int
parse_address(const char *text, struct sockaddr_storage *ss, size_t *len)
{
	memset(ss, 0, sizeof(*ss));
	size_t n = strlen(text);
	if (n > 0 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	char buf[INET6_ADDRSTRLEN + 32];
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	char *zone = strchr(buf, '%');
	if (zone != NULL)
		*zone = '\0';
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		return 0;
	}
	/* inet_aton, like getaddrinfo, takes 127.1, 0177.0.0.1, 0x7f000001
	 * and 2130706433; it stops at whitespace, which no host has. */
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	for (const char *p = buf; *p; p++)
		if (isspace((unsigned char)*p))
			return -1;
	if (inet_aton(buf, &in->sin_addr) == 0)
		return -1;
	in->sin_family = AF_INET;
	*len = sizeof(*in);
	return 0;
}

enum outbound_class
outbound_classify_text(const char *text)
{
	struct sockaddr_storage ss;
	size_t len;
	if (text == NULL || parse_address(text, &ss, &len) != 0)
		return OUTBOUND_NOT_IP;
	return outbound_classify((const struct sockaddr *)&ss, len);
}

/* --- the allowlist ------------------------------------------------------------ */

static int
valid_host_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return 0;
	return 1;
}

static void
add_cidr(struct outbound_policy *p, const struct outbound_cidr *c)
{
	p->cidrs = xrealloc(p->cidrs, (p->ncidrs + 1) * sizeof(*p->cidrs));
	p->cidrs[p->ncidrs++] = *c;
}

static void
add_host(struct outbound_policy *p, const char *host)
{
	char *lower = xstrdup(host);
	for (char *s = lower; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	p->hosts = xrealloc(p->hosts, (p->nhosts + 1) * sizeof(*p->hosts));
	p->hosts[p->nhosts++] = lower;
}

/* An address or CIDR entry; 0, or -1 when entry is neither. */
static int
parse_cidr(const char *entry, struct outbound_cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(entry, '/');
	size_t n = slash ? (size_t)(slash - entry) : strlen(entry);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, entry, n);
	addr[n] = '\0';
	memset(out, 0, sizeof(*out));
	int max;
	if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else {
		return -1;
	}
	out->prefix = max;
	if (slash != NULL) {
		char *end;
		errno = 0;
		long prefix = strtol(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || prefix < 0 || prefix > max)
			return -1;
		out->prefix = (int)prefix;
	}
	return 0;
}

int
outbound_policy_parse(const char *text, struct outbound_policy *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (text == NULL)
		return 0;
	char *copy = xstrdup(text), *save = NULL;
	int rc = 0;
	for (char *entry = strtok_r(copy, ", \t\n", &save); entry != NULL;
	     entry = strtok_r(NULL, ", \t\n", &save)) {
		struct outbound_cidr c;
		if (parse_cidr(entry, &c) == 0) {
			add_cidr(out, &c);
		} else if (strchr(entry, '/') == NULL && strchr(entry, ':') == NULL &&
			   valid_host_name(entry) && outbound_classify_text(entry) == OUTBOUND_NOT_IP) {
			add_host(out, entry);
		} else {
			*err = xasprintf("invalid PIPELIT_OUTBOUND_ALLOW entry '%s': expected a host "
					 "name, an IP address or a CIDR such as 10.0.0.0/8", entry);
			rc = -1;
			break;
		}
	}
	free(copy);
	if (rc != 0)
		outbound_policy_free(out);
	return rc;
}

void
outbound_policy_free(struct outbound_policy *p)
{
	for (size_t i = 0; i < p->nhosts; i++)
		free(p->hosts[i]);
	free(p->hosts);
	free(p->cidrs);
	memset(p, 0, sizeof(*p));
}

static int
prefix_matches(const unsigned char *a, const unsigned char *net, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;
	if (memcmp(a, net, (size_t)bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - bits));
	return (a[bytes] & mask) == (net[bytes] & mask);
}

static int
cidr_matches(const struct outbound_policy *p, const struct sockaddr *sa)
{
	unsigned char v4[4], v6[16];
	int have4 = 0, have6 = 0;
	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		have4 = 1;
	} else {
		memcpy(v6, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		have6 = 1;
		/* ::ffff:127.0.0.1 is 127.0.0.1 for an allowlist too. */
		if (zeros(v6, 10) && v6[10] == 0xff && v6[11] == 0xff) {
			memcpy(v4, v6 + 12, 4);
			have4 = 1;
		}
	}
	for (size_t i = 0; i < p->ncidrs; i++) {
		const struct outbound_cidr *c = &p->cidrs[i];
		if ((c->family == AF_INET && have4 && prefix_matches(v4, c->addr, c->prefix)) ||
		    (c->family == AF_INET6 && have6 && prefix_matches(v6, c->addr, c->prefix)))
			return 1;
	}
	return 0;
}

static int
host_listed(const struct outbound_policy *p, const char *host)
{
	if (host == NULL)
		return 0;
	for (size_t i = 0; i < p->nhosts; i++)
		if (strcasecmp(p->hosts[i], host) == 0)
			return 1;
	return 0;
}

int
outbound_allowed(const struct outbound_policy *p, const char *host, const struct sockaddr *sa,
		 size_t len)
{
	enum outbound_class c = outbound_classify(sa, len);
	if (c == OUTBOUND_NOT_IP)
		return 0;
	if (c == OUTBOUND_PUBLIC)
		return 1;
	return p != NULL && (host_listed(p, host) || cidr_matches(p, sa));
}

/* --- the easy handle ------------------------------------------------------------ */

/* The host (without brackets) and port of url; 0 or -1. */
static int
url_host_port(const char *url, char **host, long *port)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;
	int rc = -1;
	*host = NULL;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		size_t n = strlen(h);
		*host = n >= 2 && h[0] == '[' ? xstrndup(h + 1, n - 2) : xstrdup(h);
		*port = strtol(p, NULL, 10);
		rc = 0;
	}
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

/* Where libcurl opens every connection, the first and each redirect's:
 * the address about to be connected is the one checked. */
static curl_socket_t
open_checked_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct outbound_guard *g = arg;
	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	char *url = NULL, *host = NULL;
	long port = 0;
	curl_easy_getinfo(g->curl, CURLINFO_EFFECTIVE_URL, &url);
	if (url == NULL || url_host_port(url, &host, &port) != 0) {
		g->refused = OUTBOUND_NOT_IP;
		return CURL_SOCKET_BAD;
	}
	if (g->same_origin && (strcasecmp(host, g->origin_host) != 0 || port != g->origin_port)) {
		g->refused_redirect = 1;
		free(host);
		return CURL_SOCKET_BAD;
	}
	int ok = outbound_allowed(g->policy, host, &a->addr, a->addrlen);
	free(host);
	if (!ok) {
		g->refused = (int)outbound_classify(&a->addr, a->addrlen);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int
outbound_configure(CURL *c, const struct outbound_policy *policy, const char *url,
		   long timeout_ms, long max_redirects, int flags, struct outbound_guard *guard)
{
	memset(guard, 0, sizeof(*guard));
	guard->policy = policy;
	guard->curl = c;
	guard->same_origin = (flags & OUTBOUND_SAME_ORIGIN) != 0;
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return -1;
	if (url_host_port(url, &guard->origin_host, &guard->origin_port) != 0)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, guard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, max_redirects > 0 ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, max_redirects);
	/* A proxy from the environment would be the address connected, not
	 * the one the user named. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* One deadline for the whole transfer, every redirect included. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms : CONNECT_TIMEOUT_MS);
	return 0;
}

void
outbound_guard_free(struct outbound_guard *guard)
{
	free(guard->origin_host);
	memset(guard, 0, sizeof(*guard));
}

char *
outbound_refusal_text(const struct outbound_guard *guard)
{
	if (guard->refused_redirect)
		return xstrdup("the provider redirected to another host; not followed");
	if (guard->refused == 0)
		return NULL;
	return xasprintf("refused by the outbound policy: the address is %s; an operator can "
			 "allow it with PIPELIT_OUTBOUND_ALLOW",
			 outbound_class_name((enum outbound_class)guard->refused));
}
