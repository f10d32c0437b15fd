/* webhook_config.c: see webhook_config.h. */
#include "webhook_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/config_check.h"
#include "util/xalloc.h"

static bool
path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '~' || c == '-' || c == '/';
}

/* The segment of len bytes at s is "." or "..". */
static bool
dot_segment(const char *s, size_t len)
{
	return (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.');
}

bool
webhook_path_valid(const char *path, const char **why)
{
	size_t len = path ? strlen(path) : 0;
	if (len == 0 || len > WEBHOOK_PATH_MAX) {
		*why = "should have 1 to 255 characters";
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (!path_char(path[i])) {
			*why = "may hold only A-Z a-z 0-9 . _ ~ - and /";
			return false;
		}
	if (path[0] == '/' || path[len - 1] == '/') {
		*why = "must not start or end with '/'";
		return false;
	}
	for (const char *seg = path;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0) {
			*why = "must not hold an empty segment ('//')";
			return false;
		}
		if (dot_segment(seg, n)) {
			*why = "must not hold a '.' or '..' segment";
			return false;
		}
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return true;
}

/* An HTTP header name: a token of RFC 9110's tchar. */
static bool
header_name_valid(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	size_t len = strlen(s);
	if (len == 0 || len > WEBHOOK_HEADER_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (c == '\0' || strchr(extra, c) == NULL))
			return false;
	}
	return true;
}

static int
refuse(struct config_problem *out, const char *field, char *message)
{
	out->field = xstrdup(field);
	out->message = message;
	return -1;
}

static const char *
text_of(const json_t *extra_config, const char *key)
{
	return json_string_value(json_object_get(extra_config, key));
}

/* Rules beyond the declared fields' types, enums and bounds. */
static int
check_values(const json_t *extra_config, struct config_problem *out)
{
	const char *why;
	if (!webhook_path_valid(text_of(extra_config, "path"), &why))
		return refuse(out, "path", xasprintf("Webhook path %s", why));
	const char *header = text_of(extra_config, "signature_header");
	if (header != NULL && !header_name_valid(header))
		return refuse(out, "signature_header",
			      xstrdup("Should be an HTTP header name: 1 to 100 letters, digits "
				      "or !#$%&'*+-.^_`|~"));
	const char *secret = text_of(extra_config, "secret");
	if (secret != NULL && strlen(secret) > WEBHOOK_SECRET_MAX)
		return refuse(out, "secret", xstrdup("String should have at most 1024 characters"));
	const char *respond = text_of(extra_config, "respond_with");
	if (respond != NULL && strlen(respond) > WEBHOOK_RESPOND_WITH_MAX)
		return refuse(out, "respond_with",
			      xstrdup("String should have at most 255 characters"));
	return 0;
}

int
webhook_config_check(const json_t *extra_config, struct config_problem *out)
{
	const struct node_type *t = node_type_find("trigger_webhook");
	if (config_fields_check(t->config, extra_config, out) != 0)
		return -1;
	return check_values(extra_config, out);
}

static int
int_or(const json_t *extra_config, const char *key, int def)
{
	const json_t *v = json_object_get(extra_config, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static char *
dup_or(const json_t *extra_config, const char *key, const char *def)
{
	const char *s = text_of(extra_config, key);
	return s != NULL ? xstrdup(s) : def != NULL ? xstrdup(def) : NULL;
}

static enum webhook_signature
signature_of(const char *name)
{
	if (name != NULL && strcmp(name, "stripe") == 0)
		return WEBHOOK_SIG_STRIPE;
	if (name != NULL && strcmp(name, "hex") == 0)
		return WEBHOOK_SIG_HEX;
	return WEBHOOK_SIG_SHA256;
}

int
webhook_config_parse(const json_t *extra_config, struct webhook_config *out,
		     struct config_problem *problem)
{
	struct config_problem ignored;
	memset(out, 0, sizeof(*out));
	if (webhook_config_check(extra_config, problem ? problem : &ignored) != 0) {
		if (problem == NULL)
			config_problem_free(&ignored);
		return -1;
	}
	out->path = dup_or(extra_config, "path", NULL);
	const char *method = text_of(extra_config, "method");
	snprintf(out->method, sizeof(out->method), "%s", method ? method : "POST");
	const char *secret = text_of(extra_config, "secret");
	out->secret = secret != NULL && secret[0] != '\0' ? xstrdup(secret) : NULL;
	out->signature_header = dup_or(extra_config, "signature_header", "X-Hub-Signature-256");
	out->signature = signature_of(text_of(extra_config, "signature_algorithm"));
	out->signature_tolerance_seconds = int_or(extra_config, "signature_tolerance_seconds", 300);
	const char *mode = text_of(extra_config, "mode");
	out->sync = mode != NULL && strcmp(mode, "sync") == 0;
	out->max_wait_seconds = int_or(extra_config, "max_wait_seconds", 30);
	out->rate_limit_per_minute = int_or(extra_config, "rate_limit_per_minute", 0);
	out->max_concurrency = int_or(extra_config, "max_concurrency", 0);
	out->respond_with = dup_or(extra_config, "respond_with", NULL);
	return 0;
}

void
webhook_config_free(struct webhook_config *c)
{
	free(c->path);
	if (c->secret != NULL) {
		explicit_bzero(c->secret, strlen(c->secret));
		free(c->secret);
	}
	free(c->signature_header);
	free(c->respond_with);
	memset(c, 0, sizeof(*c));
}

bool
webhook_method_accepts(const struct webhook_config *c, const char *method)
{
	return strcmp(c->method, "ANY") == 0 || (method != NULL && strcmp(c->method, method) == 0);
}
