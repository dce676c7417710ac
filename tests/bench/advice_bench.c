/*
 * advice_bench.c - the load generator and physical probes of the benchmark
 * (deploy/dev/bench.sh). Not a test: built only with -DADVICE_BENCH=ON.
 *
 *   advice_bench check URL TOKENS              that the server refuses a body that is no envelope
 *                                              and an envelope of an unregistered key, and
 *                                              acknowledges one signed by the citizen's device
 *   advice_bench envsize TEXT                  the envelope and base64url bytes of a TEXT-byte message
 *   advice_bench fsync FILE SECONDS            one small write + fdatasync per commit
 *   advice_bench sqlite FILE SECONDS BODY      batched inserts (100 rows per commit), WAL, FULL
 *   advice_bench seqwrite FILE MIB             sequential 1 MiB writes + one fdatasync, MB/s
 *   advice_bench send URL TOKENS SENDERS PROCS BODY SECONDS WINDOW
 *                                              M1: pipelined message.send from SENDERS connections
 *                                              spread over PROCS processes, each connection with WINDOW
 *                                              requests in flight; BODY bytes of text in each
 *                                              envelope; 2 s warm-up, then SECONDS measured
 *   advice_bench latency URL TOKENS RATE SECONDS
 *                                              M2: one sender at RATE msg/s (open loop); a second
 *                                              connection of the same citizen times message.new
 *                                              from the moment of each send
 *   advice_bench idle URL TOKENS N HOLD_S [PROCS]
 *                                              M3: opens N authenticated connections from PROCS
 *                                              processes at once (default max(N / 4000, 64)), bound
 *                                              to source addresses 127.0.0.1-8; prints the count,
 *                                              connect rate and latency, holds them HOLD_S s
 *   advice_bench upload URL TOKENS MIB [WINDOW]
 *                                              M4: MIB of attachments (files of at most 25 MiB),
 *                                              file.begin + binary chunks, WINDOW chunks in flight
 *   advice_bench resync URL TOKENS THREADS CHANGES[,CHANGES...] WORKER PASSWORD
 *                                              R1: the citizens of TOKENS open THREADS threads in
 *                                              the first category; WORKER's dashboard lists them
 *                                              all (thread.list pages of 100), disconnects, and
 *                                              after CHANGES new messages on as many threads
 *                                              reconnects and fetches what changed (changed_since);
 *                                              bytes of the replies of both, checked exact
 *
 * TOKENS is a file of ID tokens, one a line, each logged in as its own citizen (the Node.js
 * peer takes the same login). Every message is what the app sends where envelopes are
 * required: each citizen registers a device (identity.add, keys derived from its subject),
 * opens its thread with thread.prepare and a first envelope, and sends envelopes sealed with
 * the thread key and signed by the device (proto/CRYPTO-FORMATS.md). The load's envelopes
 * (send, latency) are all sealed before the first is sent, so the generator's work while
 * measuring is sending. With ADVICE_BENCH_SERVER_PID set, send reports the server process's
 * CPU seconds in its measured window and per 1,000 acknowledged messages; with
 * ADVICE_BENCH_GO_FILE set, it creates that file as the load starts (2 s of warm-up, then the
 * window). Every command prints one JSON object on stdout. Latencies are kept in a histogram
 * of 10 us buckets up to 1 s.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"
#include "bench_common.h"

#define MAX_WINDOW  64
#define MAX_SENDERS 1000
#define ORIGIN_MAX  128
#define TIMEOUT_MS  20000

/* The origin of a base URL: the URL itself (the demo allowlists its own address). */
static void origin_of(const char *url, char *out, size_t len)
{
	snprintf(out, len, "%s", url);
}

/* Reads up to max tokens (one a line) into toks (malloc'd strings). Returns the count, -1. */
static int tokens_read(const char *path, char **toks, int max)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (f == NULL)
		return -1;
	while (n < max && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			toks[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return n;
}

/* Logs in with the token (NULL: no session) and connects. NULL on failure (reason on stderr). */
static struct advice_conn *connect_as(struct advice_client *c, const char *url, const char *token,
				      char **session)
{
	char origin[ORIGIN_MAX];
	struct advice_conn *k;
	int err = 0, rc;

	origin_of(url, origin, sizeof origin);
	if (token != NULL && *session == NULL) {
		rc = advice_login_citizen(c, url, origin, token, session, TIMEOUT_MS);
		if (rc != 0) {
			fprintf(stderr, "advice_bench: login failed: %s\n", advice_err_name(rc));
			return NULL;
		}
	}
	k = advice_connect(c, url, origin, *session, TIMEOUT_MS, &err);
	if (k == NULL)
		fprintf(stderr, "advice_bench: connect failed: %s\n", advice_err_name(err));
	return k;
}

/* The value of the first "type" member of a JSON text: 'o' ok, 'e' error, 'v' event, '?'. */
static char msg_kind(const char *j)
{
	const char *p = strstr(j, "\"type\"");

	if (p == NULL)
		return '?';
	p += 6;
	while (*p == ' ' || *p == ':')
		p++;
	if (strncmp(p, "\"ok\"", 4) == 0)
		return 'o';
	if (strncmp(p, "\"error\"", 7) == 0)
		return 'e';
	if (strncmp(p, "\"event\"", 7) == 0)
		return 'v';
	return '?';
}

/* The number after "-" in the request id "s<sender>-<n>" of a reply; -1 when absent. */
static long json_id_counter(const char *j)
{
	const char *p = strstr(j, "\"id\"");

	if (p == NULL)
		return -1;
	p = strchr(p + 4, '"');
	if (p == NULL || p[1] != 's')
		return -1;
	p = strchr(p, '-');
	return p == NULL ? -1 : strtol(p + 1, NULL, 10);
}

/* ---- physical references ---- */

static int cmd_fsync(const char *path, double seconds)
{
	char buf[64] = "commit record of a small size, about sixty-four bytes....\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int64_t end, t0 = now_us();
	long n = 0;

	if (fd < 0)
		return 1;
	end = t0 + (int64_t)(seconds * 1e6);
	while (now_us() < end) {
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fdatasync(fd) != 0)
			return 1;
		n++;
	}
	close(fd);
	unlink(path);
	printf("{\"commits_per_s\": %.0f}\n", n / ((now_us() - t0) / 1e6));
	return 0;
}

