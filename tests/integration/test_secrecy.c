/*
 * test_secrecy.c - what the server can and cannot learn (README), against the real adviced:
 *
 * - identity codes: after citizen logins (one refused), a thread with messages and an
 *   attachment, no form of any identity code is in any file of the data folder, read while the
 *   server runs (the database's WAL holds the latest writes then) and again after a clean stop;
 *   the citizens table holds exactly the keyed hashes of the codes;
 * - workers' passwords: a relay between libadvice and adviced records every byte of a first
 *   login with a setup code, a password change, logins, a wrong password and a second-factor
 *   enrolment; no form of any password is in those bytes (WebSocket frames unmasked) or in the
 *   data folder, while the key the client derived is there;
 * - the shred share: after `advicectl thread-shred`, no file of the data folder (the shred
 *   store and its journal included) holds the thread's share in any form, the server hands
 *   it to neither the worker nor the citizen, and without it neither opens the messages,
 *   though both still hold every other key (with it, the same keys still would);
 * - unit keys: a unit key the server substitutes (its own key in the event, a changed event,
 *   a whole chain under a root of its own, another unit's event) is refused by a client that
 *   checks against its pinned root key, and the genuine one is accepted before and after.
 *
 * Every scan is preceded by its positive control: the same scanner finds each form when it is
 * planted, and finds what the test knows the server did write where it was looked for.
 */
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "advice.h"
#include "advice_crypto.h"
#include "core.h"
#include "harness.h"
#include "itest.h"

/* Test identity codes (individual numbers 900-999): with a dash and with the 2000s' "A". */
#define HETU_1	       "150877-916J"
#define HETU_1_COMPACT "150877916J"
#define HETU_2	       "120301A927A"
#define HETU_2_COMPACT "120301927A"
/* A valid code outside the test range: test mode refuses its token. */
#define HETU_REFUSED	     "150877-123Y"
#define HETU_REFUSED_COMPACT "150877123Y"

#define WORKER	  "tove.secrecy"
#define PASSWORD1 "Tove's first passphrase 7c1d"
#define PASSWORD2 "Tove's second passphrase e82a"
#define PASSWORD3 "Tove's mistaken passphrase 40bf"

#define CANARY "CANARY-shredded-question-3f9e"

/* --- Fixtures --- */

static int setup_plain(void **state)
{
	struct itest_e2e *e = calloc(1, sizeof *e);

	assert_non_null(e);
	assert_int_equal(advice_crypto_init(), 0);
	/* Everything the server can log goes to the log the scan reads. */
	assert_int_equal(harness_start_with(&e->h, 0, "log_level = debug\n"), 0);
	*state = e;
	return 0;
}

static int setup_e2e(void **state)
{
	struct itest_e2e *e = calloc(1, sizeof *e);

	assert_non_null(e);
	itest_e2e_start(e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct itest_e2e *e = *state;
	int rc;

	if (e == NULL)
		return 0;
	rc = harness_stop(&e->h);
	free(e);
	return rc;
}

/* --- The database, read and written behind the server's back --- */

static sqlite3 *db_open(struct harness *h)
{
	char path[400];
	sqlite3 *db = NULL;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, HARNESS_TIMEOUT_MS);
	return db;
}

/* Runs `sql` with ?1 bound to the blob (when not NULL) and ?2 to the text (when not NULL).
 * A query returns its first column as an integer (0 without a row); a change, the number of
 * rows it changed. */
static long long db_run(sqlite3 *db, const char *sql, const void *blob, size_t len, const char *text)
{
	sqlite3_stmt *q = NULL;
	long long v = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (blob != NULL)
		sqlite3_bind_blob(q, 1, blob, (int)len, SQLITE_TRANSIENT);
	if (text != NULL)
		sqlite3_bind_text(q, 2, text, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE)
		v = sqlite3_changes(db);
	else
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(q);
	return v;
}

/* The blob in the first column of the query's first row (?2 bound to `text` when not
 * NULL), malloc'd. */
static uint8_t *db_blob(sqlite3 *db, const char *sql, const char *text, size_t *len)
{
	sqlite3_stmt *q = NULL;
	uint8_t *out;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (text != NULL)
		sqlite3_bind_text(q, 2, text, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	*len = (size_t)sqlite3_column_bytes(q, 0);
	out = malloc(*len + 1);
	assert_non_null(out);
	memcpy(out, sqlite3_column_blob(q, 0), *len);
	sqlite3_finalize(q);
	return out;
}

static void pepper_read(struct harness *h, uint8_t pepper[32])
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/secrets/pepper", h->dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(pepper, 1, 32, f), 32);
	fclose(f);
}

/* The WAL of the running server: it must exist and hold `text`, written moments ago. */
static void wal_holds(struct harness *h, const char *text)
{
	char path[400];
	struct stat sb;

	snprintf(path, sizeof path, "%s/advice.db-wal", h->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 0);
	if (!itest_file_contains(path, text))
		fail_msg("the WAL does not hold '%s': the scan would not see the latest writes", text);
}

/* --- Identity codes --- */

static void hetu_needles(struct itest_needles *nd)
{
	itest_needles_add_secret(nd, "identity code 1", HETU_1, HETU_1_COMPACT);
	itest_needles_add_secret(nd, "identity code 2", HETU_2, HETU_2_COMPACT);
	itest_needles_add_secret(nd, "refused identity code", HETU_REFUSED, HETU_REFUSED_COMPACT);
}

