/*
 * oidc.h - the OpenID Connect relying party for bank-ID brokers of the Finnish Trust Network
 * (and plain OIDC providers such as Suomi.fi's OIDC interface, by configuration):
 * authorization code flow with PKCE, state and nonce, a signed request object (JAR),
 * private_key_jwt client authentication, and an ID token signed then encrypted to us
 * (decrypted by jose.c, verified by token.c with the algorithm pinned).
 *
 * The login's secrets are derived from a random login token held in a __Host- cookie:
 * state, nonce and PKCE verifier are keyed hashes (with the pepper) of that token, so the
 * browser's return can be checked without a store round trip; the store records each login
 * token when it is used, so a login (and its nonce) is good once.
 *
 * The back channel (token endpoint, JWKS) runs on a thread of its own (oidc_worker.c), never
 * on the network or core thread: up to OIDC_BACKCHANNEL_ACTIVE_MAX token requests at once
 * (libcurl's multi interface), each job given OIDC_HTTP_TIMEOUT_S from its submission. The
 * browser waiting for a job is given longer, OIDC_BROWSER_TIMEOUT_S, so it learns the job's
 * outcome. The authorization URLs, whose request objects are signed, are made on another
 * thread (oidc_signer.c), at most OIDC_SIGN_QUEUE_MAX waiting or done and not taken back.
 * Nothing here logs codes, tokens or identity codes.
 */
#ifndef ADVICE_OIDC_H
#define ADVICE_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "token.h"

#define OIDC_LOGIN_TTL_S	    600 /* from the start of a login to its return */
#define OIDC_LOGIN_TOKEN_MAX	    64	/* "<unix seconds>.<43 base64url>" */
#define OIDC_URL_MAX		    512
#define OIDC_RESPONSE_MAX	    (256 * 1024) /* bytes of a token or JWKS response */
#define OIDC_HTTP_TIMEOUT_S	    10	/* a job's whole back channel: its wait, token request, JWKS */
#define OIDC_BROWSER_TIMEOUT_S	    20	/* the browser's callback request waits this long at most */
#define OIDC_JWKS_REFETCH_S	    60	/* at most one JWKS fetch a minute on unknown key ids */
#define OIDC_WORKER_QUEUE_MAX	    256 /* jobs submitted and not yet taken back */
#define OIDC_BACKCHANNEL_ACTIVE_MAX 32	/* token requests in flight at once */
#define OIDC_SIGN_QUEUE_MAX	    64	/* authorization URLs asked for and not yet taken back */
#define OIDC_SIGN_TIMEOUT_S	    10	/* a /start request waits this long at most for its URL */
#define OIDC_HASH_BYTES		    32	/* a login token's keyed hash (the store's STORE_HASH_BYTES) */
#define OIDC_LOGIN_COOKIE	    "__Host-advice-login"

struct oidc_config {
	char issuer[256];    /* the broker's issuer: "iss" of its ID tokens */
	char client_id[256]; /* ours at the broker; "aud" of its ID tokens */
	char authorize_url[OIDC_URL_MAX];
	char token_url[OIDC_URL_MAX];
	char jwks_url[OIDC_URL_MAX];
	char redirect_uri[OIDC_URL_MAX]; /* our callback, registered exactly at the broker */
	char scope[128];		 /* default "openid" (Signicat: "openid nin") */
	char acr_values[128];		 /* requested levels (space-separated); token.acr_values too */
	char ui_locales[16];		 /* "fi", "sv" or "en"; "" for none */
	int use_request_object;		 /* 1: FTN (JAR); 0: plain query parameters */
	int require_encryption;		 /* 1: FTN (an unencrypted ID token is refused) */
	int jwks_refetch_s;		 /* least seconds between JWKS fetches on unknown kids */
	struct token_config token;	 /* issuer, audience, hetu claim, skew, max age, test mode */
	EVP_PKEY *sig_key, *enc_key;	 /* ours, owned */
	char sig_kid[64], enc_kid[64];	 /* RFC 7638 thumbprints */
};

/* Results of a login's return, for the log and the error shown. */
enum oidc_result {
	OIDC_OK = 0,
	OIDC_NO_LOGIN,	    /* no login cookie, or it is malformed */
	OIDC_LOGIN_EXPIRED, /* older than OIDC_LOGIN_TTL_S */
	OIDC_BAD_STATE,	    /* state does not match the login cookie */
	OIDC_LOGIN_USED,    /* this login cookie's callback was made already */
	OIDC_DENIED,	    /* the broker returned an error (the person cancelled) */
	OIDC_BACKCHANNEL,   /* token endpoint unreachable or refused the code */
	OIDC_NOT_ENCRYPTED, /* a signed-only ID token where encryption is required */
	OIDC_DECRYPT,	    /* the JWE was refused (see jose_result_text) */
	OIDC_TOKEN,	    /* the inner token was refused (see token_result_text) */
	OIDC_BAD_NONCE,	    /* nonce missing or not this login's */
	OIDC_NOMEM,
};

/* A short English reason; never NULL. */
const char *oidc_result_text(int r);

/*
 * Loads our signing and encryption keys (PEM files readable by their owner only) into cfg
 * and computes their kids. 0, or -1 with a reason in err.
 */
int oidc_config_load_keys(struct oidc_config *cfg, const char *sig_path, const char *enc_path, char *err,
			  size_t errlen);
/* Frees the keys and broker keys held by cfg. */
void oidc_config_free(struct oidc_config *cfg);

