/*
 * advice.h - libadvice, the C client library of the online advice service.
 *
 * Used by advicectl, the records connector, the tests and the load generator. One
 * `struct advice_client` holds one libwebsockets client context and may carry many
 * connections; it is not thread-safe: use each client (and its connections) from one
 * thread. The calls are synchronous: they pump the client's event loop until their answer
 * arrives or `timeout_ms` passes. Errors are negative `enum advice_err` values
 * (advice_proto.h); advice_err_name() gives their wire names.
 *
 * URLs: base_url is "http://host[:port]" (also "ws://"). "https://" and "wss://" select
 * TLS (1.2 or later): the server's certificate must chain to a trusted CA (the system's, or
 * those of advice_client_set_ca_file) and name the URL's host (a DNS name: connect by name,
 * not by IP address), or the call fails with -ADVICE_ERR_IO and
 * advice_client_error_message() says why ("TLS: the server's certificate is not accepted:
 * certificate has expired").
 */
#ifndef ADVICE_H
#define ADVICE_H

#include <stddef.h>
#include <stdint.h>

#include "advice_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct advice_client;
struct advice_conn;

/* The shortest password a client lets a worker choose (characters). */
#define ADVICE_PASSWORD_MIN 8

/* Flags of advice_send_raw(). */
#define ADVICE_FRAME_TEXT	  0
#define ADVICE_FRAME_BINARY	  1 /* a binary frame: an attachment chunk (PROTOCOL.md §12.4) */
#define ADVICE_FRAME_NO_FIN	  2 /* more fragments of this message follow */
#define ADVICE_FRAME_CONTINUATION 4 /* this frame continues the previous fragment */

/* A client context for many connections. NULL when out of memory or lws fails. */
struct advice_client *advice_client_new(void);
/* Closes every connection still open and frees the client (connections must not be used
 * afterwards, but must still be freed with advice_conn_free). NULL is ignored. */
void advice_client_free(struct advice_client *c);

/*
 * Binds the local end of WebSockets opened afterwards to `address`, a numeric IP address of
 * this machine (e.g. "127.0.0.2": a load generator spreads many connections over several
 * source addresses, each with its own ephemeral ports); NULL or "" restores the default (any).
 * Returns 0, or -ADVICE_ERR_INVAL (no client, or longer than 63 characters).
 */
int advice_client_set_source(struct advice_client *c, const char *address);

/*
 * Makes TLS connections opened afterwards trust only the CA certificates in the PEM file
 * `ca_file` (e.g. a municipality's own CA); NULL: the system's CA store again (the default).
 * Only while the client has no connection open. Returns 0; -ADVICE_ERR_INVAL (no client, a
 * connection open, the file unreadable or without a certificate, the reason in
 * advice_client_error_message()); or -ADVICE_ERR_NOMEM. On failure the trust is unchanged.
 */
int advice_client_set_ca_file(struct advice_client *c, const char *ca_file);

/*
 * Pumps every connection of the client once, waiting at most timeout_ms for activity.
 * Returns 0, or -ADVICE_ERR_IO when the event loop failed.
 */
int advice_client_service(struct advice_client *c, int timeout_ms);

/*
 * The server's reason for refusing the client's last login, enrolment or logout call: the
 * "message" of its error answer (PROTOCOL.md §2.2; for example "wrong username or setup
 * code"), for people to read beside the error code. After a call that failed with
 * -ADVICE_ERR_IO because the server's TLS certificate was refused, the reason ("TLS: the
 * server's certificate is not accepted: hostname mismatch"). "" when that call got no error answer
 * (it succeeded, or failed before the server answered). Owned by the client, valid until its
 * next call. *retry_after (may be NULL) gets the seconds to wait of a `locked` answer that
 * gave them, else 0. NULL client: "".
 */
const char *advice_client_error_message(struct advice_client *c, int *retry_after);

/*
 * HTTP POST of the JSON `json_body` to base_url + path, with Origin `origin` (NULL: none)
 * and the session cookie `session` (NULL: none). Returns the HTTP status (> 0) with the
 * response body in *body_out (malloc'd, NUL-terminated; "" when empty) and the session
 * cookie value of a Set-Cookie header in *session_out (malloc'd; NULL when none or when the
 * cookie clears the session). body_out and session_out may be NULL. On failure returns
 * -ADVICE_ERR_INVAL (bad URL or argument), -ADVICE_ERR_NOMEM, -ADVICE_ERR_IO (connection
 * failed or closed early) or -ADVICE_ERR_TIMEOUT, and sets nothing.
 */
