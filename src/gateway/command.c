/* command.c: see command.h. */
#include "command.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/xalloc.h"

/* Python's str.strip() without arguments, for ASCII whitespace and the
 * separators it also strips (NBSP and the other Unicode spaces are kept:
 * rare in a command, and harmless: the text is then an ordinary message). */
static int
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* 1 when the n bytes at s are one or more word characters (PCRE2 with
 * Unicode properties, as Python 3's re for str patterns). */
static int
all_word(const char *s, size_t n)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "^\\w+\\z", PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
	if (re == NULL)
		return 0;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = md ? pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) : -1;
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc >= 0;
}

int
gateway_command_parse(const char *text, char **task_id, int *cancel)
{
	*task_id = NULL;
	*cancel = 0;
	if (text == NULL)
		return 0;
	while (is_space((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && is_space((unsigned char)text[n - 1]))
		n--;
	static const char confirm[] = "/confirm_", cancel_[] = "/cancel_";
	size_t skip;
	if (n > sizeof confirm - 1 && strncmp(text, confirm, sizeof confirm - 1) == 0)
		skip = sizeof confirm - 1;
	else if (n > sizeof cancel_ - 1 && strncmp(text, cancel_, sizeof cancel_ - 1) == 0)
		skip = sizeof cancel_ - 1, *cancel = 1;
	else
		return 0;
	if (!all_word(text + skip, n - skip)) {
		*cancel = 0;
		return 0;
	}
	*task_id = xstrndup(text + skip, n - skip);
	return 1;
}
