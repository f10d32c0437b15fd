/* master.c: see pool.h.  The master never touches a request: it keeps
 * the children's slots filled and answers signals. */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "db/db_settings.h"
#include "db/migrate.h"
#include "db/migration.h"
#include "model/key_fingerprint.h"
#include "model/secrets.h"
#include "model/setting_startup.h"
#include "events/watch.h"
#include "engine/trigger_relay.h"
#include "pool/backoff.h"
#include "pool/children.h"
#include "pool/dblock.h"
#include "pool/file_modes.h"
#include "pool/listen.h"
#include "pool/pidfile.h"
#include "pool/orphan.h"
#include "pool/proctitle.h"
#include "pool/reexec.h"
#include "pool/memory.h"
#include "pool/scoreboard.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

/* One place for a child; the pool keeps every slot filled. */
struct slot {
	enum child_kind kind;
	pid_t pid;               /* 0 when empty */
	long long started_ms;
	long delay_ms;           /* crash-loop back-off */
	long long respawn_at_ms; /* when empty: not before this */
	int entry;               /* its scoreboard entry, -1 when none */
	int deadline_killed;     /* the master killed it past the request deadline, or
				    its loop stalled */
	struct lost_leases lost; /* an executor slot's: what its next child gives back */
};

/* A child of the previous generation, replaced during a reload. */
struct retiree {
	pid_t pid;
	enum child_kind kind;
	long long term_at_ms;    /* 0 until SIGTERM was sent */
	int entry;               /* its scoreboard entry, -1 when none (inherited) */
	int deadline_killed;
};

struct pool {
	const struct pool_options *opts;
	struct config cfg;
	int listen_fd;
	struct scoreboard *sb;   /* owned mapping, shared with the children */
	char *sb_path;           /* owned */
	struct slot *slots;      /* owned */
	int nslots;
	struct retiree *retirees; /* owned */
	int nretirees;
	int stopping;
	long long stop_deadline_ms;
	int reload_pos;          /* next slot to restart, or -1 outside a reload */
	pid_t reload_waiting;    /* the retiree whose exit the reload waits for */
};

/* --- configuration --------------------------------------------------------- */

int
pool_load_config(struct config *cfg, const struct pool_options *o, char **err)
{
	if (config_load(cfg, o->env_file, err) != 0)
		return -1;
	db_configure_from(cfg, DB_FOR_REQUESTS);
	if (o->socket != NULL) {
		free(cfg->socket);
		cfg->socket = config_socket_spec(o->socket);
	}
	if (o->pid_file != NULL) {
		free(cfg->pid_file);
		cfg->pid_file = fs_absolute_path(o->pid_file);
	}
	if (o->responders >= 0)
		cfg->responders = o->responders;
	if (o->executors >= 0)
		cfg->executors = o->executors;
	if (o->max_requests >= 0)
		cfg->max_requests = o->max_requests;
	return 0;
}

/* The log file stored through the API (doc/settings.md) replaces the
 * environment's; one that cannot be opened is reported, and the log
 * stays where it was. */
static void
open_stored_log_file(struct config *cfg, const char *before)
{
	const char *now = cfg->log_file ? cfg->log_file : "";
	if (strcmp(now, before ? before : "") == 0)
		return;
	if (log_open(log_get_level(), cfg->log_file) == 0)
		return;
	log_error("cannot open %s (the log_file setting) for writing: %s; logging stays on %s",
		  now, strerror(errno), before ? before : "standard error");
	free(cfg->log_file);
	cfg->log_file = before ? xstrdup(before) : NULL;
}

/* Puts the settings stored through the API into cfg (children inherit
 * them); the database failing here is reported, not fatal: the
 * environment's values then hold until the next start or reload. */
static void
apply_stored_settings(struct db *db, struct config *cfg)
{
	char *before = cfg->log_file ? xstrdup(cfg->log_file) : NULL;
	if (settings_start(db, cfg) != 0)
		log_error("cannot read the stored settings: %s; the environment's values hold",
			  db_errmsg(db));
	else
		open_stored_log_file(cfg, before);
	free(before);
}

/* Brings the database to the newest schema and applies the stored
 * settings; the master keeps no handle. */
