/* test_pricing.c: the pricing table (llm/pricing.h): the built-in file,
 * prefix order, the operator's file before the built-in entries, costs
 * in exact integers, and the messages of bad files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "llm/pricing.h"

static void
price_of(const char *model, struct model_price *p)
{
	pricing_lookup(model, p);
}

static void
test_builtin(void)
{
	char *err = NULL;
	is_int(pricing_load(NULL, &err), 0, "the built-in table loads");
	struct model_price p;
	/* The spec's table (pipelit-engine.md 7.4), first prefix wins. */
	price_of("gpt-4o-mini-2024-07-18", &p);
	ok(p.priced, "gpt-4o-mini is priced");
	is_int(p.input_pico, 150000, "gpt-4o-mini: 0.15 USD per million in");
	is_int(p.output_pico, 600000, "gpt-4o-mini: 0.60 USD per million out");
	price_of("GPT-4o", &p);
	is_int(p.input_pico, 2500000, "gpt-4o (names are lowercased): 2.50 in");
	price_of("gpt-4-0613", &p);
	is_int(p.output_pico, 60000000, "gpt-4: 60 out");
	is_int(p.context_window, 8192, "gpt-4: 8192 window");
	price_of("gpt-4.1-mini", &p);
	is_int(p.input_pico, 400000, "gpt-4.1-mini before gpt-4.1 and gpt-4");
	price_of("gpt-4.1", &p);
	is_int(p.input_pico, 2000000, "gpt-4.1 before gpt-4");
	price_of("o3-mini", &p);
	is_int(p.input_pico, 1100000, "o3-mini before o3");
	price_of("o1-mini", &p);
	is_int(p.context_window, 128000, "o1-mini: 128k window");
	price_of("claude-3-5-sonnet-20241022", &p);
	is_int(p.output_pico, 15000000, "claude-3-5-sonnet: 15 out");
	price_of("claude-opus-4-20250514", &p);
	is_int(p.output_pico, 75000000, "claude-opus-4: 75 out");
	price_of("claude-haiku-4-5-20251001", &p);
	is_int(p.input_pico, 1000000, "claude-haiku-4-5: 1 in");
	/* 7.5: claude* 200k even when unpriced; everything else 128k. */
	price_of("claude-next-unknown", &p);
	ok(!p.priced, "an unknown claude model has no price");
	is_int(p.context_window, 200000, "... but the claude window");
	price_of("llama3", &p);
	ok(!p.priced, "an unknown model has no price");
	is_int(p.context_window, 128000, "the default window is 128k");
	is_int(pricing_cost_pico(&p, 1000, 1000), 0, "an unknown model costs 0");
	is_int(pricing_output_cap(&p), 16384, "no output cap: min(16384, window/4)");
	price_of("gpt-4", &p);
	is_int(pricing_output_cap(&p), 8192, "the model's own cap when the file gives one");
}

static void
test_costs(void)
{
	struct model_price p;
	price_of("gpt-4o-mini", &p);
	/* 1200 in, 300 out: 1200*0.15 + 300*0.60 = 360 micro-dollars. */
	is_int(pricing_cost_pico(&p, 1200, 300), 360000000LL, "cost in pico-dollars is exact");
	ok(pricing_cost_usd(&p, 1200, 300) == 0.00036, "pricing_cost_usd: 0.00036");
	is_int(pricing_pico_to_micros(360000000LL, 0), 360, "to micro-dollars");
	is_int(pricing_pico_to_micros(150000, 0), 0, "below half a micro-dollar rounds down");
	is_int(pricing_pico_to_micros(150000, 1), 1, "a reservation rounds up");
	is_int(pricing_pico_to_micros(500000, 0), 1, "half rounds up");
	/* Many small calls add up exactly. */
	int64_t sum = 0;
	for (int i = 0; i < 1000; i++)
		sum += pricing_cost_pico(&p, 7, 3);
	is_int(sum, 1000 * (7 * 150000LL + 3 * 600000LL), "sums are exact in any order");
	is_int(pricing_cost_pico(&p, -5, 0), 0, "negative counts cost nothing");
}

