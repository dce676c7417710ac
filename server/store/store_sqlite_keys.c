/*
 * store_sqlite_keys.c - end-to-end encryption records of the SQLite store: the municipal
 * root public key, certificates, citizens' device public keys, unit key generations (signed
 * event and chain box), unit seeds sealed to members, thread-key wraps, worker key bundles
 * and the per-thread shred shares. The store keeps these bytes and never interprets them;
 * the core checks their formats (advice_crypto.h) before they get here.
 * Key operations are rare next to messages, so statements are prepared per call.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"
#include "store_sqlite_keys.h"

const char store_sqlite_keys_migration[] =
	"CREATE TABLE e2e_root(id INTEGER PRIMARY KEY CHECK(id = 1), sign_pk BLOB NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE e2e_certs(kid BLOB PRIMARY KEY, subject_id TEXT NOT NULL, role INTEGER NOT NULL,"
	"  cert BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX e2e_certs_by_subject ON e2e_certs(subject_id);"
	"CREATE TABLE e2e_bundles(user_id TEXT PRIMARY KEY REFERENCES users(id), bundle BLOB NOT NULL,"
	"  updated INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE e2e_devices(kid BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	"  box_pk BLOB NOT NULL, sign_pk BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX e2e_devices_by_user ON e2e_devices(user_id);"
	"CREATE TABLE e2e_unit_gens(unit_id TEXT NOT NULL REFERENCES units(id), generation INTEGER NOT NULL,"
	"  box_kid BLOB NOT NULL UNIQUE, event BLOB NOT NULL, chain BLOB, created INTEGER NOT NULL,"
	"  PRIMARY KEY(unit_id, generation)) WITHOUT ROWID;"
	"CREATE TABLE e2e_unit_seeds(unit_id TEXT NOT NULL, generation INTEGER NOT NULL, kid BLOB NOT NULL,"
	"  user_id TEXT NOT NULL, wrap BLOB NOT NULL," /* a worker's user id or an admin's subject id */
	"  PRIMARY KEY(unit_id, generation, kid), FOREIGN KEY(unit_id, generation)"
	"  REFERENCES e2e_unit_gens(unit_id, generation)) WITHOUT ROWID;"
	"CREATE INDEX e2e_unit_seeds_by_user ON e2e_unit_seeds(user_id);"
	"CREATE TABLE e2e_wraps(thread_id TEXT NOT NULL REFERENCES threads(id), epoch INTEGER NOT NULL,"
	"  kid BLOB NOT NULL, wrap BLOB NOT NULL, writer_id TEXT NOT NULL, created INTEGER NOT NULL,"
	"  PRIMARY KEY(thread_id, epoch, kid)) WITHOUT ROWID;"
	"CREATE TABLE e2e_shares(thread_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES users(id),"
	"  share BLOB NOT NULL, created INTEGER NOT NULL, opened INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX e2e_shares_pending ON e2e_shares(owner_id, opened);"
	"CREATE TABLE e2e_files(id TEXT PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads(id),"
	"  owner_id TEXT NOT NULL REFERENCES users(id), size INTEGER NOT NULL, chunks INTEGER NOT NULL,"
	"  received INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0, created INTEGER NOT "
	"NULL)"
	"  WITHOUT ROWID;"
	"CREATE INDEX e2e_files_by_thread ON e2e_files(thread_id);"
	"CREATE INDEX e2e_files_by_owner ON e2e_files(owner_id)";

/* Steps a write to its end and finalizes. STORE_OK, STORE_EXISTS or STORE_ERROR. */
static int sqk_write(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	return sqs_status(st, rc);
}

