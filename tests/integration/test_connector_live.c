/*
 * test_connector_live.c - advice-connector against the real adviced (issue 18, item 1), with
 * the keys set up as a deployment sets them: `advice-connector keygen`, `advicectl
 * connector-add` with the root key file. A citizen opens a thread, anna answers with a PDF,
 * the citizen consents the way the app does (the connector's certificate from keys.unit,
 * verified under the pinned root; the thread key of every epoch sealed to the connector and
 * signed by the citizen's device; the consent event signed by it) and anna closes the thread.
 * `advice-connector run --once` with the directory adapter hands it over: the bundle is whole
 * (the messages decrypted, the attachment's bytes, every hash of the manifest), the disclosure
 * log has exactly one row for it, handover.pending is empty after. A closed thread without
 * consent is never handed over, and the connector's own read of it is not_found.
 *
 * The kill test: twelve consented closed threads, the connector SIGKILLed at random points
 * of its hand-overs round after round (the seed is printed; ADVICE_TEST_SEED repeats a run)
 * and started again; at the end every (thread, epoch) is in the sink exactly once and whole,
 * the disclosure log has one row per hand-over, and the journal says done for each.
 *
 * The export: the connector holds the unit's keys (connector-unit-add), the register keeper
 * orders an export of the citizen's threads (export-order), `advice-connector export` makes
 * the zip (each thread's bundle, export.json) and reports it with one disclosure row.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	     "010594Y9032"
#define QUESTION     "Voinko saada apua vuokraan?"
#define ANSWER	     "Kyllä, tässä hakemus liitteenä."
#define FILE_LEN     3000
#define KILL_THREADS 12
#define KILL_MAX_US  40000 /* a kill comes within this long after its journal point */
#define MAX_ROUNDS   60

/* The server, the connector's keys and folders, and the citizen's and anna's clients. */
struct live {
	struct itest_e2e e;
	char keyfile[300], state[300], sink[300], root_b64[64];
	struct advice_keys conn; /* the connector's keys, as its key file gives them */
	struct advice_conn *cit, *anna;
	struct advice_keys id, dev;
	struct itest_worker wa;
	int nthreads;
};

/* One thread of the test: its keys and what its bundle must hold. */
struct thread_case {
	char id[33];
	uint8_t tkey[32], share[32];
	uint8_t file[FILE_LEN];
	char file_id[33];
};

static int setup(void **state)
{
	struct live *l = calloc(1, sizeof *l);

	assert_non_null(l);
	itest_e2e_start(&l->e);
	snprintf(l->keyfile, sizeof l->keyfile, "%s/connector.key", l->e.h.dir);
	snprintf(l->state, sizeof l->state, "%s/connector-state", l->e.h.dir);
	snprintf(l->sink, sizeof l->sink, "%s/record-system", l->e.h.dir);
	assert_int_equal(mkdir(l->sink, 0700), 0);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct live *l = *state;
	int rc;

	advice_conn_free(l->cit);
	advice_conn_free(l->anna);
	rc = harness_stop(&l->e.h);
	sodium_memzero(l, sizeof *l);
	free(l);
	return rc;
}

/* The value after "name " on a line of text, into out. */
static void line_value(const char *text, const char *name, char *out, size_t size)
{
	const char *p = strstr(text, name);

	assert_non_null(p);
	p += strlen(name) + 1;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
}

/* advice-connector keygen, advicectl connector-add with the root key file; the connector's
 * keys read back from its key file (what it logs in with). */