/* Sequential write of `mib` MiB in 1 MiB blocks and one final fdatasync: MB/s. */
static int cmd_seqwrite(const char *path, int mib)
{
	static char block[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int64_t t0 = now_us();

	if (fd < 0)
		return 1;
	memset(block, 0x5a, sizeof block);
	for (int i = 0; i < mib; i++)
		if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
			return 1;
	if (fdatasync(fd) != 0)
		return 1;
	close(fd);
	unlink(path);
	printf("{\"mb_per_s\": %.0f}\n", mib * 1.048576 / ((now_us() - t0) / 1e6));
	return 0;
}

static int cmd_sqlite(const char *path, double seconds, int body)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint8_t *blob = malloc((size_t)body);
	int64_t end, t0;
	long rows = 0;

	if (blob == NULL || sqlite3_open(path, &db) != SQLITE_OK)
		return 1;
	for (int i = 0; i < body; i++)
		blob[i] = (uint8_t)(rand() >> 7);
	sqlite3_exec(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		     "CREATE TABLE m(id INTEGER PRIMARY KEY, thread INTEGER, sender INTEGER, t INTEGER, body "
		     "BLOB);"
		     "CREATE INDEX m_thread ON m(thread, id);",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO m(thread, sender, t, body) VALUES (?, ?, ?, ?)", -1, &st, NULL);
	t0 = now_us();
	end = t0 + (int64_t)(seconds * 1e6);
	while (now_us() < end) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int i = 0; i < 100; i++, rows++) {
			sqlite3_bind_int64(st, 1, rows % 100);
			sqlite3_bind_int64(st, 2, rows % 7);
			sqlite3_bind_int64(st, 3, rows);
			sqlite3_bind_blob(st, 4, blob, body, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				return 1;
			sqlite3_reset(st);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return 1;
	}
	printf("{\"rows_per_s\": %.0f}\n", rows / ((now_us() - t0) / 1e6));
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(blob);
	return 0;
}

/* ---- citizen devices and envelopes, as the app makes them (proto/CRYPTO-FORMATS.md) ---- */

/*
 * A citizen's keys: an identity and one device it certifies. Both derive from the ID token's
 * subject, so every command of one run that logs in as the same citizen signs with the same
 * device, registered once (identity.add), and the cap of 16 devices per citizen is never met.
 */
struct bench_citizen {
	struct advice_keys id, dev;
};

/* A thread the generator writes in: its key, the server's share, the message key of epoch 0,
 * and the sender's place in it (the sequence and hash of its last envelope). */
struct bench_thread {
	char id[ADVICE_ID_HEX + 1];
	uint8_t tkey[ADVICE_KEY_BYTES], share[ADVICE_KEY_BYTES], mkey[ADVICE_KEY_BYTES];
	uint8_t prev[ADVICE_HASH_BYTES];
	uint64_t seq;
};

/* The "sub" claim of an ID token (malloc'd): the same citizen's every token has it. NULL when
 * the token has none. */
static char *token_subject(const char *token)
{
	const char *p = strchr(token, '.'), *q = p != NULL ? strchr(p + 1, '.') : NULL;
	char *part = q != NULL ? strndup(p + 1, (size_t)(q - p - 1)) : NULL, *sub = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;
	json_t *j;

	if (part != NULL && advice_b64url_decode(part, &raw, &len) == 0 &&
	    (j = json_loadb((const char *)raw, len, 0, NULL)) != NULL) {
		const char *v = json_string_value(json_object_get(j, "sub"));

		sub = v != NULL ? strdup(v) : NULL;
		json_decref(j);
	}
	free(raw);
	free(part);
	return sub;
}

/* Personal keys from the seed BLAKE2b-256(label || the token's subject, else the token). 0 or -1. */
static int keys_from_token(struct advice_keys *k, const char *label, const char *token)
{
	char *sub = token_subject(token);
	const char *who = sub != NULL ? sub : token;
	size_t len = strlen(label) + strlen(who) + 1;
	char *s = malloc(len);
	uint8_t seed[ADVICE_HASH_BYTES];
	int rc;

	if (s == NULL) {
		free(sub);
		return -1;
	}
	snprintf(s, len, "%s%s", label, who);
	free(sub);
	advice_hash(seed, s, strlen(s));
	free(s);
	rc = advice_keys_personal(k, seed);
	return rc == 0 ? 0 : -1;
}

static int citizen_keys(struct bench_citizen *z, const char *token)
{
	return keys_from_token(&z->id, "bench identity ", token) ||
			       keys_from_token(&z->dev, "bench device ", token)
		       ? -1
		       : 0;
}

/*
 * Registers the citizen's device as the app's first device does: identity.add with the
 * device certificate the identity signed. `conflict` (the identity is registered already) is
 * an earlier command of the same run, with the same keys. 0 or -1.
 */
static int citizen_register(struct advice_conn *k, const struct bench_citizen *z)
{
	struct advice_device_cert c = { .created_at = (uint64_t)time(NULL) * 1000 };
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];
	char req[512], *b64, *reply = NULL;
	int rc;

	memcpy(c.device_sign_pk, z->dev.sign_pk, ADVICE_KEY_BYTES);
	memcpy(c.device_box_pk, z->dev.box_pk, ADVICE_KEY_BYTES);
	if (advice_device_cert_sign(cert, &c, &z->id) != 0 ||
	    (b64 = advice_b64url_encode(cert, sizeof cert)) == NULL)
		return -1;
	snprintf(req, sizeof req, "{\"type\":\"identity.add\",\"id\":\"ia%d\",\"cert\":\"%s\"}",
		 (int)getpid(), b64);
	free(b64);
	rc = advice_request(k, req, &reply, TIMEOUT_MS);
	if (rc != 0 && rc != -ADVICE_ERR_CONFLICT)
		fprintf(stderr, "advice_bench: identity.add: %s %.200s\n", advice_err_name(rc),
			reply ? reply : "");
	free(reply);
	return rc == 0 || rc == -ADVICE_ERR_CONFLICT ? 0 : -1;
}

/*
 * The sender's next envelope in thread t: `len` bytes of `text` sealed with the thread's
 * message key and signed by the device, base64url (malloc'd; NULL on failure). Its message
 * id is random but for the last 8 bytes, `counter` big-endian (M2's receiver reads it back
 * from the body); its sequence and prev hash follow the sender's last envelope.
 */
static char *envelope_next(struct bench_thread *t, const struct advice_keys *dev, const char *text,
			   size_t len, uint64_t counter)
{
	static uint8_t content[ADVICE_ENVELOPE_MAX_BYTES], env[ADVICE_ENVELOPE_MAX_BYTES];
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;

	memset(&h, 0, sizeof h);
	if (advice_unhex(h.thread_id, sizeof h.thread_id, t->id) != 0)
		return NULL;
	advice_random(h.message_id, 8);
	for (int i = 0; i < 8; i++)
		h.message_id[8 + i] = (uint8_t)(counter >> (56 - 8 * i));
	advice_random(h.nonce, sizeof h.nonce);
	h.sender_seq = ++t->seq;
	memcpy(h.prev_hash, t->prev, sizeof h.prev_hash);
	h.created_at = (uint64_t)time(NULL) * 1000;
	if (advice_content_encode(content, sizeof content, &clen, NULL, 0, text, len) != 0 ||
	    advice_envelope_seal(env, sizeof env, &elen, &h, t->mkey, content, clen, dev) != 0)
		return NULL;
	advice_hash(t->prev, env, elen);
	return advice_b64url_encode(env, elen);
}

/* The counter of envelope_next in the body of a message.new event; -1 when absent. */
static long body_counter(const char *j)
{
	const char *p = strstr(j, "\"message.new\"");
	char head[53];
	uint8_t *raw = NULL;
	size_t len = 0;
	long n = -1;

	if (p == NULL || (p = strstr(j, "\"body\":\"")) == NULL)
		return -1;
	/* 52 base64url characters: the first 39 bytes, through the message id (bytes 22-37). */
	snprintf(head, sizeof head, "%s", p + 8);
	if (strlen(head) == 52 && advice_b64url_decode(head, &raw, &len) == 0 && len >= 38) {
		n = 0;
		for (int i = 30; i < 38; i++)
			n = n << 8 | raw[i];
	}
	free(raw);
	return n;
}

