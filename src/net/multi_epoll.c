/*
 * multi_epoll.c: libcurl's socket interface over epoll (multi_epoll.h).
 */
#include "net/multi_epoll.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"
#include "util/timefmt.h"

/* What an epoll entry stands for, in the high half of its data. */
#define TAG_CURL 1u
#define TAG_WATCHED 2u

/* Ready events taken per wait; more stay ready for the next (epoll is
 * level-triggered here). */
#define EVENTS_MAX 256

struct multi_epoll {
	CURLM *multi;          /* borrowed */
	int epfd;
	int64_t timer_at;      /* monotonic ms of libcurl's next timeout; -1: none */
	int running;
};

static uint64_t
pack(unsigned tag, int fd)
{
	return ((uint64_t)tag << 32) | (uint32_t)fd;
}

/* ADD, or MOD when the fd is already there (its number was reused, or it
 * changes what it waits for). */
static int
ctl_set(int epfd, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	return errno == EEXIST ? epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) : -1;
}

/* CURLMOPT_SOCKETFUNCTION: what libcurl wants to hear about a socket. */
static int
on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct multi_epoll *m = userp;
	if (what == CURL_POLL_REMOVE) {
		/* libcurl says so before it closes the socket; a socket
		 * already gone is fine. */
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	uint32_t events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (ctl_set(m->epfd, s, events, pack(TAG_CURL, s)) != 0)
		log_warn("net: watching a transfer's socket failed (%s)", strerror(errno));
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timeout, the earliest libcurl wants; only
 * noted here (socket_action must not be called from inside). */
static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct multi_epoll *m = userp;
	m->timer_at = timeout_ms < 0 ? -1 : time_mono_ms() + timeout_ms;
	return 0;
}

struct multi_epoll *
multi_epoll_new(CURLM *multi)
{
	if (multi == NULL)
		return NULL;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_warn("net: epoll_create1 failed (%s)", strerror(errno));
		return NULL;
	}
	struct multi_epoll *m = xcalloc(1, sizeof *m);
	m->multi = multi;
	m->epfd = epfd;
	m->timer_at = -1;
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(multi, CURLMOPT_TIMERDATA, m);
	return m;
}

void
multi_epoll_free(struct multi_epoll *m)
{
	if (m == NULL)
		return;
	/* Transfers removed after this (at cleanup) must not call into a
	 * freed driver. */
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, NULL);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, NULL);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, NULL);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, NULL);
	close(m->epfd);
	free(m);
}

int
multi_epoll_watch(struct multi_epoll *m, int fd)
{
	if (fd < 0)
		return -1;
	if (ctl_set(m->epfd, fd, EPOLLIN, pack(TAG_WATCHED, fd)) != 0) {
		log_warn("net: watching fd %d failed (%s)", fd, strerror(errno));
		return -1;
	}
	return 0;
}

void
multi_epoll_unwatch(struct multi_epoll *m, int fd)
{
	if (fd >= 0)
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL);
}

long
multi_epoll_timeout_ms(const struct multi_epoll *m)
{
	if (m->timer_at < 0)
		return -1;
	int64_t left = m->timer_at - time_mono_ms();
	return left < 0 ? 0 : (long)left;
}

int
multi_epoll_running(const struct multi_epoll *m)
{
	return m->running;
}

void
multi_epoll_kick(struct multi_epoll *m)
{
	if (m->timer_at >= 0 && m->timer_at <= time_mono_ms()) {
		m->timer_at = -1;          /* libcurl sets the next one */
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &m->running);
	}
}

int
multi_epoll_wait(struct multi_epoll *m, long wait_ms)
{
	long curl_ms = multi_epoll_timeout_ms(m);
	long timeout = wait_ms < 0 ? -1 : wait_ms;
	if (curl_ms >= 0 && (timeout < 0 || curl_ms < timeout))
		timeout = curl_ms;
	if (timeout > INT32_MAX)
		timeout = INT32_MAX;
	struct epoll_event evs[EVENTS_MAX];
	int n = epoll_wait(m->epfd, evs, EVENTS_MAX, (int)timeout);
	if (n < 0) {
		if (errno != EINTR) {
			log_warn("net: epoll_wait failed (%s)", strerror(errno));
			return -1;
		}
		n = 0;
	}
	int watched = 0;
	for (int i = 0; i < n; i++) {
		unsigned tag = (unsigned)(evs[i].data.u64 >> 32);
		int fd = (int)(uint32_t)evs[i].data.u64;
		if (tag == TAG_WATCHED) {
			watched++;
			continue;
		}
		int action = 0;
		if (evs[i].events & EPOLLIN)
			action |= CURL_CSELECT_IN;
		if (evs[i].events & EPOLLOUT)
			action |= CURL_CSELECT_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			action |= CURL_CSELECT_ERR;
		curl_multi_socket_action(m->multi, fd, action, &m->running);
	}
	multi_epoll_kick(m);
	return watched;
}

int
multi_epoll_fd(const struct multi_epoll *m)
{
	return m->epfd;
}
