/*
 * budget_tool.c: drives model/budget.h from the end-to-end tests
 * (t/e2e/79-budgets.t), each command on its own database handle as an
 * executor would:
 *
 *   budget-tool race URL WORKFLOW_ID TOKENS N EXECUTION...
 *       forks N processes that each open their own handle and, all at
 *       once, reserve TOKENS for an execution (the i-th uses the
 *       (i mod count)-th); prints "granted G refused R errors E" and one
 *       refusal's message.
 *   budget-tool call URL WORKFLOW_ID EXECUTION MODEL IN OUT MAX_TOKENS
 *       one LLM call as the agent node makes it: reserves the worst case
 *       (IN + MAX_TOKENS, or the model's output cap when MAX_TOKENS is 0,
 *       priced by the pricing table), then settles IN and OUT at the
 *       table's price; prints "settled <reservation id> <cost micro-USD>" or
 *       "refused: <why>" (exit 1).
 *   budget-tool reserve URL WORKFLOW_ID EXECUTION TOKENS MICROS SECONDS
 *       prints the reservation id (or "refused: ...", exit 1).
 *   budget-tool reserve-batch URL SECONDS WORKFLOW_ID:EXECUTION:TOKENS:MICROS...
 *       the asks in one budget_reserve_batch(); prints one line per ask,
 *       in order: its reservation id, or 0 when the batch did not grant it.
 *   budget-tool settle URL RESERVATION IN OUT MICROS
 *   budget-tool release URL RESERVATION
 *       print "ok" or "not found" (exit 1).
 *   budget-tool priced URL WORKFLOW_ID
 *       prints "ok" or "refused: ..." (exit 1).
 *
 * PIPELIT_PRICING_FILE is honoured as by pipelit.  Exit 2 on any error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "llm/pricing.h"
#include "model/budget.h"
#include "model/workflow.h"

static struct db *
open_db(const char *url)
{
	char *err = NULL;
	struct db *db = db_open(url, &err);
	if (db == NULL) {
		fprintf(stderr, "budget-tool: %s\n", err ? err : "cannot open the database");
		free(err);
		exit(2);
	}
	return db;
}

static int
db_failed(struct db *db)
{
	fprintf(stderr, "budget-tool: database error: %s\n", db_errmsg(db));
	return 2;
}

/* One racer: opens its handle, waits for the start, reserves; its exit
 * status is the result, its refusal on stdout. */
static void
racer(const char *url, int64_t workflow_id, const char *execution, int64_t tokens, int ready_fd,
      int start_fd)
{
	struct db *db = open_db(url);
	char c = 'r';
	if (write(ready_fd, &c, 1) != 1)
		_exit(2);
	close(ready_fd);
	/* EOF on the start pipe: the parent let everyone go at once. */
	while (read(start_fd, &c, 1) > 0)
		;
	int64_t id = 0;
	char why[512];
	int rc = budget_reserve(db, workflow_id, execution, tokens, 0, 3600, &id, why, sizeof(why));
	if (rc == BUDGET_REFUSED)
		printf("%s\n", why);
	else if (rc != BUDGET_GRANTED)
		fprintf(stderr, "budget-tool: database error: %s\n", db_errmsg(db));
	fflush(stdout);
	db_close(db);
	_exit(rc == BUDGET_GRANTED ? 0 : rc == BUDGET_REFUSED ? 1 : 2);
}

static int
cmd_race(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	const char *url = argv[0];
	int64_t workflow_id = atoll(argv[1]), tokens = atoll(argv[2]);
	int n = atoi(argv[3]);
	char **executions = argv + 4;
	int n_exec = argc - 4;
	int ready[2], start[2];
	if (pipe(ready) != 0 || pipe(start) != 0)
		return 2;
	fflush(stdout);
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 2;
		if (pids[i] == 0) {
			close(ready[0]);
			close(start[1]);
			racer(url, workflow_id, executions[i % n_exec], tokens, ready[1], start[0]);
		}
	}
	close(ready[1]);
	close(start[0]);
	char c;
	for (int got = 0; got < n && read(ready[0], &c, 1) == 1; got++)
		;
	close(start[1]);
	int granted = 0, refused = 0, errors = 0;
	for (int i = 0; i < n; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
		granted += code == 0;
		refused += code == 1;
		errors += code > 1;
	}
	free(pids);
	printf("granted %d refused %d errors %d\n", granted, refused, errors);
	return 0;
}

static int
cmd_call(int argc, char **argv)
{
	if (argc != 7)
		return 2;
	struct db *db = open_db(argv[0]);
	int64_t workflow_id = atoll(argv[1]);
	const char *execution = argv[2], *model = argv[3];
	long in = atol(argv[4]), out = atol(argv[5]), max_tokens = atol(argv[6]);
	struct model_price price;
	pricing_lookup(model, &price);
	int64_t tokens, micros, id = 0;
	budget_estimate(&price, in, max_tokens, &tokens, &micros);
	char why[512];
	int rc = budget_reserve(db, workflow_id, execution, tokens, micros, 3600, &id, why, sizeof(why));
	if (rc == BUDGET_REFUSED) {
		printf("refused: %s\n", why);
		db_close(db);
		return 1;
	}
	if (rc != BUDGET_GRANTED)
		return db_failed(db);
	int64_t cost = budget_cost_micros(&price, in, out);
	if (budget_settle(db, id, in, out, cost) != BUDGET_GRANTED)
		return db_failed(db);
	printf("settled %lld %lld\n", (long long)id, (long long)cost);
	db_close(db);
	return 0;
}

