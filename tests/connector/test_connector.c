/*
 * test_connector.c - advice-connector's parts without a server: the journal (the newest state
 * of an id wins, survives a reopen, a line cut by a crash is dropped and cut off, one process
 * holds it), the bundle and the work folder cleared after a crash
 * (thread.json and the attachments named in manifest.json with their BLAKE2b-256; the same
 * thread gives the same digest), the zip, and the adapters: directory (rename into place, an
 * existing final name counts as delivered, a half-made copy is replaced), command (exit status),
 * http (a 2xx with the Idempotency-Key sent; another status is not delivered).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "connector.h"

static char base[256];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof base, "/tmp/connector-test-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static const char D1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char D2[] = "2222222222222222222222222222222222222222222222222222222222222222";

static void test_journal(void **state)
{
	char path[512], digest[65];
	struct journal *j;
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/journal", base);
	assert_non_null(j = journal_open(path));
	assert_int_equal(journal_get(j, "t-0", NULL), JOURNAL_NONE);
	assert_int_equal(journal_put(j, "t-0", JOURNAL_DELIVERED, D1), 0);
	assert_int_equal(journal_put(j, "t-1", JOURNAL_DELIVERED, D2), 0);
	assert_int_equal(journal_put(j, "t-0", JOURNAL_DONE, D1), 0);
	assert_int_equal(journal_put(j, "bad id", JOURNAL_DONE, D1), -1);
	assert_int_equal(journal_put(j, "t-2", JOURNAL_DONE, "abc"), -1);
	journal_close(j);
	/* A crash in the middle of a line. */
	assert_non_null(f = fopen(path, "a"));
	fputs("t-2 delivered 33", f);
	fclose(f);
	assert_non_null(j = journal_open(path));
	assert_int_equal(journal_get(j, "t-0", digest), JOURNAL_DONE);
	assert_string_equal(digest, D1);
	assert_int_equal(journal_get(j, "t-1", digest), JOURNAL_DELIVERED);
	assert_string_equal(digest, D2);
	assert_int_equal(journal_get(j, "t-2", NULL), JOURNAL_NONE);
	/* What is delivered and not yet acknowledged: t-1 only. */
	{
		char ids[4][CONN_ID_MAX], digests[4][2 * ADVICE_HASH_BYTES + 1];

		assert_int_equal(journal_delivered(j, ids, digests, 4), 1);
		assert_string_equal(ids[0], "t-1");
		assert_string_equal(digests[0], D2);
		assert_int_equal(journal_delivered(j, ids, digests, 0), 0);
	}
	assert_int_equal(journal_put(j, "t-2", JOURNAL_DONE, D2), 0);
	journal_close(j);
	assert_non_null(j = journal_open(path));
	assert_int_equal(journal_get(j, "t-2", NULL), JOURNAL_DONE);
	/* One connector per state folder: a second opener is refused while the first holds it. */
	errno = 0;
	assert_null(journal_open(path));
	assert_int_equal(errno, EWOULDBLOCK);
	journal_close(j);
	assert_non_null(j = journal_open(path));
	journal_close(j);
	snprintf(path, sizeof path, "%s/no/such/journal", base);
	assert_null(journal_open(path));
}

/* A bundle of one message with one attachment, in dir; its digest. */
static void make_bundle(const char *dir, char digest[65])
{
	static const uint8_t pdf[] = "%PDF-1.7\n...";
	struct bundle *b = calloc(1, sizeof *b);
	json_t *doc =
		json_pack("{s:s, s:[{s:s, s:s}]}", "thread", "ab", "messages", "text", "Hei", "id", "01");

	assert_non_null(b);
	assert_int_equal(bundle_begin(b, dir, "t-0"), 0);
	assert_int_equal(bundle_add_file(b, "01.pdf", pdf, sizeof pdf - 1), 0);
	assert_int_equal(bundle_add_file(b, "../x", pdf, 1), -1);
	assert_int_equal(bundle_finish(b, doc, digest), 0);
	json_decref(doc);
	free(b);
}

