/*
 * test_thread_list.c - thread lists for dashboards and resynchronisation (PROTOCOL.md §6.3,
 * §6.10, §6.11, §7.4) in the core, on a real SQLite file with an injected clock: full lists in
 * order of activity with filters and stable paging, lists by change after a reconnect (every
 * change fetched once, threads that left the caller's units and threads that no longer pass
 * the filters reported as removals), thread.get with the deadline clock, and read state per
 * user. Every reply and event is checked against the protocol schema (corefix).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "corefix.h"

#define MINUTE	    60000LL
#define MAX_THREADS 16

static int64_t L(int y, int m, int d, int hh, int mm)
{
	return cal_local_to_utc(cal_day_from_civil(y, m, d), hh * 60 + mm);
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t n(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void user_id_of(struct corefix *fx, const char *name, char out[STORE_ID_SIZE])
{
	struct store_worker w;

	assert_int_equal(fx->st->ops->staff->worker_get(fx->st, name, &w), STORE_OK);
	snprintf(out, STORE_ID_SIZE, "%s", w.user_id);
}

/* Opens a thread in `category` one minute after the last event; its id into `tid`. */
static void open_thread(struct corefix *fx, const struct who *c, const char *category,
			char tid[STORE_ID_SIZE])
{
	static int k;
	char *body = corefix_body(20, 'q');
	json_t *r;

	fx->now += MINUTE;
	r = corefix_ws(fx, c, "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"%s\",\"body\":\"%s\"}",
		       ++k, category, body);
	free(body);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(tid, STORE_ID_SIZE, "%s", s(r, "thread"));
	json_decref(r);
}

