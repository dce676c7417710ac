/*
 * test_advicectl_client.c - advicectl as a worker's client of a running adviced (test mode,
 * demo data with the published second factor): a new worker's first login with the setup
 * code, printed enrolment and a code read back, then a normal login with the new password; a
 * wrong setup code and a wrong second-factor code, refused with the server's reason; `request`
 * for a supervisor's dashboard.get and thread.reassign of a real thread, a request the policy
 * refuses, and JSON arguments refused before anything is sent; an account whose second
 * factor was reset enrols again at its next login; on a terminal, a new password asked
 * twice and not echoed. Also the libadvice calls these
 * rest on: the server's reason kept by the client, the enrolment URI, advice_call's checks.
 *
 * advicectl runs as a child with pipes on its standard input and output, so that a test can
 * read the enrolment secret it prints and answer with a code, as a person would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"
#include "staff.h"
#include "totp.h"

#define CTL_MAX_ARGS 16
#define WAIT_MS	     (3 * HARNESS_TIMEOUT_MS)
#define ADULT	     "Adult social work"
#define NEW_PASSWORD "a long new passphrase"

/* One advicectl run: its pid, a pipe to its stdin, what it printed so far. */
struct proc {
	pid_t pid;
	FILE *in;   /* NULL once closed */
	int out_fd; /* its stdout; -1 at its end */
	char *out;  /* stdout so far (NUL-terminated) */
	size_t len;
	FILE *err; /* its stderr (a temporary file) */
};

