/*
 * core_connector.c - the records connector as a caller (PROTOCOL.md §14.3): its login over
 * HTTP by a signed challenge and its session (the units whose seeds it holds). Its relations
 * to a thread (`consented`, `ordered`) are core_ctx.c's, beside everyone else's.
 *
 * Challenges live in memory only: 32 random bytes per start, bound to the kid asked for, good
 * for one login attempt within CONNECTOR_CHALLENGE_MS. Every kid gets one, known or not, and
 * every failure is the same 401, so nothing tells which kids are connectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_internal.h"
#include "log.h"

#define CONNECTOR_CHALLENGE_MS 60000
#define CONNECTOR_CHALLENGES   256 /* kept at once; the oldest goes first */
#define CONNECTOR_LOGIN_CTX    "QA-v1-connector-login"

struct core_connector_challenge {
	uint8_t challenge[32];
	uint8_t kid[STORE_KID_BYTES];
	int64_t expires; /* 0: free (used or never made) */
};

struct core_connector_challenges {
	struct core_connector_challenge c[CONNECTOR_CHALLENGES];
};

void core_connector_challenges_free(struct core_connector_challenges *ch)
{
	if (ch != NULL)
		sodium_memzero(ch, sizeof *ch);
	free(ch);
}

/* --- The session and relations --- */

int core_connector_session(struct ctx *x)
{
	struct store_connector c;
	int rc = x->st->ops->consent->connector_get(x->st, x->sess.user_id, &c);

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || c.ended != 0) {
		x->rep->end_session = 1;
		memcpy(x->rep->session_hash, x->req->session_hash, STORE_HASH_BYTES);
		x->rep->close_conn = 1;
		return core_fail(x, ADVICE_ERR_UNAUTHENTICATED, "session ended");
	}
	return x->st->ops->consent->units(x->st, x->sess.user_id, x->units, CORE_MAX_UNITS, &x->nunits) ==
			       STORE_OK
		       ? 0
		       : -1;
}

/* --- Login --- */

/* The kid of the request's "connector" (32 hex digits, the schema checked). 0 or -1. */
static int request_kid(struct ctx *x, uint8_t kid[STORE_KID_BYTES])
{
	return advice_unhex(kid, STORE_KID_BYTES, json_string_value(json_object_get(x->msg, "connector")));
}

int core_login_connector_start(struct ctx *x)
{
	struct core_connector_challenges *ch = x->c->challenges;
	struct core_connector_challenge *slot = NULL;
	uint8_t kid[STORE_KID_BYTES];

	if (ch == NULL && (ch = x->c->challenges = calloc(1, sizeof *ch)) == NULL)
		return -1;
	if (request_kid(x, kid) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/connector");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "connector: a key id of 32 hex digits");
	}
	/* A free or lapsed slot, else the one that lapses first. */
	for (size_t i = 0; i < CONNECTOR_CHALLENGES; i++) {
		struct core_connector_challenge *c = &ch->c[i];

		if (c->expires <= x->now) {
			slot = c;
			break;
		}
		if (slot == NULL || c->expires < slot->expires)
			slot = c;
	}
	randombytes_buf(slot->challenge, sizeof slot->challenge);
	memcpy(slot->kid, kid, sizeof kid);
	slot->expires = x->now + CONNECTOR_CHALLENGE_MS;
	json_object_set_new(x->result, "challenge", core_b64_json(slot->challenge, sizeof slot->challenge));
	return 0;
}

/* Takes the challenge `challenge` made for `kid` and not lapsed: 1 found (now used), 0 not. */
static int challenge_take(struct ctx *x, const uint8_t kid[STORE_KID_BYTES], const uint8_t challenge[32])
{
	struct core_connector_challenges *ch = x->c->challenges;

	for (size_t i = 0; ch != NULL && i < CONNECTOR_CHALLENGES; i++) {
		struct core_connector_challenge *c = &ch->c[i];

		if (c->expires <= x->now || sodium_memcmp(c->challenge, challenge, 32) != 0)
			continue;
		c->expires = 0; /* one attempt, whatever its outcome */
		return memcmp(c->kid, kid, STORE_KID_BYTES) == 0;
	}
	return 0;
}

struct cert_find {
	const struct store_connector *conn;
	const uint8_t *root;
	int64_t now;
	struct advice_cert cert;
	int found;
};

