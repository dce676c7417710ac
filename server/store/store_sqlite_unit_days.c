/*
 * store_sqlite_unit_days.c - a unit's own closed days in the SQLite store (struct
 * store_unit_days_ops). The service's closed days stay in store_sqlite_duty.c; the core
 * merges both into the calendar of the unit's queues.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

static int day_put(struct store *st, const char *unit_id, int32_t day, const char *note)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT OR REPLACE INTO unit_closed_days(unit_id, day, note)"
					  " VALUES(?1, ?2, ?3)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	sqlite3_bind_int(q, 2, day);
	if (note != NULL)
		sqs_bind_text(q, 3, note);
	return sqs_once_run(st, q);
}

static int day_remove(struct store *st, const char *unit_id, int32_t day)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM unit_closed_days WHERE unit_id = ?1 AND day = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	sqlite3_bind_int(q, 2, day);
	rc = sqs_once_run(st, q);
	if (rc == STORE_OK && sqlite3_changes(store_sqlite_db(st)) == 0)
		return STORE_NOTFOUND;
	return rc;
}

static int day_list(struct store *st, const char *unit_id, int32_t from, int32_t to, int limit,
		    store_unit_day_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT day, note FROM unit_closed_days WHERE unit_id = ?1"
					  " AND day BETWEEN ?2 AND ?3 ORDER BY day LIMIT ?4");
	struct store_unit_day d;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	sqlite3_bind_int(q, 2, from);
	sqlite3_bind_int(q, 3, to);
	sqlite3_bind_int(q, 4, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&d, 0, sizeof d);
		snprintf(d.unit_id, sizeof d.unit_id, "%s", unit_id);
		d.day = sqlite3_column_int(q, 0);
		d.has_note = sqlite3_column_type(q, 1) != SQLITE_NULL;
		sqs_text(d.note, sizeof d.note, q, 1);
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

static int day_count(struct store *st, const char *unit_id, int32_t from, int *n)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT count(*) FROM unit_closed_days WHERE unit_id = ?1 AND day >= ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	sqlite3_bind_int(q, 2, from);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return STORE_ERROR;
	*n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

const struct store_unit_days_ops store_sqlite_unit_days_ops = {
	.put = day_put,
	.remove = day_remove,
	.list = day_list,
	.count = day_count,
};
