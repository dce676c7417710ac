/*
 * core_login.c - logins over HTTP: a citizen with a bank-ID ID token, a social worker with
 * the authentication key the client derived from the password (PROTOCOL.md §4.4), and logout.
 *
 * The server never sees a worker's password; it keeps a keyed hash of the derived key.
 * Repeated failures back off (doubling waits) and finally lock the account, for lock_s or
 * until an administrator unlocks it (lockout.h). Unknown names
 * get a salt derived from the name, and their failures are counted and answered like an
 * account's, so no step tells who has an account. Workers confirm a TOTP second factor
 * (staff.h) after the key; a new account's first login sets the key with a one-time setup
 * code and enrols the second factor. Ended accounts and accounts whose roles all ended are
 * refused; a password older than the configured maximum must be changed (new_auth_key).
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_internal.h"
#include "hetu.h"
#include "lockout.h"
#include "log.h"
#include "staff.h"
#include "token.h"
#include "totp.h"

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
	core_random_id(new_id);
	rc = x->st->ops->identity->citizen_get_or_create(x->st, hetu_hash, new_id, x->now, user_id) !=
				     STORE_OK ||
			     core_session_create(x, user_id, ROLE_CITIZEN) != 0 ||
			     core_identity_keep(x, ident.name, ident.hetu) != 0
		     ? -1
		     : 0;
	sodium_memzero(&ident, sizeof ident);
	if (rc != 0)
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
	int rc = x->st->ops->staff->worker_get(x->st, username, &w);

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
	*ops = ADVICE_PWHASH_OPS_MIN; /* what advicectl gives new accounts (admin_auth_params) */
	*mem = ADVICE_PWHASH_MEM_MIN;
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

/* What a worker login or enrolment knows of the name it was given. */
struct worker_auth {
	int known;			     /* the name has an account */
	struct store_worker w;		     /* the account; for unknown names only the failure state */
	struct store_staff s;		     /* its second factor, setup code and dates */
	uint8_t name_hash[STORE_HASH_BYTES]; /* unknown names: where their failures are counted */
};

/* Loads the account of `username`, or the failure state of a name without one. 0 or -1. */
static int auth_load(struct ctx *x, const char *username, struct worker_auth *a)
{
	int rc;

	memset(a, 0, sizeof *a);
	rc = x->st->ops->staff->worker_get(x->st, username, &a->w);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK) {
		a->known = 1;
		return x->st->ops->staff->get(x->st, a->w.user_id, &a->s) == STORE_OK ? 0 : -1;
	}
	memset(&a->w, 0, sizeof a->w);
	core_keyed_hash(x->c->cfg.pepper, "login name", username, strlen(username), a->name_hash);
	rc = x->st->ops->staff->ghost_get(x->st, a->name_hash, &a->w.failures, &a->w.locked_until,
					  &a->w.locked_at);
	return rc == STORE_ERROR ? -1 : 0;
}

/* The configured rules of failed logins. */
static struct lockout_policy login_policy(const struct ctx *x)
{
	const struct core_config *cfg = &x->c->cfg;

	return (struct lockout_policy){ .backoff_after = cfg->backoff_after,
					.lock_after = cfg->lock_after,
					.backoff_max_ms = cfg->backoff_max_ms,
					.lock_ms = cfg->lock_ms };
}

/* Records a failed attempt, for an account or an unknown name alike: backoff after
 * cfg.backoff_after failures, lock at cfg.lock_after. Returns 0 (error set) or -1. */