/* Takes the "thread" and "share" of a thread.prepare reply into t. 0 or -1. */
static int thread_prepared(const char *reply, struct bench_thread *t)
{
	json_t *j = json_loads(reply, 0, NULL);
	const char *id = json_string_value(json_object_get(j, "thread"));
	const char *share = json_string_value(json_object_get(j, "share"));
	uint8_t *raw = NULL, tid[16];
	size_t len = 0;
	int rc = -1;

	memset(t, 0, sizeof *t);
	if (id != NULL && share != NULL && strlen(id) == ADVICE_ID_HEX &&
	    advice_unhex(tid, sizeof tid, id) == 0 && advice_b64url_decode(share, &raw, &len) == 0 &&
	    len == ADVICE_KEY_BYTES) {
		snprintf(t->id, sizeof t->id, "%s", id);
		memcpy(t->share, raw, ADVICE_KEY_BYTES);
		advice_random(t->tkey, sizeof t->tkey);
		rc = advice_thread_msg_key(t->mkey, t->tkey, tid, 0, t->share) == 0 ? 0 : -1;
	}
	if (rc != 0)
		fprintf(stderr, "advice_bench: thread.prepare: %.200s\n", reply);
	free(raw);
	json_decref(j);
	return rc;
}

/* thread.open of the prepared thread t, its first message `text` in an envelope (malloc'd). */
static char *thread_open_request(struct bench_thread *t, const struct advice_keys *dev, const char *rid,
				 const char *category, const char *text)
{
	char *body = envelope_next(t, dev, text, strlen(text), 0), *req = NULL;

	if (body != NULL && asprintf(&req,
				     "{\"type\":\"thread.open\",\"id\":\"%s\",\"category\":\"%s\",\"thread\":"
				     "\"%s\",\"body\":\"%s\"}",
				     rid, category, t->id, body) < 0)
		req = NULL;
	free(body);
	return req;
}

/* The citizen's device registered, then a thread opened as the app opens one: thread.prepare,
 * a new thread key, the first message in an envelope (thread.open). 0 or -1. */
static int citizen_thread(struct advice_conn *k, const char *token, struct bench_citizen *z,
			  struct bench_thread *t)
{
	char req[128], rid[64], *reply = NULL, *open;
	int rc;

	if (citizen_keys(z, token) != 0 || citizen_register(k, z) != 0)
		return -1;
	snprintf(req, sizeof req, "{\"type\":\"thread.prepare\",\"id\":\"p%d\"}", (int)getpid());
	rc = advice_request(k, req, &reply, TIMEOUT_MS);
	if (rc != 0 || thread_prepared(reply, t) != 0) {
		fprintf(stderr, "advice_bench: thread.prepare: %s\n", advice_err_name(rc));
		free(reply);
		return -1;
	}
	free(reply);
	reply = NULL;
	snprintf(rid, sizeof rid, "o%d", (int)getpid());
	if ((open = thread_open_request(t, &z->dev, rid, "adult-social-work", "open")) == NULL)
		return -1;
	rc = advice_request(k, open, &reply, TIMEOUT_MS);
	if (rc != 0)
		fprintf(stderr, "advice_bench: thread.open: %s %.200s\n", advice_err_name(rc),
			reply ? reply : "");
	free(open);
	free(reply);
	return rc == 0 ? 0 : -1;
}

/* `len` printable characters (a message text; malloc'd, NUL-terminated). */
static char *bench_text(size_t len)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.";
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		s[i] = abc[(unsigned)rand() % (sizeof abc - 1)];
	s[len] = '\0';
	return s;
}

/* ---- M1: pipelined sends ---- */

/* Messages each sender seals before the window: enough for SENDER_MAX_RATE msg/s per sender
 * (30,000/s from 100 senders) through the warm-up and the window, within POOL_MAX_BYTES of
 * requests per process; a sender that runs out ends its process's window early, which the
 * result says ("pool_ran_out"). */
#define SENDER_MAX_RATE 300
#define POOL_MAX_BYTES	(384L << 20)
#define WARMUP_S	2

struct sender {
	struct advice_conn *k;
	char *session;
	struct bench_citizen z;
	struct bench_thread t;
	char **pool; /* pre-sealed message.send requests, sent in order */
	long npool;
	long next; /* next request counter */
	int inflight;
	int64_t sent_at[MAX_WINDOW * 2]; /* by counter % (2 * MAX_WINDOW) */
};

/* Seals the sender's pool: n message.send requests of `text`, each its own envelope with a new
 * message id (the server refuses one the thread holds), sequence and prev hash. 0 or -1. */
static int sender_seal_pool(struct sender *s, int idx, long n, const char *text)
{
	s->pool = calloc((size_t)n, sizeof *s->pool);
	if (s->pool == NULL)
		return -1;
	for (long i = 0; i < n; i++) {
		char *body = envelope_next(&s->t, &s->z.dev, text, strlen(text), (uint64_t)i);

		/* The pid keeps request ids unique across runs: a reused id would be answered from
		 * the idempotency record without a write (PROTOCOL.md §5.3). */
		if (body == NULL || asprintf(&s->pool[i],
					     "{\"type\":\"message.send\",\"id\":\"s%dx%d-%ld\",\"thread\":\"%"
					     "s\",\"body\":\"%s\"}",
					     idx, (int)getpid(), i, s->t.id, body) < 0) {
			free(body);
			return -1;
		}
		free(body);
		s->npool++;
	}
	return 0;
}

static void sender_free(struct sender *s)
{
	advice_conn_free(s->k);
	free(s->session);
	for (long i = 0; i < s->npool; i++)
		free(s->pool[i]);
	free(s->pool);
}

/* Sends from the pool until `window` requests are in flight. 0, 1 when the pool is used up, -1. */
static int sender_fill(struct sender *s, int window)
{
	while (s->inflight < window) {
		if (s->next == s->npool)
			return 1;
		s->sent_at[s->next % (2 * MAX_WINDOW)] = now_us();
		if (advice_send(s->k, s->pool[s->next]) != 0)
			return -1;
		s->next++;
		s->inflight++;
	}
	return 0;
}

/* Takes the replies that arrived for sender s into r. 0, or -1 when its connection closed. */
static int sender_drain(struct sender *s, struct send_result *r)
{
	char *msg;

	while (advice_next_message(s->k, &msg, 0) == 0) {
		char ty = msg_kind(msg);
		long ctr = json_id_counter(msg);

		if ((ty == 'o' || ty == 'e') && ctr >= 0) {
			s->inflight--;
			if (ty == 'o') {
				r->acks++;
				hist_add(&r->h, now_us() - s->sent_at[ctr % (2 * MAX_WINDOW)]);
			} else {
				r->errors++;
				if (r->errors < 3)
					fprintf(stderr, "advice_bench: %.200s\n", msg);
			}
		}
		free(msg);
	}
	if (!advice_conn_is_open(s->k)) {
		fprintf(stderr, "advice_bench: connection closed (%d)\n", advice_conn_close_code(s->k));
		return -1;
	}
	return 0;
}

