/*
 * test_backup.c - advicectl backup while clients write, and advicectl restore (server/backup.h).
 *
 * The first test: a citizen's messages and attachments are acknowledged; another citizen keeps
 * sending messages and uploading attachments from a thread of the test while `advicectl
 * backup` runs; then adviced stops, the data folder is lost (moved away), the backup is
 * restored in its place, the secrets that are not in a backup are put back, and adviced
 * starts on it: every message and attachment acknowledged before the backup began is there
 * and byte-identical, what came in during the backup is whole where it is there at all, and
 * audit-verify passes. The second test takes the error paths: a target that is not empty, a
 * blob missing from the data folder, a damaged manifest, a missing, changed or unlisted file
 * in the backup, and a restore into a folder that is not empty.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define HETU_KEPT  "010190-900P" /* writes everything before the backup */
#define HETU_LOAD  "020190-901C" /* writes while the backup runs */
#define HETU_ERRS  "030190-9022" /* the error paths' attachment */
#define KEPT_MSGS  30
#define LOAD_MAX   400 /* messages of the load at most */
#define LOAD_FILES 40  /* attachments of the load at most */
#define CHUNK_HEAD 24

/* One attachment: its id, size and the ciphertext of each chunk, derived from a seed. */
struct upload {
	uint8_t fid[16];
	char id[33];
	int64_t size, chunks;
	int seed;
};

/* The writer that runs during the backup, on a thread of its own (no cmocka calls there). */
struct load {
	struct advice_conn *k;
	char thread[64];
	pthread_t t;
	volatile int stop;
	volatile int acked;	  /* messages 1..acked acknowledged */
	volatile int files_acked; /* uploads 0..files_acked-1 complete and acknowledged */
	struct upload files[LOAD_FILES];
	char error[256]; /* "" while all is well */
};

static int64_t chunks_of(int64_t size)
{
	return size == 0 ? 1 : (size + ADVICE_FILE_CHUNK_BYTES - 1) / ADVICE_FILE_CHUNK_BYTES;
}

static size_t chunk_len(const struct upload *u, int64_t index)
{
	if (index < u->chunks - 1)
		return ADVICE_FILE_CHUNK_MAX_CIPHER;
	return (size_t)(u->size - (u->chunks - 1) * ADVICE_FILE_CHUNK_BYTES) + ADVICE_FILE_CHUNK_OVERHEAD;
}

/* The bytes of chunk `index` (what a client would have encrypted: here a pattern). */
static void chunk_fill(const struct upload *u, int64_t index, uint8_t *out)
{
	size_t n = chunk_len(u, index);

	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(u->seed * 31 + index * 7 + (int64_t)i * 13);
}

static void upload_init(struct upload *u, int seed, int64_t size)
{
	memset(u, 0, sizeof *u);
	u->seed = seed;
	u->size = size;
	u->chunks = chunks_of(size);
	u->fid[0] = 0xb0;
	u->fid[14] = (uint8_t)(seed >> 8);
	u->fid[15] = (uint8_t)seed;
	for (int i = 1; i < 14; i++)
		u->fid[i] = (uint8_t)(seed * 17 + i);
	for (int i = 0; i < 16; i++)
		snprintf(u->id + 2 * i, 3, "%02x", u->fid[i]);
}

static void kept_body(int i, char out[16])
{
	snprintf(out, 16, "YWNr%08d", i);
}

static void load_body(int i, char out[16])
{
	snprintf(out, 16, "bG9hZA%06d", i);
}

/* Sends one chunk and waits for its file.chunk event. 0 when it came with code ok, else -1. */
static int chunk_put(struct advice_conn *k, const struct upload *u, int64_t index)
{
	uint8_t *m = malloc(CHUNK_HEAD + ADVICE_FILE_CHUNK_MAX_CIPHER);
	char *text = NULL;
	int rc = -1, done = 0;

	if (m == NULL)
		return -1;
	memcpy(m, "QC\x01\x00", 4);
	memcpy(m + 4, u->fid, 16);
	for (int i = 0; i < 4; i++)
		m[20 + i] = (uint8_t)((uint32_t)index >> (8 * i));
	chunk_fill(u, index, m + CHUNK_HEAD);
	if (advice_send_raw(k, m, CHUNK_HEAD + chunk_len(u, index), ADVICE_FRAME_BINARY) != 0) {
		free(m);
		return -1;
	}
	while (!done && advice_next_message(k, &text, HARNESS_TIMEOUT_MS) == 0) {
		json_t *j = json_loads(text, 0, NULL);
		const char *ev = json_string_value(json_object_get(j, "event"));

		if (ev != NULL && strcmp(ev, "file.chunk") == 0 &&
		    json_integer_value(json_object_get(j, "index")) == index) {
			done = 1;
			rc = strcmp(json_string_value(json_object_get(j, "code")) ?: "", "ok") == 0 ? 0 : -1;
		}
		json_decref(j);
		free(text);
	}
	free(m);
	return rc;
}

