/*
 * core_login.c - logins over HTTP: a citizen with a bank-ID ID token, a social worker with
 * the authentication key the client derived from the password (CRYPTO.md), and logout.
 *
 * The server never sees a worker's password; it keeps a keyed hash of the derived key.
 * Repeated failures back off (doubling waits) and finally lock the account. Unknown names
 * get a salt derived from the name, so the first step does not tell who has an account.
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core_internal.h"
#include "hetu.h"
#include "log.h"
#include "token.h"

/* Parameters announced for unknown names: those advicectl gives new accounts. */
#define FAKE_OPSLIMIT_TEST 1ULL
#define FAKE_MEMLIMIT_TEST (8ULL << 20)

int core_login_citizen(struct ctx *x)
{
	const char *jwt = json_string_value(json_object_get(x->msg, "id_token"));
	struct token_identity ident;
	char new_id[STORE_ID_SIZE], user_id[STORE_ID_SIZE];
	uint8_t hetu_hash[STORE_HASH_BYTES];
	int rc;

	if (!x->c->cfg.test_mode) {
		log_notice("citizen login refused from %s: direct ID token outside test mode", x->req->peer);
		return core_fail(x, ADVICE_ERR_FORBIDDEN,
				 "direct ID-token login works only in test mode; log in with bank ID");
	}
	rc = token_verify(x->c->cfg.token, jwt, strlen(jwt), x->now / 1000, &ident);
	if (rc != TOKEN_OK) {
		log_notice("citizen login refused from %s: %s", x->req->peer, token_result_text(rc));
		return core_fail(x, ADVICE_ERR_BAD_TOKEN, "identity token refused: %s",
				 token_result_text(rc));
	}
	core_keyed_hash(x->c->cfg.pepper, "hetu", ident.hetu, strlen(ident.hetu), hetu_hash);
	sodium_memzero(&ident, sizeof ident);
	core_random_id(new_id);
	if (x->st->ops->citizen_get_or_create(x->st, hetu_hash, new_id, x->now, user_id) != STORE_OK ||
	    core_session_create(x, user_id, ROLE_CITIZEN) != 0)
		return -1;
	json_object_set_new(x->result, "user", json_string(user_id));
	json_object_set_new(x->result, "role", json_string("citizen"));
	json_object_set_new(x->result, "expires", json_integer(x->sess.expires));
	log_notice("citizen login of user %s from %s", user_id, x->req->peer);
	return 0;
}

/* The salt and cost parameters to announce for `username`. */
static int login_params(struct ctx *x, const char *username, uint8_t salt[ADVICE_SALT_BYTES], uint64_t *ops,
			uint64_t *mem)
{
	struct store_worker w;
	uint8_t h[STORE_HASH_BYTES];
	int rc = x->st->ops->worker_get(x->st, username, &w);

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK) {
		memcpy(salt, w.salt, ADVICE_SALT_BYTES);
		*ops = w.opslimit;
		*mem = w.memlimit;
		return 0;
	}
	core_keyed_hash(x->c->cfg.pepper, "fake salt", username, strlen(username), h);
	memcpy(salt, h, ADVICE_SALT_BYTES);
	*ops = x->c->cfg.test_mode ? FAKE_OPSLIMIT_TEST : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	*mem = x->c->cfg.test_mode ? FAKE_MEMLIMIT_TEST : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	return 0;
}

