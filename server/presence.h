/*
 * presence.h - which live-event topics have a subscriber now, shared by the network thread
 * (which subscribes connections) and the core thread (which asks before it computes an event
 * nobody would receive, such as a unit's dashboard for its supervisors).
 *
 * A set of topic names under a mutex: the network thread adds a topic when its first
 * connection subscribes and removes it when the last one leaves; presence_has is O(1).
 * The answer may be stale by the time the event is routed; that is harmless both ways (an
 * event for a topic that just emptied is dropped by the router, and a connection that just
 * subscribed fetches the current state itself, as it does after every connect).
 */
#ifndef ADVICE_PRESENCE_H
#define ADVICE_PRESENCE_H

#define PRESENCE_TOPIC_MAX 48 /* bytes of a topic name with its NUL, as struct core_push's */

struct presence;

/* A new, empty set; NULL when out of memory. */
struct presence *presence_new(void);
void presence_free(struct presence *p); /* NULL is fine */
/* Adds or removes `topic`. presence_add returns 0, or -1 when the name is too long or memory
 * ran out (presence_has then answers 1 for every topic: unsure means present). */
int presence_add(struct presence *p, const char *topic);
void presence_remove(struct presence *p, const char *topic);
/* Whether `topic` has a subscriber: 1 or 0; 1 when `p` is NULL. */
int presence_has(const struct presence *p, const char *topic);

#endif