static void send_msg(struct corefix *fx, const struct who *w, const char *tid)
{
	static int k;
	char *body = corefix_body(10, 'a');
	json_t *r;

	fx->now += MINUTE;
	r = corefix_ws(fx, w, "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
		       ++k, tid, body);
	free(body);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

static void claim(struct corefix *fx, const struct who *w, const char *tid)
{
	json_t *r;

	fx->now += MINUTE;
	r = corefix_ws(fx, w, "{\"type\":\"thread.claim\",\"id\":\"c-%s\",\"thread\":\"%s\"}", tid, tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

/* What a client holds of one list: the summaries it shows and where it resumes. */
struct client_list {
	char filters[128]; /* the request's filter fields, ",\"state\":[...]" or "" */
	char ids[MAX_THREADS][STORE_ID_SIZE];
	json_t *summary[MAX_THREADS];
	int count;
	int64_t change;
	int pages, fetched, removals; /* of the last synchronisation */
	char gone[MAX_THREADS][STORE_ID_SIZE];
	int ngone;
};

static int find(const struct client_list *l, const char *tid)
{
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->ids[i], tid) == 0)
			return i;
	return -1;
}

static void drop(struct client_list *l, const char *tid)
{
	int i = find(l, tid);

	if (i < 0)
		return;
	json_decref(l->summary[i]);
	l->count--;
	memmove(&l->ids[i], &l->ids[i + 1], (size_t)(l->count - i) * sizeof l->ids[0]);
	memmove(&l->summary[i], &l->summary[i + 1], (size_t)(l->count - i) * sizeof l->summary[0]);
}

static void put(struct client_list *l, json_t *summary)
{
	int i = find(l, s(summary, "thread"));

	if (i < 0) {
		assert_true(l->count < MAX_THREADS);
		i = l->count++;
		snprintf(l->ids[i], sizeof l->ids[i], "%s", s(summary, "thread"));
	} else {
		json_decref(l->summary[i]);
	}
	l->summary[i] = json_incref(summary);
}

static void list_free(struct client_list *l)
{
	for (int i = 0; i < l->count; i++)
		json_decref(l->summary[i]);
	l->count = 0;
}

/* Synchronises `l` as PROTOCOL.md §6.3 says: a full list when it holds no change value, else
 * a list by change; pages of `limit`. A thread listed twice in one synchronisation fails. */
static void sync_list(struct corefix *fx, const struct who *w, struct client_list *l, int limit, int full)
{
	char seen[64][STORE_ID_SIZE], cursor[128] = "";
	int nseen = 0, more = 1;
	int64_t since = l->change;

	l->pages = l->fetched = l->removals = l->ngone = 0;
	if (full)
		list_free(l);
	while (more) {
		json_t *r, *e;
		size_t i;

		if (full && cursor[0])
			r = corefix_ws(
				fx, w,
				"{\"type\":\"thread.list\",\"id\":\"l\",\"limit\":%d,\"cursor\":\"%s\"%s}",
				limit, cursor, l->filters);
		else if (full)
			r = corefix_ws(fx, w, "{\"type\":\"thread.list\",\"id\":\"l\",\"limit\":%d%s}", limit,
				       l->filters);
		else
			r = corefix_ws(fx, w,
				       "{\"type\":\"thread.list\",\"id\":\"l\",\"limit\":%d,\"changed_"
				       "since\":%lld%s}",
				       limit, (long long)since, l->filters);
		assert_string_equal(corefix_code(r), "ok");
		assert_true(json_array_size(json_object_get(r, "threads")) +
				    json_array_size(json_object_get(r, "removed")) <=
			    (size_t)limit);
		json_array_foreach (json_object_get(r, "threads"), i, e) {
			for (int j = 0; j < nseen; j++)
				if (strcmp(seen[j], s(e, "thread")) == 0)
					fail_msg("thread %s listed twice in one synchronisation",
						 s(e, "thread"));
			assert_true(nseen < 64);
			snprintf(seen[nseen++], STORE_ID_SIZE, "%s", s(e, "thread"));
			if (!full)
				assert_true(n(e, "change") > since);
			put(l, e);
			l->fetched++;
		}
		json_array_foreach (json_object_get(r, "removed"), i, e) {
			assert_false(full);
			assert_true(n(e, "change") > since);
			if (strcmp(s(e, "reason"), "gone") == 0 && l->ngone < MAX_THREADS)
				snprintf(l->gone[l->ngone++], STORE_ID_SIZE, "%s", s(e, "thread"));
			drop(l, s(e, "thread"));
			l->removals++;
		}
		more = json_is_true(json_object_get(r, "more"));
		if (full) {
			/* Every page of a full list resumes at its first page's counter. */
			if (l->pages > 0)
				assert_int_equal(n(r, "change"), l->change);
			snprintf(cursor, sizeof cursor, "%s", more ? s(r, "cursor") : "");
		} else {
			assert_null(json_object_get(r, "cursor"));
			since = n(r, "change");
		}
		l->change = n(r, "change");
		l->pages++;
		json_decref(r);
	}
}

/* The summary the client holds of `tid`, or NULL. */
static json_t *held(const struct client_list *l, const char *tid)
{
	int i = find(l, tid);

	return i < 0 ? NULL : l->summary[i];
}

static void test_full_list_order_filters_and_paging(void **state)
{
	struct corefix *fx = *state;
	char t[6][STORE_ID_SIZE], anna_id[STORE_ID_SIZE];
	struct client_list all = { .count = 0 }, mine = { .count = 0 }, waiting = { .count = 0 };
	struct who c, anna, anton;
	json_t *r;

	fx->now = L(2026, 11, 18, 9, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "anton", &anton);
	user_id_of(fx, "anna", anna_id);
	for (int i = 0; i < 5; i++)
		open_thread(fx, &c, "adult-social-work", t[i]);
	open_thread(fx, &c, "children-and-families", t[5]); /* not anna's unit */
	claim(fx, &anna, t[1]);
	claim(fx, &anton, t[3]);
	send_msg(fx, &c, t[0]); /* t[0] is now the latest activity */

	/* Every page holds at most `limit`, no thread twice, and the list is in activity order. */
	sync_list(fx, &anna, &all, 2, 1);
	assert_int_equal(all.count, 5);
	assert_int_equal(all.pages, 3);
	assert_string_equal(all.ids[0], t[0]);
	assert_string_equal(all.ids[1], t[3]);
	assert_string_equal(all.ids[2], t[1]);
	assert_string_equal(all.ids[3], t[4]);
	assert_string_equal(all.ids[4], t[2]);
	assert_null(held(&all, t[5]));
	assert_int_equal(n(held(&all, t[0]), "last_seq"), 2);
	assert_int_equal(n(held(&all, t[0]), "unread"), 2);
	assert_int_equal(n(held(&all, t[0]), "read_seq"), 0);
	assert_true(json_is_object(json_object_get(held(&all, t[0]), "deadline")));

	/* Filters: assignee me, and the threads waiting in the queue. */
	snprintf(mine.filters, sizeof mine.filters, ",\"assignee\":\"me\"");
	sync_list(fx, &anna, &mine, 10, 1);
	assert_int_equal(mine.count, 1);
	assert_string_equal(mine.ids[0], t[1]);
	assert_string_equal(s(held(&mine, t[1]), "assignee"), anna_id);
	snprintf(waiting.filters, sizeof waiting.filters, ",\"state\":[\"new\"],\"assignee\":\"nobody\"");
	sync_list(fx, &anna, &waiting, 10, 1);
	assert_int_equal(waiting.count, 3);
	assert_null(held(&waiting, t[1]));
	assert_null(held(&waiting, t[3]));

	/* The citizen sees all six, with no deadline, and none of the citizen's own messages unread. */
	list_free(&all);
	sync_list(fx, &c, &all, 100, 1);
	assert_int_equal(all.count, 6);
	assert_true(json_is_null(json_object_get(held(&all, t[0]), "deadline")));
	assert_int_equal(n(held(&all, t[0]), "unread"), 0);

	/* A cursor belongs to full lists; a broken one is refused. */
	r = corefix_ws(fx, &anna,
		       "{\"type\":\"thread.list\",\"id\":\"x1\",\"changed_since\":1,\"cursor\":\"1.2.%s\"}",
		       t[0]);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/cursor");
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.list\",\"id\":\"x2\",\"cursor\":\"1.2\"}");
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/cursor");
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.list\",\"id\":\"x3\",\"cursor\":\"1.2.%s.\"}", t[0]);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	list_free(&all);
	list_free(&mine);
	list_free(&waiting);
}

