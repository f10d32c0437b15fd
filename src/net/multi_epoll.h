/*
 * multi_epoll.h: drives a libcurl multi handle through its socket
 * interface (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION and
 * curl_multi_socket_action) over one epoll instance.
 *
 * curl_multi_poll() and curl_multi_perform() visit every transfer in
 * flight on each wake-up, so with hundreds of LLM calls waiting a loop
 * turn costs in proportion to all of them.  Here libcurl tells us which
 * sockets it wants watched; a wake-up runs only the transfers whose
 * sockets are ready, or whose timeout fell due.
 *
 * Descriptors of the loop's own (a wake-up FIFO, a LISTEN socket) are
 * watched on the same epoll instance for readability; the caller reads
 * them itself.
 *
 * Transfers only start or progress inside multi_epoll_wait() and
 * multi_epoll_kick(): adding a handle to the multi handle sends nothing
 * (libcurl asks for a timeout of 0, which the next of those serves).  A
 * finished transfer is reported by curl_multi_info_read() as before
 * (transfer_finish_all in net/transfer.h); the caller does that after
 * each call.
 *
 * The multi handle is borrowed and must outlive the driver; nothing else
 * may call curl_multi_perform() or curl_multi_poll() on it.
 */
#ifndef PIPELIT_NET_MULTI_EPOLL_H
#define PIPELIT_NET_MULTI_EPOLL_H

#include <curl/curl.h>

struct multi_epoll;

/* NULL when epoll cannot be had (logged). */
struct multi_epoll *multi_epoll_new(CURLM *multi);
/* Unhooks the callbacks from the multi handle and closes the epoll fd. */
void multi_epoll_free(struct multi_epoll *m);

/* Watches fd (not libcurl's) for readability; 0 or -1.  Watching an fd
 * again, or a new fd that reuses a closed one's number, is fine. */
int multi_epoll_watch(struct multi_epoll *m, int fd);
/* Stops watching fd; a closed fd is fine. */
void multi_epoll_unwatch(struct multi_epoll *m, int fd);

/*
 * Waits at most wait_ms (0: not at all) for a ready socket, a watched fd
 * or libcurl's timeout, and runs the transfers that are ready.  Returns
 * the number of watched fds found readable (0 on a timeout), -1 on an
 * error other than EINTR.
 */
int multi_epoll_wait(struct multi_epoll *m, long wait_ms);

/* Runs libcurl's due timeouts now (transfers just added start here). */
void multi_epoll_kick(struct multi_epoll *m);

/* Milliseconds until libcurl's next timeout (-1: none). */
long multi_epoll_timeout_ms(const struct multi_epoll *m);

/* The epoll descriptor: readable when a watched socket or fd is ready,
 * for a loop that waits in poll(2) on other things too (then
 * multi_epoll_wait(m, 0) runs what is ready). */
int multi_epoll_fd(const struct multi_epoll *m);

/* Transfers in flight, as libcurl last counted them. */
int multi_epoll_running(const struct multi_epoll *m);

#endif