static int
migrate_database(struct config *cfg, char **err)
{
	char *e = NULL;
	/* A migration may run long (an index on a big table): it gets the
	 * tools' settings, without the requests' statement deadlines. */
	db_configure_from(cfg, DB_FOR_TOOLS);
	struct db *db = db_open_create(cfg->database_url, &e);
	if (db == NULL) {
		db_configure_from(cfg, DB_FOR_REQUESTS);
		*err = xasprintf("cannot open the database: %s", e ? e : "unknown error");
		free(e);
		return -1;
	}
	int rc = migrate_upgrade(db, "head", &e);
	if (rc != 0)
		*err = xasprintf("database migration failed: %s", e ? e : "unknown error");
	/* Hosts sharing this database must sign with one SECRET_KEY (its
	 * message, in *err, is the one to show). */
	if (rc == 0)
		rc = secret_key_check_shared(db, cfg->secret_key, err);
	/* The data step of the bound secret format (model/secrets.h). */
	if (rc == 0)
		secrets_convert_at_start(db, cfg->field_encryption_key,
					 cfg->field_encryption_key_old);
	if (rc == 0)
		apply_stored_settings(db, cfg);
	free(e);
	db_close(db);
	db_configure_from(cfg, DB_FOR_REQUESTS);
	return rc == 0 ? 0 : -1;
}

/* The revision the database is at after migrate_database(): the head of
 * the migrations built into this binary. */
static void
schema_head(char *out, size_t size)
{
	char *err = NULL;
	struct migration_graph *g = migration_graph_embedded(&err);
	snprintf(out, size, "unknown");
	if (g == NULL) {
		free(err);
		return;
	}
	size_t n = migration_graph_count(g);
	size_t *heads = xcalloc(n + 1, sizeof(*heads));
	size_t nh = migration_graph_heads(g, heads);
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < nh && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "",
					migration_graph_at(g, heads[i])->revision);
	free(heads);
	migration_graph_free(g);
}

/* The backend without secrets: "sqlite /path" or "postgresql host:port/db". */
static void
describe_backend(const char *url, char *out, size_t size)
{
	struct db_url u;
	char *err = NULL;
	if (db_url_parse(url, &u, &err) != 0) {
		free(err);
		snprintf(out, size, "unknown");
		return;
	}
	if (u.backend == DB_SQLITE)
		snprintf(out, size, "sqlite %s", u.path ? u.path : "");
	else if (u.port > 0)
		snprintf(out, size, "postgresql %s:%d/%s", u.host ? u.host : "(local socket)", u.port,
			 u.dbname ? u.dbname : "");
	else
		snprintf(out, size, "postgresql %s/%s", u.host ? u.host : "(local socket)",
			 u.dbname ? u.dbname : "");
	db_url_free(&u);
}

/* --- children --------------------------------------------------------------- */

