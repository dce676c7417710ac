/*
 * test_staff.c - the social workers' login beyond the key, on a real store with an injected
 * clock: TOTP enrolment and login with the second factor (a code is good once), the first
 * login of a new account with its setup code, failures of unknown names answered exactly like
 * an account's through backoff and lock, account and role end dates refusing the login and
 * ending open sessions at the periodic check (within its interval), the maximum password age
 * and the password change, idle and absolute session timeouts, and sealed secrets at rest.
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

#include "corefix.h"
#include "staff.h"
#include "admin_staff.h"
#include "totp.h"

#define MIN_MS	(60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS	(24 * HOUR_MS)

/* Rebuilds the fixture's core after a change of fx->cc. */
static void reconfigure(struct corefix *fx)
{
	core_free(fx->core);
	fx->core = core_new(fx->st, &fx->cc);
	assert_non_null(fx->core);
}

static char *b64(const uint8_t key[32])
{
	static char out[2][64];
	static int which;

	which ^= 1;
	sodium_bin2base64(out[which], sizeof out[which], key, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out[which];
}

/* A login body: the key of `name` (corefix_worker_key) unless `key` is given, plus the
 * optional fields (NULL: absent). */
static json_t *login(struct corefix *fx, const char *name, const uint8_t *key, const char *totp,
		     const char *setup, const uint8_t *new_key, int *status, struct who *out)
{
	uint8_t k[32];
	json_t *body = json_object(), *r;
	struct core_reply *rep;
	char *text;
	int rc;

	if (key == NULL) {
		corefix_worker_key(name, k);
		key = k;
	}
	json_object_set_new(body, "username", json_string(name));
	json_object_set_new(body, "auth_key", json_string(b64(key)));
	if (totp != NULL)
		json_object_set_new(body, "totp", json_string(totp));
	if (setup != NULL)
		json_object_set_new(body, "setup_code", json_string(setup));
	if (new_key != NULL)
		json_object_set_new(body, "new_auth_key", json_string(b64(new_key)));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rep = corefix_call(fx, CORE_REQ_LOGIN_WORKER, NULL, text, &rc, &r);
	assert_int_equal(rc, 0);
	*status = rep->http_status;
	if (rep->http_status == 200 && out != NULL) {
		snprintf(out->token, sizeof out->token, "%s", rep->session_token);
		core_session_hash(fx->cc.pepper, out->token, strlen(out->token), out->hash);
		snprintf(out->user_id, sizeof out->user_id, "%s",
			 json_string_value(json_object_get(r, "user")));
	}
	if (rep->http_status != 200)
		assert_string_equal(rep->session_token, "");
	free(text);
	core_reply_free(rep);
	return r;
}

/* Expects a login to answer `status` with `code`. */
static void login_expect(struct corefix *fx, const char *name, const uint8_t *key, const char *totp,
			 const char *setup, const uint8_t *new_key, int status, const char *code,
			 struct who *out)
{
	int got = 0;
	json_t *r = login(fx, name, key, totp, setup, new_key, &got, out);

	if (got != status || strcmp(corefix_code(r), code) != 0)
		fail_msg("login of %s: %d %s, expected %d %s", name, got, corefix_code(r), status, code);
	json_decref(r);
}

/* POST enrol: returns the base32 secret (malloc'd) or NULL with *status. */
static char *enrol(struct corefix *fx, const char *name, const uint8_t *key, const char *setup, int *status)
{
	uint8_t k[32];
	json_t *body = json_pack("{s:s}", "username", name), *r;
	struct core_reply *rep;
	char *text, *secret = NULL;
	int rc;

	if (setup != NULL) {
		json_object_set_new(body, "setup_code", json_string(setup));
	} else {
		if (key == NULL) {
			corefix_worker_key(name, k);
			key = k;
		}
		json_object_set_new(body, "auth_key", json_string(b64(key)));
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rep = corefix_call(fx, CORE_REQ_LOGIN_ENROL, NULL, text, &rc, &r);
	assert_int_equal(rc, 0);
	*status = rep->http_status;
	assert_string_equal(rep->session_token, ""); /* enrolment alone never logs in */
	if (rep->http_status == 200) {
		secret = strdup(json_string_value(json_object_get(r, "totp_secret")));
		assert_non_null(strstr(json_string_value(json_object_get(r, "totp_uri")), secret));
	}
	free(text);
	json_decref(r);
	core_reply_free(rep);
	return secret;
}

/* RFC 4648 base32 (no padding) to bytes; returns the length. */
static size_t base32_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in; in++) {
		const char *p = strchr(alphabet, *in);

		assert_non_null(p);
		acc = (acc << 5) | (uint32_t)(p - alphabet);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			assert_true(n < cap);
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

/* The code of a base32 secret at the fixture's time plus `offset_ms`. */
static const char *code_at(struct corefix *fx, const char *secret_b32, int64_t offset_ms)
{
	static char out[2][8];
	static int which;
	uint8_t key[TOTP_SECRET_MAX];
	size_t len = base32_decode(secret_b32, key, sizeof key);
	long v = totp_hotp(key, len, TOTP_SHA1, (uint64_t)((fx->now + offset_ms) / 1000 / TOTP_STEP_S),
			   TOTP_DIGITS);

	assert_true(v >= 0 && v <= 999999);
	which ^= 1;
	snprintf(out[which], sizeof out[which], "%06d", (int)v);
	return out[which];
}

static void user_of(struct corefix *fx, const char *name, char out[STORE_ID_SIZE])
{
	struct store_worker w;

	assert_int_equal(fx->st->ops->staff->worker_get(fx->st, name, &w), STORE_OK);
	snprintf(out, STORE_ID_SIZE, "%s", w.user_id);
}

static void staff_edit(struct corefix *fx, const char *name, void (*edit)(struct store_staff *, int64_t),
		       int64_t arg)
{
	char uid[STORE_ID_SIZE];
	struct store_staff s;

	user_of(fx, name, uid);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->staff->get(fx->st, uid, &s), STORE_OK);
	edit(&s, arg);
	assert_int_equal(fx->st->ops->staff->put(fx->st, &s), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
}

static void set_ends(struct store_staff *s, int64_t when)
{
	s->ends = when;
}

static void set_password_time(struct store_staff *s, int64_t when)
{
	s->password_set = when;
}

/* A periodic tick at the fixture's time; returns the reply (caller frees). */
static struct core_reply *tick(struct corefix *fx)
{
	int rc;
	struct core_reply *rep = corefix_call(fx, CORE_REQ_TICK, NULL, "", &rc, NULL);

	assert_int_equal(rc, 0);
	return rep;
}

static int ended_contains(const struct core_reply *rep, const struct who *w)
{
	for (size_t i = 0; i < rep->nended; i++)
		if (memcmp(rep->ended[i], w->hash, STORE_HASH_BYTES) == 0)
			return 1;
	return 0;
}

static void expect_session(struct corefix *fx, const struct who *w, const char *code)
{
	json_t *r = corefix_ws(fx, w, "{\"type\":\"thread.list\",\"id\":\"s\"}");

	assert_string_equal(corefix_code(r), code);
	json_decref(r);
}

static void test_totp_enrol_and_login(void **state)
{
	struct corefix *fx = *state;
	char uid[STORE_ID_SIZE], *secret;
	struct store_staff s;
	struct who anna;
	int status;

	fx->cc.staff_totp_required = 1;
	reconfigure(fx);
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 403, "enrol_required", NULL);
	secret = enrol(fx, "anna", NULL, NULL, &status);
	assert_int_equal(status, 200);
	assert_int_equal(strlen(secret), 32); /* 20 bytes */

	/* Sealed at rest: not the secret in clear, and bound to the user id. */
	user_of(fx, "anna", uid);
	assert_int_equal(fx->st->ops->staff->get(fx->st, uid, &s), STORE_OK);
	assert_int_equal(s.totp_len, 0);
	assert_true(s.totp_pending_len > 20);
	{
		uint8_t raw[TOTP_SECRET_MAX], opened[TOTP_SECRET_MAX];
		size_t n = base32_decode(secret, raw, sizeof raw), m = 0;
		char other[STORE_ID_SIZE];

		assert_null(memmem(s.totp_pending, s.totp_pending_len, raw, n));
		assert_int_equal(
			staff_totp_open(fx->cc.pepper, uid, s.totp_pending, s.totp_pending_len, opened, &m),
			0);
		assert_int_equal(m, n);
		assert_memory_equal(opened, raw, n);
		user_of(fx, "ben", other);
		assert_int_equal(
			staff_totp_open(fx->cc.pepper, other, s.totp_pending, s.totp_pending_len, opened, &m),
			-1);
	}

	/* The pending enrolment wants a code; a wrong one counts as a failure. */
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 401, "totp_required", NULL);
	login_expect(fx, "anna", NULL, "000000", NULL, NULL, 401, "bad_credentials", NULL);
	login_expect(fx, "anna", NULL, code_at(fx, secret, 0), NULL, NULL, 200, "ok", &anna);
	assert_int_equal(fx->st->ops->staff->get(fx->st, uid, &s), STORE_OK);
	assert_true(s.totp_len > 0);
	assert_int_equal(s.totp_pending_len, 0);

	/* A code is good once; the next step's code works; the wrong key never reaches the code. */
	login_expect(fx, "anna", NULL, code_at(fx, secret, 0), NULL, NULL, 401, "bad_credentials", NULL);
	fx->now += TOTP_STEP_S * 1000;
	login_expect(fx, "anna", NULL, code_at(fx, secret, 0), NULL, NULL, 200, "ok", NULL);
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 401, "totp_required", NULL);
	login_expect(fx, "anna", (const uint8_t *)"0123456789abcdef0123456789abcdef",
		     code_at(fx, secret, 30000), NULL, NULL, 401, "bad_credentials", NULL);
	/* One step of drift is accepted; two are not. */
	fx->now += 5 * MIN_MS;
	login_expect(fx, "anna", NULL, code_at(fx, secret, -2 * TOTP_STEP_S * 1000), NULL, NULL, 401,
		     "bad_credentials", NULL);
	login_expect(fx, "anna", NULL, code_at(fx, secret, TOTP_STEP_S * 1000), NULL, NULL, 200, "ok", NULL);

	/* Enrolled: enrolment again is a conflict until an administrator resets it. */
	assert_null(enrol(fx, "anna", NULL, NULL, &status));
	assert_int_equal(status, 409);
	expect_session(fx, &anna, "ok");
	free(secret);
}

