/* tool_config.c: see tool_config.h. */
#include "tool_config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph/config_check.h"
#include "sched/tz.h"
#include "util/xalloc.h"

static int
refuse(struct config_problem *out, const char *field, char *message)
{
	out->field = xstrdup(field);
	out->message = message;
	return -1;
}

/* A value holding a template is only known at run time (node_kind.h). */
static bool
templated(const char *s)
{
	return strstr(s, "{{") != NULL || strstr(s, "{%") != NULL;
}

int
tool_config_check_datetime(const json_t *extra_config, struct config_problem *out)
{
	const struct node_type *t = node_type_find("get_datetime");
	if (config_fields_check(t->config, extra_config, out) != 0)
		return -1;
	const json_t *v = json_object_get(extra_config, "timezone");
	if (!json_is_string(v) || json_string_length(v) == 0 || templated(json_string_value(v)))
		return 0;
	char err[TZ_ERR_LEN];
	tz_zone *zone = tz_load_n(json_string_value(v), json_string_length(v), err, sizeof(err));
	if (zone == NULL)
		return refuse(out, "timezone",
			      xasprintf("Unknown time zone (%s): give an IANA name such as "
					"Europe/Berlin, or UTC", err));
	tz_free(zone);
	return 0;
}

bool
tool_http_method_valid(const char *method)
{
	static const char *const methods[] = { TOOL_HTTP_METHODS, NULL };
	for (size_t i = 0; method != NULL && methods[i] != NULL; i++)
		if (strcmp(methods[i], method) == 0)
			return true;
	return false;
}

/* RFC 9110 token characters. */
static bool
token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Headers the transport sets from the request itself. */
static bool
transport_owned(const char *name)
{
	static const char *const owned[] = {
		"host", "content-length", "transfer-encoding", "connection", "keep-alive",
		"upgrade", "te", "trailer", "proxy-connection", "expect", NULL,
	};
	for (size_t i = 0; owned[i] != NULL; i++)
		if (strcasecmp(owned[i], name) == 0)
			return true;
	return false;
}

bool
tool_http_header_valid(const char *name, const char *value, const char **why)
{
	size_t n = strlen(name);
	if (n == 0 || n > TOOL_HTTP_HEADER_NAME_MAX) {
		*why = "a header name has 1 to 100 characters";
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!token_char((unsigned char)name[i])) {
			*why = "a header name has only letters, digits and !#$%&'*+-.^_`|~";
			return false;
		}
	if (transport_owned(name)) {
		*why = "Host, Content-Length, Transfer-Encoding, Connection and the other "
		       "hop-by-hop headers are set by the request itself";
		return false;
	}
	if (strlen(value) > TOOL_HTTP_HEADER_VALUE_MAX) {
		*why = "a header value has at most 4096 characters";
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			*why = "a header value has no control characters (no line breaks)";
			return false;
		}
	return true;
}

static int
check_headers(const json_t *headers, struct config_problem *out)
{
	if (headers == NULL || json_is_null(headers))
		return 0;
	if (json_object_size(headers) > TOOL_HTTP_HEADERS_MAX)
		return refuse(out, "headers", xasprintf("At most %d headers", TOOL_HTTP_HEADERS_MAX));
	const char *name;
	const json_t *value;
	json_object_foreach((json_t *)headers, name, value) {
		if (!json_is_string(value))
			return refuse(out, "headers",
				      xasprintf("Header '%.100s': the value should be a string", name));
		const char *why = "a header value has no control characters (no line breaks)";
		if (json_string_length(value) != strlen(json_string_value(value)) ||
		    !tool_http_header_valid(name, json_string_value(value), &why))
			return refuse(out, "headers", xasprintf("Header '%.100s': %s", name, why));
	}
	return 0;
}

int
tool_config_check_http(const json_t *extra_config, struct config_problem *out)
{
	const struct node_type *t = node_type_find("http_request");
	if (config_fields_check(t->config, extra_config, out) != 0)
		return -1;
	return check_headers(json_object_get(extra_config, "headers"), out);
}
