/* config.c: see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"
#include "fsutil.h"
#include "llm/pricing.h"
#include "net/outbound.h"
#include "secret_key.h"

/* The settings a .env file may carry, in one place. */
struct env_pair {
	char *key;
	char *value;
};

struct env_file {
	struct env_pair *pairs;
	size_t n;
};

static void
env_file_add(const char *key, const char *value, void *arg)
{
	struct env_file *ef = arg;
	for (size_t i = 0; i < ef->n; i++) {
		if (strcmp(ef->pairs[i].key, key) == 0) {
			free(ef->pairs[i].value);
			ef->pairs[i].value = xstrdup(value);
			return;
		}
	}
	ef->pairs = xrealloc(ef->pairs, (ef->n + 1) * sizeof(*ef->pairs));
	ef->pairs[ef->n].key = xstrdup(key);
	ef->pairs[ef->n].value = xstrdup(value);
	ef->n++;
}

static void
env_file_free(struct env_file *ef)
{
	for (size_t i = 0; i < ef->n; i++) {
		free(ef->pairs[i].key);
		free(ef->pairs[i].value);
	}
	free(ef->pairs);
}

/* The environment wins over the file; an empty value counts as unset. */
static const char *
setting(const struct env_file *ef, const char *key)
{
	const char *v = getenv(key);
	if (v != NULL && *v != '\0')
		return v;
	for (size_t i = 0; i < ef->n; i++)
		if (strcmp(ef->pairs[i].key, key) == 0)
			return *ef->pairs[i].value ? ef->pairs[i].value : NULL;
	return NULL;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static char *
parse_value(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (end - p >= 2 && (*p == '"' || *p == '\'') && end[-1] == *p) {
		char quote = *p;
		char *out = xmalloc((size_t)(end - p));
		size_t o = 0;
		for (const char *q = p + 1; q < end - 1; q++) {
			if (quote == '"' && *q == '\\' && q + 1 < end - 1) {
				q++;
				out[o++] = *q == 'n' ? '\n' : *q;
			} else {
				out[o++] = *q;
			}
		}
		out[o] = '\0';
		return out;
	}
	/* Unquoted: a " #" starts a comment. */
	for (const char *q = p; q < end; q++) {
		if (*q == '#' && (q == p || q[-1] == ' ' || q[-1] == '\t')) {
			end = q;
			while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			break;
		}
	}
	return xstrndup(p, (size_t)(end - p));
}

int
dotenv_parse(const char *text, void (*cb)(const char *, const char *, void *), void *arg)
{
	int lineno = 0;
	const char *p = text;
	while (*p) {
		lineno++;
		const char *eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		const char *s = p;
		while (s < eol && isspace((unsigned char)*s))
			s++;
		if (s < eol && *s != '#') {
			if ((size_t)(eol - s) > 7 && strncmp(s, "export ", 7) == 0)
				s += 7;
			while (s < eol && (*s == ' ' || *s == '\t'))
				s++;
			const char *k = s;
			while (s < eol && (isalnum((unsigned char)*s) || *s == '_'))
				s++;
			const char *kend = s;
			while (s < eol && (*s == ' ' || *s == '\t'))
				s++;
			if (kend == k || s >= eol || *s != '=')
				return lineno;
			char *key = xstrndup(k, (size_t)(kend - k));
			char *value = parse_value(s + 1, eol);
			cb(key, value, arg);
			free(key);
			free(value);
		}
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}

int
config_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "1", "true", "yes", "on", "t", "y" };
	static const char *no[] = { "0", "false", "no", "off", "f", "n" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
config_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
config_parse_duration(const char *s, long *seconds)
{
	static const struct { char unit; long seconds; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno != 0 || end == s || s[0] < '0' || s[0] > '9' || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (*end == units[i].unit && n <= LONG_MAX / units[i].seconds) {
			*seconds = n * units[i].seconds;
			return 0;
		}
	return -1;
}

static char *
dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Where the main SQLite file lives, for the default checkpoint path. */
static char *
sqlite_dir_from_url(const char *url)
{
	static const char prefix[] = "sqlite:///";
	if (strncmp(url, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	const char *p = url + sizeof(prefix) - 1;
	if (*p == '\0' || strcmp(p, ":memory:") == 0)
		return NULL;
	char *abs = fs_absolute_path(p);
	char *dir = dirname_of(abs);
	free(abs);
	return dir;
}

/* PIPELIT_OUTBOUND_ALLOW is parsed where it is used; here only checked,
 * so a typo stops the start instead of the first probe. */
static int
outbound_allow_check(const char *text, char **err)
{
	struct outbound_policy p;
	if (outbound_policy_parse(text, &p, err) != 0)
		return -1;
	outbound_policy_free(&p);
	return 0;
}

/* The message gateway's settings: GATEWAY_URL must be an http(s) URL
 * (a typo stops the start, not the first reply); its trailing slashes go,
 * so "<url>/api/v1/send" is the send endpoint. */
static int
load_gateway(const struct env_file *ef, struct config *cfg, char **err)
{
	const char *v = setting(ef, "GATEWAY_URL");
	if (v != NULL) {
		if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
		    strpbrk(v, " \t\r\n") != NULL) {
			*err = xstrdup("invalid GATEWAY_URL: expected an http:// or https:// URL");
			return -1;
		}
		cfg->gateway_url = xstrdup(v);
		size_t n = strlen(cfg->gateway_url);
		while (n > 0 && cfg->gateway_url[n - 1] == '/')
			cfg->gateway_url[--n] = '\0';
	}
	v = setting(ef, "GATEWAY_SEND_TOKEN");
	cfg->gateway_send_token = v ? xstrdup(v) : NULL;
	v = setting(ef, "GATEWAY_INBOUND_TOKEN");
	cfg->gateway_inbound_token = v ? xstrdup(v) : NULL;
	return 0;
}

/* The platform settings Pipelit keeps in conf.json (doc/settings.md). */
static int
load_platform(const struct env_file *ef, struct config *cfg, char **err)
{
	const char *v = setting(ef, "SANDBOX_MODE");
	if (v != NULL && strcmp(v, "auto") != 0 && strcmp(v, "bwrap") != 0 &&
	    strcmp(v, "container") != 0) {
		*err = xasprintf("invalid SANDBOX_MODE=%s: expected auto, bwrap or container", v);
		return -1;
	}
	cfg->sandbox_mode = xstrdup(v ? v : "auto");
	v = setting(ef, "REDIS_URL");
	cfg->redis_url = xstrdup(v ? v : "redis://localhost:6379/0");
	v = setting(ef, "PLATFORM_BASE_URL");
	cfg->platform_base_url = xstrdup(v ? v : "");
	size_t len = 2;
	for (size_t i = 0; i < ef->n; i++)
		len += strlen(ef->pairs[i].key) + 1;
	cfg->env_file_names = xmalloc(len);
	char *p = cfg->env_file_names;
	*p++ = '\n';
	for (size_t i = 0; i < ef->n; i++)
		if (*ef->pairs[i].value != '\0')
			p += sprintf(p, "%s\n", ef->pairs[i].key);
	*p = '\0';
	return 0;
}

int
config_was_set(const struct config *cfg, const char *name)
{
	const char *v = getenv(name);
	if (v != NULL && *v != '\0')
		return 1;
	if (cfg->env_file_names == NULL)
		return 0;
	size_t n = strlen(name);
	for (const char *p = cfg->env_file_names; (p = strstr(p, name)) != NULL; p++)
		if (p[-1] == '\n' && p[n] == '\n')
			return 1;
	return 0;
}

struct long_setting {
	const char *name;
	long min, max, def;
	long *dest;
};

static int
load_longs(const struct env_file *ef, const struct long_setting *ls, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = setting(ef, ls[i].name);
		*ls[i].dest = ls[i].def;
		if (v != NULL && config_parse_long(v, ls[i].min, ls[i].max, ls[i].dest) != 0) {
			*err = xasprintf("invalid %s=%s: expected an integer from %ld to %ld",
					 ls[i].name, v, ls[i].min, ls[i].max);
			return -1;
		}
	}
	return 0;
}

static int
load_bool(const struct env_file *ef, const char *name, int *dest, char **err)
{
	const char *v = setting(ef, name);
	*dest = 0;
	if (v != NULL && config_parse_bool(v, dest) != 0) {
		*err = xasprintf("invalid %s=%s: expected true or false", name, v);
		return -1;
	}
	return 0;
}

/* FIELD_ENCRYPTION_KEY is 32 bytes as URL-safe base64 (44 chars with '=').
 * Only the shape is checked here; the crypto layer decodes it. */
static int
key_text_is_valid(const char *k)
{
	size_t n = strlen(k);
	if (n != 44 || k[43] != '=')
		return 0;
	for (size_t i = 0; i < 43; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '-' && k[i] != '_')
			return 0;
	return 1;
}

/* FIELD_ENCRYPTION_KEY_OLD: keys as above, separated by commas or blanks. */
static int
old_keys_are_valid(const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	int n = 0, ok = 1;
	for (char *k = strtok_r(copy, ", \t", &save); k != NULL; k = strtok_r(NULL, ", \t", &save))
		if (!key_text_is_valid(k) || ++n > 3)
			ok = 0;
	explicit_bzero(copy, strlen(list));
	free(copy);
	return ok && n > 0;
}

int
config_load(struct config *cfg, const char *env_file, char **err)
{
	memset(cfg, 0, sizeof(*cfg));
	*err = NULL;
	struct env_file ef = { 0 };
	const char *path = env_file ? env_file : ".env";
	char *text = read_file(path);
	if (text == NULL && env_file != NULL) {
		*err = xasprintf("cannot read env file %s: %s", env_file, strerror(errno));
		return -1;
	}
	if (text != NULL) {
		int bad = dotenv_parse(text, env_file_add, &ef);
		free(text);
		if (bad) {
			*err = xasprintf("%s:%d: expected KEY=VALUE", path, bad);
			env_file_free(&ef);
			return -1;
		}
	}

	int rc = -1;
	const char *v;

	v = setting(&ef, "PIPELIT_DATA_DIR");
	cfg->data_dir = fs_absolute_path(v ? v : "data");

	v = setting(&ef, "PIPELIT_WORKSPACES_DIR");
	cfg->workspaces_dir = v ? fs_absolute_path(v) : xasprintf("%s/workspaces", cfg->data_dir);

	v = setting(&ef, "DATABASE_URL");
	cfg->database_url = v ? xstrdup(v) : xasprintf("sqlite:///%s/db.sqlite3", cfg->data_dir);
	if (strncmp(cfg->database_url, "sqlite:", 7) != 0 &&
	    strncmp(cfg->database_url, "postgresql", 10) != 0 &&
	    strncmp(cfg->database_url, "postgres:", 9) != 0) {
		*err = xstrdup("invalid DATABASE_URL: expected sqlite:///path or "
			       "postgresql://user:password@host:port/database");
		goto out;
	}

	v = setting(&ef, "CHECKPOINTS_DB_PATH");
	if (v) {
		cfg->checkpoints_path = fs_absolute_path(v);
	} else {
		char *dir = sqlite_dir_from_url(cfg->database_url);
		cfg->checkpoints_path = xasprintf("%s/checkpoints.db", dir ? dir : cfg->data_dir);
		free(dir);
	}
	v = setting(&ef, "CHECKPOINTS_STORE");
	if (v != NULL && strcmp(v, "file") != 0 && strcmp(v, "database") != 0) {
		*err = xasprintf("invalid CHECKPOINTS_STORE=%s: expected file (its own SQLite file "
				 "at CHECKPOINTS_DB_PATH) or database (the main database)", v);
		goto out;
	}
	cfg->checkpoints_in_database = v != NULL && strcmp(v, "database") == 0;

	v = setting(&ef, "FIELD_ENCRYPTION_KEY");
	if (v) {
		if (!key_text_is_valid(v)) {
			*err = xstrdup("invalid FIELD_ENCRYPTION_KEY: expected 32 bytes as URL-safe "
				       "base64 (44 characters); generate one with 'pipelit keygen'");
			goto out;
		}
		cfg->field_encryption_key = xstrdup(v);
	}
	v = setting(&ef, "FIELD_ENCRYPTION_KEY_OLD");
	if (v) {
		if (!old_keys_are_valid(v)) {
			*err = xstrdup("invalid FIELD_ENCRYPTION_KEY_OLD: expected up to 3 keys of "
				       "32 bytes as URL-safe base64 (44 characters), separated by "
				       "commas");
			goto out;
		}
		cfg->field_encryption_key_old = xstrdup(v);
	}

	v = setting(&ef, "SECRET_KEY");
	if (v != NULL && secret_key_is_known_default(v)) {
		*err = xasprintf("SECRET_KEY is a publicly known default ('%s'): anyone could sign "
				 "event tickets with it. Remove SECRET_KEY to have 'pipelit serve' "
				 "generate a random one in %s/%s, or set a long random value", v,
				 cfg->data_dir, SECRET_KEY_FILE);
		goto out;
	}
	cfg->secret_key = v ? xstrdup(v) : secret_key_read_stored(cfg->data_dir);

	v = setting(&ef, "LOG_LEVEL");
	cfg->log_level = LOG_LEVEL_INFO;
	if (v && (cfg->log_level = log_level_parse(v)) < 0) {
		*err = xasprintf("invalid LOG_LEVEL=%s: expected DEBUG, INFO, WARNING or ERROR", v);
		goto out;
	}
	v = setting(&ef, "LOG_FILE");
	cfg->log_file = v ? fs_absolute_path(v) : NULL;

	if (load_bool(&ef, "CORS_ALLOW_ALL_ORIGINS", &cfg->cors_allow_all_origins, err) ||
	    load_bool(&ef, "PIPELIT_TEST_ROUTES", &cfg->test_routes, err) ||
	    load_bool(&ef, "EXECUTION_RETENTION_KEEP_FAILED", &cfg->execution_retention_keep_failed,
		      err))
		goto out;

	v = setting(&ef, "EXECUTION_RETENTION");
	if (v && *v && config_parse_duration(v, &cfg->execution_retention_seconds) != 0) {
		*err = xasprintf("invalid EXECUTION_RETENTION=%s: expected a number followed by "
				 "d, h, m or s (30d, 12h)", v);
		goto out;
	}

	long responders, executors, socket_mode = 0660;
	const struct long_setting longs[] = {
		{ "ZOMBIE_EXECUTION_THRESHOLD_SECONDS", 1, 100L * 365 * 86400, 900,
		  &cfg->zombie_threshold_seconds },
		{ "MFA_RATE_WINDOW_SECONDS", 1, 86400, 60, &cfg->mfa_rate_window_seconds },
		{ "MFA_RATE_MAX_ATTEMPTS", 1, 1000000, 5, &cfg->mfa_rate_max_attempts },
		{ "MFA_LOCKOUT_THRESHOLD", 1, 1000000, 10, &cfg->mfa_lockout_threshold },
		{ "MFA_LOCKOUT_SECONDS", 1, 100L * 365 * 86400, 900, &cfg->mfa_lockout_seconds },
		{ "PROVIDER_TIMEOUT_SECONDS", 1, 600, 15, &cfg->provider_timeout_seconds },
		{ "PIPELIT_OUTBOUND_PER_USER", 1, 64, 2, &cfg->outbound_per_user },
		{ "EVENT_TICKET_SECONDS", 1, 86400, 60, &cfg->event_ticket_seconds },
		{ "EVENT_BUFFER_SECONDS", 1, 86400, 300, &cfg->event_buffer_seconds },
		{ "GATEWAY_SEND_MAX_ATTEMPTS", 1, 1000, 20, &cfg->gateway_send_max_attempts },
		{ "GATEWAY_RETRY_MAX_SECONDS", 1, 86400, 300, &cfg->gateway_retry_max_seconds },
		{ "EXECUTION_PRUNE_INTERVAL_SECONDS", 1, 86400 * 365, 3600,
		  &cfg->execution_prune_interval_seconds },
		{ "PIPELIT_PASSWORD_CHECKS", 0, 64, 0, &cfg->password_checks },
		{ "PIPELIT_DETAIL_CACHE_KB", 0, 1L << 20, 1024, &cfg->detail_cache_kb },
		{ "PIPELIT_DB_QUERY_TIMEOUT_SECONDS", 1, 3600, 10, &cfg->db_query_timeout_seconds },
		{ "PIPELIT_MAX_NODES_PER_WORKFLOW", 1, 10000000, 5000, &cfg->max_nodes_per_workflow },
		{ "PIPELIT_MAX_EDGES_PER_WORKFLOW", 0, 10000000, 20000, &cfg->max_edges_per_workflow },
		{ "PIPELIT_MAX_NODE_CONFIG_BYTES", 1024, 1L << 30, 256L * 1024,
		  &cfg->max_node_config_bytes },
		{ "PIPELIT_MAX_IMPORT_BYTES", 1024, 1L << 30, 8L << 20, &cfg->max_import_bytes },
		{ "CHECKPOINT_THREAD_MAX_MESSAGES", 1, 1000000, 200,
		  &cfg->checkpoint_thread_max_messages },
		{ "PIPELIT_RESPONDERS", 1, 256, 8, &responders },
		{ "PIPELIT_EXECUTORS", 0, 256, 1, &executors },
		{ "PIPELIT_TRIGGER_WRITER", 0, 1, 1, &cfg->trigger_writer },
		{ "PIPELIT_MAX_REQUESTS", 0, LONG_MAX, 10000, &cfg->max_requests },
		{ "PIPELIT_MAX_BODY_BYTES", 1024, 1L << 30, 10L << 20, &cfg->max_body_bytes },
		{ "PIPELIT_SHUTDOWN_TIMEOUT_SECONDS", 1, 86400, 30,
		  &cfg->shutdown_timeout_seconds },
		{ "PIPELIT_RESPAWN_BACKOFF_MAX_SECONDS", 1, 3600, 30,
		  &cfg->respawn_backoff_max_seconds },
		{ "PIPELIT_REQUEST_TIMEOUT_SECONDS", 1, 3600, 60, &cfg->request_timeout_seconds },
		{ "PIPELIT_SLOW_REQUEST_SECONDS", 1, 3600, 5, &cfg->slow_request_seconds },
		{ "PIPELIT_STALL_TIMEOUT_SECONDS", 1, 3600, 60, &cfg->stall_timeout_seconds },
		/* login security */
		{ "PIPELIT_LOGIN_MAX_FAILURES", 1, 1000000, 5, &cfg->login_max_failures },
		{ "PIPELIT_LOGIN_ACCOUNT_MAX_FAILURES", 1, 1000000, 50,
		  &cfg->login_account_max_failures },
		{ "PIPELIT_LOGIN_ADDRESS_MAX_FAILURES", 1, 1000000, 100,
		  &cfg->login_address_max_failures },
		{ "PIPELIT_LOGIN_BACKOFF_SECONDS", 1, 86400, 1, &cfg->login_backoff_seconds },
		{ "PIPELIT_LOGIN_BACKOFF_MAX_SECONDS", 1, 7L * 86400, 900,
		  &cfg->login_backoff_max_seconds },
		{ "PIPELIT_LOGIN_FORGET_SECONDS", 1, 365L * 86400, 3600, &cfg->login_forget_seconds },
		{ "MFA_LOGIN_GRANT_SECONDS", 1, 3600, 300, &cfg->mfa_grant_seconds },
		{ "PIPELIT_SESSION_IDLE_SECONDS", 1, 365L * 86400, 43200, &cfg->session_idle_seconds },
		{ "PIPELIT_SESSION_MAX_SECONDS", 1, 10L * 365 * 86400, 604800,
		  &cfg->session_max_seconds },
		{ "PIPELIT_BUDGET_RESERVATION_SECONDS", 1, 30L * 86400, 3600,
		  &cfg->budget_reservation_seconds },
	};
	if (load_longs(&ef, longs, sizeof(longs) / sizeof(longs[0]), err))
		goto out;
	cfg->responders = (int)responders;
	/* PROVIDER_TIMEOUT_SECONDS is the older name of the outbound deadline. */
	if (setting(&ef, "PIPELIT_OUTBOUND_TIMEOUT_SECONDS") != NULL) {
		const struct long_setting timeout = { "PIPELIT_OUTBOUND_TIMEOUT_SECONDS", 1, 600, 15,
						      &cfg->provider_timeout_seconds };
		if (load_longs(&ef, &timeout, 1, err))
			goto out;
	}
	cfg->executors = (int)executors;
	if (cfg->password_checks == 0) {
		/* Argon2id is all CPU: more checks at once than cores finish
		 * none sooner, and each holds its 19 MiB. */
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		long half = responders / 2;
		cfg->password_checks = half > cpus && cpus > 0 ? cpus : half > 0 ? half : 1;
	}

	v = setting(&ef, "PIPELIT_SQLITE_SYNCHRONOUS");
	cfg->sqlite_synchronous = 2;
	if (v) {
		if (strcasecmp(v, "FULL") == 0)
			cfg->sqlite_synchronous = 2;
		else if (strcasecmp(v, "NORMAL") == 0)
			cfg->sqlite_synchronous = 1;
		else if (strcasecmp(v, "EXTRA") == 0)
			cfg->sqlite_synchronous = 3;
		else {
			*err = xasprintf("invalid PIPELIT_SQLITE_SYNCHRONOUS=%s: expected FULL, "
					 "NORMAL or EXTRA", v);
			goto out;
		}
	}

	v = setting(&ef, "PIPELIT_TRUSTED_PROXIES");
	if (v) {
		char bad[64];
		if (cidr_list_parse(v, &cfg->trusted_proxy_list, &cfg->trusted_proxy_count, bad,
				    sizeof(bad)) != 0) {
			*err = xasprintf("invalid PIPELIT_TRUSTED_PROXIES: '%s' is not an IP address "
					 "or CIDR (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8)", bad);
			goto out;
		}
		cfg->trusted_proxies = xstrdup(v);
	}

	v = setting(&ef, "PIPELIT_SOCKET_MODE");
	if (v) {
		char *end;
		errno = 0;
		socket_mode = strtol(v, &end, 8);
		if (errno || end == v || *end || socket_mode < 0 || socket_mode > 0777) {
			*err = xasprintf("invalid PIPELIT_SOCKET_MODE=%s: expected an octal mode "
					 "such as 0660", v);
			goto out;
		}
	}
	cfg->socket_mode = (int)socket_mode;

	v = setting(&ef, "PIPELIT_SOCKET");
	cfg->socket = v ? config_socket_spec(v) : xasprintf("%s/pipelit.sock", cfg->data_dir);

	v = setting(&ef, "PIPELIT_OUTBOUND_ALLOW");
	cfg->outbound_allow = v ? xstrdup(v) : NULL;
	if (outbound_allow_check(cfg->outbound_allow, err) != 0)
		goto out;

	v = setting(&ef, "PIPELIT_SOCKET_GROUP");
	cfg->socket_group = v && *v ? xstrdup(v) : NULL;

	v = setting(&ef, "EVENTS_PUBLISH_URL");
	cfg->events_publish_url = v ? xstrdup(v) : NULL;

	if (load_gateway(&ef, cfg, err) != 0)
		goto out;
	if (load_platform(&ef, cfg, err) != 0)
		goto out;

	v = setting(&ef, "PIPELIT_PID_FILE");
	cfg->pid_file = v ? fs_absolute_path(v) : xasprintf("%s/pipelit.pid", cfg->data_dir);

	/* A bad pricing file stops every command at start-up, naming the
	 * entry, rather than letting calls go uncounted. */
	v = setting(&ef, "PIPELIT_PRICING_FILE");
	cfg->pricing_file = v && *v ? fs_absolute_path(v) : NULL;
	if (pricing_load(cfg->pricing_file, err) != 0)
		goto out;

	rc = 0;
out:
	env_file_free(&ef);
	if (rc != 0)
		config_free(cfg);
	return rc;
}

char *
config_socket_spec(const char *v)
{
	if (*v != '\0' && strspn(v, "0123456789") == strlen(v))
		return xasprintf("127.0.0.1:%s", v);	/* a bare port: loopback */
	if (v[0] == ':')
		return xasprintf("127.0.0.1%s", v);	/* ":PORT": loopback too */
	if (strchr(v, '/') == NULL && strchr(v, ':') != NULL)
		return xstrdup(v);	/* HOST:PORT, the host as given */
	return fs_absolute_path(v);
}

void
config_free(struct config *cfg)
{
	free(cfg->data_dir);
	free(cfg->workspaces_dir);
	free(cfg->database_url);
	free(cfg->checkpoints_path);
	free(cfg->field_encryption_key);
	free(cfg->field_encryption_key_old);
	free(cfg->secret_key);
	free(cfg->log_file);
	free(cfg->socket);
	free(cfg->socket_group);
	free(cfg->pid_file);
	free(cfg->events_publish_url);
	free(cfg->pricing_file);
	free(cfg->gateway_url);
	free(cfg->gateway_send_token);
	free(cfg->gateway_inbound_token);
	free(cfg->outbound_allow);
	free(cfg->trusted_proxies);
	free(cfg->trusted_proxy_list);
	free(cfg->sandbox_mode);
	free(cfg->redis_url);
	free(cfg->platform_base_url);
	free(cfg->env_file_names);
	memset(cfg, 0, sizeof(*cfg));
}