static void connector_setup(struct live *l)
{
	char *argv[] = { getenv("ADVICE_CONNECTOR"), "keygen", l->keyfile, NULL };
	char box[64], sign[64], *out;
	struct itest_run r;
	struct stat st;
	uint8_t *seed = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(argv[0]);
	itest_run_argv(argv, NULL, &r);
	assert_int_equal(r.status, 0);
	line_value(r.out, "box_pk", box, sizeof box);
	line_value(r.out, "sign_pk", sign, sizeof sign);
	assert_int_equal(strlen(box), 43);
	assert_int_equal(strlen(sign), 43);
	assert_non_null(strstr(r.out, "fingerprint "));
	itest_run_free(&r);
	assert_int_equal(stat(l->keyfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	itest_run_argv(argv, NULL, &r); /* never over an existing key */
	assert_int_equal(r.status, 1);
	itest_run_free(&r);

	out = itest_ctl(NULL, "-d '%s' connector-add records --box-pk %s --sign-pk %s '%s'", l->e.h.dir, box,
			sign, l->e.root_file);
	assert_non_null(strstr(out, "connector records certified"));
	free(out);

	f = fopen(l->keyfile, "rb");
	assert_non_null(f);
	seed = malloc(64);
	len = fread(seed, 1, 64, f);
	fclose(f);
	assert_int_equal(len, 32);
	assert_int_equal(advice_keys_personal(&l->conn, seed), 0);
	sodium_memzero(seed, 32);
	free(seed);
	out = advice_b64url_encode(l->e.root_pk, 32);
	snprintf(l->root_b64, sizeof l->root_b64, "%s", out);
	free(out);
}

/* The citizen's device and anna with her unit seeds. */
static void people_setup(struct live *l)
{
	l->cit = itest_citizen(&l->e.h, CITIZEN);
	itest_device_new(l->cit, &l->id, NULL, &l->dev, "dev1");
	l->anna = itest_worker(&l->e.h, "anna");
	itest_worker_keys(&l->e, l->anna, "anna-demo", &l->wa);
}

/* A PDF of FILE_LEN bytes, different for each thread. */
static void pdf_make(struct thread_case *c)
{
	char head[128];
	int n = snprintf(head, sizeof head, "%%PDF-1.4\n%% hakemus %s\n", c->id);

	memset(c->file, ' ', sizeof c->file);
	memcpy(c->file, head, (size_t)n);
	memcpy(c->file + FILE_LEN - 6, "%%EOF\n", 6);
}

/* anna uploads the thread's PDF (one chunk): its reference into *f. */
static void anna_upload(struct live *l, struct thread_case *c, struct advice_file_ref *f, const char *rid)
{
	uint8_t tid[16], *ct = malloc(ADVICE_FILE_CHUNK_MAX_CIPHER);
	struct advice_file_stream *s;
	size_t clen = 0;

	assert_non_null(ct);
	pdf_make(c);
	memset(f, 0, sizeof *f);
	f->size = FILE_LEN;
	f->media = (uint8_t)advice_media_sniff(c->file, FILE_LEN);
	assert_int_equal(f->media, ADVICE_MEDIA_PDF);
	advice_unhex(tid, 16, c->id);
	advice_random(f->file_id, 16);
	advice_random(f->key, 32);
	advice_random(f->header, 24);
	advice_hex(c->file_id, f->file_id, 16);
	s = advice_file_stream_new(1, f->key, f->header, tid, f->file_id, FILE_LEN);
	assert_int_equal(advice_file_push(s, c->file, FILE_LEN, 1, ct, &clen), 0);
	assert_int_equal(advice_file_hash(s, f->hash), 0);
	advice_file_stream_free(s);
	json_decref(itest_request(
		l->anna, "ok",
		"{\"type\":\"file.begin\",\"id\":\"%s-fb\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%llu}",
		rid, c->id, c->file_id, (unsigned long long)advice_file_padded_size(FILE_LEN)));
	itest_chunk_send(l->anna, f->file_id, 0, ct, clen, "ok");
	free(ct);
}

/* anna claims the thread, reads it and answers with the PDF attached. */
static void anna_answers(struct live *l, struct thread_case *c, const char *rid)
{
	uint8_t tkey[32], share[32], cpk[32], content[2048], mkey[32], kid[16];
	uint8_t *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_file_ref f;
	struct advice_envelope_hdr h;
	struct itest_reader rd;
	int verdicts[4];
	uint8_t pks[4][32];
	size_t clen = 0, elen = 0;
	char *body;
	json_t *r;

	assert_non_null(env);
	assert_int_equal(itest_worker_thread_key(&l->e, l->anna, &l->wa, c->id, tkey, share, cpk), 0);
	assert_memory_equal(tkey, c->tkey, 32);
	json_decref(itest_request(
		l->anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"%s-c\",\"thread\":\"%s\"}", rid, c->id));
	itest_reader_init(&rd, l->e.root_pk, c->id);
	r = itest_request(l->anna, "ok", "{\"type\":\"thread.keys\",\"id\":\"%s-k\",\"thread\":\"%s\"}", rid,
			  c->id);
	itest_reader_keys(&rd, r);
	json_decref(r);
	r = itest_request(l->anna, "ok", "{\"type\":\"thread.read\",\"id\":\"%s-r\",\"thread\":\"%s\"}", rid,
			  c->id);
	assert_int_equal(itest_reader_feed(&rd, r, verdicts, pks, 4), 1);
	json_decref(r);
	anna_upload(l, c, &f, rid);

	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, c->id);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	advice_kid(kid, l->wa.me.sign_pk);
	advice_thread_next(rd.order, kid, &h.sender_seq, h.prev_hash);
	h.created_at = 1770000000000ULL;
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, &f, 1, ANSWER, strlen(ANSWER)),
			 0);
	assert_int_equal(advice_thread_msg_key(mkey, c->tkey, h.thread_id, 0, c->share), 0);
	assert_int_equal(advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen,
					      &l->wa.me),
			 0);
	body = itest_b64(env, elen);
	json_decref(
		itest_request(l->anna, "ok",
			      "{\"type\":\"message.send\",\"id\":\"%s-m\",\"thread\":\"%s\",\"body\":\"%s\"}",
			      rid, c->id, body));
	free(body);
	free(env);
	itest_reader_free(&rd);
}

