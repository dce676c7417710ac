/*
 * store_sqlite_session.c - sessions in the SQLite store (struct store_session_ops): created
 * at login, read on every request, touched, revoked, and swept when they end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum session_stmt { S_SESSION_INSERT, S_SESSION_GET, S_SESSION_TOUCH, S_SESSION_REVOKE, STMT__COUNT };

static const char *const stmt_sql[STMT__COUNT] = {
	[S_SESSION_INSERT] = "INSERT INTO sessions(hash, user_id, role, created, last_seen, idle_ms,"
			     " expires, revoked) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
	[S_SESSION_GET] = "SELECT user_id, role, created, last_seen, idle_ms, expires, revoked"
			  " FROM sessions WHERE hash = ?1",
	[S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE hash = ?1",
	[S_SESSION_REVOKE] = "UPDATE sessions SET revoked = 1 WHERE hash = ?1",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum session_stmt id)
{
	return sqs_kept(st, SQS_SESSION, stmt_sql, STMT__COUNT, (int)id);
}

/* Sessions */

static int session_insert(struct store *st, const struct store_session *s)
{
	sqlite3_stmt *q = stmt(st, S_SESSION_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, s->hash, sizeof s->hash);
	sqs_bind_text(q, 2, s->user_id);
	sqlite3_bind_int(q, 3, s->role);
	sqlite3_bind_int64(q, 4, s->created);
	sqlite3_bind_int64(q, 5, s->last_seen);
	sqlite3_bind_int64(q, 6, s->idle_ms);
	sqlite3_bind_int64(q, 7, s->expires);
	return sqs_run(st, q);
}

static int session_get(struct store *st, const uint8_t hash[STORE_HASH_BYTES], struct store_session *out)
{
	sqlite3_stmt *q = stmt(st, S_SESSION_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hash, STORE_HASH_BYTES);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	memcpy(out->hash, hash, STORE_HASH_BYTES);
	sqs_text(out->user_id, sizeof out->user_id, q, 0);
	out->role = (enum store_role)sqlite3_column_int(q, 1);
	out->created = sqlite3_column_int64(q, 2);
	out->last_seen = sqlite3_column_int64(q, 3);
	out->idle_ms = sqlite3_column_int64(q, 4);
	out->expires = sqlite3_column_int64(q, 5);
	out->revoked = sqlite3_column_int(q, 6);
	sqlite3_reset(q);
	return STORE_OK;
}

static int session_touch(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now)
{
	sqlite3_stmt *q = stmt(st, S_SESSION_TOUCH);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hash, STORE_HASH_BYTES);
	sqlite3_bind_int64(q, 2, now);
	return sqs_run_change(st, q);
}

static int session_revoke(struct store *st, const uint8_t hash[STORE_HASH_BYTES])
{
	sqlite3_stmt *q = stmt(st, S_SESSION_REVOKE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hash, STORE_HASH_BYTES);
	return sqs_run_change(st, q);
}

/* Runs an UPDATE ... RETURNING hash, user_id and calls cb per row. */
static int sessions_ended(struct store *st, sqlite3_stmt *q, store_session_end_cb cb, void *arg)
{
	int rc, stop = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint8_t hash[STORE_HASH_BYTES];

		if (stop || sqs_blob_len(q, 0, hash, sizeof hash) != STORE_HASH_BYTES)
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

static int session_end_due(struct store *st, int64_t now, int limit, store_session_end_cb cb, void *arg)
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
	return sessions_ended(st, q, cb, arg);
}

static int session_revoke_user(struct store *st, const char *user_id, store_session_end_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0"
					  " RETURNING hash, user_id");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	return sessions_ended(st, q, cb, arg);
}

static int session_ending(struct store *st, int64_t from, int64_t to, int limit, store_session_cb cb,
			  void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT hash, user_id, role, created, last_seen, idle_ms, expires,"
				" min(expires, last_seen + idle_ms) AS ends FROM sessions"
				" WHERE revoked = 0 AND ends > ?1 AND ends <= ?2 ORDER BY ends LIMIT ?3");
	struct store_session s;
	int rc = SQLITE_DONE, stop = 0;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	sqlite3_bind_int(q, 3, limit);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&s, 0, sizeof s);
		if (sqs_blob_len(q, 0, s.hash, sizeof s.hash) != STORE_HASH_BYTES)
			continue;
		sqs_text(s.user_id, sizeof s.user_id, q, 1);
		s.role = (enum store_role)sqlite3_column_int(q, 2);
		s.created = sqlite3_column_int64(q, 3);
		s.last_seen = sqlite3_column_int64(q, 4);
		s.idle_ms = sqlite3_column_int64(q, 5);
		s.expires = sqlite3_column_int64(q, 6);
		stop = cb(arg, &s) != 0;
	}
	sqlite3_finalize(q);
	if (stop || rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

static int session_purge(struct store *st, int64_t before, int limit, int *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions"
					  " WHERE expires < ?1 ORDER BY expires LIMIT ?2)");
	int rc;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, before);
	sqlite3_bind_int(q, 2, limit);
	if ((rc = sqs_once_run(st, q)) == STORE_OK)
		*n = sqlite3_changes(store_sqlite_db(st));
	return rc;
}

const struct store_session_ops store_sqlite_session_ops = {
	.insert = session_insert,
	.get = session_get,
	.touch = session_touch,
	.revoke = session_revoke,
	.end_due = session_end_due,
	.revoke_user = session_revoke_user,
	.ending = session_ending,
	.purge = session_purge,
};
