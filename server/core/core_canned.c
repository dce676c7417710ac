/*
 * core_canned.c - canned answers of units (PROTOCOL.md §12.8): unit texts (CRYPTO-FORMATS.md
 * type 14, kind 2) whose scope id is the answer's id, sealed to a generation of the unit.
 * Supervisors keep them (canned.put, canned.delete); the unit's staff read them (canned.list,
 * logged per unit before the reply) and hear of changes (canned.changed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice_crypto.h"
#include "audit.h"
#include "core_internal.h"

/* A canned.list without unit stops adding units before its reply passes this (the bound of
 * every reply, less room for what else it holds). */
#define CANNED_LIST_BUDGET (ADVICE_MAX_REPLY_BYTES - 32768)
/* What one entry takes in a reply besides its box's base64url. */
#define CANNED_ENTRY_JSON 200

/* The caller's membership of unit_id, or NULL. */
static const struct store_membership *membership(const struct ctx *x, const char *unit_id)
{
	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, unit_id) == 0)
			return &x->units[i];
	return NULL;
}

/* An access-log row of the caller about unit_id. 0 or -1. */
static int audit_unit(struct ctx *x, const char *unit_id, const char *action, const char *outcome)
{
	struct store_audit a = { .time = x->now };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	a.role = core_role_in_unit(x, unit_id);
	snprintf(a.unit_id, sizeof a.unit_id, "%s", unit_id);
	snprintf(a.object, sizeof a.object, "unit:%s", unit_id);
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.outcome, sizeof a.outcome, "%s", outcome);
	return audit_append(x->st, &a) == STORE_OK ? 0 : -1;
}

/*
 * The request's unit: it must exist (not_found) and be one of the caller's units, supervised
 * when `supervise` (else forbidden, logged). 0 (ctx->err set when refused) or -1.
 */
static int unit_for(struct ctx *x, const char *unit_id, enum policy_action action, int supervise)
{
	const struct store_membership *m = membership(x, unit_id);
	struct store_unit u;
	int rc;

	if (m != NULL && (!supervise || m->role == ROLE_SUPERVISOR))
		return 0;
	if ((rc = x->st->ops->unit->get(x->st, unit_id, &u)) == STORE_ERROR)
		return -1;
	snprintf(x->err_field, sizeof x->err_field, "/unit");
	if (rc == STORE_NOTFOUND)
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such unit");
	if (audit_unit(x, unit_id, policy_action_name(action), "denied") != 0)
		return -1;
	return core_fail(x, ADVICE_ERR_FORBIDDEN, "not allowed");
}

/* Tells the unit's staff that its canned answers changed. 0 or -1. */
static int push_changed(struct ctx *x, const char *unit_id)
{
	char topic[48];

	snprintf(topic, sizeof topic, "unit:%s", unit_id);
	return core_push(
		x, topic,
		json_pack("{s:s, s:s, s:s}", "type", "event", "event", "canned.changed", "unit", unit_id));
}

/* --- canned.list --- */

struct canned_acc {
	json_t *arr;
	uint8_t (*kids)[ADVICE_KID_BYTES];
	size_t nkids;
	int failed;
};

static int add_answer(void *arg, const struct store_unit_text *t)
{
	struct canned_acc *a = arg;
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "answer", t->id, "unit", t->unit_id,
			      "generation", (json_int_t)t->generation, "updated", (json_int_t)t->time,
			      "author", t->author_id, "box", core_b64_json(t->box, t->box_len));

	if (o == NULL || json_array_append_new(a->arr, o) != 0) {
		a->failed = 1;
		return 1;
	}
	if (a->nkids < CORE_CANNED_LIST_MAX && core_unit_text_author(t, a->kids[a->nkids]) == 0)
		a->nkids++;
	return 0;
}

/* Adds the answers of one unit unless they would take the reply past `*budget` (then *more,
 * when `fit` is set; a unit asked for by name always fits its limits). 0 or -1. */
static int list_unit(struct ctx *x, const char *unit_id, struct canned_acc *a, int64_t *budget, int fit,
		     int *more)
{
	int64_t count = 0, bytes = 0, need;

	if (x->st->ops->note->canned_usage(x->st, unit_id, "", &count, &bytes) != STORE_OK)
		return -1;
	need = count * CANNED_ENTRY_JSON + (bytes * 4 + 2) / 3;
	if (fit && need > *budget) {
		*more = 1;
		return 0;
	}
	*budget -= need;
	/* The access log before the unit's answers reach the caller. */
	if (audit_unit(x, unit_id, "canned.read", "ok") != 0 ||
	    x->st->ops->note->canned_list(x->st, unit_id, add_answer, a) != STORE_OK || a->failed)
		return -1;
	return 0;
}