static int
cmd_reserve(int argc, char **argv)
{
	if (argc != 6)
		return 2;
	struct db *db = open_db(argv[0]);
	int64_t id = 0;
	char why[512];
	int rc = budget_reserve(db, atoll(argv[1]), argv[2], atoll(argv[3]), atoll(argv[4]),
				atol(argv[5]), &id, why, sizeof(why));
	if (rc == BUDGET_REFUSED)
		printf("refused: %s\n", why);
	else if (rc == BUDGET_GRANTED)
		printf("%lld\n", (long long)id);
	else
		return db_failed(db);
	db_close(db);
	return rc == BUDGET_GRANTED ? 0 : 1;
}

static int
cmd_reserve_batch(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	size_t n = (size_t)argc - 2;
	struct budget_ask *asks = calloc(n, sizeof *asks);
	char **copies = calloc(n, sizeof *copies);
	if (asks == NULL || copies == NULL)
		return 2;
	for (size_t i = 0; i < n; i++) {
		copies[i] = strdup(argv[2 + i]);
		char *w = strtok(copies[i], ":"), *e = strtok(NULL, ":");
		char *t = strtok(NULL, ":"), *m = strtok(NULL, ":");
		if (w == NULL || e == NULL || t == NULL || m == NULL)
			return 2;
		asks[i] = (struct budget_ask){ .workflow_id = atoll(w), .execution_id = e,
					       .tokens = atoll(t), .usd_micros = atoll(m) };
	}
	struct db *db = open_db(argv[0]);
	if (budget_reserve_batch(db, asks, n, atol(argv[1])) != 0)
		return db_failed(db);
	for (size_t i = 0; i < n; i++) {
		printf("%lld\n", (long long)asks[i].reservation_id);
		free(copies[i]);
	}
	free(copies);
	free(asks);
	db_close(db);
	return 0;
}

static int
cmd_settle_release(int settle, int argc, char **argv)
{
	if (argc != (settle ? 5 : 2))
		return 2;
	struct db *db = open_db(argv[0]);
	int rc = settle ? budget_settle(db, atoll(argv[1]), atoll(argv[2]), atoll(argv[3]), atoll(argv[4]))
			: budget_release(db, atoll(argv[1]));
	if (rc == BUDGET_DB_ERROR)
		return db_failed(db);
	printf("%s\n", rc == BUDGET_GRANTED ? "ok" : "not found");
	db_close(db);
	return rc == BUDGET_GRANTED ? 0 : 1;
}

static int
cmd_priced(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	struct db *db = open_db(argv[0]);
	char why[512];
	/* The workflow's graph as it is now stands for a run's snapshot. */
	json_t *nodes = NULL, *edges = NULL;
	if (workflow_graph(db, atoll(argv[1]), &nodes, &edges) != WF_OK)
		return db_failed(db);
	int rc = budget_check_priced(db, atoll(argv[1]), nodes, why, sizeof(why));
	json_decref(nodes);
	json_decref(edges);
	if (rc == BUDGET_DB_ERROR)
		return db_failed(db);
	if (rc == BUDGET_REFUSED)
		printf("refused: %s\n", why);
	else
		printf("ok\n");
	db_close(db);
	return rc == BUDGET_GRANTED ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: budget-tool race|call|reserve|reserve-batch|settle|release|priced ...\n");
		return 2;
	}
	char *err = NULL;
	if (pricing_load(getenv("PIPELIT_PRICING_FILE"), &err) != 0) {
		fprintf(stderr, "budget-tool: %s\n", err);
		return 2;
	}
	const char *cmd = argv[1];
	argc -= 2;
	argv += 2;
	int rc = strcmp(cmd, "race") == 0 ? cmd_race(argc, argv)
	       : strcmp(cmd, "call") == 0 ? cmd_call(argc, argv)
	       : strcmp(cmd, "reserve") == 0 ? cmd_reserve(argc, argv)
	       : strcmp(cmd, "reserve-batch") == 0 ? cmd_reserve_batch(argc, argv)
	       : strcmp(cmd, "settle") == 0 ? cmd_settle_release(1, argc, argv)
	       : strcmp(cmd, "release") == 0 ? cmd_settle_release(0, argc, argv)
	       : strcmp(cmd, "priced") == 0 ? cmd_priced(argc, argv) : -1;
	if (rc == -1) {
		fprintf(stderr, "budget-tool: unknown command %s\n", cmd);
		return 2;
	}
	if (rc == 2 && argc >= 0)
		fprintf(stderr, "budget-tool %s: bad arguments or failure\n", cmd);
	return rc;
}