int advice_http_post(struct advice_client *c, const char *base_url, const char *path, const char *origin,
		     const char *session, const char *json_body, char **body_out, char **session_out,
		     int timeout_ms);

/*
 * Logs a citizen in with an identity token (POST /api/v1/login/citizen). Returns 0 with the
 * session cookie value in *session_out (malloc'd); the negative code of the server's error
 * (for example -ADVICE_ERR_BAD_TOKEN, -ADVICE_ERR_RATE_LIMITED); -ADVICE_ERR_PROTOCOL when
 * the answer is not understood (or has no cookie); or the errors of advice_http_post().
 */
int advice_login_citizen(struct advice_client *c, const char *base_url, const char *origin,
			 const char *id_token, char **session_out, int timeout_ms);

/*
 * Logs the records connector in (PROTOCOL.md §14.3): POST /api/v1/login/connector/start with
 * its kid (of keys->box_pk) for a challenge, the challenge signed with keys->sign_sk
 * (advice_connector_login_sign, advice_crypto.h), POST /api/v1/login/connector. `keys` are the
 * connector's personal keys from its seed. Returns 0 with *session_out (malloc'd); the negative
 * code of the server's error (-ADVICE_ERR_BAD_CREDENTIALS: not a live connector, or a wrong
 * signature; -ADVICE_ERR_RATE_LIMITED); -ADVICE_ERR_PROTOCOL (no challenge of 32 bytes, no
 * cookie); -ADVICE_ERR_INVAL; -ADVICE_ERR_NOMEM; or the errors of advice_http_post().
 */
struct advice_keys;
int advice_login_connector(struct advice_client *c, const char *base_url, const char *origin,
			   const struct advice_keys *keys, char **session_out, int timeout_ms);

/*
 * Logs a worker in: POST /api/v1/login/worker/start for the salt and KDF parameters,
 * derives the authentication key (advice_worker_auth_key), POST /api/v1/login/worker.
 * Parameters outside the bounds pinned in the client (advice_crypto.h: at least 2 passes and
 * 64 MiB, at most 16 passes and 1 GiB) are refused before anything is derived or sent:
 * -ADVICE_ERR_PROTOCOL, with the reason in advice_client_error_message().
 * Returns 0 with *session_out (malloc'd); the negative code of the server's error (for
 * example -ADVICE_ERR_BAD_CREDENTIALS, -ADVICE_ERR_LOCKED); -ADVICE_ERR_PROTOCOL;
 * -ADVICE_ERR_NOMEM; or the errors of advice_http_post().
 */
int advice_login_worker(struct advice_client *c, const char *base_url, const char *origin,
			const char *username, const char *password, char **session_out, int timeout_ms);

/*
 * A worker login with a second factor: as advice_login_worker, sending `totp`, the current
 * 6-digit code of the worker's authenticator. Returns what advice_login_worker returns;
 * -ADVICE_ERR_BAD_CREDENTIALS also for a wrong or already used code.
 */
int advice_login_worker_totp(struct advice_client *c, const char *base_url, const char *origin,
			     const char *username, const char *password, const char *totp, char **session_out,
			     int timeout_ms);

/*
 * The general worker login. `totp` (NULL: none) is the second factor's code. `setup_code`
 * (NULL: none) is a new account's one-time setup code: `password` becomes the account's
 * password, and `totp` must be a code of the secret from advice_worker_enrol(), which this
 * login confirms. `new_password` (NULL: none; not with setup_code) replaces the password,
 * for example after -ADVICE_ERR_PASSWORD_AGE. Returns 0 with *session_out; the server's
 * errors negated (-ADVICE_ERR_TOTP_REQUIRED: send a code; -ADVICE_ERR_ENROL_REQUIRED: enrol
 * first; -ADVICE_ERR_PASSWORD_AGE: send new_password; -ADVICE_ERR_BAD_CREDENTIALS,
 * -ADVICE_ERR_LOCKED, -ADVICE_ERR_FORBIDDEN for an ended account or role); -ADVICE_ERR_INVAL;
 * or the errors of advice_login_worker().
 */
int advice_login_worker_with(struct advice_client *c, const char *base_url, const char *origin,
			     const char *username, const char *password, const char *totp,
			     const char *setup_code, const char *new_password, char **session_out,
			     int timeout_ms);

