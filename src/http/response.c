/* response.c: see response.h. */
#include "response.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "http/auth.h"
#include "http/request.h"
#include "util/jsonw.h"
#include "util/log.h"

const char *
http_reason(int status)
{
	static const struct { int code; const char *text; } reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 304, "Not Modified" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
		{ 410, "Gone" }, { 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Entity" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 507, "Insufficient Storage" },
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "Unknown";
}

int
resp_add_header(struct req *r, const char *name, const char *value)
{
	size_t room = sizeof(r->extra_headers) - r->extra_len;
	int n = snprintf(r->extra_headers + r->extra_len, room, "%s: %s\r\n", name, value);
	if (n < 0 || (size_t)n >= room) {
		/* Never send half a header line. */
		r->extra_headers[r->extra_len] = '\0';
		log_warn("response header %s dropped: no room", name);
		return -1;
	}
	r->extra_len += (size_t)n;
	return 0;
}

/* FastCGI records (the FastCGI specification, 3.3): an 8-byte header
 * (version 1, type, request id, content length, padding) then the content. */
#define FCGI_RECORD_STDOUT 6
#define FCGI_RECORD_MAX 65535
/* libfcgi's output stream sends records of at most 8 KiB; a response
 * larger than that goes out by send_records() instead. */
#define STREAM_RECORD_BYTES 8192

/* writev() until all of iov is written (a blocking socket may take a part). */
static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * head and body as stdout records of up to 64 KiB, each written with one
 * writev() straight to the web server's socket.  libfcgi's stream would
 * copy a large answer into 8 KiB records and make a write() of each (six
 * for a workflow detail), and those system calls were the largest cost of
 * such an answer.  libfcgi still ends the stream and the request in
 * FCGX_Finish; its buffer is flushed first, so the records stay in order.
 */
static int
send_records(FCGX_Request *fcgi, const char *head, size_t head_len, const char *body,
	     size_t body_len)
{
	if (FCGX_FFlush(fcgi->out) < 0)
		return -1;
	size_t total = head_len + body_len;
	for (size_t done = 0; done < total;) {
		size_t chunk = total - done < FCGI_RECORD_MAX ? total - done : FCGI_RECORD_MAX;
		unsigned char header[8] = {
			1, FCGI_RECORD_STDOUT,
			(unsigned char)((fcgi->requestId >> 8) & 0xff), (unsigned char)(fcgi->requestId & 0xff),
			(unsigned char)(chunk >> 8), (unsigned char)(chunk & 0xff), 0, 0,
		};
		struct iovec iov[3];
		int n = 0;
		iov[n++] = (struct iovec){ header, sizeof(header) };
		size_t end = done + chunk;
		if (done < head_len) {
			size_t to = end < head_len ? end : head_len;
			iov[n++] = (struct iovec){ (char *)head + done, to - done };
		}
		if (end > head_len) {
			size_t from = done > head_len ? done - head_len : 0;
			iov[n++] = (struct iovec){ (char *)body + from, end - head_len - from };
		}
		if (write_all(fcgi->ipcFd, iov, n) != 0)
			return -1;
		done = end;
	}
	return 0;
}

/* Sends the status line, the headers and the body in one go. */
static int
send_response(struct req *r, int status, const char *content_type, const char *body,
	      size_t len)
{
	if (r->responded)
		return -1;
	/* No answer goes out on a kept key that no write confirmed. */
	if (!auth_answer_may_go(r))
		return -1;
	r->responded = 1;
	r->status = status;
	char head[256 + REQ_EXTRA_HEADERS + 2];
	int n;
	/* Every answer of pipelit is an API answer, personal to its caller:
	 * no cache (browser or proxy) keeps one, behind any web server. */
	if (content_type != NULL)
		n = snprintf(head, 256,
			     "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			     "Cache-Control: no-store\r\n", status,
			     http_reason(status), content_type, len);
	else
		n = snprintf(head, 256, "Status: %d %s\r\nContent-Length: %zu\r\n"
			     "Cache-Control: no-store\r\n", status, http_reason(status), len);
	if (n < 0 || n >= 256)
		return -1;
	memcpy(head + n, r->extra_headers, r->extra_len);
	n += (int)r->extra_len;
	memcpy(head + n, "\r\n", 2);
	n += 2;
	size_t body_len = r->head_only ? 0 : len;
	if ((size_t)n + body_len > STREAM_RECORD_BYTES)
		return send_records(r->fcgi, head, (size_t)n, body, body_len);
	FCGX_Stream *out = r->fcgi->out;
	if (FCGX_PutStr(head, n, out) < 0)
		return -1;
	if (body_len > 0 && FCGX_PutStr(body, (int)body_len, out) < 0)
		return -1;
	return 0;
}

int
resp_raw(struct req *r, int status, const char *json_text, size_t len)
{
	return send_response(r, status, "application/json", json_text, len);
}

int
resp_text(struct req *r, int status, const char *text, size_t len)
{
	return send_response(r, status, "text/plain; charset=utf-8", text, len);
}

int
resp_json(struct req *r, int status, json_t *body)
{
	if (body == NULL)
		return resp_raw(r, status, "{}", 2);
	size_t len;
	char *text = jw_dump(body, &len);
	json_decref(body);
	int rc = resp_raw(r, status, text, len);
	free(text);
	return rc;
}

int
resp_jw(struct req *r, int status, struct jw *w)
{
	int rc = resp_raw(r, status, w->buf ? w->buf : "{}", w->buf ? w->len : 2);
	jw_free(w);
	return rc;
}

int
resp_error(struct req *r, int status, const char *detail)
{
	return resp_json(r, status, json_pack("{s:s}", "detail", detail));
}

int
resp_validation(struct req *r, json_t *items)
{
	return resp_json(r, 422, json_pack("{s:o}", "detail", items));
}

int
resp_redirect(struct req *r, int status, const char *location)
{
	/* A redirect without its Location would leave the client nowhere. */
	if (resp_add_header(r, "Location", location) != 0)
		return resp_error(r, 414, http_reason(414));
	return send_response(r, status, "application/json", "", 0);
}

int
resp_empty(struct req *r, int status)
{
	return send_response(r, status, NULL, "", 0);
}