static int login_failed(struct ctx *x, struct worker_auth *a, const char *message)
{
	struct lockout_policy p = login_policy(x);
	struct store_worker *w = &a->w;
	struct lockout_state s = { w->failures, w->locked_until, w->locked_at };
	int rc;

	if (lockout_fail(&p, &s, x->now)) {
		if (a->known)
			log_warn("account %s locked after %d failed logins", w->user_id, s.failures);
		else
			log_warn("an unknown name locked after %d failed logins", s.failures);
	}
	w->failures = s.failures;
	w->locked_until = s.locked_until;
	w->locked_at = s.locked_at;
	if (a->known)
		rc = x->st->ops->staff->worker_set_login_state(x->st, w->user_id, w->failures,
							       w->locked_until, w->locked_at);
	else
		rc = x->st->ops->staff->ghost_put(x->st, a->name_hash, w->failures, w->locked_until,
						  w->locked_at, x->now);
	if (rc != STORE_OK)
		return -1;
	x->rep->login_failed = 1;
	if (a->known)
		log_notice("failed login for account %s from %s (%d in a row)", w->user_id, x->req->peer,
			   w->failures);
	else
		log_notice("failed login for an unknown name from %s (%d in a row)", x->req->peer,
			   w->failures);
	return core_fail(x, ADVICE_ERR_BAD_CREDENTIALS, "%s", message);
}

/* `ms` since the epoch as "YYYY-MM-DD hh:mm:ss UTC" in `buf`; returns buf. */
static const char *utc_text(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "later");
	return buf;
}

/*
 * Whether an attempt at the account (or unknown name) is refused now, backing off or locked:
 * 1 with the answer set (the same for accounts and unknown names: locked with retry_after,
 * without it for a lock only an administrator lifts), 0 when the attempt is checked.
 */
static int refuse_locked(struct ctx *x, const struct worker_auth *a)
{
	const struct store_worker *w = &a->w;
	struct lockout_policy p = login_policy(x);
	struct lockout_state s = { w->failures, w->locked_until, w->locked_at };
	int64_t retry_ms = 0;
	enum lockout_verdict v = lockout_check(&p, &s, x->now, &retry_ms);
	int64_t retry_s = lockout_retry_s(retry_ms);
	char until[32];

	if (v == LOCKOUT_OPEN)
		return 0;
	if (v == LOCKOUT_BACKING_OFF) {
		x->err_extra = json_pack("{s:I}", "retry_after", (json_int_t)retry_s);
		core_fail(x, ADVICE_ERR_LOCKED, "too many failed logins; try again later");
		return 1;
	}
	if (a->known)
		log_notice("login to locked account %s from %s", w->user_id, x->req->peer);
	else
		log_notice("login to a locked unknown name from %s", x->req->peer);
	if (v == LOCKOUT_LOCKED_FOR_GOOD) {
		core_fail(x, ADVICE_ERR_LOCKED,
			  "account is locked after too many failed logins; ask an administrator");
		return 1;
	}
	x->err_extra = json_pack("{s:I}", "retry_after", (json_int_t)retry_s);
	core_fail(x, ADVICE_ERR_LOCKED,
		  "account is locked after too many failed logins until %s; an administrator can "
		  "unlock it sooner",
		  utc_text(x->now + retry_s * 1000, until, sizeof until));
	return 1;
}

/* Decodes an optional base64url key field into `key`. 1 when present, 0 when absent, -1 when
 * malformed (error set). */
