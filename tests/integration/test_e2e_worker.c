/*
 * test_e2e_worker.c - the demo worker of the browser tests (tests/e2e/e2e_worker.c) against the
 * demo exactly as `advicectl init --demo --test-mode` makes it: a citizen made with libadvice
 * uploads a PDF to a prepared thread and opens the thread with a message naming it; the worker
 * (run as the browser tests run it) claims the thread, prints the question and the file's
 * type, size and SHA-256, and answers with a text and a PNG, which the citizen decrypts and
 * checks; `read` prints both messages. With a root key that is not the demo's, the worker
 * refuses (exit 1); bad arguments exit 2. The worker keeps the demo code's step it used last in
 * the data folder (e2e-worker.step), so that runs in quick succession log in without a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	 "010594Y9032"
#define QUESTION "Voinko saada toimeentulotukea?"
#define ANSWER	 "Kyllä voit hakea. Liitteenä ohje."
#define PDF_LEN	 70000

/* A PDF of PDF_LEN bytes. */
static uint8_t *pdf_plain(void)
{
	static const char head[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
	uint8_t *p = malloc(PDF_LEN);

	assert_non_null(p);
	memset(p, ' ', PDF_LEN);
	memcpy(p, head, sizeof head - 1);
	memcpy(p + PDF_LEN - 6, "%%EOF\n", 6);
	return p;
}

/* A small PNG (a 1x1 image) written to `path`. */
static void png_write(const char *path)
{
	static const uint8_t png[] = {
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
		0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
		0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
		0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
		0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
	};
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(png, 1, sizeof png, f), sizeof png);
	assert_int_equal(fclose(f), 0);
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	uint8_t h[32];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, 32);
}

/*
 * The citizen's side: a device, the unit key verified, a prepared thread, the PDF encrypted
 * and uploaded to it, the thread opened with a message that names the file, the thread key
 * wrapped to the unit and the identity.
 */
static void citizen_asks(struct itest_e2e *e, struct advice_conn *k, struct advice_keys *id,
			 struct advice_keys *dev, char thread[33], uint8_t tkey[32], uint8_t share[32])
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t *plain = pdf_plain(), *env = malloc(ADVICE_ENVELOPE_MAX_BYTES),
		ct[ADVICE_FILE_CHUNK_MAX_CIPHER], content[512], mkey[32];
	uint64_t chunks = advice_file_chunk_count(advice_file_padded_size(PDF_LEN));
	struct advice_file_ref f = { .size = PDF_LEN, .media = ADVICE_MEDIA_PDF };
	struct advice_envelope_hdr h = { .sender_seq = 1, .created_at = 1770000000000ULL };
	struct advice_file_stream *s;
	size_t off = 0, clen = 0, elen = 0;
	char fid[33], *body;
	json_t *r;

	itest_device_new(k, id, NULL, dev, "dev1");
	assert_int_equal(itest_unit_key(e->root_pk, k, "adult-social-work", ev, NULL), 0);
	r = itest_request(k, "ok", "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	snprintf(thread, 33, "%s", itest_str(r, "thread"));
	itest_unb64_fixed(json_object_get(r, "share"), share, 32);
	json_decref(r);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(f.file_id, 16);
	advice_random(f.key, 32);
	advice_random(f.header, 24);
	advice_hex(fid, f.file_id, 16);
	json_decref(itest_request(
		k, "ok",
		"{\"type\":\"file.begin\",\"id\":\"fb\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%llu}",
		thread, fid, (unsigned long long)advice_file_padded_size(PDF_LEN)));
	s = advice_file_stream_new(1, f.key, f.header, h.thread_id, f.file_id, PDF_LEN);
	for (uint64_t i = 0; i < chunks; i++) {
		size_t n = PDF_LEN - off < ADVICE_FILE_CHUNK_BYTES ? PDF_LEN - off : ADVICE_FILE_CHUNK_BYTES,
		       len = 0;

		assert_int_equal(advice_file_push(s, plain + off, n, i == chunks - 1, ct, &len), 0);
		off += n;
		itest_chunk_send(k, f.file_id, (uint32_t)i, ct, len, "ok");
	}
	assert_int_equal(advice_file_hash(s, f.hash), 0);
	advice_file_stream_free(s);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	advice_random(tkey, 32);
	assert_int_equal(
		advice_content_encode(content, sizeof content, &clen, &f, 1, QUESTION, strlen(QUESTION)), 0);
	advice_thread_msg_key(mkey, tkey, h.thread_id, 0, share);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, dev), 0);
	body = itest_b64(env, elen);
	json_decref(
		itest_request(k, "ok",
			      "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
			      "\"thread\":\"%s\",\"body\":\"%s\"}",
			      thread, body));
	itest_wrap_put(k, "wu", thread, ev->box_pk, tkey, dev, "ok");
	itest_wrap_put(k, "wi", thread, id->box_pk, tkey, dev, "ok");
	free(body);
	free(env);
	free(plain);
	free(ev);
}

