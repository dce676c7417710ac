/*
 * store_sqlite_duty.c - who works when, in the SQLite store (struct store_duty_ops): roster
 * shifts, duty overrides and the closed days.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum duty_stmt {
	Q_CLOSED_PUT,
	Q_CLOSED_DEL,
	Q_CLOSED_LIST,
	Q_CLOSED_NAMES,
	Q_ROSTER_ADD,
	Q_ROSTER_DEL,
	Q_ROSTER_LIST,
	Q_DUTY_GET,
	Q_DUTY_PUT,
	Q_DUTY_DEL,
	STMT__COUNT
};

static const char *const stmt_sql[STMT__COUNT] = {
	[Q_CLOSED_PUT] = "INSERT OR REPLACE INTO closed_days(day, name) VALUES(?1, ?2)",
	[Q_CLOSED_DEL] = "DELETE FROM closed_days WHERE day = ?1",
	[Q_CLOSED_LIST] = "SELECT day FROM closed_days ORDER BY day",
	[Q_CLOSED_NAMES] = "SELECT day, name FROM closed_days WHERE day BETWEEN ?1 AND ?2 ORDER BY day",
	[Q_ROSTER_ADD] = "INSERT INTO roster(user_id, unit_id, days, start_min, end_min, on_holidays)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_ROSTER_DEL] = "DELETE FROM roster WHERE id = ?1",
	[Q_ROSTER_LIST] = "SELECT id, user_id, unit_id, days, start_min, end_min, on_holidays FROM roster"
			  " WHERE (?1 = '' OR unit_id = ?1) AND (?2 IS NULL OR user_id = ?2)"
			  " ORDER BY unit_id, user_id, id",
	[Q_DUTY_GET] = "SELECT mode, until, updated FROM duty WHERE user_id = ?1",
	[Q_DUTY_PUT] = "INSERT OR REPLACE INTO duty(user_id, mode, until, updated) VALUES(?1, ?2, ?3, ?4)",
	[Q_DUTY_DEL] = "DELETE FROM duty WHERE user_id = ?1",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum duty_stmt id)
{
	return sqs_kept(st, SQS_DUTY, stmt_sql, STMT__COUNT, (int)id);
}

/* Roster and duty */

static int roster_add(struct store *st, struct store_roster *r)
{
	sqlite3_stmt *q = stmt(st, Q_ROSTER_ADD);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, r->user_id);
	sqs_bind_text(q, 2, r->unit_id);
	sqlite3_bind_int(q, 3, (int)r->days);
	sqlite3_bind_int(q, 4, r->start_min);
	sqlite3_bind_int(q, 5, r->end_min);
	sqlite3_bind_int(q, 6, r->on_holidays);
	if ((rc = sqs_run(st, q)) == STORE_OK)
		r->id = sqlite3_last_insert_rowid(store_sqlite_db(st));
	return rc;
}

static int roster_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *q = stmt(st, Q_ROSTER_DEL);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, id);
	return sqs_run_change(st, q);
}

static int roster_list(struct store *st, const char *unit_id, const char *user_id, store_roster_cb cb,
		       void *arg)
{
	sqlite3_stmt *q = stmt(st, Q_ROSTER_LIST);
	struct store_roster r;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id ? unit_id : "");
	if (user_id != NULL)
		sqs_bind_text(q, 2, user_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.id = sqlite3_column_int64(q, 0);
		sqs_text(r.user_id, sizeof r.user_id, q, 1);
		sqs_text(r.unit_id, sizeof r.unit_id, q, 2);
		r.days = (unsigned)sqlite3_column_int(q, 3);
		r.start_min = sqlite3_column_int(q, 4);
		r.end_min = sqlite3_column_int(q, 5);
		r.on_holidays = sqlite3_column_int(q, 6);
		if (cb(arg, &r) != 0)
			break;
	}
	return sqs_done(q, rc);
}

static int duty_get(struct store *st, const char *user_id, struct store_duty *out)
{
	sqlite3_stmt *q = stmt(st, Q_DUTY_GET);
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	out->mode = sqlite3_column_int(q, 0);
	out->until = sqlite3_column_int64(q, 1);
	out->updated = sqlite3_column_int64(q, 2);
	sqlite3_reset(q);
	return STORE_OK;
}

static int duty_put(struct store *st, const struct store_duty *d)
{
	sqlite3_stmt *q = stmt(st, d->mode == 0 ? Q_DUTY_DEL : Q_DUTY_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, d->user_id);
	if (d->mode != 0) {
		sqlite3_bind_int(q, 2, d->mode);
		sqlite3_bind_int64(q, 3, d->until);
		sqlite3_bind_int64(q, 4, d->updated);
	}
	return sqs_run(st, q);
}

static int closed_day_put(struct store *st, int32_t day, const char *name)
{
	sqlite3_stmt *q = stmt(st, Q_CLOSED_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, day);
	sqs_bind_text(q, 2, name);
	return sqs_run(st, q);
}

static int closed_day_delete(struct store *st, int32_t day)
{
	sqlite3_stmt *q = stmt(st, Q_CLOSED_DEL);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, day);
	return sqs_run_change(st, q);
}

static int closed_day_list(struct store *st, int32_t *out, size_t max, size_t *n)
{
	sqlite3_stmt *q = stmt(st, Q_CLOSED_LIST);
	int rc;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max)
		out[(*n)++] = sqlite3_column_int(q, 0);
	return sqs_done(q, rc);
}

static int closed_day_names(struct store *st, int32_t from, int32_t to, store_closed_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, Q_CLOSED_NAMES);
	char name[STORE_NAME_SIZE];
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, from);
	sqlite3_bind_int(q, 2, to);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqs_text(name, sizeof name, q, 1);
		if (cb(arg, sqlite3_column_int(q, 0), name) != 0)
			break;
	}
	return sqs_done(q, rc);
}

const struct store_duty_ops store_sqlite_duty_ops = {
	.closed_day_put = closed_day_put,
	.closed_day_delete = closed_day_delete,
	.closed_day_list = closed_day_list,
	.closed_day_names = closed_day_names,
	.roster_add = roster_add,
	.roster_delete = roster_delete,
	.roster_list = roster_list,
	.get = duty_get,
	.put = duty_put,
};
