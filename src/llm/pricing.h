/*
 * pricing.h: what a model costs and how much it can read and write.
 *
 * The table is a list of entries, each a model name prefix with any of:
 * input and output prices (USD per million tokens, always together), the
 * context window and the output cap (tokens).  A model's value for each of
 * those is taken from the first entry, in list order, whose prefix starts
 * its lowercased name and which has that value (pipelit-engine.md 7.4 and
 * 7.5).  The list is the operator's file (PIPELIT_PRICING_FILE), if any,
 * followed by the built-in share/pricing.json, compiled into the binary so
 * a pipelit copied anywhere needs no data path.  doc/budgets.md has the
 * file's format.
 *
 * Money is counted in integers: a price is kept as pico-dollars (1e-12
 * USD) per token, so a call's cost is exact integer arithmetic, and sums of
 * many calls add up to the cent and below whatever their order.
 *
 * The table is loaded once per process (pricing_load at start-up, before
 * the pool forks, so every child has it) and read-only afterwards; the one
 * thing that changes later is the set of unknown models already logged
 * (each is logged once per process).
 */
#ifndef PIPELIT_LLM_PRICING_H
#define PIPELIT_LLM_PRICING_H

#include <stddef.h>
#include <stdint.h>

/* What the table says about one model. */
struct model_price {
	int priced;                  /* an entry gave prices: otherwise the model costs 0 */
	int64_t input_pico;          /* pico-USD per input token */
	int64_t output_pico;         /* pico-USD per output token */
	long context_window;         /* tokens; PRICING_DEFAULT_CONTEXT_WINDOW when no entry says */
	long max_output_tokens;      /* tokens; 0 when no entry says */
};

/* The context window of a model no entry describes (pipelit-engine.md 7.5). */
#define PRICING_DEFAULT_CONTEXT_WINDOW 128000L

/* A parsed table (entries in match order); an opaque, owned value. */
struct pricing_table;

/*
 * Parses a pricing file's text.  source names it in messages ("pricing.json").
 * NULL with a malloc'd message in *err naming the place (line and column
 * for bad JSON; the entry's number and prefix for a bad entry).
 */
struct pricing_table *pricing_parse(const char *text, size_t len, const char *source, char **err);
void pricing_table_free(struct pricing_table *t);
/* Number of entries. */
size_t pricing_table_size(const struct pricing_table *t);

/* What t says about model (the lookup rule above).  Returns priced. */
int pricing_table_lookup(const struct pricing_table *t, const char *model, struct model_price *out);

/*
 * Loads the process's table: the file at user_path (NULL or "": none)
 * before the built-in entries.  Replaces a table loaded before.  0, or -1
 * with a malloc'd message in *err (the file's name and what is wrong).
 */
int pricing_load(const char *user_path, char **err);

/*
 * What the process's table says about model (the built-in entries alone
 * when pricing_load was never called).  Returns out->priced; a model with
 * no price is logged once per process ("costs 0").
 */
int pricing_lookup(const char *model, struct model_price *out);

/* Whether model has a price, as pricing_lookup says, logging nothing. */
int pricing_is_priced(const char *model);

/* A call's cost in USD: (in * input + out * output) / 1e6 per million. */
double pricing_cost_usd(const struct model_price *price, long in_tokens, long out_tokens);

/* The same in pico-dollars (exact). */
int64_t pricing_cost_pico(const struct model_price *price, long in_tokens, long out_tokens);

/* Pico-dollars to micro-dollars (the unit budgets are kept in): rounded to
 * the nearest, or up when round_up (a reservation must never be short). */
int64_t pricing_pico_to_micros(int64_t pico, int round_up);

/* The output tokens a call may produce when its max_tokens is unset: the
 * model's cap, else min(16384, window / 4) (the reserve of 7.5). */
long pricing_output_cap(const struct model_price *price);

#endif
