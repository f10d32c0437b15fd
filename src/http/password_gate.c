/* password_gate.c: see password_gate.h. */
#include "password_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "http/request.h"
#include "http/response.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/log.h"

#define GATE_MAX ((int)(sizeof(((struct http_ctx *)0)->gate_fds) / sizeof(int)))

static void
open_slots(struct http_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	int want = cfg->password_checks < GATE_MAX ? (int)cfg->password_checks : GATE_MAX;
	char path[4096];
	ctx->gate_n = 0;
	for (int i = 0; i < want; i++) {
		snprintf(path, sizeof(path), "%s/locks/password-%d.lock", cfg->data_dir, i);
		if (i == 0)
			fs_make_parent_dirs(path);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			log_warn("cannot open %s (%s): password checks are not limited", path,
				 strerror(errno));
			password_gate_close(ctx);
			ctx->gate_n = 0;
			return;
		}
		ctx->gate_fds[ctx->gate_n++] = fd;
	}
}

int
password_gate_enter(struct req *r, int *slot)
{
	struct http_ctx *ctx = r->ctx;
	if (ctx->gate_n < 0)
		open_slots(ctx);
	*slot = -1;
	if (ctx->gate_n == 0)
		return 0;
	/* Start at a different slot in each process so they rarely collide. */
	int start = (int)(getpid() % ctx->gate_n);
	for (int i = 0; i < ctx->gate_n; i++) {
		int k = (start + i) % ctx->gate_n;
		if (flock(ctx->gate_fds[k], LOCK_EX | LOCK_NB) == 0) {
			*slot = k;
			return 0;
		}
	}
	resp_add_header(r, "Retry-After", "1");
	resp_error(r, 503, "Too many password checks in progress; retry in a moment");
	return -1;
}

void
password_gate_leave(struct req *r, int slot)
{
	if (slot >= 0)
		flock(r->ctx->gate_fds[slot], LOCK_UN);
}

/* The test-only trace of one Argon2id run (see password_gate.h). */
static void
note_hash(struct req *r, const char *kind)
{
	if (r->cfg->test_routes)
		resp_add_header(r, "X-Test-Password-Hash", kind);
}

int
password_gate_hash(struct req *r, const char *password, char **hash)
{
	int slot;
	*hash = NULL;
	if (password_gate_enter(r, &slot) != 0)
		return 1;
	*hash = password_hash(password);
	password_gate_leave(r, slot);
	note_hash(r, "hash");
	return *hash != NULL ? 0 : -1;
}

int
password_gate_verify(struct req *r, const char *hash, const char *password)
{
	int slot, good = 0;
	if (password_gate_enter(r, &slot) != 0)
		return 2;
	if (hash != NULL && hash[0] != '\0') {
		good = password_verify(hash, password);
		note_hash(r, "verify");
	} else {
		password_verify_dummy(password);
		note_hash(r, "dummy");
	}
	password_gate_leave(r, slot);
	return good ? 0 : 1;
}

void
password_gate_close(struct http_ctx *ctx)
{
	for (int i = 0; i < ctx->gate_n; i++)
		close(ctx->gate_fds[i]);
	ctx->gate_n = -1;
}
