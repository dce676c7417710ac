/*
 * advice_proto.h - constants of wire protocol advice.v1, shared by the server and libadvice.
 *
 * proto/PROTOCOL.md is the specification and proto/advice.v1.schema.json the schema; the
 * numbers here must match them (tests/unit/test_proto_consistency.c checks that they do).
 */
#ifndef ADVICE_PROTO_H
#define ADVICE_PROTO_H

#include <stddef.h>

#define ADVICE_SUBPROTOCOL    "advice.v1"
#define ADVICE_WS_PATH	      "/ws"
#define ADVICE_SESSION_COOKIE "__Host-advice"

/* Limits (bytes unless named otherwise). */
#define ADVICE_MAX_MESSAGE_BYTES   65536 /* one WebSocket message, all frames together */
#define ADVICE_MAX_CHUNK_MESSAGE   65577 /* one binary message: an attachment chunk (24 + 65553) */
#define ADVICE_MAX_HTTP_BODY_BYTES 20480 /* one HTTP request body (an ID token is up to 16384) */
#define ADVICE_MAX_BODY_B64	   43691 /* ciphertext body, base64url without padding */
#define ADVICE_MAX_BODY_BYTES	   32768 /* the same body decoded */
#define ADVICE_MAX_REQUEST_ID	   64	 /* request "id" */
#define ADVICE_ID_HEX		   32	 /* thread and user ids: 32 lowercase hex digits */
#define ADVICE_MAX_LIST		   100	 /* entries in one list or read reply */
#define ADVICE_SESSION_TOKEN_LEN   43	 /* session token: 32 random bytes, base64url */
#define ADVICE_AUTH_KEY_BYTES	   32	 /* worker authentication key */
#define ADVICE_SALT_BYTES	   16	 /* crypto_pwhash salt */

/* The largest thread.read reply: fewer messages than asked come then (§6.4). The outbound
 * queue of a connection is never configured below twice this. */
#define ADVICE_MAX_REPLY_BYTES 262144

/* Close codes the server uses besides the RFC 6455 ones (1008 policy, 1009 too big). */
#define ADVICE_CLOSE_SESSION_ENDED 4001 /* logout, expiry or revocation */
#define ADVICE_CLOSE_SLOW_CONSUMER 4008 /* outbound queue limit reached */

/*
 * Error codes of the protocol. One enum for the whole code base: the server answers
 * with advice_err_name(code) in the "code" field, and libadvice returns them negated.
 */
enum advice_err {
	ADVICE_OK = 0,
	ADVICE_ERR_BAD_JSON,	    /* not a JSON object */
	ADVICE_ERR_BAD_REQUEST,	    /* schema violation: missing, unknown, mistyped or oversize field */
	ADVICE_ERR_UNKNOWN_TYPE,    /* no such request type */
	ADVICE_ERR_TOO_LARGE,	    /* message or body over its limit */
	ADVICE_ERR_UNAUTHENTICATED, /* no valid session */
	ADVICE_ERR_BAD_CREDENTIALS, /* wrong username or authentication key */
	ADVICE_ERR_BAD_TOKEN,	    /* identity token refused */
	ADVICE_ERR_LOCKED,	    /* account locked or backing off */
	ADVICE_ERR_FORBIDDEN,	    /* the policy denies this request */
	ADVICE_ERR_NOT_FOUND,	    /* no such object */
	ADVICE_ERR_CONFLICT,	    /* the object is not in a state that allows this */
	ADVICE_ERR_THREAD_CLOSED,   /* the thread is closed */
	ADVICE_ERR_RATE_LIMITED,    /* too many requests */
	ADVICE_ERR_TOTP_REQUIRED,   /* worker login: the key is right; send the second factor's code */
	ADVICE_ERR_ENROL_REQUIRED,  /* worker login: enrol a second factor first (/login/worker/enrol) */
	ADVICE_ERR_PASSWORD_AGE,    /* worker login: the password is too old; send new_auth_key */
	ADVICE_ERR_RESTRICTED,	    /* the thread is restricted (GDPR 18): frozen, read for legal claims */
	ADVICE_ERR_UNAVAILABLE,	    /* the store failed or overload: not acknowledged, resend (same id) */
	ADVICE_ERR_INTERNAL,	    /* a bug; nothing was changed */
	/* Client-side only (never sent by the server). */
	ADVICE_ERR_NOMEM,
	ADVICE_ERR_IO,		/* connection failed or closed */
	ADVICE_ERR_TIMEOUT,	/* no reply in time */
	ADVICE_ERR_PROTOCOL,	/* the server sent something the client cannot understand */
	ADVICE_ERR_INVAL,	/* bad argument */
	ADVICE_ERR_WITHHELD,	/* the server withheld or rolled back key state (a unit log, a generation) */
	ADVICE_ERR_REVOKED,	/* signed by a certificate revoked before */
	ADVICE_ERR_STALE_EPOCH, /* a thread key epoch that a newer one replaced */
	ADVICE_ERR__COUNT
};

/* The wire name of an error code ("bad_request"), or "internal" for an unknown value. */
const char *advice_err_name(int code);
/* The code for a wire name, or ADVICE_ERR_PROTOCOL when the name is unknown. */
int advice_err_from_name(const char *name);

#endif
