/*
 * store_sqlite_rights.c - the citizen's rights in the SQLite store (struct store_rights_ops):
 * rights requests and their decisions, corrections of staff messages, the restriction of
 * threads and the reasons of legal-claim reads (migration 25). The restriction is read on
 * every request on a thread, so its look-up is a kept statement; the rest are used rarely.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum rights_stmt { S_RESTRICTION_GET, STMT__COUNT };

static const char *const stmt_sql[STMT__COUNT] = {
	[S_RESTRICTION_GET] = "SELECT restricted, set_by, time, reason FROM thread_restrictions"
			      " WHERE thread_id = ?1",
};

#define REQUEST_COLUMNS                                                                                      \
	"r.id, r.thread_id, r.citizen_id, ifnull(q.unit_id, r.unit_id), r.kind, r.state, r.extended,"        \
	" r.made, r.due, ifnull(r.decided, 0), ifnull(r.decided_by, ''), r.message_id,"                      \
	" ifnull(r.decision_message_id, '')"
#define REQUEST_FROM                                                                                         \
	" FROM rights_requests r LEFT JOIN threads t ON t.id = r.thread_id"                                  \
	" LEFT JOIN queues q ON q.id = t.queue_id"

/* Reads a row of REQUEST_COLUMNS. */
static void read_request(sqlite3_stmt *q, struct store_rights_request *r)
{
	memset(r, 0, sizeof *r);
	sqs_text(r->id, sizeof r->id, q, 0);
	sqs_text(r->thread_id, sizeof r->thread_id, q, 1);
	sqs_text(r->citizen_id, sizeof r->citizen_id, q, 2);
	sqs_text(r->unit_id, sizeof r->unit_id, q, 3);
	r->kind = sqlite3_column_int(q, 4);
	r->state = sqlite3_column_int(q, 5);
	r->extended = sqlite3_column_int(q, 6);
	r->made = sqlite3_column_int64(q, 7);
	r->due = sqlite3_column_int64(q, 8);
	r->decided = sqlite3_column_int64(q, 9);
	sqs_text(r->decided_by, sizeof r->decided_by, q, 10);
	sqs_text(r->message_id, sizeof r->message_id, q, 11);
	sqs_text(r->decision_message_id, sizeof r->decision_message_id, q, 12);
}

static void bind_text_or_null(sqlite3_stmt *q, int i, const char *s)
{
	if (s[0] != '\0')
		sqs_ref_text(q, i, s);
}

static int request_put(struct store *st, const struct store_rights_request *r)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO rights_requests(id, thread_id, citizen_id, unit_id, kind,"
				" state, extended, made, due, decided, decided_by, message_id,"
				" decision_message_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
				" nullif(?10, 0), ?11, ?12, ?13)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, r->id);
	sqs_ref_text(q, 2, r->thread_id);
	sqs_ref_text(q, 3, r->citizen_id);
	sqs_ref_text(q, 4, r->unit_id);
	sqlite3_bind_int(q, 5, r->kind);
	sqlite3_bind_int(q, 6, r->state);
	sqlite3_bind_int(q, 7, r->extended);
	sqlite3_bind_int64(q, 8, r->made);
	sqlite3_bind_int64(q, 9, r->due);
	sqlite3_bind_int64(q, 10, r->decided);
	bind_text_or_null(q, 11, r->decided_by);
	sqs_ref_text(q, 12, r->message_id);
	bind_text_or_null(q, 13, r->decision_message_id);
	return sqs_once_run(st, q);
}

