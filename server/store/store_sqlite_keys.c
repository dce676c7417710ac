/*
 * store_sqlite_keys.c - end-to-end encryption records of the SQLite store (struct
 * store_keys_ops): the municipal root public key, certificates, citizens' device public keys,
 * unit key generations (signed event and chain box), unit seeds sealed to members,
 * thread-key wraps, worker key bundles and the per-thread shred shares (in the shred store,
 * attached as `shred`; the main database keeps only which threads were shredded). The store keeps these
 * bytes and never interprets them; the core checks their formats (advice_crypto.h) before
 * they get here. Key operations are rare next to messages, so statements are prepared per
 * call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

/* A blob column of exactly `n` bytes into out; 0, or -1 when it has another size. */
static int key_fixed(sqlite3_stmt *q, int col, uint8_t *out, size_t n)
{
	if ((size_t)sqlite3_column_bytes(q, col) != n)
		return -1;
	memcpy(out, sqlite3_column_blob(q, col), n);
	return 0;
}

int sqs_key_each(struct store *st, sqlite3_stmt *q, store_key_cb cb, void *arg)
{
	int cols = sqlite3_column_count(q), rc;
	struct store_key_blob b;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&b, 0, sizeof b);
		if (sqlite3_column_text(q, 0) != NULL)
			snprintf(b.owner, sizeof b.owner, "%s", (const char *)sqlite3_column_text(q, 0));
		b.n = sqlite3_column_int64(q, 1);
		if (sqlite3_column_type(q, 2) != SQLITE_NULL &&
		    key_fixed(q, 2, b.kid, STORE_KID_BYTES) != 0) {
			sqlite3_finalize(q);
			log_err("key record with a bad kid");
			return STORE_ERROR;
		}
		b.data = sqlite3_column_blob(q, 3);
		b.len = (size_t)sqlite3_column_bytes(q, 3);
		b.extra = sqlite3_column_blob(q, 4);
		b.extra_len = (size_t)sqlite3_column_bytes(q, 4);
		if (cols > 5)
			b.m = sqlite3_column_int64(q, 5);
		if (cols > 6) {
			b.third = sqlite3_column_blob(q, 6);
			b.third_len = (size_t)sqlite3_column_bytes(q, 6);
		}
		if (cb(arg, &b) != 0) {
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

static int root_get(struct store *st, uint8_t pk[STORE_KEY_BYTES])
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT sign_pk FROM e2e_root WHERE id = 1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	rc = key_fixed(q, 0, pk, STORE_KEY_BYTES) == 0 ? STORE_OK : STORE_ERROR;
	sqlite3_finalize(q);
	return rc;
}

static int root_put(struct store *st, const uint8_t pk[STORE_KEY_BYTES], int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_root(id, sign_pk, created) VALUES(1, ?1, ?2)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, pk, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 2, now);
	return sqs_once_run(st, q);
}

static int cert_put(struct store *st, const char *subject_id, int role, const uint8_t kid[STORE_KID_BYTES],
		    const uint8_t *cert, size_t len, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_certs(kid, subject_id, role, cert, created)"
					  " VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, kid, STORE_KID_BYTES);
	sqs_ref_text(q, 2, subject_id);
	sqlite3_bind_int(q, 3, role);
	sqs_ref_blob(q, 4, cert, len);
	sqlite3_bind_int64(q, 5, now);
	return sqs_once_run(st, q);
}

static int cert_list(struct store *st, const char *subject_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT subject_id, role, kid, cert, NULL FROM e2e_certs"
					  " WHERE ?1 = '' OR subject_id = ?1 ORDER BY created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, subject_id);
	return sqs_key_each(st, q, cb, arg);
}

static int cert_get(struct store *st, const uint8_t kid[STORE_KID_BYTES], uint8_t *out, size_t cap,
		    size_t *len)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT cert FROM e2e_certs WHERE kid = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, kid, STORE_KID_BYTES);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*len = (size_t)sqlite3_column_bytes(q, 0);
	rc = *len <= cap ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK)
		memcpy(out, sqlite3_column_blob(q, 0), *len);
	sqlite3_finalize(q);
	return rc;
}