/*
 * One process of the send load: `n` senders with tokens toks[first..], each logged in, its
 * device registered and a thread opened; their pools sealed; then "r" on ready_fd, and the
 * load from the go on go_fd: WARMUP_S s of warm-up, `seconds` measured. Fills *r. 0 or -1.
 */
static int send_worker(const char *url, char **toks, int first, int n, int body_bytes, double seconds,
		       int window, int ready_fd, int go_fd, struct send_result *r)
{
	struct advice_client *c = advice_client_new();
	struct sender *s = calloc((size_t)n, sizeof *s);
	char *text = bench_text((size_t)body_bytes), go;
	/* A request: the envelope's base64url (4/3 of the text padded to 256 B, plus 210 B of
	 * header, tag and signature) and about 100 B of JSON. */
	long req_bytes = ((body_bytes / 256 + 1) * 256 + 210) * 4 / 3 + 100;
	long pool = (long)((seconds + WARMUP_S) * SENDER_MAX_RATE);
	int64_t t0, t1, warm;
	double cpu0 = 0;
	int measuring = 0, rc = -1, out_of_pool = 0;

	if (pool > POOL_MAX_BYTES / n / req_bytes)
		pool = POOL_MAX_BYTES / n / req_bytes;
	if (c == NULL || s == NULL || text == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		s[i].k = connect_as(c, url, toks[first + i], &s[i].session);
		if (s[i].k == NULL || citizen_thread(s[i].k, toks[first + i], &s[i].z, &s[i].t) != 0)
			goto out;
	}
	for (int i = 0; i < n; i++) {
		if (sender_seal_pool(&s[i], first + i, pool, text) != 0)
			goto out;
		advice_client_service(c, 1); /* pings (a timeout of 0 can wait for the next event) */
	}
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &go, 1) != 1)
		goto out;
	t0 = now_us();
	warm = t0 + WARMUP_S * 1000000;
	t1 = warm + (int64_t)(seconds * 1e6);
	for (;;) {
		int64_t t = now_us();

		if (!measuring && t >= warm) {
			measuring = 1;
			cpu0 = cpu_seconds();
			memset(r, 0, sizeof *r);
		}
		if (t >= t1 || out_of_pool) {
			r->wall = measuring ? (t - warm) / 1e6 : 0;
			break;
		}
		for (int i = 0; i < n; i++) {
			int f = sender_fill(&s[i], window);

			if (f < 0)
				goto out;
			out_of_pool |= f;
		}
		if (advice_client_service(c, 5) != 0)
			goto out;
		for (int i = 0; i < n; i++)
			if (sender_drain(&s[i], r) != 0)
				goto out;
	}
	r->cpu = cpu_seconds() - cpu0;
	r->ran_out = out_of_pool;
	rc = r->wall > 0 ? 0 : -1;
out:
	for (int i = 0; s != NULL && i < n; i++)
		sender_free(&s[i]);
	free(s);
	free(text);
	advice_client_free(c);
	return rc;
}

/* Creates the file ADVICE_BENCH_GO_FILE names (when set) as the load starts, for a profiler
 * that should see the measured window only (bench.sh's BENCH_PERF). */
static void go_mark(void)
{
	const char *path = getenv("ADVICE_BENCH_GO_FILE");
	int fd = path != NULL ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;

	if (fd >= 0)
		close(fd);
}

static int cmd_send(const char *url, const char *tokfile, int senders, int procs, int body, double seconds,
		    int window)
{
	static char *toks[MAX_SENDERS];
	int fds[64], go[2], per;
	pid_t pids[64];
	double server_cpu;

	if (senders < 1 || senders > MAX_SENDERS || procs < 1 || procs > 64 || window < 1 ||
	    window > MAX_WINDOW || body < 1 || body > ADVICE_ENVELOPE_MAX_PLAIN - 16 || pipe(go) != 0)
		return 2;
	if (tokens_read(tokfile, toks, senders) != senders) {
		fprintf(stderr, "advice_bench: need %d tokens in %s\n", senders, tokfile);
		return 1;
	}
	per = senders / procs;
	for (int p = 0; p < procs; p++) {
		int pfd[2];

		if (pipe(pfd) != 0)
			return 1;
		pids[p] = fork();
		if (pids[p] == 0) {
			static struct send_result r;
			int first = p * per, n = p == procs - 1 ? senders - first : per;

			close(pfd[0]);
			close(go[1]);
			srand((unsigned)getpid());
			if (send_worker(url, toks, first, n, body, seconds, window, pfd[1], go[0], &r) != 0)
				_exit(1);
			_exit(write_full(pfd[1], &r, sizeof r) == 0 ? 0 : 1);
		}
		close(pfd[1]);
		fds[p] = pfd[0];
	}
	close(go[0]);
	/* Every process sealed its pools: all start at once, and the window is theirs alone. */
	for (int p = 0; p < procs; p++) {
		char ready;

		if (read(fds[p], &ready, 1) != 1 || ready != 'r') {
			for (int q = 0; q < procs; q++)
				kill(pids[q], SIGKILL);
			send_collect(fds, pids, procs, -1);
			return 1;
		}
	}
	for (int p = 0; p < procs; p++)
		if (write(go[1], "g", 1) != 1)
			return 1;
	go_mark();
	server_cpu = server_cpu_window(WARMUP_S, seconds);
	close(go[1]);
	return send_collect(fds, pids, procs, server_cpu);
}

/* ---- the envelope check: that a server takes signed envelopes only ---- */

/* The code of the reply to `req` on k: "ok", the error's name, or "none". */
static const char *reply_code(struct advice_conn *k, const char *req)
{
	char *reply = NULL;
	int rc = advice_request(k, req, &reply, TIMEOUT_MS);

	free(reply);
	return rc == 0						   ? "ok"
	       : rc == -ADVICE_ERR_TIMEOUT || rc == -ADVICE_ERR_IO ? "none"
								   : advice_err_name(rc);
}

/* message.send in t of `body` (request id "c<n>"): its reply code. */
static const char *check_send(struct advice_conn *k, const struct bench_thread *t, int n, const char *body)
{
	char *req = NULL;
	const char *code;

	if (body == NULL ||
	    asprintf(&req, "{\"type\":\"message.send\",\"id\":\"c%d-%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
		     n, (int)getpid(), t->id, body) < 0)
		return "none";
	code = reply_code(k, req);
	free(req);
	return code;
}

/*
 * The first citizen of TOKENS logs in, registers its device and opens a thread (an envelope),
 * then sends three messages: a body that is no envelope, an envelope signed by a key it never
 * registered, and one signed by its device. Passes when the first two are refused and the last
 * acknowledged: the server checks envelopes as production does.
 */
