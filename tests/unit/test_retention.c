/*
 * test_retention.c - the retention rules and the shred over a real SQLite store, on an
 * injected clock: a thread of each service task goes exactly when its period ends and not a
 * millisecond before (D8), counted from its close or from the end of the client relationship;
 * the channel copy rule applies only after a hand-over of the thread (D7: without one the
 * thread is held and reported, not deleted); the shred's phases leave nothing of the thread
 * but its erasure note and an access-log row; thread-erase through the admin path takes its
 * steps until done and names the request; retention_until follows the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "core_retention.h"
#include "corefix.h"
#include "register.h"
#include "retention.h"
#include "shred.h"

#define DAY_MS	86400000LL
#define YEAR_MS (365LL * DAY_MS)

struct fix {
	struct corefix *fx;
	struct register_doc *reg;
	char citizen[STORE_ID_SIZE], other[STORE_ID_SIZE];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	struct store_queue q = { 0 };
	uint8_t hash[STORE_HASH_BYTES];
	char err[256];
	struct store *st;

	assert_non_null(f);
	assert_int_equal(corefix_setup((void **)&f->fx), 0);
	st = f->fx->st;
	assert_int_equal(register_load("", &f->reg, err, sizeof err), 0);
	/* The core with the register, as adviced makes it. */
	core_free(f->fx->core);
	f->fx->cc.reg = f->reg;
	assert_non_null(f->fx->core = core_new(st, &f->fx->cc));
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	snprintf(q.id, sizeof q.id, "%032d", 13);
	snprintf(q.unit_id, sizeof q.unit_id, "%s", f->fx->unit_adult);
	snprintf(q.category, sizeof q.category, "disability-services");
	snprintf(q.name, sizeof q.name, "Disability services");
	assert_int_equal(st->ops->queue->insert(st, &q), STORE_OK);
	memset(hash, 1, sizeof hash);
	assert_int_equal(st->ops->identity->citizen_get_or_create(
				 st, hash, "c0000000000000000000000000000001", 0, f->citizen),
			 STORE_OK);
	memset(hash, 2, sizeof hash);
	assert_int_equal(st->ops->identity->citizen_get_or_create(
				 st, hash, "c0000000000000000000000000000002", 0, f->other),
			 STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	corefix_teardown((void **)&f->fx);
	register_free(f->reg);
	free(f);
	return 0;
}

/* A thread of `citizen` in queue number `queue` (11 adult, 12 family, 13 disability) opened
 * at `opened` with two messages, closed at `closed` (0: left open). */
static void thread_add(struct fix *f, const char *id, const char *citizen, int queue, int64_t opened,
		       int64_t closed)
{
	struct store *st = f->fx->st;
	struct store_thread t = {
		.state = THREAD_CLAIMED, .created = opened, .updated = opened, .last_seq = 2
	};
	uint8_t body[8] = "secret!", share[32];

	memset(share, 7, sizeof share);

	snprintf(t.id, sizeof t.id, "%s", id);
	snprintf(t.citizen_id, sizeof t.citizen_id, "%s", citizen);
	snprintf(t.queue_id, sizeof t.queue_id, "%032d", queue);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->thread->insert(st, &t), STORE_OK);
	for (int seq = 1; seq <= 2; seq++) {
		struct store_message m = { .seq = seq,
					   .sender_role = ROLE_CITIZEN,
					   .created = opened,
					   .body = body,
					   .body_len = sizeof body };

		snprintf(m.thread_id, sizeof m.thread_id, "%s", id);
		snprintf(m.sender_id, sizeof m.sender_id, "%s", citizen);
		assert_int_equal(st->ops->thread->message_insert(st, &m), STORE_OK);
	}
	assert_int_equal(st->ops->keys->share_put(st, id, citizen, share, 1, opened), STORE_OK);
	if (closed != 0) {
		t.state = THREAD_CLOSED;
		t.updated = closed;
		assert_int_equal(st->ops->thread->update(st, &t), STORE_OK);
	}
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
}

