/*
 * corefix.h - a core over a real SQLite file for unit tests, without sockets: demo units,
 * workers with known authentication keys, a test identity provider key, and helpers that
 * run one request in its own committed transaction, as dispatch.c does.
 */
#ifndef ADVICE_COREFIX_H
#define ADVICE_COREFIX_H

#include <jansson.h>
#include <stdint.h>

#include "core.h"
#include "schema.h"
#include "store.h"
#include "token.h"

struct corefix {
	char dir[256];
	char db[300];
	struct store *st;
	struct schema *schema;
	struct token_config tc;
	char *idp_private_pem;
	struct core_config cc;
	struct core *core;
	int64_t now; /* the injected clock, ms */
	char unit_adult[STORE_ID_SIZE], unit_family[STORE_ID_SIZE];
};

/* A logged-in user as the tests see it. */
struct who {
	char token[ADVICE_SESSION_TOKEN_LEN + 1];
	uint8_t hash[STORE_HASH_BYTES];
	char user_id[STORE_ID_SIZE];
};

int corefix_setup(void **state);
int corefix_teardown(void **state);

/* Runs one request in its own transaction at fx->now; returns the reply (caller frees) and
 * *parsed (the reply JSON, caller decrefs) when parsed is not NULL. rc: core_handle's. */
struct core_reply *corefix_call(struct corefix *fx, enum core_req_kind kind, const struct who *w,
				const char *body, int *rc, json_t **parsed);
/* A WebSocket request; returns the parsed reply (never NULL; fails the test otherwise). */
json_t *corefix_ws(struct corefix *fx, const struct who *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Signs an ID token for `hetu` with the fixture's identity provider key. */
char *corefix_id_token(struct corefix *fx, const char *hetu, const char *acr, int64_t iat_s);
void corefix_login_citizen(struct corefix *fx, const char *hetu, struct who *out);
/* Logs in a demo worker ("anna", "ben", "sara") with its known key. */
void corefix_login_worker(struct corefix *fx, const char *name, struct who *out);
/* The known authentication key of a demo worker. */
void corefix_worker_key(const char *name, uint8_t key[ADVICE_AUTH_KEY_BYTES]);
/* Number of access-log rows, and the last one. */
int64_t corefix_audit_rows(struct corefix *fx, struct store_audit *last);
/* A base64url body of `n` bytes of `c`. */
char *corefix_body(size_t n, char c);
/* The "code" of an error reply, or "ok". */
const char *corefix_code(json_t *reply);

#endif