/* A citizen thread in test mode (opaque bodies): a question, a message and a one-chunk
 * attachment, each carrying `probe`. Returns the thread id (malloc'd). */
static char *thread_with_probe(struct advice_conn *k, const char *probe)
{
	uint8_t fid[16], chunk[64 + ADVICE_FILE_CHUNK_OVERHEAD] = { 0 };
	char *body = itest_b64(probe, strlen(probe)), *thread, fid_hex[33];
	json_t *r;

	r = itest_request(k, "ok",
			  "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
			  "\"body\":\"%s\"}",
			  body);
	thread = strdup(itest_str(r, "thread"));
	json_decref(r);
	json_decref(itest_request(
		k, "ok", "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	advice_random(fid, sizeof fid);
	advice_hex(fid_hex, fid, sizeof fid);
	json_decref(itest_request(
		k, "ok",
		"{\"type\":\"file.begin\",\"id\":\"f1\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":64}",
		thread, fid_hex));
	memcpy(chunk, probe, strlen(probe) < 64 ? strlen(probe) : 64);
	itest_chunk_send(k, fid, 0, chunk, sizeof chunk, "ok");
	free(body);
	return thread;
}

/* The citizens table holds the keyed hash of each code that logged in, and nothing else. */
static void citizens_hold_keyed_hashes(struct harness *h)
{
	const char *codes[] = { HETU_1, HETU_2 };
	uint8_t pepper[32], hash[STORE_HASH_BYTES];
	sqlite3 *db = db_open(h);

	pepper_read(h, pepper);
	for (size_t i = 0; i < 2; i++) {
		core_keyed_hash(pepper, "hetu", codes[i], strlen(codes[i]), hash);
		assert_int_equal(db_run(db, "SELECT count(*) FROM citizens WHERE hetu_hash = ?1", hash,
					sizeof hash, NULL),
				 1);
	}
	assert_int_equal(db_run(db, "SELECT count(*) FROM citizens", NULL, 0, NULL), 2);
	sqlite3_close(db);
}

static void test_identity_codes_only_as_keyed_hashes(void **state)
{
	struct itest_e2e *e = *state;
	struct harness *h = &e->h;
	struct itest_needles *nd = itest_needles_new(), *probes = itest_needles_new();
	char probe[64], *token, *session = NULL, *thread, blobs[400];
	struct advice_conn *k, *anna;
	int files = 0;

	hetu_needles(nd);
	itest_scan_self_test(nd);
	/* The forms reach into encoded text: a login's token carries the code in base64url. */
	token = harness_citizen_token(h, HETU_1);
	assert_non_null(token);
	assert_non_null(itest_needles_find(nd, token, strlen(token)));
	free(token);

	/* Logins (each code twice, one refused), a thread with messages and an attachment. */
	snprintf(probe, sizeof probe, "secrecy-probe-%08x", (unsigned)time(NULL));
	itest_needles_add_text(probes, "probe", probe);
	k = itest_citizen(h, HETU_1);
	thread = thread_with_probe(k, probe);
	advice_conn_free(k);
	advice_conn_free(itest_citizen(h, HETU_1));
	advice_conn_free(itest_citizen(h, HETU_2));
	k = itest_citizen(h, HETU_2);
	json_decref(itest_request(k, "ok", "{\"type\":\"thread.list\",\"id\":\"l1\"}"));
	advice_conn_free(k);
	assert_int_equal(harness_login_citizen(h, HETU_REFUSED, &session), -ADVICE_ERR_BAD_TOKEN);
	assert_null(session);
	assert_true(harness_log_contains(h, "citizen login refused")); /* it reached the log */
	anna = itest_worker(h, "anna");
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}",
				  thread));
	advice_conn_free(anna);

	/* While the server runs: the WAL holds the latest writes, the blob store the attachment. */
	wal_holds(h, probe);
	snprintf(blobs, sizeof blobs, "%s/blobs", h->dir);
	assert_true(itest_scan_dir(blobs, probes, NULL) >= 1);
	assert_int_equal(itest_scan_dir(h->dir, nd, &files), 0);
	assert_true(files >= 6); /* database, WAL, its index, a blob, both logs at least */
	citizens_hold_keyed_hashes(h);

	/* After a clean stop, with the WAL checkpointed into the database. */
	assert_int_equal(harness_restart(h), 0);
	assert_int_equal(itest_scan_dir(h->dir, nd, NULL), 0);
	assert_true(harness_log_contains(h, "citizen login of user"));
	free(thread);
	free(probes);
	free(nd);
}

/* --- Workers' passwords, seen on the wire --- */

#define RELAY_MAX_PAIRS 64

struct bytes {
	uint8_t *data;
	size_t len;
};

/* One connection through the relay; side 0 is the client's, side 1 the server's. */
struct relay_pair {
	int fd[2];
	int reading[2];	     /* not yet at end of file */
	struct bytes got[2]; /* everything read from each side */
};

/* A TCP relay on 127.0.0.1 that forwards to the server's port and keeps every byte. */
struct relay {
	int listen_fd, port, target_port, wake[2];
	pthread_t thread;
	size_t npairs;
	struct relay_pair pairs[RELAY_MAX_PAIRS];
};

static void bytes_add(struct bytes *b, const void *data, size_t len)
{
	uint8_t *n = realloc(b->data, b->len + len);

	if (n == NULL)
		abort(); /* a test's own memory: nothing sensible to do */
	memcpy(n + b->len, data, len);
	b->data = n;
	b->len += len;
}

