/*
 * test_chunk_writer.c - attachment chunks through the core thread and the chunk writer
 * (dispatch.c, chunk_writer.c): a small message is answered while chunks wait at the writer;
 * a chunk is acknowledged only once its bytes are in the file and its row counts it; a chunk
 * the writer could not store is answered "unavailable" in its file.chunk event, and so is the
 * chunk on its way behind it, until the upload resumes from file.status; stopping answers and
 * records every chunk the writer holds.
 *
 * The writer is held by a FIFO in place of the part file: its open waits for a reader, and
 * once the test opens the FIFO, the write fails (a FIFO cannot be written at an offset).
 */
#include <fcntl.h>
#include <pthread.h>
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
#include "corefix.h"
#include "dispatch.h"

#define CITIZEN "010594Y9032"
#define FID	"0123456789abcdef0123456789abcdef"

static const struct schema *fx_schema; /* the fixture's, for the events' checks */

struct waker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int woken;
};

static void wake(void *arg)
{
	struct waker *w = arg;

	pthread_mutex_lock(&w->lock);
	w->woken++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Collects replies until `n` have arrived; returns them in order in `out`. */
static void collect(struct dispatch *d, struct waker *wk, struct core_reply **out, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct core_reply *r;

		pthread_mutex_lock(&wk->lock);
		while (wk->woken == 0)
			pthread_cond_wait(&wk->cond, &wk->lock);
		wk->woken = 0;
		pthread_mutex_unlock(&wk->lock);
		for (r = dispatch_take(d); r != NULL; r = r->next) {
			assert_true(got < n);
			out[got++] = r;
		}
	}
}

static void free_replies(struct core_reply **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		core_reply_free(r[i]);
}

static struct core_request *from(struct corefix *fx, const struct who *w, struct core_request *r)
{
	assert_non_null(r);
	r->now_ms = fx->now;
	r->has_session = 1;
	memcpy(r->session_hash, w->hash, STORE_HASH_BYTES);
	return r;
}

/* A text request of `w` on connection `conn`. */
static struct core_request *message(struct corefix *fx, const struct who *w, uint64_t conn, const char *text)
{
	return from(fx, w, core_request_new(CORE_REQ_MESSAGE, conn, text, strlen(text)));
}

/* Chunk `index` of FID, `len` bytes of ciphertext, each byte the index plus one. */
static struct core_request *chunk(struct corefix *fx, const struct who *w, uint64_t conn, uint32_t index,
				  size_t len)
{
	uint8_t *m = malloc(24 + len);
	struct core_request *r;

	assert_non_null(m);
	memcpy(m, "QC\x01\x00", 4);
	advice_unhex(m + 4, 16, FID);
	for (int i = 0; i < 4; i++)
		m[20 + i] = (uint8_t)(index >> (8 * i));
	memset(m + 24, (int)index + 1, len);
	r = from(fx, w, core_request_new(CORE_REQ_CHUNK, conn, (const char *)m, 24 + len));
	free(m);
	return r;
}

/* The "code" of a file.chunk event (static buffer). */
static const char *event_code(const struct core_reply *r)
{
	static char code[32];
	json_t *ev = json_loads(r->json, 0, NULL);
	char why[256], field[96];

	assert_non_null(ev);
	assert_int_equal(
		schema_check_def(fx_schema, "event.file.chunk", ev, why, sizeof why, field, sizeof field),
		ADVICE_OK);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "file.chunk");
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(ev, "code")));
	json_decref(ev);
	return code;
}

