/*
 * advice_http.c - libadvice's HTTP calls: a synchronous POST of a JSON body through the lws
 * client (Origin and session cookie as asked, Set-Cookie read back), and the login and
 * logout calls of the service built on it, with the worker's authentication key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_crypto.h"
#include "advice_int.h"

#define ADVICE_HTTP_MAX_BODY (1024 * 1024)

struct advice_http_op {
	enum advice_op_kind kind; /* ADVICE_OP_HTTP: first member */
	struct lws *wsi;
	const char *origin, *session;
	char *req; /* LWS_PRE headroom, then req_len bytes */
	size_t req_len;
	int status;
	char *resp;
	size_t resp_len;
	char *cookie; /* Set-Cookie session value */
	int done, failed;
};

/* Adds one header; 0 or 1 when it does not fit. */
static int advice__add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
			      unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
					   (int)strlen(value), p, end);
}

static int advice__http_headers(struct lws *wsi, struct advice_http_op *op, void *in, size_t len)
{
	unsigned char **p = in, *end = *p + len;
	char num[32], cookie[512];

	snprintf(num, sizeof(num), "%zu", op->req_len);
	if (advice__add_header(wsi, "content-type:", "application/json", p, end) ||
	    advice__add_header(wsi, "content-length:", num, p, end))
		return -1;
	if (op->origin != NULL && advice__add_header(wsi, "origin:", op->origin, p, end))
		return -1;
	if (op->session != NULL) {
		snprintf(cookie, sizeof(cookie), "%s=%s", ADVICE_SESSION_COOKIE, op->session);
		if (advice__add_header(wsi, "cookie:", cookie, p, end))
			return -1;
		sodium_memzero(cookie, sizeof(cookie));
	}
	lws_client_http_body_pending(wsi, 1);
	lws_callback_on_writable(wsi);
	return 0;
}

/* Keeps the value of "__Host-advice=<value>; ..." when the header sets our cookie. */
static void advice__http_take_cookie(struct lws *wsi, struct advice_http_op *op)
{
	char buf[1024];
	size_t nlen = strlen(ADVICE_SESSION_COOKIE);
	const char *v;
	size_t vlen;

	if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_SET_COOKIE) <= 0)
		return;
	if (strncmp(buf, ADVICE_SESSION_COOKIE, nlen) != 0 || buf[nlen] != '=')
		return;
	v = buf + nlen + 1;
	vlen = strcspn(v, ";");
	if (vlen > 0)
		op->cookie = strndup(v, vlen);
	sodium_memzero(buf, sizeof(buf));
}

static int advice__http_append(struct advice_http_op *op, const void *in, size_t len)
{
	char *n;

	if (op->resp_len + len > ADVICE_HTTP_MAX_BODY)
		return -1;
	n = realloc(op->resp, op->resp_len + len + 1);
	if (n == NULL)
		return -1;
	op->resp = n;
	memcpy(op->resp + op->resp_len, in, len);
	op->resp_len += len;
	op->resp[op->resp_len] = '\0';
	return 0;
}

/* Ends the op: detaches it from the wsi so later callbacks find nothing. */
static void advice__http_finish(struct lws *wsi, struct advice_http_op *op, int failed)
{
	if (failed && !op->done)
		op->failed = 1;
	op->done = 1;
	op->wsi = NULL;
	lws_set_opaque_user_data(wsi, NULL);
}

