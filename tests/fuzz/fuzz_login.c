/*
 * fuzz_login.c - libFuzzer target: arbitrary bytes as the HTTP body of a worker login, an
 * enrolment and the login's first step, on an in-memory store with three accounts: one with
 * a second factor, one with a pending setup code and one ended. The first byte chooses the
 * endpoint. Each input runs in a transaction that is rolled back. Setup checks that each account
 * is stored in its state and aborts when it is not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core.h"
#include "schema.h"
#include "admin_staff.h"
#include "store.h"
#include "token.h"

#include "fuzz_require.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct core *core;
static struct schema *schema;
static uint8_t pepper[32];

enum account { ACCOUNT_READY, ACCOUNT_SETUP_PENDING, ACCOUNT_ENDED };

/* Adds a worker of the unit whose key is 32 bytes of 1 ("AQEB..."), in state `kind`, and
 * checks that the account is stored in that state. */
static void add_worker(const char *id, const char *name, enum account kind)
{
	struct store_worker w = { .opslimit = 1, .memlimit = 8192 };
	struct store_staff s;
	char code[STAFF_SETUP_CODE_SIZE];
	uint8_t key[32];

	snprintf(w.user_id, sizeof w.user_id, "%s", id);
	snprintf(w.username, sizeof w.username, "%s", name);
	memset(key, 1, sizeof key);
	core_keyed_hash(pepper, "auth key", key, sizeof key, w.auth_hash);
	fuzz_require(st->ops->staff->worker_insert(st, &w, 1) == STORE_OK, "worker_insert");
	fuzz_require(st->ops->staff->membership_add(st, w.user_id, "00000000000000000000000000000001",
						    ROLE_WORKER) == STORE_OK,
		     "membership_add");
	if (kind == ACCOUNT_READY)
		fuzz_require(admin_staff_password_set(st, pepper, w.user_id, 1, 1) == 0, "password_set");
	else if (kind == ACCOUNT_SETUP_PENDING)
		fuzz_require(admin_staff_setup_code(st, pepper, w.user_id, 1, code) == 0, "setup_code");
	fuzz_require(st->ops->staff->get(st, w.user_id, &s) == STORE_OK, "staff_get");
	if (kind == ACCOUNT_ENDED) {
		s.ends = 2;
		fuzz_require(st->ops->staff->put(st, &s) == STORE_OK, "staff_put");
		fuzz_require(st->ops->staff->get(st, w.user_id, &s) == STORE_OK, "staff_get");
	}
	fuzz_require(kind != ACCOUNT_READY || (s.password_set == 1 && s.totp_len > 0 && !s.has_setup),
		     "a ready account with a second factor");
	fuzz_require(kind != ACCOUNT_SETUP_PENDING || s.has_setup, "a pending setup code");
	fuzz_require(kind != ACCOUNT_ENDED || s.ends == 2, "an ended account");
}

static void setup(void)
{
	static struct token_config tc;
	struct core_config cc = { .token = &tc,
				  .staff_idle_ms = 1000,
				  .staff_abs_ms = 1000,
				  .backoff_after = 3,
				  .lock_after = 10,
				  .backoff_max_ms = 1000,
				  .staff_totp_required = 1,
				  .password_max_age_ms = 1000,
				  .session_check_ms = 1,
				  .test_mode = 1 };
	char err[256];

	fuzz_require(sodium_init() >= 0, "sodium_init");
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	fuzz_require(schema != NULL, err);
	st = store_sqlite_open(":memory:", STORE_READWRITE);
	fuzz_require(st != NULL, "store_sqlite_open");
	memset(pepper, 7, sizeof pepper);
	memcpy(cc.pepper, pepper, sizeof pepper);
	cc.schema = schema;
	core = core_new(st, &cc);
	fuzz_require(core != NULL, "core_new");
	fuzz_require(st->ops->tx->begin(st) == STORE_OK, "begin");
	fuzz_require(st->ops->unit->insert(st, "00000000000000000000000000000001", "Adult") == STORE_OK,
		     "unit_insert");
	add_worker("0000000000000000000000000000000b", "anna", ACCOUNT_READY);
	add_worker("0000000000000000000000000000000c", "uusi", ACCOUNT_SETUP_PENDING);
	add_worker("0000000000000000000000000000000d", "ended", ACCOUNT_ENDED);
	fuzz_require(st->ops->tx->commit(st) == STORE_OK, "commit");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum core_req_kind kinds[] = { CORE_REQ_LOGIN_WORKER, CORE_REQ_LOGIN_ENROL,
						    CORE_REQ_LOGIN_START, CORE_REQ_TICK };
	struct core_request *req;
	struct core_reply *rep;

	if (core == NULL)
		setup();
	if (size < 1 || size > 30000)
		return 0;
	req = core_request_new(kinds[data[0] % 4], 1, (const char *)data + 1, size - 1);
	rep = calloc(1, sizeof *rep);
	if (req == NULL || rep == NULL)
		abort();
	req->now_ms = 500 + data[0];
	if (st->ops->tx->begin(st) != STORE_OK)
		abort();
	core_handle(core, req, rep);
	st->ops->tx->rollback(st);
	core_reply_free(rep);
	free(req);
	return 0;
}
