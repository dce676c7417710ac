/*
 * test_names.c - staff names: advicectl's worker-name and unit-name-style (and every refusal
 * of bad input); colleagues see the display name and title in thread.changed, reassignment
 * replies, dashboards and who is on duty; the citizen sees the assignee's title with the first
 * name only, or the full name once the unit says so, never the username; no name set, or no
 * assignee, is null. The summaries of thread.list (full and by change) and thread.get carry the
 * same names, by the same rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin_names.h"
#include "corefix.h"

#define CITIZEN "010594Y9032"

static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* Runs an advicectl names command in a transaction of its own; returns its outcome and the
 * error text in err. */
static int names_cmd(struct corefix *fx, char *err, size_t errlen, int argc, ...)
{
	char *argv[8];
	va_list ap;
	int rc;
	struct admin_out out;

	assert_int_equal(admin_out_null(&out), 0);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	err[0] = '\0';
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	rc = admin_names_run(fx->st, argc, argv, &out, err, errlen);
	assert_int_equal(rc == 0 ? fx->st->ops->tx->commit(fx->st) : fx->st->ops->tx->rollback(fx->st),
			 STORE_OK);
	admin_out_close(&out);
	return rc;
}

/* The thread.changed event of a reply to topic prefix `prefix` ("u:" or "unit:"); fails when
 * there is none. The caller decrefs. */
static json_t *changed_to(const struct core_reply *rep, const char *prefix)
{
	for (size_t i = 0; i < rep->npush; i++) {
		json_t *ev = json_loads(rep->pushes[i].json, 0, NULL);

		if (ev != NULL && strcmp(str(ev, "event"), "thread.changed") == 0 &&
		    strncmp(rep->pushes[i].topic, prefix, strlen(prefix)) == 0)
			return ev;
		json_decref(ev);
	}
	fail_msg("no thread.changed to %s", prefix);
	return NULL;
}

static void test_commands_refuse_bad_input(void **state)
{
	struct corefix *fx = *state;
	char err[256], long_name[200];

	memset(long_name, 'a', 129);
	long_name[129] = '\0';
	assert_int_equal(
		names_cmd(fx, err, sizeof err, 4, "worker-name", "anna", "Anna Virtanen", "Social worker"),
		0);
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "anna", "Anna Virtanen"), 0);
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "nobody", "X"), -1);
	assert_string_equal(err, "no worker 'nobody'");
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "anna", " Anna"), -1);
	assert_non_null(strstr(err, "the name must be"));
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "anna", "Anna\nVirtanen"), -1);
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "anna", "Anna \xff"), -1);
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "anna", long_name), -1);
	assert_int_equal(names_cmd(fx, err, sizeof err, 4, "worker-name", "anna", "Anna", "Boss\t"), -1);
	assert_non_null(strstr(err, "the title must be"));
	assert_int_equal(names_cmd(fx, err, sizeof err, 2, "worker-name", "anna"), 1);
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "unit-name-style", "Adult social work", "nick"),
			 -1);
	assert_string_equal(err, "the style is full or first, not 'nick'");
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "unit-name-style", "Nowhere", "full"), -1);
	assert_string_equal(err, "no unit 'Nowhere'");
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "unit-name-style", "Adult social work", "full"),
			 0);
	assert_int_equal(names_cmd(fx, err, sizeof err, 2, "unit-names", "x"), 1);

	/* UTF-8 names are fine: 128 bytes at most. */
	assert_true(admin_names_valid("Äänekoski-Öhman Åsa", 128, 1));
	assert_false(admin_names_valid("", 128, 1));
	assert_true(admin_names_valid("", 128, 0));
	assert_false(admin_names_valid("\x7f", 128, 0));
}