static void sqk_text(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static void sqk_blob(sqlite3_stmt *q, int i, const void *b, size_t n)
{
	if (b == NULL)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_blob(q, i, b, (int)n, SQLITE_STATIC);
}

/* A blob column of exactly `n` bytes into out; 0, or -1 when it has another size. */
static int sqk_fixed(sqlite3_stmt *q, int col, uint8_t *out, size_t n)
{
	if ((size_t)sqlite3_column_bytes(q, col) != n)
		return -1;
	memcpy(out, sqlite3_column_blob(q, col), n);
	return 0;
}

/*
 * Runs a query whose columns are (owner, n, kid, data, extra) and calls cb per row; a
 * non-zero return of cb stops early. Finalizes q. STORE_OK or STORE_ERROR.
 */
static int sqk_each(struct store *st, sqlite3_stmt *q, store_key_cb cb, void *arg)
{
	struct store_key_blob b;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&b, 0, sizeof b);
		if (sqlite3_column_text(q, 0) != NULL)
			snprintf(b.owner, sizeof b.owner, "%s", (const char *)sqlite3_column_text(q, 0));
		b.n = sqlite3_column_int64(q, 1);
		if (sqk_fixed(q, 2, b.kid, STORE_KID_BYTES) != 0) {
			sqlite3_finalize(q);
			log_err("key record with a bad kid");
			return STORE_ERROR;
		}
		b.data = sqlite3_column_blob(q, 3);
		b.len = (size_t)sqlite3_column_bytes(q, 3);
		b.extra = sqlite3_column_blob(q, 4);
		b.extra_len = (size_t)sqlite3_column_bytes(q, 4);
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

/* Steps a single-row lookup: SQLITE_ROW, or STORE_NOTFOUND / STORE_ERROR (finalized then). */
static int sqk_one(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		return SQLITE_ROW;
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

int sqk_root_get(struct store *st, uint8_t pk[STORE_KEY_BYTES])
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT sign_pk FROM e2e_root WHERE id = 1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc;
	rc = sqk_fixed(q, 0, pk, STORE_KEY_BYTES) == 0 ? STORE_OK : STORE_ERROR;
	sqlite3_finalize(q);
	return rc;
}

int sqk_root_put(struct store *st, const uint8_t pk[STORE_KEY_BYTES], int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_root(id, sign_pk, created) VALUES(1, ?1, ?2)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_blob(q, 1, pk, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 2, now);
	return sqk_write(st, q);
}

int sqk_cert_put(struct store *st, const char *subject_id, int role, const uint8_t kid[STORE_KID_BYTES],
		 const uint8_t *cert, size_t len, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_certs(kid, subject_id, role, cert, created)"
					  " VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_blob(q, 1, kid, STORE_KID_BYTES);
	sqk_text(q, 2, subject_id);
	sqlite3_bind_int(q, 3, role);
	sqk_blob(q, 4, cert, len);
	sqlite3_bind_int64(q, 5, now);
	return sqk_write(st, q);
}

int sqk_cert_list(struct store *st, const char *subject_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT subject_id, role, kid, cert, NULL FROM e2e_certs"
					  " WHERE ?1 = '' OR subject_id = ?1 ORDER BY created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, subject_id);
	return sqk_each(st, q, cb, arg);
}

int sqk_bundle_get(struct store *st, const char *user_id, uint8_t *out, size_t cap, size_t *len)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT bundle FROM e2e_bundles WHERE user_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, user_id);
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc;
	*len = (size_t)sqlite3_column_bytes(q, 0);
	rc = *len <= cap ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK)
		memcpy(out, sqlite3_column_blob(q, 0), *len);
	sqlite3_finalize(q);
	return rc;
}

int sqk_bundle_put(struct store *st, const char *user_id, const uint8_t *bundle, size_t len, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_bundles(user_id, bundle, updated) VALUES(?1, ?2, ?3)"
				" ON CONFLICT(user_id) DO UPDATE SET bundle = ?2, updated = ?3");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, user_id);
	sqk_blob(q, 2, bundle, len);
	sqlite3_bind_int64(q, 3, now);
	return sqk_write(st, q);
}