int advice__http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *in, size_t len)
{
	struct advice_http_op *op = lws_get_opaque_user_data(wsi);
	char buf[LWS_PRE + 4096], *px = buf + LWS_PRE;
	int lenx = (int)sizeof(buf) - LWS_PRE;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: return advice__http_headers(wsi, op, in, len);
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		lws_client_http_body_pending(wsi, 0);
		if (lws_write(wsi, (unsigned char *)op->req + LWS_PRE, op->req_len, LWS_WRITE_HTTP_FINAL) <
		    (int)op->req_len) {
			advice__http_finish(wsi, op, 1);
			return -1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		op->status = (int)lws_http_client_http_response(wsi);
		advice__http_take_cookie(wsi, op);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		if (lws_http_client_read(wsi, &px, &lenx) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (advice__http_append(op, in, len) != 0) {
			advice__http_finish(wsi, op, 1);
			return -1;
		}
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		advice__http_finish(wsi, op, 0);
		return -1; /* one request per connection */
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		/* A close after the status and a body counts as the end of the body. */
		advice__http_finish(wsi, op, op->status == 0);
		return 0;
	default: return 0;
	}
}

ADVICE_API int advice_http_post(struct advice_client *c, const char *base_url, const char *path,
				const char *origin, const char *session, const char *json_body,
				char **body_out, char **session_out, int timeout_ms)
{
	struct lws_client_connect_info i;
	struct advice_http_op op;
	struct advice_url u;
	char fullpath[ADVICE_PATH_MAX * 2];
	int64_t deadline = advice__now_ms() + timeout_ms;
	int rc;

	if (c == NULL || path == NULL || json_body == NULL || advice__url_parse(base_url, &u) != 0 ||
	    (u.tls && !c->tls))
		return -ADVICE_ERR_INVAL;
	c->error_message[0] = '\0'; /* a TLS refusal of this call's connection comes here */
	memset(&op, 0, sizeof(op));
	op.kind = ADVICE_OP_HTTP;
	op.origin = origin;
	op.session = session;
	op.req_len = strlen(json_body);
	op.req = malloc(LWS_PRE + op.req_len + 1);
	if (op.req == NULL)
		return -ADVICE_ERR_NOMEM;
	memcpy(op.req + LWS_PRE, json_body, op.req_len + 1);
	snprintf(fullpath, sizeof(fullpath), "%s%s", u.prefix, path);

	memset(&i, 0, sizeof(i));
	i.context = c->ctx;
	i.address = u.host;
	i.port = u.port;
	i.ssl_connection = u.tls ? LCCSCF_USE_SSL : 0;
	i.path = fullpath;
	i.host = u.hosthdr;
	i.method = "POST";
	i.local_protocol_name = "advice-http";
	i.opaque_user_data = &op;
	/* No i.pwsi: lws would keep a pointer to this stack frame. */
	op.wsi = lws_client_connect_via_info(&i);
	if (op.wsi == NULL && !op.done) {
		rc = -ADVICE_ERR_IO;
		goto out;
	}
	while (!op.done && advice__now_ms() < deadline)
		if (advice__pump(c, deadline) != 0)
			break;
	if (!op.done) {
		if (op.wsi != NULL) {
			lws_set_opaque_user_data(op.wsi, NULL);
			lws_set_timeout(op.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
		}
		rc = -ADVICE_ERR_TIMEOUT;
		goto out;
	}
	if (op.failed || op.status <= 0) {
		rc = -ADVICE_ERR_IO;
		goto out;
	}
	rc = op.status;
	if (body_out != NULL) {
		*body_out = op.resp != NULL ? op.resp : strdup("");
		op.resp = NULL;
		if (*body_out == NULL)
			rc = -ADVICE_ERR_NOMEM;
	}
	if (session_out != NULL) {
		*session_out = op.cookie;
		op.cookie = NULL;
	}
out:
	free(op.req);
	free(op.resp);
	if (op.cookie != NULL) {
		sodium_memzero(op.cookie, strlen(op.cookie));
		free(op.cookie);
	}
	return rc;
}

/* A new call: no reason from the server yet. */
static void advice__forget_error(struct advice_client *c)
{
	if (c != NULL) {
		c->error_message[0] = '\0';
		c->retry_after = 0;
	}
}

/* The code of an error answer (negative), its reason kept for advice_client_error_message. */
static int advice__refused(struct advice_client *c, const char *resp)
{
	advice__error_details(resp, c->error_message, sizeof(c->error_message), &c->retry_after);
	return advice__error_code(resp);
}

/* A login POST: 0 with *session_out, or a negative advice_err (the server's reason kept, see
 * advice_client_error_message). `reply_out` gets the body of a 200 answer when not NULL. */
static int advice__login_post(struct advice_client *c, const char *base_url, const char *path,
			      const char *origin, const char *body, char **session_out, char **reply_out,
			      int timeout_ms)
{
	char *resp = NULL, *cookie = NULL;
	int status;

	advice__forget_error(c);
	status = advice_http_post(c, base_url, path, origin, NULL, body, &resp, &cookie, timeout_ms);
	if (status < 0)
		return status;
	if (status != 200) {
		int rc = advice__refused(c, resp);

		free(resp);
		free(cookie);
		return rc;
	}
	if (session_out != NULL) {
		if (cookie == NULL) {
			free(resp);
			return -ADVICE_ERR_PROTOCOL;
		}
		*session_out = cookie;
		cookie = NULL;
	}
	free(cookie);
	if (reply_out != NULL)
		*reply_out = resp;
	else
		free(resp);
	return 0;
}

ADVICE_API int advice_login_citizen(struct advice_client *c, const char *base_url, const char *origin,
				    const char *id_token, char **session_out, int timeout_ms)
{
	json_t *o;
	char *body;
	int rc;

	if (id_token == NULL || session_out == NULL)
		return -ADVICE_ERR_INVAL;
	o = json_pack("{s:s}", "id_token", id_token);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return -ADVICE_ERR_NOMEM;
	rc = advice__login_post(c, base_url, "/api/v1/login/citizen", origin, body, session_out, NULL,
				timeout_ms);
	free(body);
	return rc;
}

/* The challenge of a /login/connector/start answer: 0 or -ADVICE_ERR_PROTOCOL. */
static int advice__parse_challenge(const char *reply, uint8_t challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES])
{
	json_t *root = json_loads(reply, 0, NULL);
	const char *s = json_string_value(json_object_get(root, "challenge"));
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int rc = -ADVICE_ERR_PROTOCOL;

	if (s != NULL && advice_b64url_decode(s, &raw, &rawlen) == 0 &&
	    rawlen == ADVICE_CONNECTOR_CHALLENGE_BYTES) {
		memcpy(challenge, raw, ADVICE_CONNECTOR_CHALLENGE_BYTES);
		rc = 0;
	}
	free(raw);
	json_decref(root);
	return rc;
}

ADVICE_API int advice_login_connector(struct advice_client *c, const char *base_url, const char *origin,
				      const struct advice_keys *keys, char **session_out, int timeout_ms)
{
	uint8_t kid[ADVICE_KID_BYTES], challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES], sig[ADVICE_SIG_BYTES];
	char kid_hex[2 * ADVICE_KID_BYTES + 1], *reply = NULL, *body = NULL, *chal64 = NULL, *sig64 = NULL;
	json_t *o;
	int rc;

	if (keys == NULL || session_out == NULL)
		return -ADVICE_ERR_INVAL;
	advice_kid(kid, keys->box_pk);
	advice_hex(kid_hex, kid, sizeof kid);
	o = json_pack("{s:s}", "connector", kid_hex);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return -ADVICE_ERR_NOMEM;
	rc = advice__login_post(c, base_url, "/api/v1/login/connector/start", origin, body, NULL, &reply,
				timeout_ms);
	free(body);
	body = NULL;
	if (rc == 0)
		rc = advice__parse_challenge(reply, challenge);
	free(reply);
	if (rc == 0)
		rc = advice_connector_login_sign(sig, challenge, kid, keys);
	if (rc == 0) {
		chal64 = advice_b64url_encode(challenge, sizeof challenge);
		sig64 = advice_b64url_encode(sig, sizeof sig);
		o = chal64 && sig64 ? json_pack("{s:s,s:s,s:s}", "connector", kid_hex, "challenge", chal64,
						"signature", sig64)
				    : NULL;
		body = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		rc = body != NULL ? advice__login_post(c, base_url, "/api/v1/login/connector", origin, body,
						       session_out, NULL, timeout_ms)
				  : -ADVICE_ERR_NOMEM;
	}
	free(body);
	free(chal64);
	free(sig64);
	return rc;
}