static void test_totp_optional_accounts_without(void **state)
{
	struct corefix *fx = *state;

	/* staff_totp_required off (the fixture's default): no second factor, plain login. */
	login_expect(fx, "ben", NULL, NULL, NULL, NULL, 200, "ok", NULL);
	login_expect(fx, "ben", NULL, "123456", NULL, NULL, 200, "ok", NULL); /* nothing to check */
}

/* Every answer to an unknown name equals the answer to an account with a wrong key. */
static void test_unknown_names_answer_like_accounts(void **state)
{
	struct corefix *fx = *state;
	uint8_t wrong[32] = { 7 }, right[32];
	int waits = 0, locked = 0;

	corefix_worker_key("anna", right);
	for (int i = 0; i < 40 && locked < 2; i++) {
		int s1 = 0, s2 = 0;
		json_t *a = login(fx, "anna", wrong, NULL, NULL, NULL, &s1, NULL);
		json_t *b = login(fx, "nobody", wrong, NULL, NULL, NULL, &s2, NULL);
		char *ta = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
		char *tb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
		json_t *retry = json_object_get(a, "retry_after");

		assert_int_equal(s1, s2);
		assert_string_equal(ta, tb);
		if (s1 == 423 && retry != NULL) { /* backing off: wait as told */
			fx->now += json_integer_value(retry) * 1000;
			waits++;
		} else if (s1 == 423) {
			locked++;
		} else {
			assert_int_equal(s1, 401);
		}
		free(ta);
		free(tb);
		json_decref(a);
		json_decref(b);
	}
	assert_int_equal(waits, fx->cc.lock_after - fx->cc.backoff_after);
	assert_int_equal(locked, 2);
	/* Both locked now, whatever the key: 423 without retry_after. */
	login_expect(fx, "anna", right, NULL, NULL, NULL, 423, "locked", NULL);
	login_expect(fx, "nobody", right, NULL, NULL, NULL, 423, "locked", NULL);
	/* Enrolment answers alike too. */
	{
		int s1 = 0, s2 = 0;

		assert_null(enrol(fx, "anna", right, NULL, &s1));
		assert_null(enrol(fx, "nobody", right, NULL, &s2));
		assert_int_equal(s1, 423);
		assert_int_equal(s2, 423);
	}
}