static void test_assignee_names_by_audience(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna, sara, anton;
	struct core_reply *rep;
	char err[256], thread[STORE_ID_SIZE], body[200], *b64 = corefix_body(50, 'x'), *text;
	json_t *r, *ev, *n;
	int rc;

	assert_int_equal(
		names_cmd(fx, err, sizeof err, 4, "worker-name", "anna", "Anna Virtanen", "Social worker"),
		0);
	corefix_login_citizen(fx, CITIZEN, &citizen);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);
	corefix_login_worker(fx, "anton", &anton);

	snprintf(body, sizeof body,
		 "{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		 b64);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &citizen, body, &rc, &r);
	snprintf(thread, sizeof thread, "%s", str(r, "thread"));
	json_decref(r);
	/* Nobody assigned yet: null both ways. */
	ev = changed_to(rep, "u:");
	assert_true(json_is_null(json_object_get(ev, "assignee_name")));
	json_decref(ev);
	core_reply_free(rep);

	snprintf(body, sizeof body, "{\"type\":\"thread.claim\",\"id\":\"c\",\"thread\":\"%s\"}", thread);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &anna, body, &rc, NULL);
	/* Colleagues: the full name and title. */
	ev = changed_to(rep, "unit:");
	n = json_object_get(ev, "assignee_name");
	assert_string_equal(str(n, "name"), "Anna Virtanen");
	assert_string_equal(str(n, "title"), "Social worker");
	json_decref(ev);
	/* The citizen, by the default style: the first name and title, nothing else of her. */
	ev = changed_to(rep, "u:");
	n = json_object_get(ev, "assignee_name");
	assert_string_equal(str(n, "name"), "Anna");
	assert_string_equal(str(n, "title"), "Social worker");
	assert_int_equal(json_object_size(n), 2);
	text = json_dumps(ev, 0);
	assert_null(strstr(text, "Virtanen"));
	assert_null(strstr(text, "anna"));
	free(text);
	json_decref(ev);
	core_reply_free(rep);

	/* The unit shows full names now: the next change tells the citizen the full name. */
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "unit-name-style", "Adult social work", "full"),
			 0);
	snprintf(body, sizeof body,
		 "{\"type\":\"message.send\",\"id\":\"m\",\"thread\":\"%s\",\"body\":\"%s\"}", thread, b64);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &anna, body, &rc, NULL);
	ev = changed_to(rep, "u:");
	assert_string_equal(str(json_object_get(ev, "assignee_name"), "name"), "Anna Virtanen");
	json_decref(ev);
	core_reply_free(rep);

	/* A reassignment to anton, who has no name: null in the reply. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra\",\"thread\":\"%s\",\"reason\":\"leave\","
		       "\"to_user\":\"%s\"}",
		       thread, anton.user_id);
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(str(r, "assignee"), anton.user_id);
	assert_true(json_is_null(json_object_get(r, "assignee_name")));
	json_decref(r);
	/* Back to anna, then released: her name, then null. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"rb\",\"thread\":\"%s\",\"reason\":\"back\","
		       "\"to_user\":\"%s\"}",
		       thread, anna.user_id);
	assert_string_equal(str(json_object_get(r, "assignee_name"), "name"), "Anna Virtanen");
	json_decref(r);
	r = corefix_ws(fx, &sara, "{\"type\":\"thread.release\",\"id\":\"rl\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_true(json_is_null(json_object_get(r, "assignee_name")));
	json_decref(r);
	free(b64);
}

/* The summary of `thread` in a thread.list reply; fails when it is not there. */
static json_t *summary_of(json_t *reply, const char *thread)
{
	json_t *t;
	size_t i;

	json_array_foreach (json_object_get(reply, "threads"), i, t)
		if (strcmp(str(t, "thread"), thread) == 0)
			return t;
	fail_msg("thread %s not in the list", thread);
	return NULL;
}

/* Opens a thread as the citizen with request id `id`; its thread id into `thread`. */
static void open_thread(struct corefix *fx, const struct who *citizen, const char *id,
			char thread[STORE_ID_SIZE])
{
	char *b64 = corefix_body(50, 'x');
	json_t *r = corefix_ws(fx, citizen,
			       "{\"type\":\"thread.open\",\"id\":\"%s\",\"category\":\"adult-social-work\","
			       "\"body\":\"%s\"}",
			       id, b64);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", str(r, "thread"));
	json_decref(r);
	free(b64);
}

/* The name a summary shows, NULL when assignee_name is null; fails when it is missing. */
static const char *summary_name(json_t *summary)
{
	json_t *n = json_object_get(summary, "assignee_name");

	assert_non_null(n);
	return json_is_null(n) ? NULL : str(n, "name");
}