/* 1 when the Argon2id parameters are within the bounds pinned in this client
 * (ADVICE_PWHASH_*: a floor against a downgrade, a ceiling against a denial of service). */
static int advice__pwhash_params_ok(unsigned long long ops, size_t mem)
{
	return ops >= ADVICE_PWHASH_OPS_MIN && ops <= ADVICE_PWHASH_OPS_MAX && mem >= ADVICE_PWHASH_MEM_MIN &&
	       mem <= ADVICE_PWHASH_MEM_MAX;
}

/* Reads salt and KDF parameters from the /start answer. 0 or -ADVICE_ERR_PROTOCOL. */
static int advice__parse_start(const char *reply, uint8_t salt[ADVICE_SALT_BYTES], unsigned long long *ops,
			       size_t *mem)
{
	json_t *root = json_loads(reply, 0, NULL);
	const char *s;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	json_int_t o, m;
	int rc = -ADVICE_ERR_PROTOCOL;

	if (root == NULL)
		return rc;
	s = json_string_value(json_object_get(root, "salt"));
	o = json_integer_value(json_object_get(root, "opslimit"));
	m = json_integer_value(json_object_get(root, "memlimit"));
	if (s == NULL || o <= 0 || m <= 0 || advice_b64url_decode(s, &raw, &rawlen) != 0)
		goto out;
	if (rawlen != ADVICE_SALT_BYTES)
		goto out;
	memcpy(salt, raw, ADVICE_SALT_BYTES);
	*ops = (unsigned long long)o;
	*mem = (size_t)m;
	rc = 0;
out:
	free(raw);
	json_decref(root);
	return rc;
}

