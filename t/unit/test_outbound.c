/* test_outbound.c: the outbound policy's pure parts: the classification of
 * an address in every spelling a resolver accepts, the allowlist parser
 * and the allow decision (finding 4 of the security review: SSRF). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "net/outbound.h"

static void
is_class(const char *text, enum outbound_class want)
{
	enum outbound_class got = outbound_classify_text(text);
	is_str(outbound_class_name(got), outbound_class_name(want), "%s is %s", text,
	       outbound_class_name(want));
}

static void
test_v4_spellings(void)
{
	/* loopback, every way 127.0.0.1 can be written */
	is_class("127.0.0.1", OUTBOUND_LOOPBACK);
	is_class("2130706433", OUTBOUND_LOOPBACK);
	is_class("0177.0.0.1", OUTBOUND_LOOPBACK);
	is_class("0x7f000001", OUTBOUND_LOOPBACK);
	is_class("0x7f.0.0.1", OUTBOUND_LOOPBACK);
	is_class("127.1", OUTBOUND_LOOPBACK);
	is_class("127.0.1", OUTBOUND_LOOPBACK);
	is_class("127.255.255.254", OUTBOUND_LOOPBACK);
	/* the cloud metadata service and link-local */
	is_class("169.254.169.254", OUTBOUND_LINK_LOCAL);
	is_class("2852039166", OUTBOUND_LINK_LOCAL);
	is_class("0xa9fea9fe", OUTBOUND_LINK_LOCAL);
	is_class("0251.0376.0251.0376", OUTBOUND_LINK_LOCAL);
	is_class("169.254.0.1", OUTBOUND_LINK_LOCAL);
	/* private */
	is_class("10.0.0.1", OUTBOUND_PRIVATE);
	is_class("10.1", OUTBOUND_PRIVATE);
	is_class("012.0.0.1", OUTBOUND_PRIVATE);
	is_class("172.16.0.1", OUTBOUND_PRIVATE);
	is_class("172.31.255.255", OUTBOUND_PRIVATE);
	is_class("192.168.1.1", OUTBOUND_PRIVATE);
	is_class("3232235777", OUTBOUND_PRIVATE);
	is_class("0xc0a80101", OUTBOUND_PRIVATE);
	/* the rest */
	is_class("0.0.0.0", OUTBOUND_UNSPECIFIED);
	is_class("0", OUTBOUND_UNSPECIFIED);
	is_class("100.64.0.1", OUTBOUND_CGNAT);
	is_class("100.100.100.200", OUTBOUND_CGNAT);
	is_class("224.0.0.1", OUTBOUND_MULTICAST);
	is_class("239.255.255.250", OUTBOUND_MULTICAST);
	is_class("255.255.255.255", OUTBOUND_BROADCAST);
	is_class("240.0.0.1", OUTBOUND_RESERVED);
	is_class("198.18.0.1", OUTBOUND_RESERVED);
	/* public, and neighbours of the ranges above */
	is_class("8.8.8.8", OUTBOUND_PUBLIC);
	is_class("172.32.0.1", OUTBOUND_PUBLIC);
	is_class("172.15.255.255", OUTBOUND_PUBLIC);
	is_class("100.128.0.1", OUTBOUND_PUBLIC);
	is_class("169.255.0.1", OUTBOUND_PUBLIC);
	is_class("11.0.0.1", OUTBOUND_PUBLIC);
	is_class("134744072", OUTBOUND_PUBLIC);
}

static void
test_v6_spellings(void)
{
	is_class("::1", OUTBOUND_LOOPBACK);
	is_class("[::1]", OUTBOUND_LOOPBACK);
	is_class("0:0:0:0:0:0:0:1", OUTBOUND_LOOPBACK);
	is_class("::", OUTBOUND_UNSPECIFIED);
	is_class("::ffff:127.0.0.1", OUTBOUND_LOOPBACK);
	is_class("::ffff:7f00:1", OUTBOUND_LOOPBACK);
	is_class("[::ffff:7f00:1]", OUTBOUND_LOOPBACK);
	is_class("::ffff:169.254.169.254", OUTBOUND_LINK_LOCAL);
	is_class("::ffff:a9fe:a9fe", OUTBOUND_LINK_LOCAL);
	is_class("::ffff:10.0.0.1", OUTBOUND_PRIVATE);
	is_class("::ffff:0:127.0.0.1", OUTBOUND_LOOPBACK);
	is_class("::127.0.0.1", OUTBOUND_LOOPBACK);
	is_class("::7f00:1", OUTBOUND_LOOPBACK);
	is_class("::169.254.169.254", OUTBOUND_LINK_LOCAL);
	is_class("64:ff9b::127.0.0.1", OUTBOUND_LOOPBACK);
	is_class("64:ff9b::a9fe:a9fe", OUTBOUND_LINK_LOCAL);
	is_class("64:ff9b::192.168.0.1", OUTBOUND_PRIVATE);
	is_class("64:ff9b:1::1", OUTBOUND_PRIVATE);
	is_class("2002:7f00:1::", OUTBOUND_LOOPBACK);
	is_class("2002:a9fe:a9fe::1", OUTBOUND_LINK_LOCAL);
	is_class("fc00::1", OUTBOUND_PRIVATE);
	is_class("fd00:ec2::254", OUTBOUND_PRIVATE);
	is_class("fe80::1", OUTBOUND_LINK_LOCAL);
	is_class("fe80::1%eth0", OUTBOUND_LINK_LOCAL);
	is_class("febf::1", OUTBOUND_LINK_LOCAL);
	is_class("fec0::1", OUTBOUND_PRIVATE);
	is_class("ff02::1", OUTBOUND_MULTICAST);
	is_class("2001:db8::1", OUTBOUND_RESERVED);
	is_class("2001:0:4136:e378:8000:63bf:3fff:fdd2", OUTBOUND_RESERVED);
	is_class("2606:4700:4700::1111", OUTBOUND_PUBLIC);
	is_class("::ffff:8.8.8.8", OUTBOUND_PUBLIC);
	is_class("2002:808:808::1", OUTBOUND_PUBLIC);
}