/* A core with a blob folder, a citizen, a thread and an upload of FID of `size` bytes begun. */
static void upload_begun(struct corefix *fx, struct who *c, char thread[STORE_ID_SIZE], long long size)
{
	struct core_config cc = fx->cc;
	json_t *r;

	fx_schema = fx->schema;
	snprintf(cc.blob_dir, sizeof cc.blob_dir, "%s/blobs", fx->dir);
	core_free(fx->core);
	assert_non_null(fx->core = core_new(fx->st, &cc));
	assert_int_equal(mkdir(cc.blob_dir, 0700), 0);
	corefix_login_citizen(fx, CITIZEN, c);
	r = corefix_ws(fx, c,
		       "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
		       "\"body\":\"AAAA\"}");
	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	r = corefix_ws(fx, c,
		       "{\"type\":\"file.begin\",\"id\":\"b1\",\"thread\":\"%s\",\"file\":\"" FID
		       "\",\"size\":%lld}",
		       thread, size);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

static void blob_path(struct corefix *fx, const char *suffix, char *out, size_t size)
{
	snprintf(out, size, "%s/blobs/%s%s", fx->dir, FID, suffix);
}

/* Whether the file at `path` holds `len` bytes of `byte` at `offset`. */
static int holds(const char *path, off_t offset, size_t len, int byte)
{
	uint8_t *buf = malloc(len);
	int fd = open(path, O_RDONLY), ok;

	assert_non_null(buf);
	assert_true(fd >= 0);
	ok = pread(fd, buf, len, offset) == (ssize_t)len;
	for (size_t i = 0; ok && i < len; i++)
		ok = buf[i] == byte;
	close(fd);
	free(buf);
	return ok;
}

static void test_small_message_passes_chunks_at_the_writer(void **state)
{
	struct corefix *fx = *state;
	struct waker wk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct core_reply *r[4];
	struct who c;
	char thread[STORE_ID_SIZE], part[400], done[400], text[256];
	struct dispatch *d;
	struct stat sb;
	int fifo;

	upload_begun(fx, &c, thread, 65546); /* two chunks: 65553 and 27 bytes */
	blob_path(fx, ".part", part, sizeof part);
	blob_path(fx, "", done, sizeof done);
	assert_int_equal(mkfifo(part, 0600), 0);
	assert_non_null(d = dispatch_start(fx->core, fx->st, 100, wake, &wk));
	/* Both chunks pass the core's check and wait at the writer, whose open waits on the FIFO. */
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 1, 0, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 2, 1, 27)), 0);
	snprintf(text, sizeof text,
		 "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"AAAA\"}", thread);
	assert_int_equal(dispatch_submit(d, message(fx, &c, 3, text)), 0);
	collect(d, &wk, r, 1);
	assert_int_equal(r[0]->conn_id, 3);
	assert_non_null(strstr(r[0]->json, "\"type\":\"ok\""));
	assert_int_equal(dispatch_pending(d), 2); /* the chunks: not answered while not on disk */
	free_replies(r, 1);
	/* The writer's open returns; its write fails: both chunks are refused, nothing is counted. */
	assert_true((fifo = open(part, O_RDONLY | O_NONBLOCK)) >= 0);
	collect(d, &wk, r, 2);
	assert_int_equal(r[0]->conn_id, 1);
	assert_string_equal(event_code(r[0]), "unavailable");
	assert_int_equal(r[1]->conn_id, 2);
	assert_string_equal(event_code(r[1]), "unavailable");
	free_replies(r, 2);
	close(fifo);
	assert_int_equal(unlink(part), 0);
	/* Resumed from file.status: each chunk is answered once its bytes are in the file and its
	 * row counts it. */
	assert_int_equal(
		dispatch_submit(d, message(fx, &c, 4,
					   "{\"type\":\"file.status\",\"id\":\"s1\",\"file\":\"" FID "\"}")),
		0);
	collect(d, &wk, r, 1);
	assert_non_null(strstr(r[0]->json, "\"received\":0"));
	free_replies(r, 1);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 1, 0, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	collect(d, &wk, r, 1);
	assert_string_equal(event_code(r[0]), "ok");
	assert_non_null(strstr(r[0]->json, "\"received\":1"));
	assert_true(holds(part, 0, ADVICE_FILE_CHUNK_MAX_CIPHER, 1));
	free_replies(r, 1);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 2, 1, 27)), 0);
	collect(d, &wk, r, 1);
	assert_string_equal(event_code(r[0]), "ok");
	assert_non_null(strstr(r[0]->json, "\"complete\":true"));
	free_replies(r, 1);
	assert_int_equal(stat(done, &sb), 0); /* renamed before the acknowledgement */
	assert_int_equal(sb.st_size, ADVICE_FILE_CHUNK_MAX_CIPHER + 27);
	assert_true(holds(done, ADVICE_FILE_CHUNK_MAX_CIPHER, 27, 2));
	assert_int_not_equal(stat(part, &sb), 0);
	assert_int_equal(dispatch_pending(d), 0);
	dispatch_stop(d);
}

/* A resend of a chunk on its way is answered after it, and a chunk ahead of the next expected
 * one (counting those on their way) is a conflict. */
static void test_pipelined_resend_and_gap(void **state)
{
	struct corefix *fx = *state;
	struct waker wk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct core_reply *r[4];
	struct who c;
	char thread[STORE_ID_SIZE];
	struct dispatch *d;

	upload_begun(fx, &c, thread, 3 * 65536); /* three full chunks */
	assert_non_null(d = dispatch_start(fx->core, fx->st, 100, wake, &wk));
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 1, 0, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 2, 0, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 3, 2, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 4, 1, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	collect(d, &wk, r, 4);
	for (int i = 0; i < 4; i++) {
		switch (r[i]->conn_id) {
		case 3: assert_string_equal(event_code(r[i]), "conflict"); break;
		default: assert_string_equal(event_code(r[i]), "ok"); break;
		}
	}
	free_replies(r, 4);
	dispatch_stop(d);
}

/* Stopping waits for the chunks at the writer, records them and commits. */
static void test_stop_records_chunks_at_the_writer(void **state)
{
	struct corefix *fx = *state;
	struct who c;
	char thread[STORE_ID_SIZE], done[400];
	struct store_file f;
	struct dispatch *d;
	struct stat sb;

	upload_begun(fx, &c, thread, 2 * 65536 + 10); /* three chunks */
	assert_non_null(d = dispatch_start(fx->core, fx->st, 100, NULL, NULL));
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 1, 0, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 1, 1, ADVICE_FILE_CHUNK_MAX_CIPHER)), 0);
	assert_int_equal(dispatch_submit(d, chunk(fx, &c, 1, 2, 27)), 0);
	dispatch_stop(d);
	assert_int_equal(fx->st->ops->file->get(fx->st, FID, &f), STORE_OK);
	assert_int_equal(f.received, 3);
	assert_true(f.complete);
	blob_path(fx, "", done, sizeof done);
	assert_int_equal(stat(done, &sb), 0);
	assert_int_equal(sb.st_size, 2 * ADVICE_FILE_CHUNK_MAX_CIPHER + 27);
	assert_true(holds(done, ADVICE_FILE_CHUNK_MAX_CIPHER, ADVICE_FILE_CHUNK_MAX_CIPHER, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_message_passes_chunks_at_the_writer, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_resend_and_gap, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_stop_records_chunks_at_the_writer, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