static int tcp_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void relay_accept(struct relay *r)
{
	int c = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC), s;
	struct relay_pair *p;

	if (c < 0)
		return;
	s = tcp_to(r->target_port);
	if (s < 0 || r->npairs == RELAY_MAX_PAIRS) {
		close(c);
		if (s >= 0)
			close(s);
		return;
	}
	p = &r->pairs[r->npairs++];
	p->fd[0] = c;
	p->fd[1] = s;
	p->reading[0] = p->reading[1] = 1;
}

/* Moves what one side sent to the other, keeping a copy; at end of file, half-closes. */
static void relay_forward(struct relay_pair *p, int side)
{
	uint8_t buf[65536];
	ssize_t n = read(p->fd[side], buf, sizeof buf);

	if (n <= 0) {
		p->reading[side] = 0;
		shutdown(p->fd[!side], SHUT_WR);
		if (!p->reading[!side]) {
			close(p->fd[0]);
			close(p->fd[1]);
			p->fd[0] = p->fd[1] = -1;
		}
		return;
	}
	bytes_add(&p->got[side], buf, (size_t)n);
	for (ssize_t off = 0, w; off < n; off += w)
		if ((w = send(p->fd[!side], buf + off, (size_t)(n - off), MSG_NOSIGNAL)) <= 0)
			break;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct pollfd pf[2 + 2 * RELAY_MAX_PAIRS];
	int owner[2 + 2 * RELAY_MAX_PAIRS];

	for (;;) {
		nfds_t n = 2;

		pf[0] = (struct pollfd){ .fd = r->listen_fd, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
		for (size_t i = 0; i < r->npairs; i++)
			for (int side = 0; side < 2; side++)
				if (r->pairs[i].fd[side] >= 0 && r->pairs[i].reading[side]) {
					pf[n] = (struct pollfd){ .fd = r->pairs[i].fd[side],
								 .events = POLLIN };
					owner[n++] = (int)i * 2 + side;
				}
		if (poll(pf, n, -1) < 0)
			continue;
		if (pf[1].revents != 0)
			return NULL;
		for (nfds_t i = 2; i < n; i++)
			if (pf[i].revents != 0)
				relay_forward(&r->pairs[owner[i] / 2], owner[i] % 2);
		if (pf[0].revents & POLLIN)
			relay_accept(r);
	}
}

static void relay_start(struct relay *r, int target_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;

	memset(r, 0, sizeof *r);
	r->target_port = target_port;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->listen_fd >= 0);
	assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(r->listen_fd, 16), 0);
	assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&a, &alen), 0);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pipe(r->wake), 0);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

/* Stops the relay thread; the recorded bytes stay for reading. */
static void relay_stop(struct relay *r)
{
	assert_int_equal(write(r->wake[1], "x", 1), 1);
	assert_int_equal(pthread_join(r->thread, NULL), 0);
	for (size_t i = 0; i < r->npairs; i++)
		for (int side = 0; side < 2; side++)
			if (r->pairs[i].fd[side] >= 0)
				close(r->pairs[i].fd[side]);
	close(r->listen_fd);
	close(r->wake[0]);
	close(r->wake[1]);
}

static void relay_free(struct relay *r)
{
	for (size_t i = 0; i < r->npairs; i++)
		for (int side = 0; side < 2; side++)
			free(r->pairs[i].got[side].data);
}

/*
 * The client's side of a WebSocket connection with its frames unmasked (a client masks every
 * frame with a random key, RFC 6455 §5.3, so its bytes on the wire hide the text): the
 * payloads one after the other. Empty for a connection that is no WebSocket.
 */
static struct bytes ws_unmasked(const struct bytes *in)
{
	struct bytes out = { 0 };
	const uint8_t *p, *end = in->data + in->len;

	if (in->len < 4 || memcmp(in->data, "GET ", 4) != 0 ||
	    (p = memmem(in->data, in->len, "\r\n\r\n", 4)) == NULL)
		return out;
	for (p += 4; end - p >= 2;) {
		uint64_t len = p[1] & 0x7f;
		const uint8_t *mask = NULL;
		int masked = p[1] & 0x80;

		p += 2;
		if (len >= 126) {
			size_t n = len == 126 ? 2 : 8;

			if ((size_t)(end - p) < n)
				break;
			len = 0;
			for (size_t i = 0; i < n; i++)
				len = len << 8 | p[i];
			p += n;
		}
		if (masked) {
			if (end - p < 4)
				break;
			mask = p;
			p += 4;
		}
		if ((uint64_t)(end - p) < len)
			break;
		for (uint64_t i = 0; i < len; i++) {
			uint8_t c = mask != NULL ? p[i] ^ mask[i & 3] : p[i];

			bytes_add(&out, &c, 1);
		}
		p += len;
	}
	return out;
}

/* Whether any recorded stream holds `text`: side 0 (client to server, frames unmasked), 1. */
static int relay_saw(const struct relay *r, int side, const char *text)
{
	int found = 0;

	for (size_t i = 0; i < r->npairs && !found; i++) {
		const struct bytes *b = &r->pairs[i].got[side];
		struct bytes ws = side == 0 ? ws_unmasked(b) : (struct bytes){ 0 };

		found = memmem(b->data, b->len, text, strlen(text)) != NULL ||
			(ws.len > 0 && memmem(ws.data, ws.len, text, strlen(text)) != NULL);
		free(ws.data);
	}
	return found;
}

