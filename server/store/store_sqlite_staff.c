/*
 * store_sqlite_staff.c - staff accounts in the SQLite store (struct store_staff_ops): workers
 * and their login state, memberships of units and their ends, the second factor and setup
 * codes, and the failed-login state of unknown names. Statements off the login path are rare
 * and prepared per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum staff_stmt {
	S_WORKER_INSERT,
	S_WORKER_GET,
	S_WORKER_SET_LOGIN,
	S_MEMBER_ADD,
	S_MEMBER_LIST,
	S_WORKER_BY_ID,
	S_WORKER_LIST,
	STMT__COUNT
};

static const char *const stmt_sql[STMT__COUNT] = {
	[S_WORKER_INSERT] = "INSERT INTO workers(user_id, username, salt, opslimit, memlimit,"
			    " auth_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_WORKER_GET] = "SELECT user_id, username, salt, opslimit, memlimit, auth_hash, failures,"
			 " locked_until, locked_at FROM workers WHERE username = ?1",
	[S_WORKER_BY_ID] = "SELECT user_id, username, salt, opslimit, memlimit, auth_hash, failures,"
			   " locked_until, locked_at FROM workers WHERE user_id = ?1",
	[S_WORKER_LIST] = "SELECT user_id, username, salt, opslimit, memlimit, auth_hash, failures,"
			  " locked_until, locked_at FROM workers ORDER BY username",
	[S_WORKER_SET_LOGIN] = "UPDATE workers SET failures = ?2, locked_until = ?3, locked_at = ?4"
			       " WHERE user_id = ?1",
	[S_MEMBER_ADD] = "INSERT INTO memberships(user_id, unit_id, role) VALUES(?1, ?2, ?3)"
			 " ON CONFLICT(user_id, unit_id) DO UPDATE SET role = excluded.role",
	[S_MEMBER_LIST] = "SELECT m.unit_id, m.role, coalesce(e.ends, 0) FROM memberships m"
			  " LEFT JOIN role_ends e ON e.user_id = m.user_id AND e.unit_id = m.unit_id"
			  " AND e.done = 0 WHERE m.user_id = ?1 ORDER BY m.unit_id",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum staff_stmt id)
{
	return sqs_kept(st, SQS_STAFF, stmt_sql, STMT__COUNT, (int)id);
}

#define GHOSTS_MAX 100000 /* rows of login_ghosts kept; the oldest unlocked go first */
/* A row of login_ghosts not updated for this long goes, locked or not: longer than the
 * longest lock lock_s allows (30 days) plus the longest backoff (1 day). */
#define GHOSTS_MAX_AGE_MS (31LL * 86400 * 1000)

static int worker_insert(struct store *st, const struct store_worker *w, int64_t now)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = sqs_user_insert(st, w->user_id, ROLE_WORKER, now)) != STORE_OK)
		return rc;
	if ((q = stmt(st, S_WORKER_INSERT)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, w->user_id);
	sqs_bind_text(q, 2, w->username);
	sqs_bind_blob(q, 3, w->salt, sizeof w->salt);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)w->opslimit);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)w->memlimit);
	sqs_bind_blob(q, 6, w->auth_hash, sizeof w->auth_hash);
	return sqs_run(st, q);
}

/* A row of S_WORKER_GET, S_WORKER_BY_ID or S_WORKER_LIST. */
static void read_worker(sqlite3_stmt *q, struct store_worker *out)
{
	memset(out, 0, sizeof *out);
	sqs_text(out->user_id, sizeof out->user_id, q, 0);
	sqs_text(out->username, sizeof out->username, q, 1);
	sqs_blob(out->salt, sizeof out->salt, q, 2);
	out->opslimit = (uint64_t)sqlite3_column_int64(q, 3);
	out->memlimit = (uint64_t)sqlite3_column_int64(q, 4);
	sqs_blob(out->auth_hash, sizeof out->auth_hash, q, 5);
	out->failures = sqlite3_column_int(q, 6);
	out->locked_until = sqlite3_column_int64(q, 7);
	out->locked_at = sqlite3_column_int64(q, 8);
}

