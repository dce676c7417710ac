/*
 * test_crash.c - the crash campaign (R: durability): rounds of kill -9 at a random moment
 * under mixed load. Four citizens pipeline messages while two others upload attachments
 * (1 KiB to 2 MiB, binary chunks with a window, paced at UPLOAD_RATE each, content derived
 * from the seed; a new thread or citizen when a quota would be exceeded).
 *
 * After each kill, before the restart, the data folder is checked: SQLite's integrity check
 * passes; there is one e2e_files row per upload and none the campaign did not begin; no row
 * is behind what the server acknowledged (chunks, completion); a complete row has its whole
 * blob and no part file. After each restart every acknowledged message is present once and
 * byte-identical (unacknowledged ones at most once); every upload the kill cut is resumed
 * from the offset file.status reports, which is never behind the last acknowledged chunk,
 * and completes; and every attachment that completed since the last check, a few earlier
 * ones at random, and at the end all of them are downloaded with file.get and compared byte
 * for byte. A second test makes the commit of an upload's last chunk fail (fault injection)
 * after the blob was completed, and checks that the resumed upload completes byte-identical.
 *
 * The campaign is a client that keeps to the session's limits as PROTOCOL.md §2.1 asks: a
 * request or chunk answered rate_limited is sent again, with its id, after retry_after, and
 * nothing new meanwhile on that connection (RATE_TRIES tries each, then the test fails).
 *
 * ADVICE_CRASH_ROUNDS sets the number of rounds (5 in the suite; deploy/dev/crash.sh runs
 * more); ADVICE_CRASH_SEED seeds the random choices (kill moments, sizes, contents), though
 * how far the load gets before each kill still depends on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define CLIENTS	 4
#define WINDOW	 8	/* requests in flight per connection */
#define MAX_SENT 200000 /* per client over the whole campaign */

#define UPLOADERS    2
#define CHUNK_WINDOW 4				  /* chunks in flight per upload */
#define CHUNK_PLAIN  ADVICE_FILE_CHUNK_BYTES	  /* plaintext bytes of a chunk */
#define CHUNK_CT     ADVICE_FILE_CHUNK_MAX_CIPHER /* stored bytes of every chunk but the last */
#define CHUNK_HEAD   24				  /* "QC", version, 0, file id, index (PROTOCOL.md §12.4) */
#define MAX_FILES    8192			  /* per uploader over the whole campaign */
#define MAX_OWNERS   64				  /* citizens that upload, over the whole campaign */
#define THREAD_QUOTA (100LL << 20)		  /* ciphertext of one thread's attachments (§12.4) */
#define OWNER_QUOTA  (250LL << 20)		  /* ciphertext one citizen may upload (§12.4) */
#define UPLOAD_RATE  (16 << 20)			  /* bytes per second per uploader during the load */
#define GET_WINDOW   8				  /* file.get requests in flight */
#define SAMPLE	     2				  /* earlier attachments downloaded again per restart */
#define RATE_TRIES   10 /* rate_limited answers to one request before the campaign gives up */

static const char *const citizens[CLIENTS] = { "010594Y9032", "020594X903P", "010516B903X", "070770-905D" };

struct client {
	char *session;
	struct advice_conn *k;
	char thread[64];
	int sent;	      /* message.send requests sent, numbered 1..sent */
	unsigned char *acked; /* acked[i]: request i was acknowledged */
	unsigned char *tries; /* tries[i]: rate_limited answers to request i */
	int inflight;
	int resend[WINDOW]; /* requests answered rate_limited, to send again with their id */
	int nresend;
	int64_t pause_until; /* no request before this (now_ms) after a rate_limited */
};

/* One attachment upload. Its file id is 0xc0 + the uploader's index, the upload's number
 * (2 bytes, big-endian) and 13 random bytes. */
struct upload {
	char id[33];
	uint8_t fid[16];
	uint64_t seed; /* the content (chunk_fill) */
	int64_t size, chunks;
	int owner;	  /* index into campaign.owners */
	int begun;	  /* the server acknowledged file.begin (or had the row after a restart) */
	int64_t sent;	  /* the next chunk index to send on the current connection */
	int64_t acked;	  /* the highest "received" the server acknowledged */
	int ack_complete; /* the final acknowledgement (complete: true) was seen */
	int complete;	  /* complete by that acknowledgement or by file.status after a restart */
	int resumed;	  /* a kill cut it after file.begin was sent */
	int verified;	  /* downloaded and compared since it completed */
	int rows;	  /* e2e_files rows seen in the last check */
};

enum upload_state {
	UP_IDLE,       /* no upload in progress: start one */
	UP_BEGIN,      /* file.begin is to be sent for the last upload */
	UP_BEGIN_WAIT, /* file.begin sent, no reply yet */
	UP_SENDING,    /* sending chunks of the last upload */
};

struct uploader {
	int owner; /* the citizen uploading now */
	struct advice_conn *k;
	char thread[64];
	int64_t thread_bytes; /* ciphertext begun in `thread` */
	struct upload *files; /* numbered 0..nfiles-1 over the whole campaign */
	int nfiles;
	enum upload_state state;
	int64_t load_bytes;  /* chunk bytes sent during the current load */
	int64_t pause_until; /* nothing sent before this (now_ms) after a rate_limited */
	int rate_tries;	     /* rate_limited answers since the last ok */
	int64_t rewound_to;  /* the first chunk answered rate_limited and not yet stored, or -1 */
};

