/* test_login_security.c: the pure parts of login security: addresses and
 * trusted-proxy lists, the client address behind proxies, the back-off
 * curve, and log sanitising of names a client typed. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "http/client_addr.h"
#include "model/login_throttle.h"
#include "util/config.h"
#include "util/log_sanitize.h"
#include "util/netaddr.h"

static void
test_netaddr(void)
{
	struct netaddr a, b;
	char text[64];
	is_int(netaddr_parse("192.0.2.7", &a), 0, "IPv4 parses");
	netaddr_format(&a, text, sizeof(text));
	is_str(text, "192.0.2.7", "IPv4 formats as a dotted quad");
	is_int(netaddr_parse("::ffff:192.0.2.7", &b), 0, "IPv4-mapped IPv6 parses");
	ok(memcmp(a.b, b.b, 16) == 0, "IPv4 and its mapped form are one address");
	is_int(netaddr_parse("2001:DB8::1", &a), 0, "IPv6 parses");
	netaddr_format(&a, text, sizeof(text));
	is_str(text, "2001:db8::1", "IPv6 formats canonically");
	is_int(netaddr_parse("0x7f.1", &a), -1, "hex short form refused");
	is_int(netaddr_parse("017.0.0.1", &a), -1, "octal form refused");
	is_int(netaddr_parse("127.1", &a), -1, "short form refused");
	is_int(netaddr_parse("", &a), -1, "empty refused");
	is_int(netaddr_parse("1.2.3.4:80", &a), -1, "a port refused");
}

static void
test_cidr(void)
{
	struct cidr *list;
	size_t n;
	char bad[64];
	struct netaddr a;
	is_int(cidr_list_parse("127.0.0.1, 10.0.0.0/8 fd00::/8", &list, &n, bad, sizeof(bad)), 0,
	       "a mixed list parses");
	is_int((int)n, 3, "three items");
	netaddr_parse("10.200.3.4", &a);
	ok(cidr_list_contains(list, n, &a), "10.200.3.4 is in 10.0.0.0/8");
	netaddr_parse("11.0.0.1", &a);
	ok(!cidr_list_contains(list, n, &a), "11.0.0.1 is not");
	netaddr_parse("::ffff:10.1.1.1", &a);
	ok(cidr_list_contains(list, n, &a), "the mapped spelling matches the IPv4 CIDR");
	netaddr_parse("fd12::5", &a);
	ok(cidr_list_contains(list, n, &a), "fd12::5 is in fd00::/8");
	netaddr_parse("127.0.0.2", &a);
	ok(!cidr_list_contains(list, n, &a), "a bare address is a /32");
	free(list);
	is_int(cidr_list_parse("10.0.0.0/33", &list, &n, bad, sizeof(bad)), -1, "/33 on IPv4 refused");
	is_str(bad, "10.0.0.0/33", "the bad item is named");
	is_int(cidr_list_parse("10.0.0.0/8,example.com", &list, &n, bad, sizeof(bad)), -1,
	       "a name refused");
	is_str(bad, "example.com", "the name is reported");
	is_int(cidr_list_parse("", &list, &n, bad, sizeof(bad)), 0, "an empty list is fine");
	is_int((int)n, 0, "and empty");
}

static void
resolve(struct config *cfg, const char *remote, const char *xff, const char *want,
	const char *name)
{
	struct client_addr c;
	client_addr_resolve(cfg, remote, xff, &c);
	is_str(c.text, want, "%s", name);
}

static void
test_client_addr(void)
{
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	char bad[64];
	resolve(&cfg, "203.0.113.9", "1.1.1.1", "203.0.113.9",
		"without trusted proxies X-Forwarded-For is ignored");
	resolve(&cfg, NULL, NULL, "unknown", "no REMOTE_ADDR");
	cidr_list_parse("127.0.0.1, 10.0.0.0/8", &cfg.trusted_proxy_list, &cfg.trusted_proxy_count,
			bad, sizeof(bad));
	resolve(&cfg, "127.0.0.1", "198.51.100.4", "198.51.100.4",
		"a trusted proxy's forwarded address is the client");
	resolve(&cfg, "127.0.0.1", "6.6.6.6, 198.51.100.4, 10.1.2.3", "198.51.100.4",
		"right to left, skipping trusted hops; a forged left part is ignored");
	resolve(&cfg, "203.0.113.9", "198.51.100.4", "203.0.113.9",
		"an untrusted peer's header is ignored");
	resolve(&cfg, "127.0.0.1", "garbage, 198.51.100.4", "198.51.100.4",
		"garbage left of the client does not matter");
	resolve(&cfg, "127.0.0.1", "198.51.100.4, garbage", "127.0.0.1",
		"garbage from the proxy itself: the proxy is the client");
	resolve(&cfg, "127.0.0.1", "10.0.0.5", "10.0.0.5",
		"all hops trusted: the leftmost");
	free(cfg.trusted_proxy_list);

	struct client_addr c;
	client_addr_resolve(&cfg, "::1", NULL, &c);
	ok(client_addr_is_loopback(&c), "::1 is loopback");
	client_addr_resolve(&cfg, "127.9.9.9", NULL, &c);
	ok(client_addr_is_loopback(&c), "127/8 is loopback");
	client_addr_resolve(&cfg, "10.1.2.3", NULL, &c);
	ok(!client_addr_is_loopback(&c), "10.1.2.3 is not");
	client_addr_resolve(&cfg, "not-an-ip", NULL, &c);
	ok(!client_addr_is_loopback(&c), "an unknown peer is not loopback");
}

static void
test_backoff(void)
{
	struct login_limits lim = { .max_pair = 5, .backoff_seconds = 2,
				    .backoff_max_seconds = 60 };
	is_int((int)login_backoff_seconds(&lim, 5, 4), 0, "below the limit: no block");
	is_int((int)login_backoff_seconds(&lim, 5, 5), 2, "at the limit: the first block");
	is_int((int)login_backoff_seconds(&lim, 5, 6), 4, "then it doubles");
	is_int((int)login_backoff_seconds(&lim, 5, 8), 16, "and doubles");
	is_int((int)login_backoff_seconds(&lim, 5, 10), 60, "up to the cap");
	is_int((int)login_backoff_seconds(&lim, 5, 1000000), 60, "and stays there");

	struct login_subject a, b, c;
	login_subject_init(&a, "alice", "192.0.2.1");
	login_subject_init(&b, "alice", "192.0.2.2");
	login_subject_init(&c, "192.0.2.1\nalice", "x");
	ok(strcmp(a.account, b.account) == 0, "one account from two addresses: one account counter");
	ok(strcmp(a.pair, b.pair) != 0, "but two pair counters");
	ok(strcmp(a.pair, c.pair) != 0, "a name cannot forge another pair");
}

static void
test_sanitize(void)
{
	char out[LOG_SANITIZE_BUF];
	log_sanitize("alice", out);
	is_str(out, "alice", "a plain name stays");
	log_sanitize("eve\n2026-01-01 [Server][INFO] admin logged in", out);
	ok(strchr(out, '\n') == NULL, "no newline survives");
	ok(strncmp(out, "eve\\x0a", 7) == 0, "a newline becomes \\x0a");
	log_sanitize("\x1b[31mred\"q\\", out);
	is_str(out, "\\x1b[31mred\\x22q\\x5c", "escape, quote and backslash escaped");
	char big[1000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_sanitize(big, out);
	is_int((int)strlen(out), LOG_SANITIZE_MAX_INPUT + 3, "long input is capped");
	ok(strcmp(out + LOG_SANITIZE_MAX_INPUT, "...") == 0, "and marked with ...");
	log_sanitize("j\xc3\xbcrgen", out);
	is_str(out, "j\xc3\xbcrgen", "UTF-8 names stay readable");
	log_sanitize(NULL, out);
	is_str(out, "", "NULL is empty");
}

int
main(void)
{
	test_netaddr();
	test_cidr();
	test_client_addr();
	test_backoff();
	test_sanitize();
	return done_testing();
}
