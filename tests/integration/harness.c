/*
 * harness.c - runs a real adviced for the integration tests (see harness.h). Programs are
 * started with fork/execv (no shell); readiness is polled (connect every 20 ms), never
 * waited for with long sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "staff.h"
#include "totp.h"

#define HARNESS_START_MS 20000
#define HARNESS_STOP_MS	 15000
#define HARNESS_POLL_MS	 20

static long long harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void harness_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *harness_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "harness: $%s is not set\n", name);
		return NULL;
	}
	return v;
}

int harness_free_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * Runs argv[0] with argv, stdout into `out` (malloc'd, may be NULL to discard), stderr to
 * `errpath` (appended; NULL: inherited). Returns the exit status (0..255) or -1.
 */
static int harness_run(char *const argv[], char **out, const char *errpath)
{
	int pfd[2], status;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	pid_t pid;

	if (pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		if (errpath != NULL) {
			int fd = open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0600);

			if (fd >= 0)
				dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n;

		if (len + 1024 > cap) {
			char *nb = realloc(buf, cap + 4096);

			if (nb == NULL)
				break;
			buf = nb;
			cap += 4096;
		}
		n = read(pfd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (buf != NULL)
		buf[len] = '\0';
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether something accepts connections on 127.0.0.1:port. */
static int harness_port_open(int port)
{
	struct sockaddr_in a;
	int fd, ok;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Whether adviced answers on its admin socket (<dir>/admin.sock), which it opens after its
 * port: advicectl works from then on. */
static int harness_admin_open(struct harness *h)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, ok;

	if (snprintf(a.sun_path, sizeof(a.sun_path), "%s/admin.sock", h->dir) >= (int)sizeof(a.sun_path))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Starts adviced on the existing folder and waits for its port and its admin socket. 0 or -1. */
static int harness_spawn(struct harness *h)
{
	const char *adviced = harness_env("ADVICED");
	char conf[300], logpath[300];
	long long deadline;
	pid_t pid;

	if (adviced == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/adviced.conf", h->dir);
	snprintf(logpath, sizeof(logpath), "%s/adviced.log", h->dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int nul = open("/dev/null", O_RDWR);

		if (fd >= 0)
			dup2(fd, 2);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
		}
		if (h->nofile > 0) {
			struct rlimit rl = { (rlim_t)h->nofile, (rlim_t)h->nofile };

			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(126);
		}
		execl(adviced, adviced, "-c", conf, (char *)NULL);
		_exit(127);
	}
	h->pid = pid;
	deadline = harness_now_ms() + HARNESS_START_MS;
	while (harness_now_ms() < deadline) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "harness: adviced exited at start (status %d), see %s\n", status,
				logpath);
			harness_log_sanitizer_lines(h);
			h->pid = 0;
			return -1;
		}
		if (harness_port_open(h->port) && harness_admin_open(h))
			return 0;
		harness_sleep_ms(HARNESS_POLL_MS);
	}
	fprintf(stderr, "harness: adviced did not open port %d and its admin socket in time\n", h->port);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	h->pid = 0;
	return -1;
}

/*
 * Waits for the server to exit, SIGKILL after `ms`. Returns its exit status (0..255), or -1
 * when it was killed by a signal (a sanitizer's abort among them) or had to be killed.
 */
static int harness_reap(struct harness *h, int ms)
{
	long long deadline = harness_now_ms() + ms;
	int status;

	if (h->pid <= 0)
		return 0;
	while (waitpid(h->pid, &status, WNOHANG) == 0) {
		if (harness_now_ms() >= deadline) {
			fprintf(stderr, "harness: adviced did not stop in time, killing it\n");
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &status, 0);
			h->pid = 0;
			return -1;
		}
		harness_sleep_ms(HARNESS_POLL_MS);
	}
	h->pid = 0;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "harness: adviced ended by signal %d\n", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

/* SIGTERM and the clean exit it must lead to. 0, or -1 (reason on stderr, failure noted). */
static int harness_terminate(struct harness *h)
{
	int status;

	if (h->pid <= 0)
		return 0;
	kill(h->pid, SIGTERM);
	status = harness_reap(h, HARNESS_STOP_MS);
	if (status == 0)
		return 0;
	fprintf(stderr, "harness: adviced exited with status %d after SIGTERM, see %s/adviced.log\n", status,
		h->dir);
	h->failed = 1;
	return -1;
}

int harness_wait_exit(struct harness *h, int ms)
{
	return harness_reap(h, ms);
}

int harness_start(struct harness *h)
{
	return harness_start_with(h, 0, NULL);
}

/* Appends `text` to the data folder's adviced.conf. 0 or -1. */
/* The setting name a configuration line sets, into name (empty for comments and blank lines). */
static void conf_line_name(const char *line, char *name, size_t size)
{
	size_t n;

	line += strspn(line, " \t");
	n = strcspn(line, " \t=#\n");
	if (line[0] == '#' || strchr(line, '=') == NULL || n >= size)
		n = 0;
	memcpy(name, line, n);
	name[n] = '\0';
}

/* Whether `text` (configuration lines) sets `name`. */
static int conf_sets(const char *text, const char *name)
{
	char line_name[64];

	for (const char *line = text; *line;
	     line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		conf_line_name(line, line_name, sizeof line_name);
		if (line_name[0] != '\0' && strcmp(line_name, name) == 0)
			return 1;
	}
	return 0;
}

/* Appends `text` to adviced.conf; a setting it names that the file sets already (the demo's
 * front page values) is commented out there first, since a setting may be given once. */
static int harness_append_conf(struct harness *h, const char *text)
{
	char path[300], line[1024], name[64];
	char *old = NULL;
	size_t len = 0;
	FILE *f, *in;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/adviced.conf", h->dir);
	if ((in = fopen(path, "r")) == NULL || (f = open_memstream(&old, &len)) == NULL) {
		if (in != NULL)
			fclose(in);
		return -1;
	}
	while (fgets(line, sizeof line, in) != NULL) {
		conf_line_name(line, name, sizeof name);
		if (name[0] != '\0' && conf_sets(text, name))
			fputs("# (set again below) ", f);
		fputs(line, f);
	}
	fclose(in);
	fclose(f);
	f = fopen(path, "w");
	if (f == NULL) {
		free(old);
		return -1;
	}
	rc = fputs(old, f) < 0 || fputs(text, f) < 0 ? -1 : 0;
	free(old);
	return fclose(f) != 0 ? -1 : rc;
}

/* harness_start_with, and adviced's descriptor limit (0: inherited); `envelopes`: leave the
 * demo's require_envelopes on. */
static int harness_start_full(struct harness *h, int demo_totp, const char *conf_extra, int nofile,
			      int envelopes)
{
	const char *ctl = harness_env("ADVICECTL"), *src = harness_env("ADVICE_SOURCE_DIR");
	char port[16], bank_port[16], webroot[512];
	const char *tmp = getenv("TMPDIR");

	memset(h, 0, sizeof(*h));
	h->nofile = nofile;
	if (ctl == NULL || src == NULL)
		return -1;
	snprintf(h->dir, sizeof(h->dir), "%s/advice-it-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	/* A fresh unique name; advicectl init creates the folder itself. */
	if (mkdtemp(h->dir) == NULL || rmdir(h->dir) != 0) {
		perror("harness: mkdtemp");
		return -1;
	}
	h->port = harness_free_port();
	do
		h->bank_port = harness_free_port();
	while (h->bank_port == h->port);
	if (h->port <= 0 || h->bank_port <= 0)
		return -1;
	snprintf(port, sizeof(port), "%d", h->port);
	snprintf(bank_port, sizeof(bank_port), "%d", h->bank_port);
	snprintf(webroot, sizeof(webroot), "%s/client-web", src);
	snprintf(h->base_url, sizeof(h->base_url), "http://127.0.0.1:%d", h->port);
	snprintf(h->origin, sizeof(h->origin), "http://127.0.0.1:%d", h->port);
	{
		char *argv[] = { (char *)ctl, "init", h->dir,	     "--demo",	"--test-mode",
				 "--port",    port,   "--bank-port", bank_port, "--web-root",
				 webroot,     NULL,   NULL };

		if (!demo_totp)
			argv[11] = "--no-totp";
		if (harness_run(argv, NULL, NULL) != 0) {
			fprintf(stderr, "harness: advicectl init failed\n");
			return -1;
		}
	}
	h->demo_totp = demo_totp;
	if (!envelopes &&
	    harness_append_conf(h, "# the tests send opaque bodies\nrequire_envelopes = no\n") != 0) {
		fprintf(stderr, "harness: cannot extend adviced.conf\n");
		return -1;
	}
	if (conf_extra != NULL && harness_append_conf(h, conf_extra) != 0) {
		fprintf(stderr, "harness: cannot extend adviced.conf\n");
		return -1;
	}
	h->client = advice_client_new();
	if (h->client == NULL)
		return -1;
	return harness_spawn(h);
}

int harness_start_with(struct harness *h, int demo_totp, const char *conf_extra)
{
	return harness_start_full(h, demo_totp, conf_extra, 0, 0);
}

int harness_start_demo(struct harness *h)
{
	return harness_start_full(h, 1, NULL, 0, 1);
}

int harness_start_nofile(struct harness *h, const char *conf_extra, int nofile)
{
	return harness_start_full(h, 0, conf_extra, nofile, 0);
}

int harness_restart(struct harness *h)
{
	if (harness_terminate(h) != 0)
		return -1;
	return harness_spawn(h);
}

int harness_kill9(struct harness *h)
{
	if (h->pid <= 0)
		return -1;
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	h->pid = 0;
	return 0;
}

int harness_start_again(struct harness *h)
{
	if (h->pid > 0)
		return -1;
	return harness_spawn(h);
}

static int harness_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Whether a line of the server's log is a sanitizer's report. */
static int harness_is_sanitizer_line(const char *line)
{
	return strstr(line, "Sanitizer") != NULL || strstr(line, "runtime error:") != NULL;
}

int harness_log_sanitizer_lines(struct harness *h)
{
	char path[300], buf[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/adviced.log", h->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (harness_is_sanitizer_line(buf)) {
			fprintf(stderr, "harness: adviced: %s", buf);
			n++;
		}
	fclose(f);
	return n;
}

int harness_stop(struct harness *h)
{
	int rc = h->failed ? -1 : 0;

	if (harness_terminate(h) != 0)
		rc = -1;
	if (h->dir[0] != '\0' && harness_log_sanitizer_lines(h) > 0) {
		fprintf(stderr, "harness: sanitizer report in %s/adviced.log\n", h->dir);
		rc = -1;
	}
	advice_client_free(h->client);
	h->client = NULL;
	if (h->dir[0] == '\0')
		return rc;
	if (getenv("ADVICE_KEEP_TEST_DIR") != NULL || rc != 0)
		fprintf(stderr, "harness: kept %s\n", h->dir);
	else
		nftw(h->dir, harness_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	h->dir[0] = '\0';
	return rc;
}

char *harness_citizen_token(struct harness *h, const char *hetu)
{
	const char *ctl = harness_env("ADVICECTL");
	char logpath[300], *out = NULL;
	size_t len;

	if (ctl == NULL)
		return NULL;
	snprintf(logpath, sizeof(logpath), "%s/advicectl.log", h->dir);
	{
		char *argv[] = { (char *)ctl, "-d", h->dir, "dev-token", (char *)hetu, NULL };

		if (harness_run(argv, &out, logpath) != 0) {
			free(out);
			return NULL;
		}
	}
	if (out == NULL)
		return NULL;
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' '))
		out[--len] = '\0';
	return out;
}

int harness_login_citizen(struct harness *h, const char *hetu, char **session_out)
{
	char *token = harness_citizen_token(h, hetu);
	int rc;

	if (token == NULL)
		return -ADVICE_ERR_IO;
	rc = advice_login_citizen(h->client, h->base_url, h->origin, token, session_out, HARNESS_TIMEOUT_MS);
	free(token);
	return rc;
}

int harness_ctl(struct harness *h, const char *const args[], char **out)
{
	const char *ctl = harness_env("ADVICECTL");
	char *argv[16], logpath[300];
	size_t n = 0;

	if (ctl == NULL)
		return -1;
	argv[n++] = (char *)ctl;
	argv[n++] = "-d";
	argv[n++] = h->dir;
	for (size_t i = 0; args[i] != NULL; i++) {
		if (n + 2 > sizeof(argv) / sizeof(argv[0]))
			return -1;
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	snprintf(logpath, sizeof(logpath), "%s/advicectl.log", h->dir);
	return harness_run(argv, out, logpath) == 0 ? 0 : -1;
}

/* The whole of a text file (malloc'd, NUL-terminated); NULL when it cannot be read. */
static char *harness_read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;

	if (f == NULL)
		return NULL;
	do {
		char *b = realloc(buf, len + 4097);

		if (b == NULL) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = b;
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

int harness_adviced_run(struct harness *h, const char *const args[], char **out, char **err)
{
	const char *adviced = harness_env("ADVICED");
	char *argv[16], errpath[300];
	size_t n = 0;
	int fd, status;

	if (out != NULL)
		*out = NULL;
	if (err != NULL)
		*err = NULL;
	if (adviced == NULL)
		return -1;
	argv[n++] = (char *)adviced;
	for (size_t i = 0; args[i] != NULL; i++) {
		if (n + 1 >= sizeof(argv) / sizeof(argv[0]))
			return -1;
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	snprintf(errpath, sizeof(errpath), "%s/adviced-run.err", h->dir);
	if ((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	close(fd);
	status = harness_run(argv, out, errpath);
	if (err != NULL && (*err = harness_read_text(errpath)) == NULL)
		return -1;
	return status;
}

int harness_demo_code(long long unix_s, char out[8])
{
	long v = totp_hotp((const uint8_t *)STAFF_DEMO_SECRET, strlen(STAFF_DEMO_SECRET), TOTP_SHA1,
			   (uint64_t)(unix_s / TOTP_STEP_S), TOTP_DIGITS);

	if (v < 0 || v > 999999)
		return -1;
	snprintf(out, 8, "%06d", (int)v);
	return 0;
}

int harness_login_worker(struct harness *h, const char *name, char **session_out)
{
	char password[128], code[8];

	snprintf(password, sizeof(password), "%s-demo", name);
	if (!h->demo_totp)
		return advice_login_worker(h->client, h->base_url, h->origin, name, password, session_out,
					   HARNESS_TIMEOUT_MS);
	if (harness_demo_code(time(NULL), code) != 0)
		return -ADVICE_ERR_INVAL;
	return advice_login_worker_totp(h->client, h->base_url, h->origin, name, password, code, session_out,
					HARNESS_TIMEOUT_MS);
}

struct advice_conn *harness_connect(struct harness *h, const char *session)
{
	int err = 0;
	struct advice_conn *k;

	k = advice_connect(h->client, h->base_url, h->origin, session, HARNESS_TIMEOUT_MS, &err);
	if (k == NULL)
		fprintf(stderr, "harness: connect failed: %s\n", advice_err_name(err));
	return k;
}

int harness_log_contains(struct harness *h, const char *text)
{
	char path[300], buf[8192];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/adviced.log", h->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f) != NULL)
		found = strstr(buf, text) != NULL;
	fclose(f);
	return found;
}