/* Our public keys as a JWKS text (malloc'd), {"keys":[sig, enc]}, or NULL. */
char *oidc_jwks_text(const struct oidc_config *cfg);

/* A new login token "<now_s>.<43 random base64url>" into out. */
void oidc_login_token_new(int64_t now_s, char out[OIDC_LOGIN_TOKEN_MAX]);

/* The values derived from a login token: state, nonce and PKCE verifier (43 base64url
 * characters each) and the PKCE S256 challenge; and the token's keyed hash as stored. */
struct oidc_login {
	char state[44], nonce[44], verifier[44], challenge[44];
	uint8_t hash[OIDC_HASH_BYTES];
	int64_t created_s;
};

/*
 * Derives a login's values from its token at now_s. Returns OIDC_OK, OIDC_NO_LOGIN when the
 * token is malformed, or OIDC_LOGIN_EXPIRED when it is older than OIDC_LOGIN_TTL_S or from
 * the future.
 */
int oidc_login_derive(const uint8_t pepper[32], const char *token, size_t len, int64_t now_s,
		      struct oidc_login *out);

/* Whether `state` (from the browser's return) is this login's: 1, else 0. Constant time. */
int oidc_state_matches(const struct oidc_login *login, const char *state);

/* The URL to send the browser to (malloc'd): authorize_url with client_id, response_type,
 * scope and, for FTN, a signed request object holding everything. NULL on failure. */
char *oidc_authorize_url(const struct oidc_config *cfg, const struct oidc_login *login, int64_t now_s);

/* The private_key_jwt client assertion for the token endpoint (malloc'd) or NULL. */
char *oidc_client_assertion(const struct oidc_config *cfg, int64_t now_s);

/* The x-www-form-urlencoded body of the token request (malloc'd) or NULL. */
char *oidc_token_request_body(const struct oidc_config *cfg, const char *code, const char *verifier,
			      int64_t now_s);

/*
 * Checks the ID token of a token response: decrypts it (a JWE of five segments) with our
 * enc key, verifies the inner JWS with `keys` (token.c: alg pinned, iss, aud, exp, acr,
 * identity code) and the nonce. Returns OIDC_OK and fills *id, or an oidc_result with
 * *sub_result set to the jose_result or token_result behind it (0 otherwise).
 */
int oidc_id_token_check(const struct oidc_config *cfg, const struct token_key *keys, size_t nkeys,
			const char *id_token, size_t len, const char *nonce, int64_t now_s,
			struct token_identity *id, int *sub_result);

/*
 * Converts a JWKS text into the key list token.c verifies with: RSA keys with a kid whose
 * use is "sig" or absent and whose alg is RS256 or absent, pinned to RS256. 0 and *keys,
 * or -1 with a reason in err (also when no key is usable).
 */
int oidc_jwks_to_keys(const char *text, size_t len, struct token_key **keys, size_t *nkeys, char *err,
		      size_t errlen);

/* ---- the back-channel worker thread (oidc_worker.c) ---- */

struct oidc_job {
	uint64_t conn_id;
	char code[512];
	struct oidc_login login;
	/* filled by the worker */
	int result, sub_result;
	struct token_identity id;
};

struct oidc_worker;
typedef void (*oidc_wake_fn)(void *arg);

/* Starts the worker with cfg (which must outlive it); wake is called (from the worker's
 * thread) when results are ready. NULL when out of memory. */
struct oidc_worker *oidc_worker_start(struct oidc_config *cfg, oidc_wake_fn wake, void *wake_arg);
/* Queues a job (copied); its OIDC_HTTP_TIMEOUT_S start now. 0, or -1 when
 * OIDC_WORKER_QUEUE_MAX jobs are not yet taken back, or out of memory. */
int oidc_worker_submit(struct oidc_worker *w, const struct oidc_job *job);
/* Takes one finished job into *out. 1 when one was taken, 0 when none. */
int oidc_worker_take(struct oidc_worker *w, struct oidc_job *out);
/* Stops the thread (abandoning the requests in flight) and its signer, and frees everything.
 * NULL is fine. */
void oidc_worker_stop(struct oidc_worker *w);
/* The signer the worker started with it (below); never NULL. */
struct oidc_signer *oidc_worker_signer(struct oidc_worker *w);

/* ---- the signing thread (oidc_signer.c) ---- */

/* The authorization URL of a login being started, made off the network thread. */
struct oidc_sign_job {
	uint64_t conn_id;
	char token[OIDC_LOGIN_TOKEN_MAX]; /* the login cookie's value, kept for the answer */
	struct oidc_login login;	  /* derived from token; wiped by the signer */
	int64_t now_s;
	char *url; /* filled by the signer (malloc'd): oidc_authorize_url's, NULL on failure */
};

struct oidc_signer;

/* Starts the signing thread with cfg (which must outlive it); wake is called (from that
 * thread) when URLs are ready. NULL when out of memory. */
struct oidc_signer *oidc_signer_start(const struct oidc_config *cfg, oidc_wake_fn wake, void *wake_arg);
/* Queues a job (copied; its url ignored). 0, or -1 when OIDC_SIGN_QUEUE_MAX jobs are not yet
 * taken back, or out of memory. */
int oidc_signer_submit(struct oidc_signer *s, const struct oidc_sign_job *job);
/* Takes one finished job into *out (its url now the caller's to wipe and free). 1 when one
 * was taken, 0 when none. */
int oidc_signer_take(struct oidc_signer *s, struct oidc_sign_job *out);
/* Stops the thread and frees every job it holds. NULL is fine. */
void oidc_signer_stop(struct oidc_signer *s);

#endif
