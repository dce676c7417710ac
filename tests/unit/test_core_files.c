/*
 * test_core_files.c - unit tests of core_files.c over a real SQLite file and blob folder:
 * uploads in order with every refusal (no begin, out of order, wrong size, another user's
 * upload, closed thread, quotas), resend after a lost acknowledgement, the blob synced and
 * renamed when complete, downloads only of complete files by readers of the thread (logged
 * for staff), attachments off without a blob folder, and uploads to a prepared thread before
 * it is opened (only its citizen's; purged with it when dropped unopened or shredded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "advice_crypto.h"
#include "chunk_writer.h"
#include "corefix.h"

#define CITIZEN_A "010594Y9032"
#define CITIZEN_B "020594X903P"
#define FID	  "0123456789abcdef0123456789abcdef"

/* Switches the fixture's core to one with a blob folder inside the fixture's folder. */
static void with_blobs(struct corefix *fx)
{
	struct core_config cc = fx->cc;

	snprintf(cc.blob_dir, sizeof cc.blob_dir, "%s/blobs", fx->dir);
	core_free(fx->core);
	fx->core = core_new(fx->st, &cc);
	assert_non_null(fx->core);
}

/* What dispatch does with a chunk the core handed on: the chunk writer writes it (here on
 * this thread), the core records it in a batch of its own. Frees `rep`; the new reply. */
static struct core_reply *chunk_write_and_record(struct corefix *fx, struct core_request *req,
						 struct core_reply *rep)
{
	req->chunk = rep->chunk;
	core_reply_free(rep);
	chunk_writer_write(core_blob_dir(fx->core), &req, 1);
	assert_non_null(rep = calloc(1, sizeof *rep));
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(core_chunk_record(fx->core, req, rep), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	return rep;
}

/* Sends one chunk message; returns the file.chunk event's code (static buffer). */
static const char *chunk_magic(struct corefix *fx, const struct who *w, const char *magic, const char *fid,
			       uint32_t index, size_t len)
{
	static char code[32];
	uint8_t *m = calloc(1, 24 + len);
	struct core_request *req;
	struct core_reply *rep = calloc(1, sizeof *rep);
	json_t *ev;
	char why[256], field[96];

	memcpy(m, magic, 4);
	advice_unhex(m + 4, 16, fid);
	for (int i = 0; i < 4; i++)
		m[20 + i] = (uint8_t)(index >> (8 * i));
	req = core_request_new(CORE_REQ_CHUNK, 1, (const char *)m, 24 + len);
	req->now_ms = fx->now;
	req->has_session = 1;
	memcpy(req->session_hash, w->hash, STORE_HASH_BYTES);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	if (rep->chunk.step != CHUNK_NEW) /* on to the chunk writer, then recorded */
		rep = chunk_write_and_record(fx, req, rep);
	ev = json_loads(rep->json, 0, NULL);
	assert_non_null(ev);
	assert_int_equal(
		schema_check_def(fx->schema, "event.file.chunk", ev, why, sizeof why, field, sizeof field),
		ADVICE_OK);
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(ev, "code")));
	json_decref(ev);
	core_reply_free(rep);
	free(req);
	free(m);
	return code;
}

static const char *chunk(struct corefix *fx, const struct who *w, const char *fid, uint32_t index, size_t len)
{
	return chunk_magic(fx, w, "QC\x01\x00", fid, index, len);
}

static void open_thread(struct corefix *fx, const struct who *c, char thread[STORE_ID_SIZE])
{
	static int n;
	json_t *r = corefix_ws(fx, c,
			       "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"adult-social-work\","
			       "\"body\":\"AAAA\"}",
			       ++n);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
}

static const char *begin(struct corefix *fx, const struct who *w, const char *rid, const char *thread,
			 const char *fid, long long size)
{
	static char code[32];
	json_t *r = corefix_ws(
		fx, w,
		"{\"type\":\"file.begin\",\"id\":\"%s\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%lld}",
		rid, thread, fid, size);

	snprintf(code, sizeof code, "%s", corefix_code(r));
	json_decref(r);
	return code;
}

