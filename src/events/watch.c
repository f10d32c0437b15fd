/* watch.c: see watch.h. */
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#define WATCH_MAGIC 0x50505754u	/* "PPWT" */
#define WATCH_LAYOUT 2

struct watch_header {
	uint32_t magic;
	uint32_t layout;
	uint32_t slots;
	uint32_t pad;
	int64_t full_until;        /* a mark found no room: everything is watched until then */
	int64_t listener_alive;    /* PostgreSQL: an executor's last heartbeat */
	/* PostgreSQL: listening lapses counted (an executor began, or lost
	 * its connection), and the last one a reading of the marks covered:
	 * while the first is ahead, marks may be missing. */
	uint64_t lapses;
	uint64_t covered;
	int64_t reserved[3];
};

struct watch_table {
	struct watch_header head;
	uint64_t slot[WATCH_SLOTS];  /* tag << 32 | expiry; 0 free */
};

/* Set once before the pool forks (or at a command's start) and never
 * changed after: the mapping itself is what processes share. */
static struct watch_table *table;
static int needs_listener;       /* PostgreSQL: marks also come from other hosts */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define CAS(x, old, new) \
	__atomic_compare_exchange_n(&(x), &(old), (new), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

char *
watch_path(const struct config *cfg)
{
	size_t n = strlen(cfg->pid_file);
	if (n > 4 && strcmp(cfg->pid_file + n - 4, ".pid") == 0)
		n -= 4;
	return xasprintf("%.*s.watched", (int)n, cfg->pid_file);
}

long
watch_mark_seconds(const struct config *cfg)
{
	return cfg->event_buffer_seconds + cfg->event_ticket_seconds;
}

static int
is_postgres(const struct config *cfg)
{
	const char *url = cfg->database_url;
	return url != NULL && strncmp(url, "postgres", 8) == 0;
}

static int
layout_ok(const struct watch_table *t)
{
	return LOAD(t->head.magic) == WATCH_MAGIC && t->head.layout == WATCH_LAYOUT &&
	       t->head.slots == WATCH_SLOTS;
}

/* Maps path as it is; NULL when missing or not a table of this layout. */
static struct watch_table *
map_existing(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size == (off_t)sizeof(struct watch_table))
		m = mmap(NULL, sizeof(struct watch_table), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	if (!layout_ok(m)) {
		munmap(m, sizeof(struct watch_table));
		return NULL;
	}
	return m;
}

/* A new, empty table at path.  An old file of another layout is unlinked,
 * not rewritten: a process that still maps it keeps its own copy. */
static struct watch_table *
map_new(const char *path)
{
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("live events: %s: %s; every channel counts as watched", path,
			 strerror(errno));
		return NULL;
	}
	void *m = MAP_FAILED;
	if (ftruncate(fd, sizeof(struct watch_table)) == 0)
		m = mmap(NULL, sizeof(struct watch_table), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	struct watch_table *t = m;
	t->head.slots = WATCH_SLOTS;
	t->head.layout = WATCH_LAYOUT;
	STORE(t->head.magic, WATCH_MAGIC);
	return t;
}

int
watch_attach(const struct config *cfg, int create)
{
	watch_detach();
	if (cfg->pid_file == NULL)
		return -1;
	char *path = watch_path(cfg);
	table = map_existing(path);
	if (table == NULL && create)
		table = map_new(path);
	free(path);
	needs_listener = is_postgres(cfg);
	return table ? 0 : -1;
}

void
watch_detach(void)
{
	if (table != NULL)
		munmap(table, sizeof *table);
	table = NULL;
}

/* FNV-1a: the slot is where probing starts, the tag what a slot holds. */
static uint64_t
hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static uint32_t
tag_of(uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32);
	return tag ? tag : 1;
}

static void
raise_to(int64_t *at, int64_t v)
{
	int64_t old = LOAD(*at);
	while (old < v && !CAS(*at, old, v))
		;
}