static void thread_close(struct fix *f, const char *id, int64_t when)
{
	struct store *st = f->fx->st;
	struct store_thread t;

	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->thread->get(st, id, &t), STORE_OK);
	t.state = THREAD_CLOSED;
	t.updated = when;
	assert_int_equal(st->ops->thread->update(st, &t), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
}

/* Whether the scan at `at` finds thread `id` due (1), held (2) or neither (0). */
static int scan_finds(struct fix *f, const char *id, int64_t at)
{
	struct retention_scan s;
	int found = 0;

	assert_int_equal(f->fx->st->ops->tx->begin(f->fx->st), STORE_OK);
	assert_int_equal(retention_scan(f->fx->st, f->reg, at, &s), 0);
	for (size_t i = 0; i < s.ndue; i++)
		found = strcmp(s.due[i].c.thread_id, id) == 0 ? 1 : found;
	for (size_t i = 0; i < s.nheld; i++)
		found = strcmp(s.held[i].c.thread_id, id) == 0 ? 2 : found;
	retention_scan_free(&s);
	assert_int_equal(f->fx->st->ops->tx->rollback(f->fx->st), STORE_OK);
	return found;
}

/* Every mark carried to done, as the ticks would (each step its own commit). */
static void shred_all(struct fix *f, int64_t now)
{
	struct store *st = f->fx->st;
	struct shred_progress p;

	for (int i = 0; i < 100; i++) {
		int pending;

		assert_int_equal(st->ops->tx->begin(st), STORE_OK);
		pending = shred_pending(st);
		assert_true(pending >= 0);
		if (pending)
			assert_int_equal(shred_step(st, "", now, SHRED_STEP_MAX, &p), 0);
		assert_int_equal(st->ops->tx->commit(st), STORE_OK);
		if (!pending)
			return;
	}
	fail_msg("the shred did not finish");
}

/* Marks what is due at `at` and shreds it; the number marked. */
static int run_at(struct fix *f, int64_t at)
{
	struct store *st = f->fx->st;
	struct retention_scan s;
	int marked = 0;

	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(retention_scan(st, f->reg, at, &s), 0);
	assert_int_equal(
		retention_mark(st, &s, "00000000000000000000000000000042", RETENTION_BY_TIMER, at, &marked),
		0);
	retention_scan_free(&s);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	shred_all(f, at);
	return marked;
}

static int thread_exists(struct fix *f, const char *id)
{
	struct store_thread t;

	return f->fx->st->ops->thread->get(f->fx->st, id, &t) == STORE_OK;
}

static int64_t plus_years(int64_t ms, int years)
{
	struct register_rule r = { "*", years, 0, REGISTER_FROM_CLOSE };

	return register_period_end(&r, ms);
}

/* D8: threads of each service task, closed at T; each goes exactly at T + its period. */
static void test_each_task_goes_exactly_at_its_end(void **state)
{
	struct fix *f = *state;
	int64_t t0 = 1700000000000LL, closed = t0 + 5 * DAY_MS;
	const struct {
		const char *id;
		int queue, years;
	} cases[] = {
		{ "a0000000000000000000000000000001", 11, 10 }, /* adult social work: 10 years */
		{ "a0000000000000000000000000000002", 12, 30 }, /* families with children: 30 years */
	};

	for (size_t i = 0; i < 2; i++)
		thread_add(f, cases[i].id, f->citizen, cases[i].queue, t0, closed);
	for (size_t i = 0; i < 2; i++) {
		int64_t end = plus_years(closed, cases[i].years);

		assert_int_not_equal(scan_finds(f, cases[i].id, end - 1), 1); /* held at most */
		assert_int_equal(run_at(f, end - 1), 0);
		assert_true(thread_exists(f, cases[i].id));
		assert_int_equal(scan_finds(f, cases[i].id, end), 1);
		assert_int_equal(run_at(f, end), 1);
		assert_false(thread_exists(f, cases[i].id));
		for (size_t j = i + 1; j < 2; j++)
			assert_true(thread_exists(f, cases[j].id));
	}
}