/* What the citizen's app does: the connector's certificate from keys.unit (role 3, verified
 * under the pinned root), the box key it names. */
static void connector_cert(struct live *l, uint8_t box_pk[32])
{
	json_t *r = itest_request(
		       l->cit, "ok",
		       "{\"type\":\"keys.unit\",\"id\":\"ku-c\",\"category\":\"adult-social-work\"}"),
	       *c;
	struct timespec ts;
	size_t i;
	int found = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_array_foreach (json_object_get(r, "certs"), i, c) {
		uint8_t cert[ADVICE_CERT_BYTES];
		struct advice_cert ac;

		itest_unb64_fixed(c, cert, sizeof cert);
		if (advice_cert_parse(cert, sizeof cert, &ac) != 0 || ac.role != ADVICE_ROLE_CONNECTOR)
			continue;
		assert_int_equal(advice_cert_verify(cert, sizeof cert, NULL, 0, l->e.root_pk,
						    (uint64_t)ts.tv_sec * 1000, &ac),
				 0);
		memcpy(box_pk, ac.box_pk, 32);
		found++;
	}
	json_decref(r);
	assert_int_equal(found, 1);
	assert_memory_equal(box_pk, l->conn.box_pk, 32);
}

/* The citizen consents: the thread key (epoch 0, the only one) sealed to the connector and
 * the consent event, both signed by the citizen's device; consent.give. */
static void citizen_consents(struct live *l, struct thread_case *c, const char *rid)
{
	uint8_t box[32], wrap[ADVICE_WRAP_BYTES], eph[32], ev[ADVICE_CONSENT_BYTES];
	struct advice_consent cs = { .kind = ADVICE_CONSENT_GIVEN,
				     .lang = "fi",
				     .created_at = 1770000000000ULL };
	char kid_hex[33], *w64, *e64;
	json_t *r;

	connector_cert(l, box);
	advice_random(eph, sizeof eph);
	advice_unhex(cs.thread_id, 16, c->id);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, cs.thread_id, 0, box, c->tkey, eph, &l->dev),
		0);
	advice_kid(cs.connector_kid, box);
	advice_hash(cs.scope_hash, (const uint8_t *)"the thread, its messages and attachments", 40);
	advice_hash(cs.text_hash, (const uint8_t *)"Suostun siihen, että keskustelu tallennetaan.", 47);
	assert_int_equal(advice_consent_make(ev, &cs, &l->dev), 0);
	advice_hex(kid_hex, cs.connector_kid, 16);
	w64 = itest_b64(wrap, sizeof wrap);
	e64 = itest_b64(ev, sizeof ev);
	r = itest_request(
		l->cit, "ok",
		"{\"type\":\"consent.give\",\"id\":\"%s-cg\",\"thread\":\"%s\",\"connector\":\"%s\","
		"\"event\":\"%s\",\"wraps\":[\"%s\"]}",
		rid, c->id, kid_hex, e64, w64);
	assert_string_equal(itest_str(json_object_get(r, "consent"), "connector"), kid_hex);
	json_decref(r);
	free(w64);
	free(e64);
}

/* A thread: opened by the citizen, answered by anna with a PDF, consented (or not), closed. */
static void thread_case_make(struct live *l, struct thread_case *c, int consent)
{
	char rid[32];

	snprintf(rid, sizeof rid, "t%d", l->nthreads++);
	itest_citizen_open(&l->e, l->cit, &l->id, &l->dev, rid, QUESTION, c->id, c->tkey, c->share);
	anna_answers(l, c, rid);
	if (consent)
		citizen_consents(l, c, rid);
	json_decref(itest_request(
		l->anna, "ok", "{\"type\":\"thread.close\",\"id\":\"%s-x\",\"thread\":\"%s\"}", rid, c->id));
}