/* What a finished run did. */
struct run {
	int status; /* 0..255; -1: ended by a signal */
	char *out, *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Starts `$ADVICECTL args...` (args ends with NULL). */
static void proc_start(struct proc *p, const char *const args[])
{
	const char *ctl = getenv("ADVICECTL");
	char *argv[CTL_MAX_ARGS + 2];
	int in[2], out[2];
	size_t n = 0;

	if (ctl == NULL || *ctl == '\0')
		fail_msg("$ADVICECTL is not set");
	memset(p, 0, sizeof *p);
	argv[n++] = (char *)ctl;
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(i < CTL_MAX_ARGS);
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_non_null(p->err = tmpfile());
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(fileno(p->err), 2);
		close(in[1]);
		close(out[0]);
		execv(ctl, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	assert_non_null(p->in = fdopen(in[1], "w"));
	p->out_fd = out[0];
	assert_non_null(p->out = calloc(1, 1));
}

/* Writes one line to its standard input. */
static void proc_line(struct proc *p, const char *line)
{
	assert_non_null(p->in);
	assert_true(fprintf(p->in, "%s\n", line) > 0);
	assert_int_equal(fflush(p->in), 0);
}

/* Reads what its stdout has within the deadline; 0 when something came or it ended, -1 when
 * nothing came in time. */
static int proc_read(struct proc *p, int64_t deadline_ms)
{
	struct pollfd pf = { .fd = p->out_fd, .events = POLLIN };
	struct timespec ts;
	char buf[4096];
	ssize_t got;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now >= deadline_ms || poll(&pf, 1, (int)(deadline_ms - now)) <= 0)
		return -1;
	got = read(p->out_fd, buf, sizeof buf);
	if (got <= 0) {
		close(p->out_fd);
		p->out_fd = -1;
		return 0;
	}
	assert_non_null(p->out = realloc(p->out, p->len + (size_t)got + 1));
	memcpy(p->out + p->len, buf, (size_t)got);
	p->len += (size_t)got;
	p->out[p->len] = '\0';
	return 0;
}

/* Waits until its stdout holds `marker` and a whole line after it; copies that line. */
static void proc_line_after(struct proc *p, const char *marker, char *line, size_t size)
{
	struct timespec ts;
	int64_t deadline;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + WAIT_MS;
	for (;;) {
		const char *m = strstr(p->out, marker);

		if (m != NULL && strchr(m + strlen(marker), '\n') != NULL) {
			m += strlen(marker);
			assert_true((size_t)(strchr(m, '\n') - m) < size);
			snprintf(line, size, "%.*s", (int)(strchr(m, '\n') - m), m);
			return;
		}
		if (p->out_fd < 0 || proc_read(p, deadline) != 0)
			fail_msg("advicectl did not print \"%s\"; stdout so far:\n%s", marker, p->out);
	}
}

/* Closes its stdin, reads the rest of its output and waits for its exit. */
static void proc_finish(struct proc *p, struct run *r)
{
	struct timespec ts;
	int64_t deadline;
	long n;
	int status;

	if (p->in != NULL)
		fclose(p->in);
	p->in = NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + WAIT_MS;
	while (p->out_fd >= 0)
		if (proc_read(p, deadline) != 0) {
			kill(p->pid, SIGKILL);
			fail_msg("advicectl did not finish; stdout so far:\n%s", p->out);
		}
	while (waitpid(p->pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->out = p->out;
	assert_int_equal(fseek(p->err, 0, SEEK_END), 0);
	n = ftell(p->err);
	rewind(p->err);
	assert_non_null(r->err = malloc((size_t)n + 1));
	assert_int_equal(fread(r->err, 1, (size_t)n, p->err), (size_t)n);
	r->err[n] = '\0';
	fclose(p->err);
}

/* Runs advicectl with `input` (may be NULL: none) on its standard input. */
static void ctl(const char *input, const char *const args[], struct run *r)
{
	struct proc p;

	proc_start(&p, args);
	if (input != NULL) {
		assert_true(fputs(input, p.in) >= 0);
		assert_int_equal(fflush(p.in), 0);
	}
	proc_finish(&p, r);
}

/* The run must have ended with `status`; shows its output when not. */
static void expect_status(const struct run *r, int status)
{
	if (r->status != status)
		fail_msg("advicectl: exit %d, not %d\nstdout:\n%s\nstderr:\n%s", r->status, status, r->out,
			 r->err);
}

/* worker-add USERNAME to Adult social work; its setup code into code. */
static void add_worker(struct harness *h, const char *name, char code[32])
{
	char *out = NULL, marker[96];
	const char *p;

	assert_int_equal(
		harness_ctl(h, (const char *const[]){ "worker-add", name, "--unit", ADULT, NULL }, &out), 0);
	snprintf(marker, sizeof marker, "setup code of %s: ", name);
	assert_non_null(p = strstr(out, marker));
	assert_int_equal(sscanf(p + strlen(marker), "%31s", code), 1);
	free(out);
}

/* RFC 4648 base32 without padding into out; the number of bytes. */
static size_t base32_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in != '\0'; in++) {
		const char *at = strchr(alphabet, *in);

		assert_non_null(at);
		acc = (acc << 5) | (uint32_t)(at - alphabet);
		bits += 5;
		if (bits >= 8) {
			assert_true(n < cap);
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return n;
}

/* The code of base32 `secret` at TOTP step `step`. */
static void code_at(const char *secret, int64_t step, char out[8])
{
	uint8_t key[TOTP_SECRET_MAX];
	size_t len = base32_decode(secret, key, sizeof key);
	long v = totp_hotp(key, len, TOTP_SHA1, (uint64_t)step, TOTP_DIGITS);

	assert_true(v >= 0 && v <= 999999);
	snprintf(out, 8, "%06d", (int)v);
}

static int64_t step_now(void)
{
	return (int64_t)time(NULL) / TOTP_STEP_S;
}

/*
 * The next code of an account's second factor that the server takes: a code is good once,
 * and steps at or before the last one used are refused, so this takes the step after
 * *last_step, or now's when later, within the step of drift the server allows (polling the
 * clock for the next step when both of those are used).
 */
static void next_code(const char *secret, int64_t *last_step, char out[8])
{
	int64_t step;

	while ((step = *last_step + 1 > step_now() ? *last_step + 1 : step_now()) > step_now() + TOTP_WINDOW)
		assert_int_equal(poll(NULL, 0, 200), 0);
	*last_step = step;
	code_at(secret, step, out);
}

/* A code of no step the server would take now. */
static void wrong_code(const char *secret, char out[8])
{
	char near[3][8];

	for (int i = 0; i < 3; i++)
		code_at(secret, step_now() - 1 + i, near[i]);
	for (int v = 0;; v++) {
		snprintf(out, 8, "%06d", (v * 7919 + 123457) % 1000000);
		if (strcmp(out, near[0]) != 0 && strcmp(out, near[1]) != 0 && strcmp(out, near[2]) != 0)
			return;
	}
}

/* The base32 form of the demo accounts' published secret. */
static const char *demo_secret(void)
{
	return STAFF_DEMO_SECRET_B32;
}

/* How many lines of adviced.log hold `text`. */
static int log_count(struct harness *h, const char *text)
{
	char path[300], line[4096];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/adviced.log", h->dir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

/* The file's state: one server for every test, and each demo account's last code. */
struct fixture {
	struct harness h;
	int64_t sara_step, anna_step;
};

/*
 * worker-certify as an administrator uses it: without a fingerprint it shows the pending
 * request's (the one the worker's login printed) and changes nothing; a different one is
 * refused; the same one certifies the keys and seals the worker's unit's seed to them; a
 * second time there is nothing pending.
 */
static void certify(struct harness *h, const char *user, const char *fingerprint)
{
	char admin[300], want[160];
	struct run r;

	snprintf(admin, sizeof admin, "%s/secrets/demo-admin.key", h->dir);
	ctl(NULL, (const char *const[]){ "-d", h->dir, "worker-certify", user, admin, NULL }, &r);
	expect_status(&r, 0);
	snprintf(want, sizeof want, "  fingerprint %s\n", fingerprint);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "Compare it with the fingerprint"));
	run_free(&r);
	ctl(NULL,
	    (const char *const[]){ "-d", h->dir, "worker-certify", user, admin,
				   "0000 1111 2222 3333 4444 5555 6666 7777", NULL },
	    &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "not 0000 1111 2222 3333 4444 5555 6666 7777: nothing certified"));
	run_free(&r);
	ctl(NULL, (const char *const[]){ "-d", h->dir, "worker-certify", user, admin, fingerprint, NULL },
	    &r);
	expect_status(&r, 0);
	snprintf(want, sizeof want, "keys of %s certified; the key of 1 unit sealed to them\n", user);
	assert_string_equal(r.out, want);
	run_free(&r);
	ctl(NULL, (const char *const[]){ "-d", h->dir, "worker-certify", user, admin, fingerprint, NULL },
	    &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "are certified already"));
	run_free(&r);
}

