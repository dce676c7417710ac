/*
 * store_sqlite_monitor.c - the supervisors' view of the access log in the SQLite store
 * (struct store_monitor_ops): rows of some units or of those units' threads, filtered by
 * user, client and time, newest first, with the actor's username and a move's reason.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

#define AUDIT_COLUMNS                                                                                        \
	"a.row, a.time, a.user_id, a.role, a.unit_id, a.client, a.object, a.action, a.outcome, a.prev, "     \
	"a.hash"

static void read_row(sqlite3_stmt *q, struct store_audit *a)
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

/* Appends ", ?7, ?8, ..." for n units to `sql` (of `size` bytes) from position *pos. */
static void unit_params(char *sql, size_t size, size_t *pos, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*pos += (size_t)snprintf(sql + *pos, size - *pos, "%s?%zu", i ? ", " : "", i + 7);
}

/* The query for q's units (parameters ?7 on), into sql. */
static void query_sql(char *sql, size_t size, size_t nunits)
{
	size_t pos = 0;

	pos += (size_t)snprintf(sql + pos, size - pos,
				"SELECT " AUDIT_COLUMNS ", w.username,"
				" (SELECT r.reason FROM reassignments r WHERE r.audit_row = a.row LIMIT 1)"
				" FROM access_log a LEFT JOIN workers w ON w.user_id = a.user_id"
				" WHERE (a.unit_id IN (");
	unit_params(sql, size, &pos, nunits);
	pos += (size_t)snprintf(sql + pos, size - pos,
				") OR (a.object LIKE 'thread:%%' AND substr(a.object, 8) IN"
				" (SELECT t.id FROM threads t JOIN queues qu ON qu.id = t.queue_id"
				" WHERE qu.unit_id IN (");
	unit_params(sql, size, &pos, nunits);
	snprintf(sql + pos, size - pos,
		 "))))"
		 " AND (?1 = '' OR a.user_id = ?1) AND (?2 = '' OR a.client = ?2)"
		 " AND (?3 = 0 OR a.time >= ?3) AND (?4 = 0 OR a.time <= ?4)"
		 " AND (?5 = 0 OR a.row < ?5) ORDER BY a.row DESC LIMIT ?6");
}

static int audit_query(struct store *st, const struct store_audit_query *qr, store_audit_view_cb cb,
		       void *arg)
{
	char sql[2048];
	struct store_audit_view v;
	sqlite3_stmt *q;
	int rc;

	if (qr->nunits == 0 || qr->nunits > STORE_QUERY_UNITS)
		return STORE_ERROR;
	query_sql(sql, sizeof sql, qr->nunits);
	if ((q = sqs_prepare(st, sql)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, qr->user_id);
	sqs_bind_text(q, 2, qr->client);
	sqlite3_bind_int64(q, 3, qr->from);
	sqlite3_bind_int64(q, 4, qr->to);
	sqlite3_bind_int64(q, 5, qr->before);
	sqlite3_bind_int(q, 6, qr->limit);
	for (size_t i = 0; i < qr->nunits; i++)
		sqs_bind_text(q, (int)i + 7, qr->units[i]);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_row(q, &v.a);
		sqs_text(v.username, sizeof v.username, q, 11);
		sqs_text(v.reason, sizeof v.reason, q, 12);
		if (cb(arg, &v) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int audit_row(struct store *st, int64_t row, struct store_audit *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " AUDIT_COLUMNS " FROM access_log a WHERE a.row = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, row);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	read_row(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

const struct store_monitor_ops store_sqlite_monitor_ops = {
	.audit_query = audit_query,
	.audit_row = audit_row,
};