static void test_bundle(void **state)
{
	char dir[512], path[600], d1[65], d2[65], paths[8][128];
	uint8_t *data = NULL, h[ADVICE_HASH_BYTES];
	char hex[65];
	size_t len = 0;
	json_t *m;

	(void)state;
	snprintf(dir, sizeof dir, "%s/b1", base);
	make_bundle(dir, d1);
	make_bundle(dir, d2); /* made again (after a crash): the same digest */
	assert_string_equal(d1, d2);
	snprintf(path, sizeof path, "%s/manifest.json", dir);
	assert_int_equal(fs_read_file(path, &data, &len), 0);
	advice_hash(h, data, len);
	advice_hex(hex, h, sizeof h);
	assert_string_equal(hex, d1);
	data[len] = '\0';
	m = json_loads((char *)data, 0, NULL);
	free(data);
	assert_non_null(m);
	assert_int_equal(json_array_size(json_object_get(m, "files")), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(m, "files"), 0), "path")),
		"files/01.pdf");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(m, "files"), 1), "path")),
		"thread.json");
	snprintf(path, sizeof path, "%s/files/01.pdf", dir);
	assert_int_equal(fs_read_file(path, &data, &len), 0);
	advice_hash(h, data, len);
	advice_hex(hex, h, sizeof h);
	free(data);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(m, "files"), 0),
							      "blake2b_256")),
			    hex);
	json_decref(m);
	assert_int_equal(bundle_list(dir, paths, 8), 3);
	assert_string_equal(paths[2], "manifest.json");
	bundle_remove(dir);
	assert_int_equal(access(dir, F_OK), -1);
	/* The work folder after a crash: a bundle, a zip, a half-made bundle; all go. */
	snprintf(dir, sizeof dir, "%s/work", base);
	assert_int_equal(fs_mkdirs(dir), 0);
	snprintf(path, sizeof path, "%s/work/b2", base);
	make_bundle(path, d1);
	snprintf(path, sizeof path, "%s/work/b2.zip", base);
	assert_int_equal(fs_write_file(path, "PK", 2), 0);
	snprintf(path, sizeof path, "%s/work/b3/files", base);
	assert_int_equal(fs_mkdirs(path), 0);
	bundle_clear_work(dir);
	assert_int_equal(rmdir(dir), 0); /* empty */
	bundle_clear_work(dir);		 /* none: nothing to do */
}

static void test_zip(void **state)
{
	char dir[512], zpath[600], cmd[1400], digest[65];
	struct zip *z;

	(void)state;
	snprintf(dir, sizeof dir, "%s/bz", base);
	make_bundle(dir, digest);
	snprintf(zpath, sizeof zpath, "%s/b.zip", base);
	assert_non_null(z = zip_create(zpath));
	assert_int_equal(zip_bundle(z, dir, "t-0/"), 0);
	assert_int_equal(zip_close(z), 0);
	/* Python's zipfile checks the CRCs and the central directory. */
	snprintf(cmd, sizeof cmd,
		 "python3 -c \"import zipfile,sys; z=zipfile.ZipFile('%s'); assert z.testzip() is None; "
		 "assert sorted(z.namelist())==['t-0/files/01.pdf','t-0/manifest.json','t-0/thread.json'], "
		 "z.namelist()\"",
		 zpath);
	assert_int_equal(system(cmd), 0);
}