static void
reset_signals_in_child(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child, right after fork(): only responders keep the socket. */
static void
run_child(struct pool *p, struct slot *s, pid_t master)
{
	reset_signals_in_child();
	int is_responder = s->kind == CHILD_RESPONDER;
	if (!is_responder) {
		close(p->listen_fd);
		p->listen_fd = -1;
	}
	orphan_watch(master, p->listen_fd);
	memory_policy_apply(is_responder ? MEMORY_RESPONDER : MEMORY_EXECUTOR);
	char title[64];
	snprintf(title, sizeof title, "serve: %s", child_kind_name(s->kind));
	proctitle_set(title);
	struct child_board board = { p->sb, s->entry, master };
	if (!is_responder)
		scoreboard_idle(p->sb, s->entry);
	int rc = is_responder ? responder_main(&p->cfg, p->listen_fd, &board)
		 : s->kind == CHILD_TRIGGER_WRITER ? trigger_writer_main(&p->cfg, &board)
		 : executor_main(&p->cfg, &board, &s->lost);
	_exit(rc);
}

static void
spawn_slot(struct pool *p, int i)
{
	struct slot *s = &p->slots[i];
	pid_t master = getpid();
	s->entry = scoreboard_claim(p->sb, -1,
				    s->kind == CHILD_RESPONDER ? SB_ROLE_RESPONDER
				    : s->kind == CHILD_TRIGGER_WRITER ? SB_ROLE_TRIGGER_WRITER
				    : SB_ROLE_EXECUTOR);
	s->deadline_killed = 0;
	pid_t pid = fork();
	if (pid == 0)
		run_child(p, s, master);
	if (pid < 0) {
		scoreboard_release(p->sb, s->entry);
		s->entry = -1;
		log_error("cannot fork a %s for slot %d: %s", child_kind_name(s->kind), i,
			  strerror(errno));
		s->delay_ms = backoff_next_delay_ms(s->delay_ms, 0, 1,
						    p->cfg.respawn_backoff_max_seconds * 1000);
		s->respawn_at_ms = time_mono_ms() + s->delay_ms;
		return;
	}
	s->pid = pid;
	scoreboard_set_pid(p->sb, s->entry, pid);
	s->started_ms = time_mono_ms();
	log_debug("started %s pid %ld in slot %d", child_kind_name(s->kind), (long)pid, i);
}

static void
init_slots(struct pool *p)
{
	/* One trigger writer per pool, when its socket has a place. */
	char *relay = p->cfg.trigger_writer ? trigger_relay_path(&p->cfg) : NULL;
	p->nslots = p->cfg.responders + p->cfg.executors + (relay != NULL);
	free(relay);
	p->slots = xcalloc((size_t)p->nslots, sizeof(*p->slots));
	for (int i = 0; i < p->nslots; i++) {
		p->slots[i].kind = i < p->cfg.responders ? CHILD_RESPONDER
			: i < p->cfg.responders + p->cfg.executors ? CHILD_EXECUTOR
			: CHILD_TRIGGER_WRITER;
		p->slots[i].entry = -1;
	}
}

static int
slot_may_spawn(const struct pool *p, int i)
{
	/* During a reload the slots not reached yet wait their turn. */
	return p->reload_pos < 0 || i < p->reload_pos;
}

static void
respawn_due(struct pool *p)
{
	long long now = time_mono_ms();
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid == 0 && p->slots[i].respawn_at_ms <= now && slot_may_spawn(p, i))
			spawn_slot(p, i);
}

