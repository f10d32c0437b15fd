/* orphan.c: see orphan.h. */
#include "orphan.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Set up once after fork, read by the handler: the child's own copies. */
static int drop_fd = -1;
static int devnull_fd = -1;
static volatile sig_atomic_t master_gone;

static void
on_master_death(int sig)
{
	master_gone = 1;
	if (drop_fd >= 0 && devnull_fd >= 0)
		dup2(devnull_fd, drop_fd);	/* closes our copy of the socket */
	/* Delivered when the child next waits: the request in hand finishes. */
	kill(getpid(), SIGTERM);
}

void
orphan_watch(pid_t master, int listen_fd)
{
	drop_fd = listen_fd;
	devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_master_death;
	sa.sa_flags = SA_RESTART;	/* the request in hand must not see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	if (getppid() != master)
		raise(SIGUSR1);
}

int
orphan_master_gone(void)
{
	return master_gone;
}