static void test_upload_and_download(void **state)
{
	struct corefix *fx = *state;
	struct who a, b, anna, ben;
	char thread[STORE_ID_SIZE], path[400];
	struct store_audit last;
	struct stat sb;
	int64_t rows;
	json_t *r;

	with_blobs(fx);
	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "ben", &ben);
	open_thread(fx, &a, thread);
	/* 65536 + 10 plaintext bytes: two chunks, 65553 and 27 bytes of ciphertext. */
	assert_string_equal(chunk(fx, &a, FID, 0, ADVICE_FILE_CHUNK_MAX_CIPHER), "not_found"); /* no begin */
	assert_string_equal(begin(fx, &b, "x0", thread, FID, 65546), "not_found"); /* not b's thread */
	assert_string_equal(begin(fx, &a, "b1", thread, FID, 65546), "ok");
	assert_string_equal(begin(fx, &b, "x1", thread, FID, 65546), "not_found");
	assert_string_equal(begin(fx, &a, "b2", thread, FID, 65547), "conflict"); /* same id, other size */
	assert_string_equal(chunk(fx, &a, FID, 1, 27), "conflict");		  /* out of order */
	assert_string_equal(chunk(fx, &a, FID, 0, 100), "bad_request");		  /* wrong size */
	assert_string_equal(chunk(fx, &b, FID, 0, ADVICE_FILE_CHUNK_MAX_CIPHER), "not_found"); /* not b's */
	assert_string_equal(chunk(fx, &a, FID, 0, ADVICE_FILE_CHUNK_MAX_CIPHER), "ok");
	assert_string_equal(chunk(fx, &a, FID, 0, ADVICE_FILE_CHUNK_MAX_CIPHER), "ok"); /* resend */
	snprintf(path, sizeof path, "%s/blobs/%s.part", fx->dir, FID);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, ADVICE_FILE_CHUNK_MAX_CIPHER);
	assert_int_equal(sb.st_mode & 077, 0);
	/* Not readable before it is complete. */
	r = corefix_ws(fx, &a, "{\"type\":\"file.get\",\"id\":\"g0\",\"file\":\"%s\",\"index\":0}", FID);
	assert_string_equal(corefix_code(r), "conflict");
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"file.status\",\"id\":\"s1\",\"file\":\"%s\"}", FID);
	assert_int_equal(json_integer_value(json_object_get(r, "received")), 1);
	json_decref(r);
	assert_string_equal(chunk(fx, &a, FID, 1, 27), "ok");
	snprintf(path, sizeof path, "%s/blobs/%s", fx->dir, FID);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, ADVICE_FILE_CHUNK_MAX_CIPHER + 27);
	/* Readers: the owner; staff of the unit after an access-log row; not another unit. */
	r = corefix_ws(fx, &a, "{\"type\":\"file.get\",\"id\":\"g1\",\"file\":\"%s\",\"index\":1}", FID);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(strlen(json_string_value(json_object_get(r, "chunk"))), 36); /* 27 bytes */
	json_decref(r);
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &anna, "{\"type\":\"file.get\",\"id\":\"g2\",\"file\":\"%s\",\"index\":0}", FID);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "file.get");
	/* Staff of another unit: the answer of a file that does not exist. */
	r = corefix_ws(fx, &ben, "{\"type\":\"file.get\",\"id\":\"g3\",\"file\":\"%s\",\"index\":0}", FID);
	assert_string_equal(corefix_code(r), "not_found");
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/file");
	assert_string_equal(json_string_value(json_object_get(r, "message")), "no such file");
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"file.get\",\"id\":\"g4\",\"file\":\"%s\",\"index\":2}", FID);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	/* Staff may upload only as the assignee. */
	assert_string_equal(begin(fx, &anna, "w1", thread, "11111111111111111111111111111111", 10),
			    "forbidden");
	/* A message that is no chunk (another magic, another version). */
	assert_string_equal(chunk_magic(fx, &a, "QX\x01\x00", FID, 0, 27), "bad_request");
	assert_string_equal(chunk_magic(fx, &a, "QC\x02\x00", FID, 0, 27), "bad_request");
}

/* Files of 25 MiB (26221200 bytes of ciphertext): three fit a thread's 100 MiB, nine a
 * citizen's 250 MiB. */
