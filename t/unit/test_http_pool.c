/* test_http_pool.c: the pool's crash-loop back-off rule, the check of a
 * FastCGI connection's first records, and where a bare port binds. */
#include <stdlib.h>
#include <string.h>

#include "http/fcgi_guard.h"
#include "pool/backoff.h"
#include "util/config.h"
#include "tap.h"

/* Appends a FastCGI record to buf at *len. */
static void
add_record(unsigned char *buf, size_t *len, int version, int type, int id, const void *content,
	   size_t clen)
{
	unsigned char h[8] = { (unsigned char)version, (unsigned char)type, (unsigned char)(id >> 8),
			       (unsigned char)id, (unsigned char)(clen >> 8), (unsigned char)clen,
			       0, 0 };
	memcpy(buf + *len, h, 8);
	memcpy(buf + *len + 8, content, clen);
	*len += 8 + clen;
}

static const unsigned char begin_body[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };

static void
test_fcgi_guard(void)
{
	unsigned char buf[512];
	size_t n = 0;
	const unsigned char pair[] = { 11, 3, 'R', 'E', 'Q', 'U', 'E', 'S', 'T', '_', 'U', 'R', 'I',
				       '/', 'a', 'b' };
	add_record(buf, &n, 1, 1, 1, begin_body, 8);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_MORE, "BEGIN alone: wait for the parameters");
	add_record(buf, &n, 1, 4, 1, pair, sizeof(pair));
	is_int(fcgi_guard_check(buf, n - 3), FCGI_GUARD_MORE, "a record cut short: wait");
	add_record(buf, &n, 1, 4, 1, "", 0);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_OK, "BEGIN, PARAMS, empty PARAMS: accepted");

	/* The pair whose lengths claim more than the stream carries (what made
	 * libfcgi abort: name and value lengths near 2^31). */
	const unsigned char huge[] = { 0xd6, 0x63, 0x20, 0x16, 0xcf, 0x39, 0x8f, 0x5d, 'a', 'b' };
	n = 0;
	add_record(buf, &n, 1, 1, 1, begin_body, 8);
	add_record(buf, &n, 1, 4, 1, huge, sizeof(huge));
	add_record(buf, &n, 1, 4, 1, "", 0);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_BAD, "a pair longer than its stream is refused");

	n = 0;
	add_record(buf, &n, 1, 9, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_BAD, "a management record first is refused");
	n = 0;
	add_record(buf, &n, 2, 1, 1, begin_body, 8);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_BAD, "another protocol version is refused");
	n = 0;
	add_record(buf, &n, 1, 1, 1, begin_body, 8);
	add_record(buf, &n, 1, 9, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_BAD, "a management record among the params");
	n = 0;
	add_record(buf, &n, 1, 1, 1, begin_body, 8);
	add_record(buf, &n, 1, 4, 2, pair, sizeof(pair));
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_BAD, "params of another request id");
	n = 0;
	add_record(buf, &n, 1, 5, 1, "x", 1);
	is_int(fcgi_guard_check(buf, n), FCGI_GUARD_BAD, "STDIN before BEGIN_REQUEST");
	is_int(fcgi_guard_check((const unsigned char *)"GET / HTTP/1.1\r\n", 16), FCGI_GUARD_BAD,
	       "HTTP sent to the FastCGI socket");
}

static void
test_socket_spec(void)
{
	char *s = config_socket_spec("9000");
	is_str(s, "127.0.0.1:9000", "a bare port binds loopback");
	free(s);
	s = config_socket_spec(":9000");
	is_str(s, "127.0.0.1:9000", "an empty host binds loopback");
	free(s);
	s = config_socket_spec("0.0.0.0:9000");
	is_str(s, "0.0.0.0:9000", "an explicit host is kept");
	free(s);
	s = config_socket_spec("/run/p.sock");
	is_str(s, "/run/p.sock", "a path stays a path");
	free(s);
}

int
main(void)
{
	long max = 30000, d = 0;
	d = backoff_next_delay_ms(d, 50, 1, max);
	is_int(d, 100, "first early crash waits 100 ms");
	is_int(backoff_wait_ms(d, 50, 1), 100, "and the wait is the delay");
	d = backoff_next_delay_ms(d, 50, 1, max);
	is_int(d, 200, "second doubles");
	for (int i = 0; i < 20; i++)
		d = backoff_next_delay_ms(d, 50, 1, max);
	is_int(d, max, "capped at the maximum");
	is_int(backoff_next_delay_ms(d, 5000, 1, max), max,
	       "a crash after the window keeps the delay");
	is_int(backoff_wait_ms(d, 5000, 1), 0, "but respawns at once");
	is_int(backoff_next_delay_ms(d, 50, 0, max), max, "a clean early exit does not count");
	is_int(backoff_wait_ms(d, 50, 0), 0, "and is replaced at once (recycling)");
	is_int(backoff_next_delay_ms(d, 10000, 1, max), 0, "ten seconds of life reset the delay");
	is_int(backoff_next_delay_ms(0, 10000, 0, max), 0, "a long-lived clean exit");
	is_int(backoff_next_delay_ms(400, 12000, 0, 1000), 0, "reset on a long life");
	is_int(backoff_next_delay_ms(800, 100, 1, 1000), 1000, "cap below the double");
	test_fcgi_guard();
	test_socket_spec();
	return done_testing();
}
