/*
 * outq.h - the bounded outbound queue of one connection, and the refcounted messages in it.
 *
 * A message is encoded once and may sit in many queues (a push to every subscriber of a
 * topic); each queue holds a reference. Messages keep `headroom` spare bytes in front of
 * the payload so that the network layer can write them in place (LWS_PRE for
 * libwebsockets), but this module knows nothing of sockets. A queue is bounded in message
 * count and in payload bytes; a push that would exceed either bound is refused and the
 * caller decides what to do (net.c disconnects the slow consumer).
 */
#ifndef ADVICE_OUTQ_H
#define ADVICE_OUTQ_H

#include <stddef.h>

struct outq_msg {
	unsigned int refs;
	size_t len;	 /* payload bytes */
	size_t headroom; /* spare bytes before the payload */
	unsigned char buf[];
};

struct outq {
	struct outq_msg **ring; /* capacity `cap`, grown by doubling up to max_msgs */
	size_t cap, head, count;
	size_t bytes;
	size_t max_msgs, max_bytes;
};

/* A message holding a copy of data[0..len) after `headroom` spare bytes, refcount 1.
 * NULL when out of memory. */
struct outq_msg *outq_msg_new(const void *data, size_t len, size_t headroom);
struct outq_msg *outq_msg_ref(struct outq_msg *m);
/* Drops one reference; frees the message with the last one. NULL is ignored. */
void outq_msg_unref(struct outq_msg *m);
/* The payload (after the headroom). */
unsigned char *outq_msg_payload(struct outq_msg *m);

/* An empty queue bounded by max_msgs messages and max_bytes payload bytes (both >= 1). */
void outq_init(struct outq *q, size_t max_msgs, size_t max_bytes);
/*
 * Appends a message, taking a new reference on success. Returns 0, -1 when the queue would
 * exceed one of its bounds (nothing changed: the caller treats this as overflow), or -2 when
 * out of memory (nothing changed).
 */
int outq_push(struct outq *q, struct outq_msg *m);
/* The oldest message without removing it (NULL when empty). */
struct outq_msg *outq_peek(const struct outq *q);
/* The message `i` places after the oldest (0: the oldest), or NULL when there are not that many. */
struct outq_msg *outq_peek_at(const struct outq *q, size_t i);
/* Removes the oldest message and drops the queue's reference to it. No-op when empty. */
void outq_pop(struct outq *q);
/* Empties the queue and frees its storage; the queue stays usable. */
void outq_clear(struct outq *q);
size_t outq_count(const struct outq *q);
size_t outq_bytes(const struct outq *q);

#endif