static void
describe_status(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

static int
entry_accepted_any(const struct scoreboard *sb, int entry)
{
	return __atomic_load_n(&sb->entries[entry].accepted, __ATOMIC_ACQUIRE) > 0;
}

/* The last crash, for /status. */
static void
record_crash(struct pool *p, const char *kind, long pid, const char *how)
{
	struct sb_header *h = &p->sb->head;
	snprintf(h->last_crash, sizeof(h->last_crash), "%s pid %ld %s", kind, pid, how);
	h->last_crash_unix = (int64_t)time(NULL);
}

static int
exited_abnormally(int status)
{
	return WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
}

/* An executor of the slot has exited: what it was handed and gave back is
 * done; its own leases (none when it stopped cleanly: it gave them back)
 * are for the next one.  Past LOST_OWNERS_MAX, the oldest are left to
 * their leases' expiry. */
static void
note_lost_leases(struct lost_leases *lost, const struct sb_entry *e)
{
	if (__atomic_load_n(&e->gave_back, __ATOMIC_ACQUIRE))
		lost->n = 0;
	char owner[SB_OWNER_MAX];
	memcpy(owner, e->lease_owner, sizeof owner);
	owner[sizeof owner - 1] = '\0';
	if (owner[0] == '\0')
		return;
	if (lost->n == LOST_OWNERS_MAX) {
		memmove(lost->owner[0], lost->owner[1], (LOST_OWNERS_MAX - 1) * sizeof lost->owner[0]);
		lost->n--;
	}
	memcpy(lost->owner[lost->n++], owner, sizeof owner);
}

/* Logs the exit and schedules the slot's next child. */
static void
slot_child_exited(struct pool *p, int i, int status)
{
	struct slot *s = &p->slots[i];
	const char *kind = child_kind_name(s->kind);
	long pid = (long)s->pid;
	long long now = time_mono_ms();
	long lived = (long)(now - s->started_ms);
	int abnormal = exited_abnormally(status);
	char how[96];
	describe_status(status, how, sizeof(how));
	/* Only a child that crashed before it took any request counts towards
	 * the crash-loop back-off: one that crashed on a request may have been
	 * made to, and an outsider must not be able to slow the respawning. */
	int accepted_any = s->entry >= 0 && entry_accepted_any(p->sb, s->entry);
	if (s->kind == CHILD_EXECUTOR && s->entry >= 0)
		note_lost_leases(&s->lost, &p->sb->entries[s->entry]);
	s->pid = 0;
	scoreboard_release(p->sb, s->entry);
	s->entry = -1;
	if (abnormal && !s->deadline_killed)
		record_crash(p, kind, pid, how);
	if (p->stopping) {
		log_info("%s pid %ld in slot %d %s", kind, pid, i, how);
		return;
	}
	if (abnormal)
		p->sb->head.restarts++;
	int counts = abnormal && !accepted_any && !s->deadline_killed;
	long max = p->cfg.respawn_backoff_max_seconds * 1000;
	s->delay_ms = backoff_next_delay_ms(s->delay_ms, lived, counts, max);
	long wait = backoff_wait_ms(s->delay_ms, lived, counts);
	s->respawn_at_ms = now + wait;
	if (!abnormal && s->kind == CHILD_RESPONDER)
		log_info("responder pid %ld in slot %d recycled after %ld ms; replacing it", pid, i,
			 lived);
	else if (wait > 0)
		log_warn("%s pid %ld in slot %d %s after %ld ms; crashing in a loop, "
			 "respawning in %ld ms", kind, pid, i, how, lived, wait);
	else
		log_warn("%s pid %ld in slot %d %s after %ld ms; respawning", kind, pid, i, how,
			 lived);
}

static void
retiree_exited(struct pool *p, int k, int status)
{
	char how[96];
	describe_status(status, how, sizeof(how));
	scoreboard_release(p->sb, p->retirees[k].entry);
	log_info("previous %s pid %ld %s", child_kind_name(p->retirees[k].kind),
		 (long)p->retirees[k].pid, how);
	if (p->reload_waiting == p->retirees[k].pid)
		p->reload_waiting = 0;
	p->retirees[k] = p->retirees[--p->nretirees];
}

static void
child_exited(struct pool *p, pid_t pid, int status)
{
	for (int i = 0; i < p->nslots; i++) {
		if (p->slots[i].pid == pid) {
			slot_child_exited(p, i, status);
			return;
		}
	}
	for (int k = 0; k < p->nretirees; k++) {
		if (p->retirees[k].pid == pid) {
			retiree_exited(p, k, status);
			return;
		}
	}
}

static void
reap_children(struct pool *p)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		child_exited(p, pid, status);
}

static int
children_alive(const struct pool *p)
{
	int n = p->nretirees;
	for (int i = 0; i < p->nslots; i++)
		n += p->slots[i].pid != 0;
	return n;
}

static void
signal_all_children(struct pool *p, int sig)
{
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid != 0)
			kill(p->slots[i].pid, sig);
	for (int k = 0; k < p->nretirees; k++)
		kill(p->retirees[k].pid, sig);
}

/* --- shutdown --------------------------------------------------------------- */

static void
begin_shutdown(struct pool *p, int sig)
{
	if (p->stopping)
		return;
	log_info("received %s; stopping %d children (up to %ld s to finish their requests)",
		 sig == SIGINT ? "SIGINT" : "SIGTERM", children_alive(p),
		 p->cfg.shutdown_timeout_seconds);
	p->stopping = 1;
	/* Read by the responders when the stop signal reaches them: they
	 * answer new requests 503 until the requests in flight are done. */
	__atomic_store_n(&p->sb->head.stopping, 1, __ATOMIC_RELEASE);
	p->reload_pos = -1;
	p->stop_deadline_ms = time_mono_ms() + p->cfg.shutdown_timeout_seconds * 1000;
	signal_all_children(p, SIGTERM);
}

