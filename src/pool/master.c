/* master.c: see pool.h.  The master never touches a request: it keeps
 * the children's slots filled and answers signals. */
#include "pool.h"

#include <errno.h>
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
#include "pool/backoff.h"
#include "pool/children.h"
#include "pool/dblock.h"
#include "pool/listen.h"
#include "pool/pidfile.h"
#include "pool/proctitle.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/fsutil.h"

/* One place for a child; the pool keeps every slot filled. */
struct slot {
	enum child_kind kind;
	pid_t pid;               /* 0 when empty */
	long long started_ms;
	long delay_ms;           /* crash-loop back-off */
	long long respawn_at_ms; /* when empty: not before this */
};

/* A child of the previous generation, replaced during a reload. */
struct retiree {
	pid_t pid;
	enum child_kind kind;
	long long term_at_ms;    /* 0 until SIGTERM was sent */
};

struct pool {
	const struct pool_options *opts;
	struct config cfg;
	int listen_fd;
	struct slot *slots;      /* owned */
	int nslots;
	struct retiree *retirees; /* owned */
	int nretirees;
	int stopping;
	long long stop_deadline_ms;
	int reload_pos;          /* next slot to restart, or -1 outside a reload */
	pid_t reload_waiting;    /* the retiree whose exit the reload waits for */
};

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- configuration --------------------------------------------------------- */

int
pool_load_config(struct config *cfg, const struct pool_options *o, char **err)
{
	if (config_load(cfg, o->env_file, err) != 0)
		return -1;
	db_configure_from(cfg);
	if (o->socket != NULL) {
		free(cfg->socket);
		cfg->socket = listen_spec_is_tcp(o->socket) ? xstrdup(o->socket) :
							       fs_absolute_path(o->socket);
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

/* Brings the database to the newest schema; the master keeps no handle. */
static int
migrate_database(const struct config *cfg, char **err)
{
	char *e = NULL;
	struct db *db = db_open(cfg->database_url, &e);
	if (db == NULL) {
		*err = xasprintf("cannot open the database: %s", e ? e : "unknown error");
		free(e);
		return -1;
	}
	int rc = migrate_upgrade(db, "head", &e);
	db_close(db);
	if (rc != 0) {
		*err = xasprintf("database migration failed: %s", e ? e : "unknown error");
		free(e);
		return -1;
	}
	return 0;
}

/* --- children --------------------------------------------------------------- */

static void
reset_signals_in_child(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void
spawn_slot(struct pool *p, int i)
{
	struct slot *s = &p->slots[i];
	pid_t pid = fork();
	if (pid == 0) {
		reset_signals_in_child();
		proctitle_set(s->kind == CHILD_RESPONDER ? "serve: responder" : "serve: executor");
		int rc = s->kind == CHILD_RESPONDER ? responder_main(&p->cfg, p->listen_fd) :
						      executor_main(&p->cfg);
		_exit(rc);
	}
	if (pid < 0) {
		log_error("cannot fork a %s for slot %d: %s", child_kind_name(s->kind), i,
			  strerror(errno));
		s->delay_ms = backoff_next_delay_ms(s->delay_ms, 0, 1,
						    p->cfg.respawn_backoff_max_seconds * 1000);
		s->respawn_at_ms = now_ms() + s->delay_ms;
		return;
	}
	s->pid = pid;
	s->started_ms = now_ms();
	log_debug("started %s pid %ld in slot %d", child_kind_name(s->kind), (long)pid, i);
}

static void
init_slots(struct pool *p)
{
	p->nslots = p->cfg.responders + p->cfg.executors;
	p->slots = xcalloc((size_t)p->nslots, sizeof(*p->slots));
	for (int i = 0; i < p->nslots; i++)
		p->slots[i].kind = i < p->cfg.responders ? CHILD_RESPONDER : CHILD_EXECUTOR;
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
	long long now = now_ms();
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
exited_abnormally(int status)
{
	return WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
}

/* Logs the exit and schedules the slot's next child. */
static void
slot_child_exited(struct pool *p, int i, int status)
{
	struct slot *s = &p->slots[i];
	const char *kind = child_kind_name(s->kind);
	long pid = (long)s->pid;
	long long now = now_ms();
	long lived = (long)(now - s->started_ms);
	int abnormal = exited_abnormally(status);
	char how[96];
	describe_status(status, how, sizeof(how));
	s->pid = 0;
	if (p->stopping) {
		log_info("%s pid %ld in slot %d %s", kind, pid, i, how);
		return;
	}
	long max = p->cfg.respawn_backoff_max_seconds * 1000;
	s->delay_ms = backoff_next_delay_ms(s->delay_ms, lived, abnormal, max);
	long wait = backoff_wait_ms(s->delay_ms, lived, abnormal);
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
	p->reload_pos = -1;
	p->stop_deadline_ms = now_ms() + p->cfg.shutdown_timeout_seconds * 1000;
	signal_all_children(p, SIGTERM);
}

static void
enforce_deadlines(struct pool *p)
{
	long long now = now_ms();
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
	r->term_at_ms = now_ms();
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

/* --- the supervision loop --------------------------------------------------- */

/* How long the master may sleep before something is due. */
static long
next_wakeup_ms(const struct pool *p)
{
	long long now = now_ms(), next = now + 1000;
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
		if (p->stopping && children_alive(p) == 0)
			return;
		long ms = next_wakeup_ms(p);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			begin_shutdown(p, sig);
		else if (sig == SIGHUP)
			begin_reload(p);
		reap_children(p);
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

static void
pool_free(struct pool *p)
{
	free(p->slots);
	free(p->retirees);
	config_free(&p->cfg);
}

int
pool_run(const struct pool_options *opts)
{
	struct pool p = { .opts = opts, .listen_fd = -1, .reload_pos = -1 };
	char *err = NULL;
	if (pool_load_config(&p.cfg, opts, &err) != 0) {
		startup_failed(NULL, "%s", err);
		free(err);
		return 1;
	}
	if (open_log(&p.cfg) != 0) {
		config_free(&p.cfg);
		return 1;
	}
	int rc = 1;
	int dblock_fd = -1;
	sigset_t sigs;
	/* Blocked before anything else so no signal in the start-up is lost. */
	block_master_signals(&sigs);
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
	p.listen_fd = listen_open(p.cfg.socket, p.cfg.socket_mode, &err);
	if (p.listen_fd < 0) {
		startup_failed(&p.cfg, "%s", err);
		goto out_pidfile;
	}
	proctitle_set("serve: master");
	init_slots(&p);
	for (int i = 0; i < p.nslots; i++)
		spawn_slot(&p, i);
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