static int cmd_check(const char *url, const char *tokfile)
{
	struct advice_client *c = advice_client_new();
	struct sender s = { 0 };
	struct advice_keys stranger;
	struct bench_thread before;
	uint8_t seed[ADVICE_KEY_BYTES], raw[600];
	char *tok[1] = { NULL }, *body;
	const char *plain, *foreign, *signed_code;
	int rc = 1;

	if (c == NULL || tokens_read(tokfile, tok, 1) != 1)
		goto out;
	s.k = connect_as(c, url, tok[0], &s.session);
	if (s.k == NULL || citizen_thread(s.k, tok[0], &s.z, &s.t) != 0)
		goto out;
	advice_random(raw, sizeof raw);
	body = advice_b64url_encode(raw, sizeof raw);
	plain = check_send(s.k, &s.t, 1, body);
	free(body);
	advice_random(seed, sizeof seed);
	advice_keys_personal(&stranger, seed);
	before = s.t; /* the refused one will not be in the thread */
	body = envelope_next(&s.t, &stranger, "not mine", 8, 1);
	foreign = check_send(s.k, &s.t, 2, body);
	free(body);
	s.t = before;
	body = envelope_next(&s.t, &s.z.dev, "mine", 4, 2);
	signed_code = check_send(s.k, &s.t, 3, body);
	free(body);
	printf("{\"not_an_envelope\": \"%s\", \"unregistered_key\": \"%s\", \"signed_by_device\": \"%s\"}\n",
	       plain, foreign, signed_code);
	rc = strcmp(plain, "ok") != 0 && strcmp(plain, "none") != 0 && strcmp(foreign, "ok") != 0 &&
			     strcmp(foreign, "none") != 0 && strcmp(signed_code, "ok") == 0
		     ? 0
		     : 1;
out:
	sender_free(&s);
	free(tok[0]);
	advice_client_free(c);
	return rc;
}

/* The sizes of a message of `text` bytes: its envelope and the envelope's base64url (the
 * message.send body), for a reference that carries raw payloads. */
static int cmd_envsize(int text)
{
	struct bench_thread t = { .id = "00112233445566778899aabbccddeeff" };
	struct advice_keys k;
	uint8_t seed[ADVICE_KEY_BYTES] = { 1 };
	char *s = text >= 0 && text <= ADVICE_ENVELOPE_MAX_PLAIN - 16 ? bench_text((size_t)text) : NULL, *b;
	size_t blen;

	if (s == NULL || advice_keys_personal(&k, seed) != 0 ||
	    (b = envelope_next(&t, &k, s, (size_t)text, 0)) == NULL)
		return 1;
	blen = strlen(b);
	printf("{\"text\": %d, \"envelope\": %zu, \"base64url\": %zu}\n", text, blen * 3 / 4, blen);
	free(b);
	free(s);
	return 0;
}

/* ---- M2: latency to a second connection ---- */

static int cmd_latency(const char *url, const char *tokfile, int rate, double seconds)
{
	static struct hist h;
	struct advice_client *c = advice_client_new();
	struct sender s = { 0 };
	struct advice_conn *rx = NULL;
	char *tok[1] = { NULL }, *msg;
	long total = (long)(rate * (seconds + 1)), sent = 0, got = 0, errors = 0;
	int64_t lag_max = 0;
	int64_t *at = calloc((size_t)total + 1, sizeof *at), t0, end;
	double cpu0;
	int rc = 1;

	if (c == NULL || at == NULL || rate < 1)
		goto out;
	if (tokens_read(tokfile, tok, 1) != 1)
		goto out;
	s.k = connect_as(c, url, tok[0], &s.session);
	if (s.k == NULL || (rx = connect_as(c, url, tok[0], &s.session)) == NULL ||
	    citizen_thread(s.k, tok[0], &s.z, &s.t) != 0)
		goto out;
	/* Every message sealed before the first is sent; the receiver knows each by the counter
	 * in its message id. */
	if (sender_seal_pool(&s, 0, total, "latency probe 16") != 0)
		goto out;
	while (advice_next_message(rx, &msg, 200) == 0) /* the thread.open's event */
		free(msg);
	cpu0 = cpu_seconds();
	t0 = now_us();
	end = t0 + (int64_t)((seconds + 1) * 1e6) + 2000000;
	while (now_us() < end && got < total) {
		int64_t t = now_us();

		while (sent < total && t0 + sent * 1000000 / rate <= t) {
			int64_t due = t0 + sent * 1000000 / rate;

			/* Timed from the actual send; the generator's lateness (libadvice waits in whole
			 * milliseconds) is reported apart. */
			at[sent] = now_us();
			if (at[sent] - due > lag_max)
				lag_max = at[sent] - due;
			if (advice_send(s.k, s.pool[sent]) != 0)
				break;
			sent++;
		}
		/* 1 ms: lws waits for the next event (a timeout of 0 can sleep far longer). A
		 * connection the server closed ends the point, with what arrived so far. */
		if (advice_client_service(c, 1) != 0 || !advice_conn_is_open(s.k) || !advice_conn_is_open(rx))
			break;
		while (advice_next_message(s.k, &msg, 0) == 0) {
			if (msg_kind(msg) == 'e' && errors++ < 3)
				fprintf(stderr, "advice_bench: %.200s\n", msg);
			free(msg);
		}
		while (advice_next_message(rx, &msg, 0) == 0) {
			long i = body_counter(msg);

			if (i >= 0 && i < sent) {
				if (i >= rate) /* the first second is warm-up */
					hist_add(&h, now_us() - at[i]);
				got++;
			}
			free(msg);
		}
	}
	printf("{\"rate\": %d, \"received\": %ld, \"sent\": %ld, \"errors\": %ld, \"p50_ms\": %.2f, "
	       "\"p99_ms\": %.2f, "
	       "\"p999_ms\": %.2f, \"send_lag_max_ms\": %.2f, \"gen_max_core\": %.2f, \"closed_by_server\": "
	       "%d}\n",
	       rate, got, sent, errors, hist_quantile(&h, 0.5), hist_quantile(&h, 0.99),
	       hist_quantile(&h, 0.999), lag_max / 1000.0, (cpu_seconds() - cpu0) / ((now_us() - t0) / 1e6),
	       advice_conn_close_code(s.k) ? advice_conn_close_code(s.k) : advice_conn_close_code(rx));
	rc = got == sent ? 0 : 1;
out:
	sender_free(&s);
	advice_conn_free(rx);
	free(tok[0]);
	free(at);
	advice_client_free(c);
	return rc;
}

/* ---- M3: idle authenticated connections ---- */

#define IDLE_PER_PROC 4000 /* libadvice's client context holds 4096 descriptors */
/* Connections are opened by at least this many processes at once: each process's lws client
 * polls all its descriptors on every wakeup, so fewer descriptors per process open faster. */
#define IDLE_MIN_PROCS 64
#define IDLE_MAX_PROCS 256
#define IDLE_SOURCES   8 /* source addresses 127.0.0.1-8: each has its own ~28,000 ports */

/* What a worker reports once its connections are open (its histogram follows). */
struct idle_report {
	int got;
	int64_t first_us, last_us; /* start of its first connect, end of its last */
};

/* Reads or writes exactly len bytes. 0 or -1. */
static int idle_io_full(int fd, void *buf, size_t len, int writing)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = writing ? write(fd, p, len) : read(fd, p, len);

		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * One process of the idle load, bound to source address `source`: logs in its tokens, says
 * it is ready on `fd`, waits for the go on `go_fd`, opens n connections one after another
 * round-robin over the sessions (timing each connect: TCP, upgrade with the session cookie,
 * the welcome), reports them on `fd`, then answers the server's pings until killed.
 */