/*
 * Starts the enrolment of a second factor (POST /api/v1/login/worker/enrol) for an account
 * without one, proven by `password` or (a new account) by `setup_code`: exactly one of them.
 * Returns 0 with *secret_out (malloc'd base32 TOTP secret: SHA-1, 6 digits, 30 s) for the
 * authenticator; the enrolment completes with the next login that sends a code of it. Else
 * the server's errors negated (-ADVICE_ERR_CONFLICT: a second factor is enrolled already),
 * -ADVICE_ERR_INVAL, -ADVICE_ERR_PROTOCOL, or the errors of advice_http_post().
 */
int advice_worker_enrol(struct advice_client *c, const char *base_url, const char *origin,
			const char *username, const char *password, const char *setup_code, char **secret_out,
			int timeout_ms);

/*
 * As advice_worker_enrol, and *uri_out (malloc'd; may be NULL) gets the enrolment URI the
 * server gives with the secret ("otpauth://totp/...", for an authenticator app or a QR code).
 * Returns what advice_worker_enrol returns; -ADVICE_ERR_PROTOCOL also when the URI is missing.
 */
int advice_worker_enrol_uri(struct advice_client *c, const char *base_url, const char *origin,
			    const char *username, const char *password, const char *setup_code,
			    char **secret_out, char **uri_out, int timeout_ms);

/*
 * The worker authentication key (PROTOCOL.md §4.4): M = crypto_pwhash(32, password, salt,
 * opslimit, memlimit, Argon2id13); out = crypto_kdf_derive_from_key(32, 1, "advlogin", M).
 * `password` is UTF-8; libadvice hashes its Unicode normalization form NFKC, as the protocol
 * requires (advice_password_nfkc). Returns 0, -ADVICE_ERR_INVAL (parameters outside the
 * bounds pinned in advice_crypto.h, ADVICE_PWHASH_OPS_MIN..MAX and ADVICE_PWHASH_MEM_MIN..MAX,
 * or a password that is not valid UTF-8) or -ADVICE_ERR_NOMEM (the hash could not get its
 * memory).
 */
int advice_worker_auth_key(const char *password, const uint8_t salt[ADVICE_SALT_BYTES],
			   unsigned long long opslimit, size_t memlimit, uint8_t out[ADVICE_AUTH_KEY_BYTES]);

/*
 * A new worker's own end-to-end keys, made here at the first login (PROTOCOL.md §4.5.2) on
 * the connection `k` of that login: a new identity, its key bundle under `password` (the
 * one just chosen) and the key request signed by the identity, sent with keys.enrol for an
 * administrator to certify (advicectl worker-certify). The seed never leaves this call.
 * Returns 0 with the keys' fingerprint in `fingerprint` (ADVICE_FINGERPRINT_CHARS + 1 bytes,
 * advice_crypto.h) for the worker to compare with the administrator's; the server's errors
 * negated (-ADVICE_ERR_CONFLICT: the worker's keys are certified already); -ADVICE_ERR_INVAL;
 * -ADVICE_ERR_PROTOCOL (no user id in the welcome); or advice_call's errors.
 */
int advice_worker_keys_enrol(struct advice_conn *k, const char *password, char *fingerprint, int timeout_ms);

/*
 * The worker's identity seed (32 bytes) from the bundle keys.mine gives, opened with
 * `password`; *version (may be NULL) gets the bundle's version. 0; -ADVICE_ERR_NOT_FOUND
 * without a bundle; -ADVICE_ERR_FORBIDDEN when it does not open (a wrong password, or a
 * bundle of another user); -ADVICE_ERR_PROTOCOL; or advice_call's errors.
 */
int advice_worker_bundle_open(struct advice_conn *k, const char *password, uint8_t *seed, uint32_t *version,
			      int timeout_ms);

/*
 * A password change's client side (PROTOCOL.md §4.5.3): the bundle opened with
 * `old_password`, sealed again under `new_password` (fresh salt, the next version) and
 * stored with keys.bundle.put. Call it on a connection of the login that changed the
 * password. Returns what advice_worker_bundle_open returns, or keys.bundle.put's errors.
 */
int advice_worker_bundle_rewrap(struct advice_conn *k, const char *old_password, const char *new_password,
				int timeout_ms);

/* POST /api/v1/logout with the session. Returns 0, the negative code of the server's error,
 * or the errors of advice_http_post(). */
int advice_logout(struct advice_client *c, const char *base_url, const char *origin, const char *session,
		  int timeout_ms);

