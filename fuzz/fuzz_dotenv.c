/* fuzz_dotenv.c: the .env parser (util/config.c dotenv_parse) and the
 * value parsers that read its settings. */
#include "fuzz_util.h"

#include "util/config.h"

static void
on_pair(const char *key, const char *value, void *arg)
{
	size_t *count = arg;
	(*count)++;
	long n;
	int b;
	if (key == NULL || value == NULL)
		abort();
	(void)config_parse_long(value, 0, 1000000, &n);
	(void)config_parse_bool(value, &b);
	(void)config_parse_duration(value, &n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	size_t count = 0;
	(void)dotenv_parse(text, on_pair, &count);
	free(text);
	return 0;
}
