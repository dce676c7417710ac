/*
 * retention.h - when a thread's retention ends (PROTOCOL.md §14.10): the register's rule for
 * its category, counted from its close or from the end of the citizen's client relationship
 * (no thread open, the last close); and, once the thread's current epoch was handed over to
 * the client record, seed 002's channel copy rule: channel_copy_days after the relationship
 * ends. Pure: the caller gives the facts and the time, so tests run on any clock.
 */
#ifndef ADVICE_RETENTION_H
#define ADVICE_RETENTION_H

#include <stdint.h>

#include "register.h"
#include "store.h"

struct retention_verdict {
	int64_t due;	  /* when the thread goes; 0: not yet known (the relationship goes on) */
	int channel_copy; /* due is the channel copy's time (handed over) */
	int64_t held_at;  /* the channel copy would go then but was not handed over; 0: none */
	char rule[96];	  /* which rule gave `due` ("adult-social-work: 10 years from close") */
};

/* The verdict for a closed thread `c`; `handed_over`: its current epoch went to the record. */
void retention_judge(const struct register_doc *reg, const struct store_retention_candidate *c,
		     int handed_over, struct retention_verdict *v);

/* Whether the thread is due at `now`: its time has come (due != 0 and due <= now). */
int retention_is_due(const struct retention_verdict *v, int64_t now);

#endif
