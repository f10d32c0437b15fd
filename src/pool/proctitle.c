/* proctitle.c: see proctitle.h. */
#include "proctitle.h"

#include <string.h>

#include "util/xalloc.h"

extern char **environ;

/* The process's title area: a property of the process image itself, set
 * once by proctitle_init(). */
static char *title_area;
static size_t title_size;

/* Moves the environment strings to the heap so their memory can be reused;
 * getenv() keeps working through the new pointers. */
static void
relocate_environ(void)
{
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(environ[i]);
	environ = copy;	/* the old array stays: it lives in the stack area */
}

void
proctitle_init(int argc, char **argv)
{
	if (argc < 1 || title_area != NULL)
		return;
	char *start = argv[0];
	char *end = start + strlen(start) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end += strlen(argv[i]) + 1;
	for (size_t i = 0; environ[i] != NULL && environ[i] == end; i++)
		end += strlen(environ[i]) + 1;
	relocate_environ();
	title_area = start;
	title_size = (size_t)(end - start);
}

void
proctitle_set(const char *title)
{
	if (title_area == NULL || title_size < 2)
		return;
	size_t n = strlen(title);
	if (n > title_size - 1)
		n = title_size - 1;
	memcpy(title_area, title, n);
	memset(title_area + n, '\0', title_size - n);
}
