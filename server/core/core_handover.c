/*
 * core_handover.c - what the records connector reports (PROTOCOL.md §14.4, §14.5): the
 * threads waiting for their hand-over to the client record (handover.pending), a hand-over
 * done (handover.done: once per thread and epoch, with its disclosure-log row), and the
 * register keeper's export orders (export.pending, export.done, a disclosure-log row each).
 */
#include <stdio.h>
#include <string.h>

#include "core_internal.h"
#include "disclosure.h"

#define HANDOVER_PENDING_MAX 100
#define EXPORT_ORDERS_MAX    100
#define EXPORT_THREADS_MAX   1000

static const char *req_str(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

/* Appends a disclosure-log row of the connector caller about citizen `client`. 0 or -1. */
static int disclose(struct ctx *x, const char *unit_id, const char *client, const char *object,
		    const char *recipient, const char *basis, const char *dataset, const char *method)
{
	struct store_disclosure d = { .time = x->now, .role = ROLE_CONNECTOR };

	snprintf(d.user_id, sizeof d.user_id, "%s", x->sess.user_id);
	snprintf(d.unit_id, sizeof d.unit_id, "%s", unit_id);
	snprintf(d.client, sizeof d.client, "%s", client);
	snprintf(d.object, sizeof d.object, "%s", object);
	snprintf(d.recipient, sizeof d.recipient, "%s", recipient);
	snprintf(d.basis, sizeof d.basis, "%s", basis);
	snprintf(d.dataset, sizeof d.dataset, "%s", dataset);
	snprintf(d.method, sizeof d.method, "%s", method);
	snprintf(d.outcome, sizeof d.outcome, "ok");
	return disclosure_append(x->st, &d) == STORE_OK ? 0 : -1;
}

/* --- handover.pending --- */

struct pending_acc {
	json_t *arr;
	int failed;
};

static int add_pending(void *arg, const struct store_consent *c, int64_t epoch, const char *citizen_id)
{
	struct pending_acc *a = arg;
	json_t *o = json_pack("{s:s, s:I, s:o, s:s}", "thread", c->thread_id, "epoch", (json_int_t)epoch,
			      "consent", core_consent_json(c), "citizen", citizen_id);

	if (o == NULL || json_array_append_new(a->arr, o) != 0) {
		a->failed = 1;
		return 1;
	}
	return 0;
}

int core_handover_pending(struct ctx *x)
{
	struct pending_acc a = { .arr = json_array() };

	if (a.arr == NULL || json_object_set_new(x->result, "threads", a.arr) != 0)
		return -1;
	if (x->st->ops->consent->pending(x->st, x->sess.user_id, HANDOVER_PENDING_MAX, add_pending, &a) !=
		    STORE_OK ||
	    a.failed)
		return -1;
	return 0;
}

/* --- handover.done --- */

int core_handover_done(struct ctx *x)
{
	struct store_handover h = { .at = x->now };
	struct store_thread t;
	char object[STORE_ID_SIZE + 8];
	int64_t current = 0, epoch = json_integer_value(json_object_get(x->msg, "epoch"));
	int rc;

	if ((rc = core_thread_for(x, ACT_HANDOVER_DONE, &t)) != 0 || x->err)
		return rc;
	if (x->st->ops->rekey->epoch_current(x->st, t.id, &current) != STORE_OK)
		return -1;
	if (epoch > current) {
		snprintf(x->err_field, sizeof x->err_field, "/epoch");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the thread has no epoch %lld (it is at %lld)",
				 (long long)epoch, (long long)current);
	}
	snprintf(h.thread_id, sizeof h.thread_id, "%s", t.id);
	h.epoch = epoch;
	snprintf(h.connector_id, sizeof h.connector_id, "%s", x->sess.user_id);
	snprintf(h.digest, sizeof h.digest, "%s", req_str(x, "digest"));
	rc = x->st->ops->consent->handover_put(x->st, &h);
	if (rc == STORE_EXISTS)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the thread was handed over at epoch %lld already",
				 (long long)epoch);
	snprintf(object, sizeof object, "thread:%s", t.id);
	if (rc != STORE_OK || disclose(x, t.unit_id, t.citizen_id, object, req_str(x, "recipient"),
				       req_str(x, "basis"), req_str(x, "dataset"), req_str(x, "method")) != 0)
		return -1;
	if (json_object_set_new(x->result, "handover",
				json_pack("{s:s, s:I, s:I, s:s}", "thread", t.id, "epoch", (json_int_t)epoch,
					  "at", (json_int_t)h.at, "digest", h.digest)) != 0)
		return -1;
	return core_thread_changed(x, &t);
}

/* --- Export orders --- */

struct order_acc {
	struct ctx *x;
	json_t *arr;
	int failed;
};

static int add_thread_id(void *arg, const struct store_thread_view *v)
{
	json_t *arr = arg;

	return json_array_append_new(arr, json_string(v->t.id)) == 0 ? 0 : -1;
}

/* The ids of the citizen's threads, latest activity first, into arr. 0 or -1. */
static int citizen_threads(struct ctx *x, const char *citizen_id, json_t *arr)
{
	struct store_thread_query q = {
		.user_id = citizen_id,
		.citizen = 1,
		.changed_since = -1,
		.before_updated = -1,
		.limit = EXPORT_THREADS_MAX,
	};

	return x->st->ops->thread->list_view(x->st, &q, add_thread_id, arr) == STORE_OK ? 0 : -1;
}

static int add_order(void *arg, const struct store_export_order *o)
{
	struct order_acc *a = arg;
	json_t *threads = json_array();
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "order", o->id, "citizen", o->citizen_id,
			      "recipient", o->recipient, "basis", o->basis, "threads", threads);

	if (j == NULL || json_array_append_new(a->arr, j) != 0 ||
	    citizen_threads(a->x, o->citizen_id, threads) != 0) {
		a->failed = 1;
		return 1;
	}
	return 0;
}

int core_export_pending(struct ctx *x)
{
	struct order_acc a = { .x = x, .arr = json_array() };

	if (a.arr == NULL || json_object_set_new(x->result, "orders", a.arr) != 0)
		return -1;
	if (x->st->ops->consent->order_list(x->st, EXPORT_ORDERS_MAX, add_order, &a) != STORE_OK || a.failed)
		return -1;
	return 0;
}

int core_export_done(struct ctx *x)
{
	struct store_export_order o;
	char object[STORE_ID_SIZE + 8], dataset[64];
	const char *id = req_str(x, "order");
	int rc = x->st->ops->consent->order_get(x->st, id, &o);

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || o.done != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/order");
		return core_fail(x, rc == STORE_NOTFOUND ? ADVICE_ERR_NOT_FOUND : ADVICE_ERR_CONFLICT,
				 rc == STORE_NOTFOUND ? "no such export order"
						      : "the export order is done already");
	}
	o.done = x->now;
	o.files = json_integer_value(json_object_get(x->msg, "files"));
	snprintf(o.connector_id, sizeof o.connector_id, "%s", x->sess.user_id);
	snprintf(o.digest, sizeof o.digest, "%s", req_str(x, "digest"));
	snprintf(object, sizeof object, "export:%s", o.id);
	snprintf(dataset, sizeof dataset, "every thread of the citizen, %lld files", (long long)o.files);
	if (x->st->ops->consent->order_close(x->st, &o) != STORE_OK ||
	    disclose(x, "", o.citizen_id, object, o.recipient, o.basis, dataset, "export") != 0)
		return -1;
	json_object_set_new(x->result, "order", json_string(o.id));
	json_object_set_new(x->result, "done", json_integer(o.done));
	return 0;
}
