/*
 * corefix.c - the core fixture of the unit tests (corefix.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "audit.h"
#include "corefix.h"
#include "testutil.h"

#define T0 1795000000000LL /* 2026-11-18, the fixture's start time */

void corefix_worker_key(const char *name, uint8_t key[ADVICE_AUTH_KEY_BYTES])
{
	crypto_generichash(key, ADVICE_AUTH_KEY_BYTES, (const unsigned char *)name, strlen(name), NULL, 0);
}

static char *pem_of(EVP_PKEY *k, int private)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (private)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, k);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

static void make_idp(struct corefix *fx)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	char *pub = pem_of(k, 0);
	json_t *list = json_pack("[{s:s, s:s, s:s}]", "kid", "k1", "alg", "RS256", "pem", pub);
	char *text = json_dumps(list, 0), err[200];

	fx->idp_private_pem = pem_of(k, 1);
	snprintf(fx->tc.issuer, sizeof fx->tc.issuer, "https://idp.test");
	snprintf(fx->tc.audience, sizeof fx->tc.audience, "advice-test");
	snprintf(fx->tc.hetu_claim, sizeof fx->tc.hetu_claim, "hetu");
	snprintf(fx->tc.acr_values, sizeof fx->tc.acr_values, "http://ftn.ficora.fi/2017/loa2");
	fx->tc.skew_s = 60;
	fx->tc.max_age_s = 600;
	fx->tc.test_mode = 1;
	assert_int_equal(token_keys_parse(text, strlen(text), &fx->tc.keys, &fx->tc.nkeys, err, sizeof err),
			 0);
	free(text);
	free(pub);
	json_decref(list);
	EVP_PKEY_free(k);
}