/* The worker whose username (S_WORKER_GET) or user id (S_WORKER_BY_ID) is `key`. */
static int worker_one(struct store *st, enum staff_stmt which, const char *key, struct store_worker *out)
{
	sqlite3_stmt *q = stmt(st, which);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, key);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_worker(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int worker_get(struct store *st, const char *username, struct store_worker *out)
{
	return worker_one(st, S_WORKER_GET, username, out);
}

static int worker_by_id(struct store *st, const char *user_id, struct store_worker *out)
{
	return worker_one(st, S_WORKER_BY_ID, user_id, out);
}

static int worker_list(struct store *st, store_worker_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_WORKER_LIST);
	struct store_worker w;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_worker(q, &w);
		if (cb(arg, &w) != 0)
			break;
	}
	memset(&w, 0, sizeof w);
	return sqs_done(q, rc);
}

static int worker_set_login_state(struct store *st, const char *user_id, int failures, int64_t locked_until,
				  int64_t locked_at)
{
	sqlite3_stmt *q = stmt(st, S_WORKER_SET_LOGIN);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqlite3_bind_int(q, 2, failures);
	sqlite3_bind_int64(q, 3, locked_until);
	sqlite3_bind_int64(q, 4, locked_at);
	return sqs_run_change(st, q);
}

static int membership_add(struct store *st, const char *user_id, const char *unit_id, enum store_role role)
{
	sqlite3_stmt *q = stmt(st, S_MEMBER_ADD);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, unit_id);
	sqlite3_bind_int(q, 3, role);
	return sqs_run(st, q);
}

static int membership_list(struct store *st, const char *user_id, struct store_membership *out, size_t max,
			   size_t *n)
{
	sqlite3_stmt *q = stmt(st, S_MEMBER_LIST);
	int rc;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max) {
		sqs_text(out[*n].unit_id, sizeof out[*n].unit_id, q, 0);
		out[*n].role = (enum store_role)sqlite3_column_int(q, 1);
		out[*n].ends = sqlite3_column_int64(q, 2);
		(*n)++;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int membership_remove(struct store *st, const char *user_id, const char *unit_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM memberships WHERE user_id = ?1 AND unit_id = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, user_id);
	sqs_ref_text(q, 2, unit_id);
	if ((rc = sqs_once_run(st, q)) != STORE_OK)
		return rc;
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

static int staff_get(struct store *st, const char *user_id, struct store_staff *out)
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
		out->totp_len = sqs_blob_len(q, 0, out->totp, sizeof out->totp);
		out->totp_pending_len = sqs_blob_len(q, 1, out->totp_pending, sizeof out->totp_pending);
		out->totp_last_step = sqlite3_column_int64(q, 2);
		out->password_set = sqlite3_column_int64(q, 3);
		out->ends = sqlite3_column_int64(q, 4);
		out->has_setup =
			sqs_blob_len(q, 5, out->setup_hash, sizeof out->setup_hash) == STORE_HASH_BYTES;
		out->setup_expires = sqlite3_column_int64(q, 6);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

static int staff_put(struct store *st, const struct store_staff *s)
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
	return sqs_once_run(st, q);
}

static int worker_set_auth(struct store *st, const char *user_id, const uint8_t auth_hash[STORE_HASH_BYTES])
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

static int ghost_get(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int *failures,
		     int64_t *locked_until, int64_t *locked_at)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT failures, locked_until, locked_at FROM login_ghosts"
					  " WHERE name_hash = ?1");
	int rc;

	*failures = 0;
	*locked_until = 0;
	*locked_at = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(q, 1, name_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*failures = sqlite3_column_int(q, 0);
		*locked_until = sqlite3_column_int64(q, 1);
		*locked_at = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOTFOUND : STORE_ERROR;
}

