/* test_publisher.c: the event publisher's bounded queue (events/publisher.h):
 * beyond its bound the oldest waiting message is dropped, of the same
 * execution when it has one waiting, else of the execution that waited
 * longest; an execution's key is idle once nothing of it waits.  Nothing
 * is sent: the publisher is never pumped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "tap.h"
#include "events/publisher.h"
#include "util/config.h"
#include "util/xalloc.h"

static struct publisher *
new_publisher(struct config *cfg, CURLM *multi, size_t max)
{
	struct publisher *p = publisher_new(cfg, multi);
	publisher_set_queue_max(p, max);
	return p;
}

static void
send_event(struct publisher *p, const char *execution_id)
{
	publisher_send_execution(p, execution_id, "wf", xstrdup("{}"));
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	char url[] = "unix:/nonexistent/events.sock";
	cfg.events_publish_url = url;
	CURLM *multi = curl_multi_init();

	ok(publisher_new(&(struct config){ 0 }, multi) == NULL, "no publish URL: no publisher");

	struct publisher *p = new_publisher(&cfg, multi, 3);
	const char *ids[] = { "a", "b", "c", "d", "e" };
	for (size_t i = 0; i < 5; i++)
		send_event(p, ids[i]);
	is_int(publisher_backlog(p), 3, "five executions' events, bound 3: three wait");
	ok(publisher_key_idle(p, "execution:a") && publisher_key_idle(p, "execution:b"),
	   "the two oldest were dropped");
	ok(!publisher_key_idle(p, "execution:c") && !publisher_key_idle(p, "execution:e"),
	   "the newest three wait");
	publisher_free(p);

	p = new_publisher(&cfg, multi, 3);
	for (int i = 0; i < 4; i++)
		send_event(p, "x");
	is_int(publisher_backlog(p), 3, "one execution's four events, bound 3: three wait");
	send_event(p, "y");
	is_int(publisher_backlog(p), 3, "another execution's event still keeps the bound");
	ok(!publisher_key_idle(p, "execution:x") && !publisher_key_idle(p, "execution:y"),
	   "the oldest execution's oldest event made room; both still have events waiting");
	publisher_send_first(p, "webhook-result:z", xstrdup("{}"));
	is_int(publisher_backlog(p), 3, "a waited-for result is queued within the bound too");
	ok(!publisher_key_idle(p, "webhook-result:z"), "and is not what gets dropped");
	publisher_free(p);

	p = new_publisher(&cfg, multi, 10000);
	for (int i = 0; i < 2000; i++) {
		char id[16];
		snprintf(id, sizeof id, "e%d", i);
		send_event(p, id);
	}
	is_int(publisher_backlog(p), 2000, "below the bound nothing is dropped");
	publisher_free(p);

	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return done_testing();
}
