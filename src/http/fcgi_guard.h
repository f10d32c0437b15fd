/*
 * fcgi_guard.h: a look at a new FastCGI connection's first records
 * before libfcgi reads them.
 *
 * libfcgi trusts its peer: a parameter whose name or value length claims
 * more bytes than the record carries (lengths near 2^31) makes it abort
 * the process.  A web server in front of the pool sends a request's
 * FCGI_BEGIN_REQUEST and all its FCGI_PARAMS records at once, so the
 * responder peeks at them (without consuming anything) and hands the
 * connection to libfcgi only when they are complete and well formed:
 * one BEGIN_REQUEST with a non-zero id, PARAMS records of that id ending
 * with an empty one, and name-value pairs that fit exactly in them.
 */
#ifndef PIPELIT_FCGI_GUARD_H
#define PIPELIT_FCGI_GUARD_H

#include <stddef.h>

/* The largest BEGIN_REQUEST + PARAMS prefix accepted (nginx sends a few
 * KiB; its own header buffers bound it). */
#define FCGI_GUARD_MAX_BYTES 65536

enum fcgi_guard {
	FCGI_GUARD_OK,    /* the whole prefix is there and well formed */
	FCGI_GUARD_MORE,  /* well formed so far, cut short: peek again later */
	FCGI_GUARD_BAD,   /* refuse the connection */
};

/* Checks the start of a connection, buf[0..len). */
enum fcgi_guard fcgi_guard_check(const unsigned char *buf, size_t len);

#endif