void
watch_mark(const char *channel, time_t until)
{
	if (table == NULL)
		return;
	uint64_t h = hash_of(channel);
	uint64_t tag = tag_of(h);
	uint64_t want = tag << 32 | (uint32_t)until;
	uint32_t now = (uint32_t)time(NULL);
	size_t start = (size_t)(h % WATCH_SLOTS);
	for (int attempt = 0; attempt < 4; attempt++) {
		uint64_t *free_slot = NULL, free_was = 0;
		int raced = 0;
		for (size_t i = 0; i < WATCH_PROBES && !raced; i++) {
			uint64_t *s = &table->slot[(start + i) % WATCH_SLOTS];
			uint64_t v = LOAD(*s);
			if (v >> 32 == tag) {
				if ((uint32_t)v >= (uint32_t)until)
					return;
				if (CAS(*s, v, want))
					return;
				raced = 1;
			} else if (free_slot == NULL && (v == 0 || (uint32_t)v < now)) {
				free_slot = s;
				free_was = v;
			}
		}
		if (raced)
			continue;
		if (free_slot == NULL)
			break;
		if (CAS(*free_slot, free_was, want))
			return;
	}
	/* No room (or endless contention): everything counts as watched
	 * until this mark would have expired. */
	raise_to(&table->head.full_until, (int64_t)until);
}

int
watch_is_watched(const char *channel)
{
	if (table == NULL)
		return 1;
	int64_t now = (int64_t)time(NULL);
	if (now <= LOAD(table->head.full_until))
		return 1;
	if (needs_listener) {
		if (now - LOAD(table->head.listener_alive) > WATCH_LISTENER_STALE_SECONDS)
			return 1;
		if (LOAD(table->head.lapses) > LOAD(table->head.covered))
			return 1;
	}
	uint64_t h = hash_of(channel);
	uint32_t tag = tag_of(h);
	size_t start = (size_t)(h % WATCH_SLOTS);
	for (size_t i = 0; i < WATCH_PROBES; i++) {
		uint64_t v = LOAD(table->slot[(start + i) % WATCH_SLOTS]);
		if ((uint32_t)(v >> 32) == tag && (int64_t)(uint32_t)v >= now)
			return 1;
	}
	return 0;
}

uint64_t
watch_listener_lapsed(void)
{
	if (table == NULL)
		return 0;
	return __atomic_add_fetch(&table->head.lapses, 1, __ATOMIC_ACQ_REL);
}

void
watch_listener_covered(uint64_t lapse, time_t now)
{
	if (table == NULL)
		return;
	uint64_t old = LOAD(table->head.covered);
	while (old < lapse && !CAS(table->head.covered, old, lapse))
		;
	raise_to(&table->head.listener_alive, (int64_t)now);
}

void
watch_listener_alive(time_t now)
{
	if (table != NULL)
		raise_to(&table->head.listener_alive, (int64_t)now);
}

/* Appends the parts to out (cap bytes with its NUL, len used so far), cut
 * to fit as snprintf would; the new length.  Asked several times for each
 * event an engine commits, where snprintf's format parsing showed. */
static size_t
append(char *out, size_t cap, size_t len, const char *a, const char *b)
{
	const char *parts[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(parts[i]);
		if (n > cap - 1 - len)
			n = cap - 1 - len;
		memcpy(out + len, parts[i], n);
		len += n;
	}
	out[len] = '\0';
	return len;
}

int
events_execution_targets(const char *execution_id, const char *slug,
			 char key[EVENTS_CHANNEL_MAX + 1], char to[2 * EVENTS_CHANNEL_MAX + 2])
{
	const size_t to_cap = 2 * EVENTS_CHANNEL_MAX + 2;
	append(key, EVENTS_CHANNEL_MAX + 1, 0, "execution:", execution_id);
	int n = 0;
	size_t len = 0;
	to[0] = '\0';
	if (watch_is_watched(key)) {
		len = append(to, to_cap, 0, key, "");
		n++;
	}
	if (slug != NULL && *slug != '\0') {
		char wf[EVENTS_CHANNEL_MAX + 1];
		append(wf, sizeof wf, 0, "workflow:", slug);
		if (watch_is_watched(wf)) {
			append(to, to_cap, len, n ? "," : "", wf);
			n++;
		}
	}
	return n;
}