int core_canned_list(struct ctx *x)
{
	const char *unit = json_string_value(json_object_get(x->msg, "unit"));
	struct canned_acc a = { .arr = json_array(), .kids = calloc(CORE_CANNED_LIST_MAX, ADVICE_KID_BYTES) };
	json_t *certs = json_array();
	int64_t budget = CANNED_LIST_BUDGET;
	int more = 0, rc = -1;

	json_object_set_new(x->result, "answers", a.arr);
	json_object_set_new(x->result, "certs", certs);
	if (a.arr == NULL || certs == NULL || a.kids == NULL)
		goto out;
	if (unit != NULL) {
		if ((rc = unit_for(x, unit, ACT_CANNED_LIST, 0)) != 0 || x->err)
			goto out;
		rc = list_unit(x, unit, &a, &budget, 0, &more);
	} else {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < x->nunits; i++)
			rc = list_unit(x, x->units[i].unit_id, &a, &budget, 1, &more);
	}
	if (rc == 0)
		rc = core_keys_sender_certs(x, (const uint8_t(*)[16])a.kids, a.nkids, certs);
	json_object_set_new(x->result, "more", json_boolean(more));
out:
	free(a.kids);
	return rc;
}

/* --- canned.put --- */

/* The unit may keep answer `answer` of len bytes: an answer of another unit is conflict; the
 * unit's answers besides it within CORE_CANNED_MAX and CORE_CANNED_MAX_BYTES. 0 (ctx->err set
 * when not) or -1. */
static int canned_room(struct ctx *x, const char *unit, const char *answer, size_t len)
{
	char owner[STORE_ID_SIZE];
	int64_t count = 0, bytes = 0;
	int rc = x->st->ops->note->canned_unit(x->st, answer, owner);

	if (rc == STORE_ERROR)
		return -1;
	snprintf(x->err_field, sizeof x->err_field, "/answer");
	if (rc == STORE_OK && strcmp(owner, unit) != 0)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the answer id is taken by another unit's answer");
	if (x->st->ops->note->canned_usage(x->st, unit, answer, &count, &bytes) != STORE_OK)
		return -1;
	snprintf(x->err_field, sizeof x->err_field, "/box");
	if (count >= CORE_CANNED_MAX)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the unit has %d canned answers, the most it keeps",
				 CORE_CANNED_MAX);
	if (bytes + (int64_t)len > CORE_CANNED_MAX_BYTES)
		return core_fail(x, ADVICE_ERR_CONFLICT,
				 "the unit's canned answers would take more than %d bytes together",
				 CORE_CANNED_MAX_BYTES);
	x->err_field[0] = '\0';
	return 0;
}

int core_canned_put(struct ctx *x)
{
	const char *unit = json_string_value(json_object_get(x->msg, "unit"));
	const char *answer = json_string_value(json_object_get(x->msg, "answer"));
	struct store_unit_text t = { .time = x->now };
	struct advice_unit_text_info info;
	uint8_t *box = NULL;
	int ok = 0, rc;

	if ((rc = unit_for(x, unit, ACT_CANNED_PUT, 1)) != 0 || x->err)
		return rc;
	if (core_unit_text_decode(x, "box", &box, &t.box_len) != 0)
		return -1;
	rc = 0;
	if (x->err ||
	    (rc = core_unit_text_check(x, "/box", ADVICE_UNIT_TEXT_CANNED, unit, answer, box, t.box_len,
				       &info, &ok)) != 0 ||
	    x->err)
		goto out;
	if (!ok) {
		snprintf(x->err_field, sizeof x->err_field, "/box");
		rc = audit_unit(x, unit, "canned.put", "denied") == 0
			     ? core_fail(x, ADVICE_ERR_FORBIDDEN, "the box is not signed by one of your keys")
			     : -1;
		goto out;
	}
	if ((rc = canned_room(x, unit, answer, t.box_len)) != 0 || x->err)
		goto out;
	rc = -1;
	snprintf(t.id, sizeof t.id, "%s", answer);
	snprintf(t.unit_id, sizeof t.unit_id, "%s", unit);
	snprintf(t.author_id, sizeof t.author_id, "%s", x->sess.user_id);
	t.generation = info.generation;
	t.box = box;
	if (x->st->ops->note->canned_put(x->st, &t) != STORE_OK ||
	    audit_unit(x, unit, "canned.put", "ok") != 0 || push_changed(x, unit) != 0)
		goto out;
	json_object_set_new(x->result, "answer", json_string(answer));
	json_object_set_new(x->result, "updated", json_integer(t.time));
	rc = 0;
out:
	free(box);
	return rc;
}

/* --- canned.delete --- */

int core_canned_delete(struct ctx *x)
{
	const char *unit = json_string_value(json_object_get(x->msg, "unit"));
	const char *answer = json_string_value(json_object_get(x->msg, "answer"));
	char owner[STORE_ID_SIZE];
	int rc;

	if ((rc = unit_for(x, unit, ACT_CANNED_DELETE, 1)) != 0 || x->err)
		return rc;
	rc = x->st->ops->note->canned_unit(x->st, answer, owner);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK && strcmp(owner, unit) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/answer");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such answer in this unit");
	}
	json_object_set_new(x->result, "answer", json_string(answer));
	json_object_set_new(x->result, "deleted", json_boolean(rc == STORE_OK));
	if (rc == STORE_NOTFOUND)
		return 0;
	if (x->st->ops->note->canned_delete(x->st, answer) != STORE_OK ||
	    audit_unit(x, unit, "canned.delete", "ok") != 0 || push_changed(x, unit) != 0)
		return -1;
	return 0;
}
