/*
 * store_sqlite_identity.c - identity operations of the SQLite store: the record of used
 * bank-ID logins that makes each login (and the nonce derived from it) good once.
 * Logins are rare, so statements are prepared per call.
 */
#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_identity.h"

const char store_sqlite_identity_migration[] =
	"CREATE TABLE bank_logins(login_hash BLOB PRIMARY KEY, used INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX bank_logins_by_time ON bank_logins(used);";

/* Runs `sql` with the hash and a time bound as ?1 and ?2. STORE_OK, STORE_EXISTS or STORE_ERROR. */
static int sqi_run(struct store *st, const char *sql, const uint8_t *hash, int64_t t)
{
	sqlite3 *db = store_sqlite_db(st);
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		log_err("prepare: %s", sqlite3_errmsg(db));
		return STORE_ERROR;
	}
	if (hash != NULL)
		sqlite3_bind_blob(q, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, t);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EXISTS;
	log_err("step: %s", sqlite3_errmsg(db));
	return STORE_ERROR;
}

int sqi_bank_login_use(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now,
		       int64_t forget_before)
{
	if (sqi_run(st, "DELETE FROM bank_logins WHERE used < ?2", NULL, forget_before) != STORE_OK)
		return STORE_ERROR;
	return sqi_run(st, "INSERT INTO bank_logins(login_hash, used) VALUES(?1, ?2)", hash, now);
}
