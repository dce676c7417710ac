/*
 * outq.c - bounded per-connection outbound queue of refcounted messages (see outq.h).
 *
 * The queue is a ring of message pointers that grows by doubling, never beyond max_msgs
 * entries, so its memory is bounded by max_msgs pointers plus max_bytes of payload (shared
 * messages counted once per queue).
 */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outq.h"

#define OUTQ_MIN_CAP 8

struct outq_msg *outq_msg_new(const void *data, size_t len, size_t headroom)
{
	struct outq_msg *m;

	if (len > SIZE_MAX - sizeof(*m) - headroom - 1)
		return NULL;
	m = malloc(sizeof(*m) + headroom + len + 1);
	if (m == NULL)
		return NULL;
	m->refs = 1;
	m->len = len;
	m->headroom = headroom;
	if (len > 0)
		memcpy(m->buf + headroom, data, len);
	m->buf[headroom + len] = '\0';
	return m;
}

struct outq_msg *outq_msg_ref(struct outq_msg *m)
{
	assert(m->refs > 0 && m->refs < UINT_MAX);
	m->refs++;
	return m;
}

void outq_msg_unref(struct outq_msg *m)
{
	if (m == NULL)
		return;
	assert(m->refs > 0);
	if (--m->refs == 0)
		free(m);
}

unsigned char *outq_msg_payload(struct outq_msg *m)
{
	return m->buf + m->headroom;
}

void outq_init(struct outq *q, size_t max_msgs, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_msgs = max_msgs > 0 ? max_msgs : 1;
	q->max_bytes = max_bytes > 0 ? max_bytes : 1;
}

/* Doubles the ring (bounded by max_msgs), keeping the order. 0 or -1 when out of memory. */
static int outq_grow(struct outq *q)
{
	size_t ncap = q->cap ? q->cap * 2 : OUTQ_MIN_CAP;
	struct outq_msg **nring;

	if (ncap > q->max_msgs)
		ncap = q->max_msgs;
	assert(q->count == q->cap && ncap > q->count); /* grown only when full, and never past max_msgs */
	nring = malloc(ncap * sizeof(*nring));
	if (nring == NULL)
		return -1;
	for (size_t i = 0; i < q->count; i++)
		nring[i] = q->ring[(q->head + i) % q->cap];
	free(q->ring);
	q->ring = nring;
	q->cap = ncap;
	q->head = 0;
	return 0;
}

int outq_push(struct outq *q, struct outq_msg *m)
{
	if (q->count + 1 > q->max_msgs || m->len > q->max_bytes - q->bytes)
		return -1;
	if (q->count == q->cap && outq_grow(q) < 0)
		return -2;
	q->ring[(q->head + q->count) % q->cap] = outq_msg_ref(m);
	q->count++;
	q->bytes += m->len;
	assert(q->count <= q->cap && q->count <= q->max_msgs && q->bytes <= q->max_bytes);
	return 0;
}

struct outq_msg *outq_peek(const struct outq *q)
{
	if (q->count == 0)
		return NULL;
	return q->ring[q->head];
}

struct outq_msg *outq_peek_at(const struct outq *q, size_t i)
{
	if (i >= q->count)
		return NULL;
	return q->ring[(q->head + i) % q->cap];
}

void outq_pop(struct outq *q)
{
	struct outq_msg *m;

	if (q->count == 0)
		return;
	m = q->ring[q->head];
	assert(m != NULL);
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->count--;
	assert(q->bytes >= m->len);
	q->bytes -= m->len;
	outq_msg_unref(m);
	if (q->count == 0)
		q->head = 0;
}

void outq_clear(struct outq *q)
{
	while (q->count > 0)
		outq_pop(q);
	free(q->ring);
	q->ring = NULL;
	assert(q->bytes == 0); /* every message's bytes were counted out */
	q->cap = 0;
	q->head = 0;
	q->bytes = 0;
}

size_t outq_count(const struct outq *q)
{
	return q->count;
}

size_t outq_bytes(const struct outq *q)
{
	return q->bytes;
}