/*
 * The worker's client after the certificate: the bundle the first login made opens with the
 * password to the keys of the printed fingerprint, certified by the demo admin under the
 * pinned demo root, and the unit's seed sealed to them opens. Then a password change: the
 * login that sets the new password, and the client seals the bundle again under it; the old
 * password no longer opens it.
 */
static void keys_after_certify(struct harness *h, const char *user, const char *code, const char *fingerprint)
{
	struct itest_e2e e;
	struct itest_worker w;
	struct advice_conn *k;
	struct advice_cert c;
	char *session = NULL, fp[ADVICE_FINGERPRINT_CHARS + 1];
	uint8_t seed[32], cert[ADVICE_CERT_BYTES];
	struct advice_keys again;
	uint32_t version = 0;
	json_t *mine;
	int rc = 0;

	memset(&e, 0, sizeof e);
	itest_demo_root_pk(h->dir, e.root_pk);
	assert_int_equal(advice_login_worker_with(h->client, h->base_url, h->origin, user, NEW_PASSWORD, code,
						  NULL, NEW_PASSWORD " changed", &session, WAIT_MS),
			 0);
	k = advice_connect(h->client, h->base_url, h->origin, session, WAIT_MS, &rc);
	assert_non_null(k);
	itest_worker_keys(&e, k, NEW_PASSWORD, &w);
	advice_key_fingerprint(fp, w.me.sign_pk, w.me.box_pk);
	assert_string_equal(fp, fingerprint);
	assert_true(w.ngens >= 1); /* the unit's seed opened */
	mine = itest_request(k, "ok", "{\"type\":\"keys.mine\",\"id\":\"mine-2\"}");
	assert_int_equal(json_array_size(json_object_get(mine, "own_certs")), 1);
	itest_unb64_fixed(json_array_get(json_object_get(mine, "own_certs"), 0), cert, sizeof cert);
	assert_int_equal(advice_cert_verify(cert, sizeof cert, w.admin_cert, sizeof w.admin_cert, e.root_pk,
					    (uint64_t)time(NULL) * 1000, &c),
			 0);
	assert_memory_equal(c.sign_pk, w.me.sign_pk, 32);
	json_decref(mine);

	assert_int_equal(advice_worker_bundle_rewrap(k, NEW_PASSWORD, NEW_PASSWORD " changed", WAIT_MS), 0);
	assert_int_equal(advice_worker_bundle_open(k, NEW_PASSWORD " changed", seed, &version, WAIT_MS), 0);
	assert_int_equal(version, 2);
	advice_keys_personal(&again, seed);
	assert_memory_equal(again.sign_pk, w.me.sign_pk, 32);
	assert_int_equal(advice_worker_bundle_open(k, NEW_PASSWORD, seed, NULL, WAIT_MS),
			 -ADVICE_ERR_FORBIDDEN);
	/* The keys are certified: a second key request is refused. */
	assert_int_equal(advice_worker_keys_enrol(k, NEW_PASSWORD, fp, WAIT_MS), -ADVICE_ERR_CONFLICT);
	advice_conn_free(k);
	free(session);
}

