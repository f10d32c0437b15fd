/* db.c: placeholder until the migrations land. */
#include <stdio.h>
#include "cli.h"
int
cmd_db(int argc, char **argv)
{
	fprintf(stderr, "pipelit: db is not built yet\n");
	return 1;
}
