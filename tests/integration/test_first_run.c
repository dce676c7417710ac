/*
 * test_first_run.c - what an administrator meets first: a port already taken is said in one
 * plain line and adviced exits 1 (a listener of this test's own, and a second adviced on the
 * running one's port); `--check-config` reports every problem of a file at once, passes the
 * file `advicectl init` wrote, and warns when public_url's origin is not among `origins`; after
 * a kill, the start removes the attachment blobs no upload names (and nothing else).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

static int setup(void **state)
{
	(void)state;
	return harness_start(&H);
}

static int teardown(void **state)
{
	(void)state;
	return harness_stop(&H);
}

/* A listening socket on 127.0.0.1 and a free port, in *port. */
static int listen_somewhere(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void expect_contains(const char *text, const char *needle)
{
	if (text == NULL || strstr(text, needle) == NULL)
		fail_msg("'%s' is not in:\n%s", needle, text ? text : "(nothing)");
}

/* Starts adviced with the harness's configuration on `port`; expects exit 1 and the plain line. */
static void expect_port_taken(int port)
{
	char conf[300], portarg[16], want[200], *err = NULL;
	const char *args[] = { "-c", conf, "-p", portarg, NULL };

	snprintf(conf, sizeof conf, "%s/adviced.conf", H.dir);
	snprintf(portarg, sizeof portarg, "%d", port);
	assert_int_equal(harness_adviced_run(&H, args, NULL, &err), 1);
	snprintf(want, sizeof want,
		 "cannot listen on 127.0.0.1:%d: the address is already in use (another adviced or "
		 "program?); choose another port with `port =` in adviced.conf",
		 port);
	expect_contains(err, want);
	if (strstr(err, "ERROR on binding") != NULL || strstr(err, "libev plugin") != NULL)
		fail_msg("lws's bind error came through:\n%s", err);
	free(err);
}

static void test_port_in_use_by_a_program(void **state)
{
	int port, fd = listen_somewhere(&port);

	(void)state;
	expect_port_taken(port);
	close(fd);
}

static void test_port_in_use_by_another_adviced(void **state)
{
	(void)state;
	expect_port_taken(H.port);
}

/* Writes `text` to <dir>/<name>; the path in `path`. */
static void write_conf(const char *name, const char *text, char path[300])
{
	FILE *f;

	snprintf(path, 300, "%s/%s", H.dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_check_config_reports_every_problem(void **state)
{
	static const char *const problems[] = {
		"bad.conf: line 1: port: 70000 is out of range 1..65535",
		"bad.conf: line 2: unknown setting 'colour'",
		"bad.conf: line 3: max_inflight: 0 is out of range 1..10000",
		"bad.conf: line 4: test_mode: expected yes or no",
		"bad.conf: origins: at least one allowed Origin is needed",
		"bad.conf: idp_issuer is required",
		"bad.conf: idp_audience is required",
		"bad.conf: idp_keys_file is required unless",
		"bad.conf: web_root is required",
		"secrets/pepper is inside the data folder", /* test_mode did not parse: production */
		"bad.conf: 10 problems",
	};
	char path[300], *err = NULL, *out = NULL;
	const char *args[] = { "-c", path, "--check-config", NULL };

	(void)state;
	write_conf("bad.conf", "port = 70000\ncolour = blue\nmax_inflight = 0\ntest_mode = maybe\n", path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
		expect_contains(err, problems[i]);
	assert_null(strstr(out, "configuration OK"));
	free(err);
	free(out);
}

/* Outside test mode the pepper may not be in the data folder, by default or named, and the
 * message says how to move it; a systemd credential is where it goes by default then. */
static void test_check_config_refuses_a_pepper_in_the_data_folder(void **state)
{
	char path[300], want[100], creds[300], *err = NULL, *out = NULL;
	const char *args[] = { "-c", path, "--check-config", NULL };
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(want, sizeof want, "secrets/pepper is inside the data folder");
	write_conf("pepper.conf", "test_mode = no\n", path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	expect_contains(err, want);
	expect_contains(err, "LoadCredential=pepper:FILE");
	free(err);
	free(out);
	write_conf("pepper.conf", "test_mode = no\ndata_dir = .\npepper_file = secrets/../secrets/pepper\n",
		   path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	expect_contains(err, "is inside the data folder");
	free(err);
	free(out);

	/* Test mode may keep it there; a credentials folder outside takes the default. */
	write_conf("pepper.conf", "test_mode = yes\n", path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	assert_null(strstr(err, "pepper_file"));
	free(err);
	free(out);
	snprintf(creds, sizeof creds, "%s/advice-creds-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(creds));
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	write_conf("pepper.conf", "test_mode = no\n", path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	assert_null(strstr(err, "pepper_file"));
	assert_int_equal(rmdir(creds), 0);
	free(err);
	free(out);
}

static void test_check_config_passes_the_initial_file(void **state)
{
	char path[300], *err = NULL, *out = NULL;
	const char *args[] = { "-c", path, "--check-config", NULL };

	(void)state;
	snprintf(path, sizeof path, "%s/adviced.conf", H.dir);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 0);
	expect_contains(out, "adviced.conf: configuration OK");
	assert_null(strstr(err, "warning"));
	free(err);
	free(out);
}

/* The initial file with a public address the origins do not name: a warning, not an error. */
static void test_check_config_warns_of_origins(void **state)
{
	char conf[300], path[300], want[200], *text, *err = NULL, *out = NULL;
	const char *args[] = { "-c", path, "--check-config", NULL };
	FILE *f;
	long n;

	(void)state;
	snprintf(conf, sizeof conf, "%s/adviced.conf", H.dir);
	f = fopen(conf, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 64);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	strcat(text, "public_url = https://advice.example.fi/\n");
	write_conf("public.conf", text, path);
	free(text);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 0);
	expect_contains(out, "configuration OK");
	snprintf(want, sizeof want,
		 "public.conf: warning: origins: public_url's origin https://advice.example.fi is not "
		 "among them");
	expect_contains(err, want);
	free(err);
	free(out);
}

/* Writes an empty file <dir>/blobs/<name>. */
static void blob_file(const char *name)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/blobs", H.dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/blobs/%s", H.dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fclose(f), 0);
}

static int blob_there(const char *name)
{
	char path[400];

	snprintf(path, sizeof path, "%s/blobs/%s", H.dir, name);
	return access(path, F_OK) == 0;
}

static void test_start_after_a_kill_removes_blobs_without_an_upload(void **state)
{
	(void)state;
	assert_int_equal(harness_kill9(&H), 0);
	blob_file("0123456789abcdef0123456789abcdef.part"); /* its upload went while it was written */
	blob_file("fedcba9876543210fedcba9876543210");
	blob_file("README");
	assert_int_equal(harness_start_again(&H), 0);
	assert_false(blob_there("0123456789abcdef0123456789abcdef.part"));
	assert_false(blob_there("fedcba9876543210fedcba9876543210"));
	assert_true(blob_there("README"));
	assert_int_equal(harness_log_contains(&H, "2 attachment files without an upload removed"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_in_use_by_a_program),
		cmocka_unit_test(test_port_in_use_by_another_adviced),
		cmocka_unit_test(test_check_config_reports_every_problem),
		cmocka_unit_test(test_check_config_refuses_a_pepper_in_the_data_folder),
		cmocka_unit_test(test_check_config_passes_the_initial_file),
		cmocka_unit_test(test_check_config_warns_of_origins),
		cmocka_unit_test(test_start_after_a_kill_removes_blobs_without_an_upload),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