static void test_backoff_counts_for_unknown_names(void **state)
{
	struct corefix *fx = *state;
	uint8_t wrong[32] = { 9 };
	int status;
	json_t *r;

	for (int i = 0; i < fx->cc.backoff_after; i++)
		login_expect(fx, "nobody.else", wrong, NULL, NULL, NULL, 401, "bad_credentials", NULL);
	r = login(fx, "nobody.else", wrong, NULL, NULL, NULL, &status, NULL);
	assert_int_equal(status, 423);
	assert_int_equal(json_integer_value(json_object_get(r, "retry_after")), 1);
	json_decref(r);
	fx->now += 1000;
	login_expect(fx, "nobody.else", wrong, NULL, NULL, NULL, 401, "bad_credentials", NULL);
	r = login(fx, "nobody.else", wrong, NULL, NULL, NULL, &status, NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "retry_after")), 2); /* doubled */
	json_decref(r);
}

static void test_account_end(void **state)
{
	struct corefix *fx = *state;
	struct who anna, ben;
	struct core_reply *rep;

	fx->cc.session_check_ms = 30000;
	reconfigure(fx);
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 200, "ok", &anna);
	login_expect(fx, "ben", NULL, NULL, NULL, NULL, 200, "ok", &ben);
	rep = tick(fx); /* the first check runs at once and finds nothing */
	assert_int_equal(rep->nended, 0);
	core_reply_free(rep);

	staff_edit(fx, "anna", set_ends, fx->now + 5000);
	fx->now += 10000; /* the end has come, the next check is not due yet */
	rep = tick(fx);
	assert_int_equal(rep->nended, 0);
	core_reply_free(rep);
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 403, "forbidden", NULL);

	fx->now += 20000; /* one check interval after the first check */
	rep = tick(fx);
	assert_int_equal(rep->nended, 1);
	assert_true(ended_contains(rep, &anna));
	assert_null(rep->json);
	core_reply_free(rep);
	expect_session(fx, &anna, "unauthenticated");
	expect_session(fx, &ben, "ok");

	/* Reported once. */
	fx->now += 30000;
	rep = tick(fx);
	assert_int_equal(rep->nended, 0);
	core_reply_free(rep);

	/* An end in the future changes nothing yet; "none" lifts it. */
	staff_edit(fx, "anna", set_ends, fx->now + DAY_MS);
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 200, "ok", NULL);
	staff_edit(fx, "anna", set_ends, 0);
	fx->now += 2 * DAY_MS;
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 200, "ok", NULL);
}