/*
 * The first login of a new account: advicectl reads the new password, prints the enrolment
 * URI and secret, reads a code of it and logs in, makes the worker's keys and prints their
 * fingerprint, then says what comes next. The administrator certifies the keys after
 * comparing the fingerprint. The new password logs in afterwards (with the next code, given
 * by --totp); the server's log holds neither the secret nor the setup code. The worker's
 * client opens its keys and the unit's seed; a password change seals the bundle again.
 */
static void test_first_login_then_normal_login(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char setup[32], uri[256], secret[64], code[8], want[96], fingerprint[ADVICE_FINGERPRINT_CHARS + 1];
	const char *at;
	int64_t step = 0;
	struct proc p;
	struct run r;

	add_worker(h, "maija", setup);
	proc_start(&p, (const char *const[]){ "login", h->base_url, "maija", "--setup-code", setup, NULL });
	proc_line(&p, NEW_PASSWORD);
	proc_line_after(&p, "by this URI (as a QR code)\n  ", uri, sizeof uri);
	proc_line_after(&p, "or by typing the secret\n  ", secret, sizeof secret);
	assert_true(strncmp(uri, "otpauth://totp/", 15) == 0);
	snprintf(want, sizeof want, "secret=%s", secret);
	assert_non_null(strstr(uri, want));
	next_code(secret, &step, code);
	proc_line(&p, code);
	proc_finish(&p, &r);
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, "logged in as maija: worker of " ADULT "\nsession ends 20"));
	assert_non_null(strstr(r.out, " Helsinki time; after 30 minutes without activity, sooner\n"));
	assert_non_null(strstr(r.out, "First login of maija done"));
	assert_non_null(at = strstr(r.out, "Their fingerprint:\n  "));
	assert_int_equal(sscanf(at + 21, "%39[0-9a-f ]", fingerprint), 1);
	assert_int_equal(strlen(fingerprint), ADVICE_FINGERPRINT_CHARS);
	assert_non_null(strstr(r.out, "advicectl -d DIR worker-certify maija ADMINFILE"));
	assert_non_null(strstr(r.out, "logged out\n"));
	assert_string_equal(r.err, "");
	run_free(&r);
	assert_false(harness_log_contains(h, secret));
	assert_false(harness_log_contains(h, setup));
	certify(h, "maija", fingerprint);

	/* The setup code is spent; the new password and the next code log in. */
	next_code(secret, &step, code);
	ctl(NEW_PASSWORD "\n", (const char *const[]){ "login", h->base_url, "maija", "--totp", code, NULL },
	    &r);
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, "logged in as maija: worker of " ADULT "\n"));
	assert_null(strstr(r.out, "otpauth://"));
	run_free(&r);
	ctl(NEW_PASSWORD "\n",
	    (const char *const[]){ "login", h->base_url, "maija", "--setup-code", setup, NULL }, &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "bad_credentials: wrong username or setup code"));
	run_free(&r);

	next_code(secret, &step, code);
	keys_after_certify(h, "maija", code, fingerprint);
}

/* A wrong setup code: refused with the server's reason, before any enrolment is printed. */
static void test_wrong_setup_code(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char setup[32];
	struct run r;

	add_worker(h, "ville", setup);
	ctl(NEW_PASSWORD "\n",
	    (const char *const[]){ "login", h->base_url, "ville", "--setup-code", "AAAA-BBBB-CCCC-DDDD",
				   NULL },
	    &r);
	expect_status(&r, 1);
	assert_string_equal(r.err,
			    "advicectl: enrolment of the second factor refused: bad_credentials: wrong "
			    "username or setup code\n");
	assert_null(strstr(r.out, "otpauth://"));
	run_free(&r);

	/* A new password too short is refused before anything is sent. */
	ctl("short\n", (const char *const[]){ "login", h->base_url, "ville", "--setup-code", setup, NULL },
	    &r);
	expect_status(&r, 1);
	assert_string_equal(r.err, "advicectl: a password has at least 8 characters\n");
	run_free(&r);
}

