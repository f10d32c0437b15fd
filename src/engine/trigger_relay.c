/* trigger_relay.c: see trigger_relay.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/trigger_relay.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "engine/trigger.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

/* How long a caller waits for the writer's answer.  A batch takes
 * milliseconds; this only bounds a writer that is stopped or stuck (a
 * responder's request deadline, PIPELIT_REQUEST_TIMEOUT_SECONDS, is 60 s
 * by default, so the caller still answers its client). */
#define ANSWER_WAIT_MS 30000

/* How long a caller may take to hand its request over. */
#define SEND_WAIT_MS 5000

/* This process's connection to the writer: opened on first use, kept
 * across triggers, dropped when the writer goes.  A child forked since
 * opens its own (two processes' messages must not interleave on one):
 * the fork forgets the parent's (forget_after_fork). */
static int relay_fd = -1;

char *
trigger_relay_path(const struct config *cfg)
{
	char *path = db_url_sibling(cfg->database_url, "-triggers");
	if (path == NULL && strncmp(cfg->database_url, "postgres", 8) == 0)
		path = xasprintf("%s/triggers.sock", cfg->data_dir);
	if (path != NULL && strlen(path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
		free(path);
		return NULL;
	}
	return path;
}

/* --- framing ----------------------------------------------------------------- */

/* Waits up to the deadline (monotonic ms) for fd to be ready for events;
 * 1 ready, 0 time is up, -1 failed. */
static int
wait_fd(int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - time_mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends the iovecs whole (they are advanced past what went): 0, or -1
 * when the peer is gone or the deadline passed. */
static int
send_all(int fd, struct iovec *iov, int n, int64_t deadline_ms)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	while (m.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(fd, POLLOUT, deadline_ms) == 1)
			continue;
		if (w <= 0)
			return -1;
		size_t left = (size_t)w;
		while (m.msg_iovlen > 0 && left >= m.msg_iov->iov_len) {
			left -= m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + left;
			m.msg_iov->iov_len -= left;
		}
	}
	return 0;
}

size_t
trigger_relay_frame_len(const unsigned char head[4])
{
	return (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
}

int
trigger_relay_send(int fd, const char *msg, size_t len, int64_t deadline_ms)
{
	if (len > TRIGGER_RELAY_MESSAGE_MAX)
		return -1;
	unsigned char head[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				  (unsigned char)(len >> 8), (unsigned char)len };
	/* One system call for the head and the body: the peer wakes once. */
	struct iovec iov[2] = { { head, sizeof head }, { (void *)msg, len } };
	return send_all(fd, iov, 2, deadline_ms);
}

/* Reads n bytes: 1 read, 0 the peer closed or failed, -1 time is up. */
static int
recv_bytes(int fd, char *p, size_t n, int64_t deadline_ms)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return 0;
		int ready = wait_fd(fd, POLLIN, deadline_ms);
		if (ready == 0)
			return -1;
		if (ready < 0)
			return 0;
	}
	return 1;
}

/* One message (malloc'd, NUL-terminated): 1, 0 the writer went, -1 late.
 * The caller has one request outstanding, so its answer is all the
 * connection carries: one blocking read waits for it and takes the head
 * and, for the usual small answer, the body. */
static int
recv_message(int fd, char **msg, size_t *len, int64_t deadline_ms)
{
	char first[4096];
	ssize_t r;
	for (;;) {
		/* Blocks up to the socket's receive timeout, ANSWER_WAIT_MS
		 * (relay_connect): the wait and the read in one system call. */
		r = recv(fd, first, sizeof first, 0);
		if (r > 0)
			break;
		if (r == 0)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		if (errno != EINTR)
			return 0;
		/* Interrupted: the rest of the wait to the deadline by poll. */
		int ready = wait_fd(fd, POLLIN, deadline_ms);
		if (ready != 1)
			return ready == 0 ? -1 : 0;
	}
	size_t got = (size_t)r;
	unsigned char head[4];
	size_t from_first = got < sizeof head ? got : sizeof head;
	memcpy(head, first, from_first);
	int rc = from_first < sizeof head
			 ? recv_bytes(fd, (char *)head + from_first, sizeof head - from_first, deadline_ms)
			 : 1;
	if (rc != 1)
		return rc;
	size_t n = trigger_relay_frame_len(head);
	if (n > TRIGGER_RELAY_MESSAGE_MAX || got - from_first > n)
		return 0;            /* not an answer: the connection is dropped */
	char *buf = xmalloc(n + 1);
	memcpy(buf, first + from_first, got - from_first);
	rc = recv_bytes(fd, buf + (got - from_first), n - (got - from_first), deadline_ms);
	if (rc != 1) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*msg = buf;
	*len = n;
	return 1;
}

/* --- the request and its answer ------------------------------------------------ */

