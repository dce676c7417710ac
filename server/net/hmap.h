/*
 * hmap.h - a small intrusive hash table: the entries embed a struct hmap_node and carry
 * their own key (fixed-size bytes, or a NUL-terminated string), so the table allocates
 * nothing but its bucket array. Chained buckets, doubled when the table holds more entries
 * than buckets; lookups, insertions and removals are O(1) on average. Several entries may
 * share a key (hmap_find_next walks them). Not thread-safe.
 *
 * The network layer's connection table (by id), topics (by name) and session index (by
 * session hash) are three of these.
 */
#ifndef ADVICE_HMAP_H
#define ADVICE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_node {
	struct hmap_node *next;
	uint64_t hash;
};

struct hmap {
	struct hmap_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	size_t node_off; /* offsetof(entry, its struct hmap_node) */
	size_t key_off;	 /* offsetof(entry, its key) */
	size_t key_len;	 /* bytes of the key; HMAP_STRING: a NUL-terminated char array */
};

#define HMAP_STRING 0

/*
 * Sets up an empty table for entries whose node is at `node_off` and whose key is `key_len`
 * bytes (HMAP_STRING for a string) at `key_off`, with `buckets` buckets (rounded up to a power
 * of two, at least 1). 0, or -1 when out of memory.
 */
int hmap_init(struct hmap *m, size_t buckets, size_t node_off, size_t key_off, size_t key_len);
/* Frees the bucket array (not the entries). The table is empty and unusable afterwards. */
void hmap_destroy(struct hmap *m);

/* An entry whose key equals `key`, or NULL. */
void *hmap_find(const struct hmap *m, const void *key);
/* The next entry after `entry` with the same key, or NULL. */
void *hmap_find_next(const struct hmap *m, const void *entry);
/* Adds an entry (its key already set; not already in the table). Grows the table when it
 * holds more entries than buckets; when that memory is not there it only gets fuller. */
void hmap_insert(struct hmap *m, void *entry);
/* Removes an entry that is in the table. */
void hmap_remove(struct hmap *m, void *entry);

/* Iteration in no particular order. The entry just returned may be removed (or freed after
 * its removal) before asking for the next one; no other change is allowed meanwhile. */
struct hmap_iter {
	const struct hmap *m;
	size_t bucket;
	struct hmap_node *next;
};
void hmap_iter_init(struct hmap_iter *it, const struct hmap *m);
/* The next entry, or NULL at the end. */
void *hmap_iter_next(struct hmap_iter *it);

#endif
