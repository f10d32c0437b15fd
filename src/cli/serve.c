/* serve.c: placeholder until the pool lands. */
#include <stdio.h>
#include "cli.h"
int
cmd_serve(int argc, char **argv)
{
	fprintf(stderr, "pipelit: serve is not built yet\n");
	return 1;
}
int
cmd_fcgi(int argc, char **argv)
{
	fprintf(stderr, "pipelit: fcgi is not built yet\n");
	return 1;
}
