/*
 * store_sqlite_names.c - staff display names and titles, and each unit's name style for its
 * citizens, in the SQLite store: operations of the staff and unit tables (store.h), read on
 * every thread event, so their statements are kept.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite_int.h"

enum names_stmt { N_NAME_GET, N_NAME_PUT, N_NAME_DELETE, N_STYLE_GET, N_STYLE_PUT, STMT__COUNT };

static const char *const stmt_sql[STMT__COUNT] = {
	[N_NAME_GET] = "SELECT name, title FROM staff_names WHERE user_id = ?1",
	[N_NAME_PUT] = "INSERT OR REPLACE INTO staff_names(user_id, name, title) VALUES(?1, ?2, ?3)",
	[N_NAME_DELETE] = "DELETE FROM staff_names WHERE user_id = ?1",
	[N_STYLE_GET] = "SELECT style FROM unit_name_style WHERE unit_id = ?1",
	[N_STYLE_PUT] = "INSERT OR REPLACE INTO unit_name_style(unit_id, style) VALUES(?1, ?2)",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum names_stmt id)
{
	return sqs_kept(st, SQS_NAMES, stmt_sql, STMT__COUNT, (int)id);
}

int sqs_staff_name_get(struct store *st, const char *user_id, struct store_staff_name *out)
{
	sqlite3_stmt *q = stmt(st, N_NAME_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
	sqs_text(out->name, sizeof out->name, q, 0);
	sqs_text(out->title, sizeof out->title, q, 1);
	sqlite3_reset(q);
	return STORE_OK;
}

int sqs_staff_name_put(struct store *st, const struct store_staff_name *n)
{
	sqlite3_stmt *q = stmt(st, n->name[0] ? N_NAME_PUT : N_NAME_DELETE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, n->user_id);
	if (n->name[0]) {
		sqs_bind_text(q, 2, n->name);
		sqs_bind_text(q, 3, n->title);
	}
	return sqs_run(st, q);
}

int sqs_unit_name_style_get(struct store *st, const char *unit_id, int *style)
{
	sqlite3_stmt *q = stmt(st, N_STYLE_GET);
	int rc;

	*style = NAME_STYLE_FIRST;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	*style = sqlite3_column_int(q, 0) == NAME_STYLE_FULL ? NAME_STYLE_FULL : NAME_STYLE_FIRST;
	sqlite3_reset(q);
	return STORE_OK;
}

int sqs_unit_name_style_put(struct store *st, const char *unit_id, int style)
{
	sqlite3_stmt *q = stmt(st, N_STYLE_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	sqlite3_bind_int(q, 2, style);
	return sqs_run(st, q);
}
