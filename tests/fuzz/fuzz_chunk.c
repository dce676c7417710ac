/*
 * fuzz_chunk.c - libFuzzer target: arbitrary bytes as a binary WebSocket message (an
 * attachment chunk) to the core, from a citizen who has begun an upload of a two-chunk file,
 * on an in-memory store with a blob folder under /tmp. Each input runs in a transaction that
 * is rolled back. Traps when the reply is not one file.chunk event.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <sodium.h>

#include "core.h"
#include "schema.h"
#include "store.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CITIZEN "0000000000000000000000000000000a"
#define THREAD	"000000000000000000000000000000f1"
#define FILE_ID "0123456789abcdef0123456789abcdef"

static char blob_dir[64] = "/tmp/advice-fuzz-chunk-XXXXXX";
static struct store *st;
static struct core *core;
static uint8_t citizen_hash[STORE_HASH_BYTES];

/* Removes the blob folder at exit (its files are the chunks written by inputs). */
static void cleanup(void)
{
	char path[400];
	struct dirent *e;
	DIR *d = opendir(blob_dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", blob_dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(blob_dir);
}

static void setup(void)
{
	static struct token_config tc;
	struct core_config cc = {
		.token = &tc, .citizen_idle_ms = 1000, .citizen_abs_ms = 1000, .test_mode = 1
	};
	struct store_queue q = { .id = "00000000000000000000000000000011",
				 .unit_id = "00000000000000000000000000000001",
				 .category = "adult-social-work",
				 .name = "Adult" };
	struct store_session s = { .role = ROLE_CITIZEN,
				   .created = 1,
				   .last_seen = 1,
				   .idle_ms = INT64_MAX / 4,
				   .expires = INT64_MAX / 2,
				   .user_id = CITIZEN };
	struct store_thread t = { .id = THREAD,
				  .citizen_id = CITIZEN,
				  .queue_id = "00000000000000000000000000000011",
				  .created = 1,
				  .updated = 1,
				  .last_seq = 0 };
	struct store_file f = {
		.id = FILE_ID, .thread_id = THREAD, .owner_id = CITIZEN, .size = 65546, .chunks = 2
	};
	char err[256];
	struct schema *schema;

	if (sodium_init() < 0 || mkdtemp(blob_dir) == NULL)
		abort();
	atexit(cleanup);
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	st = store_sqlite_open(":memory:", STORE_READWRITE);
	if (schema == NULL || st == NULL)
		abort();
	cc.schema = schema;
	snprintf(cc.blob_dir, sizeof cc.blob_dir, "%s", blob_dir);
	core = core_new(st, &cc);
	randombytes_buf(citizen_hash, sizeof citizen_hash);
	memcpy(s.hash, citizen_hash, sizeof s.hash);
	st->ops->begin(st);
	st->ops->unit_insert(st, q.unit_id, "Adult");
	st->ops->queue_insert(st, &q);
	st->ops->citizen_get_or_create(st, citizen_hash, CITIZEN, 1, err);
	st->ops->session_insert(st, &s);
	st->ops->thread_insert(st, &t);
	st->ops->e2e_file_put(st, &f);
	st->ops->commit(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_request *req;
	struct core_reply *rep;

	if (core == NULL)
		setup();
	if (size > ADVICE_MAX_CHUNK_MESSAGE)
		return 0;
	req = core_request_new(CORE_REQ_CHUNK, 1, (const char *)data, size);
	rep = calloc(1, sizeof *rep);
	if (req == NULL || rep == NULL)
		abort();
	req->has_session = 1;
	req->now_ms = 500;
	memcpy(req->session_hash, citizen_hash, STORE_HASH_BYTES);
	st->ops->begin(st);
	if (core_handle(core, req, rep) == 0 &&
	    (rep->json == NULL || strstr(rep->json, "\"file.chunk\"") == NULL))
		__builtin_trap();
	core_batch_sync(core, 0);
	st->ops->rollback(st);
	core_reply_free(rep);
	free(req);
	return 0;
}
