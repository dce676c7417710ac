/*
 * keepalive.c - the schedule of pings and idle hang-ups of the WebSockets (keepalive.h).
 *
 * A timing wheel: one list per second, more slots than the longest delay in seconds, so that
 * every entry in the slot of a second that has come is due (after a stall of the loop longer
 * than the wheel, an entry not yet due is put back). Scheduling and unscheduling are O(1);
 * a tick looks only at the slots of the seconds since the last one.
 */
#include <assert.h>
#include <stdlib.h>

#include "keepalive.h"

static void ka_link(struct ka_entry **head, struct ka_entry *e)
{
	e->head = head;
	e->prev = NULL;
	e->next = *head;
	if (*head != NULL)
		(*head)->prev = e;
	*head = e;
}

static void ka_unlink(struct ka_entry *e)
{
	if (e->head == NULL)
		return;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		*e->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->head = NULL;
}

/* The second whose slot holds a deadline: rounded up, so that the slot of a second that has
 * come holds only deadlines that have. */
static int64_t ka_second_of(int64_t ms)
{
	return ms >= 0 ? (ms + 999) / 1000 : ms / 1000;
}

static void ka_schedule(struct ka_wheel *w, struct ka_entry *e, int64_t due_ms)
{
	if (e->head == NULL)
		w->count++;
	ka_unlink(e);
	e->due_ms = due_ms;
	ka_link(&w->slots[(size_t)ka_second_of(due_ms) & w->mask], e);
}

int ka_init(struct ka_wheel *w, int ping_interval_s, int idle_timeout_s, int64_t now_ms)
{
	size_t n = 8;

	assert(ping_interval_s >= 1 && idle_timeout_s > ping_interval_s);
	/* A deadline is at most idle_timeout_s ahead (ka_next_due), in a slot rounded up. */
	while (n <= (size_t)idle_timeout_s + 2)
		n *= 2;
	w->slots = calloc(n, sizeof(*w->slots));
	if (w->slots == NULL)
		return -1;
	w->run = NULL;
	w->mask = n - 1;
	w->half_ms = (int64_t)ping_interval_s * 500;
	w->idle_ms = (int64_t)idle_timeout_s * 1000;
	w->done_s = now_ms / 1000;
	w->count = 0;
	return 0;
}

void ka_free(struct ka_wheel *w)
{
	free(w->slots);
	w->slots = NULL;
	w->run = NULL;
	w->count = 0;
}

int64_t ka_ping_time(int64_t alive_ms, int64_t half_ms, int64_t phase_ms)
{
	int64_t base = alive_ms + half_ms, r = (phase_ms - base) % half_ms;

	if (r < 0)
		r += half_ms;
	return base + r;
}

void ka_start(struct ka_wheel *w, struct ka_entry *e, uint64_t key, int64_t now_ms)
{
	/* Fibonacci hashing: consecutive ids get phases far apart. */
	uint64_t h = (key * UINT64_C(0x9E3779B97F4A7C15)) >> 32;

	e->phase_ms = (int64_t)(h % (uint64_t)w->half_ms);
	e->alive_ms = e->sched_alive_ms = now_ms;
	e->pinged = 0;
	ka_schedule(w, e, ka_ping_time(now_ms, w->half_ms, e->phase_ms));
}

void ka_alive(struct ka_wheel *w, struct ka_entry *e, int64_t now_ms)
{
	e->alive_ms = now_ms;
	if (!e->pinged || e->head == NULL)
		return; /* its ping deadline sees the sign of life when it comes */
	e->pinged = 0;
	e->sched_alive_ms = now_ms;
	ka_schedule(w, e, ka_ping_time(now_ms, w->half_ms, e->phase_ms));
}

void ka_stop(struct ka_wheel *w, struct ka_entry *e)
{
	if (e->head == NULL)
		return;
	ka_unlink(e);
	assert(w->count > 0);
	w->count--;
}

/* Moves the next slot (of second done_s + 1) to the run list. */
static void ka_take_slot(struct ka_wheel *w)
{
	size_t i = (size_t)++w->done_s & w->mask;

	assert(w->run == NULL);
	w->run = w->slots[i];
	w->slots[i] = NULL;
	for (struct ka_entry *e = w->run; e != NULL; e = e->next)
		e->head = &w->run;
}

/* What a due entry `e` (taken off the run list, no longer counted) needs at `now_ms`: KA_NONE
 * when it was moved on, else the action (a ping leaves it scheduled for its hang-up). */
static enum ka_action ka_due(struct ka_wheel *w, struct ka_entry *e, int64_t now_ms)
{
	int64_t at;

	if (e->alive_ms != e->sched_alive_ms) { /* a sign of life since the deadline was set */
		e->pinged = 0;
		e->sched_alive_ms = e->alive_ms;
		at = ka_ping_time(e->alive_ms, w->half_ms, e->phase_ms);
		if (at > now_ms) {
			ka_schedule(w, e, at);
			return KA_NONE;
		}
	}
	if (e->pinged)
		return KA_HANG_UP;
	/* idle_timeout_s after the last sign of life; after a stall of the loop, at least the time
	 * to answer that a ping on time leaves. */
	at = e->alive_ms + w->idle_ms;
	if (at < now_ms + w->idle_ms - 2 * w->half_ms)
		at = now_ms + w->idle_ms - 2 * w->half_ms;
	e->pinged = 1;
	ka_schedule(w, e, at);
	return KA_PING;
}

struct ka_entry *ka_next_due(struct ka_wheel *w, int64_t now_ms, enum ka_action *action)
{
	int64_t now_s = now_ms / 1000;
	struct ka_entry *e;

	/* After a stall longer than the wheel, one turn of it looks at every slot. */
	if (w->run == NULL && now_s - w->done_s > (int64_t)w->mask + 1)
		w->done_s = now_s - (int64_t)w->mask - 1;
	for (;;) {
		while ((e = w->run) != NULL) {
			ka_stop(w, e);
			if (e->due_ms > now_ms) { /* a turn of the wheel ahead */
				ka_schedule(w, e, e->due_ms);
				continue;
			}
			*action = ka_due(w, e, now_ms);
			if (*action != KA_NONE)
				return e;
		}
		if (w->done_s >= now_s)
			return NULL;
		ka_take_slot(w);
	}
}
