/* executor.c: an executor, one of the pool's children.  It claims no
 * work yet; it holds its own database handle and waits for SIGTERM. */
#include "children.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/config.h"
#include "util/log.h"
#include "util/signals.h"

/* Set from the signal handler, read by the wait loop. */
static volatile sig_atomic_t executor_stop;

static void
on_stop_signal(int sig)
{
	executor_stop = 1;
}

int
executor_main(const struct config *cfg)
{
	log_set_tag("Executor");
	sigset_t wait_mask;
	executor_stop = 0;
	signals_install_child_stop(on_stop_signal, &wait_mask);
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		log_error("cannot open the database: %s", err ? err : "unknown error");
		free(err);
	}
	log_info("idle: no work to claim yet");
	while (!executor_stop)
		sigsuspend(&wait_mask);
	if (db != NULL)
		db_close(db);
	return 0;
}
