/*
 * fuzz_core.c - libFuzzer target: arbitrary bytes as a WebSocket message to the core, from
 * a logged-in citizen and from a worker, on an in-memory store. Each input runs in a
 * transaction that is rolled back, so inputs do not depend on each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core.h"
#include "schema.h"
#include "store.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct core *core;
static struct schema *schema;
static uint8_t citizen_hash[STORE_HASH_BYTES], worker_hash[STORE_HASH_BYTES];

/* Inserts a user with a session whose token hash is `hash`, the same way the core does. */
static void add_session(const char *user, enum store_role role, uint8_t hash[STORE_HASH_BYTES])
{
	struct store_session s = {
		.role = role, .created = 1, .last_seen = 1, .idle_ms = INT64_MAX / 4, .expires = INT64_MAX / 2
	};
	uint8_t h[STORE_HASH_BYTES];

	snprintf(s.user_id, sizeof s.user_id, "%s", user);
	randombytes_buf(h, sizeof h);
	memcpy(s.hash, h, sizeof h);
	memcpy(hash, h, sizeof h);
	st->ops->session_insert(st, &s);
}

static void setup(void)
{
	static struct token_config tc;
	struct core_config cc = { .token = &tc,
				  .citizen_idle_ms = 1000,
				  .citizen_abs_ms = 1000,
				  .staff_idle_ms = 1000,
				  .staff_abs_ms = 1000,
				  .backoff_after = 3,
				  .lock_after = 10,
				  .backoff_max_ms = 1000,
				  .test_mode = 1 };
	struct store_queue q = { .id = "00000000000000000000000000000011",
				 .unit_id = "00000000000000000000000000000001",
				 .category = "adult-social-work",
				 .name = "Adult" };
	struct store_worker w = { .user_id = "0000000000000000000000000000000b",
				  .username = "anna",
				  .opslimit = 1,
				  .memlimit = 8192 };
	char err[256];

	if (sodium_init() < 0)
		abort();
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	st = store_sqlite_open(":memory:", STORE_READWRITE);
	if (schema == NULL || st == NULL)
		abort();
	cc.schema = schema;
	core = core_new(st, &cc);
	st->ops->begin(st);
	st->ops->unit_insert(st, q.unit_id, "Adult");
	st->ops->queue_insert(st, &q);
	st->ops->citizen_get_or_create(st, citizen_hash, "0000000000000000000000000000000a", 1, err);
	add_session("0000000000000000000000000000000a", ROLE_CITIZEN, citizen_hash);
	st->ops->worker_insert(st, &w, 1);
	st->ops->membership_add(st, w.user_id, q.unit_id, ROLE_WORKER);
	add_session(w.user_id, ROLE_WORKER, worker_hash);
	st->ops->commit(st);
}

static void run_as(const uint8_t hash[STORE_HASH_BYTES], const uint8_t *data, size_t size)
{
	struct core_request *req = core_request_new(CORE_REQ_MESSAGE, 1, (const char *)data, size);
	struct core_reply *rep = calloc(1, sizeof *rep);

	if (req == NULL || rep == NULL)
		abort();
	req->has_session = 1;
	req->now_ms = 500;
	memcpy(req->session_hash, hash, STORE_HASH_BYTES);
	st->ops->begin(st);
	core_handle(core, req, rep);
	core_reply_render(rep);
	core_batch_sync(core, 0);
	st->ops->rollback(st);
	core_reply_free(rep);
	free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (core == NULL)
		setup();
	if (size > 70000)
		return 0;
	run_as(citizen_hash, data, size);
	run_as(worker_hash, data, size);
	return 0;
}
