/*
 * core_bank.c - the end of a citizen's bank-ID login, in the core: the network layer has
 * had oidc.c check the encrypted ID token and hands over the identity code, the level of
 * assurance and the keyed hash of the login token. Here the login is recorded as used
 * (a second use, such as a replayed ID token of the same login, is refused), the citizen
 * is found or created by the keyed hash of the identity code, and a new session begins.
 *
 * The request body is built by net_oidc.c, never by a client: {"login": hex, "hetu", "acr",
 * "name"}. The name and identity code are kept only sealed in the session (core_identity.c)
 * and never logged.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core_internal.h"
#include "hetu.h"
#include "log.h"
#include "oidc.h"

_Static_assert(OIDC_HASH_BYTES == STORE_HASH_BYTES, "a login's hash is stored as it is");

/* The login recorded as used, the citizen found or made, the session and the identity kept. */
static int bank_login_finish(struct ctx *x, const uint8_t login_hash[STORE_HASH_BYTES],
			     const uint8_t hetu_hash[STORE_HASH_BYTES], const char *name, const char *hetu)
{
	char new_id[STORE_ID_SIZE], user_id[STORE_ID_SIZE];
	int rc;

	rc = x->st->ops->identity->bank_login_use(x->st, login_hash, x->now,
						  x->now - 2LL * OIDC_LOGIN_TTL_S * 1000);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_EXISTS) {
		log_notice("citizen bank-ID login refused from %s: this login was used already",
			   x->req->peer);
		return core_fail(x, ADVICE_ERR_BAD_TOKEN, "this login was used already; start again");
	}
	core_random_id(new_id);
	if (x->st->ops->identity->citizen_get_or_create(x->st, hetu_hash, new_id, x->now, user_id) !=
		    STORE_OK ||
	    core_session_create(x, user_id, ROLE_CITIZEN) != 0 || core_identity_keep(x, name, hetu) != 0)
		return -1;
	json_object_set_new(x->result, "user", json_string(user_id));
	json_object_set_new(x->result, "role", json_string("citizen"));
	json_object_set_new(x->result, "expires", json_integer(x->sess.expires));
	log_notice("citizen bank-ID login of user %s from %s", user_id, x->req->peer);
	return 0;
}

int core_login_bank(struct ctx *x)
{
	json_t *body = json_loadb(x->req->body, x->req->len, JSON_REJECT_DUPLICATES, NULL);
	const char *login = json_string_value(json_object_get(body, "login"));
	const char *hetu = json_string_value(json_object_get(body, "hetu"));
	const char *name = json_string_value(json_object_get(body, "name"));
	uint8_t login_hash[STORE_HASH_BYTES], hetu_hash[STORE_HASH_BYTES];
	char hetu_copy[HETU_LEN + 1], name_copy[256];
	size_t n = 0;
	int rc;

	if (login == NULL || hetu == NULL || strlen(hetu) != HETU_LEN ||
	    sodium_hex2bin(login_hash, sizeof login_hash, login, strlen(login), NULL, &n, NULL) != 0 ||
	    n != sizeof login_hash) {
		json_decref(body);
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "bank login: malformed internal request");
	}
	core_keyed_hash(x->c->cfg.pepper, "hetu", hetu, HETU_LEN, hetu_hash);
	/* Kept only until they are sealed into the session (core_identity_keep), then wiped. */
	memcpy(hetu_copy, hetu, sizeof hetu_copy);
	if (name == NULL || snprintf(name_copy, sizeof name_copy, "%s", name) >= (int)sizeof name_copy)
		name_copy[0] = '\0';
	json_decref(body); /* frees the copy of the identity code */
	rc = bank_login_finish(x, login_hash, hetu_hash, name_copy, hetu_copy);
	sodium_memzero(hetu_copy, sizeof hetu_copy);
	sodium_memzero(name_copy, sizeof name_copy);
	return rc;
}
