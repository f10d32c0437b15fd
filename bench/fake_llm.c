/*
 * bench/fake_llm.c: an OpenAI-compatible chat-completions double for the
 * benchmarks, in one process.
 *
 *   fake_llm [--delay-ms N] [--port P] [--port-file FILE] [--log FILE]
 *
 * Listens on 127.0.0.1 (port P, or one the kernel picks; its number goes
 * to stdout and, written whole then renamed, to FILE) and answers
 *   POST .../chat/completions   after N ms (default 0): a chat.completion
 *                               object, or with "stream": true the SSE
 *                               chunks, the usage chunk when
 *                               "stream_options": {"include_usage": true},
 *                               then "data: [DONE]"
 *   GET /stats                  {"connections": accepted, "requests": answered}
 * Anything else is a 404.  With --log, each chat completion answered
 * appends "ARRIVED_US ANSWERED_US" (wall clock, microseconds) to FILE:
 * when its request was whole and when its answer was written, so
 * bench/agents.sh can tell an agent's turn (claim to request sent) from
 * the model's wait and the completion.  Connections stay open (HTTP/1.1 keep-alive)
 * unless the client says "Connection: close", so a client that reuses
 * connections shows it in /stats.
 *
 * Why not the tests' double (t/lib/FakeLLM.pm): it forks a process per
 * connection, so 200 concurrent requests at 200 ms took 16 s on a busy
 * machine.  Here one epoll loop serves every connection, and the answers
 * wait in a min-heap of deadlines, not in a sleep per request: the loop
 * sleeps until the earliest deadline or the next event.
 *
 * Usage counts about four characters a token: the request body's length
 * for the input, the answer's for the output.  Test-only: no TLS, no
 * chunked request bodies, requests up to 1 MB.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (1024 * 1024)
#define ANSWER_TEXT "Hello from the benchmark double."

struct conn {
	int fd;
	char *in;                /* bytes read, not yet consumed */
	size_t n_in, cap_in;
	char *out;               /* the answer being written */
	size_t n_out, off_out;
	int close_after;         /* the client said Connection: close */
	int waiting;             /* a request is parsed, its answer not due yet */
	size_t req_len;          /* bytes of that request in `in` */
	int64_t due_ms;
	int64_t arrived_us;      /* wall clock when the request was whole (--log) */
	size_t heap_at;          /* position in the heap while waiting */
};

static struct conn **heap;   /* waiting connections, earliest due first */
static size_t n_heap, cap_heap;
static unsigned long long n_accepted, n_answered;
static FILE *request_log;    /* --log, or NULL */
static volatile sig_atomic_t stopping;

static void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fake_llm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		die("out of memory");
	return q;
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- the deadline heap ----------------------------------------------------- */

static void
heap_swap(size_t a, size_t b)
{
	struct conn *t = heap[a];
	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->heap_at = a;
	heap[b]->heap_at = b;
}