static void test_adapter_directory(void **state)
{
	char dir[512], sink[512], path[700], digest[65], err[256];
	struct adapter a = { .kind = ADAPTER_DIRECTORY };
	struct stat st;

	(void)state;
	snprintf(dir, sizeof dir, "%s/bd", base);
	snprintf(sink, sizeof sink, "%s/sink", base);
	assert_int_equal(fs_mkdirs(sink), 0);
	make_bundle(dir, digest);
	snprintf(a.target, sizeof a.target, "%s", sink);
	/* A half-made copy a crash left. */
	snprintf(path, sizeof path, "%s/.tmp-t-0/files", sink);
	assert_int_equal(fs_mkdirs(path), 0);
	assert_int_equal(adapter_deliver(&a, dir, "t-0", err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/t-0/files/01.pdf", sink);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof path, "%s/.tmp-t-0", sink);
	assert_int_equal(stat(path, &st), -1);
	/* Delivered before: nothing is copied again. */
	snprintf(path, sizeof path, "%s/t-0/thread.json", sink);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(adapter_deliver(&a, dir, "t-0", err, sizeof err), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(adapter_deliver(&a, dir, "../t", err, sizeof err), -1);
	snprintf(a.target, sizeof a.target, "%s/missing", base);
	assert_int_equal(adapter_deliver(&a, dir, "t-1", err, sizeof err), -1);
	assert_true(strlen(err) > 0);
}

static void test_adapter_command(void **state)
{
	char dir[512], prog[512], out[512], digest[65], err[256], *text = NULL;
	struct adapter a = { .kind = ADAPTER_COMMAND, .timeout_s = 20 };
	uint8_t *data = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof dir, "%s/bc", base);
	make_bundle(dir, digest);
	snprintf(prog, sizeof prog, "%s/take.sh", base);
	snprintf(out, sizeof out, "%s/took", base);
	assert_non_null(f = fopen(prog, "w"));
	fprintf(f,
		"#!/bin/sh\n[ -f \"$1/manifest.json\" ] || exit 3\necho \"$2\" >> '%s'\n[ \"$2\" != t-bad "
		"]\n",
		out);
	fclose(f);
	assert_int_equal(chmod(prog, 0700), 0);
	snprintf(a.target, sizeof a.target, "%s", prog);
	assert_int_equal(adapter_deliver(&a, dir, "t-0", err, sizeof err), 0);
	assert_int_equal(adapter_deliver(&a, dir, "t-bad", err, sizeof err), -1);
	assert_string_equal(err, "command: exited with 1");
	assert_int_equal(fs_read_file(out, &data, &len), 0);
	text = (char *)data;
	text[len] = '\0';
	assert_string_equal(text, "t-0\nt-bad\n");
	free(data);
	snprintf(a.target, sizeof a.target, "%s/none", base);
	assert_int_equal(adapter_deliver(&a, dir, "t-0", err, sizeof err), -1);
}

/* A one-request HTTP server on a free port that answers `status` and writes the request's
 * Idempotency-Key line to keyfile. The child's pid; the port in *port. */
static pid_t http_sink(int status, const char *keyfile, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	if ((pid = fork()) == 0) {
		static char buf[1 << 20];
		size_t got = 0;
		char *key, *hdr_end, reply[128];
		long clen = -1;
		int c = accept(s, NULL, NULL);
		FILE *f;

		while (c >= 0 && got < sizeof buf - 1) {
			ssize_t r = read(c, buf + got, sizeof buf - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			if ((hdr_end = strstr(buf, "\r\n\r\n")) != NULL) {
				char *cl = strcasestr(buf, "Content-Length:");

				clen = cl ? atol(cl + 15) : 0;
				if ((long)got >= (hdr_end + 4 - buf) + clen)
					break;
			}
		}
		if ((key = strcasestr(buf, "Idempotency-Key: ")) != NULL &&
		    (f = fopen(keyfile, "w")) != NULL) {
			fprintf(f, "%.*s", (int)strcspn(key, "\r\n"), key);
			fprintf(f, " %ld", clen);
			fclose(f);
		}
		snprintf(reply, sizeof reply,
			 "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
		if (write(c, reply, strlen(reply)) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(s);
	return pid;
}

static void test_adapter_http(void **state)
{
	char dir[512], keyfile[512], digest[65], err[256], *text;
	struct adapter a = { .kind = ADAPTER_HTTP, .timeout_s = 20 };
	uint8_t *data = NULL;
	size_t len = 0;
	int port = 0, st = 0;
	pid_t pid;

	(void)state;
	snprintf(dir, sizeof dir, "%s/bh", base);
	make_bundle(dir, digest);
	snprintf(keyfile, sizeof keyfile, "%s/key", base);
	pid = http_sink(201, keyfile, &port);
	snprintf(a.target, sizeof a.target, "http://127.0.0.1:%d/import", port);
	assert_int_equal(adapter_deliver(&a, dir, "t-0", err, sizeof err), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(fs_read_file(keyfile, &data, &len), 0);
	text = (char *)data;
	text[len] = '\0';
	assert_true(strncmp(text, "Idempotency-Key: t-0 ", 21) == 0);
	assert_true(atol(text + 21) > 100); /* the zip */
	free(data);
	pid = http_sink(500, keyfile, &port);
	snprintf(a.target, sizeof a.target, "http://127.0.0.1:%d/import", port);
	assert_int_equal(adapter_deliver(&a, dir, "t-0", err, sizeof err), -1);
	assert_string_equal(err, "http: the receiver answered 500");
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_adapter_directory),
		cmocka_unit_test(test_adapter_command),
		cmocka_unit_test(test_adapter_http),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
