/*
 * core_rekey.c - the server side of re-keying: it stores and hands out the signed unit log
 * (keys.unit, with paging by entry number) and the signed thread epoch events (thread.rekey,
 * thread.keys), and refuses writes at a thread-key epoch older than the thread's current one.
 * As everywhere in end-to-end encryption the server checks formats, continuity and who signs
 * what, never content: it holds no key that opens anything. PROTOCOL.md §12.6. The request
 * thread.rekey is in core_rekey_put.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice_crypto.h"
#include "core_internal.h"

/* --- keys.unit: the unit log --- */

struct log_acc {
	json_t *arr;
	int more;
};

static int add_log_entry(void *arg, const struct store_key_blob *b)
{
	struct log_acc *a = arg;
	json_t *j;

	if (json_array_size(a->arr) == ADVICE_MAX_LIST) {
		a->more = 1;
		return 1;
	}
	j = core_b64_json(b->data, b->len);
	return j == NULL || json_array_append_new(a->arr, j) != 0 ? -1 : 0;
}

int core_rekey_unit_log(struct ctx *x, const char *unit_id)
{
	json_t *after = json_object_get(x->msg, "log_after");
	struct log_acc a = { .arr = json_array() };

	json_object_set_new(x->result, "log", a.arr);
	if (x->st->ops->rekey->unit_log_list(x->st, unit_id, after ? json_integer_value(after) : 0,
					     add_log_entry, &a) != STORE_OK)
		return -1;
	json_object_set_new(x->result, "log_more", json_boolean(a.more));
	return 0;
}

/* --- The thread's epochs --- */

struct event_acc {
	json_t *arr;
	uint8_t *last; /* a copy of the newest event, or NULL */
	size_t last_len;
	int64_t epoch;
};

static int keep_event(void *arg, const struct store_key_blob *b)
{
	struct event_acc *a = arg;
	uint8_t *copy = malloc(b->len ? b->len : 1);

	if (copy == NULL)
		return -1;
	memcpy(copy, b->data, b->len);
	free(a->last);
	a->last = copy;
	a->last_len = b->len;
	a->epoch = b->n;
	if (a->arr != NULL) {
		json_t *j = core_b64_json(b->data, b->len);

		if (j == NULL || json_array_append_new(a->arr, j) != 0)
			return -1;
	}
	return 0;
}

int core_rekey_thread_epochs(struct ctx *x, const char *thread_id)
{
	struct event_acc a = { .arr = json_array() };
	int rc;

	json_object_set_new(x->result, "epochs", a.arr);
	rc = x->st->ops->rekey->epoch_list(x->st, thread_id, keep_event, &a);
	free(a.last);
	if (rc != STORE_OK)
		return -1;
	json_object_set_new(x->result, "epoch", json_integer(a.epoch));
	return 0;
}

/* Refuses a write at another epoch than the thread's current one; `what` names the object. */
int core_rekey_current(struct ctx *x, const char *thread_id, int64_t *epoch, uint8_t **event, size_t *len)
{
	struct event_acc a = { 0 };

	if (x->st->ops->rekey->epoch_list(x->st, thread_id, keep_event, &a) != STORE_OK) {
		free(a.last);
		return -1;
	}
	*epoch = a.epoch;
	*event = a.last;
	*len = a.last_len;
	return 0;
}

static int epoch_conflict(struct ctx *x, const char *field, const char *what, int64_t epoch, int64_t current)
{
	snprintf(x->err_field, sizeof x->err_field, "%s", field);
	if (epoch < current)
		return core_fail(x, ADVICE_ERR_CONFLICT,
				 "%s uses thread key epoch %lld, but the thread is at epoch %lld: read the "
				 "thread's keys (thread.keys) and write at the current epoch",
				 what, (long long)epoch, (long long)current);
	return core_fail(
		x, ADVICE_ERR_CONFLICT,
		"%s uses thread key epoch %lld, which was never started (the thread is at epoch %lld)", what,
		(long long)epoch, (long long)current);
}

int core_rekey_check_body(struct ctx *x, const struct store_thread *t, const uint8_t *body, size_t len)
{
	struct advice_envelope_hdr h;
	uint8_t tid[ADVICE_OID_BYTES];
	int64_t current = 0;

	/* Bodies that are no envelope of this thread are core_keys_check_envelope's to refuse. */
	if (t->id[0] == '\0' || advice_envelope_parse(body, len, &h) != 0 ||
	    advice_unhex(tid, sizeof tid, t->id) != 0 || memcmp(tid, h.thread_id, sizeof tid) != 0)
		return 0;
	if (x->st->ops->rekey->epoch_current(x->st, t->id, &current) != STORE_OK)
		return -1;
	if ((int64_t)h.epoch != current)
		return epoch_conflict(x, "/body", "the message", h.epoch, current);
	return 0;
}

int core_rekey_check_wrap_epoch(struct ctx *x, const struct store_thread *t, const char *field,
				uint32_t epoch)
{
	int64_t current = 0;

	if (x->st->ops->rekey->epoch_current(x->st, t->id, &current) != STORE_OK)
		return -1;
	if ((int64_t)epoch > current)
		return epoch_conflict(x, field, "the wrap", epoch, current);
	return 0;
}