int core_login_start(struct ctx *x)
{
	const char *username = json_string_value(json_object_get(x->msg, "username"));
	uint8_t salt[ADVICE_SALT_BYTES];
	char b64[sodium_base64_ENCODED_LEN(ADVICE_SALT_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	uint64_t ops, mem;

	if (login_params(x, username, salt, &ops, &mem) != 0)
		return -1;
	sodium_bin2base64(b64, sizeof b64, salt, sizeof salt, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_set_new(x->result, "salt", json_string(b64));
	json_object_set_new(x->result, "opslimit", json_integer((json_int_t)ops));
	json_object_set_new(x->result, "memlimit", json_integer((json_int_t)mem));
	json_object_set_new(x->result, "alg", json_string("argon2id13"));
	return 0;
}

/* Records a failed attempt: backoff after cfg.backoff_after failures, lock at cfg.lock_after. */
static int login_failed(struct ctx *x, struct store_worker *w)
{
	const struct core_config *cfg = &x->c->cfg;
	int64_t wait = 0;

	w->failures++;
	if (w->failures >= cfg->lock_after) {
		w->disabled = 1;
		log_warn("account %s locked after %d failed logins", w->user_id, w->failures);
	} else if (w->failures >= cfg->backoff_after) {
		int steps = w->failures - cfg->backoff_after;

		wait = steps >= 20 ? cfg->backoff_max_ms : 1000LL << steps;
		if (wait > cfg->backoff_max_ms)
			wait = cfg->backoff_max_ms;
		w->locked_until = x->now + wait;
	}
	if (x->st->ops->worker_set_login_state(x->st, w->user_id, w->failures, w->locked_until,
					       w->disabled) != STORE_OK)
		return -1;
	log_notice("failed login for account %s from %s (%d in a row)", w->user_id, x->req->peer,
		   w->failures);
	return core_fail(x, ADVICE_ERR_BAD_CREDENTIALS, "wrong username or password");
}

static int refuse_locked(struct ctx *x, const struct store_worker *w)
{
	if (w->disabled) {
		log_notice("login to locked account %s from %s", w->user_id, x->req->peer);
		return core_fail(x, ADVICE_ERR_LOCKED, "account is locked; ask an administrator");
	}
	x->err_extra =
		json_pack("{s:I}", "retry_after", (json_int_t)((w->locked_until - x->now + 999) / 1000));
	return core_fail(x, ADVICE_ERR_LOCKED, "too many failed logins; try again later");
}

int core_login_worker(struct ctx *x)
{
	const char *username = json_string_value(json_object_get(x->msg, "username"));
	const char *key_b64 = json_string_value(json_object_get(x->msg, "auth_key"));
	uint8_t key[ADVICE_AUTH_KEY_BYTES], h[STORE_HASH_BYTES];
	struct store_worker w;
	size_t keylen = 0;
	int rc;

	if (sodium_base642bin(key, sizeof key, key_b64, strlen(key_b64), NULL, &keylen, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    keylen != sizeof key) {
		snprintf(x->err_field, sizeof x->err_field, "/auth_key");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "auth_key must be 32 bytes in base64url");
	}
	core_keyed_hash(x->c->cfg.pepper, "auth key", key, sizeof key,
			h); /* also for unknown names: same work */
	sodium_memzero(key, sizeof key);
	rc = x->st->ops->worker_get(x->st, username, &w);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND) {
		log_notice("failed login for an unknown name from %s", x->req->peer);
		return core_fail(x, ADVICE_ERR_BAD_CREDENTIALS, "wrong username or password");
	}
	if (w.disabled || w.locked_until > x->now)
		return refuse_locked(x, &w);
	if (sodium_memcmp(h, w.auth_hash, sizeof h) != 0)
		return login_failed(x, &w);
	if ((w.failures != 0 || w.locked_until != 0) &&
	    x->st->ops->worker_set_login_state(x->st, w.user_id, 0, 0, 0) != STORE_OK)
		return -1;
	if (core_session_create(x, w.user_id, ROLE_WORKER) != 0)
		return -1;
	json_object_set_new(x->result, "user", json_string(w.user_id));
	json_object_set_new(x->result, "role", json_string("worker"));
	json_object_set_new(x->result, "expires", json_integer(x->sess.expires));
	log_notice("worker login of account %s from %s", w.user_id, x->req->peer);
	return 0;
}

int core_logout(struct ctx *x)
{
	struct store_session s;
	int rc;

	if (!x->req->has_session)
		return 0; /* nothing to end: logging out twice is fine */
	rc = x->st->ops->session_get(x->st, x->req->session_hash, &s);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK && x->st->ops->session_revoke(x->st, s.hash) != STORE_OK)
		return -1;
	x->rep->end_session = 1;
	memcpy(x->rep->session_hash, x->req->session_hash, STORE_HASH_BYTES);
	if (rc == STORE_OK)
		log_notice("logout of user %s", s.user_id);
	return 0;
}
