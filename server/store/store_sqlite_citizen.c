/*
 * store_sqlite_citizen.c - a citizen's key records of the SQLite store (struct
 * store_citizen_ops): identities with the time the server first saw each, device
 * certificates and their last use, recovery boxes, new devices' requests (commitment,
 * challenge, reveal) and their answers,
 * and the expiry of unused devices and of prepared threads not opened. The store keeps the
 * bytes and never interprets them; the core checks their formats and signatures first.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

/* Runs a write and says STORE_NOTFOUND when it changed no row. */
static int run_changed(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	if ((rc = sqs_status(st, rc)) != STORE_OK)
		return rc;
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

static int identity_put(struct store *st, const uint8_t id[STORE_KID_BYTES], const char *user_id,
			const uint8_t sign_pk[STORE_KEY_BYTES], const uint8_t box_pk[STORE_KEY_BYTES],
			int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_identities(id, user_id, sign_pk, box_pk, first_seen)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, id, STORE_KID_BYTES);
	sqs_ref_text(q, 2, user_id);
	sqs_ref_blob(q, 3, sign_pk, STORE_KEY_BYTES);
	sqs_ref_blob(q, 4, box_pk, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 5, now);
	return sqs_once_run(st, q);
}

static int identity_list(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT user_id, first_seen, id, sign_pk, box_pk FROM e2e_identities"
				" WHERE user_id = ?1 ORDER BY first_seen, id");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	return sqs_key_each(st, q, cb, arg);
}

static int identity_owner(struct store *st, const uint8_t id[STORE_KID_BYTES], char user_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT user_id FROM e2e_identities WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, id, STORE_KID_BYTES);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(user_id, STORE_ID_SIZE, q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int device_certs(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT user_id, created, kid, cert, identity_id, last_used"
					  " FROM e2e_devices WHERE user_id = ?1 ORDER BY created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	return sqs_key_each(st, q, cb, arg);
}

static int device_remove(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES])
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM e2e_devices WHERE user_id = ?1 AND kid = ?2");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqs_ref_blob(q, 2, kid, STORE_KID_BYTES);
	return run_changed(st, q);
}

static int device_touch(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
			int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "UPDATE e2e_devices SET last_used = ?3 WHERE user_id = ?1 AND kid = ?2");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqs_ref_blob(q, 2, kid, STORE_KID_BYTES);
	sqlite3_bind_int64(q, 3, now);
	return run_changed(st, q);
}

static int device_expire(struct store *st, const char *user_id, int64_t before, int64_t *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM e2e_devices WHERE user_id = ?1 AND last_used < ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqlite3_bind_int64(q, 2, before);
	rc = run_changed(st, q);
	*n = rc == STORE_OK ? sqlite3_changes(store_sqlite_db(st)) : 0;
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

static int recovery_put(struct store *st, const uint8_t identity_id[STORE_KID_BYTES], const char *user_id,
			const uint8_t *box, size_t len, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_recovery(identity_id, user_id, box, updated)"
					  " VALUES(?1, ?2, ?3, ?4)"
					  " ON CONFLICT(identity_id) DO UPDATE SET box = ?3, updated = ?4");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, identity_id, STORE_KID_BYTES);
	sqs_ref_text(q, 2, user_id);
	sqs_ref_blob(q, 3, box, len);
	sqlite3_bind_int64(q, 4, now);
	return sqs_once_run(st, q);
}

static int recovery_list(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT user_id, updated, identity_id, box, NULL FROM e2e_recovery"
					  " WHERE user_id = ?1 ORDER BY updated DESC, identity_id");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	return sqs_key_each(st, q, cb, arg);
}

static int request_put(struct store *st, const char *id, const char *user_id,
		       const uint8_t commit[STORE_KEY_BYTES], int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_device_requests(id, user_id, commitment, created)"
					  " VALUES(?1, ?2, ?3, ?4)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	sqs_ref_text(q, 2, user_id);
	sqs_ref_blob(q, 3, commit, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 4, now);
	return sqs_once_run(st, q);
}

/* Copies a blob column of exactly n bytes into dst: 1, or 0 (NULL or another size). */
static int blob_exact(sqlite3_stmt *q, int col, uint8_t *dst, size_t n)
{
	if (sqlite3_column_type(q, col) == SQLITE_NULL || (size_t)sqlite3_column_bytes(q, col) != n)
		return 0;
	memcpy(dst, sqlite3_column_blob(q, col), n);
	return 1;
}