static char *
request_encode(const struct exec_start *rq, const char *id, size_t *len)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "slug", rq->workflow_slug);
	jw_kint(&w, "owner", rq->owner);
	jw_kint(&w, "user", rq->user_profile_id);
	jw_kstr(&w, "type", rq->trigger_type);
	jw_kstr(&w, "node", rq->trigger_node_id);
	JW_KEY(&w, "payload");
	if (rq->payload)
		jw_json(&w, rq->payload);
	else
		jw_null(&w);
	jw_kstr(&w, "thread", rq->thread_id);
	jw_kbool(&w, "per_user", rq->thread_per_user);
	jw_kstr(&w, "parent", rq->parent_execution_id);
	jw_kstr(&w, "parent_node", rq->parent_node_id);
	jw_kint(&w, "now", rq->now_ms);
	jw_kstr(&w, "id", id);
	jw_kbool(&w, "no_notify", rq->no_notify);
	jw_kbool(&w, "answered", rq->result_answered);
	jw_kint(&w, "expect_revision", rq->expect_revision);
	jw_kstr(&w, "key", rq->confirm_key);
	jw_kstr(&w, "role", rq->confirm_role);
	jw_obj_end(&w);
	return jw_take(&w, len);
}

static const char *
str_or_null(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
trigger_request_decode(const char *msg, size_t len, struct trigger_request *out)
{
	memset(out, 0, sizeof *out);
	json_t *o = json_loadb(msg, len, 0, NULL);
	const char *id = str_or_null(o, "id");
	if (!json_is_object(o) || str_or_null(o, "slug") == NULL || id == NULL ||
	    strlen(id) > EXEC_ID_MAX) {
		json_decref(o);
		return -1;
	}
	json_t *payload = json_object_get(o, "payload");
	out->json = o;
	out->rq = (struct exec_start){
		.workflow_slug = str_or_null(o, "slug"),
		.owner = json_integer_value(json_object_get(o, "owner")),
		.user_profile_id = json_integer_value(json_object_get(o, "user")),
		.trigger_type = str_or_null(o, "type"),
		.trigger_node_id = str_or_null(o, "node"),
		.payload = json_is_null(payload) ? NULL : payload,
		.thread_id = str_or_null(o, "thread"),
		.thread_per_user = json_is_true(json_object_get(o, "per_user")),
		.parent_execution_id = str_or_null(o, "parent"),
		.parent_node_id = str_or_null(o, "parent_node"),
		.now_ms = json_integer_value(json_object_get(o, "now")),
		.execution_id = id,
		.no_notify = json_is_true(json_object_get(o, "no_notify")),
		.result_answered = json_is_true(json_object_get(o, "answered")),
		.expect_revision = json_integer_value(json_object_get(o, "expect_revision")),
		.confirm_key = str_or_null(o, "key"),
		.confirm_role = str_or_null(o, "role"),
	};
	return 0;
}

void
trigger_request_free(struct trigger_request *r)
{
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

char *
trigger_answer_encode(int rc, const char *execution_id, const struct trigger_outcome *o,
		      const struct db_error *err, size_t *len)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kint(&w, "rc", rc);
	if (rc == EXEC_DB_ERROR && err != NULL) {
		jw_kint(&w, "error_kind", err->kind);
		jw_kstr(&w, "error", err->message);
	}
	jw_kstr(&w, "id", execution_id);
	jw_kstr(&w, "status", o->status);
	jw_kbool(&w, "queued", o->queued);
	jw_kbool(&w, "from_cache", o->from_cache);
	jw_kstr(&w, "answer", o->webhook_answer);
	jw_obj_end(&w);
	return jw_take(&w, len);
}

/* An answer that is not one: the writer's outcome is unknown. */
#define ANSWER_MALFORMED (-101)

/* Fills the caller's outcome from an answer; the writer's rc (its
 * database error recorded on db), or ANSWER_MALFORMED. */
static int
answer_decode(struct db *db, const char *msg, size_t len, const char *id,
	      char *execution_id_out, struct trigger_outcome *out)
{
	json_t *o = json_loadb(msg, len, 0, NULL);
	json_t *rc_j = json_object_get(o, "rc");
	const char *got = str_or_null(o, "id");
	if (!json_is_integer(rc_j) || got == NULL || strcmp(got, id) != 0) {
		json_decref(o);
		return ANSWER_MALFORMED;
	}
	int rc = (int)json_integer_value(rc_j);
	if (rc == EXEC_DB_ERROR) {
		/* The writer's transaction failed: the caller answers as for its
		 * own (the kind decides the status, e.g. 503 with Retry-After). */
		json_int_t kind = json_integer_value(json_object_get(o, "error_kind"));
		const char *msg_text = str_or_null(o, "error");
		db_fail(db, kind > DB_ERR_NONE && kind <= DB_ERR_RESOURCES ? (enum db_errkind)kind
									   : DB_ERR_OTHER,
			msg_text ? msg_text : "the trigger writer's transaction failed");
	} else if (rc == EXEC_OK) {
		snprintf(out->status, sizeof out->status, "%s", str_or_null(o, "status") ?: "");
		out->queued = json_is_true(json_object_get(o, "queued"));
		out->from_cache = json_is_true(json_object_get(o, "from_cache"));
		const char *answer = str_or_null(o, "answer");
		out->webhook_answer = answer ? xstrdup(answer) : NULL;
		memcpy(execution_id_out, id, EXEC_ID_MAX + 1);
	}
	json_decref(o);
	return rc;
}

/* --- the caller's side -------------------------------------------------------- */

static void
relay_close(void)
{
	if (relay_fd >= 0)
		close(relay_fd);
	relay_fd = -1;
}

/* In a child just forked: the parent's connection is the parent's (its
 * copy closed here; the parent keeps it). */
static void
forget_after_fork(void)
{
	relay_close();
}

static int
relay_connect(const struct config *cfg)
{
	char *path = trigger_relay_path(cfg);
	if (path == NULL)
		return -1;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, path, strlen(path) + 1);
	free(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* An answer is awaited by a blocking read that gives up at the
	 * answer's deadline (recv_message). */
	struct timeval answer_wait = { ANSWER_WAIT_MS / 1000, (ANSWER_WAIT_MS % 1000) * 1000 };
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &answer_wait, sizeof answer_wait) != 0) {
		close(fd);
		return -1;
	}
	/* Once per process: asking getpid() per trigger would cost a system
	 * call each. */
	static int fork_watched;
	if (!fork_watched && pthread_atfork(NULL, NULL, forget_after_fork) == 0)
		fork_watched = 1;
	if (!fork_watched) {
		close(fd);
		return -1;
	}
	relay_fd = fd;
	return 0;
}

