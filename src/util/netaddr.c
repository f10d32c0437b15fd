/* netaddr.c: see netaddr.h. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const unsigned char v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int
is_v4(const struct netaddr *a)
{
	return memcmp(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

int
netaddr_parse(const char *s, struct netaddr *out)
{
	struct in_addr v4;
	if (s == NULL || *s == '\0')
		return -1;
	/* inet_pton takes only the strict dotted quad: no octal, hex or short forms. */
	if (inet_pton(AF_INET, s, &v4) == 1) {
		memcpy(out->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		memcpy(out->b + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out->b) == 1 ? 0 : -1;
}

void
netaddr_format(const struct netaddr *a, char *out, size_t size)
{
	const char *ok = is_v4(a) ? inet_ntop(AF_INET, a->b + 12, out, (socklen_t)size)
				  : inet_ntop(AF_INET6, a->b, out, (socklen_t)size);
	if (ok == NULL && size > 0)
		out[0] = '\0';
}

/* One item of the list: an address, or address/prefix. */
static int
parse_cidr(const char *item, struct cidr *out)
{
	char addr[64];
	const char *slash = strchr(item, '/');
	size_t len = slash ? (size_t)(slash - item) : strlen(item);
	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, item, len);
	addr[len] = '\0';
	if (netaddr_parse(addr, &out->net) != 0)
		return -1;
	int v4 = is_v4(&out->net) && strchr(addr, ':') == NULL;
	int max = v4 ? 32 : 128;
	int prefix = max;
	if (slash != NULL) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || p < 0 || p > max)
			return -1;
		prefix = (int)p;
	}
	out->prefix = v4 ? prefix + 96 : prefix;
	return 0;
}

int
cidr_list_parse(const char *s, struct cidr **out, size_t *n, char *bad, size_t bad_size)
{
	*out = NULL;
	*n = 0;
	if (bad_size > 0)
		bad[0] = '\0';
	if (s == NULL)
		return 0;
	char *copy = xstrdup(s);
	char *save = NULL;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct cidr c;
		if (parse_cidr(tok, &c) != 0) {
			snprintf(bad, bad_size, "%s", tok);
			free(copy);
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = c;
	}
	free(copy);
	return 0;
}

int
cidr_contains(const struct cidr *c, const struct netaddr *a)
{
	int full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->net.b, a->b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->net.b[full] & mask) == (a->b[full] & mask);
}

int
cidr_list_contains(const struct cidr *list, size_t n, const struct netaddr *a)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&list[i], a))
			return 1;
	return 0;
}