static void test_role_end(void **state)
{
	struct corefix *fx = *state;
	char uid[STORE_ID_SIZE];
	struct store_membership m[4];
	struct core_reply *rep;
	struct who sara, anna;
	size_t n = 0;

	fx->cc.session_check_ms = 30000;
	reconfigure(fx);
	login_expect(fx, "sara", NULL, NULL, NULL, NULL, 200, "ok", &sara);
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 200, "ok", &anna);
	user_of(fx, "sara", uid);
	assert_int_equal(fx->st->ops->staff->role_end_set(fx->st, uid, fx->unit_family, fx->now),
			 STORE_NOTFOUND);
	assert_int_equal(fx->st->ops->staff->role_end_set(fx->st, uid, fx->unit_adult, fx->now + 1000),
			 STORE_OK);
	rep = tick(fx);
	assert_int_equal(rep->nended, 0);
	core_reply_free(rep);
	expect_session(fx, &sara, "ok");

	fx->now += 30000;
	rep = tick(fx);
	assert_int_equal(rep->nended, 1);
	assert_true(ended_contains(rep, &sara));
	core_reply_free(rep);
	expect_session(fx, &sara, "unauthenticated");
	expect_session(fx, &anna, "ok");
	assert_int_equal(fx->st->ops->staff->membership_list(fx->st, uid, m, 4, &n), STORE_OK);
	assert_int_equal(n, 0);
	/* Every role ended: the login is refused. */
	login_expect(fx, "sara", NULL, NULL, NULL, NULL, 403, "forbidden", NULL);

	/* A role that ends while nobody checks: the login itself notices and ends the
	 * user's other sessions. */
	user_of(fx, "anna", uid);
	assert_int_equal(fx->st->ops->staff->role_end_set(fx->st, uid, fx->unit_adult, fx->now + 1000),
			 STORE_OK);
	fx->now += 2000;
	{
		int status;
		json_t *r;
		struct core_reply *lr;
		uint8_t k[32];
		char body[256];
		int rc;

		corefix_worker_key("anna", k);
		snprintf(body, sizeof body, "{\"username\":\"anna\",\"auth_key\":\"%s\"}", b64(k));
		lr = corefix_call(fx, CORE_REQ_LOGIN_WORKER, NULL, body, &rc, &r);
		status = lr->http_status;
		assert_int_equal(status, 403);
		assert_true(ended_contains(lr, &anna));
		json_decref(r);
		core_reply_free(lr);
	}
	expect_session(fx, &anna, "unauthenticated");
}

