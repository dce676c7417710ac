/*
 * hmap.c - the intrusive hash table (hmap.h). Keys are hashed with 64-bit FNV-1a; the hash
 * is kept in the node, so growing never hashes again and a lookup compares keys only when
 * the hashes match.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

static uint64_t hmap_hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static size_t hmap_key_len(const struct hmap *m, const void *key)
{
	return m->key_len != HMAP_STRING ? m->key_len : strlen(key);
}

static uint64_t hmap_hash(const struct hmap *m, const void *key)
{
	return hmap_hash_bytes(key, hmap_key_len(m, key));
}

static const void *hmap_key_of(const struct hmap *m, const struct hmap_node *node)
{
	return (const char *)node - m->node_off + m->key_off;
}

static struct hmap_node *hmap_node_of(const struct hmap *m, const void *entry)
{
	return (struct hmap_node *)((char *)entry + m->node_off);
}

static void *hmap_entry_of(const struct hmap *m, const struct hmap_node *node)
{
	return node == NULL ? NULL : (char *)node - m->node_off;
}

static size_t hmap_slot(const struct hmap *m, uint64_t hash)
{
	return (size_t)(hash ^ (hash >> 32)) & (m->nbuckets - 1);
}

static int hmap_key_equal(const struct hmap *m, const struct hmap_node *node, const void *key)
{
	const void *k = hmap_key_of(m, node);

	return m->key_len != HMAP_STRING ? memcmp(k, key, m->key_len) == 0 : strcmp(k, key) == 0;
}

int hmap_init(struct hmap *m, size_t buckets, size_t node_off, size_t key_off, size_t key_len)
{
	size_t nb = 1;

	while (nb < buckets)
		nb *= 2;
	memset(m, 0, sizeof *m);
	m->node_off = node_off;
	m->key_off = key_off;
	m->key_len = key_len;
	if ((m->buckets = calloc(nb, sizeof *m->buckets)) == NULL)
		return -1;
	m->nbuckets = nb;
	return 0;
}

void hmap_destroy(struct hmap *m)
{
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = 0;
	m->count = 0;
}

/* The first node at or after `node` in its chain whose key is `key` (hash `hash`). */
static struct hmap_node *hmap_chain_find(const struct hmap *m, struct hmap_node *node, uint64_t hash,
					 const void *key)
{
	for (; node != NULL; node = node->next)
		if (node->hash == hash && hmap_key_equal(m, node, key))
			return node;
	return NULL;
}

void *hmap_find(const struct hmap *m, const void *key)
{
	uint64_t hash;

	if (m->nbuckets == 0)
		return NULL;
	hash = hmap_hash(m, key);
	return hmap_entry_of(m, hmap_chain_find(m, m->buckets[hmap_slot(m, hash)], hash, key));
}

void *hmap_find_next(const struct hmap *m, const void *entry)
{
	const struct hmap_node *node = hmap_node_of(m, entry);

	return hmap_entry_of(m, hmap_chain_find(m, node->next, node->hash, hmap_key_of(m, node)));
}

/* Doubles the bucket array; on failure the table keeps its size (chains get longer). */
static void hmap_grow(struct hmap *m)
{
	size_t nb = m->nbuckets * 2, old = m->nbuckets;
	struct hmap_node **ob = m->buckets, **b = calloc(nb, sizeof *b);

	if (b == NULL)
		return;
	m->buckets = b;
	m->nbuckets = nb;
	for (size_t i = 0; i < old; i++) {
		struct hmap_node *node = ob[i], *next;

		for (; node != NULL; node = next) {
			size_t s = hmap_slot(m, node->hash);

			next = node->next;
			node->next = b[s];
			b[s] = node;
		}
	}
	free(ob);
}

void hmap_insert(struct hmap *m, void *entry)
{
	struct hmap_node *node = hmap_node_of(m, entry);
	size_t s;

	assert(m->nbuckets > 0);
	if (m->count >= m->nbuckets)
		hmap_grow(m);
	node->hash = hmap_hash(m, hmap_key_of(m, node));
	s = hmap_slot(m, node->hash);
	node->next = m->buckets[s];
	m->buckets[s] = node;
	m->count++;
}

void hmap_remove(struct hmap *m, void *entry)
{
	struct hmap_node *node = hmap_node_of(m, entry), **pp;

	for (pp = &m->buckets[hmap_slot(m, node->hash)]; *pp != NULL && *pp != node; pp = &(*pp)->next)
		;
	assert(*pp == node); /* only entries in the table are removed */
	if (*pp != node)
		return;
	*pp = node->next;
	node->next = NULL;
	m->count--;
}

void hmap_iter_init(struct hmap_iter *it, const struct hmap *m)
{
	it->m = m;
	it->bucket = 0;
	it->next = NULL;
}

void *hmap_iter_next(struct hmap_iter *it)
{
	struct hmap_node *node = it->next;

	while (node == NULL && it->bucket < it->m->nbuckets)
		node = it->m->buckets[it->bucket++];
	if (node == NULL)
		return NULL;
	it->next = node->next; /* taken now: the caller may remove `node` */
	return hmap_entry_of(it->m, node);
}
