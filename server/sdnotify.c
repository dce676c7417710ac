/*
 * sdnotify.c - adviced's state for systemd through libsystemd's sd_notify(). The reload
 * message carries MONOTONIC_USEC, which Type=notify-reload (systemd 253 and later) needs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "sdnotify.h"

/* sd_notify's failures are not fatal: a service manager that cannot hear us times us out. */
static void send_state(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		log_warn("cannot tell the service manager (%s): error %d", state, -rc);
}

void sdnotify_ready(void)
{
	send_state("READY=1");
}

void sdnotify_reloading(void)
{
	struct timespec now;
	char state[64];

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000ULL);
	send_state(state);
}

void sdnotify_stopping(void)
{
	send_state("STOPPING=1");
}

void sdnotify_status(const char *fmt, ...)
{
	char state[256];
	int n = snprintf(state, sizeof state, "STATUS=");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(state + n, sizeof state - (size_t)n, fmt, ap);
	va_end(ap);
	send_state(state);
}
