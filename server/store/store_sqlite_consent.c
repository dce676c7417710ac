/*
 * store_sqlite_consent.c - consent and the records connector in the SQLite store (struct
 * store_consent_ops): connector accounts and the units they hold seeds of, consents of threads
 * to a connector, hand-overs to the client record and export orders. Consent events are kept
 * as bytes; the core checks them first.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

#define CONNECTOR_COLS "id, name, kid, sign_kid, created, ended"
#define CONSENT_COLS   "thread_id, connector_id, kid, given, withdrawn, epoch, event"
#define ORDER_COLS     "id, citizen_id, recipient, basis, created, done, connector_id, digest, files"

/* Runs a one-row write; STORE_NOTFOUND when it changed no row. Finalizes q. */
static int run_change(struct store *st, sqlite3_stmt *q)
{
	int rc = sqs_once_run(st, q);

	if (rc == STORE_OK && sqlite3_changes(store_sqlite_db(st)) == 0)
		return STORE_NOTFOUND;
	return rc;
}

/* Steps q to its end; STORE_OK or STORE_ERROR (logged). Finalizes q. */
static int finish(struct store *st, sqlite3_stmt *q, int rc)
{
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

/* --- Connectors --- */

static void connector_read(sqlite3_stmt *q, struct store_connector *c)
{
	memset(c, 0, sizeof *c);
	sqs_text(c->id, sizeof c->id, q, 0);
	sqs_text(c->name, sizeof c->name, q, 1);
	sqs_blob(c->kid, sizeof c->kid, q, 2);
	sqs_blob(c->sign_kid, sizeof c->sign_kid, q, 3);
	c->created = sqlite3_column_int64(q, 4);
	c->ended = sqlite3_column_int64(q, 5);
}

static int connector_put(struct store *st, const struct store_connector *c)
{
	sqlite3_stmt *q;
	int rc = sqs_user_insert(st, c->id, ROLE_CONNECTOR, c->created);

	if (rc != STORE_OK)
		return rc;
	q = sqs_prepare(st, "INSERT INTO connectors(" CONNECTOR_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, 0)");
	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, c->id);
	sqs_ref_text(q, 2, c->name);
	sqs_ref_blob(q, 3, c->kid, sizeof c->kid);
	sqs_ref_blob(q, 4, c->sign_kid, sizeof c->sign_kid);
	sqlite3_bind_int64(q, 5, c->created);
	return sqs_once_run(st, q);
}

/* One connector by the query q (bound); finalizes q. */
static int connector_one(struct store *st, sqlite3_stmt *q, struct store_connector *out)
{
	int rc = sqs_once_one(st, q);

	if (rc != SQLITE_ROW)
		return rc;
	connector_read(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int connector_get(struct store *st, const char *name, struct store_connector *out)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT " CONNECTOR_COLS " FROM connectors WHERE name = ?1 OR id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, name);
	return connector_one(st, q, out);
}

static int connector_by_kid(struct store *st, const uint8_t kid[STORE_KID_BYTES], struct store_connector *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " CONNECTOR_COLS " FROM connectors WHERE kid = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, kid, STORE_KID_BYTES);
	return connector_one(st, q, out);
}

/* Calls cb per connector of the query q (bound); finalizes q. */
static int connector_each(struct store *st, sqlite3_stmt *q, store_connector_cb cb, void *arg)
{
	struct store_connector c;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		connector_read(q, &c);
		if (cb(arg, &c) != 0)
			break;
	}
	return finish(st, q, rc);
}

static int connector_list(struct store *st, store_connector_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " CONNECTOR_COLS " FROM connectors ORDER BY name");

	return q == NULL ? STORE_ERROR : connector_each(st, q, cb, arg);
}

static int connector_end(struct store *st, const char *id, int64_t when)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE connectors SET ended = ?2 WHERE id = ?1 AND ended = 0");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	sqlite3_bind_int64(q, 2, when);
	return run_change(st, q);
}