/* The heart of resynchronisation: a dashboard that was disconnected while threads changed
 * fetches exactly what changed, once each, and learns which threads to drop. */
static void test_resync_after_disconnect(void **state)
{
	struct corefix *fx = *state;
	char t[8][STORE_ID_SIZE];
	struct client_list board = { .count = 0 }, queue = { .count = 0 };
	struct who c, anna, anna2, anton, sara;
	struct core_reply *rep;
	json_t *r;

	fx->now = L(2026, 11, 18, 9, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "anna", &anna2); /* anna's second device */
	corefix_login_worker(fx, "anton", &anton);
	corefix_login_worker(fx, "sara", &sara);
	for (int i = 0; i < 7; i++)
		open_thread(fx, &c, "adult-social-work", t[i]);
	claim(fx, &anna, t[4]);

	sync_list(fx, &anna, &board, 3, 1);
	assert_int_equal(board.count, 7);
	snprintf(queue.filters, sizeof queue.filters, ",\"assignee\":\"nobody\"");
	sync_list(fx, &anna, &queue, 3, 1);
	assert_int_equal(queue.count, 6);

	/* Nothing changed: nothing is fetched, and the resume point stays. */
	{
		int64_t before = board.change;

		sync_list(fx, &anna, &board, 3, 0);
		assert_int_equal(board.fetched + board.removals, 0);
		assert_int_equal(board.change, before);
	}

	/* Disconnected; meanwhile: */
	send_msg(fx, &c, t[0]);	 /* a new message */
	claim(fx, &anton, t[1]); /* claimed by a colleague: leaves the "nobody" list */
	fx->now += MINUTE;
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra\",\"thread\":\"%s\","
		       "\"to_category\":\"children-and-families\",\"reason\":\"wrong unit\"}",
		       t[2]);
	assert_string_equal(corefix_code(r), "ok"); /* moved out of anna's unit */
	json_decref(r);
	fx->now += MINUTE;
	r = corefix_ws(fx, &anna2, "{\"type\":\"read.set\",\"id\":\"rs\",\"thread\":\"%s\",\"seq\":1}", t[4]);
	assert_string_equal(corefix_code(r), "ok"); /* read on anna's other device */
	json_decref(r);
	open_thread(fx, &c, "adult-social-work", t[7]); /* a new thread */
	send_msg(fx, &anna, t[4]);			/* anna's own answer on t[4] */

	/* Reconnected: the board fetches t0, t1, t4, t7 once each and learns that t2 is gone;
	 * t3, t5, t6 did not change and are not fetched. */
	sync_list(fx, &anna, &board, 2, 0);
	assert_int_equal(board.fetched, 4);
	assert_int_equal(board.removals, 1);
	assert_int_equal(board.ngone, 1);
	assert_string_equal(board.gone[0], t[2]);
	assert_int_equal(board.count, 7);
	assert_null(held(&board, t[2]));
	assert_int_equal(n(held(&board, t[0]), "last_seq"), 2);
	assert_string_equal(s(held(&board, t[1]), "state"), "claimed");
	assert_string_equal(s(held(&board, t[4]), "state"), "answered");
	assert_int_equal(n(held(&board, t[4]), "read_seq"), 1);
	assert_int_equal(n(held(&board, t[4]), "unread"), 0); /* anna's own message is not unread */
	assert_non_null(held(&board, t[7]));

	/* The "nobody" list: t1 (claimed) and t2 (gone) are removed, t0 and t7 fetched; t4 was
	 * anna's all along and is reported as not passing the filter. */
	sync_list(fx, &anna, &queue, 100, 0);
	assert_int_equal(queue.count, 5);
	assert_null(held(&queue, t[1]));
	assert_null(held(&queue, t[2]));
	assert_non_null(held(&queue, t[7]));
	assert_int_equal(queue.fetched, 2);
	assert_int_equal(queue.removals, 3);

	/* The full list agrees with what the synchronisation built. */
	{
		struct client_list fresh = { .count = 0 };

		sync_list(fx, &anna, &fresh, 100, 1);
		assert_int_equal(fresh.count, board.count);
		for (int i = 0; i < fresh.count; i++)
			assert_true(json_equal(fresh.summary[i], held(&board, fresh.ids[i])));
		list_free(&fresh);
	}

	/* A deadline that reaches its warning changes the thread too: the tick's level is
	 * recovered by the next synchronisation (deadline.changed was missed). */
	fx->now = L(2026, 11, 23, 9, 0);
	{
		struct core_request *req = core_request_new(CORE_REQ_TICK, 0, "", 0);

		rep = calloc(1, sizeof *rep);
		req->now_ms = fx->now;
		assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
		assert_int_equal(core_handle(fx->core, req, rep), 0);
		assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
		core_request_free(req);
		core_reply_free(rep);
	}
	corefix_login_worker(fx, "anna", &anna);
	sync_list(fx, &anna, &board, 100, 0);
	assert_true(board.fetched > 0);
	assert_string_equal(s(json_object_get(held(&board, t[3]), "deadline"), "level"), "at_risk");
	assert_string_equal(s(json_object_get(held(&board, t[3]), "deadline"), "state"), "running");
	/* thread.get gives the same summary. */
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.get\",\"id\":\"g1\",\"thread\":\"%s\"}", t[3]);
	assert_string_equal(corefix_code(r), "ok");
	assert_true(json_equal(json_object_get(r, "summary"), held(&board, t[3])));
	json_decref(r);
	list_free(&board);
	list_free(&queue);
}

