/* publish.c: see publish.h. */
#include "publish.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <curl/curl.h>

#include "events/watch.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/xalloc.h"

#define UNIX_PREFIX "unix:"
#define UNIX_PUBLISH_URL "http://localhost/pub/"

/* Per process: whether the last publish failed, so an outage of nginx is
 * logged once when it starts and once when it ends, not per event. */
static int publish_failing;

static double
now_epoch(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

json_t *
events_envelope(const char *channel, const char *event_type, json_t *data)
{
	json_t *msg = json_pack("{s:s, s:s, s:f}", "type", event_type, "channel", channel,
				"timestamp", now_epoch());
	if (data != NULL && !(json_is_object(data) && json_object_size(data) == 0))
		json_object_set(msg, "data", data);
	return msg;
}

/* The publisher URL for channel (malloc'd); *socket_path set for unix:. */
static char *
publish_url(const char *setting, const char *channel, const char **socket_path)
{
	*socket_path = NULL;
	if (strncmp(setting, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
		*socket_path = setting + strlen(UNIX_PREFIX);
		return xasprintf("%s%s", UNIX_PUBLISH_URL, channel);
	}
	return xasprintf("%s%s", setting, channel);
}

static void
note_outcome(int failed, const char *channel, const char *why)
{
	if (failed && !publish_failing)
		log_warn("live events: publishing on %s failed (%s); further failures are not "
			 "logged until publishing works again", channel, why);
	else if (!failed && publish_failing)
		log_info("live events: publishing works again");
	publish_failing = failed;
}

/* nchan answers with the channel's statistics; nobody reads them. */
static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	return size * n;
}

static int
post_message(const char *url, const char *socket_path, const char *body, const char *channel)
{
	CURL *c = curl_easy_init();
	if (c == NULL) {
		note_outcome(1, channel, "curl_easy_init failed");
		return -1;
	}
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (socket_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)EVENTS_PUBLISH_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		note_outcome(1, channel, curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status >= 300) {
		note_outcome(1, channel, "nginx answered with an error status");
		return -1;
	}
	note_outcome(0, channel, NULL);
	return 0;
}

/* Posts a whole envelope on channel. */
static int
publish_envelope(const struct config *cfg, const char *channel, json_t *msg)
{
	/* The printer of the REST answers, so an event's node reads like GET's. */
	char *body = jw_dump(msg, NULL);
	const char *socket_path;
	char *url = publish_url(cfg->events_publish_url, channel, &socket_path);
	int rc = post_message(url, socket_path, body, channel);
	free(url);
	free(body);
	return rc;
}

static int
publishing_off(const struct config *cfg)
{
	return cfg->events_publish_url == NULL || *cfg->events_publish_url == '\0';
}

int
events_publish(const struct config *cfg, const char *channel, const char *event_type,
	       json_t *data)
{
	if (publishing_off(cfg) || !watch_is_watched(channel))
		return 0;
	json_t *msg = events_envelope(channel, event_type, data);
	int rc = publish_envelope(cfg, channel, msg);
	json_decref(msg);
	return rc;
}

int
events_publish_execution(const struct config *cfg, const char *slug, const char *execution_id,
			 int64_t seq, const char *event_type, json_t *data)
{
	if (publishing_off(cfg))
		return 0;
	char key[EVENTS_CHANNEL_MAX + 1], to[2 * EVENTS_CHANNEL_MAX + 2];
	if (events_execution_targets(execution_id, slug, key, to) == 0)
		return 0;
	/* One request for both channels, so one body: it names the
	 * workflow's channel, as the executor's do (doc/engine.md "Events"). */
	char *wchannel = slug && *slug ? xasprintf("workflow:%s", slug) : NULL;
	json_t *msg = events_envelope(wchannel ? wchannel : key, event_type, data);
	json_object_set_new(msg, "execution_id", json_string(execution_id));
	json_object_set_new(msg, "seq", json_integer(seq));
	int rc = publish_envelope(cfg, to, msg);
	json_decref(msg);
	free(wchannel);
	return rc;
}
