/*
 * log_report.c - the client's log report from both logs (see log_report.h). Reads the store
 * only; calls nothing of the other core files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_report.h"

#define NAME_CACHE 32

/* Names looked up once per report: units' names and actors' names. */
struct names {
	struct {
		char id[STORE_ID_SIZE];
		char name[STORE_PERSON_SIZE > STORE_NAME_SIZE ? STORE_PERSON_SIZE : STORE_NAME_SIZE];
		int found;
	} unit[NAME_CACHE], user[NAME_CACHE];
	size_t nunit, nuser;
};

/* A list being collected: its rows and their JSON sizes. */
struct list {
	json_t *rows;
	size_t bytes[LOG_REPORT_MAX_ROWS + 1];
	int64_t time[LOG_REPORT_MAX_ROWS + 1];
	size_t total;
};

struct collect {
	struct store *st;
	const struct log_report_query *q;
	struct names *names;
	struct list *list;
	int failed;
};

const char *log_report_role(enum store_role r)
{
	switch (r) {
	case ROLE_WORKER: return "worker";
	case ROLE_SUPERVISOR: return "supervisor";
	case ROLE_ADMIN: return "admin";
	case ROLE_CONNECTOR: return "connector";
	default: return NULL;
	}
}

/* The unit's name (NULL when the unit is unknown); -1 when the store failed. */
static int unit_name(struct collect *c, const char *unit_id, const char **out)
{
	struct names *n = c->names;
	struct store_unit u;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < n->nunit; i++)
		if (strcmp(n->unit[i].id, unit_id) == 0) {
			*out = n->unit[i].found ? n->unit[i].name : NULL;
			return 0;
		}
	if ((rc = c->st->ops->unit->get(c->st, unit_id, &u)) == STORE_ERROR)
		return -1;
	i = n->nunit < NAME_CACHE ? n->nunit++ : NAME_CACHE - 1;
	snprintf(n->unit[i].id, sizeof n->unit[i].id, "%s", unit_id);
	snprintf(n->unit[i].name, sizeof n->unit[i].name, "%s", rc == STORE_OK ? u.name : "");
	n->unit[i].found = rc == STORE_OK;
	*out = n->unit[i].found ? n->unit[i].name : NULL;
	return 0;
}

/* The name a report shows for a person's user id: the staff display name, or for a
 * connector its account's name. NULL when there is none; -1 when the store failed. */
static int actor_name(struct collect *c, const char *user_id, enum store_role role, const char **out)
{
	struct names *n = c->names;
	struct store_staff_name sn;
	struct store_connector conn;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < n->nuser; i++)
		if (strcmp(n->user[i].id, user_id) == 0) {
			*out = n->user[i].found ? n->user[i].name : NULL;
			return 0;
		}
	i = n->nuser < NAME_CACHE ? n->nuser++ : NAME_CACHE - 1;
	snprintf(n->user[i].id, sizeof n->user[i].id, "%s", user_id);
	n->user[i].found = 0;
	if ((rc = c->st->ops->staff->name_get(c->st, user_id, &sn)) == STORE_ERROR)
		return -1;
	if (rc == STORE_OK && sn.name[0]) {
		snprintf(n->user[i].name, sizeof n->user[i].name, "%s", sn.name);
		n->user[i].found = 1;
	} else if (role == ROLE_CONNECTOR) {
		/* A connector's account is in the connectors table, not among the workers. */
		if ((rc = c->st->ops->consent->connector_get(c->st, user_id, &conn)) == STORE_ERROR)
			return -1;
		if (rc == STORE_OK) {
			snprintf(n->user[i].name, sizeof n->user[i].name, "%s", conn.name);
			n->user[i].found = 1;
		}
	}
	*out = n->user[i].found ? n->user[i].name : NULL;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] ? json_string(s) : json_null();
}

/* The thread id of an object "thread:<id>", else NULL. */
static const char *object_thread(const char *object)
{
	return strncmp(object, "thread:", 7) == 0 && object[7] ? object + 7 : NULL;
}

/* Adds row `o` (consumed) at `time` to the list; stops (1) past the row or byte limit. */
static int list_add(struct collect *c, json_t *o, int64_t time)
{
	struct list *l = c->list;
	size_t n = json_array_size(l->rows);

	if (o == NULL || json_array_append_new(l->rows, o) != 0) {
		c->failed = 1;
		return 1;
	}
	l->bytes[n] = json_dumpb(o, NULL, 0, JSON_COMPACT) + 1;
	l->time[n] = time;
	l->total += l->bytes[n];
	return n + 1 > LOG_REPORT_MAX_ROWS || l->total > LOG_REPORT_MAX_BYTES;
}