static void
enforce_deadlines(struct pool *p)
{
	long long now = time_mono_ms();
	if (p->stopping && now >= p->stop_deadline_ms && children_alive(p) > 0) {
		log_warn("shutdown timeout: killing %d children that are still running",
			 children_alive(p));
		signal_all_children(p, SIGKILL);
		p->stop_deadline_ms = LLONG_MAX;
	}
	long long limit = p->cfg.shutdown_timeout_seconds * 1000;
	for (int k = 0; k < p->nretirees; k++) {
		struct retiree *r = &p->retirees[k];
		if (r->term_at_ms > 0 && now - r->term_at_ms >= limit) {
			log_warn("previous %s pid %ld did not stop in time; killing it",
				 child_kind_name(r->kind), (long)r->pid);
			kill(r->pid, SIGKILL);
			r->term_at_ms = -1;	/* killed; only the reaping is left */
		}
	}
}

/* --- the request deadline and stalled loops --------------------------------- */

/* Kills the child in entry when its request has run past the deadline;
 * 1 when it did. */
static void
kill_if_past_deadline(struct pool *p, pid_t pid, int entry, int *killed, long long now)
{
	if (entry < 0 || pid <= 0 || *killed)
		return;
	const struct sb_entry *e = &p->sb->entries[entry];
	if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != SB_BUSY)
		return;
	long long age = now - __atomic_load_n(&e->request_start_ms, __ATOMIC_ACQUIRE);
	if (age < p->cfg.request_timeout_seconds * 1000)
		return;
	char request[SB_REQUEST_MAX];
	memcpy(request, e->request, sizeof(request));
	request[sizeof(request) - 1] = '\0';
	log_warn("responder pid %ld: request \"%s\" running for %lld ms, past "
		 "PIPELIT_REQUEST_TIMEOUT_SECONDS=%ld; killing it", (long)pid, request, age,
		 p->cfg.request_timeout_seconds);
	kill(pid, SIGKILL);
	p->sb->head.killed_past_deadline++;
	*killed = 1;	/* its entry says busy until it is reaped */
}

/* An executor's or the trigger writer's loop turns at least every second
 * when idle, and marks its progress through long passes and database
 * retries; one that has not turned for PIPELIT_STALL_TIMEOUT_SECONDS is
 * stuck (a node blocking it, a hung connection, SIGSTOP).  It is killed
 * and replaced, and an executor's replacement gives back its leases, so
 * its executions go on at once instead of when the leases run out. */
static void
kill_if_stalled(struct pool *p, struct slot *s, long long now)
{
	if (s->kind == CHILD_RESPONDER || s->entry < 0 || s->pid <= 0 || s->deadline_killed)
		return;
	const struct sb_entry *e = &p->sb->entries[s->entry];
	long long age = now - __atomic_load_n(&e->turn_ms, __ATOMIC_ACQUIRE);
	if (age < p->cfg.stall_timeout_seconds * 1000)
		return;
	log_warn("%s pid %ld: its loop has not turned for %lld ms, past "
		 "PIPELIT_STALL_TIMEOUT_SECONDS=%ld; killing it", child_kind_name(s->kind),
		 (long)s->pid, age, p->cfg.stall_timeout_seconds);
	kill(s->pid, SIGKILL);
	p->sb->head.killed_stalled++;
	s->deadline_killed = 1;
}

/* php-fpm's request_terminate_timeout: a child stuck in one request (a
 * hung lock, SIGSTOP, a bug) is killed and replaced; so is a background
 * child whose loop stalled.  Retirees are on their way out: the shutdown
 * timeout bounds them. */
static void
enforce_child_deadlines(struct pool *p)
{
	long long now = time_mono_ms();
	for (int i = 0; i < p->nslots; i++) {
		kill_if_past_deadline(p, p->slots[i].pid, p->slots[i].entry,
				      &p->slots[i].deadline_killed, now);
		if (!p->stopping)
			kill_if_stalled(p, &p->slots[i], now);
	}
	for (int k = 0; k < p->nretirees; k++)
		kill_if_past_deadline(p, p->retirees[k].pid, p->retirees[k].entry,
				      &p->retirees[k].deadline_killed, now);
}

/* --- reload ----------------------------------------------------------------- */

