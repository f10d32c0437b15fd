/* log.c: see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Process-wide logging configuration: set once at start-up (and on
 * SIGHUP), read by every log call of this process. */
static int log_min_level = LOG_LEVEL_INFO;
static int log_fd = STDERR_FILENO;
static char log_path[4096];
static const char *log_tag = "Cli";
/* The request in hand: a responder serves one at a time, so the id of the
 * current one is process state like the tag, and every line logged while
 * serving it (in any module) names it without passing it everywhere. */
static char log_request[72];

int
log_level_parse(const char *s)
{
	static const struct { const char *name; int level; } names[] = {
		{ "DEBUG", LOG_LEVEL_DEBUG },     { "INFO", LOG_LEVEL_INFO },
		{ "WARNING", LOG_LEVEL_WARNING }, { "WARN", LOG_LEVEL_WARNING },
		{ "ERROR", LOG_LEVEL_ERROR },     { "CRITICAL", LOG_LEVEL_ERROR },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	return -1;
}

static int
open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int
log_open(int level, const char *path)
{
	log_min_level = level;
	if (path == NULL || *path == '\0') {
		log_path[0] = '\0';
		log_fd = STDERR_FILENO;
		return 0;
	}
	int fd = open_log_file(path);
	if (fd < 0)
		return -1;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	snprintf(log_path, sizeof(log_path), "%s", path);
	return 0;
}

void
log_reopen(void)
{
	if (log_path[0] == '\0')
		return;
	int fd = open_log_file(log_path);
	if (fd < 0)
		return;
	int old = log_fd;
	log_fd = fd;
	if (old != STDERR_FILENO)
		close(old);
}

void
log_set_tag(const char *tag)
{
	log_tag = tag;
}

const char *
log_get_tag(void)
{
	return log_tag;
}

void
log_set_request(const char *id)
{
	snprintf(log_request, sizeof(log_request), "%s", id ? id : "");
}

void
log_set_level(int level)
{
	log_min_level = level;
}

int
log_get_level(void)
{
	return log_min_level;
}

const char *
log_level_name(int level)
{
	if (level >= LOG_LEVEL_ERROR)
		return "ERROR";
	if (level >= LOG_LEVEL_WARNING)
		return "WARNING";
	if (level >= LOG_LEVEL_INFO)
		return "INFO";
	return "DEBUG";
}

void
log_write(int level, const char *file, int line, const char *fmt, ...)
{
	if (level < log_min_level)
		return;
	int saved_errno = errno;
	char buf[2048];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	int n = (int)strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, " [%s][%s] %s:%d - ",
		      log_tag, log_level_name(level), base, line);
	if (log_request[0] != '\0')
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "[request %s] ", log_request);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	/* One event, one line: newlines inside the message are flattened. */
	for (size_t i = (size_t)n; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[len++] = '\n';
	ssize_t w = write(log_fd, buf, len);
	(void)w;
	errno = saved_errno;
}
