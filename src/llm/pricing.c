/* pricing.c: see pricing.h. */
#include "pricing.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/log.h"
#include "util/xalloc.h"

/* The built-in share/pricing.json (build-aux/embed-file.sh). */
extern const char pricing_builtin_json[];
extern const size_t pricing_builtin_json_len;

/* Prices above this (USD per million tokens) are typing mistakes, and
 * keeping them below it keeps every cost inside int64 pico-dollars. */
#define PRICE_MAX 100000.0
#define TOKENS_MAX 100000000L
#define PREFIX_MAX 255

struct pricing_entry {
	char *prefix;                /* lowercase */
	int priced;
	int64_t input_pico, output_pico;
	long context_window;         /* 0: not given */
	long max_output_tokens;      /* 0: not given */
};

struct pricing_table {
	struct pricing_entry *entries;
	size_t n;
};

void
pricing_table_free(struct pricing_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->entries[i].prefix);
	free(t->entries);
	free(t);
}

size_t
pricing_table_size(const struct pricing_table *t)
{
	return t ? t->n : 0;
}

/* --- parsing ---------------------------------------------------------------- */

static const char *const entry_keys[] = {
	"prefix", "input_usd_per_million", "output_usd_per_million", "context_window",
	"max_output_tokens", "_comment",
};

static int
known_entry_key(const char *key)
{
	for (size_t i = 0; i < sizeof(entry_keys) / sizeof(entry_keys[0]); i++)
		if (strcmp(key, entry_keys[i]) == 0)
			return 1;
	return 0;
}

/* A price member: 0 absent, 1 set, -1 bad (message in *what). */
static int
price_member(json_t *e, const char *key, int64_t *pico, const char **what)
{
	json_t *v = json_object_get(e, key);
	if (v == NULL)
		return 0;
	double d = json_is_number(v) ? json_number_value(v) : -1;
	if (!json_is_number(v) || !isfinite(d) || d < 0 || d > PRICE_MAX) {
		*what = "must be a number from 0 to 100000 (USD per million tokens)";
		return -1;
	}
	/* 1 USD per million tokens is 1e6 pico-dollars per token. */
	*pico = llround(d * 1e6);
	return 1;
}

static int
tokens_member(json_t *e, const char *key, long *out, const char **what)
{
	json_t *v = json_object_get(e, key);
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > TOKENS_MAX) {
		*what = "must be a whole number of tokens from 1 to 100000000";
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 1;
}

/* Fills out from entry number i (1-based in messages); NULL or the
 * malloc'd message. */
static char *
parse_entry(json_t *e, size_t i, const char *source, struct pricing_entry *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(e))
		return xasprintf("%s: models entry %zu: expected an object", source, i);
	json_t *p = json_object_get(e, "prefix");
	const char *prefix = json_string_value(p);
	if (prefix == NULL || prefix[0] == '\0' || strlen(prefix) > PREFIX_MAX)
		return xasprintf("%s: models entry %zu: \"prefix\" must be a non-empty string "
				 "of at most 255 characters", source, i);
	const char *key;
	json_t *v;
	json_object_foreach(e, key, v) {
		if (!known_entry_key(key))
			return xasprintf("%s: models entry %zu (prefix \"%s\"): unknown key \"%s\" "
					 "(known: prefix, input_usd_per_million, output_usd_per_million, "
					 "context_window, max_output_tokens)", source, i, prefix, key);
	}
	const char *what = NULL;
	const char *bad = NULL;
	int in = price_member(e, "input_usd_per_million", &out->input_pico, &what);
	if (in < 0)
		bad = "input_usd_per_million";
	int o = bad ? 0 : price_member(e, "output_usd_per_million", &out->output_pico, &what);
	if (o < 0)
		bad = "output_usd_per_million";
	if (!bad && tokens_member(e, "context_window", &out->context_window, &what) < 0)
		bad = "context_window";
	if (!bad && tokens_member(e, "max_output_tokens", &out->max_output_tokens, &what) < 0)
		bad = "max_output_tokens";
	if (bad)
		return xasprintf("%s: models entry %zu (prefix \"%s\"): \"%s\" %s", source, i, prefix,
				 bad, what);
	if (in != o)
		return xasprintf("%s: models entry %zu (prefix \"%s\"): input_usd_per_million and "
				 "output_usd_per_million go together (give both or neither)",
				 source, i, prefix);
	if (!in && !out->context_window && !out->max_output_tokens)
		return xasprintf("%s: models entry %zu (prefix \"%s\"): gives nothing (prices, "
				 "context_window or max_output_tokens)", source, i, prefix);
	out->priced = in;
	out->prefix = xstrdup(prefix);
	for (char *c = out->prefix; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return NULL;
}

