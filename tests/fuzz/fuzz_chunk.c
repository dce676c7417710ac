/*
 * fuzz_chunk.c - libFuzzer target: arbitrary bytes as a binary WebSocket message (an
 * attachment chunk) to the core, from a citizen who has begun an upload of a two-chunk file,
 * on an in-memory store with a blob folder under /tmp. Each input runs in a transaction that
 * is rolled back: the core's check, the chunk writer's write (on this thread) and the record. Traps when the
 * reply is not one file.chunk event. Setup checks itself (its first chunk must be stored) and aborts when it
 * fails.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_crypto.h"
#include "chunk_writer.h"
#include "core.h"
#include "schema.h"
#include "store.h"
#include "token.h"

#include "fuzz_require.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CITIZEN		   "0000000000000000000000000000000a"
#define THREAD		   "000000000000000000000000000000f1"
#define FILE_ID		   "0123456789abcdef0123456789abcdef"
#define CHUNK_HEADER_BYTES 24 /* "QC", version 1, 0, file id (16), index (4, little-endian) */

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

/* The rows an upload needs: unit, queue, citizen with a session, thread, a two-chunk file. */
static void setup_rows(void)
{
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
	char id[STORE_ID_SIZE];

	memcpy(s.hash, citizen_hash, sizeof s.hash);
	fuzz_require(st->ops->tx->begin(st) == STORE_OK, "begin");
	fuzz_require(st->ops->unit->insert(st, q.unit_id, "Adult") == STORE_OK, "unit_insert");
	fuzz_require(st->ops->queue->insert(st, &q) == STORE_OK, "queue_insert");
	fuzz_require(st->ops->identity->citizen_get_or_create(st, citizen_hash, CITIZEN, 1, id) == STORE_OK &&
			     strcmp(id, CITIZEN) == 0,
		     "citizen_get_or_create");
	fuzz_require(st->ops->session->insert(st, &s) == STORE_OK, "session_insert");
	fuzz_require(st->ops->thread->insert(st, &t) == STORE_OK, "thread_insert");
	fuzz_require(st->ops->file->put(st, &f) == STORE_OK, "e2e_file_put");
	fuzz_require(st->ops->tx->commit(st) == STORE_OK, "commit");
}

/* One chunk message from the citizen through the core, in a transaction that is rolled back.
 * Returns core_handle's result; the reply (the caller frees it) is in *rep. */
static int chunk_run(const uint8_t *data, size_t size, struct core_reply **rep)
{
	struct core_request *req = core_request_new(CORE_REQ_CHUNK, 1, (const char *)data, size);
	int rc;

	*rep = calloc(1, sizeof **rep);
	if (req == NULL || *rep == NULL)
		abort();
	req->has_session = 1;
	req->now_ms = 500;
	memcpy(req->session_hash, citizen_hash, STORE_HASH_BYTES);
	if (st->ops->tx->begin(st) != STORE_OK)
		abort();
	rc = core_handle(core, req, *rep);
	if (rc == 0 && (*rep)->chunk.step != CHUNK_NEW) { /* on to the writer, then recorded */
		req->chunk = (*rep)->chunk;
		chunk_writer_write(blob_dir, &req, 1);
		core_reply_free(*rep);
		if ((*rep = calloc(1, sizeof **rep)) == NULL)
			abort();
		rc = core_chunk_record(core, req, *rep);
	}
	st->ops->tx->rollback(st);
	free(req);
	return rc;
}

/* The first chunk of the file must be stored ("ok", 1 received): otherwise every input would
 * meet a refusal and the fuzzing and the replay of the corpus would test nothing. */
static void setup_probe(void)
{
	static uint8_t msg[CHUNK_HEADER_BYTES + ADVICE_FILE_CHUNK_MAX_CIPHER]; /* index 0 */
	struct core_reply *rep;
	json_t *reply = NULL;
	const char *code;
	int stored;

	memcpy(msg, "QC\x01\x00", 4);
	sodium_hex2bin(msg + 4, ADVICE_OID_BYTES, FILE_ID, 2 * ADVICE_OID_BYTES, NULL, NULL, NULL);
	if (chunk_run(msg, sizeof msg, &rep) == 0 && rep->json != NULL)
		reply = json_loads(rep->json, 0, NULL);
	code = json_string_value(json_object_get(reply, "code"));
	stored = code != NULL && strcmp(code, "ok") == 0 &&
		 json_integer_value(json_object_get(reply, "received")) == 1;
	if (!stored)
		fprintf(stderr, "reply to the first chunk: %s\n", rep->json ? rep->json : "(none)");
	fuzz_require(stored, "the first chunk of the upload was not stored");
	json_decref(reply);
	core_reply_free(rep);
}

static void setup(void)
{
	static struct token_config tc;
	struct core_config cc = {
		.token = &tc, .citizen_idle_ms = 1000, .citizen_abs_ms = 1000, .test_mode = 1
	};
	char err[256];
	struct schema *schema;

	fuzz_require(sodium_init() >= 0, "sodium_init");
	fuzz_require(mkdtemp(blob_dir) != NULL, "mkdtemp");
	atexit(cleanup);
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	fuzz_require(schema != NULL, err);
	st = store_sqlite_open(":memory:", STORE_READWRITE);
	fuzz_require(st != NULL, "store_sqlite_open");
	cc.schema = schema;
	snprintf(cc.blob_dir, sizeof cc.blob_dir, "%s", blob_dir);
	core = core_new(st, &cc);
	fuzz_require(core != NULL, "core_new");
	randombytes_buf(citizen_hash, sizeof citizen_hash);
	setup_rows();
	setup_probe();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_reply *rep;

	if (core == NULL)
		setup();
	if (size > ADVICE_MAX_CHUNK_MESSAGE)
		return 0;
	if (chunk_run(data, size, &rep) == 0 &&
	    (rep->json == NULL || strstr(rep->json, "\"file.chunk\"") == NULL))
		__builtin_trap();
	core_reply_free(rep);
	return 0;
}