static void test_quotas_and_closed(void **state)
{
	struct corefix *fx = *state;
	struct who a;
	char thread[STORE_ID_SIZE], fid[64], rid[32];
	json_t *r;

	with_blobs(fx);
	corefix_login_citizen(fx, CITIZEN_A, &a);
	open_thread(fx, &a, thread);
	assert_string_equal(begin(fx, &a, "q1", thread, FID, (25LL << 20) + 1), "too_large");
	for (int t = 0; t < 3; t++) {
		if (t > 0)
			open_thread(fx, &a, thread);
		for (int i = 0; i < 3; i++) {
			snprintf(fid, sizeof fid, "%030d%d%d", 0, t + 1, i);
			snprintf(rid, sizeof rid, "c%d%d", t, i);
			assert_string_equal(begin(fx, &a, rid, thread, fid, 25LL << 20), "ok");
		}
		r = corefix_ws(
			fx, &a,
			"{\"type\":\"file.begin\",\"id\":\"t%d\",\"thread\":\"%s\",\"file\":\"%031d%d\","
			"\"size\":%lld}",
			t, thread, 0, 9, 25LL << 20);
		assert_string_equal(corefix_code(r), "too_large");
		assert_string_equal(json_string_value(json_object_get(r, "field")), "/size");
		assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "thread"));
		json_decref(r);
	}
	open_thread(fx, &a, thread);
	r = corefix_ws(
		fx, &a,
		"{\"type\":\"file.begin\",\"id\":\"u1\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%lld}",
		thread, "ffffffffffffffffffffffffffffffff", 25LL << 20);
	assert_string_equal(corefix_code(r), "too_large");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "your"));
	json_decref(r);
	assert_string_equal(begin(fx, &a, "u2", thread, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 1), "ok");
	/* A closed thread takes no uploads. */
	json_decref(
		corefix_ws(fx, &a, "{\"type\":\"thread.close\",\"id\":\"cl\",\"thread\":\"%s\"}", thread));
	assert_string_equal(begin(fx, &a, "u3", thread, "dddddddddddddddddddddddddddddddd", 1),
			    "thread_closed");
}

static void prepare(struct corefix *fx, const struct who *c, const char *rid, char thread[STORE_ID_SIZE])
{
	json_t *r = corefix_ws(fx, c, "{\"type\":\"thread.prepare\",\"id\":\"%s\"}", rid);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
}

static void tick(struct corefix *fx)
{
	int rc;

	core_reply_free(corefix_call(fx, CORE_REQ_TICK, NULL, "", &rc, NULL));
	assert_int_equal(rc, 0);
}

/* The code of file.status or file.get (index 0) of file `fid` for w (static buffer). */
static const char *file_req(struct corefix *fx, const struct who *w, const char *type, const char *fid)
{
	static char code[32];
	static int n;
	json_t *r = corefix_ws(fx, w, "{\"type\":\"%s\",\"id\":\"f%d\",\"file\":\"%s\"%s}", type, ++n, fid,
			       strcmp(type, "file.get") == 0 ? ",\"index\":0" : "");

	snprintf(code, sizeof code, "%s", corefix_code(r));
	json_decref(r);
	return code;
}

static int blob_exists(struct corefix *fx, const char *fid)
{
	char path[400];
	struct stat sb;

	snprintf(path, sizeof path, "%s/blobs/%s", fx->dir, fid);
	return stat(path, &sb) == 0;
}

/* Files uploaded to a prepared thread before thread.open: only by the citizen who prepared it,
 * counted in the quotas, read only once the thread is opened. */
