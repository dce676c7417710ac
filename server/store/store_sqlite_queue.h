/*
 * store_sqlite_queue.h - the duty-queue operations of the SQLite store (store.h, issue 5),
 * kept in their own file. Only store_sqlite.c and store_sqlite_queue.c include this.
 */
#ifndef ADVICE_STORE_SQLITE_QUEUE_H
#define ADVICE_STORE_SQLITE_QUEUE_H

#include <sqlite3.h>

#include "store.h"

struct sqq_cache; /* the prepared statements of this file, per store */

/* Migration 2: the tables of the duty queues. */
extern const char store_sqlite_queue_migration[];

/* Provided by store_sqlite.c: the slot of this file's statement cache. */
struct sqq_cache **store_sqlite_queue_slot(struct store *st);
/* Finalizes the cached statements (called by the store's close). */
void store_sqlite_queue_close(struct sqq_cache *c);

int sqq_unit_settings_get(struct store *st, const char *unit_id, struct store_unit_settings *out);
int sqq_unit_settings_put(struct store *st, const struct store_unit_settings *s);
int sqq_queue_get(struct store *st, const char *queue_id, struct store_queue *out);
int sqq_queue_settings_get(struct store *st, const char *queue_id, struct store_queue_settings *out);
int sqq_queue_settings_put(struct store *st, const struct store_queue_settings *s);
int sqq_route_get(struct store *st, const char *category, const char *lang, char queue_id[STORE_ID_SIZE]);
int sqq_route_put(struct store *st, const char *category, const char *lang, const char *queue_id);
int sqq_closed_day_put(struct store *st, int32_t day, const char *name);
int sqq_closed_day_delete(struct store *st, int32_t day);
int sqq_closed_day_list(struct store *st, int32_t *out, size_t max, size_t *n);
int sqq_roster_add(struct store *st, struct store_roster *r);
int sqq_roster_delete(struct store *st, int64_t id);
int sqq_roster_list(struct store *st, const char *unit_id, const char *user_id, store_roster_cb cb,
		    void *arg);
int sqq_duty_get(struct store *st, const char *user_id, struct store_duty *out);
int sqq_duty_put(struct store *st, const struct store_duty *d);
int sqq_unit_members(struct store *st, const char *unit_id, store_member_cb cb, void *arg);
int sqq_clock_get(struct store *st, const char *thread_id, struct store_clock *out);
int sqq_clock_put(struct store *st, const struct store_clock *c);
int sqq_clock_due(struct store *st, int64_t now, int limit, store_clock_cb cb, void *arg);
int sqq_queue_stats(struct store *st, const char *unit_id, store_queue_stats_cb cb, void *arg);
int sqq_reassign_insert(struct store *st, const struct store_reassign *r);
int sqq_contact_get(struct store *st, const char *citizen_id, struct store_contact *out);
int sqq_contact_put(struct store *st, const struct store_contact *c);
int sqq_contact_delete(struct store *st, const char *citizen_id);
int sqq_outbox_add(struct store *st, const struct store_outbox *o);
int sqq_outbox_next(struct store *st, int64_t now, struct store_outbox *out);
int sqq_outbox_get(struct store *st, const char *id, struct store_outbox *out);
int sqq_outbox_update(struct store *st, const struct store_outbox *o);
int sqq_outbox_recover(struct store *st, int64_t now);

#endif
