/*
 * test_names_live.c - staff names over the real adviced: the demo data names its accounts
 * (adult social work shows citizens full names, children and families first names); a
 * citizen whose thread is claimed sees the assignee's name as the unit allows, the supervisor
 * sees colleagues' names on the dashboard; advicectl worker-name and unit-name-style, through
 * the admin socket, change what is shown from then on, and refuse bad input.
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

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define TIMEOUT_MS 10000
#define BODY	   "cXVlc3Rpb24"

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	assert_int_equal(harness_start(h), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	int rc = harness_stop(*state);

	free(*state);
	return rc;
}

static struct advice_conn *connect_as(struct harness *h, const char *who, int citizen)
{
	char *session;
	struct advice_conn *k;

	if (citizen)
		assert_int_equal(harness_login_citizen(h, who, &session), 0);
	else
		assert_int_equal(harness_login_worker(h, who, &session), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* The next thread.changed about `thread` whose assignee is set, on `k`. */
static json_t *claimed_event(struct advice_conn *k, const char *thread)
{
	for (;;) {
		char *text = NULL;
		json_t *j;

		if (advice_next_message(k, &text, TIMEOUT_MS) != 0)
			fail_msg("no thread.changed with an assignee for %s", thread);
		j = json_loads(text, 0, NULL);
		free(text);
		if (j != NULL && itest_str(j, "event") &&
		    strcmp(itest_str(j, "event"), "thread.changed") == 0 &&
		    strcmp(itest_str(j, "thread"), thread) == 0 &&
		    json_is_string(json_object_get(j, "assignee")))
			return j;
		json_decref(j);
	}
}

/* Opens a thread in `category` as the citizen, has `worker` claim it, and returns the
 * assignee_name the citizen was told (decref'd by the caller). */
static json_t *name_citizen_sees(struct advice_conn *citizen, struct advice_conn *worker,
				 const char *category)
{
	static int n; /* request ids are fresh: a reused one would replay the first reply */
	json_t *r, *ev, *name;
	char thread[40];

	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"%s\",\"body\":\"%s\"}",
			  ++n, category, BODY);
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	/* children-and-families assigns by round-robin at once; adult social work is claimed. */
	if (strcmp(itest_str(r, "state"), "new") == 0)
		json_decref(itest_request(worker, "ok",
					  "{\"type\":\"thread.claim\",\"id\":\"c-%s\",\"thread\":\"%s\"}",
					  thread, thread));
	json_decref(r);
	ev = claimed_event(citizen, thread);
	name = json_incref(json_object_get(ev, "assignee_name"));
	json_decref(ev);
	return name;
}

static void ctl_ok(struct harness *h, const char *const args[])
{
	char *out = NULL;

	assert_int_equal(harness_ctl(h, args, &out), 0);
	free(out);
}

static void test_names_as_each_side_sees_them(void **state)
{
	struct harness *h = *state;
	struct advice_conn *citizen = connect_as(h, "010594Y9032", 1);
	struct advice_conn *anna = connect_as(h, "anna", 0), *ben = connect_as(h, "ben", 0);
	struct advice_conn *sara = connect_as(h, "sara", 0);
	char *out = NULL;
	json_t *n, *r, *w;
	size_t i;
	int seen = 0;

	/* ben works on a roster of working days; on duty or not, round-robin needs him on duty. */
	json_decref(itest_request(ben, "ok", "{\"type\":\"duty.set\",\"id\":\"on\",\"duty\":\"on\"}"));

	/* The demo: adult social work shows full names, children and families first names. */
	n = name_citizen_sees(citizen, anna, "adult-social-work");
	assert_string_equal(itest_str(n, "name"), "Anna Virtanen");
	assert_string_equal(itest_str(n, "title"), "Social worker");
	json_decref(n);
	n = name_citizen_sees(citizen, ben, "children-and-families");
	assert_string_equal(itest_str(n, "name"), "Ben");
	assert_string_equal(itest_str(n, "title"), "Social counsellor");
	json_decref(n);

	/* The supervisor sees colleagues by name. */
	r = itest_request(sara, "ok", "{\"type\":\"dashboard.get\",\"id\":\"d\"}");
	json_array_foreach (json_object_get(json_array_get(json_object_get(r, "units"), 0), "workers"), i, w)
		if (strcmp(itest_str(w, "username"), "anna") == 0 &&
		    strcmp(itest_str(w, "name"), "Anna Virtanen") == 0)
			seen = 1;
	assert_true(seen);
	json_decref(r);

	/* advicectl through the admin socket: a new name and the first-name style. */
	ctl_ok(h, (const char *const[]){ "worker-name", "anna", "Anna-Liisa Virtanen", "Senior social worker",
					 NULL });
	ctl_ok(h, (const char *const[]){ "unit-name-style", "Adult social work", "first", NULL });
	n = name_citizen_sees(citizen, anna, "adult-social-work");
	assert_string_equal(itest_str(n, "name"), "Anna-Liisa");
	assert_string_equal(itest_str(n, "title"), "Senior social worker");
	json_decref(n);
	/* Refused: a name that starts with a space, an unknown style. */
	assert_int_not_equal(
		harness_ctl(h, (const char *const[]){ "worker-name", "anna", " Anna", NULL }, &out), 0);
	free(out);
	out = NULL;
	assert_int_not_equal(
		harness_ctl(h, (const char *const[]){ "unit-name-style", "Adult social work", "all", NULL },
			    &out),
		0);
	free(out);

	advice_conn_free(citizen);
	advice_conn_free(anna);
	advice_conn_free(ben);
	advice_conn_free(sara);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names_as_each_side_sees_them, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