/* Every needle found in any recorded stream, unmasked frames included, reported. */
static int relay_hits(const struct relay *r, const struct itest_needles *nd)
{
	int hits = 0;

	for (size_t i = 0; i < r->npairs; i++)
		for (int side = 0; side < 2; side++) {
			const struct bytes *b = &r->pairs[i].got[side];
			struct bytes ws = side == 0 ? ws_unmasked(b) : (struct bytes){ 0 };
			const struct itest_needle *v;

			if ((v = itest_needles_find(nd, b->data, b->len)) != NULL ||
			    (ws.len > 0 && (v = itest_needles_find(nd, ws.data, ws.len)) != NULL)) {
				fprintf(stderr, "%s sent %s on connection %zu\n", v->label,
					side == 0 ? "to the server" : "to the client", i);
				hits++;
			}
			free(ws.data);
		}
	return hits;
}

/* The salt and parameters the server announces for WORKER (asked directly, not relayed),
 * and the login key the client derives from `password` with them, base64url (malloc'd). */
static char *login_key_b64(struct harness *h, const char *password, uint8_t key[ADVICE_AUTH_KEY_BYTES])
{
	char *body = NULL;
	uint8_t salt[ADVICE_SALT_BYTES];
	json_t *j;

	assert_int_equal(advice_http_post(h->client, h->base_url, "/api/v1/login/worker/start", h->origin,
					  NULL, "{\"username\":\"" WORKER "\"}", &body, NULL,
					  HARNESS_TIMEOUT_MS),
			 200);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	itest_unb64_fixed(json_object_get(j, "salt"), salt, sizeof salt);
	assert_int_equal(advice_worker_auth_key(password, salt, (unsigned long long)itest_num(j, "opslimit"),
						(size_t)itest_num(j, "memlimit"), key),
			 0);
	json_decref(j);
	free(body);
	return itest_b64(key, ADVICE_AUTH_KEY_BYTES);
}

/* A new account's setup code from advicectl worker-add (malloc'd). */
static char *worker_add(struct harness *h)
{
	const char *const add[] = { "worker-add", WORKER, "--unit", "Adult social work", NULL };
	char *out = NULL, code[32];
	const char *p;

	assert_int_equal(harness_ctl(h, add, &out), 0);
	p = strstr(out, "setup code of " WORKER ": ");
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen("setup code of " WORKER ": "), "%31s", code), 1);
	free(out);
	return strdup(code);
}

/* The worker's whole life with passwords, through the relay at `url`. */
static void worker_logins(struct harness *h, const char *url, const char *setup)
{
	struct advice_client *c = h->client;
	char *session = NULL, *secret = NULL;
	struct advice_conn *k;
	int err = 0;

	/* First login: the setup code proves the account, PASSWORD1 becomes its password. */
	assert_int_equal(advice_login_worker_with(c, url, h->origin, WORKER, PASSWORD1, NULL, setup, NULL,
						  &session, HARNESS_TIMEOUT_MS),
			 0);
	free(session);
	/* A password change, and logins with the new one; the WebSocket goes through too. */
	assert_int_equal(advice_login_worker_with(c, url, h->origin, WORKER, PASSWORD1, NULL, NULL, PASSWORD2,
						  &session, HARNESS_TIMEOUT_MS),
			 0);
	free(session);
	assert_int_equal(
		advice_login_worker(c, url, h->origin, WORKER, PASSWORD2, &session, HARNESS_TIMEOUT_MS), 0);
	k = advice_connect(c, url, h->origin, session, HARNESS_TIMEOUT_MS, &err);
	assert_non_null(k);
	json_decref(itest_request(k, "ok", "{\"type\":\"keys.mine\",\"id\":\"ws-probe-5d21\"}"));
	advice_conn_free(k);
	free(session);
	session = NULL;
	/* The old password and a wrong one are refused. */
	assert_int_equal(
		advice_login_worker(c, url, h->origin, WORKER, PASSWORD1, &session, HARNESS_TIMEOUT_MS),
		-ADVICE_ERR_BAD_CREDENTIALS);
	assert_int_equal(
		advice_login_worker(c, url, h->origin, WORKER, PASSWORD3, &session, HARNESS_TIMEOUT_MS),
		-ADVICE_ERR_BAD_CREDENTIALS);
	assert_null(session);
	/* A second factor's enrolment, proven by the password. */
	assert_int_equal(
		advice_worker_enrol(c, url, h->origin, WORKER, PASSWORD2, NULL, &secret, HARNESS_TIMEOUT_MS),
		0);
	assert_non_null(secret);
	free(secret);
}

/* The account's stored hash is the keyed hash of the key the client derived. */
static void worker_holds_keyed_key_hash(struct harness *h, const uint8_t key[ADVICE_AUTH_KEY_BYTES])
{
	uint8_t pepper[32], hash[STORE_HASH_BYTES];
	sqlite3 *db = db_open(h);

	pepper_read(h, pepper);
	core_keyed_hash(pepper, "auth key", key, ADVICE_AUTH_KEY_BYTES, hash);
	assert_int_equal(db_run(db, "SELECT count(*) FROM workers WHERE auth_hash = ?1 AND username = ?2",
				hash, sizeof hash, WORKER),
			 1);
	sqlite3_close(db);
}

