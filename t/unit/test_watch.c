/* test_watch.c: the table of watched live-event channels (events/watch.h):
 * a channel is watched while a mark lasts; without a table, or with a full
 * one, every channel counts as watched; an execution's event goes to the
 * watched ones of its two channels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events/watch.h"
#include "tap.h"
#include "util/config.h"

static struct config
config_in(const char *dir)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	static char pid[512];
	snprintf(pid, sizeof pid, "%s/pipelit.pid", dir);
	cfg.pid_file = pid;
	cfg.database_url = "sqlite:////tmp/unused.sqlite3";
	cfg.event_ticket_seconds = 60;
	cfg.event_buffer_seconds = 300;
	return cfg;
}

static void
test_no_table(void)
{
	struct config cfg = config_in("/nonexistent/dir");
	is_int(watch_attach(&cfg, 1), -1, "no table where the pid file's directory is missing");
	ok(watch_is_watched("workflow:any"), "without a table every channel counts as watched");
}

static void
test_marks(const char *dir)
{
	struct config cfg = config_in(dir);
	is_int(watch_attach(&cfg, 0), -1, "a process that may not create the table finds none");
	is_int(watch_attach(&cfg, 1), 0, "the master creates the table");
	is_int(watch_mark_seconds(&cfg), 360, "a mark lasts the buffer time plus the ticket lifetime");
	time_t now = time(NULL);
	ok(!watch_is_watched("workflow:quiet"), "a channel nobody subscribed to is not watched");
	watch_mark("workflow:seen", now + 360);
	ok(watch_is_watched("workflow:seen"), "a marked channel is watched");
	ok(!watch_is_watched("workflow:quiet"), "another one still is not");
	watch_mark("workflow:old", now - 1);
	ok(!watch_is_watched("workflow:old"), "an expired mark watches nothing");
	watch_mark("workflow:old", now + 10);
	ok(watch_is_watched("workflow:old"), "marked again, it is watched");

	char key[EVENTS_CHANNEL_MAX + 1], to[2 * EVENTS_CHANNEL_MAX + 2];
	watch_mark("execution:e1", now + 360);
	is_int(events_execution_targets("e1", "seen", key, to), 2, "both channels watched");
	is_str(to, "execution:e1,workflow:seen", "one request names both");
	is_str(key, "execution:e1", "ordered by the execution");
	is_int(events_execution_targets("e2", "seen", key, to), 1, "only the workflow channel");
	is_str(to, "workflow:seen", "names it alone");
	is_int(events_execution_targets("e2", "quiet", key, to), 0, "neither: nothing to publish");
	is_int(events_execution_targets("e1", NULL, key, to), 1, "no slug: the execution channel");

	/* Another process of the host sees the same marks. */
	watch_detach();
	is_int(watch_attach(&cfg, 0), 0, "a command opens the pool's table");
	ok(watch_is_watched("workflow:seen"), "and sees its marks");

	/* More marks than slots: the overflow makes everything watched. */
	char name[64];
	for (int i = 0; i < WATCH_SLOTS + 64; i++) {
		snprintf(name, sizeof name, "execution:fill-%d", i);
		watch_mark(name, now + 100);
	}
	ok(watch_is_watched("workflow:quiet"), "a full table errs on the side of publishing");
	watch_detach();
}

int
main(void)
{
	char dir[] = "/tmp/pipelit-watch-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	test_no_table();
	test_marks(dir);
	char path[600];
	snprintf(path, sizeof path, "%s/pipelit.watched", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