static void test_summaries_carry_assignee_names(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna, sara, anton;
	char err[256], t_anna[STORE_ID_SIZE], t_anna2[STORE_ID_SIZE], t_anton[STORE_ID_SIZE],
		t_none[STORE_ID_SIZE], *text;
	json_t *r, *s;

	assert_int_equal(
		names_cmd(fx, err, sizeof err, 4, "worker-name", "anna", "Anna Virtanen", "Social worker"),
		0);
	corefix_login_citizen(fx, CITIZEN, &citizen);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);
	corefix_login_worker(fx, "anton", &anton);
	open_thread(fx, &citizen, "o1", t_anna);
	open_thread(fx, &citizen, "o2", t_anna2);
	open_thread(fx, &citizen, "o3", t_anton);
	open_thread(fx, &citizen, "o4", t_none);
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"a\",\"thread\":\"%s\"}", t_anna));
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"b\",\"thread\":\"%s\"}", t_anna2));
	json_decref(corefix_ws(fx, &anton, "{\"type\":\"thread.claim\",\"id\":\"c\",\"thread\":\"%s\"}",
			       t_anton));

	/* The citizen: the first name and title by the unit's default style; never the username
	 * or the rest of the name; null without a name or an assignee. */
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.list\",\"id\":\"l\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 4);
	assert_string_equal(summary_name(summary_of(r, t_anna)), "Anna");
	assert_string_equal(summary_name(summary_of(r, t_anna2)), "Anna");
	assert_string_equal(str(json_object_get(summary_of(r, t_anna), "assignee_name"), "title"),
			    "Social worker");
	assert_null(summary_name(summary_of(r, t_anton)));
	assert_null(summary_name(summary_of(r, t_none)));
	text = json_dumps(r, 0);
	assert_null(strstr(text, "Virtanen"));
	free(text);
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.get\",\"id\":\"g\",\"thread\":\"%s\"}", t_anna);
	assert_string_equal(summary_name(json_object_get(r, "summary")), "Anna");
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.get\",\"id\":\"g\",\"thread\":\"%s\"}", t_none);
	assert_null(summary_name(json_object_get(r, "summary")));
	json_decref(r);

	/* Staff: the display name and title, in full lists, lists by change and thread.get. */
	r = corefix_ws(fx, &sara, "{\"type\":\"thread.list\",\"id\":\"l\"}");
	s = json_object_get(summary_of(r, t_anna), "assignee_name");
	assert_string_equal(str(s, "name"), "Anna Virtanen");
	assert_string_equal(str(s, "title"), "Social worker");
	assert_string_equal(summary_name(summary_of(r, t_anna2)), "Anna Virtanen");
	assert_null(summary_name(summary_of(r, t_anton)));
	assert_null(summary_name(summary_of(r, t_none)));
	json_decref(r);
	r = corefix_ws(fx, &sara, "{\"type\":\"thread.list\",\"id\":\"c\",\"changed_since\":0}");
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(summary_name(summary_of(r, t_anna)), "Anna Virtanen");
	assert_null(summary_name(summary_of(r, t_none)));
	json_decref(r);
	r = corefix_ws(fx, &sara, "{\"type\":\"thread.get\",\"id\":\"g\",\"thread\":\"%s\"}", t_anna);
	assert_string_equal(summary_name(json_object_get(r, "summary")), "Anna Virtanen");
	json_decref(r);

	/* The unit shows full names now: the citizen's list says so. */
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "unit-name-style", "Adult social work", "full"),
			 0);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.list\",\"id\":\"l\",\"changed_since\":0}");
	assert_string_equal(summary_name(summary_of(r, t_anna)), "Anna Virtanen");
	json_decref(r);
}

static void test_dashboard_and_duty_show_names(void **state)
{
	struct corefix *fx = *state;
	struct who anna, sara;
	char err[256];
	json_t *r, *w, *u, *p;
	size_t i;
	int seen_anna = 0, seen_sara = 0;

	assert_int_equal(
		names_cmd(fx, err, sizeof err, 4, "worker-name", "anna", "Anna Virtanen", "Social worker"),
		0);
	assert_int_equal(names_cmd(fx, err, sizeof err, 3, "worker-name", "sara", "Sara Korhonen"), 0);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);

	r = corefix_ws(fx, &sara, "{\"type\":\"dashboard.get\",\"id\":\"d\"}");
	json_array_foreach (json_object_get(json_array_get(json_object_get(r, "units"), 0), "workers"), i,
			    w) {
		if (strcmp(str(w, "username"), "anna") == 0) {
			assert_string_equal(str(w, "name"), "Anna Virtanen");
			assert_string_equal(str(w, "title"), "Social worker");
			seen_anna = 1;
		} else if (strcmp(str(w, "username"), "sara") == 0) {
			assert_string_equal(str(w, "name"), "Sara Korhonen");
			assert_true(json_is_null(json_object_get(w, "title")));
			seen_sara = 1;
		} else {
			assert_true(json_is_null(json_object_get(w, "name")));
		}
	}
	assert_true(seen_anna && seen_sara);
	json_decref(r);

	/* Nobody on duty (no roster): the list is empty; anna goes on duty and is in it. */
	r = corefix_ws(fx, &sara, "{\"type\":\"duty.get\",\"id\":\"g\"}");
	u = json_array_get(json_object_get(r, "units"), 0);
	assert_int_equal(json_array_size(json_object_get(u, "staff_on_duty")), 0);
	json_decref(r);
	json_decref(corefix_ws(fx, &anna, "{\"type\":\"duty.set\",\"id\":\"on\",\"duty\":\"on\"}"));
	r = corefix_ws(fx, &sara, "{\"type\":\"duty.get\",\"id\":\"g2\"}");
	u = json_array_get(json_object_get(r, "units"), 0);
	assert_false(json_is_true(json_object_get(u, "on_duty")));
	assert_int_equal(json_array_size(json_object_get(u, "staff_on_duty")), 1);
	p = json_array_get(json_object_get(u, "staff_on_duty"), 0);
	assert_string_equal(str(p, "username"), "anna");
	assert_string_equal(str(p, "name"), "Anna Virtanen");
	assert_string_equal(str(p, "title"), "Social worker");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commands_refuse_bad_input, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_assignee_names_by_audience, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_summaries_carry_assignee_names, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_and_duty_show_names, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