int sqk_device_put(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
		   const uint8_t box_pk[STORE_KEY_BYTES], const uint8_t sign_pk[STORE_KEY_BYTES], int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_devices(kid, user_id, box_pk, sign_pk, created)"
					  " VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_blob(q, 1, kid, STORE_KID_BYTES);
	sqk_text(q, 2, user_id);
	sqk_blob(q, 3, box_pk, STORE_KEY_BYTES);
	sqk_blob(q, 4, sign_pk, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 5, now);
	return sqk_write(st, q);
}

int sqk_device_list(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT user_id, created, kid, box_pk, sign_pk FROM e2e_devices"
					  " WHERE user_id = ?1 ORDER BY created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, user_id);
	return sqk_each(st, q, cb, arg);
}

int sqk_unit_gen_put(struct store *st, const char *unit_id, int64_t g, const uint8_t box_kid[STORE_KID_BYTES],
		     const uint8_t *event, size_t len, const uint8_t *chain, size_t chain_len, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_unit_gens(unit_id, generation, box_kid, event, chain,"
				" created) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, unit_id);
	sqlite3_bind_int64(q, 2, g);
	sqk_blob(q, 3, box_kid, STORE_KID_BYTES);
	sqk_blob(q, 4, event, len);
	sqk_blob(q, 5, chain, chain_len);
	sqlite3_bind_int64(q, 6, now);
	return sqk_write(st, q);
}

int sqk_unit_gen_list(struct store *st, const char *unit_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT unit_id, generation, box_kid, event, chain FROM e2e_unit_gens"
				" WHERE unit_id = ?1 ORDER BY generation");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, unit_id);
	return sqk_each(st, q, cb, arg);
}

int sqk_unit_gen_by_kid(struct store *st, const uint8_t box_kid[STORE_KID_BYTES], char unit_id[STORE_ID_SIZE],
			int64_t *g)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id, generation FROM e2e_unit_gens WHERE box_kid = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_blob(q, 1, box_kid, STORE_KID_BYTES);
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc;
	snprintf(unit_id, STORE_ID_SIZE, "%s", (const char *)sqlite3_column_text(q, 0));
	*g = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	return STORE_OK;
}

int sqk_unit_seed_put(struct store *st, const char *unit_id, int64_t g, const uint8_t kid[STORE_KID_BYTES],
		      const char *user_id, const uint8_t *wrap, size_t len)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_unit_seeds(unit_id, generation, kid, user_id, wrap)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, unit_id);
	sqlite3_bind_int64(q, 2, g);
	sqk_blob(q, 3, kid, STORE_KID_BYTES);
	sqk_text(q, 4, user_id);
	sqk_blob(q, 5, wrap, len);
	return sqk_write(st, q);
}

int sqk_unit_seed_list(struct store *st, const char *user_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id, generation, kid, wrap, NULL FROM e2e_unit_seeds"
					  " WHERE user_id = ?1 ORDER BY unit_id, generation");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, user_id);
	return sqk_each(st, q, cb, arg);
}

int sqk_wrap_put(struct store *st, const char *thread_id, int64_t epoch, const uint8_t kid[STORE_KID_BYTES],
		 const uint8_t *wrap, size_t len, const char *writer_id, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_wraps(thread_id, epoch, kid, wrap, writer_id, created)"
				" VALUES(?1, ?2, ?3, ?4, ?5, ?6)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, epoch);
	sqk_blob(q, 3, kid, STORE_KID_BYTES);
	sqk_blob(q, 4, wrap, len);
	sqk_text(q, 5, writer_id);
	sqlite3_bind_int64(q, 6, now);
	return sqk_write(st, q);
}

int sqk_wrap_list(struct store *st, const char *thread_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT thread_id, epoch, kid, wrap, NULL FROM e2e_wraps"
					  " WHERE thread_id = ?1 ORDER BY epoch, created, kid");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, thread_id);
	return sqk_each(st, q, cb, arg);
}

int sqk_share_put(struct store *st, const char *thread_id, const char *owner_id,
		  const uint8_t share[STORE_KEY_BYTES], int opened, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_shares(thread_id, owner_id, share, created, opened)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, thread_id);
	sqk_text(q, 2, owner_id);
	sqk_blob(q, 3, share, STORE_KEY_BYTES);
	sqlite3_bind_int64(q, 4, now);
	sqlite3_bind_int(q, 5, opened != 0);
	return sqk_write(st, q);
}

