/* progress.c: see progress.h. */
#include "util/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"
#include "util/timefmt.h"

#define REDRAW_MS 100

struct progress {
	const char *what, *unit;
	char stage[64];
	int64_t done, total;
	int64_t started_ms, drawn_ms;
	int tty;
};

static double
rate_of(const struct progress *p, int64_t now)
{
	double secs = (now - p->started_ms) / 1000.0;
	return secs > 0 ? p->done / secs : 0;
}

static void
draw(struct progress *p, int force)
{
	if (!p->tty)
		return;
	int64_t now = time_mono_ms();
	if (!force && now - p->drawn_ms < REDRAW_MS)
		return;
	p->drawn_ms = now;
	double rate = rate_of(p, now);
	char line[256];
	int n = snprintf(line, sizeof(line), "%s%s%s: %lld", p->what, *p->stage ? " " : "", p->stage,
			 (long long)p->done);
	if (p->total > 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "/%lld %s (%d%%)",
			      (long long)p->total, p->unit,
			      (int)(p->done * 100 / (p->total ? p->total : 1)));
	else
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", p->unit);
	if (rate > 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", %.0f %s/s", rate, p->unit);
	if (rate > 0 && p->total > p->done)
		snprintf(line + n, sizeof(line) - (size_t)n, ", %.0f s left",
			 (p->total - p->done) / rate + 0.5);
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

struct progress *
progress_start(const char *what, const char *unit, int64_t total)
{
	struct progress *p = xcalloc(1, sizeof(*p));
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->started_ms = time_mono_ms();
	p->tty = isatty(2);
	draw(p, 1);
	return p;
}

void
progress_set_total(struct progress *p, int64_t total)
{
	if (p != NULL)
		p->total = total;
}

void
progress_stage(struct progress *p, const char *stage)
{
	if (p == NULL)
		return;
	snprintf(p->stage, sizeof(p->stage), "%s", stage ? stage : "");
	draw(p, 1);
}

void
progress_add(struct progress *p, int64_t n)
{
	if (p == NULL)
		return;
	p->done += n;
	draw(p, p->total > 0 && p->done >= p->total);
}

void
progress_set(struct progress *p, int64_t done)
{
	if (p == NULL)
		return;
	p->done = done;
	/* The last state is always shown, however soon it comes. */
	draw(p, p->total > 0 && p->done >= p->total);
}

void
progress_finish(struct progress *p, int summary)
{
	if (p == NULL)
		return;
	int64_t now = time_mono_ms();
	if (p->tty)
		fprintf(stderr, "\r\033[K");
	if (summary)
		fprintf(stderr, "%s: %lld %s in %.1f s, %.0f %s/s\n", p->what, (long long)p->done,
			p->unit, (now - p->started_ms) / 1000.0, rate_of(p, now), p->unit);
	fflush(stderr);
	free(p);
}
