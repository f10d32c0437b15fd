/*
 * trigger_writer.c: the pool's trigger writer, one per host
 * (engine/trigger_relay.h).  It takes trigger requests on a Unix socket
 * beside the database and runs every request that arrived since its last
 * commit in one transaction: one write lock, one sync of the log, and a
 * page cache no other writer made stale.  While it commits, the next
 * requests queue in their sockets, so the busier the host, the larger the
 * batch.  Each caller is answered once its execution is committed; then
 * the batch's events are published and the executors woken, as a
 * responder does after its answer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "children.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/trigger.h"
#include "engine/trigger_relay.h"
#include "pool/scoreboard.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* Requests in one transaction at most (each caller has one outstanding). */
#define BATCH_MAX 256
/* Callers connected at once at most (responders, commands). */
#define CLIENTS_MAX 512
/* How long an answer may take to reach a caller that stopped reading. */
#define ANSWER_SEND_MS 1000
/* Stopping: how long the callers must have been quiet, and how long the
 * writer goes on answering them at most. */
#define DRAIN_QUIET_MS 100
#define DRAIN_MAX_MS 2000

static volatile sig_atomic_t writer_stop;

static void
on_stop_signal(int sig)
{
	(void)sig;
	writer_stop = 1;
}

/* A connected caller: what it sent that is not a whole message yet. */
struct client {
	int fd;
	char *buf;
	size_t len, cap;
};

/* A request taken from a caller, with what the writer made of it. */
struct item {
	struct client *from;
	struct trigger_request req;
	int rc;
	char id[EXEC_ID_MAX + 1];
	struct trigger_outcome out;
	struct db_error err;          /* the database's, when rc is EXEC_DB_ERROR */
};

struct writer {
	const struct config *cfg;
	const struct child_board *board;   /* its requests count the triggers */
	struct db *db;
	int listen_fd;
	struct client *clients;      /* CLIENTS_MAX of them; fd -1: free */
	struct item *items;          /* BATCH_MAX of them */
	size_t n_items;
};

