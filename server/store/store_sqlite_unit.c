/*
 * store_sqlite_unit.c - units in the SQLite store (struct store_unit_ops): their names, their
 * settings (languages, service hours) and their members with each one's open-thread load and
 * end dates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum unit_stmt {
	S_UNIT_INSERT,
	S_UNIT_FIND,
	S_UNIT_GET,
	S_UNIT_LIST,
	Q_UNIT_SET_GET,
	Q_UNIT_SET_PUT,
	Q_MEMBERS,
	STMT__COUNT
};

static const char *const stmt_sql[STMT__COUNT] = {
	[S_UNIT_INSERT] = "INSERT INTO units(id, name) VALUES(?1, ?2)",
	[S_UNIT_FIND] = "SELECT id FROM units WHERE name = ?1 OR id = ?1",
	[S_UNIT_GET] = "SELECT id, name FROM units WHERE id = ?1",
	[S_UNIT_LIST] = "SELECT id, name FROM units ORDER BY name",
	[Q_UNIT_SET_GET] = "SELECT langs, open_min, close_min FROM unit_settings WHERE unit_id = ?1",
	[Q_UNIT_SET_PUT] = "INSERT OR REPLACE INTO unit_settings(unit_id, langs, open_min, close_min)"
			   " VALUES(?1, ?2, ?3, ?4)",
	[Q_MEMBERS] =
		"SELECT m.user_id, w.username, m.role,"
		" ifnull((SELECT l.open FROM staff_load l WHERE l.user_id = m.user_id), 0),"
		" coalesce(e.ends, 0), coalesce(s.ends, 0), n.name, n.title"
		" FROM memberships m JOIN workers w ON w.user_id = m.user_id"
		" LEFT JOIN role_ends e ON e.user_id = m.user_id AND e.unit_id = m.unit_id AND e.done = 0"
		" LEFT JOIN staff_auth s ON s.user_id = m.user_id"
		" LEFT JOIN staff_names n ON n.user_id = m.user_id"
		" WHERE m.unit_id = ?1 ORDER BY m.user_id",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum unit_stmt id)
{
	return sqs_kept(st, SQS_UNIT, stmt_sql, STMT__COUNT, (int)id);
}

/* Units and queues */

static int unit_insert(struct store *st, const char *id, const char *name)
{
	sqlite3_stmt *q = stmt(st, S_UNIT_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	sqs_bind_text(q, 2, name);
	return sqs_run(st, q);
}

static int unit_find(struct store *st, const char *name, char out_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = stmt(st, S_UNIT_FIND);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, name);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(out_id, STORE_ID_SIZE, q, 0);
	sqlite3_reset(q);
	return STORE_OK;
}

static int unit_get(struct store *st, const char *unit_id, struct store_unit *out)
{
	sqlite3_stmt *q = stmt(st, S_UNIT_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(out->id, sizeof out->id, q, 0);
	sqs_text(out->name, sizeof out->name, q, 1);
	sqlite3_reset(q);
	return STORE_OK;
}

static int unit_list(struct store *st, store_unit_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_UNIT_LIST);
	struct store_unit u;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqs_text(u.id, sizeof u.id, q, 0);
		sqs_text(u.name, sizeof u.name, q, 1);
		if (cb(arg, &u) != 0)
			break;
	}
	return sqs_done(q, rc);
}

/* Unit and queue settings */

static int unit_settings_get(struct store *st, const char *unit_id, struct store_unit_settings *out)
{
	sqlite3_stmt *q = stmt(st, Q_UNIT_SET_GET);
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->unit_id, sizeof out->unit_id, "%s", unit_id);
	out->open_min = 8 * 60;
	out->close_min = 16 * 60;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	sqs_text(out->langs, sizeof out->langs, q, 0);
	out->open_min = sqlite3_column_int(q, 1);
	out->close_min = sqlite3_column_int(q, 2);
	sqlite3_reset(q);
	return STORE_OK;
}

static int unit_settings_put(struct store *st, const struct store_unit_settings *s)
{
	sqlite3_stmt *q = stmt(st, Q_UNIT_SET_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, s->unit_id);
	sqs_bind_text(q, 2, s->langs);
	sqlite3_bind_int(q, 3, s->open_min);
	sqlite3_bind_int(q, 4, s->close_min);
	return sqs_run(st, q);
}

static int unit_members(struct store *st, const char *unit_id, store_member_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, Q_MEMBERS);
	struct store_member m;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		sqs_text(m.user_id, sizeof m.user_id, q, 0);
		sqs_text(m.username, sizeof m.username, q, 1);
		m.role = (enum store_role)sqlite3_column_int(q, 2);
		m.load = sqlite3_column_int(q, 3);
		m.role_ends = sqlite3_column_int64(q, 4);
		m.account_ends = sqlite3_column_int64(q, 5);
		sqs_text(m.name, sizeof m.name, q, 6);
		sqs_text(m.title, sizeof m.title, q, 7);
		if (cb(arg, &m) != 0)
			break;
	}
	return sqs_done(q, rc);
}

const struct store_unit_ops store_sqlite_unit_ops = {
	.insert = unit_insert,
	.find = unit_find,
	.get = unit_get,
	.list = unit_list,
	.settings_get = unit_settings_get,
	.settings_put = unit_settings_put,
	.members = unit_members,
	.name_style_get = sqs_unit_name_style_get,
	.name_style_put = sqs_unit_name_style_put,
};
