/*
 * harness.h - runs a real adviced for an integration test: a temporary data folder set up
 * by `advicectl init --demo --test-mode`, the server on a free port, and a libadvice client.
 *
 * Environment: ADVICED and ADVICECTL (the programs), ADVICE_SOURCE_DIR (the source tree,
 * for client-web), ADVICE_KEEP_TEST_DIR (set: keep the folder after the test). The server's
 * stderr goes to <dir>/adviced.log. Demo accounts: anna (worker, adult-social-work), ben
 * (worker, children-and-families), sara (supervisor, adult-social-work), passwords
 * "<name>-demo"; harness_start gives them no second factor (advicectl init --no-totp).
 */
#ifndef ADVICE_HARNESS_H
#define ADVICE_HARNESS_H

#include <sys/types.h>

#include "advice.h"

#define HARNESS_TIMEOUT_MS 10000

struct harness {
	pid_t pid; /* the running adviced, 0 when none */
	int port;
	int bank_port;	   /* where the test bank is to listen (adviced.conf points at it) */
	char dir[256];	   /* the data folder, holds adviced.conf and adviced.log */
	char base_url[64]; /* http://127.0.0.1:<port> */
	char origin[64];   /* an allowlisted origin (the same as base_url) */
	struct advice_client *client;
	int demo_totp; /* the demo accounts have the published second factor */
	int failed;    /* an earlier stop was not clean: harness_stop fails */
	int nofile;    /* adviced's RLIMIT_NOFILE (0: the test's own) */
};

/*
 * Makes the data folder, runs `$ADVICECTL init <dir> --demo --test-mode --port <port>
 * --web-root $ADVICE_SOURCE_DIR/client-web`, adds `require_envelopes = no` to its
 * adviced.conf (the tests send opaque bodies; the demo itself requires envelopes), starts
 * `$ADVICED -c <dir>/adviced.conf` and waits until the port and the admin socket accept
 * (20 s at most). Returns 0, or -1 (reason on stderr).
 */
int harness_start(struct harness *h);
/* The demo exactly as `advicectl init --demo --test-mode` makes it (deploy/dev/run.sh):
 * envelopes required, the demo accounts with the published second factor. 0 or -1. */
int harness_start_demo(struct harness *h);
/* The same, with the demo accounts' published second factor when `demo_totp` (otherwise
 * `--no-totp`: no second factor, none required, as harness_start does), and `conf_extra`
 * (may be NULL) appended to adviced.conf before the server starts. 0 or -1. */
int harness_start_with(struct harness *h, int demo_totp, const char *conf_extra);
/* harness_start_with(h, 0, conf_extra), adviced running with at most `nofile` descriptors
 * (RLIMIT_NOFILE, set before exec; also after a restart). 0 or -1. */
int harness_start_nofile(struct harness *h, const char *conf_extra, int nofile);
/* SIGTERM, wait for the exit (which must be status 0), start again on the same port and
 * folder. 0 or -1. */
int harness_restart(struct harness *h);
/* SIGKILL and reap. 0 or -1. */
int harness_kill9(struct harness *h);
/* Starts the server again after harness_kill9 (or a stop that kept the folder). 0 or -1. */
int harness_start_again(struct harness *h);
/*
 * SIGTERM, wait (SIGKILL after 15 s), free the client, remove the folder unless
 * $ADVICE_KEEP_TEST_DIR is set. Returns 0 only when every stop of this server was clean:
 * exit status 0 after SIGTERM (a sanitizer's report at exit makes it non-zero) and no
 * "Sanitizer" or "runtime error:" line in adviced.log; else -1, the reason on stderr and the
 * folder kept. Teardowns return it, so that cmocka fails the test.
 */
int harness_stop(struct harness *h);
/* Waits up to `ms` for the server to exit by itself (a fail-stop the test provoked); its exit
 * status (0..255), or -1 when it ended by a signal or had to be killed. */
int harness_wait_exit(struct harness *h, int ms);
/* Prints the sanitizer lines of adviced.log to stderr; how many there were. */
int harness_log_sanitizer_lines(struct harness *h);

/* `$ADVICECTL -d <dir> dev-token <hetu>`'s output, trimmed (malloc'd); NULL on failure. */
char *harness_citizen_token(struct harness *h, const char *hetu);
/* Logs a citizen in; 0 with *session_out (malloc'd), or a negative advice_err. */
int harness_login_citizen(struct harness *h, const char *hetu, char **session_out);
/* Logs a demo worker in with password "<name>-demo" (and, with demo_totp, the current code
 * of the demo second factor: a code is good once per account); 0 with *session_out, or a
 * negative advice_err. */
int harness_login_worker(struct harness *h, const char *name, char **session_out);
/* Runs `$ADVICECTL -d <dir> args...` (args ends with NULL; at most 12) with its stderr in
 * <dir>/advicectl.log and its stdout in *out (malloc'd; out may be NULL). 0 when it exited
 * with 0, else -1. */
int harness_ctl(struct harness *h, const char *const args[], char **out);
/* Runs `$ADVICED args...` (args ends with NULL; at most 14) beside the server, with its
 * stdout in *out and its stderr in *err (malloc'd; either may be NULL); its exit status
 * (0..255), or -1 when it could not run or ended by a signal. */
int harness_adviced_run(struct harness *h, const char *const args[], char **out, char **err);
/* The demo second factor's code at Unix time unix_s (6 digits). 0 or -1. */
int harness_demo_code(long long unix_s, char out[8]);
/* Opens a WebSocket with the allowlisted origin; NULL on failure (reason on stderr). */
struct advice_conn *harness_connect(struct harness *h, const char *session);
/* Whether the server's log contains `text`. */
int harness_log_contains(struct harness *h, const char *text);
/* A TCP port on 127.0.0.1 that was free a moment ago; -1 on failure. */
int harness_free_port(void);

#endif