/*
 * A wrong code of the new second factor: the server's reason, and without another code the
 * run fails; the next run gets another secret, and a wrong code then the right one logs in.
 */
static void test_wrong_second_factor_code(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char setup[32], secret[64], code[8];
	int64_t step = 0;
	struct proc p;
	struct run r;

	add_worker(h, "tiina", setup);
	proc_start(&p, (const char *const[]){ "login", h->base_url, "tiina", "--setup-code", setup, NULL });
	proc_line(&p, NEW_PASSWORD);
	proc_line_after(&p, "or by typing the secret\n  ", secret, sizeof secret);
	wrong_code(secret, code);
	proc_line(&p, code);
	proc_finish(&p, &r);
	expect_status(&r, 1);
	assert_string_equal(r.err, "advicectl: login refused: bad_credentials: wrong or already used code: "
				   "wait for the next one\n");
	assert_null(strstr(r.out, "logged in"));
	run_free(&r);

	proc_start(&p, (const char *const[]){ "login", h->base_url, "tiina", "--setup-code", setup, NULL });
	proc_line(&p, NEW_PASSWORD);
	proc_line_after(&p, "or by typing the secret\n  ", secret, sizeof secret);
	wrong_code(secret, code);
	proc_line(&p, code);
	next_code(secret, &step, code);
	proc_line(&p, code);
	proc_finish(&p, &r);
	expect_status(&r, 0);
	assert_non_null(strstr(r.err, "wrong or already used code: wait for the next one"));
	assert_non_null(strstr(r.out, "First login of tiina done"));
	run_free(&r);
}

/* Reads the terminal's output into buf (size bytes, NUL-terminated) until it holds `text`;
 * returns its length. Fails the test when the text does not come. */
static size_t tty_wait(int fd, char *buf, size_t size, size_t len, const char *text)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	while (strstr(buf, text) == NULL) {
		ssize_t got = 0;

		if (len + 1 >= size || poll(&pf, 1, WAIT_MS) <= 0 ||
		    (got = read(fd, buf + len, size - len - 1)) <= 0)
			fail_msg("the terminal did not show \"%s\"; it shows:\n%s", text, buf);
		len += (size_t)got;
		buf[len] = '\0';
	}
	return len;
}

/*
 * On a terminal the new password is asked for twice, after a prompt, and not echoed; two
 * passwords that differ change nothing (the setup code still works afterwards).
 */
static void test_terminal_asks_twice(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char setup[32], screen[4096] = "", *secret = NULL;
	size_t len = 0;
	int fd, status;
	pid_t pid;

	add_worker(h, "aino", setup);
	pid = forkpty(&fd, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(getenv("ADVICECTL"), "advicectl", "login", h->base_url, "aino", "--setup-code", setup,
		      (char *)NULL);
		_exit(127);
	}
	len = tty_wait(fd, screen, sizeof screen, len, "Choose a password: ");
	assert_int_equal(write(fd, "first secret 1\n", 15), 15);
	len = tty_wait(fd, screen, sizeof screen, len, "The same again: ");
	assert_int_equal(write(fd, "other secret 2\n", 15), 15);
	tty_wait(fd, screen, sizeof screen, len, "the two passwords differ; nothing was changed");
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	close(fd);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_null(strstr(screen, "secret 1"));
	assert_null(strstr(screen, "secret 2"));
	assert_null(strstr(screen, "otpauth://"));
	assert_int_equal(advice_worker_enrol(h->client, h->base_url, h->origin, "aino", NULL, setup, &secret,
					     HARNESS_TIMEOUT_MS),
			 0);
	free(secret);
}

/* An account whose second factor was reset enrols a new one at its next login, proven by
 * the password; the new secret's code logs in. */