static void
heap_push(struct conn *c)
{
	if (n_heap == cap_heap) {
		cap_heap = cap_heap ? cap_heap * 2 : 256;
		heap = xrealloc(heap, cap_heap * sizeof *heap);
	}
	size_t i = n_heap++;
	heap[i] = c;
	c->heap_at = i;
	while (i > 0 && heap[(i - 1) / 2]->due_ms > heap[i]->due_ms) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Removes heap entry i (the earliest is 0). */
static void
heap_remove(size_t i)
{
	n_heap--;
	if (i == n_heap)
		return;
	heap_swap(i, n_heap);
	for (;;) {                                  /* down */
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n_heap && heap[l]->due_ms < heap[m]->due_ms)
			m = l;
		if (r < n_heap && heap[r]->due_ms < heap[m]->due_ms)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
	while (i > 0 && heap[(i - 1) / 2]->due_ms > heap[i]->due_ms) {   /* up */
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* --- requests --------------------------------------------------------------- */

/* The value of header `name` in head (up to its end), or NULL. */
static const char *
header(const char *head, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = memchr(head, '\n', len);
	while (p && (size_t)(p + 1 - head) < len) {
		const char *line = p + 1;
		const char *end = memchr(line, '\n', len - (size_t)(line - head));
		if (end == NULL)
			break;
		if ((size_t)(end - line) > nl + 1 && strncasecmp(line, name, nl) == 0 &&
		    line[nl] == ':') {
			const char *v = line + nl + 1;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			const char *e = end;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			*vlen = (size_t)(e - v);
			return v;
		}
		p = end;
	}
	return NULL;
}

/* Whether the JSON text has `key` (quoted) followed by ": true" somewhere:
 * the double's whole understanding of the request (its keys are unique
 * enough in an agent's request). */
static int
json_true(const char *body, size_t len, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = body; p && (size_t)(p - body) + kl + 2 < len;) {
		p = memmem(p, len - (size_t)(p - body), key, kl);
		if (p == NULL)
			return 0;
		const char *q = p + kl;
		p = q;
		const char *end = body + len;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
			q++;
		if (q >= end || *q != ':')
			continue;
		q++;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
			q++;
		if ((size_t)(end - q) >= 4 && memcmp(q, "true", 4) == 0)
			return 1;
	}
	return 0;
}

static void
out_append(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = c->n_out + 1 < 8192 ? 8192 : c->n_out * 2;
		c->out = xrealloc(c->out, room);
		va_start(ap, fmt);
		int n = vsnprintf(c->out + c->n_out, room - c->n_out, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf failed");
		if ((size_t)n < room - c->n_out) {
			c->n_out += (size_t)n;
			return;
		}
		c->out = xrealloc(c->out, c->n_out + (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(c->out + c->n_out, (size_t)n + 1, fmt, ap);
		va_end(ap);
		c->n_out += (size_t)n;
		return;
	}
}

static void
respond(struct conn *c, int status, const char *type, const char *body, size_t len)
{
	out_append(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
		   status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request", type,
		   len, c->close_after ? "Connection: close\r\n" : "");
	size_t need = c->n_out + len + 1;
	c->out = xrealloc(c->out, need);
	memcpy(c->out + c->n_out, body, len);
	c->n_out += len;
}

/* The answer to the request at the head of c->in (c->req_len bytes). */
static void
answer(struct conn *c)
{
	const char *head_end = memmem(c->in, c->req_len, "\r\n\r\n", 4);
	const char *body = head_end + 4;
	size_t blen = c->req_len - (size_t)(body - c->in);
	char buf[2048];
	if (strncmp(c->in, "GET /stats ", 11) == 0) {
		int n = snprintf(buf, sizeof buf, "{\"connections\": %llu, \"requests\": %llu}\n",
				 n_accepted, n_answered);
		respond(c, 200, "application/json", buf, (size_t)n);
		return;
	}
	n_answered++;
	const char *sp = memchr(c->in, ' ', c->req_len);
	const char *path_end = sp ? memchr(sp + 1, ' ', c->req_len - (size_t)(sp + 1 - c->in)) : NULL;
	if (strncmp(c->in, "POST ", 5) != 0 || path_end == NULL || path_end - (sp + 1) < 17 ||
	    memcmp(path_end - 17, "/chat/completions", 17) != 0) {
		const char *msg = "{\"error\": {\"message\": \"not found\"}}";
		respond(c, 404, "application/json", msg, strlen(msg));
		return;
	}
	if (request_log) {
		fprintf(request_log, "%lld %lld\n", (long long)c->arrived_us, (long long)wall_us());
		fflush(request_log);
	}
	long in_tokens = (long)(blen + 3) / 4;
	long out_tokens = (long)(sizeof ANSWER_TEXT - 1 + 3) / 4;
	long created = (long)time(NULL);
	unsigned long long id = n_answered;
	if (!json_true(body, blen, "\"stream\"")) {
		int n = snprintf(buf, sizeof buf,
			"{\"id\":\"chatcmpl-bench-%llu\",\"object\":\"chat.completion\",\"created\":%ld,"
			"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
			"\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}],\"usage\":"
			"{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"total_tokens\":%ld}}",
			id, created, ANSWER_TEXT, in_tokens, out_tokens, in_tokens + out_tokens);
		respond(c, 200, "application/json", buf, (size_t)n);
		return;
	}
	/* The stream, whole: with a Content-Length the connection stays
	 * reusable without chunked framing. */
	char chunk_head[128];
	snprintf(chunk_head, sizeof chunk_head,
		 "{\"id\":\"chatcmpl-bench-%llu\",\"object\":\"chat.completion.chunk\",\"created\":%ld,"
		 "\"model\":\"gpt-4o-mini\",", id, created);
	int n = snprintf(buf, sizeof buf,
		"data: %s\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
		"\"finish_reason\":null}]}\n\n"
		"data: %s\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n"
		"data: %s\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
		chunk_head, chunk_head, ANSWER_TEXT, chunk_head);
	if (json_true(body, blen, "\"include_usage\""))
		n += snprintf(buf + n, sizeof buf - (size_t)n,
			"data: %s\"choices\":[],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
			"\"total_tokens\":%ld}}\n\n", chunk_head, in_tokens, out_tokens,
			in_tokens + out_tokens);
	n += snprintf(buf + n, sizeof buf - (size_t)n, "data: [DONE]\n\n");
	respond(c, 200, "text/event-stream", buf, (size_t)n);
}

/* Looks for a whole request in c->in: 1 found (c->req_len set), 0 more
 * bytes needed, -1 malformed. */
static int
parse(struct conn *c)
{
	const char *end = c->n_in >= 4 ? memmem(c->in, c->n_in, "\r\n\r\n", 4) : NULL;
	if (end == NULL)
		return c->n_in > 65536 ? -1 : 0;
	size_t head = (size_t)(end + 4 - c->in);
	size_t vlen = 0, body = 0;
	const char *v = header(c->in, head, "Content-Length", &vlen);
	if (v) {
		char num[24];
		if (vlen == 0 || vlen >= sizeof num)
			return -1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		char *e;
		unsigned long long n = strtoull(num, &e, 10);
		if (*e != '\0' || n > MAX_REQUEST)
			return -1;
		body = (size_t)n;
	} else if (header(c->in, head, "Transfer-Encoding", &vlen)) {
		return -1;
	}
	v = header(c->in, head, "Connection", &vlen);
	c->close_after = v && vlen == 5 && strncasecmp(v, "close", 5) == 0;
	if (c->n_in < head + body) {
		/* A client that waits for "100 Continue" before its body. */
		v = header(c->in, head, "Expect", &vlen);
		if (v && vlen == 12 && strncasecmp(v, "100-continue", 12) == 0 && c->n_out == 0)
			out_append(c, "HTTP/1.1 100 Continue\r\n\r\n");
		return 0;
	}
	c->req_len = head + body;
	return 1;
}

/* --- connections ------------------------------------------------------------ */

static int epfd;
static int64_t delay_ms;

static void
conn_close(struct conn *c)
{
	if (c->waiting)
		heap_remove(c->heap_at);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void
want_write(struct conn *c, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is pending: 0, or -1 when the connection is to be closed. */
static int
flush(struct conn *c)
{
	while (c->off_out < c->n_out) {
		ssize_t n = send(c->fd, c->out + c->off_out, c->n_out - c->off_out, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_write(c, 1);
			return 0;
		}
		if (n <= 0)
			return -1;
		c->off_out += (size_t)n;
	}
	if (c->n_out > 0) {
		c->n_out = c->off_out = 0;
		want_write(c, 0);
	}
	return 0;
}

/* Takes the next request of c when it has one and none is waiting: due at
 * once (answered here) or after the delay (into the heap).  0 or -1. */
static int
next_request(struct conn *c)
{
	while (!c->waiting && c->off_out == c->n_out) {
		int rc = parse(c);
		if (rc < 0) {
			c->close_after = 1;
			const char *msg = "{\"error\": {\"message\": \"bad request\"}}";
			respond(c, 400, "application/json", msg, strlen(msg));
			flush(c);
			return -1;
		}
		if (rc == 0)
			return flush(c);
		c->waiting = 1;
		c->due_ms = now_ms() + delay_ms;
		c->arrived_us = wall_us();
		if (delay_ms > 0) {
			heap_push(c);
			return 0;
		}
		c->waiting = 0;
		answer(c);
		memmove(c->in, c->in + c->req_len, c->n_in - c->req_len);
		c->n_in -= c->req_len;
		if (flush(c) != 0 || c->close_after)
			return -1;
	}
	return 0;
}

/* Its answer is due: sent, and the next request taken.  0 or -1. */
static int
due(struct conn *c)
{
	c->waiting = 0;
	answer(c);
	memmove(c->in, c->in + c->req_len, c->n_in - c->req_len);
	c->n_in -= c->req_len;
	if (flush(c) != 0 || (c->close_after && c->off_out == c->n_out))
		return -1;
	return next_request(c);
}

static int
readable(struct conn *c)
{
	for (;;) {
		if (c->cap_in - c->n_in < 4096) {
			c->cap_in = c->cap_in ? c->cap_in * 2 : 8192;
			if (c->cap_in > 2 * MAX_REQUEST)
				return -1;
			c->in = xrealloc(c->in, c->cap_in);
		}
		ssize_t n = recv(c->fd, c->in + c->n_in, c->cap_in - c->n_in, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		c->n_in += (size_t)n;
	}
	return next_request(c);
}

static void
accept_all(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct conn *c = calloc(1, sizeof *c);
		if (c == NULL)
			die("out of memory");
		c->fd = fd;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		n_accepted++;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char **argv)
{
	int port = 0;
	const char *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc)
			delay_ms = atol(argv[++i]);
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			request_log = fopen(argv[++i], "a");
			if (request_log == NULL)
				die("cannot open %s: %s", argv[i], strerror(errno));
		} else
			die("usage: fake_llm [--delay-ms N] [--port P] [--port-file FILE] [--log FILE]");
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 4096) != 0)
		die("cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
	socklen_t alen = sizeof addr;
	getsockname(lfd, (struct sockaddr *)&addr, &alen);
	port = ntohs(addr.sin_port);
	printf("%d\n", port);
	fflush(stdout);
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0)
			die("cannot write %s: %s", port_file, strerror(errno));
	}

	epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) != 0)
		die("epoll: %s", strerror(errno));
	struct epoll_event evs[256];
	while (!stopping) {
		int timeout = -1;
		if (n_heap > 0) {
			int64_t wait = heap[0]->due_ms - now_ms();
			timeout = wait < 0 ? 0 : (int)wait;
		}
		int n = epoll_wait(epfd, evs, 256, timeout);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c == NULL) {
				accept_all(lfd);
				continue;
			}
			int rc = 0;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				rc = -1;
			if (rc == 0 && (evs[i].events & EPOLLOUT)) {
				rc = flush(c);
				if (rc == 0 && c->off_out == c->n_out)
					rc = c->close_after ? -1 : next_request(c);
			}
			if (rc == 0 && (evs[i].events & EPOLLIN))
				rc = readable(c);
			if (rc != 0)
				conn_close(c);
		}
		int64_t now = now_ms();
		while (n_heap > 0 && heap[0]->due_ms <= now) {
			struct conn *c = heap[0];
			heap_remove(0);
			if (due(c) != 0)
				conn_close(c);
		}
	}
	return 0;
}
