/*
 * log.h - the server's operational log (stderr, read by the journal).
 *
 * Operational only: the access log of who saw what is audit.c. Never pass tokens,
 * passwords, keys, identity codes or message content to these functions.
 *
 * Format: one line per event, space-separated key=value fields in this order:
 *
 *   ts=2026-05-04T10:11:12.345Z level=notice where=main msg="serving on 127.0.0.1:8080"
 *
 * ts is UTC to the millisecond; level is err, warn, notice, info or debug; where is the
 * function (or "lws" for libwebsockets' own lines). These three never hold a space, '"' or
 * '='. msg is always in double quotes: inside it '"' and '\' are written \" and \\, a line
 * feed, tab and carriage return \n, \t and \r, any other byte below 0x20 and 0x7f \xHH (two
 * lower-case hex digits); every other byte (UTF-8 text) as it is. A message longer than about
 * 1000 bytes is cut short, its quotes still closed. When stderr is the journal's stream
 * ($JOURNAL_STREAM names stderr's device and inode) each line begins with the syslog
 * priority, <3> err, <4> warn, <5> notice, <6> info, <7> debug, which journald takes as the
 * entry's priority and removes.
 */
#ifndef ADVICE_LOG_H
#define ADVICE_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level max);
enum log_level log_get_level(void);
/* Parses "err", "warn", "notice", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Writes `text` into `out` as a quoted msg value (the rules above), NUL-terminated, cut short
 * to fit `size` (at least 3); returns its length (0 when size is too small). */
size_t log_quote(char *out, size_t size, const char *text);

#define log_err(...)	log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
