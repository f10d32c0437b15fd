/* run.c: 'pipelit run', starting a workflow from the command line (cron,
 * scripts) the way the execute endpoint does, optionally waiting for its
 * result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "events/watch.h"
#include "db/db.h"
#include "engine/trigger.h"
#include "model/execution.h"
#include "model/job.h"
#include "util/config.h"
#include "util/timefmt.h"
#include "util/wake.h"

static void
run_usage(FILE *out)
{
	fprintf(out,
		"usage: pipelit run SLUG [--text TEXT] [--payload JSON] [--trigger NODE_ID]\n"
		"                    [--trigger-type TYPE] [--wait SECONDS] [--env-file FILE]\n"
		"\n"
		"Starts an execution of the workflow SLUG, as its owner, through its manual\n"
		"trigger (or the trigger named), and prints the execution id.  The pool's\n"
		"executors run it.  With --wait, waits up to SECONDS for it to end and prints\n"
		"its final output; the exit status is then 0 only when it completed.\n"
		"\n"
		"  --text TEXT         the trigger's text (payload {\"text\": TEXT})\n"
		"  --payload JSON      the whole trigger payload (an object)\n"
		"  --trigger NODE_ID   the trigger node to start from\n"
		"  --trigger-type TYPE its kind (default trigger_manual; 'none' runs the\n"
		"                      workflow without a trigger, as a subworkflow would)\n"
		"  --wait SECONDS      wait for the end, at most SECONDS\n"
		"  --count N           start N executions (in transactions of up to 500) and\n"
		"                      print how many were started instead of their ids\n");
}

static int
wait_for_end(struct db *db, const char *id, long seconds)
{
	int64_t deadline = time_now_ms() + seconds * 1000;
	for (;;) {
		char status[16] = "";
		char *output = NULL, *error = NULL;
		if (exec_result(db, id, status, &output, &error) != 0)
			return cli_fail("run: reading the execution failed: %s", db_errmsg(db));
		int done = strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
			   strcmp(status, "cancelled") == 0;
		if (done || time_now_ms() > deadline) {
			printf("%s %s\n", status, output ? output : "null");
			if (error && *error)
				fprintf(stderr, "pipelit: run: %s\n", error);
			free(output);
			free(error);
			return strcmp(status, "completed") == 0 ? 0 : 1;
		}
		free(output);
		free(error);
		usleep(20000);
	}
}

/* Starts count executions, up to 500 per transaction, waking the
 * executors after each so they start while the rest are written. */
static int
start_many(struct db *db, const struct config *cfg, struct exec_start *rq, long count,
	   long *started)
{
	char id[EXEC_ID_MAX + 1];
	while (*started < count) {
		if (db_begin_write(db) != 0)
			return DB_FAILED;
		long batch = count - *started < 500 ? count - *started : 500;
		for (long i = 0; i < batch; i++) {
			rq->now_ms = time_now_ms();
			struct trigger_outcome run;
			int rc = engine_trigger_start(db, cfg, rq, id, &run);
			trigger_outcome_clear(&run);
			if (rc != EXEC_OK) {
				engine_trigger_abandon();
				db_abandon(db);
				return rc;
			}
		}
		if (db_commit(db) != 0) {
			engine_trigger_abandon();
			return db_abandon(db);
		}
		*started += batch;
		engine_trigger_publish();
		engine_trigger_flush(db, ENGINE_TRIGGER_FLUSH_MS);
	}
	return EXEC_OK;
}

int
cmd_run(int argc, char **argv)
{
	const char *env_file = NULL, *slug = NULL, *text = NULL, *payload_text = NULL;
	const char *trigger = NULL, *trigger_type = "trigger_manual";
	long wait = -1, count = 1;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			run_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--text") == 0 && i + 1 < argc) {
			text = argv[++i];
		} else if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc) {
			payload_text = argv[++i];
		} else if (strcmp(argv[i], "--trigger") == 0 && i + 1 < argc) {
			trigger = argv[++i];
		} else if (strcmp(argv[i], "--trigger-type") == 0 && i + 1 < argc) {
			trigger_type = argv[++i];
		} else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
			wait = atol(argv[++i]);
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = atol(argv[++i]);
			if (count < 1 || count > 10000000)
				return cli_usage_error("run: --count must be 1 to 10000000");
		} else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
			env_file = argv[++i];
		} else if (argv[i][0] != '-' && slug == NULL) {
			slug = argv[i];
		} else {
			return cli_usage_error("run: unknown option '%s' (see pipelit run --help)",
					       argv[i]);
		}
	}
	if (slug == NULL)
		return cli_usage_error("run: which workflow? (pipelit run SLUG)");
	json_t *payload;
	if (payload_text) {
		payload = json_loads(payload_text, 0, NULL);
		if (!json_is_object(payload)) {
			json_decref(payload);
			return cli_usage_error("run: --payload must be a JSON object");
		}
	} else {
		payload = json_pack("{s:s}", "text", text ? text : "");
	}
	struct config cfg;
	if (cli_load_config(&cfg, env_file, "Cli") != 0) {
		json_decref(payload);
		return 1;
	}
	/* The pool's table of watched channels, when there is one. */
	watch_attach(&cfg, 0);
	char *err = NULL;
	struct db *db = db_open(cfg.database_url, &err);
	if (db == NULL) {
		json_decref(payload);
		config_free(&cfg);
		return cli_fail_with(err);
	}
	int64_t owner = 0;
	int rc = execution_workflow_owner(db, slug, &owner);
	char id[EXEC_ID_MAX + 1] = "";
	struct exec_start rq = {
		.workflow_slug = slug, .owner = EXEC_ANY_OWNER, .user_profile_id = owner,
		.trigger_type = strcmp(trigger_type, "none") == 0 ? NULL : trigger_type,
		.trigger_node_id = trigger, .payload = payload,
	};
	long started = 0;
	if (rc == EXEC_OK && count > 1)
		rc = start_many(db, &cfg, &rq, count, &started);
	else if (rc == EXEC_OK) {
		rq.now_ms = time_now_ms();
		struct trigger_outcome run;
		rc = engine_trigger_start(db, &cfg, &rq, id, &run);
		trigger_outcome_clear(&run);
	}
	json_decref(payload);
	int status = 0;
	if (rc == EXEC_OK && count > 1) {
		printf("%ld\n", started);
	} else if (rc == EXEC_OK) {
		printf("%s\n", id);
		fflush(stdout);
		engine_trigger_publish();
		engine_trigger_flush(db, ENGINE_TRIGGER_FLUSH_MS);
		if (wait >= 0)
			status = wait_for_end(db, id, wait);
	} else {
		status = rc == DB_FAILED ? cli_fail("run: %s", db_errmsg(db))
			: cli_fail("run: %s", rc == EXEC_NOT_FOUND ? "no workflow with that slug"
				   : rc == EXEC_INACTIVE ? "the workflow is not active"
				   : "the workflow has no such trigger");
	}
	db_close(db);
	config_free(&cfg);
	return status;
}