static void test_enrol_after_totp_reset(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char secret[64], code[8];
	int64_t step = 0;
	struct proc p;
	struct run r;

	assert_int_equal(harness_ctl(h, (const char *const[]){ "totp-reset", "ben", NULL }, NULL), 0);
	proc_start(&p, (const char *const[]){ "login", h->base_url, "ben", NULL });
	proc_line(&p, "ben-demo");
	proc_line_after(&p, "or by typing the secret\n  ", secret, sizeof secret);
	assert_string_not_equal(secret, demo_secret());
	next_code(secret, &step, code);
	proc_line(&p, code);
	proc_finish(&p, &r);
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, "Second factor for ben: add it to an authenticator app"));
	assert_non_null(strstr(r.out, "logged in as ben: worker of Children and families\n"));
	assert_null(strstr(r.out, "First login"));
	assert_string_equal(r.err, "");
	run_free(&r);
}

/* A demo worker's request; the password and (unless by --totp) the code on stdin. */
static void request(struct fixture *f, const char *user, int64_t *step, int code_on_stdin,
		    const char *const args[], struct run *r)
{
	const char *argv[CTL_MAX_ARGS + 1];
	char input[64], code[8];
	size_t n = 0;

	next_code(demo_secret(), step, code);
	argv[n++] = "request";
	argv[n++] = f->h.base_url;
	argv[n++] = user;
	for (size_t i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	if (!code_on_stdin) {
		argv[n++] = "--totp";
		argv[n++] = code;
	}
	argv[n] = NULL;
	snprintf(input, sizeof input, "%s-demo\n%s\n", user, code_on_stdin ? code : "");
	ctl(input, argv, r);
}

/* The user id of `username` among the dashboard's workers, into id. */
static void dashboard_user(json_t *dash, const char *username, char id[40])
{
	json_t *unit, *w;
	size_t i, j;

	json_array_foreach (json_object_get(dash, "units"), i, unit) {
		json_array_foreach (json_object_get(unit, "workers"), j, w) {
			const char *name = itest_str(w, "username");

			if (name != NULL && strcmp(name, username) == 0) {
				snprintf(id, 40, "%s", itest_str(w, "user"));
				return;
			}
		}
	}
	fail_msg("%s is not on the dashboard", username);
}

/*
 * A supervisor from the terminal: dashboard.get (the code read from stdin when the server
 * asks), then thread.reassign of a thread a citizen opened, to herself (the code by --totp);
 * the replies printed as indented JSON. A worker's dashboard.get is refused by the policy:
 * exit 1, the code and reason on stderr, nothing on stdout.
 */
static void test_supervisor_requests(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	struct advice_conn *citizen = itest_citizen(h, "010594Y9032");
	char thread[40], sara[40], fields[256];
	json_t *j, *opened;
	struct run r;

	opened = itest_request(citizen, "ok",
			       "{\"type\":\"thread.open\",\"id\":\"c1\",\"category\":\"adult-social-work\","
			       "\"body\":\"cXVlc3Rpb24\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(opened, "thread"));
	json_decref(opened);
	advice_conn_free(citizen);

	request(f, "sara", &f->sara_step, 1, (const char *const[]){ "dashboard.get", NULL }, &r);
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, "\n  \"units\": [\n    {\n")); /* indented */
	assert_null(strstr(r.out, "\"id\":"));
	assert_non_null(j = json_loads(r.out, 0, NULL));
	dashboard_user(j, "sara", sara);
	json_decref(j);
	run_free(&r);

	snprintf(fields, sizeof fields,
		 "{\"thread\": \"%s\", \"to_user\": \"%s\", \"reason\": \"sick leave\"}", thread, sara);
	request(f, "sara", &f->sara_step, 0, (const char *const[]){ "thread.reassign", fields, NULL }, &r);
	expect_status(&r, 0);
	assert_non_null(j = json_loads(r.out, 0, NULL));
	assert_string_equal(itest_str(j, "type"), "ok");
	assert_string_equal(itest_str(j, "thread"), thread);
	assert_string_equal(itest_str(j, "assignee"), sara);
	assert_string_equal(itest_str(j, "state"), "claimed");
	json_decref(j);
	run_free(&r);

	request(f, "anna", &f->anna_step, 0, (const char *const[]){ "dashboard.get", NULL }, &r);
	expect_status(&r, 1);
	assert_string_equal(r.out, "");
	assert_true(strncmp(r.err, "advicectl: dashboard.get refused: forbidden", 43) == 0);
	run_free(&r);

	/* A request the server cannot read: its field named. */
	request(f, "anna", &f->anna_step, 0, (const char *const[]){ "thread.read", "{\"thread\": 5}", NULL },
		&r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "advicectl: thread.read refused: bad_request"));
	assert_non_null(strstr(r.err, "(field /thread)"));
	run_free(&r);
}

