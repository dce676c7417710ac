/*
 * advice_loop.c - libadvice's event loop as the calls of advice_http.c and advice_ws.c wait
 * on it: the monotonic clock their timeouts are measured on and one turn of lws_service()
 * bounded by a deadline.
 */
#include <time.h>

#include "advice_int.h"

int64_t advice__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wake timer's expiry only ends lws_service()'s wait. */
static void advice__wake(lws_sorted_usec_list_t *sul)
{
	(void)sul;
}

int advice__pump(struct advice_client *c, int64_t deadline_ms)
{
	int64_t wait = deadline_ms - advice__now_ms();
	int rc;

	if (wait < 0)
		wait = 0;
	/* lws sleeps until the next event or timer: the timer bounds our wait. */
	lws_sul_schedule(c->ctx, 0, &c->wake, advice__wake, (lws_usec_t)(wait * 1000 + 1));
	rc = lws_service(c->ctx, 0);
	lws_sul_schedule(c->ctx, 0, &c->wake, NULL, LWS_SET_TIMER_USEC_CANCEL);
	return rc < 0 ? -1 : 0;
}