/* file.begin and every chunk of `u` in `thread`. 0 or -1. */
static int upload_put(struct advice_conn *k, const char *thread, const struct upload *u, const char *rid)
{
	char req[300];

	snprintf(req, sizeof req,
		 "{\"type\":\"file.begin\",\"id\":\"%s\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%lld}",
		 rid, thread, u->id, (long long)u->size);
	if (advice_request(k, req, NULL, HARNESS_TIMEOUT_MS) != 0)
		return -1;
	for (int64_t i = 0; i < u->chunks; i++)
		if (chunk_put(k, u, i) != 0)
			return -1;
	return 0;
}

static void *load_main(void *arg)
{
	struct load *l = arg;
	char req[256], body[16], rid[32];

	for (int i = 1; i <= LOAD_MAX && !l->stop; i++) {
		load_body(i, body);
		snprintf(req, sizeof req,
			 "{\"type\":\"message.send\",\"id\":\"l%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i,
			 l->thread, body);
		if (advice_request(l->k, req, NULL, HARNESS_TIMEOUT_MS) != 0) {
			snprintf(l->error, sizeof l->error, "load message %d was not acknowledged", i);
			return NULL;
		}
		l->acked = i;
		if (i % 8 == 0 && l->files_acked < LOAD_FILES) {
			struct upload *u = &l->files[l->files_acked];

			upload_init(u, 1000 + l->files_acked, 300 + 97 * l->files_acked);
			snprintf(rid, sizeof rid, "lf%d", l->files_acked);
			if (upload_put(l->k, l->thread, u, rid) != 0) {
				snprintf(l->error, sizeof l->error, "load upload %d failed", l->files_acked);
				return NULL;
			}
			l->files_acked++;
		}
	}
	return NULL;
}

/* Opens a thread of the citizen on `k`; its id into out. */
static void open_thread(struct advice_conn *k, const char *rid, char out[64])
{
	json_t *r = itest_request(k, "ok",
				  "{\"type\":\"thread.open\",\"id\":\"%s\",\"category\":\"adult-social-"
				  "work\",\"body\":\"AAAA\"}",
				  rid);

	snprintf(out, 64, "%s", itest_str(r, "thread"));
	json_decref(r);
}

/* Checks that thread `thread` holds messages 1..want made by `body_of` (seq 2 on), each once
 * and byte-identical; messages after `want` may be there, whole and in order. Returns how
 * many messages it found after the opening one. */
static int check_messages(struct advice_conn *k, const char *thread, int want, void (*body_of)(int, char[16]))
{
	int64_t after = 1;
	int found = 0;

	for (;;) {
		json_t *r = itest_request(k, "ok",
					  "{\"type\":\"thread.read\",\"id\":\"r%lld\",\"thread\":\"%s\","
					  "\"after_seq\":%lld,\"limit\":100}",
					  (long long)after, thread, (long long)after);
		json_t *msgs = json_object_get(r, "messages"), *m;
		size_t i, n = json_array_size(msgs);
		char expect[16];

		json_array_foreach (msgs, i, m) {
			assert_int_equal(json_integer_value(json_object_get(m, "seq")), after + 1);
			after++;
			found++;
			body_of(found, expect);
			assert_string_equal(json_string_value(json_object_get(m, "body")), expect);
		}
		json_decref(r);
		if (n < 100)
			break;
	}
	if (found < want)
		fail_msg("thread %s: %d messages after the restore, %d were acknowledged before the backup",
			 thread, found, want);
	return found;
}

/* Downloads `u` with file.get and compares every chunk byte for byte. */
static void check_file(struct advice_conn *k, const struct upload *u)
{
	uint8_t *expect = malloc(ADVICE_FILE_CHUNK_MAX_CIPHER);

	assert_non_null(expect);
	for (int64_t i = 0; i < u->chunks; i++) {
		json_t *r = itest_request(
			k, "ok", "{\"type\":\"file.get\",\"id\":\"g%lld\",\"file\":\"%s\",\"index\":%lld}",
			(long long)i, u->id, (long long)i);
		uint8_t *got = NULL;
		size_t len = 0;

		assert_int_equal(advice_b64url_decode(itest_str(r, "chunk"), &got, &len), 0);
		chunk_fill(u, i, expect);
		if (len != chunk_len(u, i) || memcmp(got, expect, len) != 0)
			fail_msg("attachment %s: chunk %lld differs after the restore", u->id, (long long)i);
		free(got);
		json_decref(r);
	}
	free(expect);
}