/*
 * A citizen from the terminal: request --citizen with test mode's dev-token on standard
 * input opens a thread and lists it; a refused token, no token and --totp are clear errors.
 */
static void test_citizen_requests(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char *token = harness_citizen_token(h, "010594Y9032"), input[8192], thread[40];
	json_t *j;
	struct run r;

	assert_non_null(token);
	assert_true(strlen(token) + 2 < sizeof input);
	snprintf(input, sizeof input, "%s\n", token);
	ctl(input,
	    (const char *const[]){ "request", h->base_url, "--citizen", "thread.open",
				   "{\"category\": \"adult-social-work\", \"body\": \"cXVlc3Rpb24\"}", NULL },
	    &r);
	expect_status(&r, 0);
	assert_non_null(j = json_loads(r.out, 0, NULL));
	assert_string_equal(itest_str(j, "type"), "ok");
	snprintf(thread, sizeof thread, "%s", itest_str(j, "thread"));
	json_decref(j);
	run_free(&r);

	ctl(input, (const char *const[]){ "request", h->base_url, "--citizen", "thread.list", NULL }, &r);
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, thread));
	run_free(&r);

	/* A token the server refuses: its reason, exit 1. */
	input[strlen(token) - 4] = input[strlen(token) - 4] == 'A' ? 'B' : 'A'; /* in the signature */
	ctl(input, (const char *const[]){ "request", h->base_url, "--citizen", "thread.list", NULL }, &r);
	expect_status(&r, 1);
	if (strstr(r.err, "advicectl: login refused: bad_token") == NULL)
		fail_msg("a refused token: %s", r.err);
	assert_string_equal(r.out, "");
	run_free(&r);

	ctl(NULL, (const char *const[]){ "request", h->base_url, "--citizen", "thread.list", NULL }, &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "give the identity token on standard input"));
	run_free(&r);

	ctl(input,
	    (const char *const[]){ "request", h->base_url, "--citizen", "thread.list", "--totp", "123456",
				   NULL },
	    &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "--totp is for workers"));
	run_free(&r);
	free(token);
}

/* JSON arguments that are not a request's fields: exit 2, the reason, no login attempted. */
static void test_bad_json_argument_sends_nothing(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	static const struct {
		const char *json, *reason;
	} bad[] = {
		{ "{\"unit\": ", "the JSON argument is not valid JSON (line 1, column" },
		{ "[1, 2]", "the JSON argument must be an object" },
		{ "{\"id\": \"x\"}", "the JSON argument holds the request's fields only" },
		{ "{\"type\": \"thread.list\"}", "the JSON argument holds the request's fields only" },
		{ "{\"a\": 1, \"a\": 2}", "the JSON argument is not valid JSON" },
	};
	int logins = log_count(h, "login");

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run r;

		ctl("sara-demo\n000000\n",
		    (const char *const[]){ "request", h->base_url, "sara", "dashboard.get", bad[i].json,
					   NULL },
		    &r);
		expect_status(&r, 2);
		if (strstr(r.err, bad[i].reason) == NULL || strstr(r.err, "; nothing was sent\n") == NULL)
			fail_msg("%s: %s", bad[i].json, r.err);
		assert_string_equal(r.out, "");
		run_free(&r);
	}
	assert_int_equal(log_count(h, "login"), logins);
}

/* Arguments advicectl cannot read, no password, and no server: clear errors. */
static void test_wrong_use(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char url[64];
	struct run r;

	ctl(NULL, (const char *const[]){ "request", h->base_url, "sara", NULL }, &r);
	expect_status(&r, 2);
	assert_non_null(
		strstr(r.err, "usage: advicectl request URL USERNAME|--citizen TYPE [JSON] [--totp CODE]"));
	run_free(&r);
	ctl(NULL, (const char *const[]){ "login", h->base_url, "sara", "--frob", NULL }, &r);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "usage: advicectl login URL USERNAME"));
	run_free(&r);
	ctl(NULL, (const char *const[]){ "request", h->base_url, "sara", "dashboard.get", NULL }, &r);
	expect_status(&r, 1);
	assert_string_equal(r.err, "advicectl: give sara's password on standard input (one line)\n");
	run_free(&r);
	ctl("sara-demo\n", (const char *const[]){ "request", h->base_url, "sara", "dashboard.get", NULL },
	    &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "sara has a second factor: give its code with --totp CODE"));
	run_free(&r);
	ctl("sara-demo\n", (const char *const[]){ "login", "localhost:8080", "sara", NULL }, &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "give the server's URL as http://host:port"));
	run_free(&r);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", harness_free_port());
	ctl("sara-demo\n", (const char *const[]){ "login", url, "sara", NULL }, &r);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "(is adviced running there?)"));
	run_free(&r);
}

