/*
 * log.h - the server's operational log (stderr, read by the journal).
 *
 * Operational only: the access log of who saw what is audit.c. Never pass tokens,
 * passwords, keys, identity codes or message content to these functions.
 */
#ifndef ADVICE_LOG_H
#define ADVICE_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level max);
enum log_level log_get_level(void);
/* Parses "err", "warn", "notice", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...)	log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
