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

/* Provided by store_sqlite.c: the store's connection. */
sqlite3 *store_sqlite_db(struct store *st);

int sqi_bank_login_use(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now,
		       int64_t forget_before);

#endif