static int take_key(struct ctx *x, const char *field, uint8_t key[ADVICE_AUTH_KEY_BYTES])
{
	const char *b64 = json_string_value(json_object_get(x->msg, field));
	size_t len = 0;

	if (b64 == NULL)
		return 0;
	if (sodium_base642bin(key, ADVICE_AUTH_KEY_BYTES, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != ADVICE_AUTH_KEY_BYTES) {
		snprintf(x->err_field, sizeof x->err_field, "/%s", field);
		core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s must be 32 bytes in base64url", field);
		return -1;
	}
	return 1;
}

/* Whether the credentials are right: the pending setup code of a new account (when
 * `setup_code` is given), or the account's key. Unknown names do the same work. */
static int credentials_ok(struct ctx *x, const struct worker_auth *a,
			  const uint8_t key_hash[STORE_HASH_BYTES], const char *setup_code)
{
	uint8_t h[STORE_HASH_BYTES];

	if (setup_code != NULL) {
		staff_setup_code_hash(x->c->cfg.pepper, setup_code, h);
		if (!a->known || !a->s.has_setup || sodium_memcmp(h, a->s.setup_hash, sizeof h) != 0)
			return 0;
		if (a->s.setup_expires <= x->now) {
			log_notice("expired setup code for account %s from %s", a->w.user_id, x->req->peer);
			return 0;
		}
		return 1;
	}
	return key_hash != NULL && a->known && !a->s.has_setup &&
	       sodium_memcmp(key_hash, a->w.auth_hash, STORE_HASH_BYTES) == 0;
}

static int note_session_ended(void *arg, const uint8_t hash[STORE_HASH_BYTES], const char *user_id)
{
	struct ctx *x = arg;
	uint8_t(*e)[STORE_HASH_BYTES] = realloc(x->rep->ended, (x->rep->nended + 1) * sizeof *e);

	if (e == NULL)
		return -1;
	x->rep->ended = e;
	memcpy(e[x->rep->nended++], hash, STORE_HASH_BYTES);
	log_info("session of user %s ended", user_id);
	return 0;
}

int core_end_user_sessions(struct ctx *x, const char *user_id)
{
	return x->st->ops->session->revoke_user(x->st, user_id, note_session_ended, x) == STORE_OK ? 0 : -1;
}

int core_end_due_sessions(struct ctx *x, int limit)
{
	return x->st->ops->session->end_due(x->st, x->now, limit, note_session_ended, x) == STORE_OK ? 0 : -1;
}

static int note_role_ended(void *arg, const char *user_id, const char *unit_id)
{
	struct ctx *x = arg;

	log_notice("role of account %s in unit %s ended", user_id, unit_id);
	return core_end_user_sessions(x, user_id) == 0 ? 0 : -1;
}

int core_roles_expire(struct ctx *x, const char *user_id)
{
	return x->st->ops->staff->role_expire(x->st, user_id, x->now, note_role_ended, x) == STORE_OK ? 0
												      : -1;
}

/* After the right credentials: refuses an account that has ended or whose every role has
 * ended. 0 (error set when refused) or -1. */
static int account_open(struct ctx *x, const struct worker_auth *a)
{
	size_t n = 0;
	int rc;

	if (a->s.ends > 0 && a->s.ends <= x->now) {
		log_notice("login to ended account %s from %s", a->w.user_id, x->req->peer);
		return core_fail(x, ADVICE_ERR_FORBIDDEN, "this account has ended");
	}
	if (core_roles_expire(x, a->w.user_id) != 0 ||
	    x->st->ops->staff->membership_list(x->st, a->w.user_id, x->units, CORE_MAX_UNITS, &n) != STORE_OK)
		return -1;
	if (n > 0)
		return 0;
	rc = x->st->ops->staff->role_ended_any(x->st, a->w.user_id);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK) {
		log_notice("login to account %s whose roles have ended, from %s", a->w.user_id, x->req->peer);
		return core_fail(x, ADVICE_ERR_FORBIDDEN, "every role of this account has ended");
	}
	return 0;
}

/* Whether the password is older than the configured maximum age. */
static int password_expired(const struct ctx *x, const struct worker_auth *a)
{
	int64_t max = x->c->cfg.password_max_age_ms;

	return max > 0 && (a->s.password_set <= 0 || x->now - a->s.password_set >= max);
}

/*
 * The second factor: the enrolled secret's code, or the code of a pending enrolment, which it
 * confirms. Without either, an account may log in only when second factors are optional.
 * No code where one is expected: totp_required.
 * Returns 0 (error set when refused; a wrong code counts as a failure) or -1.
 */
