/* status.c: see status.h. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool/scoreboard.h"
#include "util/xalloc.h"
#include "util/timefmt.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

static const char *
state_name(int state)
{
	switch (state) {
	case SB_IDLE:
		return "idle";
	case SB_BUSY:
		return "busy";
	case SB_DRAINING:
		return "draining";
	default:
		return "starting";
	}
}

static void
iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A consistent-enough copy of one entry: the child may change it while we
 * read, so the fields are loaded once each. */
struct child_view {
	long pid;
	const char *role;
	const char *state;
	long long accepted, requests, slow, age_ms;
	int64_t started;
	char request[SB_REQUEST_MAX];
};

static int
view_entry(const struct sb_entry *e, long long now_ms, struct child_view *v)
{
	v->pid = LOAD(e->pid);
	if (v->pid <= 0)
		return 0;	/* free, or claimed for a child not forked yet */
	int state = LOAD(e->state);
	v->role = e->role == SB_ROLE_RESPONDER ? "responder"
		  : e->role == SB_ROLE_TRIGGER_WRITER ? "triggers" : "executor";
	v->state = state_name(state);
	v->accepted = LOAD(e->accepted);
	v->requests = LOAD(e->requests);
	v->slow = LOAD(e->slow);
	v->started = e->started_unix;
	v->request[0] = '\0';
	v->age_ms = -1;
	if (state == SB_BUSY) {
		memcpy(v->request, e->request, sizeof(v->request));
		v->request[sizeof(v->request) - 1] = '\0';
		v->age_ms = now_ms - LOAD(e->request_start_ms);
	}
	return 1;
}

struct totals {
	long long accepted, requests, slow;
};

static struct totals
sum_totals(const struct scoreboard *sb)
{
	struct totals t = { sb->head.gone_accepted, sb->head.gone_requests, sb->head.gone_slow };
	for (int i = 0; i < SB_ENTRIES; i++) {
		if (LOAD(sb->entries[i].pid) == 0 ||
		    sb->entries[i].role == SB_ROLE_TRIGGER_WRITER)
			continue;
		t.accepted += LOAD(sb->entries[i].accepted);
		t.requests += LOAD(sb->entries[i].requests);
		t.slow += LOAD(sb->entries[i].slow);
	}
	return t;
}

json_t *
pool_status_json(const struct scoreboard *sb)
{
	const struct sb_header *h = &sb->head;
	long long now_ms = time_mono_ms();
	struct totals t = sum_totals(sb);
	char started[32], crash_at[32];
	iso_time(h->started_unix, started);
	json_t *children = json_array();
	for (int i = 0; i < SB_ENTRIES; i++) {
		struct child_view v;
		if (!view_entry(&sb->entries[i], now_ms, &v))
			continue;
		char since[32];
		iso_time(v.started, since);
		json_t *c = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:s}", "pid", (json_int_t)v.pid,
				      "role", v.role, "state", v.state, "accepted",
				      (json_int_t)v.accepted, "requests", (json_int_t)v.requests,
				      "slow_requests", (json_int_t)v.slow, "started_at", since);
		if (v.age_ms >= 0)
			json_object_set_new(c, "current_request",
					    json_pack("{s:s, s:I}", "request", v.request, "age_ms",
						      (json_int_t)v.age_ms));
		else
			json_object_set_new(c, "current_request", json_null());
		json_array_append_new(children, c);
	}
	json_t *crash = json_null();
	if (h->last_crash_unix != 0) {
		iso_time(h->last_crash_unix, crash_at);
		crash = json_pack("{s:s, s:s}", "at", crash_at, "what", h->last_crash);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:b, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:b, s:o, s:o}",
			 "version", h->version, "schema_revision", h->schema, "backend", h->backend,
			 "socket", h->socket, "master_pid", (json_int_t)h->master_pid, "started_at",
			 started, "uptime_seconds", (json_int_t)(time(NULL) - h->started_unix),
			 "stopping", h->stopping != 0, "request_timeout_seconds",
			 (json_int_t)h->request_timeout_s, "accepted_connections",
			 (json_int_t)t.accepted, "requests", (json_int_t)t.requests,
			 "slow_requests", (json_int_t)t.slow, "restarts", (json_int_t)h->restarts,
			 "killed_past_deadline", (json_int_t)h->killed_past_deadline,
			 "stall_timeout_seconds", (json_int_t)h->stall_timeout_s,
			 "killed_stalled", (json_int_t)h->killed_stalled,
			 "replacing_children", h->replacing != 0, "last_crash",
			 crash, "children", children);
}

char *
pool_status_text(const struct scoreboard *sb)
{
	const struct sb_header *h = &sb->head;
	long long now_ms = time_mono_ms();
	struct totals t = sum_totals(sb);
	char started[32], crash_at[32] = "";
	iso_time(h->started_unix, started);
	if (h->last_crash_unix != 0)
		iso_time(h->last_crash_unix, crash_at);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return xstrdup("cannot render the status\n");
	fprintf(f,
		"version:              %s\n"
		"schema revision:      %s\n"
		"backend:              %s\n"
		"socket:               %s\n"
		"master pid:           %d%s%s\n"
		"started:              %s (up %lld s)\n"
		"request timeout:      %lld s\n"
		"accepted connections: %lld\n"
		"requests:             %lld\n"
		"slow requests:        %lld\n"
		"restarts:             %lld\n"
		"killed past deadline: %lld\n"
		"killed stalled:       %lld (no loop turn for %lld s)\n"
		"last crash:           %s%s%s\n\n",
		h->version, h->schema, h->backend, h->socket, h->master_pid,
		h->stopping ? " (stopping)" : "", h->replacing ? " (replacing children)" : "", started,
		(long long)(time(NULL) - h->started_unix), (long long)h->request_timeout_s,
		t.accepted, t.requests, t.slow, (long long)h->restarts,
		(long long)h->killed_past_deadline, (long long)h->killed_stalled,
		(long long)h->stall_timeout_s, h->last_crash_unix ? crash_at : "none",
		h->last_crash_unix ? " " : "", h->last_crash_unix ? h->last_crash : "");
	fprintf(f, "%-8s %-10s %-9s %9s %9s %6s  %s\n", "PID", "ROLE", "STATE", "ACCEPTED",
		"REQUESTS", "AGE", "CURRENT REQUEST");
	for (int i = 0; i < SB_ENTRIES; i++) {
		struct child_view v;
		if (!view_entry(&sb->entries[i], now_ms, &v))
			continue;
		char age[24] = "-";
		if (v.age_ms >= 0)
			snprintf(age, sizeof(age), "%.1fs", (double)v.age_ms / 1000.0);
		fprintf(f, "%-8ld %-10s %-9s %9lld %9lld %6s  %s\n", v.pid, v.role, v.state,
			v.accepted, v.requests, age, v.age_ms >= 0 ? v.request : "-");
	}
	fclose(f);
	return buf;
}