static void idle_worker(const char *url, char **toks, int ntok, int n, const char *source, int go_fd, int fd)
{
	static struct hist h;
	struct advice_client *c = advice_client_new();
	struct advice_conn **k = calloc((size_t)n, sizeof *k);
	char **sess = calloc((size_t)ntok, sizeof *sess), origin[ORIGIN_MAX], go;
	struct idle_report rep = { 0, 0, 0 };
	int nlogin = ntok < n ? ntok : n, err = 0;

	if (c == NULL || k == NULL || sess == NULL || advice_client_set_source(c, source) != 0)
		_exit(1);
	origin_of(url, origin, sizeof origin);
	for (int i = 0; i < nlogin; i++) {
		int rc = advice_login_citizen(c, url, origin, toks[i], &sess[i], TIMEOUT_MS);

		if (rc != 0) {
			fprintf(stderr, "advice_bench: login failed: %s\n", advice_err_name(rc));
			_exit(1);
		}
	}
	if (write(fd, "r", 1) != 1 || read(go_fd, &go, 1) != 1)
		_exit(1);
	rep.first_us = now_us();
	for (int i = 0; i < n; i++) {
		int64_t t = now_us();

		k[i] = advice_connect(c, url, origin, sess[i % nlogin], TIMEOUT_MS, &err);
		if (k[i] == NULL) {
			fprintf(stderr, "advice_bench: connect failed after %d: %s\n", i,
				advice_err_name(err));
			break;
		}
		rep.last_us = now_us();
		hist_add(&h, rep.last_us - t);
		rep.got++;
	}
	if (idle_io_full(fd, &rep, sizeof rep, 1) != 0 || idle_io_full(fd, &h, sizeof h, 1) != 0)
		_exit(1);
	for (;;)
		advice_client_service(c, 1000);
}

/*
 * M3: N connections from max(N / 4000, 64) processes (or `procs`), all started at once after
 * their logins, over IDLE_SOURCES source addresses; prints the count, the connect rate and
 * the connect latency, then holds them for `hold` seconds.
 */
static int cmd_idle(const char *url, const char *tokfile, int n, double hold, int procs)
{
	static char *toks[MAX_SENDERS];
	static struct hist all, one;
	pid_t pids[IDLE_MAX_PROCS];
	int fds[IDLE_MAX_PROCS], go[2], ntok, total = 0, rc = 1;
	int64_t first = INT64_MAX, last = 0;

	ntok = tokens_read(tokfile, toks, MAX_SENDERS);
	if (procs < 1)
		procs = (n + IDLE_PER_PROC - 1) / IDLE_PER_PROC;
	if (procs < IDLE_MIN_PROCS)
		procs = IDLE_MIN_PROCS;
	if (procs > n)
		procs = n;
	if (ntok < 1 || n < 1 || procs > IDLE_MAX_PROCS || (n + procs - 1) / procs > IDLE_PER_PROC ||
	    pipe(go) != 0)
		return 2;
	for (int p = 0; p < procs; p++) {
		int pfd[2], share = n / procs + (p < n % procs);
		char source[32];

		snprintf(source, sizeof source, "127.0.0.%d", 1 + p % IDLE_SOURCES);
		if (pipe(pfd) != 0)
			return 1;
		pids[p] = fork();
		if (pids[p] == 0) {
			close(pfd[0]);
			close(go[1]);
			idle_worker(url, toks, ntok, share, source, go[0], pfd[1]);
		}
		close(pfd[1]);
		fds[p] = pfd[0];
	}
	close(go[0]);
	for (int p = 0; p < procs; p++) {
		char ready;

		if (read(fds[p], &ready, 1) != 1)
			goto out;
	}
	for (int p = 0; p < procs; p++)
		if (write(go[1], "g", 1) != 1)
			goto out;
	for (int p = 0; p < procs; p++) {
		struct idle_report rep;

		if (idle_io_full(fds[p], &rep, sizeof rep, 0) != 0 ||
		    idle_io_full(fds[p], &one, sizeof one, 0) != 0)
			goto out;
		total += rep.got;
		hist_merge(&all, &one);
		if (rep.got > 0 && rep.first_us < first)
			first = rep.first_us;
		if (rep.last_us > last)
			last = rep.last_us;
	}
	printf("{\"wanted\": %d, \"connected\": %d, \"procs\": %d, \"sources\": %d, \"connect_per_s\": %.0f, "
	       "\"connect_p50_ms\": %.2f, \"connect_p99_ms\": %.2f, \"connect_p999_ms\": %.2f}\n",
	       n, total, procs, procs < IDLE_SOURCES ? procs : IDLE_SOURCES,
	       total > 0 && last > first ? total / ((last - first) / 1e6) : 0.0, hist_quantile(&all, 0.5),
	       hist_quantile(&all, 0.99), hist_quantile(&all, 0.999));
	fflush(stdout);
	usleep((useconds_t)(hold * 1e6));
	rc = total == n ? 0 : 1;
out:
	for (int p = 0; p < procs; p++) {
		kill(pids[p], SIGKILL);
		waitpid(pids[p], NULL, 0);
		close(fds[p]);
	}
	close(go[1]);
	return rc;
}

/* ---- M4: attachment upload ---- */

#define FILE_MAX_PLAIN (25 * 1024 * 1024) /* the per-file quota (PROTOCOL.md §12.4) */
#define CHUNK_PLAIN    65536
#define CHUNK_CT       (CHUNK_PLAIN + 17)

/* Uploads one file of `size` plaintext bytes with `window` chunks in flight. 0 or -1. */
static int upload_file(struct advice_conn *k, const char *thread, long size, int window, int nfile)
{
	uint8_t fid[16], *m = malloc(24 + CHUNK_CT);
	long chunks = size == 0 ? 1 : (size + CHUNK_PLAIN - 1) / CHUNK_PLAIN, next = 0, acked = 0;
	char req[256], hex[33], *reply = NULL, *msg;
	int rc = -1;

	if (m == NULL)
		return -1;
	randombytes_buf(fid, sizeof fid); /* ids are unique server-wide: not from a seeded rand() */
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", fid[i]);
	for (int i = 24; i < 24 + CHUNK_CT; i++)
		m[i] = (uint8_t)(rand() >> 7);
	snprintf(req, sizeof req,
		 "{\"type\":\"file.begin\",\"id\":\"f%d-%d\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%ld}",
		 nfile, (int)getpid(), thread, hex, size);
	if ((rc = advice_request(k, req, &reply, TIMEOUT_MS)) != 0) {
		fprintf(stderr, "advice_bench: file.begin: %s %.200s\n", advice_err_name(rc),
			reply ? reply : "");
		rc = -1;
		goto out;
	}
	rc = -1;
	memcpy(m, "QC\x01\x00", 4);
	memcpy(m + 4, fid, 16);
	while (acked < chunks) {
		while (next < chunks && next - acked < window) {
			long plain = next == chunks - 1 ? size - next * CHUNK_PLAIN : CHUNK_PLAIN;

			for (int i = 0; i < 4; i++)
				m[20 + i] = (uint8_t)((uint32_t)next >> (8 * i));
			if (advice_send_raw(k, m, 24 + (size_t)plain + 17, ADVICE_FRAME_BINARY) != 0)
				goto out;
			next++;
		}
		if (advice_next_message(k, &msg, TIMEOUT_MS) != 0) {
			fprintf(stderr, "advice_bench: no chunk acknowledgement\n");
			goto out;
		}
		if (strstr(msg, "\"file.chunk\"") != NULL) {
			if (strstr(msg, "\"code\":\"ok\"") == NULL) {
				fprintf(stderr, "advice_bench: %.200s\n", msg);
				free(msg);
				goto out;
			}
			acked++;
		}
		free(msg);
	}
	rc = 0;
out:
	free(reply);
	free(m);
	return rc;
}