/* Settings that cannot change without a restart keep their old values. */
static void
keep_fixed_settings(const struct config *old, struct config *fresh)
{
	if (strcmp(old->socket, fresh->socket) != 0) {
		log_warn("the socket cannot change on reload; still serving on %s "
			 "(restart to use %s)", old->socket, fresh->socket);
		free(fresh->socket);
		fresh->socket = xstrdup(old->socket);
	}
	if (strcmp(old->pid_file, fresh->pid_file) != 0) {
		log_warn("the PID file cannot change on reload; keeping %s", old->pid_file);
		free(fresh->pid_file);
		fresh->pid_file = xstrdup(old->pid_file);
	}
}

/* Every running child becomes a retiree; fresh, empty slots replace them. */
static void
retire_current_children(struct pool *p)
{
	p->retirees = xrealloc(p->retirees,
			       (size_t)(p->nretirees + p->nslots) * sizeof(*p->retirees));
	for (int i = 0; i < p->nslots; i++) {
		if (p->slots[i].pid == 0)
			continue;
		struct retiree *r = &p->retirees[p->nretirees++];
		r->pid = p->slots[i].pid;
		r->kind = p->slots[i].kind;
		r->term_at_ms = 0;
		r->entry = p->slots[i].entry;
		r->deadline_killed = p->slots[i].deadline_killed;
	}
	free(p->slots);
	init_slots(p);
}

static void
begin_reload(struct pool *p)
{
	if (p->stopping)
		return;
	log_reopen();
	log_info("received SIGHUP: reloading the configuration");
	struct config fresh;
	char *err = NULL;
	if (pool_load_config(&fresh, p->opts, &err) != 0) {
		log_error("reload refused: %s; the running children stay", err);
		free(err);
		return;
	}
	if (migrate_database(&fresh, &err) != 0) {
		log_error("reload refused: %s; the running children stay", err);
		free(err);
		config_free(&fresh);
		return;
	}
	keep_fixed_settings(&p->cfg, &fresh);
	if (log_open(fresh.log_level, fresh.log_file) != 0)
		log_error("cannot open LOG_FILE=%s; logging continues where it was",
			  fresh.log_file);
	config_free(&p->cfg);
	p->cfg = fresh;
	retire_current_children(p);
	p->reload_pos = 0;
	p->reload_waiting = 0;
}

static struct retiree *
unterminated_retiree(struct pool *p, enum child_kind kind)
{
	for (int k = 0; k < p->nretirees; k++)
		if (p->retirees[k].term_at_ms == 0 && p->retirees[k].kind == kind)
			return &p->retirees[k];
	return NULL;
}

static void
terminate_retiree(struct retiree *r)
{
	kill(r->pid, SIGTERM);
	r->term_at_ms = time_mono_ms();
}

/*
 * Restarts one slot at a time: start the new child, then stop one old
 * child of the same kind and wait for it to go, so capacity never drops.
 */
static void
advance_reload(struct pool *p)
{
	while (p->reload_pos >= 0 && p->reload_waiting == 0 && !p->stopping) {
		if (p->reload_pos >= p->nslots) {
			/* The pool may have shrunk: the rest of the old ones go. */
			for (int k = 0; k < p->nretirees; k++)
				if (p->retirees[k].term_at_ms == 0)
					terminate_retiree(&p->retirees[k]);
			log_info("reload done: %d responder(s) and %d executor(s)", p->cfg.responders,
				 p->cfg.executors);
			p->reload_pos = -1;
			return;
		}
		int i = p->reload_pos++;
		spawn_slot(p, i);
		struct retiree *old = unterminated_retiree(p, p->slots[i].kind);
		if (old != NULL) {
			terminate_retiree(old);
			p->reload_waiting = old->pid;
		}
	}
}

/* --- re-exec (upgrade in place) ---------------------------------------------- */

/* Every child we have, for the next binary to adopt. */
static struct reexec_child *
list_children(const struct pool *p, int *n)
{
	struct reexec_child *c = xcalloc((size_t)(p->nslots + p->nretirees + 1), sizeof(*c));
	*n = 0;
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid > 0)
			c[(*n)++] = (struct reexec_child){ p->slots[i].pid,
							   p->slots[i].kind == CHILD_RESPONDER };
	for (int k = 0; k < p->nretirees; k++)
		c[(*n)++] = (struct reexec_child){ p->retirees[k].pid,
						   p->retirees[k].kind == CHILD_RESPONDER };
	return c;
}

