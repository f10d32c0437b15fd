/*
 * progress.h: what a long operator's command (db copy, backup, restore,
 * prune) shows while it works.
 *
 * On a terminal (standard error is one) a single line is redrawn at most
 * ten times a second: the stage (a table, a file), units done of the
 * total, the rate and the time left.  Anywhere else (cron, a log, a pipe)
 * nothing is printed while it runs and one summary line at the end, so a
 * log holds one line per run.  Every function accepts NULL and then does
 * nothing, so code deep in a copy can report without asking whether
 * anyone listens.
 */
#ifndef PIPELIT_PROGRESS_H
#define PIPELIT_PROGRESS_H

#include <stdint.h>

struct progress;

/* what: "backup", "copy"; unit: "rows", "pages".  total 0 = not known yet.
 * The caller owns the result and ends it with progress_finish(). */
struct progress *progress_start(const char *what, const char *unit, int64_t total);
void progress_set_total(struct progress *p, int64_t total);
/* The part being worked on (a table name); copied. */
void progress_stage(struct progress *p, const char *stage);
void progress_add(struct progress *p, int64_t n);
void progress_set(struct progress *p, int64_t done);
/* Clears the line on a terminal, prints the summary line ("backup: 120
 * pages in 0.1 s, 1200 pages/s") when summary is true (false after a
 * failure, or when the command prints its own), and frees p. */
void progress_finish(struct progress *p, int summary);

#endif