static int cmd_upload(const char *url, const char *tokfile, double mib, int window)
{
	struct advice_client *c = advice_client_new();
	struct sender s = { 0 };
	char *tok[1] = { NULL };
	long total = (long)(mib * 1024 * 1024), done = 0;
	int64_t t0;
	double cpu0;
	int rc = 1, nfile = 0;

	srand((unsigned)getpid() ^ (unsigned)time(NULL)); /* the chunks' filler bytes */
	if (c == NULL || window < 1 || tokens_read(tokfile, tok, 1) != 1)
		goto out;
	s.k = connect_as(c, url, tok[0], &s.session);
	if (s.k == NULL || citizen_thread(s.k, tok[0], &s.z, &s.t) != 0)
		goto out;
	cpu0 = cpu_seconds();
	t0 = now_us();
	while (done < total) {
		long size = total - done < FILE_MAX_PLAIN ? total - done : FILE_MAX_PLAIN;

		if (upload_file(s.k, s.t.id, size, window, nfile++) != 0)
			goto out;
		done += size;
	}
	printf("{\"mib\": %.1f, \"files\": %d, \"mb_per_s\": %.1f, \"seconds\": %.2f, \"gen_max_core\": "
	       "%.2f}\n",
	       mib, nfile, total / 1e6 / ((now_us() - t0) / 1e6), (now_us() - t0) / 1e6,
	       (cpu_seconds() - cpu0) / ((now_us() - t0) / 1e6));
	rc = 0;
out:
	sender_free(&s);
	free(tok[0]);
	advice_client_free(c);
	return rc;
}

/* ---- R1: resynchronising a dashboard ---- */

#define RESYNC_MAX_THREADS 10000

struct resync_list {
	long bytes, requests, threads, removed;
	long long change;
};

/* Pages through thread.list (a full list when since < 0, else by change from since) on `k`,
 * adding the bytes of every reply to *l. 0, or -1 (reason on stderr). */
static int resync_list_all(struct advice_conn *k, long long since, struct resync_list *l)
{
	char req[256], cursor[128] = "";
	int more = 1;

	while (more) {
		char *reply = NULL;
		json_t *j, *c;

		if (since >= 0)
			snprintf(req, sizeof req,
				 "{\"type\":\"thread.list\",\"id\":\"l%ld\",\"limit\":100,\"changed_since\":%"
				 "lld}",
				 l->requests, since);
		else if (cursor[0])
			snprintf(req, sizeof req,
				 "{\"type\":\"thread.list\",\"id\":\"l%ld\",\"limit\":100,\"cursor\":\"%s\"}",
				 l->requests, cursor);
		else
			snprintf(req, sizeof req, "{\"type\":\"thread.list\",\"id\":\"l%ld\",\"limit\":100}",
				 l->requests);
		if (advice_request(k, req, &reply, TIMEOUT_MS) != 0 ||
		    (j = json_loads(reply, 0, NULL)) == NULL) {
			fprintf(stderr, "advice_bench: thread.list failed: %.200s\n",
				reply ? reply : "no reply");
			free(reply);
			return -1;
		}
		l->requests++;
		l->bytes += (long)strlen(reply);
		l->threads += (long)json_array_size(json_object_get(j, "threads"));
		l->removed += (long)json_array_size(json_object_get(j, "removed"));
		l->change = json_integer_value(json_object_get(j, "change"));
		more = json_is_true(json_object_get(j, "more"));
		c = json_object_get(j, "cursor");
		snprintf(cursor, sizeof cursor, "%s", json_is_string(c) ? json_string_value(c) : "");
		if (since >= 0)
			since = l->change;
		json_decref(j);
		free(reply);
	}
	return 0;
}

/* The first category of categories.list into `out`. 0 or -1. */
static int resync_category(struct advice_conn *k, char *out, size_t len)
{
	char *reply = NULL;
	json_t *j;
	int rc = -1;

	if (advice_request(k, "{\"type\":\"categories.list\",\"id\":\"cat\"}", &reply, TIMEOUT_MS) == 0 &&
	    (j = json_loads(reply, 0, NULL)) != NULL) {
		const char *cat = json_string_value(
			json_object_get(json_array_get(json_object_get(j, "categories"), 0), "category"));

		if (cat != NULL) {
			snprintf(out, len, "%s", cat);
			rc = 0;
		}
		json_decref(j);
	}
	free(reply);
	return rc;
}

/* Sends `n` requests made by `make` (index, buffer) pipelined on `k` and waits for their
 * replies, handing each ok reply to `on_ok` (when not NULL) with the index in its request id
 * (the number after its first character). 0 or -1. */
static int resync_pipeline(struct advice_conn *k, int n,
			   void (*make)(int i, char *buf, size_t len, void *arg),
			   int (*on_ok)(int i, const char *reply, void *arg), void *arg)
{
	static char buf[4096];
	int got = 0, rc = 0;

	for (int i = 0; i < n; i++) {
		make(i, buf, sizeof buf, arg);
		if (buf[0] == '\0' || advice_send(k, buf) != 0)
			return -1;
	}
	while (got < n) {
		char *msg = NULL;
		char ty;

		if (advice_next_message(k, &msg, TIMEOUT_MS) != 0)
			return -1;
		ty = msg_kind(msg);
		if (ty == 'e') {
			fprintf(stderr, "advice_bench: %.200s\n", msg);
			free(msg);
			return -1;
		}
		if (ty == 'o') {
			json_t *j = json_loads(msg, 0, NULL);
			const char *id = json_string_value(json_object_get(j, "id"));
			long idx = id != NULL ? strtol(id + 1, NULL, 10) : -1;

			if (on_ok != NULL && idx >= 0 && idx < n && on_ok((int)idx, msg, arg) != 0)
				rc = -1;
			json_decref(j);
			got++;
		}
		free(msg);
	}
	return rc;
}

/* What the requests of one citizen's share of R1 are made from: its keys, the threads
 * (all of them; this citizen's from `first`), the category and the text of each message. */
struct resync_make {
	const char *category, *text;
	struct bench_citizen z;
	struct bench_thread *threads;
	int first, round;
};

static void make_prepare(int i, char *buf, size_t len, void *arg)
{
	(void)arg;
	snprintf(buf, len, "{\"type\":\"thread.prepare\",\"id\":\"p%d\"}", i);
}

static int took_prepare(int i, const char *reply, void *arg)
{
	struct resync_make *m = arg;

	return thread_prepared(reply, &m->threads[m->first + i]);
}

static void make_open(int i, char *buf, size_t len, void *arg)
{
	struct resync_make *m = arg;
	char rid[32], *req;

	snprintf(rid, sizeof rid, "o%d", i);
	req = thread_open_request(&m->threads[m->first + i], &m->z.dev, rid, m->category, m->text);
	snprintf(buf, len, "%s", req != NULL ? req : "");
	free(req);
}

