/*
 * store_sqlite_request.c - idempotency in the SQLite store (struct store_request_ops): the
 * reply of each write, kept by (user, request id), so that a resent write gets the same
 * answer, until it is purged by its age. The column `reply` is the core's record: a reply's
 * JSON text, or for message.send a reference that is not JSON (core_replay.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum request_stmt { S_REQUEST_GET, S_REQUEST_PUT, STMT__COUNT };

static const char *const stmt_sql[STMT__COUNT] = {
	[S_REQUEST_GET] = "SELECT reply FROM requests WHERE user_id = ?1 AND request_id = ?2",
	[S_REQUEST_PUT] = "INSERT INTO requests(user_id, request_id, reply, created)"
			  " VALUES(?1, ?2, ?3, ?4)",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum request_stmt id)
{
	return sqs_kept(st, SQS_REQUEST, stmt_sql, STMT__COUNT, (int)id);
}

/* Idempotency */

static int request_get(struct store *st, const char *user_id, const char *request_id, char **reply_out)
{
	sqlite3_stmt *q = stmt(st, S_REQUEST_GET);
	int rc;

	*reply_out = NULL;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, request_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	*reply_out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	return *reply_out ? STORE_OK : STORE_ERROR;
}

static int request_put(struct store *st, const char *user_id, const char *request_id, const char *reply,
		       int64_t now)
{
	sqlite3_stmt *q = stmt(st, S_REQUEST_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, request_id);
	sqs_bind_text(q, 3, reply);
	sqlite3_bind_int64(q, 4, now);
	return sqs_run(st, q);
}

static int request_purge(struct store *st, int64_t before, int limit, int *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM requests WHERE (user_id, request_id) IN"
					  " (SELECT user_id, request_id FROM requests WHERE created < ?1"
					  "  ORDER BY created LIMIT ?2)");
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

const struct store_request_ops store_sqlite_request_ops = {
	.get = request_get,
	.put = request_put,
	.purge = request_purge,
};