static void test_read_state(void **state)
{
	struct corefix *fx = *state;
	char t[2][STORE_ID_SIZE], anna_id[STORE_ID_SIZE], topic[48];
	struct who c, anna, anna2, ben;
	struct store_audit last;
	struct core_reply *rep;
	int64_t rows, change;
	json_t *r, *ev;
	int rc;

	fx->now = L(2026, 11, 18, 9, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "anna", &anna2);
	corefix_login_worker(fx, "ben", &ben);
	user_id_of(fx, "anna", anna_id);
	open_thread(fx, &c, "adult-social-work", t[0]);
	open_thread(fx, &c, "adult-social-work", t[1]);
	send_msg(fx, &c, t[0]);
	send_msg(fx, &c, t[0]); /* t0 has 3 messages */

	r = corefix_ws(fx, &anna, "{\"type\":\"thread.get\",\"id\":\"g1\",\"thread\":\"%s\"}", t[0]);
	assert_int_equal(n(json_object_get(r, "summary"), "unread"), 3);
	change = n(json_object_get(r, "summary"), "change");
	json_decref(r);

	/* read.set: the reply, and read.changed to every connection of the user. */
	rep = corefix_call(
		fx, CORE_REQ_MESSAGE, &anna,
		"{\"type\":\"read.set\",\"id\":\"r1\",\"thread\":\"5f0c2a9e81d44b7b9a3e6c1d2f708a41\","
		"\"seq\":1}",
		&rc, &r);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	core_reply_free(rep);
	{
		char body[160];

		snprintf(body, sizeof body,
			 "{\"type\":\"read.set\",\"id\":\"r2\",\"thread\":\"%s\",\"seq\":2}", t[0]);
		rep = corefix_call(fx, CORE_REQ_MESSAGE, &anna, body, &rc, &r);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n(r, "read_seq"), 2);
	assert_int_equal(n(r, "unread"), 1);
	json_decref(r);
	snprintf(topic, sizeof topic, "u:%s", anna_id);
	assert_int_equal(rep->npush, 1);
	assert_string_equal(rep->pushes[0].topic, topic);
	ev = json_loads(rep->pushes[0].json, 0, NULL);
	assert_string_equal(s(ev, "event"), "read.changed");
	assert_int_equal(n(ev, "read_seq"), 2);
	assert_int_equal(n(ev, "unread"), 1);
	assert_true(n(ev, "change") > change);
	json_decref(ev);
	core_reply_free(rep);

	/* Shared by the user's devices; never moves back; the same seq again changes nothing. */
	r = corefix_ws(fx, &anna2, "{\"type\":\"read.set\",\"id\":\"r3\",\"thread\":\"%s\",\"seq\":1}", t[0]);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(n(r, "read_seq"), 2);
	json_decref(r);
	r = corefix_ws(fx, &anna2, "{\"type\":\"thread.get\",\"id\":\"g2\",\"thread\":\"%s\"}", t[0]);
	assert_int_equal(n(json_object_get(r, "summary"), "read_seq"), 2);
	change = n(json_object_get(r, "summary"), "change");
	json_decref(r);
	r = corefix_ws(fx, &anna2, "{\"type\":\"read.set\",\"id\":\"r4\",\"thread\":\"%s\",\"seq\":2}", t[0]);
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.list\",\"id\":\"l1\",\"changed_since\":%lld}",
		       (long long)change);
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 0);
	json_decref(r);
	/* Read state is per user: the citizen's own is untouched, and the thread's change moved
	 * only for anna. */
	r = corefix_ws(fx, &c, "{\"type\":\"thread.get\",\"id\":\"g3\",\"thread\":\"%s\"}", t[0]);
	assert_int_equal(n(json_object_get(r, "summary"), "read_seq"), 0);
	assert_int_equal(n(json_object_get(r, "summary"), "unread"), 0);
	assert_true(n(json_object_get(r, "summary"), "change") < change);
	json_decref(r);

	r = corefix_ws(fx, &anna, "{\"type\":\"thread.get\",\"id\":\"g9\",\"thread\":\"%032d\"}", 7);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);

	/* Beyond the last message: refused. */
	r = corefix_ws(fx, &anna, "{\"type\":\"read.set\",\"id\":\"r5\",\"thread\":\"%s\",\"seq\":4}", t[0]);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/seq");
	json_decref(r);

	/* Staff outside the unit: refused as if the thread did not exist (§6) and logged, for
	 * thread.get and read.set alike; a staff member's thread.get is logged, read.set is not. */
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &ben, "{\"type\":\"thread.get\",\"id\":\"g4\",\"thread\":\"%s\"}", t[0]);
	assert_string_equal(corefix_code(r), "not_found");
	assert_null(json_object_get(r, "summary"));
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "thread.get");
	assert_string_equal(last.outcome, "denied");
	r = corefix_ws(fx, &ben, "{\"type\":\"read.set\",\"id\":\"r6\",\"thread\":\"%s\",\"seq\":1}", t[0]);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 2);
	assert_string_equal(last.action, "read.set");
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.get\",\"id\":\"g5\",\"thread\":\"%s\"}", t[1]);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 3);
	assert_string_equal(last.action, "summary");
	assert_string_equal(last.outcome, "ok");
	assert_string_equal(last.object + strlen("thread:"), t[1]);
	r = corefix_ws(fx, &anna, "{\"type\":\"read.set\",\"id\":\"r7\",\"thread\":\"%s\",\"seq\":1}", t[1]);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, NULL), rows + 3);
	/* The citizen's thread.get is not an access to someone else's data. */
	r = corefix_ws(fx, &c, "{\"type\":\"thread.get\",\"id\":\"g6\",\"thread\":\"%s\"}", t[1]);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, NULL), rows + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_list_order_filters_and_paging, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_resync_after_disconnect, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_read_state, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
