/*
 * store_sqlite_disclosure.c - the disclosure log in the SQLite store (struct
 * store_disclosure_ops): rows appended with the hash chain the caller computed (triggers refuse
 * updates and deletes), and the register duties' filtered listings of both logs.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

#define DISCLOSURE_COLUMNS                                                                                   \
	"row, time, user_id, role, unit_id, client, object, recipient, basis, dataset, method, outcome, "    \
	"prev, hash"
#define ACCESS_COLUMNS "row, time, user_id, role, unit_id, client, object, action, outcome, prev, hash"

/* The statement "SELECT <columns> FROM <table>" with q's filter: only the conditions q sets,
 * so that the planner can use the indexes on client, user, unit and time. Parameters ?1..?3
 * (user, unit, client), ?5, ?6 (from, to) and LIMIT ?7, bound by bind_query. */
static sqlite3_stmt *prepare_query(struct store *st, const char *columns, const char *table,
				   const struct store_log_query *q)
{
	char sql[512];
	size_t pos = 0;
	const char *and = " WHERE ";

#define COND(on, text)                                                                                       \
	do {                                                                                                 \
		if (on) {                                                                                    \
			pos += (size_t)snprintf(sql + pos, sizeof sql - pos, "%s%s", and, text);             \
			and = " AND ";                                                                       \
		}                                                                                            \
	} while (0)
	pos += (size_t)snprintf(sql, sizeof sql, "SELECT %s FROM %s", columns, table);
	COND(q->user_id[0] != '\0', "user_id = ?1");
	COND(q->unit_id[0] != '\0', "unit_id = ?2");
	COND(q->client[0] != '\0', "client = ?3");
	COND(q->only_clients != 0 && q->client[0] == '\0', "client != ''");
	COND(q->from != 0, "time >= ?5");
	COND(q->to != 0, "time <= ?6");
#undef COND
	snprintf(sql + pos, sizeof sql - pos, " ORDER BY row LIMIT ?7");
	return sqs_prepare(st, sql);
}

static void read_disclosure(sqlite3_stmt *q, struct store_disclosure *d)
{
	memset(d, 0, sizeof *d);
	d->row = sqlite3_column_int64(q, 0);
	d->time = sqlite3_column_int64(q, 1);
	sqs_text(d->user_id, sizeof d->user_id, q, 2);
	d->role = (enum store_role)sqlite3_column_int(q, 3);
	sqs_text(d->unit_id, sizeof d->unit_id, q, 4);
	sqs_text(d->client, sizeof d->client, q, 5);
	sqs_text(d->object, sizeof d->object, q, 6);
	sqs_text(d->recipient, sizeof d->recipient, q, 7);
	sqs_text(d->basis, sizeof d->basis, q, 8);
	sqs_text(d->dataset, sizeof d->dataset, q, 9);
	sqs_text(d->method, sizeof d->method, q, 10);
	sqs_text(d->outcome, sizeof d->outcome, q, 11);
	sqs_blob(d->prev, sizeof d->prev, q, 12);
	sqs_blob(d->hash, sizeof d->hash, q, 13);
}

static void read_access(sqlite3_stmt *q, struct store_audit *a)
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

/* Steps q to its end, calling cb per disclosure row until it returns non-zero; finalizes q. */
static int each_disclosure(struct store *st, sqlite3_stmt *q, store_disclosure_cb cb, void *arg)
{
	struct store_disclosure d;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_disclosure(q, &d);
		if (cb(arg, &d) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int disclosure_last(struct store *st, struct store_disclosure *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " DISCLOSURE_COLUMNS
					  " FROM disclosure_log ORDER BY row DESC LIMIT 1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	read_disclosure(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int disclosure_insert(struct store *st, struct store_disclosure *d)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO disclosure_log(time, user_id, role, unit_id, client,"
					  " object, recipient, basis, dataset, method, outcome, prev, hash)"
					  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, d->time);
	sqs_ref_text(q, 2, d->user_id);
	sqlite3_bind_int(q, 3, d->role);
	sqs_ref_text(q, 4, d->unit_id);
	sqs_ref_text(q, 5, d->client);
	sqs_ref_text(q, 6, d->object);
	sqs_ref_text(q, 7, d->recipient);
	sqs_ref_text(q, 8, d->basis);
	sqs_ref_text(q, 9, d->dataset);
	sqs_ref_text(q, 10, d->method);
	sqs_ref_text(q, 11, d->outcome);
	sqs_ref_blob(q, 12, d->prev, sizeof d->prev);
	sqs_ref_blob(q, 13, d->hash, sizeof d->hash);
	if ((rc = sqs_once_run(st, q)) == STORE_OK)
		d->row = sqlite3_last_insert_rowid(store_sqlite_db(st));
	return rc;
}

static int disclosure_scan(struct store *st, int64_t from_row, store_disclosure_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " DISCLOSURE_COLUMNS
					  " FROM disclosure_log WHERE row >= ?1 ORDER BY row");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, from_row);
	return each_disclosure(st, q, cb, arg);
}

/* Binds q's filter to a statement of prepare_query. */
static void bind_query(sqlite3_stmt *s, const struct store_log_query *q)
{
	/* LIMIT ?7 puts ?1..?7 in range; those the filter leaves out are bound and unused. */
	sqs_ref_text(s, 1, q->user_id);
	sqs_ref_text(s, 2, q->unit_id);
	sqs_ref_text(s, 3, q->client);
	sqlite3_bind_int64(s, 5, q->from);
	sqlite3_bind_int64(s, 6, q->to);
	sqlite3_bind_int(s, 7, q->limit > 0 ? q->limit : -1);
}

static int disclosure_query(struct store *st, const struct store_log_query *qr, store_disclosure_cb cb,
			    void *arg)
{
	sqlite3_stmt *q = prepare_query(st, DISCLOSURE_COLUMNS, "disclosure_log", qr);

	if (q == NULL)
		return STORE_ERROR;
	bind_query(q, qr);
	return each_disclosure(st, q, cb, arg);
}

static int disclosure_by_client(struct store *st, const char *client, int64_t from, int64_t to, int limit,
				store_disclosure_cb cb, void *arg)
{
	struct store_log_query q = { .from = from, .to = to, .limit = limit };

	snprintf(q.client, sizeof q.client, "%s", client);
	return disclosure_query(st, &q, cb, arg);
}

static int access_query(struct store *st, const struct store_log_query *qr, store_audit_cb cb, void *arg)
{
	sqlite3_stmt *q = prepare_query(st, ACCESS_COLUMNS, "access_log", qr);
	struct store_audit a;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	bind_query(q, qr);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_access(q, &a);
		if (cb(arg, &a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

const struct store_disclosure_ops store_sqlite_disclosure_ops = {
	.last = disclosure_last,
	.insert = disclosure_insert,
	.scan = disclosure_scan,
	.by_client = disclosure_by_client,
	.query = disclosure_query,
	.access = access_query,
};