static int bundle_get(struct store *st, const char *user_id, uint8_t *out, size_t cap, size_t *len)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT bundle FROM e2e_bundles WHERE user_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*len = (size_t)sqlite3_column_bytes(q, 0);
	rc = *len <= cap ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK)
		memcpy(out, sqlite3_column_blob(q, 0), *len);
	sqlite3_finalize(q);
	return rc;
}

static int bundle_put(struct store *st, const char *user_id, const uint8_t *bundle, size_t len, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_bundles(user_id, bundle, updated) VALUES(?1, ?2, ?3)"
				" ON CONFLICT(user_id) DO UPDATE SET bundle = ?2, updated = ?3");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqs_ref_blob(q, 2, bundle, len);
	sqlite3_bind_int64(q, 3, now);
	return sqs_once_run(st, q);
}

static int key_request_put(struct store *st, const char *user_id, const uint8_t *request, size_t len,
			   int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_key_requests(user_id, request, created) VALUES(?1, ?2, ?3)"
				" ON CONFLICT(user_id) DO UPDATE SET request = ?2, created = ?3");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqs_ref_blob(q, 2, request, len);
	sqlite3_bind_int64(q, 3, now);
	return sqs_once_run(st, q);
}

static int key_request_get(struct store *st, const char *user_id, uint8_t *out, size_t cap, size_t *len,
			   int64_t *created)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT request, created FROM e2e_key_requests WHERE user_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*len = (size_t)sqlite3_column_bytes(q, 0);
	*created = sqlite3_column_int64(q, 1);
	rc = *len <= cap ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK)
		memcpy(out, sqlite3_column_blob(q, 0), *len);
	sqlite3_finalize(q);
	return rc;
}

static int device_put(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
		      const uint8_t box_pk[STORE_KEY_BYTES], const uint8_t sign_pk[STORE_KEY_BYTES],
		      const uint8_t identity_id[STORE_KID_BYTES], const uint8_t *cert, size_t cert_len,
		      int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_devices(kid, user_id, box_pk, sign_pk, created,"
				" identity_id, cert, last_used) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, kid, STORE_KID_BYTES);
	sqs_ref_text(q, 2, user_id);
	sqs_ref_blob(q, 3, box_pk, STORE_KEY_BYTES);
	sqs_ref_blob(q, 4, sign_pk, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 5, now);
	sqs_ref_blob(q, 6, identity_id, STORE_KID_BYTES);
	sqs_ref_blob(q, 7, cert, cert_len);
	return sqs_once_run(st, q);
}

static int device_list(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT user_id, created, kid, box_pk, sign_pk, last_used FROM e2e_devices"
				" WHERE user_id = ?1 ORDER BY created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	return sqs_key_each(st, q, cb, arg);
}

static int unit_gen_put(struct store *st, const char *unit_id, int64_t g,
			const uint8_t box_kid[STORE_KID_BYTES], const uint8_t *event, size_t len,
			const uint8_t *chain, size_t chain_len, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_unit_gens(unit_id, generation, box_kid, event, chain,"
				" created) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	sqlite3_bind_int64(q, 2, g);
	sqs_ref_blob(q, 3, box_kid, STORE_KID_BYTES);
	sqs_ref_blob(q, 4, event, len);
	sqs_ref_blob(q, 5, chain, chain_len);
	sqlite3_bind_int64(q, 6, now);
	return sqs_once_run(st, q);
}

static int unit_gen_list(struct store *st, const char *unit_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT unit_id, generation, box_kid, event, chain FROM e2e_unit_gens"
				" WHERE unit_id = ?1 ORDER BY generation");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	return sqs_key_each(st, q, cb, arg);
}

static int unit_gen_by_kid(struct store *st, const uint8_t box_kid[STORE_KID_BYTES],
			   char unit_id[STORE_ID_SIZE], int64_t *g)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id, generation FROM e2e_unit_gens WHERE box_kid = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, box_kid, STORE_KID_BYTES);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	snprintf(unit_id, STORE_ID_SIZE, "%s", (const char *)sqlite3_column_text(q, 0));
	*g = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int unit_seed_put(struct store *st, const char *unit_id, int64_t g, const uint8_t kid[STORE_KID_BYTES],
			 const char *user_id, const uint8_t *wrap, size_t len)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_unit_seeds(unit_id, generation, kid, user_id, wrap)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	sqlite3_bind_int64(q, 2, g);
	sqs_ref_blob(q, 3, kid, STORE_KID_BYTES);
	sqs_ref_text(q, 4, user_id);
	sqs_ref_blob(q, 5, wrap, len);
	return sqs_once_run(st, q);
}

