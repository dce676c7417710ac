/*
 * store_sqlite_identity.c - identity operations of the SQLite store: the record of used
 * bank-ID logins that makes each login (and the nonce derived from it) good once; the staff
 * accounts' second factor, setup codes and end dates, role ends, the failed-login state of
 * unknown names, and the session sweep. Logins are rare, so statements are prepared per call.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"
#include "store_sqlite_identity.h"

const char store_sqlite_identity_migration[] =
	"CREATE TABLE bank_logins(login_hash BLOB PRIMARY KEY, used INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX bank_logins_by_time ON bank_logins(used);";

/* Runs `sql` with the hash and a time bound as ?1 and ?2. STORE_OK, STORE_EXISTS or STORE_ERROR. */
static int sqi_run(struct store *st, const char *sql, const uint8_t *hash, int64_t t)
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

int sqi_bank_login_use(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now,
		       int64_t forget_before)
{
	if (sqi_run(st, "DELETE FROM bank_logins WHERE used < ?2", NULL, forget_before) != STORE_OK)
		return STORE_ERROR;
	return sqi_run(st, "INSERT INTO bank_logins(login_hash, used) VALUES(?1, ?2)", hash, now);
}

/* Staff accounts: second factor, setup codes, end dates, failed logins of unknown names */

#define GHOSTS_MAX 100000 /* rows of login_ghosts kept; the oldest unlocked go first */

const char store_sqlite_staff_migration[] =
	"CREATE TABLE staff_auth(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	"  totp BLOB, totp_pending BLOB, totp_last_step INTEGER NOT NULL DEFAULT -1,"
	"  password_set INTEGER NOT NULL DEFAULT 0, ends INTEGER NOT NULL DEFAULT 0,"
	"  setup_hash BLOB, setup_expires INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX staff_auth_by_end ON staff_auth(ends) WHERE ends > 0;"
	"CREATE TABLE role_ends(user_id TEXT NOT NULL REFERENCES users(id), unit_id TEXT NOT NULL,"
	"  ends INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(user_id, unit_id)) WITHOUT ROWID;"
	"CREATE INDEX role_ends_due ON role_ends(ends) WHERE done = 0;"
	"CREATE TABLE login_ghosts(name_hash BLOB PRIMARY KEY, failures INTEGER NOT NULL,"
	"  locked_until INTEGER NOT NULL, disabled INTEGER NOT NULL, updated INTEGER NOT NULL)"
	"  WITHOUT ROWID;"
	"CREATE INDEX login_ghosts_by_age ON login_ghosts(updated) WHERE disabled = 0;"
	"CREATE INDEX sessions_by_user ON sessions(user_id);"
	"CREATE INDEX sessions_live ON sessions(expires) WHERE revoked = 0;";

/* Steps a statement that returns no rows and finalizes it. STORE_OK or STORE_ERROR. */
static int sqi_done(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

/* Copies a blob column of at most `cap` bytes; a longer one counts as absent. */
static size_t sqi_blob(sqlite3_stmt *q, int col, uint8_t *out, size_t cap)
{
	int n = sqlite3_column_bytes(q, col);
	const void *b = sqlite3_column_blob(q, col);

	if (b == NULL || n <= 0 || (size_t)n > cap)
		return 0;
	memcpy(out, b, (size_t)n);
	return (size_t)n;
}

int sqi_staff_get(struct store *st, const char *user_id, struct store_staff *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT totp, totp_pending, totp_last_step, password_set, ends,"
					  " setup_hash, setup_expires FROM staff_auth WHERE user_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	memset(out, 0, sizeof *out);
	snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
	out->totp_last_step = -1;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->totp_len = sqi_blob(q, 0, out->totp, sizeof out->totp);
		out->totp_pending_len = sqi_blob(q, 1, out->totp_pending, sizeof out->totp_pending);
		out->totp_last_step = sqlite3_column_int64(q, 2);
		out->password_set = sqlite3_column_int64(q, 3);
		out->ends = sqlite3_column_int64(q, 4);
		out->has_setup = sqi_blob(q, 5, out->setup_hash, sizeof out->setup_hash) == STORE_HASH_BYTES;
		out->setup_expires = sqlite3_column_int64(q, 6);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

int sqi_staff_put(struct store *st, const struct store_staff *s)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT OR REPLACE INTO staff_auth(user_id, totp, totp_pending,"
					  " totp_last_step, password_set, ends, setup_hash, setup_expires)"
					  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, s->user_id, -1, SQLITE_STATIC);
	if (s->totp_len > 0 && s->totp_len <= sizeof s->totp)
		sqlite3_bind_blob(q, 2, s->totp, (int)s->totp_len, SQLITE_STATIC);
	if (s->totp_pending_len > 0 && s->totp_pending_len <= sizeof s->totp_pending)
		sqlite3_bind_blob(q, 3, s->totp_pending, (int)s->totp_pending_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, s->totp_last_step);
	sqlite3_bind_int64(q, 5, s->password_set);
	sqlite3_bind_int64(q, 6, s->ends);
	if (s->has_setup)
		sqlite3_bind_blob(q, 7, s->setup_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, s->setup_expires);
	return sqi_done(st, q);
}

int sqi_worker_set_auth(struct store *st, const char *user_id, const uint8_t auth_hash[STORE_HASH_BYTES])
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE workers SET auth_hash = ?2 WHERE user_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, auth_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return STORE_ERROR;
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

int sqi_ghost_get(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int *failures,
		  int64_t *locked_until, int *disabled)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT failures, locked_until, disabled FROM login_ghosts"
					  " WHERE name_hash = ?1");
	int rc;

	*failures = 0;
	*locked_until = 0;
	*disabled = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(q, 1, name_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*failures = sqlite3_column_int(q, 0);
		*locked_until = sqlite3_column_int64(q, 1);
		*disabled = sqlite3_column_int(q, 2);
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOTFOUND : STORE_ERROR;
}

