/*
 * test_systemd.c - adviced as a systemd service sees it. Readiness: with $NOTIFY_SOCKET naming
 * a datagram socket of this test's own, READY=1 comes when the port already accepts, then a
 * STATUS= line, and STOPPING=1 at SIGTERM. Credentials: with $CREDENTIALS_DIRECTORY set and
 * the secret settings left out, the pepper, both bank-ID keys and the SMTP password are read
 * from the credentials (whatever their mode there), a setting naming a file wins, and
 * `--check-config` says where each secret came from. The journal: with $JOURNAL_STREAM naming
 * adviced's stderr, each log line begins with its syslog priority (<3> for an error); naming
 * another file, it does not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "itest.h"

extern char **environ;

static void expect_contains(const char *text, const char *needle)
{
	if (text == NULL || strstr(text, needle) == NULL)
		fail_msg("'%s' is not in:\n%s", needle, text ? text : "(nothing)");
}

/* Whether a TCP connection to 127.0.0.1:port is accepted now. */
static int port_accepts(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

/* The service manager's side: the notification socket and what came through it. */
struct listener {
	int fd;
	char path[108];
	pthread_mutex_t mu;
	pthread_cond_t changed;
	const int *port;     /* adviced's port, set by harness_start before adviced starts */
	int ready;	     /* READY=1 came */
	int ready_accepting; /* ... and the port accepted at that moment */
	int status;	     /* a STATUS= line came after READY=1 */
	int stopping;	     /* STOPPING=1 came */
	int done;	     /* the thread is to end */
	char statuses[512];  /* the STATUS= lines, one a line */
};

/* Reads datagrams until told to end; each variable of a datagram is one line. */
static void *listen_notify(void *arg)
{
	struct listener *l = arg;

	for (;;) {
		struct pollfd p = { l->fd, POLLIN, 0 };
		char buf[1024];
		ssize_t n;

		pthread_mutex_lock(&l->mu);
		if (l->done) {
			pthread_mutex_unlock(&l->mu);
			return NULL;
		}
		pthread_mutex_unlock(&l->mu);
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(l->fd, buf, sizeof buf - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		pthread_mutex_lock(&l->mu);
		for (char *save, *line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strcmp(line, "READY=1") == 0) {
				l->ready = 1;
				l->ready_accepting = port_accepts(__atomic_load_n(l->port, __ATOMIC_ACQUIRE));
			} else if (strcmp(line, "STOPPING=1") == 0) {
				l->stopping = 1;
			} else if (strncmp(line, "STATUS=", 7) == 0) {
				l->status = l->status || l->ready;
				strncat(l->statuses, line + 7, sizeof l->statuses - strlen(l->statuses) - 2);
				strcat(l->statuses, "\n");
			}
		}
		pthread_cond_broadcast(&l->changed);
		pthread_mutex_unlock(&l->mu);
	}
}

/* Waits up to 10 s for *flag (set by the listener thread); its value. */
static int wait_flag(struct listener *l, const int *flag)
{
	struct timespec deadline;
	int v;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&l->mu);
	while (!*flag && pthread_cond_timedwait(&l->changed, &l->mu, &deadline) == 0)
		;
	v = *flag;
	pthread_mutex_unlock(&l->mu);
	return v;
}