struct pricing_table *
pricing_parse(const char *text, size_t len, const char *source, char **err)
{
	*err = NULL;
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		*err = xasprintf("%s: line %d, column %d: %s", source, je.line, je.column, je.text);
		return NULL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (strcmp(key, "models") != 0 && strcmp(key, "_comment") != 0) {
			*err = xasprintf("%s: unknown key \"%s\" (expected \"models\")", source, key);
			json_decref(root);
			return NULL;
		}
	}
	json_t *models = json_object_get(root, "models");
	if (!json_is_object(root) || !json_is_array(models)) {
		*err = xasprintf("%s: expected an object {\"models\": [...]}", source);
		json_decref(root);
		return NULL;
	}
	struct pricing_table *t = xcalloc(1, sizeof(*t));
	t->entries = xcalloc(json_array_size(models) + 1, sizeof(*t->entries));
	size_t i;
	json_array_foreach(models, i, v) {
		*err = parse_entry(v, i + 1, source, &t->entries[t->n]);
		if (*err != NULL) {
			pricing_table_free(t);
			json_decref(root);
			return NULL;
		}
		t->n++;
	}
	json_decref(root);
	return t;
}

/* --- lookup ----------------------------------------------------------------- */

static int
prefix_matches(const char *prefix, const char *lower)
{
	return strncmp(lower, prefix, strlen(prefix)) == 0;
}

/* Fills what out still lacks from t's entries matching lower; the flags
 * say what is still missing. */
static void
fill_from(const struct pricing_table *t, const char *lower, struct model_price *out)
{
	for (size_t i = 0; t != NULL && i < t->n; i++) {
		const struct pricing_entry *e = &t->entries[i];
		if (!prefix_matches(e->prefix, lower))
			continue;
		if (!out->priced && e->priced) {
			out->priced = 1;
			out->input_pico = e->input_pico;
			out->output_pico = e->output_pico;
		}
		if (out->context_window == 0 && e->context_window)
			out->context_window = e->context_window;
		if (out->max_output_tokens == 0 && e->max_output_tokens)
			out->max_output_tokens = e->max_output_tokens;
	}
}

static char *
lowercase(const char *model)
{
	char *lower = xstrdup(model ? model : "");
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return lower;
}

static void
finish(struct model_price *out)
{
	if (out->context_window == 0)
		out->context_window = PRICING_DEFAULT_CONTEXT_WINDOW;
}

int
pricing_table_lookup(const struct pricing_table *t, const char *model, struct model_price *out)
{
	memset(out, 0, sizeof(*out));
	char *lower = lowercase(model);
	fill_from(t, lower, out);
	free(lower);
	finish(out);
	return out->priced;
}

/* --- the process's table ------------------------------------------------------ */

/* Set by pricing_load before the pool forks; read-only afterwards. */
static struct pricing_table *user_table;
static struct pricing_table *builtin_table;
/* Unknown models already logged, "\nname\n..." (per process). */
static char *logged_unknown;

