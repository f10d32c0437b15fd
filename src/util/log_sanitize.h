/*
 * log_sanitize.h: text a client chose, made safe for one log line.  A
 * username typed at the login form may hold a newline (a forged second log
 * line), escape sequences for the terminal that shows the log, or megabytes.
 */
#ifndef PIPELIT_LOG_SANITIZE_H
#define PIPELIT_LOG_SANITIZE_H

#include <stddef.h>

/* The longest input kept, in bytes; longer input ends in "...". */
#define LOG_SANITIZE_MAX_INPUT 64
/* A buffer that always suffices: every byte may become \xNN, plus "...". */
#define LOG_SANITIZE_BUF (LOG_SANITIZE_MAX_INPUT * 4 + 4)

/* Copies s into out: control bytes (below 0x20 and 0x7f), '"' and '\\'
 * escaped as \xNN, at most LOG_SANITIZE_MAX_INPUT input bytes.  Bytes of
 * 0x80 and above are kept (UTF-8 names stay readable); NULL gives "". */
void log_sanitize(const char *s, char out[LOG_SANITIZE_BUF]);

#endif