static int second_factor(struct ctx *x, struct worker_auth *a, const char *code)
{
	uint8_t secret[TOTP_SECRET_MAX];
	size_t len = 0;
	int enrolling = a->s.totp_len == 0 && a->s.totp_pending_len > 0;
	int rc;

	if (a->s.totp_len == 0 && !enrolling) {
		if (!x->c->cfg.staff_totp_required)
			return 0;
		log_notice("login of account %s needs an enrolled second factor", a->w.user_id);
		return core_fail(x, ADVICE_ERR_ENROL_REQUIRED, "enrol a second factor first");
	}
	if (code == NULL) {
		log_notice("login of account %s from %s: the second factor's code is missing", a->w.user_id,
			   x->req->peer);
		return core_fail(x, ADVICE_ERR_TOTP_REQUIRED, "send the code of your authenticator app");
	}
	if (staff_totp_open(x->c->cfg.pepper, a->w.user_id, enrolling ? a->s.totp_pending : a->s.totp,
			    enrolling ? a->s.totp_pending_len : a->s.totp_len, secret, &len) != 0) {
		log_err("the second-factor secret of account %s does not open (another pepper?)",
			a->w.user_id);
		return core_fail(x, ADVICE_ERR_INTERNAL, "the second factor cannot be checked");
	}
	rc = totp_check(secret, len, code, x->now / 1000, &a->s.totp_last_step);
	sodium_memzero(secret, sizeof secret);
	if (rc != 0)
		return login_failed(x, a, "wrong or already used code: wait for the next one");
	if (enrolling) {
		memcpy(a->s.totp, a->s.totp_pending, a->s.totp_pending_len);
		a->s.totp_len = a->s.totp_pending_len;
		a->s.totp_pending_len = 0;
		log_notice("second factor enrolled for account %s", a->w.user_id);
	}
	return 0;
}

/* A successful check: failures reset, a new key (setup or change) and the staff record
 * written. 0 or -1. */
static int login_succeeded(struct ctx *x, struct worker_auth *a, const uint8_t *new_hash)
{
	struct store *st = x->st;

	if ((a->w.failures != 0 || a->w.locked_until != 0 || a->w.locked_at != 0) &&
	    st->ops->staff->worker_set_login_state(st, a->w.user_id, 0, 0, 0) != STORE_OK)
		return -1;
	if (new_hash != NULL) {
		if (st->ops->staff->worker_set_auth(st, a->w.user_id, new_hash) != STORE_OK)
			return -1;
		a->s.has_setup = 0;
		a->s.setup_expires = 0;
		a->s.password_set = x->now;
		log_notice("password of account %s set", a->w.user_id);
	}
	return st->ops->staff->put(st, &a->s) == STORE_OK ? 0 : -1;
}

int core_login_worker(struct ctx *x)
{
	const char *username = json_string_value(json_object_get(x->msg, "username"));
	const char *code = json_string_value(json_object_get(x->msg, "totp"));
	const char *setup = json_string_value(json_object_get(x->msg, "setup_code"));
	uint8_t key[ADVICE_AUTH_KEY_BYTES], newkey[ADVICE_AUTH_KEY_BYTES];
	uint8_t h[STORE_HASH_BYTES], newh[STORE_HASH_BYTES];
	struct worker_auth a;
	int has_new = 0, rc;

	if (take_key(x, "auth_key", key) < 0 || (has_new = take_key(x, "new_auth_key", newkey)) < 0)
		return 0;
	if (has_new) {
		core_keyed_hash(x->c->cfg.pepper, "auth key", newkey, sizeof newkey, newh);
		sodium_memzero(newkey, sizeof newkey);
	}
	if (has_new && setup != NULL) {
		snprintf(x->err_field, sizeof x->err_field, "/new_auth_key");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "with setup_code, auth_key is the new key");
	}
	core_keyed_hash(x->c->cfg.pepper, "auth key", key, sizeof key, h); /* also for unknown names */
	sodium_memzero(key, sizeof key);
	if (has_new && sodium_memcmp(h, newh, sizeof h) == 0) {
		snprintf(x->err_field, sizeof x->err_field, "/new_auth_key");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the new password must differ from the old one");
	}
	if (auth_load(x, username, &a) != 0)
		return -1;
	if (refuse_locked(x, &a))
		return 0;
	if (!credentials_ok(x, &a, h, setup))
		return login_failed(x, &a,
				    setup ? "wrong username or setup code" : "wrong username or password");
	if ((rc = account_open(x, &a)) != 0 || x->err)
		return rc;
	if (setup == NULL && !has_new && password_expired(x, &a)) {
		log_notice("login of account %s refused: the password has expired", a.w.user_id);
		return core_fail(x, ADVICE_ERR_PASSWORD_AGE, "the password has expired; choose a new one");
	}
	if ((rc = second_factor(x, &a, code)) != 0 || x->err)
		return rc;
	if (login_succeeded(x, &a,
			    setup     ? h
			    : has_new ? newh
				      : NULL) != 0 ||
	    core_session_create(x, a.w.user_id, ROLE_WORKER) != 0)
		return -1;
	json_object_set_new(x->result, "user", json_string(a.w.user_id));
	json_object_set_new(x->result, "role", json_string("worker"));
	json_object_set_new(x->result, "expires", json_integer(x->sess.expires));
	log_notice("worker login of account %s from %s%s", a.w.user_id, x->req->peer,
		   a.s.totp_len > 0 ? " with a second factor" : "");
	return 0;
}