static void test_password_max_age(void **state)
{
	struct corefix *fx = *state;
	uint8_t oldkey[32], newkey[32], newer[32];

	fx->cc.password_max_age_ms = 90 * DAY_MS;
	reconfigure(fx);
	corefix_worker_key("anna", oldkey);
	memset(newkey, 0x42, sizeof newkey);
	memset(newer, 0x43, sizeof newer);
	/* Never recorded: expired. The wrong key is still just a wrong key. */
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 403, "password_expired", NULL);
	login_expect(fx, "anna", newkey, NULL, NULL, NULL, 401, "bad_credentials", NULL);
	login_expect(fx, "anna", oldkey, NULL, NULL, oldkey, 400, "bad_request", NULL); /* same password */
	login_expect(fx, "anna", oldkey, NULL, NULL, newkey, 200, "ok", NULL);
	login_expect(fx, "anna", oldkey, NULL, NULL, NULL, 401, "bad_credentials", NULL);
	login_expect(fx, "anna", newkey, NULL, NULL, NULL, 200, "ok", NULL);
	fx->now += 89 * DAY_MS;
	login_expect(fx, "anna", newkey, NULL, NULL, NULL, 200, "ok", NULL);
	fx->now += DAY_MS;
	login_expect(fx, "anna", newkey, NULL, NULL, NULL, 403, "password_expired", NULL);
	login_expect(fx, "anna", newkey, NULL, NULL, newer, 200, "ok", NULL);
	login_expect(fx, "anna", newer, NULL, NULL, NULL, 200, "ok", NULL);

	/* Off (0): a password never expires. */
	staff_edit(fx, "ben", set_password_time, 0);
	fx->cc.password_max_age_ms = 0;
	reconfigure(fx);
	login_expect(fx, "ben", NULL, NULL, NULL, NULL, 200, "ok", NULL);
}