/* Runs advicectl (without -d) with args (NULL-terminated); its result into r. */
static void ctl_run(struct itest_run *r, ...)
{
	char *argv[16];
	const char *ctl = getenv("ADVICECTL");
	va_list ap;
	int n = 0;

	assert_non_null(ctl);
	argv[n++] = (char *)ctl;
	va_start(ap, r);
	while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	itest_run_argv(argv, NULL, r);
}

/* `sh -c cmd` for the test's own folders (copies, damage); must exit 0. */
static void shell(const char *fmt, ...)
{
	char cmd[2048];
	struct itest_run r;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	itest_run_argv(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("%s: %s", cmd, r.err);
	itest_run_free(&r);
}

static void backup_under_load_restores_every_acknowledged_write(void **state)
{
	struct harness *h = *state;
	struct load *l = calloc(1, sizeof *l);
	struct upload kept[3];
	struct advice_conn *ka, *kb;
	char thread_a[64], backup[300], old[300], *out = NULL;
	int before, files_before, after;
	struct itest_run r;

	assert_non_null(l);
	/* Acknowledged before the backup: messages and attachments of one citizen. */
	ka = itest_citizen(h, HETU_KEPT);
	open_thread(ka, "open-a", thread_a);
	for (int i = 1; i <= KEPT_MSGS; i++) {
		char body[16];

		kept_body(i, body);
		json_decref(itest_request(
			ka, "ok",
			"{\"type\":\"message.send\",\"id\":\"k%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i,
			thread_a, body));
	}
	upload_init(&kept[0], 1, 10);
	upload_init(&kept[1], 2, ADVICE_FILE_CHUNK_BYTES + 123);
	upload_init(&kept[2], 3, 3 * ADVICE_FILE_CHUNK_BYTES);
	for (int i = 0; i < 3; i++) {
		char rid[16];

		snprintf(rid, sizeof rid, "kf%d", i);
		assert_int_equal(upload_put(ka, thread_a, &kept[i], rid), 0);
	}
	advice_conn_free(ka);

	/* The other citizen writes on while the backup runs. */
	kb = l->k = itest_citizen(h, HETU_LOAD);
	open_thread(kb, "open-b", l->thread);
	assert_int_equal(pthread_create(&l->t, NULL, load_main, l), 0);
	for (int i = 0; i < 1000 && l->files_acked < 1 && l->error[0] == '\0'; i++)
		usleep(10000); /* polls: the load has acknowledged an attachment */
	before = l->acked;
	files_before = l->files_acked;
	snprintf(backup, sizeof backup, "%s.backup", h->dir);
	assert_int_equal(harness_ctl(h, (const char *const[]){ "backup", backup, NULL }, &out), 0);
	after = l->acked;
	l->stop = 1;
	pthread_join(l->t, NULL);
	if (l->error[0] != '\0')
		fail_msg("%s", l->error);
	print_message("backup: %d load messages acknowledged before it began, %d when it ended\n%s", before,
		      after, out);
	assert_non_null(strstr(out, "not in the backup: the pepper"));
	free(out);
	advice_conn_free(kb);
	assert_true(before >= 8 && files_before >= 1);

	/* The data folder is lost: adviced stops, the folder goes, the backup comes back. */
	assert_int_equal(kill(h->pid, SIGTERM), 0);
	assert_int_equal(harness_wait_exit(h, 15000), 0);
	snprintf(old, sizeof old, "%s.old", h->dir);
	assert_int_equal(rename(h->dir, old), 0);
	ctl_run(&r, "restore", backup, h->dir, NULL);
	if (r.status != 0)
		fail_msg("restore: %s", r.err);
	assert_non_null(strstr(r.out, "integrity check: ok"));
	assert_non_null(strstr(r.out, "access log intact"));
	assert_non_null(strstr(r.out, "disclosure log intact"));
	itest_run_free(&r);
	/* The secrets are not in a backup: the administrator keeps them apart and puts them back;
	 * so is the test bank's folder (test mode: its keys, which adviced.conf names). */
	shell("cp -a '%s/secrets' '%s/testbank' '%s/root.pub' '%s/'", old, old, old, h->dir);
	assert_int_equal(harness_start_again(h), 0);

	ka = itest_citizen(h, HETU_KEPT);
	assert_int_equal(check_messages(ka, thread_a, KEPT_MSGS, kept_body), KEPT_MSGS);
	for (int i = 0; i < 3; i++)
		check_file(ka, &kept[i]);
	advice_conn_free(ka);
	kb = itest_citizen(h, HETU_LOAD);
	print_message("load messages after the restore: %d (acknowledged before the backup: %d)\n",
		      check_messages(kb, l->thread, before, load_body), before);
	for (int i = 0; i < files_before; i++)
		check_file(kb, &l->files[i]);
	advice_conn_free(kb);
	assert_int_equal(harness_ctl(h, (const char *const[]){ "audit-verify", NULL }, &out), 0);
	assert_non_null(strstr(out, "access log intact"));
	free(out);
	shell("rm -rf '%s' '%s'", old, backup);
	free(l);
}

/* One request line on the admin socket, as advicectl would send it; the parsed reply. */
static json_t *admin_line(struct harness *h, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[65536];
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	json_t *j;

	assert_true(fd >= 0);
	assert_true(snprintf(sa.sun_path, sizeof sa.sun_path, "%s/admin.sock", h->dir) <
		    (int)sizeof sa.sun_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	assert_int_equal(send(fd, "\n", 1, MSG_NOSIGNAL), 1);
	while (n + 1 < sizeof reply) {
		ssize_t got = recv(fd, reply + n, 1, 0);

		if (got <= 0 || reply[n] == '\n')
			break;
		n++;
	}
	reply[n] = '\0';
	close(fd);
	if ((j = json_loads(reply, 0, NULL)) == NULL)
		fail_msg("not JSON: %s", reply);
	return j;
}

/* The reply's type and code: "ok", or the error's code. */
static void expect_reply(json_t *j, const char *code)
{
	const char *type = itest_str(j, "type");

	if (strcmp(code, "ok") == 0 ? strcmp(type, "ok") != 0 : strcmp(itest_str(j, "code") ?: "", code) != 0)
		fail_msg("wanted %s, got %s %s: %s", code, type, itest_str(j, "code") ?: "",
			 itest_str(j, "message") ?: "");
}

/* The admin socket's backup request: one absolute path, and the reply's data. */
static void backup_request_shape(void **state)
{
	struct harness *h = *state;
	char base[264], line[700];
	json_t *j, *b;

	snprintf(base, sizeof base, "%s.raw", h->dir);
	shell("rm -rf '%s' && mkdir '%s'", base, base);
	expect_reply(j = admin_line(h, "{\"id\":1,\"command\":\"backup\",\"args\":[\"relative\"]}"),
		     "bad_request");
	json_decref(j);
	snprintf(line, sizeof line, "{\"id\":2,\"command\":\"backup\",\"args\":[\"%s\",\"%s\"]}", base, base);
	expect_reply(j = admin_line(h, line), "bad_request");
	json_decref(j);
	snprintf(line, sizeof line, "{\"id\":3,\"command\":\"backup\",\"args\":[\"%s/none\"]}", base);
	expect_reply(j = admin_line(h, line), "bad_request"); /* no such folder: nothing made */
	json_decref(j);
	snprintf(line, sizeof line, "{\"id\":4,\"command\":\"backup\",\"args\":[\"%s\"]}", base);
	expect_reply(j = admin_line(h, line), "ok");
	assert_int_equal(itest_num(j, "id"), 4);
	b = json_object_get(json_object_get(j, "data"), "backup");
	assert_string_equal(itest_str(b, "folder"), base);
	assert_true(itest_num(b, "files") >= 3 && itest_num(b, "database_bytes") > 0 &&
		    itest_num(b, "shred_bytes") > 0);
	assert_non_null(strstr(itest_str(b, "not_included"), "pepper"));
	json_decref(j);
	/* The access log's chain holds with the backup's row. */
	assert_int_equal(harness_ctl(h, (const char *const[]){ "audit-verify", NULL }, NULL), 0);
	shell("rm -rf '%s'", base);
}

/* Makes `dir`'s copy `copy` of a backup (cp -a). */
static void copy_backup(const char *dir, const char *copy)
{
	shell("rm -rf '%s' && cp -a '%s' '%s'", copy, dir, copy);
}

/* advicectl restore BACKUP TARGET must fail with `why` in its message. */
static void restore_fails(const char *backup, const char *target, const char *why)
{
	struct itest_run r;

	ctl_run(&r, "restore", backup, target, NULL);
	if (r.status == 0 || strstr(r.err, why) == NULL)
		fail_msg("restore %s: exit %d, wanted \"%s\" in: %s", backup, r.status, why, r.err);
	itest_run_free(&r);
}

static void backup_and_restore_refuse_what_is_wrong(void **state)
{
	struct harness *h = *state;
	struct advice_conn *k = itest_citizen(h, HETU_ERRS);
	char thread[64], base[264], good[300], copy[300], target[300], never[300], blob[330], path[400];
	char *out = NULL;
	struct upload u;
	struct itest_run r;

	snprintf(base, sizeof base, "%s.err", h->dir);
	shell("rm -rf '%s' && mkdir -p '%s/full' && touch '%s/full/something'", base, base, base);
	open_thread(k, "open-e", thread);
	upload_init(&u, 77, 1000);
	assert_int_equal(upload_put(k, thread, &u, "ef"), 0);
	advice_conn_free(k);

	/* A target that is not empty. */
	snprintf(target, sizeof target, "%s/full", base);
	assert_int_not_equal(harness_ctl(h, (const char *const[]){ "backup", target, NULL }, NULL), 0);
	snprintf(path, sizeof path, "%s/advicectl.log", h->dir);
	assert_true(itest_file_contains(path, "is not empty"));

	/* A blob missing from the data folder of a thread that can be read: damage, refused. */
	snprintf(blob, sizeof blob, "%s/blobs/%s", h->dir, u.id);
	snprintf(path, sizeof path, "%s.moved", blob);
	assert_int_equal(rename(blob, path), 0);
	snprintf(target, sizeof target, "%s/damaged", base);
	assert_int_not_equal(harness_ctl(h, (const char *const[]){ "backup", target, NULL }, NULL), 0);
	snprintf(copy, sizeof copy, "%s/advicectl.log", h->dir);
	assert_true(itest_file_contains(copy, "is missing from the blob folder"));
	assert_int_equal(rename(path, blob), 0);

	snprintf(good, sizeof good, "%s/good", base);
	assert_int_equal(harness_ctl(h, (const char *const[]){ "backup", good, NULL }, &out), 0);
	free(out);

	/* The restores below are refused before they touch their target. */
	snprintf(never, sizeof never, "%s/never", base);
	/* A damaged manifest. */
	snprintf(copy, sizeof copy, "%s/manifest", base);
	copy_backup(good, copy);
	shell("printf '{\"format\": \"adviced-backup\", broken' > '%s/manifest.json'", copy);
	restore_fails(copy, never, "the manifest is damaged");
	/* A manifest that is not an adviced backup's. */
	shell("printf '{\"format\": \"something\"}' > '%s/manifest.json'", copy);
	restore_fails(copy, never, "not an adviced backup's");
	/* No manifest: an unfinished backup. */
	shell("rm '%s/manifest.json'", copy);
	restore_fails(copy, never, "no manifest");
	/* A blob missing from the backup. */
	snprintf(copy, sizeof copy, "%s/noblob", base);
	copy_backup(good, copy);
	shell("rm '%s/blobs/%s'", copy, u.id);
	restore_fails(copy, never, "missing (the manifest lists it)");
	/* A changed file: its hash differs. */
	snprintf(copy, sizeof copy, "%s/changed", base);
	copy_backup(good, copy);
	shell("printf 'X' | dd of='%s/blobs/%s' bs=1 seek=5 conv=notrunc status=none", copy, u.id);
	restore_fails(copy, never, "hash differs from the manifest's");
	/* A file the manifest does not list. */
	snprintf(copy, sizeof copy, "%s/extra", base);
	copy_backup(good, copy);
	shell("touch '%s/blobs/unlisted'", copy);
	restore_fails(copy, never, "files the manifest does not list");
	/* A target that is not empty. */
	snprintf(target, sizeof target, "%s/full", base);
	restore_fails(good, target, "is not empty");
	/* None of the refusals made its target. */
	assert_int_not_equal(access(never, F_OK), 0);

	/* The good one restores into a new folder. */
	snprintf(target, sizeof target, "%s/restored", base);
	ctl_run(&r, "restore", good, target, NULL);
	if (r.status != 0)
		fail_msg("restore: %s", r.err);
	snprintf(path, sizeof path, "%s/blobs/%s", target, u.id);
	assert_int_equal(access(path, F_OK), 0);
	itest_run_free(&r);
	shell("rm -rf '%s'", base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backup_request_shape),
		cmocka_unit_test(backup_and_restore_refuse_what_is_wrong),
		cmocka_unit_test(backup_under_load_restores_every_acknowledged_write),
	};

	return cmocka_run_group_tests(tests, itest_group_setup, itest_group_teardown);
}