static void test_notify_ready_status_stopping(void **state)
{
	static struct listener l;
	static struct harness h;
	struct sockaddr_un a;
	pthread_t t;
	const char *tmp = getenv("TMPDIR");

	(void)state;
	memset(&l, 0, sizeof l);
	memset(&h, 0, sizeof h);
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.changed, NULL);
	snprintf(l.path, sizeof l.path, "%s/advice-notify-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	l.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l.fd >= 0);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", l.path);
	unlink(l.path);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&a, sizeof a), 0);
	l.port = &h.port;
	assert_int_equal(pthread_create(&t, NULL, listen_notify, &l), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l.path, 1), 0);
	assert_int_equal(harness_start(&h), 0);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);

	if (!wait_flag(&l, &l.ready))
		fail_msg("no READY=1 within 10 s (statuses: %s)", l.statuses);
	if (!l.ready_accepting)
		fail_msg("READY=1 came before port %d accepted", h.port);
	if (!wait_flag(&l, &l.status))
		fail_msg("no STATUS= after READY=1 within 10 s (statuses: %s)", l.statuses);
	pthread_mutex_lock(&l.mu);
	assert_false(l.stopping);
	expect_contains(l.statuses, "serving on 127.0.0.1:");
	pthread_mutex_unlock(&l.mu);

	assert_int_equal(harness_stop(&h), 0);
	if (!wait_flag(&l, &l.stopping))
		fail_msg("no STOPPING=1 within 10 s of SIGTERM (statuses: %s)", l.statuses);
	pthread_mutex_lock(&l.mu);
	l.done = 1;
	expect_contains(l.statuses, "stopping: finishing pending commits");
	pthread_mutex_unlock(&l.mu);
	pthread_join(t, NULL);
	close(l.fd);
	unlink(l.path);
}

/* --- credentials --- */

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

/* The harness's adviced.conf without the lines naming the secrets (the credentials stand in),
 * with `extra` appended, as <dir>/<name>; its path in `path`. */