static int
listen_on(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, path, strlen(path) + 1);
	/* On PostgreSQL nothing else may have made the data directory. */
	fs_make_parent_dirs(path);
	unlink(path);            /* a socket left by a writer that died */
	/* Only the pool's user may start executions through it: 0600. */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (rc != 0 || listen(fd, CLIENTS_MAX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
client_drop(struct client *c)
{
	close(c->fd);
	free(c->buf);
	*c = (struct client){ .fd = -1 };
}

static void
accept_all(struct writer *w)
{
	for (;;) {
		int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct client *free_slot = NULL;
		for (int i = 0; i < CLIENTS_MAX && free_slot == NULL; i++)
			if (w->clients[i].fd < 0)
				free_slot = &w->clients[i];
		if (free_slot == NULL) {
			/* The caller sees the connection close, and runs its
			 * trigger itself. */
			log_warn("trigger writer: %d callers already connected", CLIENTS_MAX);
			close(fd);
			continue;
		}
		free_slot->fd = fd;
	}
}

/* Takes the whole messages in c's buffer as requests (at most what the
 * batch has room for).  -1 when c sent something that is not one. */
static int
take_requests(struct writer *w, struct client *c)
{
	size_t at = 0;
	while (c->len - at >= 4 && w->n_items < BATCH_MAX) {
		size_t n = trigger_relay_frame_len((const unsigned char *)c->buf + at);
		if (n > TRIGGER_RELAY_MESSAGE_MAX)
			return -1;
		if (c->len - at - 4 < n)
			break;
		struct item *it = &w->items[w->n_items];
		memset(it, 0, sizeof *it);
		if (trigger_request_decode(c->buf + at + 4, n, &it->req) != 0)
			return -1;
		it->from = c;
		w->n_items++;
		at += 4 + n;
	}
	memmove(c->buf, c->buf + at, c->len - at);
	c->len -= at;
	return 0;
}

/* Reads what c sent; -1 when it is gone or broke the protocol. */
static int
read_client(struct writer *w, struct client *c)
{
	for (;;) {
		if (c->cap - c->len < 4096) {
			c->cap = c->cap ? c->cap * 2 : 8192;
			c->buf = xrealloc(c->buf, c->cap);
		}
		size_t room = c->cap - c->len;
		ssize_t r = recv(c->fd, c->buf + c->len, room, 0);
		if (r > 0) {
			c->len += (size_t)r;
			/* Less than there was room for: nothing more waits now (what
			 * comes later, poll reports), so no read to find it empty. */
			if ((size_t)r < room)
				break;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;           /* closed, or failed */
	}
	return take_requests(w, c);
}

/* Runs one request in the open batch transaction, or in its own. */
static void
run_one(struct writer *w, struct item *it)
{
	it->rc = engine_trigger_start(w->db, w->cfg, &it->req.rq, it->id, &it->out);
	if (it->rc == EXEC_DB_ERROR)
		it->err = *db_last_error(w->db);
}

/* Runs the batch's requests each in a transaction of its own. */
static void
run_each(struct writer *w)
{
	for (size_t i = 0; i < w->n_items; i++)
		run_one(w, &w->items[i]);
}

/* Runs the batch in one transaction; when any of it fails on the
 * database (a stale cached workflow, a lost connection), all of it
 * again, one request per transaction, so that one failure is one
 * caller's. */
static void
run_batch(struct writer *w)
{
	if (w->n_items == 1 || db_begin_write(w->db) != 0) {
		run_each(w);
		return;
	}
	int failed = 0;
	for (size_t i = 0; i < w->n_items && !failed; i++) {
		run_one(w, &w->items[i]);
		failed = w->items[i].rc == EXEC_DB_ERROR;
	}
	if (!failed && db_commit(w->db) == 0)
		return;
	if (db_in_transaction(w->db))
		db_rollback(w->db);
	engine_trigger_abandon();
	for (size_t i = 0; i < w->n_items; i++)
		trigger_outcome_clear(&w->items[i].out);
	run_each(w);
}

static void
answer_batch(struct writer *w)
{
	int64_t committed = 0;
	for (size_t i = 0; i < w->n_items; i++) {
		struct item *it = &w->items[i];
		committed += it->rc == EXEC_OK;
		size_t len;
		char *msg = trigger_answer_encode(it->rc, it->req.rq.execution_id, &it->out,
						  it->rc == EXEC_DB_ERROR ? &it->err : NULL, &len);
		if (it->from->fd >= 0 &&
		    trigger_relay_send(it->from->fd, msg, len, time_mono_ms() + ANSWER_SEND_MS) != 0)
			client_drop(it->from);
		free(msg);
		trigger_outcome_clear(&it->out);
		trigger_request_free(&it->req);
	}
	/* /status counts what was committed, not what was refused. */
	scoreboard_triggers(w->board->sb, w->board->entry, committed);
	w->n_items = 0;
	/* Committed and answered: now the events, then the executors. */
	engine_trigger_publish();
}

/* One wait of at most idle_ms and what came of it; how many requests
 * were answered. */
static size_t
serve_once(struct writer *w, const sigset_t *wait_mask, int idle_ms)
{
	struct pollfd fds[2 + CLIENTS_MAX];
	struct client *of[2 + CLIENTS_MAX];
	/* Whole messages a full batch left in a buffer go first: their
	 * callers send nothing more until answered. */
	for (int i = 0; i < CLIENTS_MAX && w->n_items < BATCH_MAX; i++)
		if (w->clients[i].fd >= 0 && w->clients[i].len >= 4 &&
		    take_requests(w, &w->clients[i]) != 0)
			client_drop(&w->clients[i]);
	int n = 0, timeout = w->n_items > 0 ? 0 : idle_ms;
	/* Stopping, the listening socket is closed: -1, which poll skips. */
	fds[n++] = (struct pollfd){ .fd = w->listen_fd, .events = POLLIN };
	n += engine_trigger_poll_fds(&fds[n], 1, &timeout);
	int first_client = n;
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (w->clients[i].fd >= 0) {
			of[n] = &w->clients[i];
			fds[n++] = (struct pollfd){ .fd = w->clients[i].fd, .events = POLLIN };
		}
	struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };
	int ready = ppoll(fds, (nfds_t)n, timeout < 0 ? NULL : &ts, wait_mask);
	if (ready > 0) {
		if (fds[0].revents)
			accept_all(w);
		for (int i = first_client; i < n; i++)
			if (fds[i].revents && of[i]->fd >= 0 && read_client(w, of[i]) != 0) {
				/* What it sent whole is still answered: to nobody. */
				client_drop(of[i]);
			}
	}
	size_t answered = w->n_items;
	if (w->n_items > 0) {
		run_batch(w);
		answer_batch(w);
	}
	engine_trigger_poll_run(w->db);
	return answered;
}

/* Stopping: new callers no longer find the writer (they run their
 * triggers themselves, or reach the writer that replaces this one); what
 * the connected ones still send is answered until they have been quiet
 * for DRAIN_QUIET_MS.  A request that arrives after that finds the
 * connection closed, and its caller looks it up (trigger_relay.h). */
static void
drain(struct writer *w, const char *path, const struct stat *mine, const sigset_t *wait_mask)
{
	close(w->listen_fd);
	w->listen_fd = -1;
	/* Unless a newer writer (a reload's) has taken the path since. */
	struct stat now;
	if (stat(path, &now) == 0 && now.st_ino == mine->st_ino && now.st_dev == mine->st_dev)
		unlink(path);
	int64_t start = time_mono_ms(), last = start;
	for (int64_t t = start; t - last < DRAIN_QUIET_MS && t - start < DRAIN_MAX_MS;
	     t = time_mono_ms())
		if (serve_once(w, wait_mask, DRAIN_QUIET_MS) > 0)
			last = time_mono_ms();
}

int
trigger_writer_main(const struct config *cfg, const struct child_board *board)
{
	log_set_tag("Triggers");
	sigset_t wait_mask;
	writer_stop = 0;
	signals_install_child_stop(on_stop_signal, &wait_mask);
	char *path = trigger_relay_path(cfg);
	char *err = NULL;
	struct db *db = path ? db_open(cfg->database_url, &err) : NULL;
	if (db == NULL) {
		log_error("trigger writer: cannot open the database: %s",
			  err ? err : "no socket path for it");
		free(err);
		free(path);
		return 1;
	}
	child_warm_up(db);
	struct writer w = { .cfg = cfg, .board = board, .db = db, .listen_fd = listen_on(path) };
	struct stat mine;
	if (w.listen_fd < 0 || stat(path, &mine) != 0) {
		log_error("trigger writer: cannot listen on %s: %s", path, strerror(errno));
		db_close(db);
		free(path);
		return 1;
	}
	w.clients = xmalloc(CLIENTS_MAX * sizeof *w.clients);
	w.items = xcalloc(BATCH_MAX, sizeof *w.items);
	for (int i = 0; i < CLIENTS_MAX; i++)
		w.clients[i] = (struct client){ .fd = -1 };
	/* Each turn a sign of life for the master's stall watch. */
	while (!writer_stop) {
		scoreboard_turn(board->sb, board->entry);
		serve_once(&w, &wait_mask, 1000);
	}
	drain(&w, path, &mine, &wait_mask);
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (w.clients[i].fd >= 0)
			client_drop(&w.clients[i]);
	free(w.clients);
	free(w.items);
	engine_trigger_flush(db, ENGINE_TRIGGER_FLUSH_MS);
	db_close(db);
	free(path);
	return 0;
}