/* Frees a string that held a key, wiping it first. */
static void advice__free_secret(char *s)
{
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

ADVICE_API int advice_worker_auth_key(const char *password, const uint8_t salt[ADVICE_SALT_BYTES],
				      unsigned long long opslimit, size_t memlimit,
				      uint8_t out[ADVICE_AUTH_KEY_BYTES])
{
	uint8_t m[crypto_kdf_KEYBYTES];
	int rc;

	if (password == NULL || salt == NULL || out == NULL || !advice__pwhash_params_ok(opslimit, memlimit))
		return -ADVICE_ERR_INVAL;
	rc = advice_password_master(m, password, salt, (uint32_t)opslimit, (uint32_t)memlimit);
	if (rc == 0 && crypto_kdf_derive_from_key(out, ADVICE_AUTH_KEY_BYTES, 1, "advlogin", m) != 0)
		rc = -ADVICE_ERR_INVAL;
	sodium_memzero(m, sizeof(m));
	return rc;
}

/* POST /api/v1/login/worker/start, then the authentication keys of `password` and (when not
 * NULL) `new_password` in base64url: *key64 and *new64 (malloc'd). 0 or a negative code. */
static int advice__worker_keys(struct advice_client *c, const char *base_url, const char *origin,
			       const char *username, const char *password, const char *new_password,
			       char **key64, char **new64, int timeout_ms)
{
	uint8_t salt[ADVICE_SALT_BYTES], key[ADVICE_AUTH_KEY_BYTES];
	unsigned long long ops = 0;
	size_t mem = 0;
	char *reply = NULL, *body;
	json_t *o = json_pack("{s:s}", "username", username);
	int rc;

	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return -ADVICE_ERR_NOMEM;
	rc = advice__login_post(c, base_url, "/api/v1/login/worker/start", origin, body, NULL, &reply,
				timeout_ms);
	free(body);
	if (rc == 0)
		rc = advice__parse_start(reply, salt, &ops, &mem);
	free(reply);
	if (rc == 0 && !advice__pwhash_params_ok(ops, mem)) {
		/* A server that names cheap parameters wants a login key it can guess the password
		 * from: nothing is derived and nothing more is sent. */
		snprintf(c->error_message, sizeof(c->error_message),
			 "login/worker/start named Argon2id parameters outside this client's bounds "
			 "(%llu passes, %zu bytes; allowed %u..%u passes, %u..%u bytes): refused, nothing "
			 "sent",
			 ops, mem, (unsigned)ADVICE_PWHASH_OPS_MIN, (unsigned)ADVICE_PWHASH_OPS_MAX,
			 (unsigned)ADVICE_PWHASH_MEM_MIN, (unsigned)ADVICE_PWHASH_MEM_MAX);
		return -ADVICE_ERR_PROTOCOL;
	}
	if (rc == 0 && (rc = advice_worker_auth_key(password, salt, ops, mem, key)) == 0 &&
	    (*key64 = advice_b64url_encode(key, sizeof(key))) == NULL)
		rc = -ADVICE_ERR_NOMEM;
	if (rc == 0 && new_password != NULL &&
	    (rc = advice_worker_auth_key(new_password, salt, ops, mem, key)) == 0 &&
	    (*new64 = advice_b64url_encode(key, sizeof(key))) == NULL)
		rc = -ADVICE_ERR_NOMEM;
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* Sets `name` in `o` when `value` is not NULL. 0 or -1. */
static int advice__set_opt(json_t *o, const char *name, const char *value)
{
	return value == NULL ? 0 : json_object_set_new(o, name, json_string(value));
}

ADVICE_API int advice_login_worker_with(struct advice_client *c, const char *base_url, const char *origin,
					const char *username, const char *password, const char *totp,
					const char *setup_code, const char *new_password, char **session_out,
					int timeout_ms)
{
	char *key64 = NULL, *new64 = NULL, *body = NULL;
	json_t *o;
	int rc;

	if (username == NULL || password == NULL || session_out == NULL ||
	    (setup_code != NULL && new_password != NULL))
		return -ADVICE_ERR_INVAL;
	rc = advice__worker_keys(c, base_url, origin, username, password, new_password, &key64, &new64,
				 timeout_ms);
	if (rc != 0)
		goto out;
	o = json_pack("{s:s,s:s}", "username", username, "auth_key", key64);
	if (o == NULL || advice__set_opt(o, "totp", totp) || advice__set_opt(o, "setup_code", setup_code) ||
	    advice__set_opt(o, "new_auth_key", new64) || (body = json_dumps(o, JSON_COMPACT)) == NULL)
		rc = -ADVICE_ERR_NOMEM;
	json_decref(o);
	if (rc == 0)
		rc = advice__login_post(c, base_url, "/api/v1/login/worker", origin, body, session_out, NULL,
					timeout_ms);
out:
	advice__free_secret(key64);
	advice__free_secret(new64);
	advice__free_secret(body);
	return rc;
}

ADVICE_API int advice_login_worker(struct advice_client *c, const char *base_url, const char *origin,
				   const char *username, const char *password, char **session_out,
				   int timeout_ms)
{
	return advice_login_worker_with(c, base_url, origin, username, password, NULL, NULL, NULL,
					session_out, timeout_ms);
}

ADVICE_API int advice_login_worker_totp(struct advice_client *c, const char *base_url, const char *origin,
					const char *username, const char *password, const char *totp,
					char **session_out, int timeout_ms)
{
	if (totp == NULL)
		return -ADVICE_ERR_INVAL;
	return advice_login_worker_with(c, base_url, origin, username, password, totp, NULL, NULL,
					session_out, timeout_ms);
}

/* The secret and (uri_out not NULL) the URI of an enrolment answer. 0, -ADVICE_ERR_PROTOCOL
 * (missing) or -ADVICE_ERR_NOMEM; nothing set on failure. */
static int advice__enrol_reply(const char *reply, char **secret_out, char **uri_out)
{
	json_t *r = json_loads(reply, 0, NULL);
	const char *secret = json_string_value(json_object_get(r, "totp_secret"));
	const char *uri = json_string_value(json_object_get(r, "totp_uri"));
	char *s = NULL, *u = NULL;
	int rc = 0;

	if (secret == NULL || (uri_out != NULL && uri == NULL))
		rc = -ADVICE_ERR_PROTOCOL;
	else if ((s = strdup(secret)) == NULL || (uri_out != NULL && (u = strdup(uri)) == NULL))
		rc = -ADVICE_ERR_NOMEM;
	json_decref(r);
	if (rc != 0) {
		advice__free_secret(s);
		return rc;
	}
	*secret_out = s;
	if (uri_out != NULL)
		*uri_out = u;
	return 0;
}

ADVICE_API int advice_worker_enrol(struct advice_client *c, const char *base_url, const char *origin,
				   const char *username, const char *password, const char *setup_code,
				   char **secret_out, int timeout_ms)
{
	return advice_worker_enrol_uri(c, base_url, origin, username, password, setup_code, secret_out, NULL,
				       timeout_ms);
}

ADVICE_API int advice_worker_enrol_uri(struct advice_client *c, const char *base_url, const char *origin,
				       const char *username, const char *password, const char *setup_code,
				       char **secret_out, char **uri_out, int timeout_ms)
{
	char *key64 = NULL, *body = NULL, *reply = NULL;
	json_t *o;
	int rc = 0;

	if (username == NULL || secret_out == NULL || (password == NULL) == (setup_code == NULL))
		return -ADVICE_ERR_INVAL;
	if (password != NULL)
		rc = advice__worker_keys(c, base_url, origin, username, password, NULL, &key64, NULL,
					 timeout_ms);
	if (rc != 0)
		goto out;
	o = json_pack("{s:s}", "username", username);
	if (o == NULL || advice__set_opt(o, "auth_key", key64) ||
	    advice__set_opt(o, "setup_code", setup_code) || (body = json_dumps(o, JSON_COMPACT)) == NULL)
		rc = -ADVICE_ERR_NOMEM;
	json_decref(o);
	if (rc == 0)
		rc = advice__login_post(c, base_url, "/api/v1/login/worker/enrol", origin, body, NULL, &reply,
					timeout_ms);
	if (rc != 0)
		goto out;
	rc = advice__enrol_reply(reply, secret_out, uri_out);
out:
	advice__free_secret(key64);
	advice__free_secret(body);
	advice__free_secret(reply);
	return rc;
}

ADVICE_API int advice_logout(struct advice_client *c, const char *base_url, const char *origin,
			     const char *session, int timeout_ms)
{
	char *resp = NULL;
	int status, rc;

	advice__forget_error(c);
	status = advice_http_post(c, base_url, "/api/v1/logout", origin, session, "{}", &resp, NULL,
				  timeout_ms);
	if (status < 0)
		return status;
	rc = status == 200 ? 0 : advice__refused(c, resp);
	free(resp);
	return rc;
}
