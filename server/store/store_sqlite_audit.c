/*
 * store_sqlite_audit.c - the access log in the SQLite store (struct store_audit_ops): rows
 * appended with the hash chain the caller computed; triggers refuse updates and deletes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum audit_stmt { S_AUDIT_LAST, S_AUDIT_INSERT, S_AUDIT_SCAN, STMT__COUNT };

#define AUDIT_COLUMNS "row, time, user_id, role, unit_id, client, object, action, outcome, prev, hash"

static const char *const stmt_sql[STMT__COUNT] = {
	[S_AUDIT_LAST] = "SELECT " AUDIT_COLUMNS " FROM access_log ORDER BY row DESC LIMIT 1",
	[S_AUDIT_INSERT] = "INSERT INTO access_log(time, user_id, role, unit_id, client, object,"
			   " action, outcome, prev, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_AUDIT_SCAN] = "SELECT " AUDIT_COLUMNS " FROM access_log WHERE row >= ?1 ORDER BY row",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum audit_stmt id)
{
	return sqs_kept(st, SQS_AUDIT, stmt_sql, STMT__COUNT, (int)id);
}

/* Access log */

static void read_audit(sqlite3_stmt *q, struct store_audit *a)
{
	memset(a, 0, sizeof *a);
	a->row = sqlite3_column_int64(q, 0);
	a->time = sqlite3_column_int64(q, 1);
	sqs_text(a->user_id, sizeof a->user_id, q, 2);
	a->role = (enum store_role)sqlite3_column_int(q, 3);
	sqs_text(a->unit_id, sizeof a->unit_id, q, 4);
	sqs_text(a->client, sizeof a->client, q, 5);
	sqs_text(a->object, sizeof a->object, q, 6);
	sqs_text(a->action, sizeof a->action, q, 7);
	sqs_text(a->outcome, sizeof a->outcome, q, 8);
	sqs_blob(a->prev, sizeof a->prev, q, 9);
	sqs_blob(a->hash, sizeof a->hash, q, 10);
}

static int audit_last(struct store *st, struct store_audit *out)
{
	sqlite3_stmt *q = stmt(st, S_AUDIT_LAST);
	int rc;

	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_audit(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int audit_insert(struct store *st, struct store_audit *a)
{
	sqlite3_stmt *q = stmt(st, S_AUDIT_INSERT);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, a->time);
	sqs_bind_text(q, 2, a->user_id);
	sqlite3_bind_int(q, 3, a->role);
	sqs_bind_text(q, 4, a->unit_id);
	sqs_bind_text(q, 5, a->client);
	sqs_bind_text(q, 6, a->object);
	sqs_bind_text(q, 7, a->action);
	sqs_bind_text(q, 8, a->outcome);
	sqs_bind_blob(q, 9, a->prev, sizeof a->prev);
	sqs_bind_blob(q, 10, a->hash, sizeof a->hash);
	if ((rc = sqs_run(st, q)) == STORE_OK)
		a->row = sqlite3_last_insert_rowid(store_sqlite_db(st));
	return rc;
}

static int audit_scan(struct store *st, int64_t from_row, store_audit_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_AUDIT_SCAN);
	struct store_audit a;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, from_row);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_audit(q, &a);
		if (cb(arg, &a) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

const struct store_audit_ops store_sqlite_audit_ops = {
	.last = audit_last,
	.insert = audit_insert,
	.scan = audit_scan,
};