/* The connector's program with `run`, the directory adapter into the sink, one round. */
static pid_t connector_spawn(struct live *l, struct itest_run *r, int wait)
{
	char *argv[] = { getenv("ADVICE_CONNECTOR"),
			 "run",
			 "--server",
			 l->e.h.base_url,
			 "--origin",
			 l->e.h.origin,
			 "--key",
			 l->keyfile,
			 "--root-pk",
			 l->root_b64,
			 "--state",
			 l->state,
			 "--adapter",
			 "directory",
			 "--target",
			 l->sink,
			 "--recipient",
			 "Asiakastietojärjestelmä (testi)",
			 "--basis",
			 "asiakkaan suostumus",
			 "--dataset",
			 "neuvontaviestit ja liitteet",
			 "--once",
			 NULL };
	pid_t pid;

	if (wait) {
		itest_run_argv(argv, NULL, r);
		return 0;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The connector's own session (a test-side login with its key). */
static struct advice_conn *connector_conn(struct live *l)
{
	char *session = NULL;
	struct advice_conn *k;
	int err = 0;

	assert_int_equal(advice_login_connector(l->e.h.client, l->e.h.base_url, l->e.h.origin, &l->conn,
						&session, 10000),
			 0);
	k = advice_connect(l->e.h.client, l->e.h.base_url, l->e.h.origin, session, 10000, &err);
	assert_non_null(k);
	free(session);
	return k;
}

/* A whole file into memory (malloc'd, NUL-terminated), its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d;

	if (f == NULL)
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
	assert_non_null(f);
	d = itest_slurp(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fclose(f);
	return d;
}

/* The hex BLAKE2b-256 of len bytes. */
static void hash_hex(const void *data, size_t len, char out[65])
{
	uint8_t h[32];

	advice_hash(h, data, len);
	advice_hex(out, h, 32);
}

/*
 * The bundle of c in the sink: thread.json's messages (the question, anna's answer with its
 * file), the PDF byte for byte, every manifest row's size and hash. Its digest (BLAKE2b-256
 * of manifest.json) into digest.
 */
static void bundle_check(struct live *l, const struct thread_case *c, char digest[65])
{
	char dir[600], path[800], hex[65], fname[64];
	size_t len, i, mlen;
	char *text = NULL, *mtext;
	json_t *doc, *man, *msgs, *row, *files;

	snprintf(dir, sizeof dir, "%s/%s-0", l->sink, c->id);
	snprintf(path, sizeof path, "%s/thread.json", dir);
	text = slurp(path, &len);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	free(text);
	assert_string_equal(itest_str(doc, "format"), "advice-handover-1");
	assert_string_equal(itest_str(doc, "thread"), c->id);
	assert_int_equal(itest_num(doc, "epoch"), 0);
	assert_string_equal(itest_str(json_object_get(doc, "consent"), "language"), "fi");
	msgs = json_object_get(doc, "messages");
	assert_int_equal(json_array_size(msgs), 2);
	assert_string_equal(itest_str(json_array_get(msgs, 0), "text"), QUESTION);
	assert_string_equal(itest_str(json_object_get(json_array_get(msgs, 0), "sender"), "role"), "citizen");
	assert_string_equal(itest_str(json_array_get(msgs, 1), "text"), ANSWER);
	assert_string_equal(itest_str(json_object_get(json_array_get(msgs, 1), "sender"), "role"), "staff");
	assert_string_equal(itest_str(json_array_get(msgs, 1), "order"), "ok");
	files = json_object_get(json_array_get(msgs, 1), "files");
	assert_int_equal(json_array_size(files), 1);
	assert_string_equal(itest_str(json_array_get(files, 0), "id"), c->file_id);
	assert_string_equal(itest_str(json_array_get(files, 0), "media_type"), "application/pdf");
	snprintf(fname, sizeof fname, "files/%s.pdf", c->file_id);
	assert_string_equal(itest_str(json_array_get(files, 0), "path"), fname);
	json_decref(doc);

	snprintf(path, sizeof path, "%s/%s", dir, fname);
	text = slurp(path, &len);
	assert_int_equal(len, FILE_LEN);
	assert_memory_equal(text, c->file, FILE_LEN);
	free(text);

	snprintf(path, sizeof path, "%s/manifest.json", dir);
	mtext = slurp(path, &mlen);
	hash_hex(mtext, mlen, digest);
	man = json_loads(mtext, 0, NULL);
	assert_non_null(man);
	free(mtext);
	assert_string_equal(itest_str(man, "format"), "advice-handover-manifest-1");
	assert_int_equal(json_array_size(json_object_get(man, "files")), 2);
	json_array_foreach (json_object_get(man, "files"), i, row) {
		snprintf(path, sizeof path, "%s/%s", dir, itest_str(row, "path"));
		text = slurp(path, &len);
		hash_hex(text, len, hex);
		free(text);
		assert_int_equal(itest_num(row, "size"), (json_int_t)len);
		assert_string_equal(itest_str(row, "blake2b_256"), hex);
	}
	json_decref(man);
}

/* The names in the sink (without the record system's ignored dot names): how many, and
 * whether any dot name (a half-made copy) is left. */
static int sink_count(struct live *l, int *dot_names)
{
	DIR *d = opendir(l->sink);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	*dot_names = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_name[0] == '.')
			(*dot_names)++;
		else
			n++;
	}
	closedir(d);
	return n;
}