static void
begin_reexec(struct pool *p)
{
	if (p->stopping)
		return;
	if (p->opts->exe == NULL || p->opts->argv == NULL) {
		log_error("received SIGUSR2, but the path of the binary is unknown; not upgrading");
		return;
	}
	log_info("received SIGUSR2: re-executing %s (the listening socket and the children "
		 "are handed over)", p->opts->exe);
	int n;
	struct reexec_child *c = list_children(p, &n);
	/* The next master creates its own scoreboard and PID file content. */
	reexec_exec(p->opts->exe, p->opts->argv, p->listen_fd, c, n);
	log_error("cannot execute %s: %s; the running pool stays as it is", p->opts->exe,
		  strerror(errno));
	free(c);
}

/* The children a previous binary handed over become retirees, replaced one
 * at a time by the reload sequence.  Returns how many there were. */
static int
adopt_children(struct pool *p)
{
	int n;
	struct reexec_child *c = reexec_take_children(&n);
	if (n == 0)
		return 0;
	p->retirees = xrealloc(p->retirees, (size_t)(p->nretirees + n) * sizeof(*p->retirees));
	for (int i = 0; i < n; i++)
		p->retirees[p->nretirees++] = (struct retiree){
			.pid = c[i].pid,
			.kind = c[i].responder ? CHILD_RESPONDER : CHILD_EXECUTOR,
			.entry = -1,
		};
	free(c);
	return n;
}

/* --- the supervision loop --------------------------------------------------- */

/* How long the master may sleep before something is due. */
static long
next_wakeup_ms(const struct pool *p)
{
	long long now = time_mono_ms(), next = now + 1000;
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid == 0 && !p->stopping && slot_may_spawn(p, i) &&
		    p->slots[i].respawn_at_ms < next)
			next = p->slots[i].respawn_at_ms;
	if (p->stopping && p->stop_deadline_ms < next)
		next = p->stop_deadline_ms;
	return next > now ? (long)(next - now) : 0;
}

static void
supervise(struct pool *p, const sigset_t *sigs)
{
	for (;;) {
		if (!p->stopping)
			respawn_due(p);
		advance_reload(p);
		enforce_deadlines(p);
		__atomic_store_n(&p->sb->head.replacing, p->reload_pos >= 0 || p->nretirees > 0,
				 __ATOMIC_RELEASE);
		if (p->stopping && children_alive(p) == 0)
			return;
		long ms = next_wakeup_ms(p);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			begin_shutdown(p, sig);
		else if (sig == SIGHUP)
			begin_reload(p);
		else if (sig == SIGUSR2)
			begin_reexec(p);
		reap_children(p);
		enforce_child_deadlines(p);
	}
}

/* --- start-up --------------------------------------------------------------- */

/* A start-up failure: one clear line on stderr, and in the log file. */
__attribute__((format(printf, 2, 3))) static int
startup_failed(const struct config *cfg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "pipelit: %s\n", msg);
	if (cfg != NULL && cfg->log_file != NULL)
		log_error("%s", msg);
	free(msg);
	return 1;
}

static void
block_master_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGCHLD);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGHUP);
	sigaddset(sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, sigs, NULL);
	/* A web server gone away must not kill the master either. */
	signal(SIGPIPE, SIG_IGN);
}

static int
open_log(const struct config *cfg)
{
	log_set_tag("Server");
	if (log_open(cfg->log_level, cfg->log_file) != 0) {
		fprintf(stderr, "pipelit: invalid LOG_FILE=%s: cannot open it for writing: %s\n",
			cfg->log_file, strerror(errno));
		return -1;
	}
	return 0;
}

