/*
 * keepalive.h - when each WebSocket is pinged and when it is hung up, on a timing wheel of
 * one-second slots. Plain C: the network layer (net_conn.c) sends the pings and hangs up.
 *
 * A connection silent for half of ping_interval_s is pinged at the next point of its own
 * phase (every half interval, offset by a hash of its key), so within between half the
 * interval and the interval of silence: connections opened in a burst are pinged spread over
 * half an interval, not in a burst of their own every interval. Once pinged, a connection
 * that has said nothing for idle_timeout_s since its last sign of life is hung up.
 *
 * A sign of life (ka_alive) costs a store unless the connection is pinged: a deadline that
 * comes is checked against the last sign of life and moved on when there was one since.
 */
#ifndef ADVICE_KEEPALIVE_H
#define ADVICE_KEEPALIVE_H

#include <stddef.h>
#include <stdint.h>

/* One connection's place in the schedule (embedded in the connection). */
struct ka_entry {
	struct ka_entry *prev, *next; /* in the list *head: the slot of due_ms, or the one being run */
	struct ka_entry **head;	      /* NULL: in no list */
	int64_t alive_ms;	      /* the last sign of life */
	int64_t sched_alive_ms;	      /* the sign of life due_ms was computed from */
	int64_t due_ms;		      /* ping (not pinged) or hang up (pinged) then */
	int64_t phase_ms;	      /* in [0, half the interval) */
	int pinged;		      /* pinged, no sign of life since */
};

struct ka_wheel {
	struct ka_entry **slots; /* list heads; slot of a deadline: its second, rounded up */
	struct ka_entry *run;	 /* the entries of the slot being run */
	size_t mask;		 /* slots - 1 (a power of two, more than the longest delay in s) */
	int64_t half_ms;	 /* half of ping_interval_s */
	int64_t idle_ms;	 /* idle_timeout_s */
	int64_t done_s;		 /* slots up to this second are run */
	size_t count;		 /* entries linked */
};

/* What ka_next_due says is due. */
enum ka_action { KA_NONE, KA_PING, KA_HANG_UP };

/* An empty schedule (ping_interval_s >= 1, idle_timeout_s > ping_interval_s) whose slots
 * before `now_ms` count as run. 0, or -1 when out of memory. */
int ka_init(struct ka_wheel *w, int ping_interval_s, int idle_timeout_s, int64_t now_ms);
void ka_free(struct ka_wheel *w);

/* The first point of `phase_ms` (modulo `half_ms`) at least `half_ms` after `alive_ms`: when a
 * connection silent since then is pinged. */
int64_t ka_ping_time(int64_t alive_ms, int64_t half_ms, int64_t phase_ms);

/* Schedules a new connection, alive at `now_ms`, with the phase hashed from `key` (its id). */
void ka_start(struct ka_wheel *w, struct ka_entry *e, uint64_t key, int64_t now_ms);
/* A sign of life (a message, a pong) at `now_ms`. O(1); a store unless pinged. */
void ka_alive(struct ka_wheel *w, struct ka_entry *e, int64_t now_ms);
/* Takes the entry out of the schedule (a no-op when it is in none). */
void ka_stop(struct ka_wheel *w, struct ka_entry *e);

/*
 * The next entry due by `now_ms`, with what to do in *action, or NULL when none is. A ping
 * leaves the entry scheduled for its hang-up; a hang-up takes it out of the schedule.
 * Entries whose deadline came after a sign of life are moved on without being returned.
 * Call until NULL at each tick.
 */
struct ka_entry *ka_next_due(struct ka_wheel *w, int64_t now_ms, enum ka_action *action);

#endif