static int unit_add(struct store *st, const char *connector_id, const char *unit_id, int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(
		st, "INSERT INTO connector_units(connector_id, unit_id, created) VALUES(?1, ?2, ?3)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, connector_id);
	sqs_ref_text(q, 2, unit_id);
	sqlite3_bind_int64(q, 3, now);
	return sqs_once_run(st, q);
}

static int units(struct store *st, const char *connector_id, struct store_membership *out, size_t max,
		 size_t *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id FROM connector_units WHERE connector_id = ?1"
					  " ORDER BY unit_id");
	int rc = SQLITE_DONE;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, connector_id);
	while (*n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&out[*n], 0, sizeof out[*n]);
		sqs_text(out[*n].unit_id, sizeof out[*n].unit_id, q, 0);
		out[*n].role = ROLE_CONNECTOR;
		(*n)++;
	}
	if (*n == max)
		rc = SQLITE_DONE;
	return finish(st, q, rc);
}

static int unit_connectors(struct store *st, const char *unit_id, store_connector_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT c.id, c.name, c.kid, c.sign_kid, c.created, c.ended"
					  " FROM connectors c JOIN connector_units u ON u.connector_id = c.id"
					  " WHERE u.unit_id = ?1 AND c.ended = 0 ORDER BY c.name");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	return connector_each(st, q, cb, arg);
}

/* --- Consents and hand-overs --- */

static void consent_read(sqlite3_stmt *q, struct store_consent *c)
{
	memset(c, 0, sizeof *c);
	sqs_text(c->thread_id, sizeof c->thread_id, q, 0);
	sqs_text(c->connector_id, sizeof c->connector_id, q, 1);
	sqs_blob(c->kid, sizeof c->kid, q, 2);
	c->given = sqlite3_column_int64(q, 3);
	c->withdrawn = sqlite3_column_int64(q, 4);
	c->epoch = sqlite3_column_int64(q, 5);
	c->event_len = sqs_blob_len(q, 6, c->event, sizeof c->event);
}

static int consent_put(struct store *st, const struct store_consent *c)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO consents(" CONSENT_COLS ") VALUES(?1, ?2, ?3, ?4, 0, ?5, ?6)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, c->thread_id);
	sqs_ref_text(q, 2, c->connector_id);
	sqs_ref_blob(q, 3, c->kid, sizeof c->kid);
	sqlite3_bind_int64(q, 4, c->given);
	sqlite3_bind_int64(q, 5, c->epoch);
	sqs_ref_blob(q, 6, c->event, c->event_len);
	return sqs_once_run(st, q);
}

static int consent_get(struct store *st, const char *thread_id, int live_only, struct store_consent *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " CONSENT_COLS " FROM consents WHERE thread_id = ?1"
					  " AND (?2 = 0 OR withdrawn = 0) ORDER BY seq DESC LIMIT 1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int(q, 2, live_only);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	consent_read(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

/* Withdrawal also deletes the thread-key wraps sealed to the connector: what it has imported
 * already is the record system's; nothing more opens for it here. */
static int consent_withdraw(struct store *st, const char *thread_id, int64_t when, const uint8_t *event,
			    size_t len)
{
	struct store_consent c;
	sqlite3_stmt *q;
	int rc = consent_get(st, thread_id, 1, &c);

	if (rc != STORE_OK)
		return rc;
	q = sqs_prepare(st, "UPDATE consents SET withdrawn = ?2, withdraw_event = ?3"
			    " WHERE thread_id = ?1 AND withdrawn = 0");
	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, when);
	sqs_ref_blob(q, 3, event, len);
	if ((rc = run_change(st, q)) != STORE_OK)
		return rc;
	q = sqs_prepare(st, "DELETE FROM e2e_wraps WHERE thread_id = ?1 AND kid = ?2");
	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqs_ref_blob(q, 2, c.kid, sizeof c.kid);
	return sqs_once_run(st, q);
}