/* The writer went with the request unanswered: it committed the execution
 * (found by the id the caller chose) or took it with it. */
static int
after_writer_died(const struct config *cfg, struct db *db, const char *id,
		  char *execution_id_out, struct trigger_outcome *out)
{
	int rc = execution_status_read(db, id, out->status, sizeof out->status);
	if (rc == EXEC_NOT_FOUND && db_backend_of(db) == DB_SQLITE)
		return TRIGGER_RELAY_UNAVAILABLE;  /* a dead writer's commit cannot land later */
	if (rc == DB_FAILED)
		return DB_FAILED;
	if (rc != EXEC_OK)
		/* PostgreSQL may still be committing what the writer sent:
		 * the outcome is unknown, and the caller must not run it again. */
		return db_fail(db, DB_ERR_CONNECTION,
			       "the trigger writer went before answering; the execution may "
			       "still be committed");
	memcpy(execution_id_out, id, EXEC_ID_MAX + 1);
	/* Its wake-up may have gone with the writer. */
	if (execution_notify_executors(db) != EXEC_OK)
		db_abandon(db);
	wake_executors(cfg);
	return EXEC_OK;
}

int
trigger_relay_start(const struct config *cfg, struct db *db, const struct exec_start *rq,
		    char *execution_id_out, struct trigger_outcome *out)
{
	if (!cfg->trigger_writer || rq->execution_id != NULL)
		return TRIGGER_RELAY_UNAVAILABLE;
	char id[EXEC_ID_MAX + 1];
	crypto_uuid7(id, rq->now_ms);
	size_t len;
	char *msg = request_encode(rq, id, &len);
	int64_t deadline = time_mono_ms() + SEND_WAIT_MS;
	/* A kept connection may have outlived its writer: one fresh try. */
	int sent = -1;
	for (int attempt = 0; attempt < 2 && sent != 0; attempt++) {
		if (relay_fd < 0 && relay_connect(cfg) != 0)
			break;
		sent = trigger_relay_send(relay_fd, msg, len, deadline);
		if (sent != 0)
			relay_close();
	}
	free(msg);
	if (sent != 0)
		return TRIGGER_RELAY_UNAVAILABLE;
	memset(out, 0, sizeof *out);
	char *answer = NULL;
	size_t n = 0;
	int got = recv_message(relay_fd, &answer, &n, time_mono_ms() + ANSWER_WAIT_MS);
	if (got == 1) {
		int rc = answer_decode(db, answer, n, id, execution_id_out, out);
		free(answer);
		if (rc != ANSWER_MALFORMED)
			return rc;
		relay_close();
		return db_fail(db, DB_ERR_OTHER, "the trigger writer's answer is not one");
	}
	relay_close();
	if (got < 0)
		return db_fail(db, DB_ERR_TIMEOUT, "the trigger writer did not answer in time");
	return after_writer_died(cfg, db, id, execution_id_out, out);
}