/* libadvice: the server's reason after a refusal, cleared by the next call; the enrolment
 * URI; advice_call refuses what is not a request's fields and sends nothing. */
static void test_libadvice_calls(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char setup[32], *session = NULL, *secret = NULL, *uri = NULL, *reply = NULL, code[8];
	struct advice_conn *k;
	int wait = -1;

	assert_string_equal(advice_client_error_message(NULL, &wait), "");
	assert_int_equal(wait, 0);
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "ben", "not ben's", &session,
					     HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_BAD_CREDENTIALS);
	assert_string_equal(advice_client_error_message(h->client, &wait), "wrong username or password");
	assert_int_equal(wait, 0);

	add_worker(h, "olli", setup);
	assert_int_equal(advice_worker_enrol_uri(h->client, h->base_url, h->origin, "olli", NULL, setup,
						 &secret, &uri, HARNESS_TIMEOUT_MS),
			 0);
	assert_string_equal(advice_client_error_message(h->client, NULL), "");
	assert_true(strncmp(uri, "otpauth://totp/", 15) == 0);
	assert_non_null(strstr(uri, secret));
	free(secret);
	free(uri);

	/* After three failures in a row each attempt must wait, and the answer says how long
	 * (an attempt that comes after the wait is counted again, so it is tried until one
	 * comes within it). */
	for (int i = 0, rc = 0; rc != -ADVICE_ERR_LOCKED; i++) {
		assert_true(i < 8);
		rc = advice_login_worker(h->client, h->base_url, h->origin, "olli", "guess guess", &session,
					 HARNESS_TIMEOUT_MS);
		assert_true(rc == -ADVICE_ERR_BAD_CREDENTIALS || rc == -ADVICE_ERR_LOCKED);
	}
	assert_string_equal(advice_client_error_message(h->client, &wait),
			    "too many failed logins; try again later");
	assert_true(wait >= 1);

	next_code(demo_secret(), &f->anna_step, code);
	assert_int_equal(advice_login_worker_totp(h->client, h->base_url, h->origin, "anna", "anna-demo",
						  code, &session, HARNESS_TIMEOUT_MS),
			 0);
	assert_non_null(k = harness_connect(h, session));
	assert_int_equal(advice_call(k, "thread.list", "[]", &reply, HARNESS_TIMEOUT_MS), -ADVICE_ERR_INVAL);
	assert_null(reply);
	assert_int_equal(advice_call(k, "thread.list", "{\"id\":\"x\"}", &reply, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_call(k, "", NULL, &reply, HARNESS_TIMEOUT_MS), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_call(k, NULL, NULL, &reply, HARNESS_TIMEOUT_MS), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_call(NULL, "thread.list", NULL, &reply, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_call(k, "dashboard.get", NULL, &reply, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_FORBIDDEN);
	assert_non_null(strstr(reply, "\"forbidden\""));
	free(reply);
	assert_int_equal(advice_call(k, "thread.list", NULL, &reply, HARNESS_TIMEOUT_MS), 0);
	assert_non_null(strstr(reply, "\"ok\""));
	free(reply);
	advice_conn_free(k);
	assert_int_equal(advice_logout(h->client, h->base_url, h->origin, session, HARNESS_TIMEOUT_MS), 0);
	free(session);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	if (harness_start_with(&f->h, 1, NULL) != 0) {
		harness_stop(&f->h);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = harness_stop(&f->h);

	free(f);
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_login_then_normal_login),
		cmocka_unit_test(test_wrong_setup_code),
		cmocka_unit_test(test_wrong_second_factor_code),
		cmocka_unit_test(test_enrol_after_totp_reset),
		cmocka_unit_test(test_terminal_asks_twice),
		cmocka_unit_test(test_supervisor_requests),
		cmocka_unit_test(test_citizen_requests),
		cmocka_unit_test(test_bad_json_argument_sends_nothing),
		cmocka_unit_test(test_wrong_use),
		cmocka_unit_test(test_libadvice_calls),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