/* The disclosure log as advicectl --json lists it (the caller decrefs). */
static json_t *disclosures(struct live *l)
{
	char *out = NULL;
	json_t *j, *list;

	assert_int_equal(
		harness_ctl(&l->e.h, (const char *const[]){ "--json", "disclosure-list", NULL }, &out), 0);
	j = json_loads(out, 0, NULL);

	assert_non_null(j);
	free(out);
	list = json_incref(json_object_get(j, "disclosures"));
	json_decref(j);
	assert_true(json_is_array(list));
	return list;
}

/* How many disclosure rows name thread `id`; the row into *row (borrowed from list). */
static int disclosure_rows(json_t *list, const char *id, json_t **row)
{
	char object[64];
	json_t *d;
	size_t i;
	int n = 0;

	snprintf(object, sizeof object, "thread:%s", id);
	json_array_foreach (list, i, d)
		if (strcmp(itest_str(d, "object") ?: "", object) == 0) {
			*row = d;
			n++;
		}
	return n;
}

/* The journal's last state of each id: how many ids end "done", and none "delivered". */
static int journal_done(struct live *l, int *delivered)
{
	char path[400], id[80], st[16], dg[80], *text, *line, *save = NULL;
	json_t *last = json_object();
	const char *key;
	json_t *v;
	size_t len;
	int done = 0;

	snprintf(path, sizeof path, "%s/journal", l->state);
	text = slurp(path, &len);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%79s %15s %79s", id, st, dg) == 3)
			json_object_set_new(last, id, json_string(st));
	*delivered = 0;
	json_object_foreach (last, key, v) {
		done += strcmp(json_string_value(v), "done") == 0;
		*delivered += strcmp(json_string_value(v), "delivered") == 0;
	}
	json_decref(last);
	free(text);
	return done;
}

/* Appends to the journal what a crash after a delivery leaves: "<thread>-0 delivered
 * <digest>", then a line cut before its end. */
static void journal_append(struct live *l, const char *thread, const char *digest)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/journal", l->state);
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, "%s-0 delivered %s\n%s-0 do", thread, digest, thread);
	assert_int_equal(fclose(f), 0);
}

