/*
 * fuzz_core.c - libFuzzer target: arbitrary bytes as a WebSocket message to the core, from
 * a logged-in citizen and from a worker, on an in-memory store. Each input runs in a
 * transaction that is rolled back, so inputs do not depend on each other. Setup checks itself
 * (both sessions must work) and aborts when it fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core.h"
#include "schema.h"
#include "store.h"
#include "token.h"

#include "fuzz_require.h"

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
	fuzz_require(st->ops->session->insert(st, &s) == STORE_OK, "session_insert");
}

/* A unit with a queue, a citizen and a worker of the unit, each with a session. */
static void setup_rows(void)
{
	struct store_queue q = { .id = "00000000000000000000000000000011",
				 .unit_id = "00000000000000000000000000000001",
				 .category = "adult-social-work",
				 .name = "Adult" };
	struct store_worker w = { .user_id = "0000000000000000000000000000000b",
				  .username = "anna",
				  .opslimit = 1,
				  .memlimit = 8192 };
	char id[STORE_ID_SIZE];

	fuzz_require(st->ops->tx->begin(st) == STORE_OK, "begin");
	fuzz_require(st->ops->unit->insert(st, q.unit_id, "Adult") == STORE_OK, "unit_insert");
	fuzz_require(st->ops->queue->insert(st, &q) == STORE_OK, "queue_insert");
	fuzz_require(st->ops->identity->citizen_get_or_create(
			     st, citizen_hash, "0000000000000000000000000000000a", 1, id) == STORE_OK,
		     "citizen_get_or_create");
	add_session("0000000000000000000000000000000a", ROLE_CITIZEN, citizen_hash);
	fuzz_require(st->ops->staff->worker_insert(st, &w, 1) == STORE_OK, "worker_insert");
	fuzz_require(st->ops->staff->membership_add(st, w.user_id, q.unit_id, ROLE_WORKER) == STORE_OK,
		     "membership_add");
	add_session(w.user_id, ROLE_WORKER, worker_hash);
	fuzz_require(st->ops->tx->commit(st) == STORE_OK, "commit");
}

/* One message from the session `hash` through the core, in a transaction that is rolled
 * back; returns the rendered reply (the caller frees it). */
static struct core_reply *run_as(const uint8_t hash[STORE_HASH_BYTES], const uint8_t *data, size_t size)
{
	struct core_request *req = core_request_new(CORE_REQ_MESSAGE, 1, (const char *)data, size);
	struct core_reply *rep = calloc(1, sizeof *rep);

	if (req == NULL || rep == NULL || st->ops->tx->begin(st) != STORE_OK)
		abort();
	req->has_session = 1;
	req->now_ms = 500;
	memcpy(req->session_hash, hash, STORE_HASH_BYTES);
	core_handle(core, req, rep);
	core_reply_render(rep);
	st->ops->tx->rollback(st);
	free(req);
	return rep;
}

/* Both sessions must work (a thread list is answered "ok"): otherwise every input would meet
 * "session ended" and the fuzzing and the replay of the corpus would test nothing. */
static void setup_probe(const uint8_t hash[STORE_HASH_BYTES], const char *who)
{
	static const char list[] = "{\"type\":\"thread.list\",\"id\":\"probe\"}";
	struct core_reply *rep = run_as(hash, (const uint8_t *)list, sizeof list - 1);
	json_t *reply = rep->json ? json_loads(rep->json, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(reply, "type"));
	int ok = type != NULL && strcmp(type, "ok") == 0;

	if (!ok)
		fprintf(stderr, "%s's thread list: %s\n", who, rep->json ? rep->json : "(none)");
	fuzz_require(ok, "a session does not work");
	json_decref(reply);
	core_reply_free(rep);
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
	char err[256];

	fuzz_require(sodium_init() >= 0, "sodium_init");
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	fuzz_require(schema != NULL, err);
	st = store_sqlite_open(":memory:", STORE_READWRITE);
	fuzz_require(st != NULL, "store_sqlite_open");
	cc.schema = schema;
	core = core_new(st, &cc);
	fuzz_require(core != NULL, "core_new");
	setup_rows();
	setup_probe(citizen_hash, "the citizen");
	setup_probe(worker_hash, "the worker");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (core == NULL)
		setup();
	if (size > 70000)
		return 0;
	core_reply_free(run_as(citizen_hash, data, size));
	core_reply_free(run_as(worker_hash, data, size));
	return 0;
}