/* Runs the worker with `args` (ending with NULL, at most 8) before which come the service's URL
 * and `datadir`. */
static void worker_run(struct itest_e2e *e, const char *datadir, const char *const args[],
		       struct itest_run *r)
{
	char *argv[12] = { getenv("E2E_WORKER"), e->h.base_url, (char *)datadir };
	int n = 3;

	assert_non_null(argv[0]);
	for (int i = 0; args[i] != NULL && n < 11; i++)
		argv[n++] = (char *)args[i];
	itest_run_argv(argv, NULL, r);
}

/* The citizen reads the answer (message 2): anna's key through thread.read's certificates,
 * chained to the demo root; the PNG decrypted and checked. Returns the PNG's size. */
static size_t citizen_reads_answer(struct itest_e2e *e, struct advice_conn *k, const char *thread,
				   const uint8_t tkey[32], const uint8_t share[32], char sha[65])
{
	uint8_t *plain = malloc(ADVICE_ENVELOPE_MAX_BYTES), *env, mkey[32], tid[16], pk[32][32],
		*out = malloc(ADVICE_FILE_CHUNK_BYTES), *png = malloc(4096);
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_envelope_hdr h;
	struct advice_file_stream *s;
	struct itest_reader rd;
	size_t len = 0, plen = 0, n = 0, tlen = 0, off = 0;
	const uint8_t *text;
	int verdicts[4], final = 0;
	char fid[33];
	json_t *r;

	itest_reader_init(&rd, e->root_pk, thread);
	r = itest_request(k, "ok", "{\"type\":\"thread.keys\",\"id\":\"ck\",\"thread\":\"%s\"}", thread);
	itest_reader_keys(&rd, r);
	json_decref(r);
	r = itest_request(k, "ok", "{\"type\":\"thread.read\",\"id\":\"cr\",\"thread\":\"%s\"}", thread);
	assert_int_equal(itest_reader_feed(&rd, r, verdicts, pk, 4), 2);
	assert_int_equal(verdicts[1], ADVICE_THREAD_OK);
	env = itest_unb64(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"), &len);
	json_decref(r);
	advice_unhex(tid, 16, thread);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	assert_int_equal(
		advice_envelope_open(plain, ADVICE_ENVELOPE_MAX_BYTES, &plen, &h, env, len, tid, mkey, pk[1]),
		0);
	assert_int_equal(advice_content_decode(plain, plen, files, &n, &text, &tlen), 0);
	assert_int_equal(tlen, strlen(ANSWER));
	assert_memory_equal(text, ANSWER, tlen);
	assert_int_equal(n, 1);
	assert_int_equal(files[0].media, ADVICE_MEDIA_PNG);
	advice_hex(fid, files[0].file_id, 16);
	s = advice_file_stream_new(0, files[0].key, files[0].header, tid, files[0].file_id, files[0].size);
	for (long i = 0; !final; i++) {
		size_t clen = 0, got = 0;
		uint8_t *ct;

		r = itest_request(k, "ok",
				  "{\"type\":\"file.get\",\"id\":\"cg%ld\",\"file\":\"%s\",\"index\":%ld}", i,
				  fid, i);
		ct = itest_unb64(json_object_get(r, "chunk"), &clen);
		json_decref(r);
		assert_int_equal(advice_file_pull(s, ct, clen, out, &got, &final), 0);
		assert_true(off + got <= 4096);
		memcpy(png + off, out, got);
		off += got;
		free(ct);
	}
	assert_int_equal(advice_file_hash(s, h.prev_hash), 0);
	assert_memory_equal(h.prev_hash, files[0].hash, 32);
	assert_int_equal(advice_media_sniff(png, off), ADVICE_MEDIA_PNG);
	sha256_hex(png, off, sha);
	advice_file_stream_free(s);
	itest_reader_free(&rd);
	free(plain);
	free(env);
	free(out);
	free(png);
	return off;
}

static void test_worker_reads_and_answers(void **state)
{
	struct itest_e2e *e = *state;
	struct advice_conn *cit = itest_citizen(&e->h, CITIZEN);
	struct advice_keys id = { 0 }, dev;
	uint8_t tkey[32], share[32], *pdf = pdf_plain();
	char thread[33], png[400], sha[65], sha_png[65];
	struct itest_run run;
	json_t *out, *m, *f;
	size_t png_len;

	citizen_asks(e, cit, &id, &dev, thread, tkey, share);
	snprintf(png, sizeof png, "%s/answer.png", e->h.dir);
	png_write(png);
	worker_run(e, e->h.dir, (const char *const[]){ "answer", "--text", ANSWER, "--file", png, NULL },
		   &run);
	if (run.status != 0)
		fail_msg("e2e_worker answer: %d: %s", run.status, run.err);
	out = json_loads(run.out, 0, NULL);
	assert_non_null(out);
	assert_string_equal(itest_str(out, "thread"), thread);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 1);
	m = json_array_get(json_object_get(out, "messages"), 0);
	assert_string_equal(itest_str(m, "text"), QUESTION);
	assert_string_equal(itest_str(m, "role"), "citizen");
	f = json_array_get(json_object_get(m, "files"), 0);
	assert_string_equal(itest_str(f, "media"), "application/pdf");
	assert_int_equal(itest_num(f, "size"), PDF_LEN);
	sha256_hex(pdf, PDF_LEN, sha);
	assert_string_equal(itest_str(f, "sha256"), sha);
	assert_int_equal(itest_num(json_object_get(out, "answer"), "seq"), 2);
	json_decref(out);
	itest_run_free(&run);

	png_len = citizen_reads_answer(e, cit, thread, tkey, share, sha_png);

	/* read: both messages, the answer's file as the citizen got it. */
	worker_run(e, e->h.dir, (const char *const[]){ "read", thread, NULL }, &run);
	if (run.status != 0)
		fail_msg("e2e_worker read: %d: %s", run.status, run.err);
	out = json_loads(run.out, 0, NULL);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 2);
	m = json_array_get(json_object_get(out, "messages"), 1);
	assert_string_equal(itest_str(m, "role"), "staff");
	assert_string_equal(itest_str(m, "text"), ANSWER);
	f = json_array_get(json_object_get(m, "files"), 0);
	assert_string_equal(itest_str(f, "media"), "image/png");
	assert_int_equal(itest_num(f, "size"), (json_int_t)png_len);
	assert_string_equal(itest_str(f, "sha256"), sha_png);
	assert_null(json_object_get(out, "answer"));
	json_decref(out);
	itest_run_free(&run);
	free(pdf);
	advice_conn_free(cit);
}