/* A connector certificate of the account that verifies to the root now and names its keys. */
static int live_cert(void *arg, const struct store_key_blob *b)
{
	struct cert_find *f = arg;
	struct advice_cert c;
	uint8_t kid[STORE_KID_BYTES];

	if (b->n != ADVICE_ROLE_CONNECTOR ||
	    advice_cert_verify(b->data, b->len, NULL, 0, f->root, (uint64_t)f->now, &c) != 0 ||
	    c.role != ADVICE_ROLE_CONNECTOR)
		return 0;
	advice_kid(kid, c.box_pk);
	if (memcmp(kid, f->conn->kid, sizeof kid) != 0)
		return 0;
	f->cert = c;
	f->found = 1;
	return 1;
}

/* The connector of `kid` with a live certificate: 1 with *c and *cert, 0 none, -1 store failure. */
static int connector_of(struct ctx *x, const uint8_t kid[STORE_KID_BYTES], struct store_connector *c,
			struct advice_cert *cert)
{
	uint8_t root[STORE_KEY_BYTES];
	struct cert_find f = { .conn = c, .root = root, .now = x->now };
	int rc = x->st->ops->consent->connector_by_kid(x->st, kid, c);

	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? 0 : -1;
	if (c->ended != 0)
		return 0;
	rc = x->st->ops->keys->root_get(x->st, root);
	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? 0 : -1;
	if (x->st->ops->keys->cert_list(x->st, c->id, live_cert, &f) != STORE_OK)
		return -1;
	*cert = f.cert;
	return f.found;
}

int core_connector_live(struct ctx *x, const uint8_t kid[STORE_KID_BYTES], struct store_connector *c)
{
	struct advice_cert cert;

	return connector_of(x, kid, c, &cert);
}

/* The same refusal for every failed attempt: counted by the per-address limit. */
static int login_refused(struct ctx *x, const char *why)
{
	x->rep->login_failed = 1;
	log_notice("connector login refused from %s: %s", x->req->peer, why);
	return core_fail(x, ADVICE_ERR_BAD_CREDENTIALS, "wrong connector, challenge or signature");
}

int core_login_connector(struct ctx *x)
{
	uint8_t kid[STORE_KID_BYTES], challenge[32], sig[crypto_sign_BYTES];
	uint8_t signed_msg[sizeof CONNECTOR_LOGIN_CTX - 1 + sizeof challenge + sizeof kid];
	struct store_connector c;
	struct advice_cert cert;
	size_t len = 0;
	int rc;

	if (request_kid(x, kid) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/connector");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "connector: a key id of 32 hex digits");
	}
	if (core_b64_decode(x, json_string_value(json_object_get(x->msg, "challenge")), "/challenge",
			    challenge, sizeof challenge, &len, 1) != 0 ||
	    x->err)
		return 0;
	if (core_b64_decode(x, json_string_value(json_object_get(x->msg, "signature")), "/signature", sig,
			    sizeof sig, &len, 1) != 0 ||
	    x->err)
		return 0;
	if (!challenge_take(x, kid, challenge))
		return login_refused(x, "no such challenge (unknown, used or older than a minute)");
	if ((rc = connector_of(x, kid, &c, &cert)) < 0)
		return -1;
	if (rc == 0)
		return login_refused(x, "no live connector with a certificate for that key");
	memcpy(signed_msg, CONNECTOR_LOGIN_CTX, sizeof CONNECTOR_LOGIN_CTX - 1);
	memcpy(signed_msg + sizeof CONNECTOR_LOGIN_CTX - 1, challenge, sizeof challenge);
	memcpy(signed_msg + sizeof CONNECTOR_LOGIN_CTX - 1 + sizeof challenge, kid, sizeof kid);
	if (crypto_sign_verify_detached(sig, signed_msg, sizeof signed_msg, cert.sign_pk) != 0)
		return login_refused(x, "the signature does not verify");
	if (core_session_create(x, c.id, ROLE_CONNECTOR) != 0)
		return -1;
	json_object_set_new(x->result, "user", json_string(c.id));
	json_object_set_new(x->result, "role", json_string("connector"));
	json_object_set_new(x->result, "expires", json_integer(x->sess.expires));
	log_notice("connector login of %s from %s", c.id, x->req->peer);
	return 0;
}