static int consent_pending(struct store *st, const char *connector_id, int limit, store_pending_cb cb,
			   void *arg)
{
	sqlite3_stmt *q = sqs_prepare(
		st, "SELECT * FROM (SELECT c.thread_id, c.connector_id, c.kid, c.given, c.withdrawn, c.epoch,"
		    "   c.event, coalesce((SELECT max(e.epoch) FROM e2e_epochs e WHERE e.thread_id = "
		    "c.thread_id), 0)"
		    "   AS cur, t.citizen_id, c.seq AS seq"
		    " FROM consents c JOIN threads t ON t.id = c.thread_id"
		    " WHERE c.connector_id = ?1 AND c.withdrawn = 0 AND t.state = ?3) p"
		    " WHERE NOT EXISTS (SELECT 1 FROM handovers h WHERE h.thread_id = p.thread_id AND "
		    "h.epoch = p.cur)"
		    " ORDER BY p.seq LIMIT ?2");
	struct store_consent c;
	char citizen[STORE_ID_SIZE];
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, connector_id);
	sqlite3_bind_int(q, 2, limit);
	sqlite3_bind_int(q, 3, THREAD_CLOSED);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		consent_read(q, &c);
		sqs_text(citizen, sizeof citizen, q, 8);
		if (cb(arg, &c, sqlite3_column_int64(q, 7), citizen) != 0)
			break;
	}
	return finish(st, q, rc);
}

static int handover_put(struct store *st, const struct store_handover *h)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO handovers(thread_id, epoch, connector_id, at, digest)"
					  " VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, h->thread_id);
	sqlite3_bind_int64(q, 2, h->epoch);
	sqs_ref_text(q, 3, h->connector_id);
	sqlite3_bind_int64(q, 4, h->at);
	sqs_ref_text(q, 5, h->digest);
	return sqs_once_run(st, q);
}

static int handover_count(struct store *st, const char *thread_id, int64_t *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT count(*) FROM handovers WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

/* --- Export orders --- */

static void order_read(sqlite3_stmt *q, struct store_export_order *o)
{
	memset(o, 0, sizeof *o);
	sqs_text(o->id, sizeof o->id, q, 0);
	sqs_text(o->citizen_id, sizeof o->citizen_id, q, 1);
	sqs_text(o->recipient, sizeof o->recipient, q, 2);
	sqs_text(o->basis, sizeof o->basis, q, 3);
	o->created = sqlite3_column_int64(q, 4);
	o->done = sqlite3_column_int64(q, 5);
	sqs_text(o->connector_id, sizeof o->connector_id, q, 6);
	sqs_text(o->digest, sizeof o->digest, q, 7);
	o->files = sqlite3_column_int64(q, 8);
}

static int order_put(struct store *st, const struct store_export_order *o)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO export_orders(id, citizen_id, recipient, basis, created)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, o->id);
	sqs_ref_text(q, 2, o->citizen_id);
	sqs_ref_text(q, 3, o->recipient);
	sqs_ref_text(q, 4, o->basis);
	sqlite3_bind_int64(q, 5, o->created);
	return sqs_once_run(st, q);
}

static int order_get(struct store *st, const char *id, struct store_export_order *out)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " ORDER_COLS " FROM export_orders WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	order_read(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int order_open_for(struct store *st, const char *citizen_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT 1 FROM export_orders WHERE done = 0 AND citizen_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, citizen_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	sqlite3_finalize(q);
	return STORE_OK;
}

static int order_list(struct store *st, int limit, store_order_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT " ORDER_COLS " FROM export_orders WHERE done = 0"
					  " ORDER BY created, id LIMIT ?1");
	struct store_export_order o;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		order_read(q, &o);
		if (cb(arg, &o) != 0)
			break;
	}
	return finish(st, q, rc);
}

static int order_close(struct store *st, const struct store_export_order *o)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "UPDATE export_orders SET done = ?2, connector_id = ?3, digest = ?4,"
				" files = ?5 WHERE id = ?1 AND done = 0");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, o->id);
	sqlite3_bind_int64(q, 2, o->done);
	sqs_ref_text(q, 3, o->connector_id);
	sqs_ref_text(q, 4, o->digest);
	sqlite3_bind_int64(q, 5, o->files);
	return run_change(st, q);
}

const struct store_consent_ops store_sqlite_consent_ops = {
	.connector_put = connector_put,
	.connector_get = connector_get,
	.connector_by_kid = connector_by_kid,
	.connector_list = connector_list,
	.connector_end = connector_end,
	.unit_add = unit_add,
	.units = units,
	.unit_connectors = unit_connectors,
	.put = consent_put,
	.get = consent_get,
	.withdraw = consent_withdraw,
	.pending = consent_pending,
	.handover_put = handover_put,
	.handover_count = handover_count,
	.order_put = order_put,
	.order_get = order_get,
	.order_open_for = order_open_for,
	.order_list = order_list,
	.order_close = order_close,
};
