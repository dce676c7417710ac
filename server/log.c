/*
 * log.c - the operational log: one key=value line per event on stderr (format in log.h), with
 * the syslog priority prefix when stderr is the journal's stream.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Atomic: a SIGHUP reload sets it on the network thread while every thread logs. */
static _Atomic int max_level = LOG_NOTICE;
static const char *const level_names[] = { "err", "warn", "notice", "info", "debug" };
/* syslog(3)'s priorities of the levels: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG. */
static const int level_priorities[] = { 3, 4, 5, 6, 7 };

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int to_journal; /* stderr is the journal's stream: lines begin with <N> */

void log_set_level(enum log_level max)
{
	atomic_store_explicit(&max_level, (int)max, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&max_level, memory_order_relaxed);
}

int log_level_parse(const char *name)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

/* Whether stderr is the stream systemd connected to the journal: $JOURNAL_STREAM is its
 * "device:inode" (a redirected stderr keeps the variable but not the file). */
static void detect_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	to_journal = v != NULL && sscanf(v, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &sb) == 0 &&
		     (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

size_t log_quote(char *out, size_t size, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (size < 3)
		return 0;
	out[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		char esc[5];
		size_t len = 0;

		if (*p == '"' || *p == '\\') {
			esc[len++] = '\\';
			esc[len++] = (char)*p;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			esc[len++] = '\\';
			esc[len++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
		} else if (*p < 0x20 || *p == 0x7f) {
			esc[len++] = '\\';
			esc[len++] = 'x';
			esc[len++] = hex[*p >> 4];
			esc[len++] = hex[*p & 15];
		} else {
			esc[len++] = (char)*p;
		}
		if (n + len + 2 > size)
			break; /* cut short, still closed */
		memcpy(out + n, esc, len);
		n += len;
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

void log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	char msg[1024], quoted[1200], line[1600], prefix[8] = "";
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if ((int)level > atomic_load_explicit(&max_level, memory_order_relaxed))
		return;
	pthread_once(&journal_once, detect_journal);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_quote(quoted, sizeof quoted, msg);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (to_journal)
		snprintf(prefix, sizeof prefix, "<%d>", level_priorities[level]);
	n = snprintf(line, sizeof line,
		     "%sts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s where=%s msg=%s\n", prefix,
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000, level_names[level], func, quoted);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	/* One write per line, so that lines of different threads do not interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
