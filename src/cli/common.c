/* common.c: helpers shared by the subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/config.h"
#include "util/log.h"

int
cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int
cli_load_config(struct config *cfg, const char *env_file, const char *log_tag)
{
	char *err = NULL;
	if (config_load(cfg, env_file, &err) != 0) {
		fprintf(stderr, "pipelit: %s\n", err);
		free(err);
		return -1;
	}
	log_set_tag(log_tag);
	if (log_open(cfg->log_level, cfg->log_file) != 0) {
		fprintf(stderr, "pipelit: invalid LOG_FILE=%s: cannot open it for writing\n",
			cfg->log_file);
		config_free(cfg);
		return -1;
	}
	return 0;
}