/* What /status shows about the pool as a whole. */
static void
fill_scoreboard_header(struct pool *p, int replacing)
{
	struct sb_header *h = &p->sb->head;
	h->replacing = replacing;
	h->started_unix = (int64_t)time(NULL);
	h->request_timeout_s = p->cfg.request_timeout_seconds;
	h->stall_timeout_s = p->cfg.stall_timeout_seconds;
	h->slow_request_s = p->cfg.slow_request_seconds;
	snprintf(h->version, sizeof(h->version), "%s", PACKAGE_VERSION);
	snprintf(h->socket, sizeof(h->socket), "%s", p->cfg.socket);
	schema_head(h->schema, sizeof(h->schema));
	describe_backend(p->cfg.database_url, h->backend, sizeof(h->backend));
	/* Last: 'pipelit restart' reads the rest once it sees our pid. */
	__atomic_store_n(&h->master_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
}

static void
pool_free(struct pool *p)
{
	free(p->slots);
	free(p->retirees);
	if (p->sb != NULL) {
		unlink(p->sb_path);
		scoreboard_unmap(p->sb);
	}
	free(p->sb_path);
	config_free(&p->cfg);
}

int
pool_run(const struct pool_options *opts)
{
	struct pool p = { .opts = opts, .listen_fd = -1, .reload_pos = -1 };
	char *err = NULL;
	memory_policy_apply(MEMORY_MASTER);
	if (pool_load_config(&p.cfg, opts, &err) != 0) {
		startup_failed(NULL, "%s", err);
		free(err);
		return 1;
	}
	if (open_log(&p.cfg) != 0) {
		config_free(&p.cfg);
		return 1;
	}
	file_modes_warn(&p.cfg);
	int rc = 1;
	int dblock_fd = -1;
	sigset_t sigs;
	/* Blocked before anything else so no signal in the start-up is lost. */
	block_master_signals(&sigs);
	/* Set when a previous binary of this master exec'd us (SIGUSR2). */
	p.listen_fd = reexec_take_listen_fd();
	if (pidfile_claim(p.cfg.pid_file, &err) != 0) {
		startup_failed(&p.cfg, "%s", err);
		goto out;
	}
	/* Held (by us and, inherited, by our children) until exit: it tells
	 * 'pipelit db restore' that this database is in use. */
	dblock_fd = dblock_share(p.cfg.database_url, &err);
	if (dblock_fd == -2) {
		startup_failed(&p.cfg, "%s", err);
		goto out_pidfile;
	}
	if (migrate_database(&p.cfg, &err) != 0) {
		startup_failed(&p.cfg, "%s", err);
		goto out_pidfile;
	}
	if (p.listen_fd < 0)
		p.listen_fd = listen_open(p.cfg.socket, p.cfg.socket_mode, &err);
	if (p.listen_fd < 0) {
		startup_failed(&p.cfg, "%s", err);
		goto out_pidfile;
	}
	if (socket_group_apply(&p.cfg, &err) != 0) {
		startup_failed(&p.cfg, "%s", err);
		goto out_pidfile;
	}
	p.sb_path = scoreboard_path(p.cfg.pid_file);
	p.sb = scoreboard_create(p.sb_path, &err);
	if (p.sb == NULL) {
		startup_failed(&p.cfg, "%s", err);
		goto out_pidfile;
	}
	/* Before the children fork, so they share it (events/watch.h). */
	watch_attach(&p.cfg, 1);
	proctitle_set("serve: master");
	init_slots(&p);
	int adopted = adopt_children(&p);
	fill_scoreboard_header(&p, adopted > 0);
	if (adopted > 0) {
		/* An upgrade in place: new children replace the handed-over ones
		 * one at a time, so capacity never drops. */
		p.reload_pos = 0;
		log_info("pipelit %s took over %s and %d running children", PACKAGE_VERSION,
			 p.cfg.socket, adopted);
	} else {
		for (int i = 0; i < p.nslots; i++)
			spawn_slot(&p, i);
	}
	log_info("pipelit %s serving on %s with %d responder(s) and %d executor(s)", PACKAGE_VERSION,
		 p.cfg.socket, p.cfg.responders, p.cfg.executors);
	supervise(&p, &sigs);
	close(p.listen_fd);
	listen_remove(p.cfg.socket);
	log_info("stopped");
	rc = 0;
out_pidfile:
	dblock_release(dblock_fd);
	pidfile_release(p.cfg.pid_file);
out:
	free(err);
	pool_free(&p);
	return rc;
}
