/*
 * test_core_bank.c - the core's end of a bank-ID login (core_bank.c) on a real store: a
 * checked login creates the citizen and a session; the same login a second time (a replayed
 * ID token or nonce) is refused; the same person later is the same citizen; a malformed
 * internal request changes nothing; and the direct ID-token login is refused outside test
 * mode.
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

#include "corefix.h"

#define LOGIN_1 "0101010101010101010101010101010101010101010101010101010101010101"
#define LOGIN_2 "0202020202020202020202020202020202020202020202020202020202020202"

static json_t *bank_login(struct corefix *fx, const char *login, const char *hetu,
			  struct core_reply **rep_out)
{
	char body[300];
	json_t *parsed = NULL;
	int rc;
	struct core_reply *rep;

	snprintf(body, sizeof body,
		 "{\"login\":\"%s\",\"hetu\":\"%s\",\"acr\":\"http://ftn.ficora.fi/2017/loatest2\"}", login,
		 hetu);
	rep = corefix_call(fx, CORE_REQ_LOGIN_BANK, NULL, body, &rc, &parsed);
	assert_int_equal(rc, 0);
	if (rep_out != NULL)
		*rep_out = rep;
	else
		core_reply_free(rep);
	return parsed;
}

static void test_login_once(void **state)
{
	struct corefix *fx = *state;
	struct core_reply *rep;
	json_t *r1, *r2, *r3;

	r1 = bank_login(fx, LOGIN_1, "010594Y9032", &rep);
	assert_string_equal(corefix_code(r1), "ok");
	assert_string_equal(json_string_value(json_object_get(r1, "role")), "citizen");
	assert_int_equal(strlen(rep->session_token), ADVICE_SESSION_TOKEN_LEN);
	assert_true(rep->session_max_age_s > 0);
	core_reply_free(rep);
	/* the same login again: refused, no session */
	r2 = bank_login(fx, LOGIN_1, "010594Y9032", &rep);
	assert_string_equal(corefix_code(r2), "bad_token");
	assert_string_equal(rep->session_token, "");
	assert_int_equal(rep->http_status, 401);
	core_reply_free(rep);
	/* the same person in a new login: the same citizen */
	r3 = bank_login(fx, LOGIN_2, "010594Y9032", NULL);
	assert_string_equal(corefix_code(r3), "ok");
	assert_string_equal(json_string_value(json_object_get(r1, "user")),
			    json_string_value(json_object_get(r3, "user")));
	json_decref(r1);
	json_decref(r2);
	json_decref(r3);
	/* after twice the login lifetime the record may be forgotten; a new login still works */
	fx->now += 3600 * 1000;
	r1 = bank_login(fx, "03" LOGIN_2 + 2, "020594X903P", NULL);
	assert_string_equal(corefix_code(r1), "ok");
	json_decref(r1);
}

static void test_malformed_internal_request(void **state)
{
	struct corefix *fx = *state;
	json_t *r;
	int rc;
	struct core_reply *rep;

	r = bank_login(fx, "00", "010594Y9032", NULL);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = bank_login(fx, LOGIN_1, "010594Y903", NULL);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	rep = corefix_call(fx, CORE_REQ_LOGIN_BANK, NULL, "not json", &rc, &r);
	assert_int_equal(rc, 0);
	assert_string_equal(corefix_code(r), "bad_request");
	core_reply_free(rep);
	json_decref(r);
}

static void test_direct_login_only_in_test_mode(void **state)
{
	struct corefix *fx = *state;
	struct core_config cc = fx->cc;
	struct core *prod, *saved = fx->core;
	char *tok = corefix_id_token(fx, "010594Y9032", "http://ftn.ficora.fi/2017/loa2", fx->now / 1000);
	char body[20000];
	json_t *r;
	int rc;
	struct core_reply *rep;

	cc.test_mode = 0;
	prod = core_new(fx->st, &cc);
	assert_non_null(prod);
	snprintf(body, sizeof body, "{\"id_token\":\"%s\"}", tok);
	fx->core = prod;
	rep = corefix_call(fx, CORE_REQ_LOGIN_CITIZEN, NULL, body, &rc, &r);
	fx->core = saved;
	assert_int_equal(rc, 0);
	assert_string_equal(corefix_code(r), "forbidden");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "test mode"));
	assert_string_equal(rep->session_token, "");
	core_reply_free(rep);
	json_decref(r);
	/* in test mode the same token works */
	rep = corefix_call(fx, CORE_REQ_LOGIN_CITIZEN, NULL, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	core_reply_free(rep);
	json_decref(r);
	core_free(prod);
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login_once, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_internal_request, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_direct_login_only_in_test_mode, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