static int unit_seed_list(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id, generation, kid, wrap, NULL FROM e2e_unit_seeds"
					  " WHERE user_id = ?1 ORDER BY unit_id, generation");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	return sqs_key_each(st, q, cb, arg);
}

static int wrap_put(struct store *st, const char *thread_id, int64_t epoch,
		    const uint8_t kid[STORE_KID_BYTES], const uint8_t *wrap, size_t len,
		    const char *writer_id, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_wraps(thread_id, epoch, kid, wrap, writer_id, created)"
				" VALUES(?1, ?2, ?3, ?4, ?5, ?6)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, epoch);
	sqs_ref_blob(q, 3, kid, STORE_KID_BYTES);
	sqs_ref_blob(q, 4, wrap, len);
	sqs_ref_text(q, 5, writer_id);
	sqlite3_bind_int64(q, 6, now);
	return sqs_once_run(st, q);
}

static int wrap_list(struct store *st, const char *thread_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT thread_id, epoch, kid, wrap, NULL FROM e2e_wraps"
					  " WHERE thread_id = ?1 ORDER BY epoch, created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	return sqs_key_each(st, q, cb, arg);
}

static int share_put(struct store *st, const char *thread_id, const char *owner_id,
		     const uint8_t share[STORE_KEY_BYTES], int opened, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO shred.shares(thread_id, owner_id, share, created, opened)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqs_ref_text(q, 2, owner_id);
	sqs_ref_blob(q, 3, share, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 4, now);
	sqlite3_bind_int(q, 5, opened != 0);
	return sqs_once_run(st, q);
}

static int share_get(struct store *st, const char *thread_id, char owner_id[STORE_ID_SIZE], int *opened,
		     uint8_t share[STORE_KEY_BYTES])
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT owner_id, opened, share FROM shred.shares WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	snprintf(owner_id, STORE_ID_SIZE, "%s", (const char *)sqlite3_column_text(q, 0));
	*opened = sqlite3_column_int(q, 1);
	rc = key_fixed(q, 2, share, STORE_KEY_BYTES) == 0 ? STORE_OK : STORE_ERROR;
	sqlite3_finalize(q);
	return rc;
}

static int share_opened(struct store *st, const char *thread_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE shred.shares SET opened = 1 WHERE thread_id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	return sqs_once_run(st, q);
}

static int share_pending(struct store *st, const char *owner_id, int64_t *n)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT count(*) FROM shred.shares WHERE owner_id = ?1 AND opened = 0");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, owner_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

/* The tombstone goes into the main database first: should a crash come between the two
 * commits, the next open deletes the share (store_sqlite.c). */
static int share_shred(struct store *st, const char *thread_id, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO thread_shreds(thread_id, shredded) VALUES(?1, ?2)");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, now);
	if ((rc = sqs_once_run(st, q)) != STORE_OK)
		return rc;
	if ((q = sqs_prepare(st, "DELETE FROM shred.shares WHERE thread_id = ?1")) == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	return sqs_once_run(st, q);
}

static int share_shredded(struct store *st, const char *thread_id, int64_t *when)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT shredded FROM thread_shreds WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*when = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

const struct store_keys_ops store_sqlite_keys_ops = {
	.root_get = root_get,
	.root_put = root_put,
	.cert_put = cert_put,
	.cert_list = cert_list,
	.cert_get = cert_get,
	.bundle_get = bundle_get,
	.bundle_put = bundle_put,
	.key_request_put = key_request_put,
	.key_request_get = key_request_get,
	.device_put = device_put,
	.device_list = device_list,
	.unit_gen_put = unit_gen_put,
	.unit_gen_list = unit_gen_list,
	.unit_gen_by_kid = unit_gen_by_kid,
	.unit_seed_put = unit_seed_put,
	.unit_seed_list = unit_seed_list,
	.wrap_put = wrap_put,
	.wrap_list = wrap_list,
	.share_put = share_put,
	.share_get = share_get,
	.share_opened = share_opened,
	.share_pending = share_pending,
	.share_shred = share_shred,
	.share_shredded = share_shredded,
};
