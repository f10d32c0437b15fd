/* client_addr.c: see client_addr.h. */
#include "client_addr.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

#include "http/request.h"
#include "util/config.h"

static void
set_addr(struct client_addr *out, const struct netaddr *a)
{
	out->addr = *a;
	out->known = 1;
	netaddr_format(a, out->text, sizeof(out->text));
}

static int
is_trusted(const struct config *cfg, const struct netaddr *a)
{
	return cidr_list_contains(cfg->trusted_proxy_list, cfg->trusted_proxy_count, a);
}

/* The entry of xff that ends just before end (exclusive), trimmed; 0 when
 * it parses, with *start set to where it begins. */
static int
entry_before(const char *xff, const char *end, const char **start, struct netaddr *out)
{
	const char *s = end;
	while (s > xff && s[-1] != ',')
		s--;
	*start = s;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *e = end;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	char buf[64];
	if (e <= s || (size_t)(e - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return netaddr_parse(buf, out);
}

void
client_addr_resolve(const struct config *cfg, const char *remote_addr, const char *xff,
		    struct client_addr *out)
{
	struct netaddr peer;
	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "unknown");
	if (netaddr_parse(remote_addr, &peer) != 0)
		return;
	set_addr(out, &peer);
	if (xff == NULL || !is_trusted(cfg, &peer))
		return;
	/* Right to left: each hop appended by a trusted proxy names the one
	 * before it.  An entry that does not parse ends the walk at the last
	 * address a trusted proxy vouched for. */
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start;
		struct netaddr hop;
		if (entry_before(xff, end, &start, &hop) != 0)
			return;
		set_addr(out, &hop);
		if (!is_trusted(cfg, &hop))
			return;
		end = start > xff ? start - 1 : xff;
	}
}

void
client_addr_of(struct req *r, struct client_addr *out)
{
	client_addr_resolve(r->cfg, FCGX_GetParam("REMOTE_ADDR", r->fcgi->envp),
			    FCGX_GetParam("HTTP_X_FORWARDED_FOR", r->fcgi->envp), out);
}

int
client_addr_is_loopback(const struct client_addr *a)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };
	static const unsigned char v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (!a->known)
		return 0;
	if (memcmp(a->addr.b, v6_loopback, 16) == 0)
		return 1;
	return memcmp(a->addr.b, v4_mapped, 12) == 0 && a->addr.b[12] == 127;
}