static int request_list(struct store *st, const char *user_id, int64_t since, store_device_request_cb cb,
			void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT id, created, commitment, identity_id, challenge, box_pk,"
					  " sign_pk, nonce, answered, answer FROM e2e_device_requests"
					  " WHERE user_id = ?1 AND created >= ?2 ORDER BY created, id");
	struct store_device_request r;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqlite3_bind_int64(q, 2, since);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		sqs_text(r.id, sizeof r.id, q, 0);
		r.created = sqlite3_column_int64(q, 1);
		if (!blob_exact(q, 2, r.commit, STORE_KEY_BYTES))
			continue;
		r.challenged = blob_exact(q, 3, r.identity_id, STORE_KID_BYTES) &&
			       blob_exact(q, 4, r.challenge, STORE_KEY_BYTES);
		r.revealed = r.challenged && blob_exact(q, 5, r.box_pk, STORE_KEY_BYTES) &&
			     blob_exact(q, 6, r.sign_pk, STORE_KEY_BYTES) &&
			     blob_exact(q, 7, r.nonce, STORE_KEY_BYTES);
		r.answered = sqlite3_column_int64(q, 8);
		r.answer = sqlite3_column_blob(q, 9);
		r.answer_len = (size_t)sqlite3_column_bytes(q, 9);
		if (cb(arg, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

static int request_challenge(struct store *st, const char *id, const char *user_id,
			     const uint8_t identity_id[STORE_KID_BYTES],
			     const uint8_t challenge[STORE_KEY_BYTES])
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE e2e_device_requests SET identity_id = ?3, challenge = ?4"
					  " WHERE id = ?1 AND user_id = ?2 AND challenge IS NULL");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	sqs_ref_text(q, 2, user_id);
	sqs_ref_blob(q, 3, identity_id, STORE_KID_BYTES);
	sqs_ref_blob(q, 4, challenge, STORE_KEY_BYTES);
	return run_changed(st, q);
}

static int request_reveal(struct store *st, const char *id, const char *user_id,
			  const uint8_t box_pk[STORE_KEY_BYTES], const uint8_t sign_pk[STORE_KEY_BYTES],
			  const uint8_t nonce[STORE_KEY_BYTES])
{
	sqlite3_stmt *q =
		sqs_prepare(st, "UPDATE e2e_device_requests SET box_pk = ?3, sign_pk = ?4, nonce = ?5"
				" WHERE id = ?1 AND user_id = ?2 AND challenge IS NOT NULL"
				" AND nonce IS NULL");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	sqs_ref_text(q, 2, user_id);
	sqs_ref_blob(q, 3, box_pk, STORE_KEY_BYTES);
	sqs_ref_blob(q, 4, sign_pk, STORE_KEY_BYTES);
	sqs_ref_blob(q, 5, nonce, STORE_KEY_BYTES);
	return run_changed(st, q);
}

static int request_answer(struct store *st, const char *id, const char *user_id, const uint8_t *answer,
			  size_t len, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "UPDATE e2e_device_requests SET answered = ?3, answer = ?4"
				" WHERE id = ?1 AND user_id = ?2 AND nonce IS NOT NULL AND answered = 0");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	sqs_ref_text(q, 2, user_id);
	sqlite3_bind_int64(q, 3, now);
	sqs_ref_blob(q, 4, answer, len);
	return run_changed(st, q);
}

static int request_expire(struct store *st, int64_t before)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM e2e_device_requests WHERE created < ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, before);
	return sqs_once_run(st, q);
}

static int share_expire(struct store *st, const char *owner_id, int64_t before)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM shred.shares WHERE (?1 IS NULL OR owner_id = ?1)"
					  " AND opened = 0 AND created < ?2");

	if (q == NULL)
		return STORE_ERROR;
	if (owner_id != NULL)
		sqs_ref_text(q, 1, owner_id);
	else
		sqlite3_bind_null(q, 1);
	sqlite3_bind_int64(q, 2, before);
	return sqs_once_run(st, q);
}

const struct store_citizen_ops store_sqlite_citizen_ops = {
	.identity_put = identity_put,
	.identity_list = identity_list,
	.identity_owner = identity_owner,
	.device_certs = device_certs,
	.device_remove = device_remove,
	.device_touch = device_touch,
	.device_expire = device_expire,
	.recovery_put = recovery_put,
	.recovery_list = recovery_list,
	.request_put = request_put,
	.request_list = request_list,
	.request_challenge = request_challenge,
	.request_reveal = request_reveal,
	.request_answer = request_answer,
	.request_expire = request_expire,
	.share_expire = share_expire,
};