static int add_access(void *arg, const struct store_audit *a)
{
	struct collect *c = arg;
	const char *role = log_report_role(a->role), *uname = NULL, *pname = NULL;

	if (role == NULL || (c->q->exclude_user != NULL && strcmp(a->user_id, c->q->exclude_user) == 0))
		return 0;
	if ((a->unit_id[0] && unit_name(c, a->unit_id, &uname) != 0) ||
	    (a->role != ROLE_ADMIN && actor_name(c, a->user_id, a->role, &pname) != 0)) {
		c->failed = 1;
		return 1;
	}
	return list_add(c,
			json_pack("{s:I, s:o, s:o, s:s, s:o, s:s, s:o, s:s}", "time", (json_int_t)a->time,
				  "unit", str_or_null(a->unit_id), "unit_name", str_or_null(uname), "role",
				  role, "name", str_or_null(pname), "action", a->action, "thread",
				  str_or_null(object_thread(a->object)), "outcome", a->outcome),
			a->time);
}

static int add_disclosure(void *arg, const struct store_disclosure *d)
{
	struct collect *c = arg;

	if (strcmp(d->outcome, "ok") != 0)
		return 0;
	return list_add(c,
			json_pack("{s:I, s:o, s:s, s:s, s:s, s:s}", "time", (json_int_t)d->time, "thread",
				  str_or_null(object_thread(d->object)), "recipient", d->recipient, "basis",
				  d->basis, "dataset", d->dataset, "method", d->method),
			d->time);
}

/* The moment before which both lists fit their limits together (oldest first, merged), or 0
 * when all of both fit. */
static int64_t cut_time(const struct list *a, const struct list *d)
{
	size_t na = json_array_size(a->rows), nd = json_array_size(d->rows), i = 0, j = 0, total = 0;

	while (i < na || j < nd) {
		int take_a = j >= nd || (i < na && a->time[i] <= d->time[j]);
		int64_t t = take_a ? a->time[i] : d->time[j];

		total += take_a ? a->bytes[i] : d->bytes[j];
		if ((take_a ? i + 1 : j + 1) > LOG_REPORT_MAX_ROWS || total > LOG_REPORT_MAX_BYTES)
			return t;
		if (take_a)
			i++;
		else
			j++;
	}
	return 0;
}

/* Drops the rows at or after `t` from the end of a list. */
static void cut_list(struct list *l, int64_t t)
{
	size_t n = json_array_size(l->rows);

	while (n > 0 && l->time[n - 1] >= t)
		json_array_remove(l->rows, --n);
}

/* Both lists collected into `out`, then cut to their limits. 0 or -1. */
static int build(struct store *st, const struct log_report_query *q, json_t *out, struct names *names,
		 struct list *acc, struct list *dis)
{
	struct store_log_query lq = { .from = q->from, .to = q->to };
	struct collect c = { .st = st, .q = q, .names = names };
	int64_t cut;

	acc->rows = json_array();
	dis->rows = json_array();
	json_object_set_new(out, "accesses", acc->rows);
	json_object_set_new(out, "disclosures", dis->rows);
	if (acc->rows == NULL || dis->rows == NULL)
		return -1;
	snprintf(lq.client, sizeof lq.client, "%s", q->client);
	c.list = acc;
	if (st->ops->disclosure->access(st, &lq, add_access, &c) != STORE_OK || c.failed)
		return -1;
	c.list = dis;
	if (st->ops->disclosure->query(st, &lq, add_disclosure, &c) != STORE_OK || c.failed)
		return -1;
	cut = cut_time(acc, dis);
	if (cut != 0) {
		cut_list(acc, cut);
		cut_list(dis, cut);
		if (json_array_size(acc->rows) + json_array_size(dis->rows) == 0)
			cut++; /* every row at one moment: that moment is skipped, not repeated */
		json_object_set_new(out, "next", json_integer(cut));
	}
	json_object_set_new(out, "more", json_boolean(cut != 0));
	return 0;
}

int log_report_build(struct store *st, const struct log_report_query *q, json_t *out)
{
	struct names *names = calloc(1, sizeof *names);
	struct list *acc = calloc(1, sizeof *acc), *dis = calloc(1, sizeof *dis);
	int rc = names && acc && dis ? build(st, q, out, names, acc, dis) : -1;

	free(names);
	free(acc);
	free(dis);
	return rc;
}