struct owner {
	char hetu[16];
	char *session;
	int64_t bytes; /* ciphertext begun */
};

struct campaign {
	struct harness h;
	struct client cs[CLIENTS];
	struct uploader ups[UPLOADERS];
	struct owner owners[MAX_OWNERS];
	int nowners;
	uint8_t *chunk;	 /* a chunk message being sent */
	uint8_t *expect; /* the content a downloaded chunk must have */
	/* what was measured */
	long long ack_complete, completed, downloads, download_bytes, resumed_done, unseen_acks,
		uncommitted_finish;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long rate_limited_answers; /* every one the campaign met, for its summary */

/* The wait in milliseconds a `rate_limited` answer asks for (its retry_after, PROTOCOL.md
 * §2.1), or -1 for any other answer. */
static int64_t rate_limited_ms(json_t *j)
{
	json_int_t after = json_integer_value(json_object_get(j, "retry_after"));

	if (strcmp(itest_str(j, "code") ?: "", "rate_limited") != 0)
		return -1;
	rate_limited_answers++;
	return (after > 0 ? after : 1) * 1000;
}

/* Moves *until to at least `ms` from now. */
static void pause_for(int64_t *until, int64_t ms)
{
	if (now_ms() + ms > *until)
		*until = now_ms() + ms;
}

/* Sleeps until `until` (now_ms). */
static void sleep_until(int64_t until)
{
	int64_t ms = until - now_ms();

	if (ms > 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
}

/* ---- messages ---- */

/* The body of a client's request i: distinct and checkable. */
static void body_of(int client, int i, char *out, size_t len)
{
	snprintf(out, len, "Y2xpZW50%d%06d", client, i);
}

/* Sends client idx's request i (again, with the same id, after a rate_limited). */
static void send_numbered(struct client *c, int idx, int i)
{
	char req[256], body[32];

	body_of(idx, i, body, sizeof body);
	snprintf(req, sizeof req,
		 "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i, c->thread,
		 body);
	assert_int_equal(advice_send(c->k, req), 0);
	c->inflight++;
}

static void send_one(struct client *c, int idx)
{
	send_numbered(c, idx, ++c->sent);
}

/* Records a rate_limited answer to request i: it is sent again after the wait. */
static void message_rate_limited(struct client *c, int i, int64_t wait_ms)
{
	if (++c->tries[i] > RATE_TRIES)
		fail_msg("message.send m%d: still rate_limited after %d tries", i, RATE_TRIES);
	assert_true(c->nresend < WINDOW);
	c->resend[c->nresend++] = i;
	pause_for(&c->pause_until, wait_ms);
}

/* Takes one reply or event; records acknowledgements. 1, 0 when nothing came in timeout_ms,
 * or -1 when the connection is gone. */
static int take_one(struct client *c, int timeout_ms)
{
	char *text = NULL;
	json_t *j;
	const char *type, *id;
	int rc = advice_next_message(c->k, &text, timeout_ms);

	if (rc != 0)
		return rc == -ADVICE_ERR_TIMEOUT ? 0 : -1;
	j = json_loads(text, 0, NULL);
	free(text);
	type = json_string_value(json_object_get(j, "type"));
	id = json_string_value(json_object_get(j, "id"));
	if (type != NULL && id != NULL && id[0] == 'm') {
		int i = atoi(id + 1);
		int64_t wait_ms = rate_limited_ms(j);

		assert_true(i >= 1 && i <= c->sent);
		if (strcmp(type, "ok") == 0)
			c->acked[i] = 1;
		else if (wait_ms >= 0)
			message_rate_limited(c, i, wait_ms);
		c->inflight--;
	}
	json_decref(j);
	return 1;
}

static void connect_client(struct harness *h, struct client *c)
{
	c->k = harness_connect(h, c->session);
	assert_non_null(c->k);
	c->inflight = 0;
	c->nresend = 0; /* unacknowledged: a kill cut them */
	c->pause_until = 0;
}

/* Reads a client's whole thread and checks it against what was acknowledged. */
static void verify(struct client *c, int idx)
{
	unsigned char *seen = calloc((size_t)c->sent + 2, 1);
	int64_t after = 1; /* seq 1 is the opening message */
	char req[256], *reply;

	assert_non_null(seen);
	for (;;) {
		json_t *j, *m;
		size_t i, n;

		snprintf(req, sizeof req,
			 "{\"type\":\"thread.read\",\"id\":\"v%lld\",\"thread\":\"%s\",\"after_seq\":%lld,"
			 "\"limit\":100}",
			 (long long)after, c->thread, (long long)after);
		assert_int_equal(advice_request(c->k, req, &reply, HARNESS_TIMEOUT_MS), 0);
		j = json_loads(reply, 0, NULL);
		free(reply);
		n = json_array_size(json_object_get(j, "messages"));
		json_array_foreach (json_object_get(j, "messages"), i, m) {
			const char *b = json_string_value(json_object_get(m, "body"));
			char want[32];
			int k;

			assert_int_equal(json_integer_value(json_object_get(m, "seq")),
					 after + 1); /* no gap */
			after++;
			k = atoi(b + 9);
			assert_true(k >= 1 && k <= c->sent);
			body_of(idx, k, want, sizeof want);
			assert_string_equal(b, want); /* byte-identical */
			assert_int_equal(seen[k], 0); /* no duplicate */
			seen[k] = 1;
		}
		json_decref(j);
		if (n < 100)
			break;
	}
	for (int i = 1; i <= c->sent; i++)
		if (c->acked[i] && !seen[i])
			fail_msg("client %d: acknowledged message %d is missing", idx, i);
	free(seen);
}

/* ---- attachments: content, owners, threads ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The stored length of chunk `index` of `u` (every chunk but the last is full). */
static size_t chunk_len(const struct upload *u, int64_t index)
{
	if (index < u->chunks - 1)
		return CHUNK_CT;
	return (size_t)(u->size - (u->chunks - 1) * CHUNK_PLAIN) + ADVICE_FILE_CHUNK_OVERHEAD;
}

/* The ciphertext bytes of all of `u`'s chunks. */
static int64_t cipher_size(const struct upload *u)
{
	return u->size + ADVICE_FILE_CHUNK_OVERHEAD * u->chunks;
}

/* Fills `out` with chunk `index` of `u`: pseudo-random bytes from the upload's seed. (The
 * server stores ciphertext without looking into it, so any bytes do.) */
static void chunk_fill(const struct upload *u, int64_t index, uint8_t *out)
{
	uint64_t s = u->seed ^ ((uint64_t)index << 40), v;
	size_t len = chunk_len(u, index);

	for (size_t i = 0; i < len; i += 8) {
		v = splitmix(&s);
		memcpy(out + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* A test identity code (individual number 9xx) for uploading citizen `n`. */
static void owner_hetu(int n, char out[16])
{
	static const char check[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";
	int day = 1 + n % 28, individual = 960 + n / 28 % 40;
	long num = ((long)day * 10000 + 6 * 100 + 81) * 1000 + individual;

	snprintf(out, 16, "%02d0681-%03d%c", day % 100, individual % 1000, check[num % 31]);
}

/* Opens a thread; its id into `out`. The request id "open<n>" must be new for the user (a
 * write with a request id used before gets the stored reply: PROTOCOL.md §5.3). */
static void open_thread(struct advice_conn *k, int n, char out[64])
{
	json_t *r = itest_request(k, "ok",
				  "{\"type\":\"thread.open\",\"id\":\"open%d\",\"category\":"
				  "\"adult-social-work\",\"body\":\"AAAA\"}",
				  n);

	snprintf(out, 64, "%s", itest_str(r, "thread"));
	json_decref(r);
}

/* The uploader goes on as a new citizen, in a new thread (the old one's quota is used up). */
static void next_owner(struct campaign *cp, struct uploader *up)
{
	struct owner *o;

	assert_true(cp->nowners < MAX_OWNERS);
	o = &cp->owners[cp->nowners];
	owner_hetu(cp->nowners, o->hetu);
	assert_int_equal(harness_login_citizen(&cp->h, o->hetu, &o->session), 0);
	up->owner = cp->nowners++;
	advice_conn_free(up->k);
	up->k = harness_connect(&cp->h, o->session);
	assert_non_null(up->k);
	open_thread(up->k, up->nfiles, up->thread);
	up->thread_bytes = 0;
}

/* ---- attachments: upload ---- */

/* Chooses the next upload (size 1 KiB..2 MiB, more small ones than large) and asks for
 * room: a new thread or a new citizen when the quota would be exceeded. */
static void upload_new(struct campaign *cp, int ui)
{
	struct uploader *up = &cp->ups[ui];
	struct upload *u;
	int bits = 10 + rand() % 11;

	assert_true(up->nfiles < MAX_FILES);
	u = &up->files[up->nfiles];
	memset(u, 0, sizeof *u);
	u->size = ((int64_t)1 << bits) + rand() % (1 << bits);
	u->chunks = (u->size + CHUNK_PLAIN - 1) / CHUNK_PLAIN;
	u->seed = (uint64_t)rand() << 32 ^ (uint64_t)rand();
	u->fid[0] = 0xc0 | (uint8_t)ui;
	u->fid[1] = (uint8_t)(up->nfiles >> 8);
	u->fid[2] = (uint8_t)up->nfiles;
	for (int i = 3; i < 16; i++)
		u->fid[i] = (uint8_t)(rand() >> 7);
	advice_hex(u->id, u->fid, 16);
	if (cp->owners[up->owner].bytes + cipher_size(u) > OWNER_QUOTA)
		next_owner(cp, up);
	else if (up->thread_bytes + cipher_size(u) > THREAD_QUOTA) {
		open_thread(up->k, up->nfiles, up->thread);
		up->thread_bytes = 0;
	}
	u->owner = up->owner;
	cp->owners[up->owner].bytes += cipher_size(u);
	up->thread_bytes += cipher_size(u);
	up->nfiles++;
	up->state = UP_BEGIN;
	up->rewound_to = -1;
}

static void upload_send_begin(struct uploader *up)
{
	struct upload *u = &up->files[up->nfiles - 1];
	char req[256];

	snprintf(req, sizeof req,
		 "{\"type\":\"file.begin\",\"id\":\"b%d\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%lld}",
		 up->nfiles - 1, up->thread, u->id, (long long)u->size);
	assert_int_equal(advice_send(up->k, req), 0);
	up->state = UP_BEGIN_WAIT;
}

/* Sends chunk `index` of `u` as a binary message. */
static void upload_send_chunk(struct campaign *cp, struct uploader *up, struct upload *u, int64_t index)
{
	memcpy(cp->chunk, "QC\x01\x00", 4);
	memcpy(cp->chunk + 4, u->fid, 16);
	for (int i = 0; i < 4; i++)
		cp->chunk[20 + i] = (uint8_t)((uint32_t)index >> (8 * i));
	chunk_fill(u, index, cp->chunk + CHUNK_HEAD);
	assert_int_equal(
		advice_send_raw(up->k, cp->chunk, CHUNK_HEAD + chunk_len(u, index), ADVICE_FRAME_BINARY), 0);
}

/* The upload is complete on the server (acknowledged, or reported after a restart). */
static void upload_done(struct campaign *cp, struct uploader *up, struct upload *u, int by_ack)
{
	u->complete = 1;
	u->ack_complete = by_ack;
	u->sent = u->acked = u->chunks;
	cp->completed++;
	cp->ack_complete += by_ack;
	cp->resumed_done += u->resumed;
	up->state = UP_IDLE;
}

/* Records a rate_limited answer on the uploader's connection: nothing more is sent until
 * the wait is over; after too many in a row (each chunk in the window may get one) the
 * campaign fails. */
static void upload_rate_limited(struct uploader *up, const struct upload *u, int64_t wait_ms)
{
	if (++up->rate_tries > RATE_TRIES * CHUNK_WINDOW)
		fail_msg("%s: still rate_limited after %d answers in a row", u->id, up->rate_tries - 1);
	pause_for(&up->pause_until, wait_ms);
}

/* Records the reply to file.begin. */
static void upload_on_begin(struct campaign *cp, struct uploader *up, json_t *j)
{
	struct upload *u = &up->files[up->nfiles - 1];
	int64_t wait_ms = rate_limited_ms(j);

	if (wait_ms >= 0) { /* nothing was done: the same file.begin after the wait */
		upload_rate_limited(up, u, wait_ms);
		up->state = UP_BEGIN;
		return;
	}
	up->rate_tries = 0;
	if (strcmp(itest_str(j, "type"), "ok") != 0)
		fail_msg("file.begin %s: %s %s", u->id, itest_str(j, "code"), itest_str(j, "message"));
	assert_int_equal(itest_num(j, "chunks"), u->chunks);
	u->begun = 1;
	u->sent = u->acked = itest_num(j, "received");
	up->state = UP_SENDING;
	if (json_is_true(json_object_get(j, "complete")))
		upload_done(cp, up, u, 0);
}

/* Records a file.chunk event: the server stored the chunk and committed its progress. */
static void upload_on_chunk(struct campaign *cp, struct uploader *up, json_t *j)
{
	struct upload *u = &up->files[up->nfiles - 1];
	json_int_t received = itest_num(j, "received"), index = itest_num(j, "index");
	int64_t wait_ms = rate_limited_ms(j);

	assert_int_equal(up->state, UP_SENDING);
	assert_string_equal(itest_str(j, "file"), u->id);
	if (wait_ms >= 0) { /* not written: send again from this chunk after the wait */
		upload_rate_limited(up, u, wait_ms);
		if (index < u->sent)
			u->sent = index;
		if (up->rewound_to < 0 || index < up->rewound_to)
			up->rewound_to = index;
		return;
	}
	/* A chunk that was in flight behind one answered rate_limited: ahead of the next
	 * expected one, it is sent again too. */
	if (strcmp(itest_str(j, "code"), "conflict") == 0 && up->rewound_to >= 0 && index > up->rewound_to)
		return;
	if (strcmp(itest_str(j, "code"), "ok") == 0) {
		up->rate_tries = 0;
		if (index >= up->rewound_to)
			up->rewound_to = -1;
	}
	if (strcmp(itest_str(j, "code"), "ok") != 0)
		fail_msg("chunk %lld of %s: %s %s", (long long)itest_num(j, "index"), u->id,
			 itest_str(j, "code"), itest_str(j, "message"));
	assert_true(received >= 1 && received <= u->sent);
	if (received > u->acked)
		u->acked = received;
	if (json_is_true(json_object_get(j, "complete"))) {
		assert_int_equal(received, u->chunks);
		upload_done(cp, up, u, 1);
	}
}

/* Takes the messages that arrive on the uploader's connection within a millisecond. */
static void upload_take(struct campaign *cp, struct uploader *up)
{
	char *text;
	int wait = 1; /* then 0: what is queued already */

	while (advice_next_message(up->k, &text, wait) == 0) {
		json_t *j = json_loads(text, 0, NULL);
		const char *id = itest_str(j, "id");

		free(text);
		wait = 0;
		assert_non_null(j);
		if (up->state == UP_BEGIN_WAIT && id != NULL && id[0] == 'b')
			upload_on_begin(cp, up, j);
		else if (strcmp(itest_str(j, "event") ?: "", "file.chunk") == 0)
			upload_on_chunk(cp, up, j);
		json_decref(j);
	}
}

/* One step of an uploader: start an upload, send file.begin, or fill the chunk window as
 * far as `allowed` (bytes sent during this load) lets it. */
static void upload_step(struct campaign *cp, int ui, int64_t allowed)
{
	struct uploader *up = &cp->ups[ui];
	struct upload *u;

	if (up->state == UP_IDLE)
		upload_new(cp, ui);
	if (up->state == UP_BEGIN && now_ms() >= up->pause_until)
		upload_send_begin(up);
	u = &up->files[up->nfiles - 1];
	while (up->state == UP_SENDING && now_ms() >= up->pause_until && u->sent < u->chunks &&
	       u->sent - u->acked < CHUNK_WINDOW && up->load_bytes < allowed) {
		up->load_bytes += (int64_t)chunk_len(u, u->sent);
		upload_send_chunk(cp, up, u, u->sent++);
	}
	upload_take(cp, up);
}

/* Runs the mixed load for `ms` milliseconds, the uploads paced at UPLOAD_RATE. */
static void load(struct campaign *cp, int ms)
{
	int64_t start = now_ms(), end = start + ms;

	for (int i = 0; i < UPLOADERS; i++)
		cp->ups[i].load_bytes = 0;
	while (now_ms() < end) {
		for (int i = 0; i < CLIENTS; i++) {
			struct client *c = &cp->cs[i];

			if (now_ms() >= c->pause_until) {
				for (int n = 0; n < c->nresend; n++)
					send_numbered(c, i, c->resend[n]);
				c->nresend = 0;
				while (c->inflight < WINDOW && c->sent < MAX_SENT - 1)
					send_one(c, i);
			}
			for (int wait = 1; take_one(c, wait) == 1; wait = 0)
				;
		}
		for (int i = 0; i < UPLOADERS; i++)
			upload_step(cp, i, (now_ms() - start + 1) * (UPLOAD_RATE / 1000));
	}
}

/* ---- checks of the data folder, with the server down ---- */

static void integrity_check(struct harness *h)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The upload a file id names, from the uploader and number in its first bytes; NULL if none. */
static struct upload *upload_of(struct campaign *cp, const char *id)
{
	uint8_t fid[16];
	int ui, n;

	if (id == NULL || advice_unhex(fid, 16, id) != 0 || (fid[0] & 0xf0) != 0xc0)
		return NULL;
	ui = fid[0] & 0x0f;
	n = fid[1] << 8 | fid[2];
	if (ui >= UPLOADERS || n >= cp->ups[ui].nfiles || strcmp(cp->ups[ui].files[n].id, id) != 0)
		return NULL;
	return &cp->ups[ui].files[n];
}

/* The size of <data>/blobs/<id><suffix>, or -1 when there is no such file. */
static int64_t blob_size(struct harness *h, const char *id, const char *suffix)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof path, "%s/blobs/%s%s", h->dir, id, suffix);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* Checks one e2e_files row against the blob folder and what was acknowledged. */
static void check_file_row(struct campaign *cp, sqlite3_stmt *q)
{
	const char *id = (const char *)sqlite3_column_text(q, 0);
	struct upload *u = upload_of(cp, id);
	int64_t received = sqlite3_column_int64(q, 3), whole, part;

	if (u == NULL)
		fail_msg("an e2e_files row %s that no upload began", id ? id : "(null)");
	u->rows++;
	assert_int_equal(sqlite3_column_int64(q, 1), u->size);
	assert_int_equal(sqlite3_column_int64(q, 2), u->chunks);
	if (received < u->acked)
		fail_msg("%s: %lld chunks recorded, %lld acknowledged", id, (long long)received,
			 (long long)u->acked);
	whole = blob_size(&cp->h, id, "");
	part = blob_size(&cp->h, id, ".part");
	if (sqlite3_column_int(q, 4)) {
		assert_int_equal(received, u->chunks);
		if (whole != cipher_size(u) || part != -1)
			fail_msg("%s is complete with a blob of %lld bytes (%lld expected), part file %lld",
				 id, (long long)whole, (long long)cipher_size(u), (long long)part);
		return;
	}
	if (u->ack_complete)
		fail_msg("%s: the completion was acknowledged but is not recorded", id);
	assert_true(received < u->chunks);
	/* The last chunk was stored and the blob renamed, but the kill came before the commit
	 * (of that chunk and of any before it in the same batch): the row still waits for chunk
	 * `received`, which the client will resend. */
	if (whole == cipher_size(u) && part == -1) {
		cp->uncommitted_finish++;
		return;
	}
	if (received == 0 || part >= received * CHUNK_CT)
		return;
	fail_msg("%s: %lld chunks recorded, part file %lld bytes, blob %lld bytes", id, (long long)received,
		 (long long)part, (long long)whole);
}

/* Every e2e_files row and its blob; one row per upload whose file.begin was acknowledged. */
static void check_files(struct campaign *cp)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;
	int rc;

	for (int i = 0; i < UPLOADERS; i++)
		for (int n = 0; n < cp->ups[i].nfiles; n++)
			cp->ups[i].files[n].rows = 0;
	snprintf(path, sizeof path, "%s/advice.db", cp->h.dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, size, chunks, received, complete FROM e2e_files",
					    -1, &q, NULL),
			 SQLITE_OK);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		check_file_row(cp, q);
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);
	for (int i = 0; i < UPLOADERS; i++)
		for (int n = 0; n < cp->ups[i].nfiles; n++) {
			struct upload *u = &cp->ups[i].files[n];

			assert_true(u->rows <= 1);
			if (u->begun && u->rows == 0)
				fail_msg("%s: file.begin was acknowledged but there is no row", u->id);
		}
}

/* ---- attachments after a restart ---- */

/* Asks for chunk `index` of `u` (file.get), without waiting for the reply. */
static void download_ask(struct advice_conn *k, const struct upload *u, int64_t index)
{
	char req[160];

	snprintf(req, sizeof req, "{\"type\":\"file.get\",\"id\":\"g%lld\",\"file\":\"%s\",\"index\":%lld}",
		 (long long)index, u->id, (long long)index);
	assert_int_equal(advice_send(k, req), 0);
}

/* Compares a file.get reply with the chunk it must carry. */
static void download_compare(struct campaign *cp, const struct upload *u, json_t *r)
{
	json_int_t index = itest_num(r, "index");
	uint8_t *got = NULL;
	size_t len = 0;

	if (strcmp(itest_str(r, "type"), "ok") != 0)
		fail_msg("file.get %s %s: %s %s", u->id, itest_str(r, "id"), itest_str(r, "code"),
			 itest_str(r, "message"));
	assert_string_equal(itest_str(r, "file"), u->id);
	assert_true(index >= 0 && index < u->chunks);
	assert_int_equal(advice_b64url_decode(itest_str(r, "chunk"), &got, &len), 0);
	chunk_fill(u, index, cp->expect);
	if (len != chunk_len(u, index) || memcmp(got, cp->expect, len) != 0)
		fail_msg("%s: chunk %lld of %lld differs from what was uploaded", u->id, (long long)index,
			 (long long)u->chunks);
	free(got);
	cp->download_bytes += (long long)len;
}

/* Downloads `u` as a reader does (file.get, GET_WINDOW chunks in flight; a chunk answered
 * rate_limited is asked again with its id after retry_after) and compares every byte. */
static void download_check(struct campaign *cp, struct advice_conn *k, struct upload *u)
{
	int64_t asked = 0, answered = 0, inflight = 0, pause_until = 0, resend[GET_WINDOW];
	unsigned char *tries = calloc((size_t)u->chunks, 1);
	int nresend = 0;

	assert_non_null(tries);
	while (answered < u->chunks) {
		char *text = NULL;
		const char *id;
		json_t *r;
		int64_t wait_ms;

		/* Answered rate_limited: once nothing is in flight, wait, and ask again. */
		if (nresend > 0 && inflight == 0) {
			sleep_until(pause_until);
			for (int n = 0; n < nresend; n++, inflight++)
				download_ask(k, u, resend[n]);
			nresend = 0;
		}
		while (nresend == 0 && asked < u->chunks && inflight < GET_WINDOW)
			download_ask(k, u, asked++), inflight++;
		assert_int_equal(advice_next_message(k, &text, HARNESS_TIMEOUT_MS), 0);
		r = json_loads(text, 0, NULL);
		free(text);
		assert_non_null(r);
		id = itest_str(r, "id");
		if (id != NULL && id[0] == 'g') {
			int64_t index = atoll(id + 1);

			inflight--;
			if ((wait_ms = rate_limited_ms(r)) >= 0) {
				assert_true(index >= 0 && index < u->chunks);
				if (++tries[index] > RATE_TRIES)
					fail_msg("file.get %s %s: still rate_limited after %d tries", u->id,
						 id, RATE_TRIES);
				resend[nresend++] = index;
				pause_for(&pause_until, wait_ms);
			} else {
				download_compare(cp, u, r);
				answered++;
			}
		}
		json_decref(r);
	}
	free(tries);
	u->verified = 1;
	cp->downloads++;
}

/* After a restart: the upload the kill cut resumes from what file.status reports, which
 * must not be behind the last acknowledged chunk. */
static void upload_resume(struct campaign *cp, struct uploader *up)
{
	struct upload *u = up->nfiles > 0 ? &up->files[up->nfiles - 1] : NULL;
	int64_t received;
	char *reply = NULL, req[128];
	json_t *j;
	int rc;

	if (up->state == UP_IDLE || up->state == UP_BEGIN)
		return;
	u->resumed = 1;
	snprintf(req, sizeof req, "{\"type\":\"file.status\",\"id\":\"s\",\"file\":\"%s\"}", u->id);
	rc = advice_request(up->k, req, &reply, HARNESS_TIMEOUT_MS);
	if (rc == -ADVICE_ERR_NOT_FOUND) {
		if (u->begun)
			fail_msg("%s: file.begin was acknowledged, file.status says not_found", u->id);
		free(reply);
		up->state = UP_BEGIN; /* the file.begin was lost with the server: again */
		return;
	}
	assert_int_equal(rc, 0);
	j = json_loads(reply, 0, NULL);
	free(reply);
	received = itest_num(j, "received");
	if (received < u->acked)
		fail_msg("%s: file.status reports %lld chunks, %lld were acknowledged", u->id,
			 (long long)received, (long long)u->acked);
	/* Chunks stored and committed whose reply the kill stopped before it reached the client. */
	cp->unseen_acks += received - u->acked;
	u->begun = 1;
	u->sent = u->acked = received;
	up->state = UP_SENDING;
	if (json_is_true(json_object_get(j, "complete")))
		upload_done(cp, up, u, 0);
	json_decref(j);
}

/* Downloads the uploader's attachments that completed since the last check, `sample` earlier
 * ones at random, or (all) every complete one. Files of earlier owners on their own
 * connection. */
static void upload_verify(struct campaign *cp, struct uploader *up, int sample, int all)
{
	struct advice_conn *other = NULL;
	int other_owner = -1, done = 0;

	for (int n = 0; n < up->nfiles; n++) {
		struct upload *u = &up->files[n];

		if (!u->complete)
			continue;
		if (u->verified && !all) {
			/* a chance of sample in the number of complete files */
			if (done >= sample || rand() % up->nfiles >= sample)
				continue;
			done++;
		}
		if (u->owner != up->owner && u->owner != other_owner) {
			advice_conn_free(other);
			other = harness_connect(&cp->h, cp->owners[u->owner].session);
			assert_non_null(other);
			other_owner = u->owner;
		}
		download_check(cp, u->owner == up->owner ? up->k : other, u);
	}
	advice_conn_free(other);
}

/* ---- the campaign ---- */

static void open_threads(struct campaign *cp)
{
	struct harness *h = &cp->h;

	for (int i = 0; i < CLIENTS; i++) {
		struct client *c = &cp->cs[i];

		assert_int_equal(harness_login_citizen(h, citizens[i], &c->session), 0);
		connect_client(h, c);
		open_thread(c->k, 0, c->thread);
		c->acked = calloc(MAX_SENT + 1, 1);
		c->tries = calloc(MAX_SENT + 1, 1);
		assert_non_null(c->acked);
		assert_non_null(c->tries);
	}
	for (int i = 0; i < UPLOADERS; i++)
		next_owner(cp, &cp->ups[i]);
}

/* kill -9, the checks of the folder, a restart, and the checks through the protocol. */
static void crash_and_check(struct campaign *cp)
{
	assert_int_equal(harness_kill9(&cp->h), 0);
	for (int i = 0; i < CLIENTS; i++) {
		advice_conn_free(cp->cs[i].k);
		cp->cs[i].k = NULL;
	}
	for (int i = 0; i < UPLOADERS; i++) {
		advice_conn_free(cp->ups[i].k);
		cp->ups[i].k = NULL;
	}
	integrity_check(&cp->h);
	check_files(cp);
	assert_int_equal(harness_start_again(&cp->h), 0);
	for (int i = 0; i < CLIENTS; i++) {
		connect_client(&cp->h, &cp->cs[i]);
		verify(&cp->cs[i], i);
	}
	for (int i = 0; i < UPLOADERS; i++) {
		struct uploader *up = &cp->ups[i];

		up->k = harness_connect(&cp->h, cp->owners[up->owner].session);
		assert_non_null(up->k);
		up->pause_until = 0; /* a new server: what was in flight is gone */
		up->rate_tries = 0;
		up->rewound_to = -1;
		upload_resume(cp, up);
		upload_verify(cp, up, SAMPLE, 0);
	}
}

/* Lets every upload the last kill cut run to its end, then checks again. */
static void finish_uploads(struct campaign *cp)
{
	int64_t deadline = now_ms() + 60000;
	int busy = 1;

	while (busy) {
		busy = 0;
		for (int i = 0; i < UPLOADERS; i++) {
			struct uploader *up = &cp->ups[i];

			if (up->state == UP_IDLE)
				continue;
			busy = 1;
			upload_step(cp, i, INT64_MAX);
			if (!advice_conn_is_open(up->k))
				fail_msg("the uploader's connection closed");
		}
		assert_true(now_ms() < deadline);
	}
}

static void campaign_free(struct campaign *cp)
{
	for (int i = 0; i < CLIENTS; i++) {
		advice_conn_free(cp->cs[i].k);
		free(cp->cs[i].acked);
		free(cp->cs[i].tries);
		free(cp->cs[i].session);
	}
	for (int i = 0; i < UPLOADERS; i++) {
		advice_conn_free(cp->ups[i].k);
		free(cp->ups[i].files);
	}
	for (int i = 0; i < cp->nowners; i++)
		free(cp->owners[i].session);
	free(cp->chunk);
	free(cp->expect);
}

/* A campaign with its buffers, in *state. 0 or -1. */
static int campaign_setup(void **state)
{
	struct campaign *cp = calloc(1, sizeof *cp);

	if (cp == NULL)
		return -1;
	*state = cp;
	cp->chunk = malloc(CHUNK_HEAD + CHUNK_CT);
	cp->expect = malloc(CHUNK_CT);
	for (int i = 0; i < UPLOADERS; i++) {
		cp->ups[i].rewound_to = -1;
		if ((cp->ups[i].files = calloc(MAX_FILES, sizeof(struct upload))) == NULL)
			return -1;
	}
	return cp->chunk != NULL && cp->expect != NULL ? 0 : -1;
}

/* Stops the server (after a failure too: none is left running) and frees the campaign. */
static int campaign_teardown(void **state)
{
	struct campaign *cp = *state;
	int rc;

	campaign_free(cp);
	rc = harness_stop(&cp->h);
	free(cp);
	return rc;
}

static void test_crash_campaign(void **state)
{
	const char *r = getenv("ADVICE_CRASH_ROUNDS"), *s = getenv("ADVICE_CRASH_SEED");
	int rounds = r ? atoi(r) : 5;
	unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
	struct campaign *cp = *state;
	long long total_acked = 0;
	int64_t t0 = now_ms();

	print_message("crash campaign: %d rounds, seed %u\n", rounds, seed);
	srand(seed);
	assert_int_equal(harness_start(&cp->h), 0);
	open_threads(cp);
	for (int round = 1; round <= rounds; round++) {
		load(cp, 50 + rand() % 400); /* the random moment */
		crash_and_check(cp);
	}
	/* The uploads the last kill cut complete too; then every attachment is read once more. */
	finish_uploads(cp);
	for (int i = 0; i < UPLOADERS; i++)
		upload_verify(cp, &cp->ups[i], 0, 1);
	for (int i = 0; i < CLIENTS; i++)
		for (int k = 1; k <= cp->cs[i].sent; k++)
			total_acked += cp->cs[i].acked[k];
	print_message(
		"crash campaign: %d rounds in %.1f s, seed %u: %lld acknowledged messages verified; "
		"%lld attachments completed (%lld by an acknowledgement seen, %lld resumed after a kill), "
		"%lld downloads compared (%.1f MiB); %lld chunks committed whose reply never reached the "
		"client (the kill came between the commit and the reply: file.status counted them and the "
		"upload went on after them, no data lost), %lld "
		"completions cut between rename and commit; %lld answers rate_limited, each sent again "
		"after its wait\n",
		rounds, (double)(now_ms() - t0) / 1000, seed, total_acked, cp->completed, cp->ack_complete,
		cp->resumed_done, cp->downloads, (double)cp->download_bytes / (1 << 20), cp->unseen_acks,
		cp->uncommitted_finish, rate_limited_answers);
	assert_true(total_acked > 0);
	assert_true(cp->ack_complete > 0);
}

/* ---- the completion of an upload whose commit failed ---- */

/*
 * The last chunk of an upload is stored and the blob renamed, then the commit fails (an
 * injected write error: the first write of SQLite after a restart is that chunk's commit; the
 * server stops). After the next restart the row still waits for that chunk; the client
 * resends it, and the attachment must come out whole and byte-identical.
 */
static void test_crash_final_commit_lost(void **state)
{
	struct campaign *cp = *state;
	struct uploader *up = &cp->ups[0];
	struct upload *u;
	char *text = NULL;
	int status;

	srand(7);
	assert_int_equal(harness_start(&cp->h), 0);
	next_owner(cp, up);
	u = &up->files[0];
	up->nfiles = 1;
	u->size = 2 * CHUNK_PLAIN + 1000;
	u->chunks = 3;
	u->seed = 42;
	memset(u->fid, 0xc0, 1);
	advice_hex(u->id, u->fid, 16);
	upload_send_begin(up);
	/* Two chunks stored and acknowledged. */
	while (up->state != UP_SENDING || u->acked < 2) {
		while (up->state == UP_SENDING && u->sent < 2)
			upload_send_chunk(cp, up, u, u->sent++);
		upload_take(cp, up);
		assert_true(advice_conn_is_open(up->k));
	}
	/* The server again, with a disk whose next write fails. */
	advice_conn_free(up->k);
	up->k = NULL;
	assert_int_equal(harness_kill9(&cp->h), 0);
	setenv("ADVICE_FAULT_INJECT", "write:1:eio", 1);
	assert_int_equal(harness_start_again(&cp->h), 0);
	unsetenv("ADVICE_FAULT_INJECT");
	up->k = harness_connect(&cp->h, cp->owners[0].session);
	assert_non_null(up->k);
	upload_send_chunk(cp, up, u, 2);
	/* No acknowledgement: the server stops with the store-failure status. */
	while (advice_next_message(up->k, &text, HARNESS_TIMEOUT_MS) == 0) {
		assert_null(strstr(text, "\"code\":\"ok\""));
		free(text);
	}
	assert_int_equal(waitpid(cp->h.pid, &status, 0), cp->h.pid);
	cp->h.pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 74);
	advice_conn_free(up->k);
	up->k = NULL;
	integrity_check(&cp->h);
	check_files(cp);
	assert_int_equal(cp->uncommitted_finish, 1); /* the state this test is about */

	/* The disk is fine again: resume from file.status, resend the last chunk, read it all. */
	assert_int_equal(harness_start_again(&cp->h), 0);
	up->k = harness_connect(&cp->h, cp->owners[0].session);
	assert_non_null(up->k);
	upload_resume(cp, up);
	assert_int_equal(u->acked, 2);
	while (up->state != UP_IDLE) {
		upload_step(cp, 0, INT64_MAX);
		assert_true(advice_conn_is_open(up->k));
	}
	assert_int_equal(u->ack_complete, 1);
	download_check(cp, up->k, u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crash_final_commit_lost, campaign_setup,
						campaign_teardown),
		cmocka_unit_test_setup_teardown(test_crash_campaign, campaign_setup, campaign_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