static struct pricing_table *
builtin(void)
{
	if (builtin_table == NULL) {
		char *err = NULL;
		builtin_table = pricing_parse(pricing_builtin_json, pricing_builtin_json_len,
					      "built-in pricing.json", &err);
		if (builtin_table == NULL) {
			/* The build checks the file (t/unit/test_pricing); never reached. */
			log_error("%s", err);
			free(err);
			builtin_table = xcalloc(1, sizeof(*builtin_table));
		}
	}
	return builtin_table;
}

static char *
read_whole(const char *path, size_t *len, char **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*err = xasprintf("PIPELIT_PRICING_FILE=%s: cannot read it: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 8192, n = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int failed = ferror(f);
	fclose(f);
	if (failed) {
		free(buf);
		*err = xasprintf("PIPELIT_PRICING_FILE=%s: cannot read it", path);
		return NULL;
	}
	*len = n;
	return buf;
}

int
pricing_load(const char *user_path, char **err)
{
	*err = NULL;
	struct pricing_table *t = NULL;
	if (user_path != NULL && user_path[0] != '\0') {
		size_t len = 0;
		char *text = read_whole(user_path, &len, err);
		if (text == NULL)
			return -1;
		char *source = xasprintf("PIPELIT_PRICING_FILE=%s", user_path);
		t = pricing_parse(text, len, source, err);
		free(source);
		free(text);
		if (t == NULL)
			return -1;
	}
	pricing_table_free(user_table);
	user_table = t;
	builtin();
	return 0;
}

/* Logs model as unpriced unless this process did already. */
static void
log_unknown_once(const char *lower)
{
	size_t n = strlen(lower);
	if (logged_unknown != NULL) {
		for (const char *p = strstr(logged_unknown, lower); p; p = strstr(p + 1, lower))
			if (p[-1] == '\n' && p[n] == '\n')
				return;
	}
	char *grown = xasprintf("%s\n%s\n", logged_unknown ? logged_unknown : "", lower);
	free(logged_unknown);
	logged_unknown = grown;
	log_warn("model \"%s\" has no price in the pricing table: its calls count 0 USD "
		 "(add it with PIPELIT_PRICING_FILE, doc/budgets.md)", lower);
}

/* model's price (both tables, the operator's first) in *out; logs an
 * unknown model once when told to.  Whether it has one. */
static int
lookup(const char *model, struct model_price *out, int log_unknown)
{
	memset(out, 0, sizeof(*out));
	char *lower = lowercase(model);
	fill_from(user_table, lower, out);
	fill_from(builtin(), lower, out);
	finish(out);
	if (!out->priced && log_unknown)
		log_unknown_once(lower);
	free(lower);
	return out->priced;
}

int
pricing_lookup(const char *model, struct model_price *out)
{
	return lookup(model, out, 1);
}

int
pricing_is_priced(const char *model)
{
	struct model_price p;
	return lookup(model, &p, 0);
}

/* --- arithmetic ----------------------------------------------------------------- */

static int64_t
times(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t
pricing_cost_pico(const struct model_price *price, long in_tokens, long out_tokens)
{
	if (price == NULL || !price->priced)
		return 0;
	int64_t a = times(in_tokens > 0 ? in_tokens : 0, price->input_pico);
	int64_t b = times(out_tokens > 0 ? out_tokens : 0, price->output_pico);
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

double
pricing_cost_usd(const struct model_price *price, long in_tokens, long out_tokens)
{
	return (double)pricing_cost_pico(price, in_tokens, out_tokens) / 1e12;
}

int64_t
pricing_pico_to_micros(int64_t pico, int round_up)
{
	const int64_t per = 1000000;
	if (pico <= 0)
		return 0;
	return round_up ? pico / per + (pico % per != 0) : (pico + per / 2) / per;
}

long
pricing_output_cap(const struct model_price *price)
{
	if (price->max_output_tokens > 0)
		return price->max_output_tokens;
	long quarter = price->context_window / 4;
	return quarter < 16384 ? quarter : 16384;
}
