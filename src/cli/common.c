/* common.c: helpers shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db/db_settings.h"
#include "util/config.h"
#include "util/log.h"

static int
report(int status, const char *fmt, va_list ap)
{
	fputs("pipelit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	return status;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = report(1, fmt, ap);
	va_end(ap);
	return rc;
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = report(2, fmt, ap);
	va_end(ap);
	return rc;
}

int
cli_fail_with(char *err)
{
	cli_fail("%s", err ? err : "unknown error");
	free(err);
	return 1;
}

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
	db_configure_from(cfg, DB_FOR_TOOLS);
	log_set_tag(log_tag);
	if (log_open(cfg->log_level, cfg->log_file) != 0) {
		fprintf(stderr, "pipelit: invalid LOG_FILE=%s: cannot open it for writing\n",
			cfg->log_file);
		config_free(cfg);
		return -1;
	}
	return 0;
}