static char *
write_file(const char *text)
{
	char *path = strdup("/tmp/pipelit-pricing-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return path;
	ssize_t n = write(fd, text, strlen(text));
	(void)n;
	close(fd);
	return path;
}

static void
expect_error(const char *text, const char *needle, const char *name)
{
	char *path = write_file(text);
	char *err = NULL;
	int rc = pricing_load(path, &err);
	ok(rc == -1 && err != NULL && strstr(err, needle) != NULL && strstr(err, path) != NULL,
	   "%s: %s", name, err ? err : "(no error)");
	free(err);
	unlink(path);
	free(path);
}

static void
test_user_file(void)
{
	char *path = write_file("{\"models\": [\n"
				" {\"prefix\": \"gpt-4o-mini\", \"input_usd_per_million\": 1, "
				"\"output_usd_per_million\": 2},\n"
				" {\"prefix\": \"My-Llama\", \"input_usd_per_million\": 0.0375, "
				"\"output_usd_per_million\": 0.5, \"context_window\": 8000}\n]}\n");
	char *err = NULL;
	is_int(pricing_load(path, &err), 0, "an operator's file loads");
	struct model_price p;
	price_of("gpt-4o-mini", &p);
	is_int(p.input_pico, 1000000, "its entries are matched before the built-in ones");
	is_int(p.context_window, 128000, "a value it leaves out comes from the built-in entry");
	is_int(p.max_output_tokens, 16384, "... the output cap too");
	price_of("my-llama-3-8b", &p);
	ok(p.priced, "a new model is priced (the prefix is lowercased)");
	is_int(p.input_pico, 37500, "a price with four decimals is kept exactly");
	is_int(p.context_window, 8000, "its window");
	price_of("gpt-4o", &p);
	is_int(p.input_pico, 2500000, "other models keep the built-in price");
	unlink(path);
	free(path);

	expect_error("{\"models\": [\n {\"prefix\": \"x\",\n", "line", "bad JSON names the line");
	expect_error("{\"models\": [{\"prefix\": \"a\", \"input_usd_per_million\": 1, "
		     "\"output_usd_per_million\": 1}, {\"prefix\": \"gpt-9\", "
		     "\"input_usd_per_million\": -1, \"output_usd_per_million\": 1}]}",
		     "models entry 2 (prefix \"gpt-9\"): \"input_usd_per_million\"",
		     "a negative price names the entry and the key");
	expect_error("{\"models\": [{\"prefix\": \"a\", \"input_usd_per_million\": 1}]}",
		     "go together", "a price without its pair");
	expect_error("{\"models\": [{\"prefix\": \"a\", \"input_per_million\": 1}]}",
		     "unknown key \"input_per_million\"", "a misspelt key");
	expect_error("{\"models\": [{\"input_usd_per_million\": 1, \"output_usd_per_million\": 1}]}",
		     "entry 1: \"prefix\"", "an entry without a prefix");
	expect_error("{\"models\": [{\"prefix\": \"a\", \"context_window\": 1.5}]}",
		     "\"context_window\" must be a whole number", "a fractional window");
	expect_error("{\"model\": []}", "unknown key \"model\"", "a misspelt top-level key");
	expect_error("[]", "expected an object", "not an object");
	char *err2 = NULL;
	ok(pricing_load("/nonexistent/pricing.json", &err2) == -1 && err2 &&
	   strstr(err2, "/nonexistent/pricing.json"), "a missing file is named: %s", err2);
	free(err2);
	/* A failed load keeps the table in force; loading no file drops it. */
	price_of("my-llama", &p);
	ok(p.priced, "a failed load keeps the operator's entries");
	is_int(pricing_load(NULL, &err2), 0, "loading no file");
	price_of("my-llama", &p);
	ok(!p.priced, "... drops them");
}

int
main(void)
{
	test_builtin();
	test_costs();
	test_user_file();
	return done_testing();
}