/* Eviction beyond GHOSTS_MAX rows: the oldest unlocked rows, then the oldest of all. */
static const char *const ghosts_evict_sql[] = {
	"DELETE FROM login_ghosts WHERE name_hash IN (SELECT name_hash FROM login_ghosts"
	" WHERE locked_at = 0 ORDER BY updated LIMIT max(0, (SELECT count(*) FROM login_ghosts) - ?1))",
	"DELETE FROM login_ghosts WHERE name_hash IN (SELECT name_hash FROM login_ghosts"
	" ORDER BY updated LIMIT max(0, (SELECT count(*) FROM login_ghosts) - ?1))",
};

/*
 * Keeps login_ghosts bounded: rows not updated for GHOSTS_MAX_AGE_MS go, and beyond GHOSTS_MAX
 * rows the oldest go, unlocked ones first, then locked ones (whose lock has most likely run
 * out: they are the least recently failed). STORE_OK or STORE_ERROR.
 */
static int ghosts_prune(struct store *st, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM login_ghosts WHERE updated < ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now - GHOSTS_MAX_AGE_MS);
	if (sqs_once_run(st, q) != STORE_OK)
		return STORE_ERROR;
	for (size_t i = 0; i < sizeof ghosts_evict_sql / sizeof ghosts_evict_sql[0]; i++) {
		if ((q = sqs_prepare(st, ghosts_evict_sql[i])) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int(q, 1, GHOSTS_MAX);
		if (sqs_once_run(st, q) != STORE_OK)
			return STORE_ERROR;
	}
	return STORE_OK;
}

static int ghost_put(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int failures,
		     int64_t locked_until, int64_t locked_at, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT OR REPLACE INTO login_ghosts(name_hash, failures,"
					  " locked_until, locked_at, updated) VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(q, 1, name_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, failures);
	sqlite3_bind_int64(q, 3, locked_until);
	sqlite3_bind_int64(q, 4, locked_at);
	sqlite3_bind_int64(q, 5, now);
	if (sqs_once_run(st, q) != STORE_OK)
		return STORE_ERROR;
	return ghosts_prune(st, now);
}

static int role_end_set(struct store *st, const char *user_id, const char *unit_id, int64_t ends)
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
	return sqs_once_run(st, q);
}

/* One ended membership found by role_expire. */
struct ended_role {
	char user_id[STORE_ID_SIZE], unit_id[STORE_ID_SIZE];
};

/* Ends one membership: deletes it and marks its end done. */
static int role_remove(struct store *st, const struct ended_role *r)
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
		if (sqs_once_run(st, q) != STORE_OK)
			return STORE_ERROR;
	}
	return STORE_OK;
}

#define ROLE_BATCH 64

static int role_expire(struct store *st, const char *user_id, int64_t now, store_role_end_cb cb, void *arg)
{
	struct ended_role r[ROLE_BATCH];
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
			if (role_remove(st, &r[i]) != STORE_OK)
				return STORE_ERROR;
			if (cb != NULL && cb(arg, r[i].user_id, r[i].unit_id) != 0)
				return STORE_OK;
		}
	} while (n == ROLE_BATCH);
	return STORE_OK;
}

static int role_ended_any(struct store *st, const char *user_id)
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

const struct store_staff_ops store_sqlite_staff_ops = {
	.name_get = sqs_staff_name_get,
	.name_put = sqs_staff_name_put,
	.worker_insert = worker_insert,
	.worker_get = worker_get,
	.worker_by_id = worker_by_id,
	.worker_list = worker_list,
	.worker_set_login_state = worker_set_login_state,
	.membership_add = membership_add,
	.membership_list = membership_list,
	.membership_remove = membership_remove,
	.get = staff_get,
	.put = staff_put,
	.worker_set_auth = worker_set_auth,
	.ghost_get = ghost_get,
	.ghost_put = ghost_put,
	.role_end_set = role_end_set,
	.role_expire = role_expire,
	.role_ended_any = role_ended_any,
};
