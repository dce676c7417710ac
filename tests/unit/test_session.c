/*
 * test_session.c - a session's two ends on the injected clock: welcome tells the absolute end
 * and the idle end apart; session.extend moves the idle end, never past the absolute end,
 * and ordinary requests move it at most once a minute; the periodic check warns a session's
 * own connections (session.expiring) before its idle end and before its absolute end, once
 * per end, again for an end that activity moved, never when the warning is off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corefix.h"

#define CITIZEN "010594Y9032"
#define MINUTE	60000LL
#define WARN_MS (5 * MINUTE)

static json_int_t num(json_t *j, const char *name)
{
	return json_integer_value(json_object_get(j, name));
}

/* A fixture whose core checks sessions every second and warns `warn_ms` ahead. */
static int setup_warn(void **state)
{
	struct corefix *fx;

	corefix_setup(state);
	fx = *state;
	core_free(fx->core);
	fx->cc.session_check_ms = 1000;
	fx->cc.session_warn_ms = WARN_MS;
	fx->core = core_new(fx->st, &fx->cc);
	assert_non_null(fx->core);
	return 0;
}

static json_t *welcome(struct corefix *fx, const struct who *w)
{
	json_t *r;
	int rc;
	struct core_reply *rep = corefix_call(fx, CORE_REQ_CONNECT, w, "", &rc, &r);

	assert_int_equal(rc, 0);
	core_reply_free(rep);
	return r;
}

static json_t *extend(struct corefix *fx, const struct who *w)
{
	json_t *r = corefix_ws(fx, w, "{\"type\":\"session.extend\",\"id\":\"x\"}");

	assert_string_equal(corefix_code(r), "ok");
	return r;
}

/* Runs the periodic check at fx->now; returns how many session.expiring events went to the
 * topic of `w`'s session (the last one in *last, decref'd by the caller, when not NULL). */
static int tick_warnings(struct corefix *fx, const struct who *w, json_t **last)
{
	char topic[48];
	int rc, n = 0;
	struct core_reply *rep = corefix_call(fx, CORE_REQ_TICK, NULL, "", &rc, NULL);

	assert_int_equal(rc, 0);
	core_session_topic(w->hash, topic);
	if (last != NULL)
		*last = NULL;
	for (size_t i = 0; i < rep->npush; i++) {
		json_t *ev = json_loads(rep->pushes[i].json, 0, NULL);

		assert_non_null(ev);
		if (strcmp(json_string_value(json_object_get(ev, "event")), "session.expiring") != 0) {
			json_decref(ev);
			continue;
		}
		/* A session's warning goes to its own connections only. */
		assert_string_equal(rep->pushes[i].topic, topic);
		n++;
		if (last != NULL) {
			json_decref(*last);
			*last = ev;
		} else {
			json_decref(ev);
		}
	}
	core_reply_free(rep);
	return n;
}

static void test_welcome_tells_both_ends(void **state)
{
	struct corefix *fx = *state;
	int64_t login = fx->now;
	struct who c;
	json_t *w;

	corefix_login_citizen(fx, CITIZEN, &c);
	fx->now += 10 * MINUTE;
	w = welcome(fx, &c);
	/* The absolute end: the login plus the absolute time, not moved by the connect. */
	assert_int_equal(num(w, "session_expires"), login + fx->cc.citizen_abs_ms);
	/* Connecting is activity: the idle end counts from now. */
	assert_int_equal(num(w, "idle_expires"), fx->now + fx->cc.citizen_idle_ms);
	json_decref(w);
}