/* A root key that is not the demo's: nothing verifies, the worker fails (and says why). */
static void test_worker_refuses_another_root(void **state)
{
	struct itest_e2e *e = *state;
	char dir[400], path[450], *b64;
	uint8_t pk[32];
	struct itest_run run;
	FILE *f;

	snprintf(dir, sizeof dir, "%s/other-root", e->h.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/root.pub", dir);
	advice_random(pk, 32);
	b64 = itest_b64(pk, 32);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", b64);
	fclose(f);
	free(b64);
	/* The demo code's step used last goes along (a code is good once per account). */
	{
		char from[450], step[32] = "";
		FILE *in;

		snprintf(from, sizeof from, "%s/e2e-worker.step", e->h.dir);
		snprintf(path, sizeof path, "%s/e2e-worker.step", dir);
		in = fopen(from, "r");
		assert_non_null(in);
		assert_non_null(fgets(step, sizeof step, in));
		fclose(in);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(step, f);
		fclose(f);
	}
	worker_run(e, dir, (const char *const[]){ "read", "0123456789abcdef0123456789abcdef", NULL }, &run);
	assert_int_equal(run.status, 1);
	if (strstr(run.err, "demo root") == NULL)
		fail_msg("e2e_worker: %s", run.err);
	itest_run_free(&run);
	worker_run(e, dir, (const char *const[]){ "answer", "--colour", NULL }, &run);
	assert_int_equal(run.status, 2);
	assert_non_null(strstr(run.err, "usage"));
	itest_run_free(&run);
}

static int setup(void **state)
{
	struct itest_e2e *e = calloc(1, sizeof *e);

	if (e == NULL || advice_crypto_init() != 0)
		return -1;
	if (harness_start_demo(&e->h) != 0) {
		harness_stop(&e->h);
		free(e);
		return -1;
	}
	itest_demo_root_pk(e->h.dir, e->root_pk);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct itest_e2e *e = *state;
	int rc = harness_stop(&e->h);

	free(e);
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_reads_and_answers),
		cmocka_unit_test(test_worker_refuses_another_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