static void test_connector_hands_over(void **state)
{
	struct live *l = *state;
	struct thread_case *c = calloc(2, sizeof *c);
	struct advice_conn *k;
	struct itest_run r;
	char digest[65], msg[200];
	json_t *list, *row = NULL, *p;
	int dots;

	assert_non_null(c);
	connector_setup(l);
	people_setup(l);
	thread_case_make(l, &c[0], 1);
	thread_case_make(l, &c[1], 0);

	connector_spawn(l, &r, 1);
	if (r.status != 0)
		fprintf(stderr, "connector: %s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	snprintf(msg, sizeof msg, "%s-0 handed over (", c[0].id);
	assert_non_null(strstr(r.out, msg));
	bundle_check(l, &c[0], digest);
	assert_non_null(strstr(r.out, digest)); /* the digest reported is the manifest's */
	itest_run_free(&r);
	assert_int_equal(sink_count(l, &dots), 1);
	assert_int_equal(dots, 0);

	list = disclosures(l);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(disclosure_rows(list, c[0].id, &row), 1);
	assert_string_equal(itest_str(row, "role"), "connector");
	assert_string_equal(itest_str(row, "method"), "directory");
	assert_string_equal(itest_str(row, "basis"), "asiakkaan suostumus");
	assert_string_equal(itest_str(row, "outcome"), "ok");
	json_decref(list);

	/* Nothing is left to hand over; the thread without consent is not the connector's. */
	k = connector_conn(l);
	p = itest_request(k, "ok", "{\"type\":\"handover.pending\",\"id\":\"hp\"}");
	assert_int_equal(json_array_size(json_object_get(p, "threads")), 0);
	json_decref(p);
	json_decref(itest_request(k, "not_found",
				  "{\"type\":\"thread.read\",\"id\":\"nr\",\"thread\":\"%s\"}", c[1].id));
	json_decref(itest_request(k, "not_found",
				  "{\"type\":\"thread.keys\",\"id\":\"nk\",\"thread\":\"%s\"}", c[1].id));
	/* A second hand-over of the same epoch is refused (the connector takes it as done). */
	json_decref(itest_request(
		k, "conflict",
		"{\"type\":\"handover.done\",\"id\":\"hd\",\"thread\":\"%s\",\"epoch\":0,"
		"\"recipient\":\"r\",\"basis\":\"b\",\"dataset\":\"d\",\"method\":\"directory\","
		"\"digest\":\"%s\"}",
		c[0].id, digest));
	advice_conn_free(k);

	/* Run again: nothing new in the sink, no second row. */
	connector_spawn(l, &r, 1);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "handed over"));
	itest_run_free(&r);
	assert_int_equal(sink_count(l, &dots), 1);
	list = disclosures(l);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);

	/* The journal as a crash leaves it: the hand-over delivered but its report's answer
	 * never read, and a last line cut off. The next run reports it (conflict: done before)
	 * and records it done; nothing is delivered twice, no second row. */
	journal_append(l, c[0].id, digest);
	connector_spawn(l, &r, 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, msg));
	itest_run_free(&r);
	assert_int_equal(journal_done(l, &dots), 1);
	assert_int_equal(dots, 0);
	assert_int_equal(sink_count(l, &dots), 1);
	list = disclosures(l);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	free(c);
}

/* The journal's lines so far (0 before it exists). */
static int journal_lines(struct live *l)
{
	char path[400];
	int n = 0, ch;
	FILE *f;

	snprintf(path, sizeof path, "%s/journal", l->state);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while ((ch = getc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void test_connector_killed(void **state)
{
	struct live *l = *state;
	struct thread_case *c = calloc(KILL_THREADS, sizeof *c);
	const char *seed_env = getenv("ADVICE_TEST_SEED");
	unsigned rng =
		seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
	struct advice_conn *k;
	struct itest_run r;
	char digest[65], path[400];
	int kills = 0, rounds = 0, dots, delivered;
	json_t *list, *row, *p;

	assert_non_null(c);
	fprintf(stderr, "connector kill test: seed %u (ADVICE_TEST_SEED=%u repeats it)\n", rng, rng);
	connector_setup(l);
	people_setup(l);
	for (int i = 0; i < KILL_THREADS; i++)
		thread_case_make(l, &c[i], 1);

	for (;;) {
		/* The kill point: after `lines` more journal lines (0..2: before the first
		 * delivery, between a delivery and its report, after a report), then `delay` more. */
		int lines = (int)(rand_r(&rng) % 3), base = journal_lines(l), status = 0, exited = 0;
		int64_t delay = (int64_t)(rand_r(&rng) % KILL_MAX_US), start = 0;
		pid_t pid = connector_spawn(l, NULL, 0);

		assert_true(rounds++ < MAX_ROUNDS);
		while (!exited && (start == 0 || mono_us() - start < delay)) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			assert_true(w >= 0);
			exited = w == pid;
			if (start == 0 && journal_lines(l) >= base + lines)
				start = mono_us();
			if (!exited)
				usleep(500);
		}
		if (!exited) {
			assert_int_equal(kill(pid, SIGKILL), 0);
			assert_int_equal(waitpid(pid, &status, 0), pid);
			kills++;
			fprintf(stderr,
				"round %d: killed %lld us after %d more journal lines, %d in the sink\n",
				rounds, (long long)delay, lines, sink_count(l, &dots));
			continue;
		}
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		k = connector_conn(l);
		p = itest_request(k, "ok", "{\"type\":\"handover.pending\",\"id\":\"hp%d\"}", rounds);
		advice_conn_free(k);
		/* A run that ended by itself left nothing pending. */
		assert_int_equal(json_array_size(json_object_get(p, "threads")), 0);
		json_decref(p);
		break;
	}
	/* One clean run more after the last round: nothing to do. */
	connector_spawn(l, &r, 1);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "handed over"));
	itest_run_free(&r);
	fprintf(stderr, "connector kill test: %d rounds, %d kills\n", rounds, kills);

	assert_int_equal(sink_count(l, &dots), KILL_THREADS);
	assert_int_equal(dots, 0);
	assert_int_equal(journal_done(l, &delivered), KILL_THREADS);
	assert_int_equal(delivered, 0);
	snprintf(path, sizeof path, "%s/work", l->state);
	assert_int_equal(rmdir(path), 0); /* nothing a crash left behind */
	list = disclosures(l);
	assert_int_equal(json_array_size(list), KILL_THREADS);
	for (int i = 0; i < KILL_THREADS; i++) {
		bundle_check(l, &c[i], digest);
		assert_int_equal(disclosure_rows(list, c[i].id, &row), 1);
	}
	json_decref(list);
	free(c);
}