static int request_get(struct store *st, const char *id, struct store_rights_request *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " REQUEST_COLUMNS REQUEST_FROM " WHERE r.id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	read_request(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int request_update(struct store *st, const struct store_rights_request *r)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE rights_requests SET state = ?2, extended = ?3, due = ?4,"
					  " decided = nullif(?5, 0), decided_by = ?6,"
					  " decision_message_id = ?7 WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, r->id);
	sqlite3_bind_int(q, 2, r->state);
	sqlite3_bind_int(q, 3, r->extended);
	sqlite3_bind_int64(q, 4, r->due);
	sqlite3_bind_int64(q, 5, r->decided);
	bind_text_or_null(q, 6, r->decided_by);
	bind_text_or_null(q, 7, r->decision_message_id);
	rc = sqs_status(st, sqlite3_step(q));
	if (rc == STORE_OK && sqlite3_changes(store_sqlite_db(st)) == 0)
		rc = STORE_NOTFOUND;
	sqlite3_finalize(q);
	return rc;
}

static int request_open_of(struct store *st, const char *thread_id, int kind, char id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT id FROM rights_requests WHERE thread_id = ?1 AND kind = ?2"
					  " AND state IN (0, 3) LIMIT 1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int(q, 2, kind);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(id, STORE_ID_SIZE, q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

/* The units filter of a list: "unit IN (?7, ?8, ...)" for n units, into buf. */
static void units_clause(char *buf, size_t size, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	if (n == 0)
		return;
	len += (size_t)snprintf(buf, size, " AND ifnull(q.unit_id, r.unit_id) IN (");
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s?%zu", i ? ", " : "", i + 10);
	if (len < size)
		snprintf(buf + len, size - len, ")");
}

static int request_list(struct store *st, const struct store_rights_query *qr, store_rights_request_cb cb,
			void *arg)
{
	char units[STORE_QUERY_UNITS * 8 + 64], sql[1024];
	struct store_rights_request r;
	size_t nunits = qr->nunits < STORE_QUERY_UNITS ? qr->nunits : STORE_QUERY_UNITS;
	sqlite3_stmt *q;
	int rc;

	units_clause(units, sizeof units, nunits);
	snprintf(sql, sizeof sql,
		 "SELECT " REQUEST_COLUMNS REQUEST_FROM " WHERE (?1 = '' OR r.citizen_id = ?1)"
		 " AND (?2 = '' OR r.thread_id = ?2) AND (?3 = 0 OR r.state IN (0, 3))%s"
		 " ORDER BY r.due, r.id LIMIT ?4",
		 units);
	if ((q = sqs_prepare(st, sql)) == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, qr->citizen_id);
	sqs_ref_text(q, 2, qr->thread_id);
	sqlite3_bind_int(q, 3, qr->open_only);
	sqlite3_bind_int(q, 4, qr->limit);
	for (size_t i = 0; i < nunits; i++)
		sqs_ref_text(q, (int)i + 10, qr->units[i]);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_request(q, &r);
		if (cb(arg, &r) != 0) {
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

/* 32 hex digits into 16 bytes; 0, or -1 when `hex` is no id. */
static int id_bytes(const char *hex, uint8_t out[16])
{
	if (strlen(hex) != 32)
		return -1;
	for (size_t i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int message_find(struct store *st, const char *thread_id, const char *message_id, int64_t *seq,
			enum store_role *role)
{
	sqlite3_stmt *q;
	uint8_t id[16];
	int rc;

	if (id_bytes(message_id, id) != 0)
		return STORE_NOTFOUND;
	if ((q = sqs_prepare(st,
			     "SELECT seq, sender_role FROM messages WHERE thread_id = ?1 AND msg_id = ?2")) ==
	    NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqs_ref_blob(q, 2, id, sizeof id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*seq = sqlite3_column_int64(q, 0);
	*role = (enum store_role)sqlite3_column_int(q, 1);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int correction_put(struct store *st, const struct store_correction *c)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO corrections(thread_id, seq, corrected_id, message_id,"
					  " corrector_id, role, time) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, c->thread_id);
	sqlite3_bind_int64(q, 2, c->seq);
	sqs_ref_text(q, 3, c->corrected_id);
	bind_text_or_null(q, 4, c->message_id);
	sqs_ref_text(q, 5, c->corrector_id);
	sqlite3_bind_int(q, 6, c->role);
	sqlite3_bind_int64(q, 7, c->time);
	return sqs_once_run(st, q);
}

static int correction_list(struct store *st, const char *thread_id, int64_t after, store_correction_cb cb,
			   void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT thread_id, seq, corrected_id, ifnull(message_id, ''),"
					  " corrector_id, role, time FROM corrections"
					  " WHERE thread_id = ?1 AND seq > ?2 ORDER BY seq");
	struct store_correction c;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, after);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&c, 0, sizeof c);
		sqs_text(c.thread_id, sizeof c.thread_id, q, 0);
		c.seq = sqlite3_column_int64(q, 1);
		sqs_text(c.corrected_id, sizeof c.corrected_id, q, 2);
		sqs_text(c.message_id, sizeof c.message_id, q, 3);
		sqs_text(c.corrector_id, sizeof c.corrector_id, q, 4);
		c.role = (enum store_role)sqlite3_column_int(q, 5);
		c.time = sqlite3_column_int64(q, 6);
		if (cb(arg, &c) != 0) {
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

static int restriction_get(struct store *st, const char *thread_id, struct store_restriction *out)
{
	sqlite3_stmt *q = sqs_kept(st, SQS_RIGHTS, stmt_sql, STMT__COUNT, S_RESTRICTION_GET);
	int rc;

	memset(out, 0, sizeof *out);
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, thread_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	snprintf(out->thread_id, sizeof out->thread_id, "%s", thread_id);
	out->restricted = sqlite3_column_int(q, 0);
	sqs_text(out->by, sizeof out->by, q, 1);
	out->time = sqlite3_column_int64(q, 2);
	sqs_text(out->reason, sizeof out->reason, q, 3);
	sqlite3_reset(q);
	return STORE_OK;
}

static int restriction_put(struct store *st, const struct store_restriction *r)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT OR REPLACE INTO thread_restrictions(thread_id, restricted,"
					  " set_by, time, reason) VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, r->thread_id);
	sqlite3_bind_int(q, 2, r->restricted != 0);
	sqs_ref_text(q, 3, r->by);
	sqlite3_bind_int64(q, 4, r->time);
	sqs_ref_text(q, 5, r->reason);
	return sqs_once_run(st, q);
}

static int reason_put(struct store *st, int64_t audit_row, const char *reason)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO legal_claim_reads(audit_row, reason) VALUES(?1, ?2)");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, audit_row);
	sqs_ref_text(q, 2, reason);
	return sqs_once_run(st, q);
}

static int reason_get(struct store *st, int64_t audit_row, char *out, size_t cap)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT reason FROM legal_claim_reads WHERE audit_row = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, audit_row);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(out, cap, q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

const struct store_rights_ops store_sqlite_rights_ops = {
	.request_put = request_put,
	.request_get = request_get,
	.request_update = request_update,
	.request_open_of = request_open_of,
	.request_list = request_list,
	.message_find = message_find,
	.correction_put = correction_put,
	.correction_list = correction_list,
	.restriction_get = restriction_get,
	.restriction_put = restriction_put,
	.reason_put = reason_put,
	.reason_get = reason_get,
};