static void test_worker_password_never_reaches_the_server(void **state)
{
	struct itest_e2e *e = *state;
	struct harness *h = &e->h;
	struct itest_needles *nd = itest_needles_new();
	uint8_t key[ADVICE_AUTH_KEY_BYTES];
	char url[64], *setup, *key2;
	struct relay *r = calloc(1, sizeof *r);

	assert_non_null(r);
	itest_needles_add_secret(nd, "password 1", PASSWORD1, NULL);
	itest_needles_add_secret(nd, "password 2", PASSWORD2, NULL);
	itest_needles_add_secret(nd, "password 3", PASSWORD3, NULL);
	itest_scan_self_test(nd);
	setup = worker_add(h);

	relay_start(r, h->port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", r->port);
	worker_logins(h, url, setup);
	relay_stop(r);

	/* The relay saw the logins: requests, the setup code, the WebSocket's frames unmasked, the
	 * key derived from the password (computed here on the side), the server's answers. */
	key2 = login_key_b64(h, PASSWORD2, key);
	assert_true(r->npairs >= 7); /* a connection at least for each login, the socket, the enrolment */
	assert_true(relay_saw(r, 0, "POST /api/v1/login/worker "));
	assert_true(relay_saw(r, 0, WORKER));
	assert_true(relay_saw(r, 0, setup));
	assert_true(relay_saw(r, 0, key2));
	assert_true(relay_saw(r, 0, "ws-probe-5d21"));
	assert_true(relay_saw(r, 1, "totp_secret"));
	assert_true(relay_saw(r, 1, "bad_credentials"));
	/* ... and no password in any form, either way. */
	assert_int_equal(relay_hits(r, nd), 0);

	/* Nor in the data folder, while running (the WAL holds the new account) and after a stop. */
	wal_holds(h, WORKER);
	assert_int_equal(itest_scan_dir(h->dir, nd, NULL), 0);
	worker_holds_keyed_key_hash(h, key);
	assert_int_equal(harness_restart(h), 0);
	assert_int_equal(itest_scan_dir(h->dir, nd, NULL), 0);

	relay_free(r);
	free(r);
	free(key2);
	free(setup);
	free(nd);
}

/* --- The operational log --- */

/* How many needles occur in adviced.log (each reported on stderr). */
static int log_hits(struct harness *h, const struct itest_needles *nd)
{
	char path[400];
	FILE *f;
	char *text;
	int hits = 0;

	snprintf(path, sizeof path, "%s/adviced.log", h->dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	text = itest_slurp(f);
	fclose(f);
	for (size_t i = 0; i < nd->n; i++)
		if (memmem(text, strlen(text), nd->v[i].bytes, nd->v[i].len) != NULL) {
			fprintf(stderr, "adviced.log holds %s\n", nd->v[i].label);
			hits++;
		}
	free(text);
	return hits;
}

/* The pepper as the raw bytes and in its text forms. */
static void pepper_needles(struct harness *h, struct itest_needles *nd)
{
	uint8_t pepper[32];
	char hex[65], b64[64];

	pepper_read(h, pepper);
	assert_true(nd->n < ITEST_NEEDLES_MAX);
	snprintf(nd->v[nd->n].label, sizeof nd->v[nd->n].label, "the pepper (raw)");
	memcpy(nd->v[nd->n].bytes, pepper, sizeof pepper);
	nd->v[nd->n++].len = sizeof pepper;
	sodium_bin2hex(hex, sizeof hex, pepper, sizeof pepper);
	itest_needles_add_text(nd, "the pepper (hex)", hex);
	for (char *c = hex; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	itest_needles_add_text(nd, "the pepper (HEX)", hex);
	sodium_bin2base64(b64, sizeof b64, pepper, sizeof pepper, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	itest_needles_add_text(nd, "the pepper (base64)", b64);
	sodium_bin2base64(b64, sizeof b64, pepper, sizeof pepper, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	itest_needles_add_text(nd, "the pepper (base64url)", b64);
	sodium_memzero(pepper, sizeof pepper);
}

/*
 * The log at debug level after a day's work in small: a citizen's login, a question, a message
 * and an attachment, a refused login, a worker's login, read and answer, a failed worker login,
 * advicectl commands (a new worker's setup code among their output). adviced's stderr holds
 * no identity code, session, message text, password, setup code or pepper, and every line is
 * of the key=value format of server/log.h. (The bank-ID login's log: test_bank_login.c.)
 */
static void test_log_is_key_value_and_holds_no_secret(void **state)
{
	struct itest_e2e *e = *state;
	struct harness *h = &e->h;
	struct itest_needles *nd = itest_needles_new(), *words = itest_needles_new();
	const char *const list[] = { "worker-list", NULL };
	char question[64], answer[64], *session = NULL, *refused = NULL, *thread, *setup, *body;
	struct advice_conn *k, *anna;
	int err = 0;

	snprintf(question, sizeof question, "log-probe-question-%08x", (unsigned)time(NULL));
	snprintf(answer, sizeof answer, "log-probe-answer-%08x", (unsigned)time(NULL));
	assert_int_equal(harness_login_citizen(h, HETU_1, &session), 0);
	k = advice_connect(h->client, h->base_url, h->origin, session, HARNESS_TIMEOUT_MS, &err);
	assert_non_null(k);
	thread = thread_with_probe(k, question);
	assert_int_equal(harness_login_citizen(h, HETU_REFUSED, &refused), -ADVICE_ERR_BAD_TOKEN);
	anna = itest_worker(h, "anna");
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
				  thread));
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}",
				  thread));
	body = itest_b64(answer, strlen(answer));
	json_decref(itest_request(
		anna, "ok", "{\"type\":\"message.send\",\"id\":\"a1\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	advice_conn_free(anna);
	advice_conn_free(k);
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "anna", "anna-wrong-password",
					     &refused, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_BAD_CREDENTIALS);
	setup = worker_add(h);
	assert_int_equal(harness_ctl(h, list, NULL), 0);
	assert_true(harness_log_contains(h, "citizen login refused")); /* the events reached the log */
	assert_true(harness_log_contains(h, "citizen login of user"));

	/* Two sets: each secret in all its forms does not fit in one. */
	hetu_needles(nd);
	itest_needles_add_secret(nd, "the citizen's session", session, NULL);
	pepper_needles(h, nd);
	itest_needles_add_secret(words, "the question", question, NULL);
	itest_needles_add_secret(words, "the answer", answer, NULL);
	itest_needles_add_secret(words, "anna's password", "anna-demo", NULL);
	itest_needles_add_secret(words, "the wrong password", "anna-wrong-password", NULL);
	itest_needles_add_secret(words, "the setup code", setup, NULL);
	itest_scan_self_test(nd);
	itest_scan_self_test(words);
	assert_int_equal(log_hits(h, nd) + log_hits(h, words), 0);
	itest_log_lines_parse(h);
	/* And after the stop, with the drain's lines. */
	assert_int_equal(harness_restart(h), 0);
	assert_int_equal(log_hits(h, nd) + log_hits(h, words), 0);
	itest_log_lines_parse(h);
	free(body);
	free(setup);
	free(thread);
	free(session);
	free(words);
	free(nd);
}

/* --- The shred share --- */

/* The citizen's client: thread.keys, the wrap to its identity opened. 0 with the thread key and
 * the share as the server gives them now, or -1 when no wrap opens. */
static int citizen_thread_key(struct advice_conn *k, const struct advice_keys *id,
			      const struct advice_keys *dev, const char *thread, uint8_t tkey[32],
			      uint8_t share[32])
{
	uint8_t wrap[ADVICE_WRAP_BYTES], tid[ADVICE_OID_BYTES];
	struct advice_wrap_info wi;
	json_t *r = itest_request(k, "ok", "{\"type\":\"thread.keys\",\"id\":\"ck-%s\",\"thread\":\"%s\"}",
				  thread, thread),
	       *x;
	size_t i;
	int rc = -1;

	assert_int_equal(advice_unhex(tid, sizeof tid, thread), 0);
	itest_unb64_fixed(json_object_get(r, "share"), share, 32);
	json_array_foreach (json_object_get(r, "wraps"), i, x) {
		itest_unb64_fixed(x, wrap, sizeof wrap);
		if (rc != 0 && advice_wrap_open(tkey, &wi, wrap, sizeof wrap, ADVICE_WRAP_THREAD_KEY, tid, 0,
						id, dev->sign_pk) == 0)
			rc = 0;
	}
	json_decref(r);
	return rc;
}

/* The thread's first message as the server serves it (the envelope, base64url; malloc'd). */
static char *first_body(struct advice_conn *k, const char *thread)
{
	json_t *r = itest_request(k, "ok", "{\"type\":\"thread.read\",\"id\":\"rd-%s\",\"thread\":\"%s\"}",
				  thread, thread);
	char *body = strdup(itest_str(json_array_get(json_object_get(r, "messages"), 0), "body"));

	json_decref(r);
	return body;
}

/* Whether the envelope opens to CANARY with this thread key and share. */
static int opens(const char *body, const char *thread, const uint8_t tkey[32], const uint8_t share[32],
		 const uint8_t sender_pk[32])
{
	json_t *j = json_string(body);
	char *text = itest_envelope_text(j, thread, tkey, share, sender_pk);
	int ok = text != NULL && strcmp(text, CANARY) == 0;

	free(text);
	json_decref(j);
	return ok;
}

/* The forms a shred share could be stored in: its bytes, base64url (the wire's), hex. */
static void share_needles(struct itest_needles *nd, const uint8_t share[32])
{
	char b64url[64], hex[65];

	assert_true(nd->n < ITEST_NEEDLES_MAX);
	snprintf(nd->v[nd->n].label, sizeof nd->v[nd->n].label, "share (bytes)");
	memcpy(nd->v[nd->n].bytes, share, 32);
	nd->v[nd->n++].len = 32;
	sodium_bin2base64(b64url, sizeof b64url, share, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	itest_needles_add_text(nd, "share (base64url)", b64url);
	sodium_bin2hex(hex, sizeof hex, share, 32);
	itest_needles_add_text(nd, "share (hex)", hex);
}

static void test_deleted_shred_share_makes_thread_unreadable(void **state)
{
	struct itest_e2e *e = *state;
	struct advice_conn *cit = itest_citizen(&e->h, HETU_1), *anna = itest_worker(&e->h, "anna");
	uint8_t tkey[32], share[32], key_w[32], share_w[32], key_c[32], share_c[32], cpk[32];
	struct advice_keys id = { 0 }, dev;
	struct itest_worker *w = calloc(1, sizeof *w);
	struct itest_needles *nd = itest_needles_new();
	char thread[33], shred[400], *body, *again;

	assert_non_null(w);
	itest_device_new(cit, &id, NULL, &dev, "dev1");
	itest_citizen_open(e, cit, &id, &dev, "t1", CANARY, thread, tkey, share);
	itest_worker_keys(e, anna, "anna-demo", w);

	/* Before: the worker and the citizen each reach the thread key and the share, and read. */
	body = first_body(anna, thread);
	assert_int_equal(itest_worker_thread_key(e, anna, w, thread, key_w, share_w, cpk), 0);
	assert_memory_equal(share_w, share, 32);
	assert_true(opens(body, thread, key_w, share_w, dev.sign_pk));
	assert_int_equal(citizen_thread_key(cit, &id, &dev, thread, key_c, share_c), 0);
	assert_true(opens(body, thread, key_c, share_c, dev.sign_pk));

	/* The share is in the shred store (the scan finds it there), nowhere else. */
	share_needles(nd, share);
	itest_scan_self_test(nd);
	snprintf(shred, sizeof shred, "%s/advice-shred.db", e->h.dir);
	assert_int_equal(itest_scan_dir(shred, nd, NULL), 1); /* expected: the share is found there */
	assert_int_equal(itest_scan_dir(e->h.dir, nd, NULL), 1);

	/* The thread is shredded: its share leaves the shred store, and no file keeps it. */
	assert_int_equal(harness_ctl(&e->h, (const char *const[]){ "thread-shred", thread, NULL }, NULL), 0);
	assert_int_equal(itest_scan_dir(e->h.dir, nd, NULL), 0);

	/* After: the same envelope and the same thread key through every wrap, but the server
	 * hands out no share, and another share does not open it; the deleted one would. */
	again = first_body(anna, thread);
	assert_string_equal(again, body);
	json_decref(itest_request(anna, "not_found",
				  "{\"type\":\"thread.keys\",\"id\":\"k-gone\",\"thread\":\"%s\"}", thread));
	json_decref(itest_request(cit, "not_found",
				  "{\"type\":\"thread.keys\",\"id\":\"k-gone\",\"thread\":\"%s\"}", thread));
	advice_random(share_w, sizeof share_w);
	assert_false(opens(again, thread, key_c, share_w, dev.sign_pk));
	assert_true(opens(again, thread, key_c, share, dev.sign_pk));
	free(nd);

	free(again);
	free(body);
	free(w);
	advice_conn_free(cit);
	advice_conn_free(anna);
}

/* --- Unit keys the server substitutes --- */

/* What a unit key's check rests on, as stored: the unit's first event, the admin's
 * certificate and the root key. */
struct stored_keys {
	uint8_t *event, *cert, *root;
	size_t event_len, cert_len, root_len;
};

static void stored_read(sqlite3 *db, const char *unit, struct stored_keys *s)
{
	s->event = db_blob(db, "SELECT event FROM e2e_unit_gens WHERE unit_id = ?2 AND generation = 1", unit,
			   &s->event_len);
	s->cert = db_blob(db, "SELECT cert FROM e2e_certs WHERE role = 1", NULL, &s->cert_len);
	s->root = db_blob(db, "SELECT sign_pk FROM e2e_root", NULL, &s->root_len);
}

static void stored_put(sqlite3 *db, const char *unit, const uint8_t *event, size_t event_len,
		       const uint8_t *cert, const uint8_t *root)
{
	assert_int_equal(db_run(db,
				"UPDATE e2e_unit_gens SET event = ?1 WHERE unit_id = ?2 AND generation = 1",
				event, event_len, unit),
			 1);
	assert_int_equal(
		db_run(db, "UPDATE e2e_certs SET cert = ?1 WHERE role = 1", cert, ADVICE_CERT_BYTES, NULL),
		1);
	assert_int_equal(db_run(db, "UPDATE e2e_root SET sign_pk = ?1", root, 32, NULL), 1);
}

static void stored_free(struct stored_keys *s)
{
	free(s->event);
	free(s->cert);
	free(s->root);
}

/* A key pair set from fresh randomness. */
static void keys_random(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	advice_keys_personal(k, seed);
}

/* The genuine event with the unit keys of a seed of the server's own, signed by `signer`. */
static void event_forge(const uint8_t *genuine, size_t len, const struct advice_keys *signer, uint8_t *out,
			size_t *out_len)
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	struct advice_keys unit;
	uint8_t seed[32], chain[32];

	assert_non_null(ev);
	assert_int_equal(advice_unit_event_parse(genuine, len, ev), 0);
	advice_random(seed, sizeof seed);
	advice_keys_unit(&unit, chain, seed);
	memcpy(ev->box_pk, unit.box_pk, 32);
	memcpy(ev->sign_pk, unit.sign_pk, 32);
	assert_int_equal(advice_unit_event_sign(out, ADVICE_UNIT_EVENT_MAX_BYTES, out_len, ev, signer), 0);
	free(ev);
}

/* An admin certificate for `admin` signed by `root`. */
static void cert_forge(const struct advice_keys *admin, const struct advice_keys *root,
		       uint8_t out[ADVICE_CERT_BYTES])
{
	struct advice_cert c = { .role = ADVICE_ROLE_ADMIN, .not_before = 0, .not_after = UINT64_MAX / 2 };

	advice_random(c.subject_id, sizeof c.subject_id);
	memcpy(c.sign_pk, admin->sign_pk, 32);
	memcpy(c.box_pk, admin->box_pk, 32);
	assert_int_equal(advice_cert_sign(out, &c, root), 0);
}

/* The id of the unit behind a category, as keys.unit names it. */
static void unit_id(struct advice_conn *k, const char *category, char unit[33])
{
	json_t *r = itest_request(k, "ok", "{\"type\":\"keys.unit\",\"id\":\"id-%s\",\"category\":\"%s\"}",
				  category, category);

	assert_int_equal(strlen(itest_str(r, "unit")), 32);
	memcpy(unit, itest_str(r, "unit"), 33);
	json_decref(r);
}

/* Asks for the unit key as a citizen's client does: 0 accepted, -1 refused. The event the
 * server served must be `expect_event` (it did serve the substitute). */
static int unit_key_accepted(struct itest_e2e *e, struct advice_conn *k, const uint8_t *expect_event,
			     size_t expect_len, json_t **served)
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t *got;
	size_t len = 0;
	int rc;

	assert_non_null(ev);
	rc = itest_unit_key(e->root_pk, k, "adult-social-work", ev, served);
	got = itest_unb64(
		json_object_get(json_array_get(json_object_get(*served, "generations"), 0), "event"), &len);
	assert_int_equal(len, expect_len);
	assert_memory_equal(got, expect_event, len);
	free(got);
	free(ev);
	return rc;
}