int core_login_enrol(struct ctx *x)
{
	const char *username = json_string_value(json_object_get(x->msg, "username"));
	const char *setup = json_string_value(json_object_get(x->msg, "setup_code"));
	uint8_t key[ADVICE_AUTH_KEY_BYTES], h[STORE_HASH_BYTES], secret[TOTP_SECRET_BYTES];
	char b32[STAFF_TOTP_B32_SIZE], uri[STAFF_URI_SIZE];
	struct worker_auth a;
	int has_key, rc;

	if ((has_key = take_key(x, "auth_key", key)) < 0)
		return 0;
	if (!has_key && setup == NULL) {
		snprintf(x->err_field, sizeof x->err_field, "/auth_key");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "send auth_key or setup_code");
	}
	if (has_key)
		core_keyed_hash(x->c->cfg.pepper, "auth key", key, sizeof key, h);
	sodium_memzero(key, sizeof key);
	if (auth_load(x, username, &a) != 0)
		return -1;
	if (refuse_locked(x, &a))
		return 0;
	if (!credentials_ok(x, &a, has_key ? h : NULL, setup))
		return login_failed(x, &a,
				    setup ? "wrong username or setup code" : "wrong username or password");
	if ((rc = account_open(x, &a)) != 0 || x->err)
		return rc;
	if (a.s.totp_len > 0) {
		log_notice("enrolment refused for account %s: a second factor is enrolled", a.w.user_id);
		return core_fail(x, ADVICE_ERR_CONFLICT,
				 "a second factor is enrolled already; an administrator can reset it");
	}
	randombytes_buf(secret, sizeof secret);
	rc = staff_totp_seal(x->c->cfg.pepper, a.w.user_id, secret, sizeof secret, a.s.totp_pending,
			     sizeof a.s.totp_pending, &a.s.totp_pending_len);
	if (rc == 0)
		rc = totp_base32(secret, sizeof secret, b32, sizeof b32);
	sodium_memzero(secret, sizeof secret);
	if (rc != 0 || staff_otpauth_uri(username, b32, uri, sizeof uri) != 0)
		return core_fail(x, ADVICE_ERR_INTERNAL, "cannot make a secret");
	a.s.totp_last_step = -1;
	if (login_succeeded(x, &a, NULL) != 0)
		return -1;
	json_object_set_new(x->result, "totp_secret", json_string(b32));
	json_object_set_new(x->result, "totp_uri", json_string(uri));
	sodium_memzero(b32, sizeof b32);
	sodium_memzero(uri, sizeof uri);
	log_notice("second-factor enrolment started for account %s from %s", a.w.user_id, x->req->peer);
	return 0;
}

int core_logout(struct ctx *x)
{
	struct store_session s;
	int rc;

	if (!x->req->has_session)
		return 0; /* nothing to end: logging out twice is fine */
	rc = x->st->ops->session->get(x->st, x->req->session_hash, &s);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK && x->st->ops->session->revoke(x->st, s.hash) != STORE_OK)
		return -1;
	x->rep->end_session = 1;
	memcpy(x->rep->session_hash, x->req->session_hash, STORE_HASH_BYTES);
	if (rc == STORE_OK)
		log_notice("logout of user %s", s.user_id);
	return 0;
}