/*
 * Opens a WebSocket to base_url + ADVICE_WS_PATH with subprotocol advice.v1, Origin
 * `origin` (NULL: none sent) and the session cookie (NULL: none), and waits for the welcome
 * event. Returns the connection, or NULL with *err (may be NULL) set to
 * -ADVICE_ERR_UNAUTHENTICATED (refused with 401), -ADVICE_ERR_FORBIDDEN (403),
 * -ADVICE_ERR_UNAVAILABLE (503, or the server was busy), -ADVICE_ERR_TIMEOUT,
 * -ADVICE_ERR_PROTOCOL (the first message was no welcome), -ADVICE_ERR_NOMEM,
 * -ADVICE_ERR_INVAL or -ADVICE_ERR_IO (refused otherwise, or closed).
 */
struct advice_conn *advice_connect(struct advice_client *c, const char *base_url, const char *origin,
				   const char *session, int timeout_ms, int *err);

/* The welcome event's JSON text (owned by the connection). */
const char *advice_conn_welcome(struct advice_conn *k);

/* How many times advice_request() sends a request again after a rate_limited answer. */
#define ADVICE_RATE_RETRIES 3

/*
 * Sends a JSON request (an object with a string "id") and pumps until the reply with the
 * same id arrives; other messages meanwhile are queued for advice_next_message(). A reply
 * `rate_limited` with "retry_after" (PROTOCOL.md §2.1) is not returned while the wait ends
 * before timeout_ms: the call waits that long and sends the same request, with the same id,
 * again, at most ADVICE_RATE_RETRIES times; then the last answer is returned. Returns 0
 * with *reply_out (malloc'd JSON) for an "ok" reply; the negative code of an "error" reply
 * with its text still in *reply_out; -ADVICE_ERR_INVAL (no id, not JSON), -ADVICE_ERR_NOMEM,
 * -ADVICE_ERR_TIMEOUT (nothing in *reply_out) or -ADVICE_ERR_IO (closed).
 * reply_out may be NULL.
 */
int advice_request(struct advice_conn *k, const char *json_request, char **reply_out, int timeout_ms);

/*
 * One request of type `type` (PROTOCOL.md §6, e.g. "dashboard.get") with the fields of
 * `fields_json`, a JSON object without "type" or "id" (NULL: none), sent with a new random
 * request id by advice_request(). Returns what advice_request() returns; -ADVICE_ERR_INVAL,
 * with nothing sent, when `type` is empty or `fields_json` is not such an object.
 */
int advice_call(struct advice_conn *k, const char *type, const char *fields_json, char **reply_out,
		int timeout_ms);

/* Queues a text message without waiting (pipelining, load). Replies come from
 * advice_next_message(). Returns 0, -ADVICE_ERR_NOMEM or -ADVICE_ERR_IO (closed). */
int advice_send(struct advice_conn *k, const char *json_text);

/*
 * The next queued message (an event, or a reply not claimed by advice_request()) within
 * timeout_ms: returns 0 with *json_out (malloc'd), -ADVICE_ERR_TIMEOUT, or -ADVICE_ERR_IO
 * when the connection is closed and nothing is queued.
 */
int advice_next_message(struct advice_conn *k, char **json_out, int timeout_ms);

/*
 * Queues one raw frame, for tests: `flags` is ADVICE_FRAME_TEXT or ADVICE_FRAME_BINARY,
 * plus ADVICE_FRAME_NO_FIN for a fragment that is not the last and
 * ADVICE_FRAME_CONTINUATION for every fragment after the first. The data is not checked.
 * Returns 0, -ADVICE_ERR_NOMEM or -ADVICE_ERR_IO (closed).
 */
int advice_send_raw(struct advice_conn *k, const void *data, size_t len, int flags);

/* 1 while the WebSocket is open, else 0. */
int advice_conn_is_open(struct advice_conn *k);
/* The close code the server sent; 1006 when it closed without one; 0 while open. */
int advice_conn_close_code(struct advice_conn *k);
/* Pumps until the connection is closed: 0 when closed within timeout_ms, else
 * -ADVICE_ERR_TIMEOUT. */
int advice_wait_closed(struct advice_conn *k, int timeout_ms);
/* Closes the connection (1000) if open and frees it. NULL is ignored. */
void advice_conn_free(struct advice_conn *k);

/* base64url without padding: a malloc'd string, NULL when out of memory. */
char *advice_b64url_encode(const void *data, size_t len);
/* Decodes base64url without padding: 0 with *out (malloc'd) and *outlen, -ADVICE_ERR_INVAL
 * for bad input or -ADVICE_ERR_NOMEM. */
int advice_b64url_decode(const char *text, uint8_t **out, size_t *outlen);

#ifdef __cplusplus
}
#endif

#endif
