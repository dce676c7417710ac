/*
 * store_sqlite_identity.h - the identity operations of the SQLite store (store.h, issue 3:
 * single-use bank-ID logins), kept in their own file. Only store_sqlite.c and
 * store_sqlite_identity.c include this.
 */
#ifndef ADVICE_STORE_SQLITE_IDENTITY_H
#define ADVICE_STORE_SQLITE_IDENTITY_H

#include <sqlite3.h>

#include "store.h"

/* Migration 3: the table of used bank-ID logins. */
extern const char store_sqlite_identity_migration[];

int sqi_bank_login_use(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now,
		       int64_t forget_before);

/* Migration 5: staff accounts' second factor, setup codes and end dates, role ends, failed
 * logins of unknown names, session indexes. */
extern const char store_sqlite_staff_migration[];

int sqi_staff_get(struct store *st, const char *user_id, struct store_staff *out);
int sqi_staff_put(struct store *st, const struct store_staff *s);
int sqi_worker_set_auth(struct store *st, const char *user_id, const uint8_t auth_hash[STORE_HASH_BYTES]);
int sqi_ghost_get(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int *failures,
		  int64_t *locked_until, int *disabled);
int sqi_ghost_put(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int failures,
		  int64_t locked_until, int disabled, int64_t now);
int sqi_role_end_set(struct store *st, const char *user_id, const char *unit_id, int64_t ends);
int sqi_role_expire(struct store *st, const char *user_id, int64_t now, store_role_end_cb cb, void *arg);
int sqi_role_ended_any(struct store *st, const char *user_id);
int sqi_session_end_due(struct store *st, int64_t now, int limit, store_session_end_cb cb, void *arg);
int sqi_session_revoke_user(struct store *st, const char *user_id, store_session_end_cb cb, void *arg);

#endif
