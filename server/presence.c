/*
 * presence.c - the set of topics with a subscriber (presence.h): a chained hash table that
 * doubles as it fills, under one mutex.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "presence.h"

#define BUCKETS0 256

struct entry {
	struct entry *next;
	char topic[PRESENCE_TOPIC_MAX];
};

struct presence {
	pthread_mutex_t lock; /* guards everything below */
	struct entry **buckets;
	size_t nbuckets, n;
	int lost; /* an add failed: answer 1 for every topic */
};

/* FNV-1a: topics are our own names (user and unit ids), not chosen by clients. */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (size_t)h;
}

struct presence *presence_new(void)
{
	struct presence *p = calloc(1, sizeof *p);

	if (p == NULL || (p->buckets = calloc(BUCKETS0, sizeof *p->buckets)) == NULL) {
		free(p);
		return NULL;
	}
	p->nbuckets = BUCKETS0;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void presence_free(struct presence *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nbuckets; i++)
		for (struct entry *e = p->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(p->buckets);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The link that points at `topic`'s entry, or at the NULL ending its chain. Locked. */
static struct entry **find(const struct presence *p, const char *topic)
{
	struct entry **e = &p->buckets[hash(topic) % p->nbuckets];

	while (*e != NULL && strcmp((*e)->topic, topic) != 0)
		e = &(*e)->next;
	return e;
}

/* Doubles the table when it holds more entries than buckets; keeps it as is when memory is
 * short (chains grow longer, nothing is lost). Locked. */
static void grow(struct presence *p)
{
	size_t n = p->nbuckets * 2;
	struct entry **b;

	if (p->n <= p->nbuckets || (b = calloc(n, sizeof *b)) == NULL)
		return;
	for (size_t i = 0; i < p->nbuckets; i++)
		for (struct entry *e = p->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			e->next = b[hash(e->topic) % n];
			b[hash(e->topic) % n] = e;
		}
	free(p->buckets);
	p->buckets = b;
	p->nbuckets = n;
}

int presence_add(struct presence *p, const char *topic)
{
	struct entry **link, *e;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	link = find(p, topic);
	if (*link == NULL) {
		if (strlen(topic) >= PRESENCE_TOPIC_MAX || (e = calloc(1, sizeof *e)) == NULL) {
			p->lost = 1;
			rc = -1;
		} else {
			memcpy(e->topic, topic, strlen(topic) + 1);
			*link = e;
			p->n++;
			grow(p);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void presence_remove(struct presence *p, const char *topic)
{
	struct entry **link, *e;

	pthread_mutex_lock(&p->lock);
	link = find(p, topic);
	if ((e = *link) != NULL) {
		*link = e->next;
		free(e);
		p->n--;
	}
	pthread_mutex_unlock(&p->lock);
}

int presence_has(const struct presence *p, const char *topic)
{
	struct presence *m = (struct presence *)p; /* the lock is not part of the value */
	int rc;

	if (p == NULL)
		return 1;
	pthread_mutex_lock(&m->lock);
	rc = p->lost || *find(p, topic) != NULL;
	pthread_mutex_unlock(&m->lock);
	return rc;
}