/* The disability rule counts from the relationship's end: nothing while another thread of
 * the citizen is open; from the last close once none is. */
static void test_relationship_end(void **state)
{
	struct fix *f = *state;
	int64_t t0 = 1700000000000LL, first = t0 + DAY_MS, last = t0 + 400 * DAY_MS;
	const char *dis = "b0000000000000000000000000000001", *open = "b0000000000000000000000000000002";
	int64_t until;

	thread_add(f, dis, f->citizen, 13, t0, first);
	thread_add(f, open, f->citizen, 11, t0, 0);
	assert_int_equal(scan_finds(f, dis, first + 100 * YEAR_MS), 0); /* open: not even held */
	assert_int_equal(retention_until(f->fx->st, f->reg, dis, &until), 0);
	assert_true(until == 0);
	thread_close(f, open, last);
	assert_int_equal(retention_until(f->fx->st, f->reg, dis, &until), 0);
	assert_true(until == plus_years(last, 10));
	assert_int_not_equal(scan_finds(f, dis, plus_years(last, 10) - 1), 1);
	assert_int_equal(scan_finds(f, dis, plus_years(last, 10)), 1);
	/* The adult thread counts from its own close. */
	assert_int_equal(retention_until(f->fx->st, f->reg, open, &until), 0);
	assert_true(until == plus_years(last, 10));
}

/* D7: the channel copy goes channel_copy_days after the relationship ends only when the
 * thread was handed over; without a hand-over it is held (and reported), not deleted. */
static void test_channel_copy_needs_handover(void **state)
{
	struct fix *f = *state;
	struct store_retention_candidate c = { .closed = 1700000000000LL, .last_close = 1700000000000LL };
	struct retention_verdict v;
	int64_t copy = c.last_close + 14 * DAY_MS;

	snprintf(c.category, sizeof c.category, "adult-social-work");
	retention_judge(f->reg, &c, 1, &v);
	assert_true(v.due == copy);
	assert_true(v.channel_copy);
	assert_false(retention_is_due(&v, copy - 1));
	assert_true(retention_is_due(&v, copy));
	retention_judge(f->reg, &c, 0, &v);
	assert_true(v.due == plus_years(c.closed, 10));
	assert_false(v.channel_copy);
	assert_true(v.held_at == copy);
	assert_false(retention_is_due(&v, copy + YEAR_MS));
	/* A relationship that goes on: no channel copy time at all. */
	c.citizen_open = 1;
	retention_judge(f->reg, &c, 1, &v);
	assert_false(v.channel_copy);
	assert_true(v.held_at == 0);
	/* In the store, with no hand-over table yet: the thread is held after the copy time. */
	thread_add(f, "d0000000000000000000000000000001", f->other, 11, c.closed - DAY_MS, c.closed);
	assert_int_equal(scan_finds(f, "d0000000000000000000000000000001", copy - 1), 0);
	assert_int_equal(scan_finds(f, "d0000000000000000000000000000001", copy), 2);
}