/* The entries of a zip of stored entries (what advice-connector writes): name -> bytes, as
 * a JSON object of base64url strings (the caller decrefs). */
static json_t *zip_entries(const uint8_t *z, size_t len)
{
	json_t *out = json_object();
	size_t off = 0;

	while (off + 30 <= len && z[off] == 'P' && z[off + 1] == 'K' && z[off + 2] == 3 && z[off + 3] == 4) {
		uint32_t size = (uint32_t)z[off + 18] | (uint32_t)z[off + 19] << 8 |
				(uint32_t)z[off + 20] << 16 | (uint32_t)z[off + 21] << 24;
		size_t nlen = (size_t)z[off + 26] | (size_t)z[off + 27] << 8,
		       xlen = (size_t)z[off + 28] | (size_t)z[off + 29] << 8;
		char name[300];
		char *b64;

		assert_int_equal(z[off + 8], 0); /* stored */
		assert_true(off + 30 + nlen + xlen + size <= len && nlen < sizeof name);
		snprintf(name, sizeof name, "%.*s", (int)nlen, (const char *)z + off + 30);
		b64 = itest_b64(z + off + 30 + nlen + xlen, size);
		json_object_set_new(out, name, json_string(b64));
		free(b64);
		off += 30 + nlen + xlen + size;
	}
	assert_true(off > 0);
	return out;
}

/* One entry of zip_entries, decoded (malloc'd, NUL-terminated), its length in *len. */
static char *zip_entry(json_t *entries, const char *name, size_t *len)
{
	json_t *v = json_object_get(entries, name);
	uint8_t *d;
	char *s;

	if (v == NULL)
		fprintf(stderr, "no zip entry %s\n", name);
	assert_non_null(v);
	d = itest_unb64(v, len);
	s = malloc(*len + 1);
	assert_non_null(s);
	memcpy(s, d, *len);
	s[*len] = '\0';
	free(d);
	return s;
}

/* The thread of c in an export zip: its texts, the PDF's bytes, the manifest's hashes; the
 * manifest's digest into digest. */
static void export_thread_check(json_t *entries, const struct thread_case *c, char digest[65])
{
	char name[200], hex[65], *text, *t2;
	size_t len, len2, i;
	json_t *doc, *msgs, *row;

	snprintf(name, sizeof name, "%s/thread.json", c->id);
	text = zip_entry(entries, name, &len);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	assert_string_equal(itest_str(doc, "thread"), c->id);
	assert_true(json_is_null(json_object_get(doc, "consent")));
	msgs = json_object_get(doc, "messages");
	assert_int_equal(json_array_size(msgs), 2);
	assert_string_equal(itest_str(json_array_get(msgs, 0), "text"), QUESTION);
	assert_string_equal(itest_str(json_array_get(msgs, 1), "text"), ANSWER);
	json_decref(doc);
	snprintf(name, sizeof name, "%s/files/%s.pdf", c->id, c->file_id);
	text = zip_entry(entries, name, &len);
	assert_int_equal(len, FILE_LEN);
	assert_memory_equal(text, c->file, FILE_LEN);
	free(text);
	snprintf(name, sizeof name, "%s/manifest.json", c->id);
	text = zip_entry(entries, name, &len);
	hash_hex(text, len, digest);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "files")), 2);
	json_array_foreach (json_object_get(doc, "files"), i, row) {
		snprintf(name, sizeof name, "%s/%s", c->id, itest_str(row, "path"));
		t2 = zip_entry(entries, name, &len2);
		hash_hex(t2, len2, hex);
		free(t2);
		assert_string_equal(itest_str(row, "blake2b_256"), hex);
	}
	json_decref(doc);
}