static void
test_names(void)
{
	is_class("localhost", OUTBOUND_NOT_IP);
	is_class("example.com", OUTBOUND_NOT_IP);
	is_class("127.0.0.1.nip.io", OUTBOUND_NOT_IP);
	is_class("", OUTBOUND_NOT_IP);
	is_class("127.0.0.1 ", OUTBOUND_NOT_IP);
	is_class("1.2.3.4.5", OUTBOUND_NOT_IP);
}

static struct sockaddr_storage ss;

static const struct sockaddr *
sa_of(const char *text, size_t *len)
{
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &in6->sin6_addr);
		*len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		inet_pton(AF_INET, text, &in->sin_addr);
		*len = sizeof(*in);
	}
	return (const struct sockaddr *)&ss;
}

static int
allowed(const struct outbound_policy *p, const char *host, const char *addr)
{
	size_t len;
	const struct sockaddr *sa = sa_of(addr, &len);
	return outbound_allowed(p, host, sa, len);
}

static void
test_policy(void)
{
	struct outbound_policy none, p;
	char *err = NULL;
	ok(outbound_policy_parse(NULL, &none, &err) == 0, "no allowlist parses");
	ok(!allowed(&none, "127.0.0.1", "127.0.0.1"), "empty list: loopback refused");
	ok(!allowed(&none, "metadata", "169.254.169.254"), "empty list: metadata refused");
	ok(!allowed(&none, "x", "::ffff:127.0.0.1"), "empty list: mapped loopback refused");
	ok(!allowed(&none, "x", "fd00:ec2::254"), "empty list: AWS IPv6 metadata refused");
	ok(allowed(&none, "example.com", "93.184.216.34"), "empty list: a public address passes");
	ok(allowed(&none, "example.com", "2606:4700:4700::1111"), "empty list: public IPv6 passes");

	ok(outbound_policy_parse("127.0.0.1, 10.0.0.0/8 ollama.internal,fd00::/8", &p, &err) == 0,
	   "an allowlist of hosts, addresses and CIDRs parses");
	ok(allowed(&p, "127.0.0.1", "127.0.0.1"), "a listed address passes");
	ok(allowed(&p, "x", "::ffff:127.0.0.1"), "its mapped IPv6 form passes");
	ok(!allowed(&p, "x", "127.0.0.2"), "a neighbour of a /32 does not");
	ok(allowed(&p, "x", "10.20.30.40"), "inside a CIDR passes");
	ok(!allowed(&p, "x", "192.168.0.1"), "outside every CIDR does not");
	ok(allowed(&p, "OLLAMA.internal", "192.168.0.7"), "a listed host name passes, any case");
	ok(allowed(&p, "x", "fd12::1"), "an IPv6 CIDR");
	ok(!allowed(&p, "x", "169.254.169.254"), "metadata stays refused");
	outbound_policy_free(&p);

	static const char *bad[] = { "10.0.0.0/33", "::1/129", "http://x", "a b/c", "1.2.3.4/x",
				     "host:80", NULL };
	for (const char **b = bad; *b; b++) {
		int rc = outbound_policy_parse(*b, &p, &err);
		ok(rc == -1 && err != NULL && strstr(err, "PIPELIT_OUTBOUND_ALLOW") != NULL,
		   "'%s' is refused with a message", *b);
		free(err);
		err = NULL;
	}
	outbound_policy_free(&none);
}

int
main(void)
{
	test_v4_spellings();
	test_v6_spellings();
	test_names();
	test_policy();
	return done_testing();
}