static void make_send(int i, char *buf, size_t len, void *arg)
{
	struct resync_make *m = arg;
	struct bench_thread *t = &m->threads[m->first + i];
	char *body = envelope_next(t, &m->z.dev, m->text, strlen(m->text), t->seq);

	snprintf(buf, len, "{\"type\":\"message.send\",\"id\":\"m%d-%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
		 i, m->round, t->id, body != NULL ? body : "");
	if (body == NULL)
		buf[0] = '\0';
	free(body);
}

/* The citizen of `token` on `k` (its device registered) opens n threads from m->first:
 * thread.prepare for each, then thread.open with each first envelope, both pipelined. */
static int resync_open_share(struct advice_conn *k, const char *token, int n, struct resync_make *m)
{
	if (citizen_keys(&m->z, token) != 0 || citizen_register(k, &m->z) != 0)
		return -1;
	if (resync_pipeline(k, n, make_prepare, took_prepare, m) != 0)
		return -1;
	return resync_pipeline(k, n, make_open, NULL, m);
}

/* Logs WORKER in and connects. NULL on failure. */
static struct advice_conn *resync_staff(struct advice_client *c, const char *url, const char *worker,
					const char *password, char **session)
{
	char origin[ORIGIN_MAX];
	int err = 0, rc;

	origin_of(url, origin, sizeof origin);
	if (*session == NULL &&
	    (rc = advice_login_worker(c, url, origin, worker, password, session, TIMEOUT_MS)) != 0) {
		fprintf(stderr, "advice_bench: worker login failed: %s\n", advice_err_name(rc));
		return NULL;
	}
	return advice_connect(c, url, origin, *session, TIMEOUT_MS, &err);
}

static int cmd_resync(const char *url, const char *tokfile, int nthreads, const char *changes,
		      const char *worker, const char *password)
{
	static char *toks[MAX_SENDERS];
	static struct bench_thread threads[RESYNC_MAX_THREADS];
	struct advice_client *c = advice_client_new();
	struct advice_conn *staff = NULL;
	struct resync_list full = { 0 };
	struct resync_make m = { .threads = threads };
	char *staff_session = NULL, category[80], *text = bench_text(64);
	int ntok = tokens_read(tokfile, toks, MAX_SENDERS), per, rc = 1, round = 0;
	const char *p = changes;

	if (c == NULL || text == NULL || ntok < 1 || nthreads < 1 || nthreads > RESYNC_MAX_THREADS) {
		fprintf(stderr, "advice_bench: resync needs tokens and 1..%d threads\n", RESYNC_MAX_THREADS);
		goto out;
	}
	m.text = text;
	per = (nthreads + ntok - 1) / ntok;
	/* The citizens open the threads, each its share, pipelined. */
	for (int t = 0, i = 0; t < nthreads; t += per, i++) {
		char *session = NULL;
		struct advice_conn *k = connect_as(c, url, toks[i % ntok], &session);
		int n = nthreads - t < per ? nthreads - t : per;

		if (k == NULL || (t == 0 && resync_category(k, category, sizeof category) != 0)) {
			advice_conn_free(k);
			free(session);
			goto out;
		}
		m.category = category;
		m.first = t;
		if (resync_open_share(k, toks[i % ntok], n, &m) != 0) {
			advice_conn_free(k);
			free(session);
			goto out;
		}
		advice_conn_free(k);
		free(session);
	}
	if ((staff = resync_staff(c, url, worker, password, &staff_session)) == NULL ||
	    resync_list_all(staff, -1, &full) != 0)
		goto out;
	if (full.threads < nthreads) {
		fprintf(stderr, "advice_bench: the dashboard lists %ld of %d threads\n", full.threads,
			nthreads);
		goto out;
	}
	printf("{\"threads\": %ld, \"full_requests\": %ld, \"full_bytes\": %ld, \"resyncs\": [", full.threads,
	       full.requests, full.bytes);
	/* Each round: disconnect, CHANGES messages from the citizens, reconnect, resynchronise. */
	while (*p) {
		int nchanges = atoi(p);
		struct resync_list delta = { 0 };

		advice_conn_free(staff);
		staff = NULL;
		if (nchanges < 1 || nchanges > nthreads)
			goto out;
		m.round = round;
		for (int t = 0; t < nchanges; t += per) {
			char *session = NULL;
			struct advice_conn *k = connect_as(c, url, toks[(t / per) % ntok], &session);
			int n = nchanges - t < per ? nchanges - t : per;

			m.first = t;
			if (k == NULL || citizen_keys(&m.z, toks[(t / per) % ntok]) != 0 ||
			    resync_pipeline(k, n, make_send, NULL, &m) != 0) {
				advice_conn_free(k);
				free(session);
				goto out;
			}
			advice_conn_free(k);
			free(session);
		}
		if ((staff = resync_staff(c, url, worker, password, &staff_session)) == NULL ||
		    resync_list_all(staff, full.change, &delta) != 0)
			goto out;
		/* Exactly the changed threads, each once. */
		if (delta.threads != nchanges || delta.removed != 0) {
			fprintf(stderr,
				"advice_bench: resync after %d changes fetched %ld threads, %ld removals\n",
				nchanges, delta.threads, delta.removed);
			goto out;
		}
		printf("%s{\"changes\": %d, \"requests\": %ld, \"bytes\": %ld}", round ? ", " : "", nchanges,
		       delta.requests, delta.bytes);
		full.change = delta.change;
		round++;
		p += strcspn(p, ",");
		p += *p == ',';
	}
	printf("]}\n");
	rc = 0;
out:
	advice_conn_free(staff);
	free(staff_session);
	free(text);
	for (int i = 0; i < ntok; i++)
		free(toks[i]);
	advice_client_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	if (advice_crypto_init() != 0)
		return 1;
	if (argc >= 4 && strcmp(argv[1], "check") == 0)
		return cmd_check(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "envsize") == 0)
		return cmd_envsize(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "fsync") == 0)
		return cmd_fsync(argv[2], atof(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "sqlite") == 0)
		return cmd_sqlite(argv[2], atof(argv[3]), atoi(argv[4]));
	if (argc >= 4 && strcmp(argv[1], "seqwrite") == 0)
		return cmd_seqwrite(argv[2], atoi(argv[3]));
	if (argc >= 9 && strcmp(argv[1], "send") == 0)
		return cmd_send(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atof(argv[7]),
				atoi(argv[8]));
	if (argc >= 6 && strcmp(argv[1], "latency") == 0)
		return cmd_latency(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
	if (argc >= 6 && strcmp(argv[1], "idle") == 0)
		return cmd_idle(argv[2], argv[3], atoi(argv[4]), atof(argv[5]),
				argc >= 7 ? atoi(argv[6]) : 0);
	if (argc >= 5 && strcmp(argv[1], "upload") == 0)
		return cmd_upload(argv[2], argv[3], atof(argv[4]), argc >= 6 ? atoi(argv[5]) : 8);
	if (argc >= 8 && strcmp(argv[1], "resync") == 0)
		return cmd_resync(argv[2], argv[3], atoi(argv[4]), argv[5], argv[6], argv[7]);
	fprintf(stderr, "usage: see the comment at the top of tests/bench/advice_bench.c\n");
	return 2;
}