/* The connector's export command, one round. */
static void connector_export(struct live *l, struct itest_run *r)
{
	char *argv[] = { getenv("ADVICE_CONNECTOR"),
			 "export",
			 "--server",
			 l->e.h.base_url,
			 "--origin",
			 l->e.h.origin,
			 "--key",
			 l->keyfile,
			 "--root-pk",
			 l->root_b64,
			 "--state",
			 l->state,
			 "--target",
			 l->sink,
			 NULL };

	itest_run_argv(argv, NULL, r);
}

/*
 * The register keeper's export (issue 18, item 4): the connector holds the unit's keys
 * (connector-unit-add), an export order covers the citizen's two threads (neither consented);
 * `advice-connector export` makes one zip of both, whole, and reports it: export.done, a
 * disclosure row of method export; nothing is left open, a second round makes nothing.
 */
static void test_connector_exports(void **state)
{
	struct live *l = *state;
	struct thread_case *c = calloc(2, sizeof *c);
	char order[64], client[64], path[600], digest[65], msg[200], *out, *zip;
	struct advice_conn *k;
	struct itest_run r;
	size_t len;
	json_t *j, *entries, *doc, *list, *row = NULL, *p;

	assert_non_null(c);
	connector_setup(l);
	out = itest_ctl(NULL, "-d '%s' connector-unit-add records 'Adult social work' '%s'", l->e.h.dir,
			l->e.admin_file);
	assert_non_null(strstr(out, "holds the keys"));
	free(out);
	people_setup(l);
	thread_case_make(l, &c[0], 0);
	thread_case_make(l, &c[1], 0);

	/* Without an order there is nothing to do, and the threads are not the connector's. */
	connector_export(l, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	itest_run_free(&r);
	k = connector_conn(l);
	json_decref(itest_request(k, "not_found",
				  "{\"type\":\"thread.read\",\"id\":\"x0\",\"thread\":\"%s\"}", c[0].id));

	out = itest_ctl(CITIZEN, "-d '%s' --json citizen-find", l->e.h.dir);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	snprintf(client, sizeof client, "%s", itest_str(j, "client"));
	json_decref(j);
	free(out);
	out = itest_ctl(NULL, "-d '%s' --json export-order %s --recipient 'the citizen' --basis 'GDPR 15'",
			l->e.h.dir, client);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	snprintf(order, sizeof order, "%s", itest_str(j, "order"));
	json_decref(j);
	free(out);
	assert_int_equal(strlen(order), 32);

	connector_export(l, &r);
	if (r.status != 0)
		fprintf(stderr, "connector: %s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	snprintf(msg, sizeof msg, "export %s done: 7 files (", order);
	if (strstr(r.out, msg) == NULL)
		fprintf(stderr, "connector: %s%s", r.out, r.err);
	assert_non_null(strstr(r.out, msg));

	snprintf(path, sizeof path, "%s/export-%s.zip", l->sink, order);
	zip = slurp(path, &len);
	entries = zip_entries((const uint8_t *)zip, len);
	free(zip);
	assert_int_equal(json_object_size(entries), 7);
	export_thread_check(entries, &c[0], digest);
	export_thread_check(entries, &c[1], digest);
	out = zip_entry(entries, "export.json", &len);
	hash_hex(out, len, digest);
	assert_non_null(strstr(r.out, digest)); /* export.done named export.json's hash */
	doc = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(doc);
	assert_string_equal(itest_str(doc, "format"), "advice-export-1");
	assert_string_equal(itest_str(doc, "order"), order);
	assert_string_equal(itest_str(doc, "citizen"), client);
	assert_int_equal(json_array_size(json_object_get(doc, "threads")), 2);
	json_decref(doc);
	json_decref(entries);
	itest_run_free(&r);

	list = disclosures(l);
	assert_int_equal(json_array_size(list), 1);
	row = json_array_get(list, 0);
	snprintf(msg, sizeof msg, "export:%s", order);
	assert_string_equal(itest_str(row, "object"), msg);
	assert_string_equal(itest_str(row, "method"), "export");
	assert_string_equal(itest_str(row, "client"), client);
	assert_string_equal(itest_str(row, "recipient"), "the citizen");
	json_decref(list);

	/* The order is closed: nothing open, the threads no more the connector's, nothing made again. */
	p = itest_request(k, "ok", "{\"type\":\"export.pending\",\"id\":\"ep\"}");
	assert_int_equal(json_array_size(json_object_get(p, "orders")), 0);
	json_decref(p);
	json_decref(itest_request(k, "not_found",
				  "{\"type\":\"thread.read\",\"id\":\"x1\",\"thread\":\"%s\"}", c[0].id));
	advice_conn_free(k);
	connector_export(l, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	itest_run_free(&r);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connector_hands_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connector_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connector_exports, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