/* Whether the reply verifies when the client trusts the root the server names (no client
 * should): shows a refusal is the pinned root's doing. */
static int accepted_under_served_root(json_t *served)
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t root[32], admin[32];
	int ok;

	assert_non_null(ev);
	itest_unb64_fixed(json_object_get(served, "root"), root, 32);
	ok = itest_admin_key(root, json_object_get(served, "certs"), admin) == 0 &&
	     itest_unit_current(json_object_get(served, "generations"), admin, itest_str(served, "unit"),
				ev) == 0;
	free(ev);
	return ok;
}

static void test_substituted_unit_key_refused(void **state)
{
	struct itest_e2e *e = *state;
	struct advice_conn *cit = itest_citizen(&e->h, HETU_1);
	uint8_t forged[ADVICE_UNIT_EVENT_MAX_BYTES], cert[ADVICE_CERT_BYTES], *flipped;
	struct stored_keys adult, family;
	struct advice_keys fake_root, fake_admin;
	char unit[33], family_unit[33];
	size_t forged_len = 0;
	json_t *served = NULL;
	sqlite3 *db;

	/* The ids of both units as the server names them; the genuine key is accepted. */
	unit_id(cit, "adult-social-work", unit);
	unit_id(cit, "children-and-families", family_unit);
	db = db_open(&e->h);
	stored_read(db, unit, &adult);
	stored_read(db, family_unit, &family);
	assert_int_equal(unit_key_accepted(e, cit, adult.event, adult.event_len, &served), 0);
	json_decref(served);

	/* 1. A unit key of the server's own, in an event it signs with a key of its own. */
	keys_random(&fake_admin);
	event_forge(adult.event, adult.event_len, &fake_admin, forged, &forged_len);
	stored_put(db, unit, forged, forged_len, adult.cert, adult.root);
	assert_int_equal(unit_key_accepted(e, cit, forged, forged_len, &served), -1);
	json_decref(served);

	/* 2. The genuine event with its public box key changed (offset 26, CRYPTO-FORMATS.md). */
	flipped = malloc(adult.event_len);
	assert_non_null(flipped);
	memcpy(flipped, adult.event, adult.event_len);
	flipped[26] ^= 0x01;
	stored_put(db, unit, flipped, adult.event_len, adult.cert, adult.root);
	assert_int_equal(unit_key_accepted(e, cit, flipped, adult.event_len, &served), -1);
	json_decref(served);
	free(flipped);

	/* 3. A whole chain of its own: root key, admin certificate and event. Consistent in itself
	 * (it verifies under the root the server names), refused under the pinned root. */
	keys_random(&fake_root);
	cert_forge(&fake_admin, &fake_root, cert);
	stored_put(db, unit, forged, forged_len, cert, fake_root.sign_pk);
	assert_int_equal(unit_key_accepted(e, cit, forged, forged_len, &served), -1);
	assert_true(accepted_under_served_root(served));
	json_decref(served);

	/* 4. Another unit's genuine event, validly signed by the real admin, served as this unit's:
	 * refused because it names another unit. */
	stored_put(db, unit, family.event, family.event_len, adult.cert, adult.root);
	assert_int_equal(unit_key_accepted(e, cit, family.event, family.event_len, &served), -1);
	{
		struct advice_unit_event *ev = calloc(1, sizeof *ev);
		uint8_t admin[32];

		assert_non_null(ev);
		assert_int_equal(itest_admin_key(e->root_pk, json_object_get(served, "certs"), admin), 0);
		assert_int_equal(itest_unit_current(json_object_get(served, "generations"), admin, NULL, ev),
				 0);
		free(ev);
	}
	json_decref(served);

	/* Restored, the genuine key is accepted again. */
	stored_put(db, unit, adult.event, adult.event_len, adult.cert, adult.root);
	assert_int_equal(unit_key_accepted(e, cit, adult.event, adult.event_len, &served), 0);
	json_decref(served);

	sqlite3_close(db);
	stored_free(&adult);
	stored_free(&family);
	advice_conn_free(cit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_codes_only_as_keyed_hashes, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_worker_password_never_reaches_the_server, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_is_key_value_and_holds_no_secret, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_shred_share_makes_thread_unreadable, setup_e2e,
						teardown),
		cmocka_unit_test_setup_teardown(test_substituted_unit_key_refused, setup_e2e, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
