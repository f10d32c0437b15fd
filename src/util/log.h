/*
 * log.h: one line per event, in the form
 *   2026-02-17 23:18:00 [Server][INFO] file.c:42 - message
 * The tag names the process kind (Server, Responder, Executor, Cli).
 * Output goes to LOG_FILE when configured, otherwise stderr.  Each line is
 * written with a single write(2) so lines from several processes sharing
 * the file never interleave.
 */
#ifndef PIPELIT_LOG_H
#define PIPELIT_LOG_H

enum log_level {
	LOG_LEVEL_DEBUG = 10,
	LOG_LEVEL_INFO = 20,
	LOG_LEVEL_WARNING = 30,
	LOG_LEVEL_ERROR = 40,
};

/* Parses DEBUG/INFO/WARNING/WARN/ERROR (any case), and Pipelit's
 * CRITICAL as ERROR (no line is more severe); -1 when unknown. */
int log_level_parse(const char *s);
/* DEBUG, INFO, WARNING or ERROR. */
const char *log_level_name(int level);

/* The minimum level of this process, changed while it runs (the
 * log_level setting, doc/settings.md); the destination stays. */
void log_set_level(int level);
int log_get_level(void);

/* Sets the minimum level and the destination; path NULL means stderr.
 * Returns 0, or -1 if the file cannot be opened (errno set). */
int log_open(int level, const char *path);
/* Re-opens the log file (after rotation); used on SIGHUP. */
void log_reopen(void);
void log_set_tag(const char *tag);
const char *log_get_tag(void);

/* The id of the request this process is serving, put in every line until
 * it is cleared (NULL); the string is copied. */
void log_set_request(const char *id);

void log_write(int level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARNING, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