/* A new account: advicectl's setup code, then the first login sets the password and enrols. */
static void test_first_login_with_setup_code(void **state)
{
	struct corefix *fx = *state;
	struct store_worker w = { .opslimit = 1, .memlimit = 8192 };
	char code[STAFF_SETUP_CODE_SIZE], *secret;
	uint8_t newkey[32];
	struct who uusi;
	int status;

	fx->cc.staff_totp_required = 1;
	reconfigure(fx);
	snprintf(w.username, sizeof w.username, "uusi");
	snprintf(w.user_id, sizeof w.user_id, "%032x", 77);
	randombytes_buf(w.salt, sizeof w.salt);
	randombytes_buf(w.auth_hash, sizeof w.auth_hash);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->staff->worker_insert(fx->st, &w, fx->now), STORE_OK);
	assert_int_equal(fx->st->ops->staff->membership_add(fx->st, w.user_id, fx->unit_adult, ROLE_WORKER),
			 STORE_OK);
	assert_int_equal(admin_staff_setup_code(fx->st, fx->cc.pepper, w.user_id, fx->now, code), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	assert_int_equal(strlen(code), STAFF_SETUP_CODE_LEN);
	memset(newkey, 0x5a, sizeof newkey);

	/* No password works yet; a wrong setup code is a failure. */
	login_expect(fx, "uusi", newkey, NULL, NULL, NULL, 401, "bad_credentials", NULL);
	login_expect(fx, "uusi", newkey, NULL, "AAAA-AAAA-AAAA-AAAA", NULL, 401, "bad_credentials", NULL);
	assert_null(enrol(fx, "uusi", NULL, "AAAA-AAAA-AAAA-AAAA", &status));
	assert_int_equal(status, 401);
	fx->now += 2000; /* three failures: past the first wait */
	/* The setup code alone does not log in: the second factor must be enrolled. */
	login_expect(fx, "uusi", newkey, NULL, code, NULL, 403, "enrol_required", NULL);
	secret = enrol(fx, "uusi", NULL, code, &status);
	assert_int_equal(status, 200);
	login_expect(fx, "uusi", newkey, NULL, code, NULL, 401, "totp_required", NULL);
	login_expect(fx, "uusi", newkey, code_at(fx, secret, 0), code, NULL, 200, "ok", &uusi);
	expect_session(fx, &uusi, "ok");

	/* From now on: the new password and the second factor; the setup code is spent. */
	fx->now += TOTP_STEP_S * 1000;
	login_expect(fx, "uusi", newkey, code_at(fx, secret, 0), code, NULL, 401, "bad_credentials", NULL);
	fx->now += TOTP_STEP_S * 1000;
	login_expect(fx, "uusi", newkey, code_at(fx, secret, 0), NULL, NULL, 200, "ok", NULL);
	free(secret);

	/* A setup code expires. */
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(admin_staff_setup_code(fx->st, fx->cc.pepper, w.user_id, fx->now, code), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	expect_session(fx, &uusi, "unauthenticated"); /* a reset revokes the sessions */
	login_expect(fx, "uusi", newkey, NULL, NULL, NULL, 401, "bad_credentials", NULL); /* password gone */
	fx->now += STAFF_SETUP_VALID_MS;
	assert_null(enrol(fx, "uusi", NULL, code, &status));
	assert_int_equal(status, 401);
}

static void test_session_timeouts(void **state)
{
	struct corefix *fx = *state;
	struct who anna, ben;
	struct core_reply *rep;
	int64_t start;

	fx->cc.session_check_ms = 30000;
	reconfigure(fx);
	/* Idle: a request within 30 minutes keeps the session; 30 minutes of silence ends it. */
	login_expect(fx, "anna", NULL, NULL, NULL, NULL, 200, "ok", &anna);
	fx->now += 29 * MIN_MS;
	expect_session(fx, &anna, "ok");
	fx->now += 29 * MIN_MS;
	expect_session(fx, &anna, "ok");
	fx->now += 30 * MIN_MS;
	expect_session(fx, &anna, "unauthenticated");

	/* Absolute: active all along, the session still ends after 12 hours. */
	login_expect(fx, "ben", NULL, NULL, NULL, NULL, 200, "ok", &ben);
	start = fx->now;
	while (fx->now + 20 * MIN_MS < start + 12 * HOUR_MS) {
		fx->now += 20 * MIN_MS;
		expect_session(fx, &ben, "ok");
	}
	fx->now = start + 12 * HOUR_MS;
	/* The periodic check ends it too, so its sockets close. */
	rep = tick(fx);
	assert_true(ended_contains(rep, &ben));
	core_reply_free(rep);
	expect_session(fx, &ben, "unauthenticated");
}

/* A secret sealed under another pepper (a restored database with the wrong pepper) is not
 * usable: the login fails closed, and moving a sealed secret to another account fails too. */
static void test_sealed_secret_fails_closed(void **state)
{
	struct corefix *fx = *state;
	uint8_t other[32], secret[20] = { 1, 2, 3 };
	char uid[STORE_ID_SIZE];
	struct store_staff s;

	fx->cc.staff_totp_required = 1;
	reconfigure(fx);
	user_of(fx, "anna", uid);
	memset(other, 0x33, sizeof other);
	assert_int_equal(fx->st->ops->staff->get(fx->st, uid, &s), STORE_OK);
	assert_int_equal(
		staff_totp_seal(other, uid, secret, sizeof secret, s.totp, sizeof s.totp, &s.totp_len), 0);
	assert_int_equal(fx->st->ops->staff->put(fx->st, &s), STORE_OK);
	login_expect(fx, "anna", NULL, "123456", NULL, NULL, 500, "internal", NULL);

	user_of(fx, "ben", uid);
	assert_int_equal(staff_totp_seal(fx->cc.pepper, "someone else", secret, sizeof secret, s.totp,
					 sizeof s.totp, &s.totp_len),
			 0);
	snprintf(s.user_id, sizeof s.user_id, "%s", uid);
	assert_int_equal(fx->st->ops->staff->put(fx->st, &s), STORE_OK);
	login_expect(fx, "ben", NULL, "123456", NULL, NULL, 500, "internal", NULL);
	/* Too long to seal, and a truncated box, are refused. */
	assert_int_equal(staff_totp_seal(fx->cc.pepper, uid, secret, TOTP_SECRET_MAX + 1, s.totp,
					 sizeof s.totp, &s.totp_len),
			 -1);
	{
		uint8_t out[TOTP_SECRET_MAX];
		size_t n = 0;

		assert_int_equal(staff_totp_open(fx->cc.pepper, uid, s.totp, 20, out, &n), -1);
	}
}

static void test_when_parser(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(admin_staff_parse_when("none", 5000, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(admin_staff_parse_when("now", 5000, &t), 0);
	assert_int_equal(t, 5000);
	assert_int_equal(admin_staff_parse_when("+3", 5000, &t), 0);
	assert_int_equal(t, 8000);
	assert_int_equal(admin_staff_parse_when("2030-06-30", 5000, &t), 0);
	assert_int_equal(t, 1909083600000LL); /* Helsinki's midnight after 30 June 2030: 21:00 UTC */
	assert_int_equal(admin_staff_parse_when("2030-01-31", 5000, &t), 0);
	assert_int_equal(t, 1896127200000LL); /* in winter: 22:00 UTC */
	assert_int_equal(admin_staff_parse_when("2030-02-30", 5000, &t), -1);
	assert_int_equal(admin_staff_parse_when("1999-12-31", 5000, &t), -1);
	assert_int_equal(admin_staff_parse_when("2030-13-01", 5000, &t), -1);
	assert_int_equal(admin_staff_parse_when("+", 5000, &t), -1);
	assert_int_equal(admin_staff_parse_when("+-5", 5000, &t), -1);
	assert_int_equal(admin_staff_parse_when("tomorrow", 5000, &t), -1);
	assert_int_equal(admin_staff_parse_when("2030-6-30", 5000, &t), -1);
}

/* Times for people and scripts, in Helsinki time; a midnight is the end of the day before. */
static void test_admin_times(void **state)
{
	char text[ADMIN_TIME_TEXT], iso[ADMIN_TIME_ISO];
	json_t *j;

	(void)state;
	admin_time_text(1909083600000LL, text);
	assert_string_equal(text, "2030-06-30 at 24:00 Helsinki time");
	admin_time_iso(1909083600000LL, iso);
	assert_string_equal(iso, "2030-07-01T00:00:00+03:00");
	admin_time_text(1894694700000LL, text); /* 2030-01-15 08:05 UTC */
	assert_string_equal(text, "2030-01-15 at 10:05 Helsinki time");
	admin_time_iso(1894694700000LL + 7000, iso);
	assert_string_equal(iso, "2030-01-15T10:05:07+02:00");
	assert_true(json_is_null(j = admin_time_json(0)));
	json_decref(j);
	j = admin_time_json(1896127200000LL);
	assert_string_equal(json_string_value(j), "2030-02-01T00:00:00+02:00");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_totp_enrol_and_login, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_totp_optional_accounts_without, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_names_answer_like_accounts, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_backoff_counts_for_unknown_names, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_account_end, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_role_end, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_password_max_age, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_first_login_with_setup_code, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_session_timeouts, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_sealed_secret_fails_closed, corefix_setup,
						corefix_teardown),
		cmocka_unit_test(test_when_parser),
		cmocka_unit_test(test_admin_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
