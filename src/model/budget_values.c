/* budget_values.c: the pure parts of budget.h: limits from a stored budget,
 * days, estimates and costs, and how usage is written into answers. */
#include "budget.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "llm/pricing.h"
#include "util/jsonw.h"

static int64_t
tokens_limit(const json_t *budget, const char *key)
{
	json_t *v = json_object_get(budget, key);
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? json_integer_value(v) : BUDGET_NO_LIMIT;
	if (json_is_real(v) && json_real_value(v) >= 0)
		return (int64_t)json_real_value(v);
	return BUDGET_NO_LIMIT;
}

/* A USD limit in micro-dollars, rounded down: a limit never allows more
 * than it says. */
static int64_t
usd_limit(const json_t *budget, const char *key)
{
	json_t *v = json_object_get(budget, key);
	if (!json_is_number(v) || json_number_value(v) < 0)
		return BUDGET_NO_LIMIT;
	double micros = json_number_value(v) * 1e6;
	/* 0.29 * 1e6 is 289999.99999999994: a limit written with at most six
	 * decimals means exactly that many micro-dollars. */
	return (int64_t)floor(micros + 1e-6);
}

void
budget_limits_from_json(const json_t *budget, struct budget_limits *out)
{
	out->tokens_per_execution = tokens_limit(budget, BUDGET_KEY_TOKENS_EXECUTION);
	out->usd_micros_per_execution = usd_limit(budget, BUDGET_KEY_USD_EXECUTION);
	out->tokens_per_day = tokens_limit(budget, BUDGET_KEY_TOKENS_DAY);
	out->usd_micros_per_day = usd_limit(budget, BUDGET_KEY_USD_DAY);
}

int
budget_limits_any(const struct budget_limits *l)
{
	return l->tokens_per_execution != BUDGET_NO_LIMIT ||
	       l->usd_micros_per_execution != BUDGET_NO_LIMIT ||
	       l->tokens_per_day != BUDGET_NO_LIMIT || l->usd_micros_per_day != BUDGET_NO_LIMIT;
}

void
budget_day_of(int64_t ms, char out[11])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	/* Bounded so the text always fits its 10 characters. */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

void
budget_estimate(const struct model_price *price, long input_tokens, long max_tokens,
		int64_t *tokens, int64_t *usd_micros)
{
	long out = max_tokens > 0 ? max_tokens : pricing_output_cap(price);
	if (input_tokens < 0)
		input_tokens = 0;
	*tokens = (int64_t)input_tokens + out;
	*usd_micros = pricing_pico_to_micros(pricing_cost_pico(price, input_tokens, out), 1);
}

int64_t
budget_cost_micros(const struct model_price *price, long tokens_in, long tokens_out)
{
	return pricing_pico_to_micros(pricing_cost_pico(price, tokens_in, tokens_out), 0);
}

void
budget_write_usd(struct jw *w, int64_t micros)
{
	/* micros / 1e6 is the double nearest the decimal, and jw_real writes
	 * the fewest digits that read back as it: 360 -> 0.00036. */
	jw_real(w, (double)micros / 1e6);
}

void
budget_write_today(struct jw *w, int64_t tokens, int64_t usd_micros)
{
	JW_KEY(w, "budget_today");
	jw_obj_begin(w);
	jw_kint(w, "tokens", tokens);
	JW_KEY(w, "usd");
	budget_write_usd(w, usd_micros);
	jw_obj_end(w);
}

/*
 * The first ai_model node of nodes whose model has no price or that names
 * none, with its node_id and model name ("" for none); NULL when every
 * model has a price.  quiet asks the table without logging an unknown model
 * (pricing_is_priced); otherwise pricing_lookup logs it, once.
 */
static const json_t *
first_unpriced(const json_t *nodes, int quiet, const char **node, const char **model)
{
	size_t i;
	const json_t *n;
	json_array_foreach(nodes, i, n) {
		const char *type = json_string_value(json_object_get(n, "component_type"));
		if (type == NULL || strcmp(type, "ai_model") != 0)
			continue;
		const char *id = json_string_value(json_object_get(n, "node_id"));
		const char *name = json_string_value(json_object_get(json_object_get(n, "config"),
								     "model_name"));
		struct model_price p;
		int priced = name != NULL && name[0] != '\0' &&
			     (quiet ? pricing_is_priced(name) : pricing_lookup(name, &p));
		if (!priced) {
			*node = id ? id : "";
			*model = name ? name : "";
			return n;
		}
	}
	return NULL;
}

int
budget_all_priced(const json_t *nodes)
{
	const char *node, *model;
	return first_unpriced(nodes, 1, &node, &model) == NULL;
}

int
budget_unpriced_model(const json_t *nodes, char *why, size_t whylen)
{
	const char *node, *model;
	if (first_unpriced(nodes, 0, &node, &model) == NULL)
		return 0;
	if (model[0] == '\0')
		snprintf(why, whylen, "budget: the workflow has a USD limit, but its ai_model "
			 "node \"%s\" names no model, so its calls could not be priced", node);
	else
		snprintf(why, whylen, "budget: the workflow has a USD limit, but model \"%s\" "
			 "(ai_model node \"%s\") has no price in the pricing table, so the "
			 "limit could never trip; add its price with PIPELIT_PRICING_FILE",
			 model, node);
	return 1;
}
