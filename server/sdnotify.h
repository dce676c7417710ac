/*
 * sdnotify.h - adviced's state for its service manager (systemd's Type=notify): ready,
 * reloading, stopping, and a status line. Each call does nothing when adviced was not
 * started by a service manager that asked for it ($NOTIFY_SOCKET unset).
 */
#ifndef ADVICE_SDNOTIFY_H
#define ADVICE_SDNOTIFY_H

/* The listener is open and requests are served. */
void sdnotify_ready(void);
/* A reload (SIGHUP) has begun; sdnotify_ready() says it has ended. */
void sdnotify_reloading(void);
/* The drain before exit has begun. */
void sdnotify_stopping(void);
/* A one-line status shown by `systemctl status` (no personal data). */
void sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