int sqk_share_get(struct store *st, const char *thread_id, char owner_id[STORE_ID_SIZE], int *opened,
		  uint8_t share[STORE_KEY_BYTES])
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT owner_id, opened, share FROM e2e_shares WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, thread_id);
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc;
	snprintf(owner_id, STORE_ID_SIZE, "%s", (const char *)sqlite3_column_text(q, 0));
	*opened = sqlite3_column_int(q, 1);
	rc = sqk_fixed(q, 2, share, STORE_KEY_BYTES) == 0 ? STORE_OK : STORE_ERROR;
	sqlite3_finalize(q);
	return rc;
}

int sqk_share_opened(struct store *st, const char *thread_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE e2e_shares SET opened = 1 WHERE thread_id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, thread_id);
	return sqk_write(st, q);
}

int sqk_share_pending(struct store *st, const char *owner_id, int64_t *n)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT count(*) FROM e2e_shares WHERE owner_id = ?1 AND opened = 0");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, owner_id);
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

int sqk_member_remove(struct store *st, const char *user_id, const char *unit_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM memberships WHERE user_id = ?1 AND unit_id = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, user_id);
	sqk_text(q, 2, unit_id);
	if ((rc = sqk_write(st, q)) != STORE_OK)
		return rc;
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

int sqk_file_put(struct store *st, const struct store_file *f)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_files(id, thread_id, owner_id, size, chunks, received,"
				" complete, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, f->id);
	sqk_text(q, 2, f->thread_id);
	sqk_text(q, 3, f->owner_id);
	sqlite3_bind_int64(q, 4, f->size);
	sqlite3_bind_int64(q, 5, f->chunks);
	sqlite3_bind_int64(q, 6, f->received);
	sqlite3_bind_int(q, 7, f->complete);
	sqlite3_bind_int64(q, 8, f->created);
	return sqk_write(st, q);
}

int sqk_file_get(struct store *st, const char *file_id, struct store_file *out)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT id, thread_id, owner_id, size, chunks, received, complete, created"
				" FROM e2e_files WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, file_id);
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(q, 0));
	snprintf(out->thread_id, sizeof out->thread_id, "%s", (const char *)sqlite3_column_text(q, 1));
	snprintf(out->owner_id, sizeof out->owner_id, "%s", (const char *)sqlite3_column_text(q, 2));
	out->size = sqlite3_column_int64(q, 3);
	out->chunks = sqlite3_column_int64(q, 4);
	out->received = sqlite3_column_int64(q, 5);
	out->complete = sqlite3_column_int(q, 6);
	out->created = sqlite3_column_int64(q, 7);
	sqlite3_finalize(q);
	return STORE_OK;
}

int sqk_file_progress(struct store *st, const char *file_id, int64_t received, int complete)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE e2e_files SET received = ?2, complete = ?3 WHERE id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, file_id);
	sqlite3_bind_int64(q, 2, received);
	sqlite3_bind_int(q, 3, complete);
	return sqk_write(st, q);
}

int sqk_file_usage(struct store *st, const char *thread_id, const char *owner_id, int64_t *thread_bytes,
		   int64_t *owner_bytes)
{
	sqlite3_stmt *q = sqs_prepare(
		st, "SELECT coalesce(sum(CASE WHEN thread_id = ?1 THEN size + 17 * chunks END), 0),"
		    " coalesce(sum(CASE WHEN owner_id = ?2 THEN size + 17 * chunks END), 0)"
		    " FROM e2e_files WHERE thread_id = ?1 OR owner_id = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqk_text(q, 1, thread_id);
	sqk_text(q, 2, owner_id);
	if ((rc = sqk_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*thread_bytes = sqlite3_column_int64(q, 0);
	*owner_bytes = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	return STORE_OK;
}