static void test_prepared_thread_upload(void **state)
{
	struct corefix *fx = *state;
	struct who a, b, anna;
	char thread[STORE_ID_SIZE], fid[64], rid[32];
	json_t *r;

	with_blobs(fx);
	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	corefix_login_worker(fx, "anna", &anna);
	prepare(fx, &a, "p1", thread);
	assert_string_equal(begin(fx, &b, "x1", thread, FID, 10), "not_found"); /* not b's */
	assert_string_equal(begin(fx, &anna, "x2", thread, FID, 10), "not_found");
	assert_string_equal(begin(fx, &a, "b1", thread, FID, 10), "ok");
	assert_string_equal(chunk(fx, &b, FID, 0, 27), "not_found");
	assert_string_equal(chunk(fx, &a, FID, 0, 27), "ok");
	assert_true(blob_exists(fx, FID));
	assert_string_equal(file_req(fx, &a, "file.status", FID), "ok");
	assert_string_equal(file_req(fx, &b, "file.status", FID), "not_found");
	assert_string_equal(file_req(fx, &anna, "file.status", FID), "not_found");
	assert_string_equal(file_req(fx, &a, "file.get", FID), "not_found"); /* not opened yet */
	/* The prepared thread's files count in its quota of 100 MiB. */
	for (int i = 0; i < 4; i++) {
		snprintf(fid, sizeof fid, "%031d%d", 0, i + 1);
		snprintf(rid, sizeof rid, "q%d", i);
		assert_string_equal(begin(fx, &a, rid, thread, fid, 25LL << 20), i < 3 ? "ok" : "too_large");
	}
	/* Opened: the file is the thread's, for its readers. */
	r = corefix_ws(fx, &a,
		       "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
		       "\"body\":\"AAAA\",\"thread\":\"%s\"}",
		       thread);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_string_equal(file_req(fx, &a, "file.get", FID), "ok");
	assert_string_equal(file_req(fx, &anna, "file.get", FID), "ok");
	assert_string_equal(file_req(fx, &b, "file.get", FID), "not_found");
	tick(fx); /* opened threads keep their files */
	assert_true(blob_exists(fx, FID));
	assert_string_equal(file_req(fx, &a, "file.status", FID), "ok");
}

/* A prepared thread dropped unopened after a day, or shredded, takes its files with it. */
static void test_prepared_thread_dropped(void **state)
{
	struct corefix *fx = *state;
	const char *f2 = "22222222222222222222222222222222", *f3 = "33333333333333333333333333333333";
	char dropped[STORE_ID_SIZE], shredded[STORE_ID_SIZE], kept[STORE_ID_SIZE];
	struct who a;

	with_blobs(fx);
	corefix_login_citizen(fx, CITIZEN_A, &a);
	prepare(fx, &a, "p1", dropped);
	assert_string_equal(begin(fx, &a, "b1", dropped, FID, 10), "ok");
	assert_string_equal(chunk(fx, &a, FID, 0, 27), "ok");
	fx->now += 23 * 3600000LL;
	corefix_login_citizen(fx, CITIZEN_A, &a); /* the session ended meanwhile */
	prepare(fx, &a, "p2", shredded);
	assert_string_equal(begin(fx, &a, "b2", shredded, f2, 65546), "ok");
	assert_string_equal(chunk(fx, &a, f2, 0, ADVICE_FILE_CHUNK_MAX_CIPHER), "ok"); /* a part file */
	prepare(fx, &a, "p3", kept);
	assert_string_equal(begin(fx, &a, "b3", kept, f3, 10), "ok");
	assert_string_equal(chunk(fx, &a, f3, 0, 27), "ok");
	tick(fx); /* nothing is old yet */
	assert_true(blob_exists(fx, FID));
	assert_string_equal(file_req(fx, &a, "file.status", FID), "ok");
	/* A day after: the first prepared thread is dropped with its file. */
	fx->now += 3600000LL + 1;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->keys->share_shred(fx->st, shredded, fx->now), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	tick(fx);
	corefix_login_citizen(fx, CITIZEN_A, &a);
	assert_false(blob_exists(fx, FID));
	assert_string_equal(file_req(fx, &a, "file.status", FID), "not_found");
	assert_string_equal(begin(fx, &a, "b4", dropped, FID, 10), "not_found");
	/* The shredded one too, its part file as well. */
	assert_string_equal(file_req(fx, &a, "file.status", f2), "not_found");
	{
		char path[400];
		struct stat sb;

		snprintf(path, sizeof path, "%s/blobs/%s.part", fx->dir, f2);
		assert_int_not_equal(stat(path, &sb), 0);
	}
	assert_string_equal(begin(fx, &a, "b5", shredded, f2, 65546), "not_found");
	/* The third is kept. */
	assert_true(blob_exists(fx, f3));
	assert_string_equal(file_req(fx, &a, "file.status", f3), "ok");
}

static void test_off_without_blob_folder(void **state)
{
	struct corefix *fx = *state;
	struct who a;
	char thread[STORE_ID_SIZE];

	corefix_login_citizen(fx, CITIZEN_A, &a);
	open_thread(fx, &a, thread);
	assert_string_equal(begin(fx, &a, "u1", thread, FID, 10), "unavailable");
	assert_string_equal(chunk(fx, &a, FID, 0, 27), "unavailable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upload_and_download, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_quotas_and_closed, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_thread_upload, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_thread_dropped, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_off_without_blob_folder, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
