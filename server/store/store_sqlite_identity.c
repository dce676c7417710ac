/*
 * store_sqlite_identity.c - citizens' identity in the SQLite store (struct
 * store_identity_ops): citizens keyed by the keyed hash of their identity code, and the record
 * of used bank-ID logins that makes each login (and the nonce derived from it) good once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum identity_stmt { S_CITIZEN_GET, S_CITIZEN_INSERT, STMT__COUNT };

static const char *const stmt_sql[STMT__COUNT] = {
	[S_CITIZEN_GET] = "SELECT user_id FROM citizens WHERE hetu_hash = ?1",
	[S_CITIZEN_INSERT] = "INSERT INTO citizens(user_id, hetu_hash) VALUES(?1, ?2)",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum identity_stmt id)
{
	return sqs_kept(st, SQS_IDENTITY, stmt_sql, STMT__COUNT, (int)id);
}

static int citizen_get_or_create(struct store *st, const uint8_t hetu_hash[STORE_HASH_BYTES],
				 const char *new_id, int64_t now, char out_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = stmt(st, S_CITIZEN_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hetu_hash, STORE_HASH_BYTES);
	rc = sqs_one(st, q);
	if (rc == SQLITE_ROW) {
		sqs_text(out_id, STORE_ID_SIZE, q, 0);
		sqlite3_reset(q);
		return STORE_OK;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((rc = sqs_user_insert(st, new_id, ROLE_CITIZEN, now)) != STORE_OK)
		return rc;
	if ((q = stmt(st, S_CITIZEN_INSERT)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, new_id);
	sqs_bind_blob(q, 2, hetu_hash, STORE_HASH_BYTES);
	if ((rc = sqs_run(st, q)) != STORE_OK)
		return rc;
	snprintf(out_id, STORE_ID_SIZE, "%s", new_id);
	return STORE_OK;
}

static int citizen_find(struct store *st, const uint8_t hetu_hash[STORE_HASH_BYTES],
			char out_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = stmt(st, S_CITIZEN_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hetu_hash, STORE_HASH_BYTES);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(out_id, STORE_ID_SIZE, q, 0);
	sqlite3_reset(q);
	return STORE_OK;
}

/* Runs `sql` with the hash and a time bound as ?1 and ?2. STORE_OK, STORE_EXISTS or STORE_ERROR. */
static int login_run(struct store *st, const char *sql, const uint8_t *hash, int64_t t)
{
	sqlite3_stmt *q = sqs_prepare(st, sql);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	if (hash != NULL)
		sqlite3_bind_blob(q, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, t);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return sqs_status(st, rc);
}

static int bank_login_use(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now,
			  int64_t forget_before)
{
	if (login_run(st, "DELETE FROM bank_logins WHERE used < ?2", NULL, forget_before) != STORE_OK)
		return STORE_ERROR;
	return login_run(st, "INSERT INTO bank_logins(login_hash, used) VALUES(?1, ?2)", hash, now);
}

const struct store_identity_ops store_sqlite_identity_ops = {
	.citizen_get_or_create = citizen_get_or_create,
	.citizen_find = citizen_find,
	.bank_login_use = bank_login_use,
};