/* An admin command as the admin socket sends it, in a committed transaction of its own. */
static json_t *admin(struct corefix *fx, const char *args_json, const char *command)
{
	char body[1024];
	struct core_request *req;
	struct core_reply *rep = calloc(1, sizeof *rep);
	struct store *st = fx->st;
	json_t *r;

	snprintf(body, sizeof body, "{\"user\":\"keeper\",\"command\":\"%s\",\"args\":%s}", command,
		 args_json);
	assert_non_null(req = core_request_new(CORE_REQ_ADMIN, 1, body, strlen(body)));
	assert_non_null(rep);
	req->now_ms = fx->now;
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(core_reply_render(rep), 0);
	assert_int_equal(st->ops->tx->release(st), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_non_null(r = json_loads(rep->json, 0, NULL));
	core_request_free(req);
	core_reply_free(rep);
	return r;
}

/* Runs a command and its further steps as the admin socket does; the last reply. */
static json_t *admin_steps(struct corefix *fx, const char *args_json, const char *command, int *steps)
{
	json_t *r = admin(fx, args_json, command), *again;

	*steps = 1;
	while ((again = json_object_get(r, "again")) != NULL) {
		char *args;
		json_t *rest = json_array();

		for (size_t i = 1; i < json_array_size(again); i++)
			json_array_append(rest, json_array_get(again, i));
		args = json_dumps(rest, JSON_COMPACT);
		json_decref(rest);
		json_decref(r);
		r = admin(fx, args, command);
		free(args);
		assert_true(++*steps < 50);
	}
	return r;
}

static void test_thread_erase(void **state)
{
	struct fix *f = *state;
	const char *id = "e0000000000000000000000000000001";
	struct store_shred_mark m;
	struct store_audit last;
	json_t *r;
	int steps;

	f->fx->now = 1700000000000LL + DAY_MS;
	thread_add(f, id, f->citizen, 11, 1700000000000LL, 0);
	r = admin_steps(f->fx, "[\"e0000000000000000000000000000001\"]", "thread-erase", &steps);
	assert_string_equal(json_string_value(json_object_get(r, "type")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "--reason"));
	json_decref(r);
	r = admin_steps(f->fx,
			"[\"e0000000000000000000000000000001\", \"--reason\", \"asked by the client\", "
			"\"--request\", "
			"\"R-17\"]",
			"thread-erase", &steps);
	assert_string_equal(json_string_value(json_object_get(r, "type")), "ok");
	assert_true(steps >= 3); /* mark, share, done: each its own commit */
	assert_non_null(strstr(json_string_value(json_object_get(r, "output")), "1 threads shredded"));
	json_decref(r);
	assert_false(thread_exists(f, id));
	assert_int_equal(f->fx->st->ops->retention->get(f->fx->st, id, &m), STORE_OK);
	assert_int_equal(m.phase, SHRED_DONE);
	assert_int_equal(m.erasure, 1);
	assert_string_equal(m.request, "R-17");
	assert_string_equal(m.by, "os:keeper");
	assert_string_equal(m.citizen_id, f->citizen);
	assert_true(m.counts.messages == 2);
	/* The shred's own row precedes the command's: action "shred", the client named. */
	corefix_audit_rows(f->fx, &last);
	r = admin_steps(f->fx, "[\"e0000000000000000000000000000001\", \"--reason\", \"again\"]",
			"thread-erase", &steps);
	assert_string_equal(json_string_value(json_object_get(r, "type")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "no thread"));
	json_decref(r);
}

/* The shred leaves nothing of the thread: no messages, no share, no rows; the access log has
 * its "shred" row by "retention" naming the client. */
static void test_shred_leaves_note_only(void **state)
{
	struct fix *f = *state;
	const char *id = "f0000000000000000000000000000001";
	struct store *st = f->fx->st;
	struct store_shred_counts c;
	uint8_t share[32];
	char owner[STORE_ID_SIZE];
	int opened, found = 0;
	struct store_audit a;

	thread_add(f, id, f->citizen, 11, 1700000000000LL, 1700000000000LL + DAY_MS);
	assert_int_equal(run_at(f, plus_years(1700000000000LL + DAY_MS, 10)), 1);
	assert_int_equal(st->ops->retention->counts(st, id, &c), STORE_OK);
	assert_true(c.messages == 0 && c.wraps == 0 && c.files == 0);
	assert_int_equal(st->ops->keys->share_get(st, id, owner, &opened, share), STORE_NOTFOUND);
	for (int64_t row = corefix_audit_rows(f->fx, &a); row > 0 && !found; row--) {
		assert_int_equal(st->ops->monitor->audit_row(st, row, &a), STORE_OK);
		found = strcmp(a.action, "shred") == 0 && strcmp(a.user_id, "retention") == 0 &&
			strcmp(a.client, f->citizen) == 0 && strstr(a.object, id) != NULL;
	}
	assert_true(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_task_goes_exactly_at_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relationship_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_copy_needs_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shred_leaves_note_only, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