static void write_conf_without_secrets(const char *name, const char *extra, char path[300])
{
	char conf[300], line[1024];
	FILE *in, *out;

	snprintf(conf, sizeof conf, "%s/adviced.conf", H.dir);
	snprintf(path, 300, "%s/%s", H.dir, name);
	in = fopen(conf, "r");
	out = fopen(path, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof line, in) != NULL)
		if (strncmp(line, "pepper_file", 11) != 0 && strncmp(line, "oidc_sig_key", 12) != 0 &&
		    strncmp(line, "oidc_enc_key", 12) != 0)
			fputs(line, out);
	fputs(extra, out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* A credentials folder as systemd makes one: the data folder's pepper and bank-ID keys, and
 * an SMTP password, each readable by its group too (systemd's access list shows there). */
static void make_credentials(char creds[300])
{
	const char *tmp = getenv("TMPDIR");
	char from[400], to[400];
	const char *const names[][2] = { { "secrets/pepper", "pepper" },
					 { "secrets/oidc-sig.pem", "oidc-sig.pem" },
					 { "secrets/oidc-enc.pem", "oidc-enc.pem" } };
	FILE *f;

	snprintf(creds, 300, "%s/advice-creds-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(creds));
	for (size_t i = 0; i < 3; i++) {
		snprintf(from, sizeof from, "%s/%s", H.dir, names[i][0]);
		snprintf(to, sizeof to, "%s/%s", creds, names[i][1]);
		itest_copy_file(from, to, 0640);
	}
	snprintf(to, sizeof to, "%s/smtp-password", creds);
	f = fopen(to, "w");
	assert_non_null(f);
	fputs("relay-password-of-the-test\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(to, 0640), 0);
}

static void remove_credentials(const char *creds)
{
	const char *const names[] = { "pepper", "oidc-sig.pem", "oidc-enc.pem", "smtp-password" };
	char path[400];

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", creds, names[i]);
		unlink(path);
	}
	assert_int_equal(rmdir(creds), 0);
}

#define SMTP_CONF                                                                                            \
	"smtp_host = 127.0.0.1\nsmtp_tls = none\nsmtp_user = advice\nmail_from = advice@example.fi\n"        \
	"public_url = http://127.0.0.1:1/\n"

static void test_secrets_from_credentials(void **state)
{
	char creds[300], path[300], want[600], *out = NULL, *err = NULL;
	const char *args[] = { "-c", path, "--check-config", NULL };

	(void)state;
	make_credentials(creds);
	write_conf_without_secrets("creds.conf", SMTP_CONF, path);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	if (harness_adviced_run(&H, args, &out, &err) != 0)
		fail_msg("--check-config with credentials failed:\n%s", err);
	expect_contains(out,
			"creds.conf: pepper_file: the systemd credential pepper ($CREDENTIALS_DIRECTORY)");
	expect_contains(out, "creds.conf: oidc_sig_key: the systemd credential oidc-sig.pem");
	expect_contains(out, "creds.conf: oidc_enc_key: the systemd credential oidc-enc.pem");
	expect_contains(out, "creds.conf: smtp_password_file: the systemd credential smtp-password");
	expect_contains(out, "configuration OK");
	free(out);
	free(err);

	/* A setting naming a file wins over the credential. */
	write_conf_without_secrets("named.conf", "oidc_sig_key = secrets/oidc-sig.pem\n", path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 0);
	snprintf(want, sizeof want,
		 "named.conf: oidc_sig_key: the file %s/secrets/oidc-sig.pem (inside the data folder)",
		 H.dir);
	expect_contains(out, want);
	expect_contains(out, "named.conf: oidc_enc_key: the systemd credential oidc-enc.pem");
	free(out);
	free(err);
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	remove_credentials(creds);
}

/* The same files outside the credentials folder are refused for their mode, and without the
 * credentials a configuration that leaves the bank-ID keys out is told it needs them. */
static void test_credential_mode_only_in_the_credentials_folder(void **state)
{
	char creds[300], path[300], extra[700], *out = NULL, *err = NULL;
	const char *args[] = { "-c", path, "--check-config", NULL };

	(void)state;
	make_credentials(creds);
	snprintf(extra, sizeof extra, "oidc_sig_key = %s/oidc-sig.pem\noidc_enc_key = secrets/oidc-enc.pem\n",
		 creds);
	write_conf_without_secrets("loose.conf", extra, path);
	/* No $CREDENTIALS_DIRECTORY: the folder is an ordinary one, the group may read the key. */
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	expect_contains(err, "oidc-sig.pem: must be readable by its owner only (chmod 600)");
	free(out);
	free(err);

	write_conf_without_secrets("nokeys.conf", "", path);
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 1);
	expect_contains(err, "oidc_sig_key is required with oidc_authorize_url");
	expect_contains(err, "oidc_enc_key is required with oidc_authorize_url");
	free(out);
	free(err);
	remove_credentials(creds);
}

/* --- the journal's priorities --- */

/*
 * Runs `adviced -c <missing file>` (it fails at once with an error in the log) with its stderr
 * in the file `log` and $JOURNAL_STREAM set to the device and inode of `stream` (the log file
 * itself, or another); returns the log's text (malloc'd).
 */
static char *run_with_journal_stream(const char *log, const char *stream)
{
	char value[64], missing[300], *text;
	const char *const argv[] = { getenv("ADVICED"), "-c", missing, NULL };
	posix_spawn_file_actions_t fa;
	struct stat sb;
	pid_t pid;
	int status;
	FILE *f = fopen(log, "w");

	assert_non_null(f);
	fclose(f);
	assert_int_equal(stat(stream, &sb), 0);
	snprintf(value, sizeof value, "%llu:%llu", (unsigned long long)sb.st_dev,
		 (unsigned long long)sb.st_ino);
	snprintf(missing, sizeof missing, "%s/no-such.conf", H.dir);
	assert_int_equal(setenv("JOURNAL_STREAM", value, 1), 0);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_APPEND, 0), 0);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(unsetenv("JOURNAL_STREAM"), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	f = fopen(log, "r");
	assert_non_null(f);
	text = itest_slurp(f);
	fclose(f);
	return text;
}

static void test_journal_priority_prefix(void **state)
{
	char log[300], other[300], *text;

	(void)state;
	snprintf(log, sizeof log, "%s/journal.log", H.dir);
	snprintf(other, sizeof other, "%s/adviced.conf", H.dir);
	text = run_with_journal_stream(log, log);
	if (strncmp(text, "<3>ts=", 6) != 0 || strstr(text, " level=err where=") == NULL)
		fail_msg("no <3> prefix on the journal's stream:\n%s", text);
	*strchr(text, '\n') = '\0';
	assert_true(itest_log_line_ok(text));
	free(text);
	text = run_with_journal_stream(log, other);
	if (strncmp(text, "ts=", 3) != 0)
		fail_msg("a priority prefix on a stderr that is not the journal's:\n%s", text);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_ready_status_stopping),
		cmocka_unit_test_setup_teardown(test_secrets_from_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credential_mode_only_in_the_credentials_folder, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_journal_priority_prefix, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
