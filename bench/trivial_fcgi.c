/*
 * trivial_fcgi.c: the smallest useful FastCGI responder, the benchmark's
 * ceiling for any FastCGI application behind this nginx.  It forks
 * NPROC processes (argv[1], default 4) that share the listening socket on
 * fd 0 (as spawn-fcgi hands it over) and answer every request with a fixed
 * small JSON body.
 *
 *   cc -O2 -o trivial_fcgi trivial_fcgi.c -lfcgi
 *   spawn-fcgi -s /tmp/t.sock -n -- ./trivial_fcgi 4
 */
#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char reply[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"status\":\"ok\",\"version\":\"trivial\",\"database\":true}";

/*
 * nginx keeps connections open (fastcgi_keep_conn), and a libfcgi process
 * waits on its kept connection for the next request; when nginx holds more
 * idle connections than there are processes, new connections would wait
 * for nothing.  So a process with an idle kept connection lets it go as
 * soon as a new connection is waiting on the listening socket.
 */
static void
release_idle_connection(FCGX_Request *req)
{
	if (req->ipcFd < 0)
		return;
	struct pollfd p[2] = { { .fd = req->ipcFd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	if (poll(p, 2, -1) > 0 && !(p[0].revents & (POLLIN | POLLHUP)) && (p[1].revents & POLLIN))
		FCGX_Free(req, 1);
}

static void
serve_forever(void)
{
	FCGX_Request req;
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, sizeof(reply) - 1, req.out);
		FCGX_Finish_r(&req);
		release_idle_connection(&req);
	}
}

int
main(int argc, char **argv)
{
	int nproc = argc > 1 ? atoi(argv[1]) : 4;
	if (FCGX_Init() != 0)
		return 1;
	for (int i = 0; i < nproc; i++)
		if (fork() == 0) {
			/* Killing the parent (spawn-fcgi's pid) ends the group. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			serve_forever();
			_exit(0);
		}
	/* The parent only keeps the group together until it is killed. */
	while (wait(NULL) > 0)
		;
	return 0;
}
