/*
 * store_sqlite_notify.c - notifications in the SQLite store (struct store_notify_ops):
 * citizens' contacts, kept only for notifications, and the outbox the notifier sends from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum notify_stmt {
	Q_CONTACT_GET,
	Q_CONTACT_PUT,
	Q_CONTACT_DEL,
	Q_OUTBOX_CANCEL,
	Q_OUTBOX_UNSENT,
	Q_OUTBOX_ADD,
	Q_OUTBOX_NEXT,
	Q_OUTBOX_GET,
	Q_OUTBOX_UPDATE,
	Q_OUTBOX_RECOVER,
	Q_OUTBOX_BACKLOG,
	STMT__COUNT
};

#define OUTBOX_COLUMNS "id, citizen_id, channel, state, attempts, next_at, attempt_id, created, updated"

static const char *const stmt_sql[STMT__COUNT] = {
	[Q_CONTACT_GET] = "SELECT email, phone, lang, updated FROM notify_contacts WHERE citizen_id = ?1",
	[Q_CONTACT_PUT] = "INSERT OR REPLACE INTO notify_contacts(citizen_id, email, phone, lang, updated)"
			  " VALUES(?1, ?2, ?3, ?4, ?5)",
	[Q_CONTACT_DEL] = "DELETE FROM notify_contacts WHERE citizen_id = ?1",
	[Q_OUTBOX_CANCEL] = "UPDATE notify_outbox SET state = 4 WHERE citizen_id = ?1 AND state = 0",
	[Q_OUTBOX_UNSENT] = "SELECT 1 FROM notify_outbox WHERE citizen_id = ?1 AND channel = ?2"
			    " AND state = 0 LIMIT 1", /* not into one being sent: it may be out already */
	[Q_OUTBOX_ADD] =
		"INSERT INTO notify_outbox(" OUTBOX_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_OUTBOX_NEXT] = "SELECT " OUTBOX_COLUMNS " FROM notify_outbox WHERE state = 0 AND next_at <= ?1"
			  " ORDER BY next_at, created LIMIT 1",
	[Q_OUTBOX_GET] = "SELECT " OUTBOX_COLUMNS " FROM notify_outbox WHERE id = ?1",
	[Q_OUTBOX_UPDATE] =
		"UPDATE notify_outbox SET state = ?2, attempts = ?3, next_at = ?4, attempt_id = ?5,"
		" updated = ?6 WHERE id = ?1",
	[Q_OUTBOX_RECOVER] = "UPDATE notify_outbox SET state = 0, next_at = ?1, updated = ?1 WHERE state = 1",
	[Q_OUTBOX_BACKLOG] = "SELECT count(*) FROM notify_outbox WHERE state IN (0, 1)",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum notify_stmt id)
{
	return sqs_kept(st, SQS_NOTIFY, stmt_sql, STMT__COUNT, (int)id);
}

/* Notification contacts and outbox */

static int contact_get(struct store *st, const char *citizen_id, struct store_contact *out)
{
	sqlite3_stmt *q = stmt(st, Q_CONTACT_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->citizen_id, sizeof out->citizen_id, "%s", citizen_id);
	sqs_text(out->email, sizeof out->email, q, 0);
	sqs_text(out->phone, sizeof out->phone, q, 1);
	sqs_text(out->lang, sizeof out->lang, q, 2);
	out->updated = sqlite3_column_int64(q, 3);
	sqlite3_reset(q);
	return STORE_OK;
}

static int contact_put(struct store *st, const struct store_contact *c)
{
	sqlite3_stmt *q = stmt(st, Q_CONTACT_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, c->citizen_id);
	sqs_bind_text(q, 2, c->email);
	sqs_bind_text(q, 3, c->phone);
	sqs_bind_text(q, 4, c->lang);
	sqlite3_bind_int64(q, 5, c->updated);
	return sqs_run(st, q);
}

static int contact_delete(struct store *st, const char *citizen_id)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_CANCEL);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	if ((rc = sqs_run(st, q)) != STORE_OK)
		return rc;
	if ((q = stmt(st, Q_CONTACT_DEL)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	return sqs_run_change(st, q);
}

static int outbox_add(struct store *st, const struct store_outbox *o)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_UNSENT);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, o->citizen_id);
	sqlite3_bind_int(q, 2, o->channel);
	rc = sqs_one(st, q);
	if (rc == SQLITE_ROW) {
		sqlite3_reset(q);
		return STORE_EXISTS;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((q = stmt(st, Q_OUTBOX_ADD)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, o->id);
	sqs_bind_text(q, 2, o->citizen_id);
	sqlite3_bind_int(q, 3, o->channel);
	sqlite3_bind_int(q, 4, o->state);
	sqlite3_bind_int(q, 5, o->attempts);
	sqlite3_bind_int64(q, 6, o->next_at);
	sqs_bind_text(q, 7, o->attempt_id);
	sqlite3_bind_int64(q, 8, o->created);
	sqlite3_bind_int64(q, 9, o->updated);
	return sqs_run(st, q);
}

static void read_outbox(sqlite3_stmt *q, struct store_outbox *o)
{
	memset(o, 0, sizeof *o);
	sqs_text(o->id, sizeof o->id, q, 0);
	sqs_text(o->citizen_id, sizeof o->citizen_id, q, 1);
	o->channel = sqlite3_column_int(q, 2);
	o->state = sqlite3_column_int(q, 3);
	o->attempts = sqlite3_column_int(q, 4);
	o->next_at = sqlite3_column_int64(q, 5);
	sqs_text(o->attempt_id, sizeof o->attempt_id, q, 6);
	o->created = sqlite3_column_int64(q, 7);
	o->updated = sqlite3_column_int64(q, 8);
}

static int outbox_next(struct store *st, int64_t now, struct store_outbox *out)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_NEXT);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_outbox(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int outbox_get(struct store *st, const char *id, struct store_outbox *out)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_outbox(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int outbox_update(struct store *st, const struct store_outbox *o)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_UPDATE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, o->id);
	sqlite3_bind_int(q, 2, o->state);
	sqlite3_bind_int(q, 3, o->attempts);
	sqlite3_bind_int64(q, 4, o->next_at);
	sqs_bind_text(q, 5, o->attempt_id);
	sqlite3_bind_int64(q, 6, o->updated);
	return sqs_run_change(st, q);
}

static int outbox_recover(struct store *st, int64_t now)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_RECOVER);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now);
	return sqs_run(st, q);
}

static int outbox_backlog(struct store *st, int64_t *n)
{
	sqlite3_stmt *q = stmt(st, Q_OUTBOX_BACKLOG);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	*n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return STORE_OK;
}

const struct store_notify_ops store_sqlite_notify_ops = {
	.contact_get = contact_get,
	.contact_put = contact_put,
	.contact_delete = contact_delete,
	.outbox_add = outbox_add,
	.outbox_next = outbox_next,
	.outbox_get = outbox_get,
	.outbox_update = outbox_update,
	.outbox_recover = outbox_recover,
	.outbox_backlog = outbox_backlog,
};