static void test_extend_moves_the_idle_end_only(void **state)
{
	struct corefix *fx = *state;
	int64_t login = fx->now, abs_end = login + fx->cc.citizen_abs_ms;
	struct who c;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN, &c);
	/* An ordinary request within the minute does not move the idle end; extend does. */
	fx->now += 30000;
	r = corefix_ws(fx, &c, "{\"type\":\"thread.list\",\"id\":\"l\"}");
	json_decref(r);
	r = welcome(fx, &c);
	assert_int_equal(num(r, "idle_expires"), login + fx->cc.citizen_idle_ms);
	json_decref(r);
	r = extend(fx, &c);
	assert_int_equal(num(r, "session_expires"), abs_end);
	assert_int_equal(num(r, "idle_expires"), fx->now + fx->cc.citizen_idle_ms);
	json_decref(r);

	/* Kept alive by extends up to the absolute end, where the idle end stops. */
	while (fx->now + fx->cc.citizen_idle_ms < abs_end) {
		fx->now += fx->cc.citizen_idle_ms - MINUTE;
		json_decref(extend(fx, &c));
	}
	r = extend(fx, &c);
	assert_int_equal(num(r, "idle_expires"), abs_end);
	assert_int_equal(num(r, "session_expires"), abs_end);
	json_decref(r);

	/* At the absolute end the session is over, extend or not. */
	fx->now = abs_end;
	r = corefix_ws(fx, &c, "{\"type\":\"session.extend\",\"id\":\"late\"}");
	assert_string_equal(corefix_code(r), "unauthenticated");
	json_decref(r);
}

static void test_idle_session_is_warned_once(void **state)
{
	struct corefix *fx = *state;
	int64_t login = fx->now, idle_end = login + fx->cc.citizen_idle_ms;
	struct who c;
	json_t *ev;

	corefix_login_citizen(fx, CITIZEN, &c);
	assert_int_equal(tick_warnings(fx, &c, NULL), 0);
	/* Not yet: the end is further away than the lead time. */
	fx->now = idle_end - WARN_MS - 1000;
	assert_int_equal(tick_warnings(fx, &c, NULL), 0);
	fx->now = idle_end - WARN_MS;
	assert_int_equal(tick_warnings(fx, &c, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "idle");
	assert_int_equal(num(ev, "ends"), idle_end);
	assert_int_equal(num(ev, "idle_expires"), idle_end);
	assert_int_equal(num(ev, "session_expires"), login + fx->cc.citizen_abs_ms);
	json_decref(ev);
	/* Once per end. */
	fx->now += 1000;
	assert_int_equal(tick_warnings(fx, &c, NULL), 0);

	/* Activity moves the end: warned again when the new end comes near. */
	json_decref(extend(fx, &c));
	idle_end = fx->now + fx->cc.citizen_idle_ms;
	fx->now += 1000;
	assert_int_equal(tick_warnings(fx, &c, NULL), 0);
	fx->now = idle_end - WARN_MS + 500;
	assert_int_equal(tick_warnings(fx, &c, &ev), 1);
	assert_int_equal(num(ev, "ends"), idle_end);
	json_decref(ev);
}

static void test_absolute_end_is_warned(void **state)
{
	struct corefix *fx = *state;
	int64_t abs_end = fx->now + fx->cc.citizen_abs_ms;
	struct who c;
	json_t *ev;
	int warned_idle = 0;

	corefix_login_citizen(fx, CITIZEN, &c);
	/* Active all along: the idle warnings never come, as the ends keep moving away. */
	while (fx->now + fx->cc.citizen_idle_ms < abs_end - WARN_MS) {
		fx->now += 10 * MINUTE;
		json_decref(extend(fx, &c));
		warned_idle += tick_warnings(fx, &c, NULL);
	}
	assert_int_equal(warned_idle, 0);
	fx->now = abs_end - WARN_MS;
	json_decref(extend(fx, &c));
	assert_int_equal(tick_warnings(fx, &c, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "absolute");
	assert_int_equal(num(ev, "ends"), abs_end);
	assert_int_equal(num(ev, "session_expires"), abs_end);
	json_decref(ev);
	/* Extending cannot help now: no second warning, and the end stays. */
	fx->now += MINUTE;
	json_decref(extend(fx, &c));
	assert_int_equal(tick_warnings(fx, &c, NULL), 0);
}

static void test_no_warning_when_off(void **state)
{
	struct corefix *fx = *state;
	struct who c;

	/* The plain fixture: session_warn_ms 0. */
	fx->cc.session_check_ms = 1000;
	core_free(fx->core);
	fx->core = core_new(fx->st, &fx->cc);
	corefix_login_citizen(fx, CITIZEN, &c);
	fx->now += fx->cc.citizen_idle_ms - MINUTE;
	assert_int_equal(tick_warnings(fx, &c, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_welcome_tells_both_ends, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_extend_moves_the_idle_end_only, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_idle_session_is_warned_once, setup_warn,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_absolute_end_is_warned, setup_warn, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_no_warning_when_off, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