static void core_random_user_id(char out[STORE_ID_SIZE])
{
	uint8_t b[ADVICE_ID_HEX / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

static void add_worker(struct corefix *fx, const char *name, const char *unit, enum store_role role)
{
	struct store_worker w = { .opslimit = 1, .memlimit = 8192 };
	uint8_t key[ADVICE_AUTH_KEY_BYTES];

	snprintf(w.username, sizeof w.username, "%s", name);
	core_random_user_id(w.user_id);
	randombytes_buf(w.salt, sizeof w.salt);
	corefix_worker_key(name, key);
	core_keyed_hash(fx->cc.pepper, "auth key", key, sizeof key, w.auth_hash);
	assert_int_equal(fx->st->ops->staff->worker_insert(fx->st, &w, fx->now), STORE_OK);
	assert_int_equal(fx->st->ops->staff->membership_add(fx->st, w.user_id, unit, role), STORE_OK);
}

static void seed(struct corefix *fx)
{
	struct store_queue q = { 0 };
	struct store *st = fx->st;

	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	snprintf(fx->unit_adult, sizeof fx->unit_adult, "%032d", 1);
	snprintf(fx->unit_family, sizeof fx->unit_family, "%032d", 2);
	assert_int_equal(st->ops->unit->insert(st, fx->unit_adult, "Adult social work"), STORE_OK);
	assert_int_equal(st->ops->unit->insert(st, fx->unit_family, "Children and families"), STORE_OK);
	snprintf(q.id, sizeof q.id, "%032d", 11);
	snprintf(q.unit_id, sizeof q.unit_id, "%s", fx->unit_adult);
	snprintf(q.category, sizeof q.category, "adult-social-work");
	snprintf(q.name, sizeof q.name, "Adult social work");
	assert_int_equal(st->ops->queue->insert(st, &q), STORE_OK);
	snprintf(q.id, sizeof q.id, "%032d", 12);
	snprintf(q.unit_id, sizeof q.unit_id, "%s", fx->unit_family);
	snprintf(q.category, sizeof q.category, "children-and-families");
	snprintf(q.name, sizeof q.name, "Children and families");
	assert_int_equal(st->ops->queue->insert(st, &q), STORE_OK);
	add_worker(fx, "anna", fx->unit_adult, ROLE_WORKER);
	add_worker(fx, "ben", fx->unit_family, ROLE_WORKER);
	add_worker(fx, "sara", fx->unit_adult, ROLE_SUPERVISOR);
	add_worker(fx, "anton", fx->unit_adult, ROLE_WORKER);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
}

int corefix_setup(void **state)
{
	struct corefix *fx = calloc(1, sizeof *fx);
	char err[256];

	assert_non_null(fx);
	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(testutil_tmpdir(fx->dir, sizeof fx->dir), 0);
	snprintf(fx->db, sizeof fx->db, "%s/advice.db", fx->dir);
	fx->st = store_sqlite_open(fx->db, STORE_READWRITE);
	assert_non_null(fx->st);
	fx->schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	assert_non_null(fx->schema);
	make_idp(fx);
	fx->now = T0;
	fx->cc.token = &fx->tc;
	fx->cc.schema = fx->schema;
	randombytes_buf(fx->cc.pepper, sizeof fx->cc.pepper);
	fx->cc.citizen_idle_ms = 30 * 60000LL;
	fx->cc.citizen_abs_ms = 8 * 3600000LL;
	fx->cc.staff_idle_ms = 30 * 60000LL;
	fx->cc.staff_abs_ms = 12 * 3600000LL;
	fx->cc.backoff_after = 3;
	fx->cc.lock_after = 6;
	fx->cc.backoff_max_ms = 60000;
	fx->cc.test_mode = 1;
	fx->core = core_new(fx->st, &fx->cc);
	assert_non_null(fx->core);
	seed(fx);
	*state = fx;
	return 0;
}

int corefix_teardown(void **state)
{
	struct corefix *fx = *state;

	core_free(fx->core);
	fx->st->ops->close(fx->st);
	schema_free(fx->schema);
	token_keys_free(fx->tc.keys, fx->tc.nkeys);
	free(fx->idp_private_pem);
	testutil_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* The schema definition a reply must satisfy. */
static const char *reply_def(enum core_req_kind kind, const char *body, json_t *reply, char *buf, size_t len)
{
	static const char *const http_ok[] = {
		[CORE_REQ_LOGIN_CITIZEN] = "http.reply.login",
		[CORE_REQ_LOGIN_START] = "http.reply.login.start",
		[CORE_REQ_LOGIN_WORKER] = "http.reply.login",
		[CORE_REQ_LOGOUT] = "http.reply.logout",
		[CORE_REQ_LOGIN_BANK] = "http.reply.login", /* internal; the browser gets a 303 */
		[CORE_REQ_LOGIN_ENROL] = "http.reply.login.enrol",
		[CORE_REQ_SERVICE] = "http.reply.service",
		[CORE_REQ_LOGIN_CONNECTOR_START] = "http.reply.login.connector.start",
		[CORE_REQ_LOGIN_CONNECTOR] = "http.reply.login",
	};
	const char *type = json_string_value(json_object_get(reply, "type"));
	int ok = type != NULL && strcmp(type, "ok") == 0;
	json_t *req;

	if (kind == CORE_REQ_CONNECT)
		return ok || strcmp(type, "event") == 0 ? "event.welcome" : "error";
	if (kind != CORE_REQ_MESSAGE) {
		if (!ok)
			return "http.error";
		if ((size_t)kind >= sizeof http_ok / sizeof http_ok[0] || http_ok[kind] == NULL)
			fail_msg("no schema definition known for the reply of request kind %d", kind);
		return http_ok[kind];
	}
	if (!ok)
		return "error";
	req = json_loads(body, 0, NULL);
	snprintf(buf, len, "reply.%s", json_string_value(json_object_get(req, "type")));
	json_decref(req);
	return buf;
}

/* Every reply and event the core produces must satisfy the protocol schema. */
static void check_against_schema(struct corefix *fx, enum core_req_kind kind, const char *body,
				 const struct core_reply *rep)
{
	char def[96], why[256], field[256];
	json_t *j;

	if (rep->json == NULL)
		return;
	j = json_loads(rep->json, 0, NULL);
	assert_non_null(j);
	if (schema_check_def(fx->schema, reply_def(kind, body, j, def, sizeof def), j, why, sizeof why, field,
			     sizeof field) != ADVICE_OK)
		fail_msg("reply %s breaks the schema at %s: %s", rep->json, field, why);
	json_decref(j);
	for (size_t i = 0; i < rep->npush; i++) {
		j = json_loads(rep->pushes[i].json, 0, NULL);
		assert_non_null(j);
		snprintf(def, sizeof def, "event.%s", json_string_value(json_object_get(j, "event")));
		if (schema_check_def(fx->schema, def, j, why, sizeof why, field, sizeof field) != ADVICE_OK)
			fail_msg("event %s breaks the schema at %s: %s", rep->pushes[i].json, field, why);
		json_decref(j);
	}
}

static unsigned prepare_next; /* alternates prepared and unprepared requests */

struct core_reply *corefix_call(struct corefix *fx, enum core_req_kind kind, const struct who *w,
				const char *body, int *rc, json_t **parsed)
{
	struct core_request *req = core_request_new(kind, 1, body, strlen(body));
	struct core_reply *rep = calloc(1, sizeof *rep);
	struct store *st = fx->st;

	assert_non_null(req);
	assert_non_null(rep);
	req->now_ms = fx->now;
	snprintf(req->peer, sizeof req->peer, "192.0.2.1");
	if (w != NULL) {
		req->has_session = 1;
		memcpy(req->session_hash, w->hash, STORE_HASH_BYTES);
	}
	/* Every other request is parsed beforehand, as dispatch_submit does; the others are
	 * parsed by core_handle itself: both paths answer alike. */
	if (prepare_next++ % 2 == 0)
		assert_int_equal(core_request_prepare(fx->core, req), 0);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	*rc = core_handle(fx->core, req, rep);
	assert_int_equal(core_reply_render(rep), 0);
	if (*rc == 0)
		assert_int_equal(st->ops->tx->release(st), STORE_OK);
	else
		assert_int_equal(st->ops->tx->rollback_to(st), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	if (*rc == 0)
		check_against_schema(fx, kind, body, rep);
	if (parsed != NULL) {
		*parsed = rep->json ? json_loads(rep->json, 0, NULL) : NULL;
		if (*rc == 0)
			assert_non_null(*parsed);
	}
	core_request_free(req);
	return rep;
}

json_t *corefix_ws(struct corefix *fx, const struct who *w, const char *fmt, ...)
{
	char body[65536];
	struct core_reply *rep;
	json_t *j;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, w, body, &rc, &j);
	assert_int_equal(rc, 0);
	core_reply_free(rep);
	return j;
}

char *corefix_id_token(struct corefix *fx, const char *hetu, const char *acr, int64_t iat_s)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "iss", fx->tc.issuer, "aud",
			      fx->tc.audience, "sub", "subject-1", "iat", (json_int_t)iat_s, "exp",
			      (json_int_t)(iat_s + 600), "acr", acr, "hetu", hetu);
	char *claims = json_dumps(c, JSON_COMPACT);
	char *tok = token_sign(fx->idp_private_pem, strlen(fx->idp_private_pem), JWT_ALG_RS256, "k1", claims);

	free(claims);
	json_decref(c);
	assert_non_null(tok);
	return tok;
}

static void take_session(struct corefix *fx, struct core_reply *rep, json_t *j, struct who *out)
{
	assert_string_equal(json_string_value(json_object_get(j, "type")), "ok");
	assert_int_equal(rep->http_status, 200);
	assert_int_equal(strlen(rep->session_token), ADVICE_SESSION_TOKEN_LEN);
	snprintf(out->token, sizeof out->token, "%s", rep->session_token);
	core_session_hash(fx->cc.pepper, out->token, strlen(out->token), out->hash);
	snprintf(out->user_id, sizeof out->user_id, "%s", json_string_value(json_object_get(j, "user")));
}

void corefix_login_citizen(struct corefix *fx, const char *hetu, struct who *out)
{
	char *tok = corefix_id_token(fx, hetu, "http://ftn.ficora.fi/2017/loa2", fx->now / 1000);
	char body[20000];
	struct core_reply *rep;
	json_t *j;
	int rc;

	snprintf(body, sizeof body, "{\"id_token\":\"%s\"}", tok);
	rep = corefix_call(fx, CORE_REQ_LOGIN_CITIZEN, NULL, body, &rc, &j);
	assert_int_equal(rc, 0);
	take_session(fx, rep, j, out);
	json_decref(j);
	core_reply_free(rep);
	free(tok);
}

void corefix_login_worker(struct corefix *fx, const char *name, struct who *out)
{
	uint8_t key[ADVICE_AUTH_KEY_BYTES];
	char b64[64], body[256];
	struct core_reply *rep;
	json_t *j;
	int rc;

	corefix_worker_key(name, key);
	sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(body, sizeof body, "{\"username\":\"%s\",\"auth_key\":\"%s\"}", name, b64);
	rep = corefix_call(fx, CORE_REQ_LOGIN_WORKER, NULL, body, &rc, &j);
	assert_int_equal(rc, 0);
	take_session(fx, rep, j, out);
	json_decref(j);
	core_reply_free(rep);
}

static int count_row(void *arg, const struct store_audit *a)
{
	struct store_audit *last = arg;

	*last = *a;
	return 0;
}

int64_t corefix_audit_rows(struct corefix *fx, struct store_audit *last)
{
	struct store_audit tmp = { 0 };

	assert_int_equal(fx->st->ops->audit->scan(fx->st, 1, count_row, &tmp), STORE_OK);
	if (last != NULL)
		*last = tmp;
	return tmp.row;
}

char *corefix_body(size_t n, char c)
{
	uint8_t *raw = malloc(n);
	size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(len);

	memset(raw, c, n);
	sodium_bin2base64(out, len, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(raw);
	return out;
}

const char *corefix_code(json_t *reply)
{
	const char *type = json_string_value(json_object_get(reply, "type"));

	if (type != NULL && strcmp(type, "ok") == 0)
		return "ok";
	return json_string_value(json_object_get(reply, "code"));
}
