/* response.c: see response.h. */
#include "response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		{ 504, "Gateway Timeout" },
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "Unknown";
}

void
resp_add_header(struct req *r, const char *name, const char *value)
{
	size_t room = sizeof(r->extra_headers) - r->extra_len;
	int n = snprintf(r->extra_headers + r->extra_len, room, "%s: %s\r\n", name, value);
	if (n < 0 || (size_t)n >= room) {
		/* Never send half a header line. */
		r->extra_headers[r->extra_len] = '\0';
		log_warn("response header %s dropped: no room", name);
		return;
	}
	r->extra_len += (size_t)n;
}

/* Sends the status line, the headers and the body in one go. */
static int
send_response(struct req *r, int status, const char *content_type, const char *body,
	      size_t len)
{
	if (r->responded)
		return -1;
	r->responded = 1;
	r->status = status;
	char head[256];
	int n;
	if (content_type != NULL)
		n = snprintf(head, sizeof(head),
			     "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", status,
			     http_reason(status), content_type, len);
	else
		n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Length: %zu\r\n",
			     status, http_reason(status), len);
	FCGX_Stream *out = r->fcgi->out;
	if (FCGX_PutStr(head, n, out) < 0 ||
	    FCGX_PutStr(r->extra_headers, (int)r->extra_len, out) < 0 ||
	    FCGX_PutStr("\r\n", 2, out) < 0)
		return -1;
	if (len > 0 && !r->head_only && FCGX_PutStr(body, (int)len, out) < 0)
		return -1;
	return 0;
}

int
resp_raw(struct req *r, int status, const char *json_text, size_t len)
{
	return send_response(r, status, "application/json", json_text, len);
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
	resp_add_header(r, "Location", location);
	return send_response(r, status, "application/json", "", 0);
}

int
resp_empty(struct req *r, int status)
{
	return send_response(r, status, NULL, "", 0);
}