int sqi_ghost_put(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int failures,
		  int64_t locked_until, int disabled, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT OR REPLACE INTO login_ghosts(name_hash, failures,"
					  " locked_until, disabled, updated) VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(q, 1, name_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, failures);
	sqlite3_bind_int64(q, 3, locked_until);
	sqlite3_bind_int(q, 4, disabled);
	sqlite3_bind_int64(q, 5, now);
	if (sqi_done(st, q) != STORE_OK)
		return STORE_ERROR;
	q = sqs_prepare(st, "DELETE FROM login_ghosts WHERE name_hash IN (SELECT name_hash FROM login_ghosts"
			    " WHERE disabled = 0 ORDER BY updated LIMIT max(0, (SELECT count(*) FROM"
			    " login_ghosts) - ?1))");
	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, GHOSTS_MAX);
	return sqi_done(st, q);
}

int sqi_role_end_set(struct store *st, const char *user_id, const char *unit_id, int64_t ends)
{
	sqlite3 *db = store_sqlite_db(st);
	sqlite3_stmt *q = sqs_prepare(st, "SELECT 1 FROM memberships WHERE user_id = ?1 AND unit_id = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, unit_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW) {
		log_err("step: %s", sqlite3_errmsg(db));
		return STORE_ERROR;
	}
	q = sqs_prepare(st, ends > 0
				    ? "INSERT OR REPLACE INTO role_ends(user_id, unit_id, ends, done)"
				      " VALUES(?1, ?2, ?3, 0)"
				    : "DELETE FROM role_ends WHERE user_id = ?1 AND unit_id = ?2 AND ?3 = 0");
	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, ends);
	return sqi_done(st, q);
}

/* One ended membership found by role_expire. */
struct sqi_role {
	char user_id[STORE_ID_SIZE], unit_id[STORE_ID_SIZE];
};

/* Ends one membership: deletes it and marks its end done. */
static int sqi_role_remove(struct store *st, const struct sqi_role *r)
{
	static const char *const sql[] = {
		"DELETE FROM memberships WHERE user_id = ?1 AND unit_id = ?2",
		"UPDATE role_ends SET done = 1 WHERE user_id = ?1 AND unit_id = ?2",
	};

	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		sqlite3_stmt *q = sqs_prepare(st, sql[i]);

		if (q == NULL)
			return STORE_ERROR;
		sqlite3_bind_text(q, 1, r->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, r->unit_id, -1, SQLITE_STATIC);
		if (sqi_done(st, q) != STORE_OK)
			return STORE_ERROR;
	}
	return STORE_OK;
}

#define ROLE_BATCH 64

int sqi_role_expire(struct store *st, const char *user_id, int64_t now, store_role_end_cb cb, void *arg)
{
	struct sqi_role r[ROLE_BATCH];
	sqlite3_stmt *q;
	size_t n;
	int rc;

	do {
		q = sqs_prepare(st, "SELECT user_id, unit_id FROM role_ends WHERE done = 0 AND ends <= ?1"
				    " AND (?2 = '' OR user_id = ?2) LIMIT ?3");
		if (q == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(q, 1, now);
		sqlite3_bind_text(q, 2, user_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, ROLE_BATCH);
		for (n = 0; (rc = sqlite3_step(q)) == SQLITE_ROW && n < ROLE_BATCH; n++) {
			snprintf(r[n].user_id, sizeof r[n].user_id, "%s",
				 (const char *)sqlite3_column_text(q, 0));
			snprintf(r[n].unit_id, sizeof r[n].unit_id, "%s",
				 (const char *)sqlite3_column_text(q, 1));
		}
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return STORE_ERROR;
		for (size_t i = 0; i < n; i++) {
			if (sqi_role_remove(st, &r[i]) != STORE_OK)
				return STORE_ERROR;
			if (cb != NULL && cb(arg, r[i].user_id, r[i].unit_id) != 0)
				return STORE_OK;
		}
	} while (n == ROLE_BATCH);
	return STORE_OK;
}

int sqi_role_ended_any(struct store *st, const char *user_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT 1 FROM role_ends WHERE user_id = ?1 AND done = 1 LIMIT 1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOTFOUND : STORE_ERROR;
}

/* Runs an UPDATE ... RETURNING hash, user_id and calls cb per row. */
static int sqi_sessions_ended(struct store *st, sqlite3_stmt *q, store_session_end_cb cb, void *arg)
{
	int rc, stop = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint8_t hash[STORE_HASH_BYTES];

		if (stop || sqi_blob(q, 0, hash, sizeof hash) != STORE_HASH_BYTES)
			continue;
		if (cb != NULL && cb(arg, hash, (const char *)sqlite3_column_text(q, 1)) != 0)
			stop = 1; /* the rest still gets revoked: step to the end */
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

int sqi_session_end_due(struct store *st, int64_t now, int limit, store_session_end_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(
		st, "UPDATE sessions SET revoked = 1 WHERE hash IN (SELECT s.hash FROM sessions s"
		    " LEFT JOIN staff_auth a ON a.user_id = s.user_id WHERE s.revoked = 0 AND"
		    " (s.expires <= ?1 OR s.last_seen + s.idle_ms <= ?1 OR (a.ends > 0 AND a.ends <= ?1))"
		    " LIMIT ?2) RETURNING hash, user_id");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int(q, 2, limit);
	return sqi_sessions_ended(st, q, cb, arg);
}

int sqi_session_revoke_user(struct store *st, const char *user_id, store_session_end_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0"
					  " RETURNING hash, user_id");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	return sqi_sessions_ended(st, q, cb, arg);
}
