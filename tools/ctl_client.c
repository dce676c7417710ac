/*
 * ctl_client.c - advicectl login and advicectl request: a worker's client of the server at a
 * URL, for the terminal until the staff app does the same. Everything a client does (the
 * Argon2id key, the HTTP login, enrolment and logout, the WebSocket and its requests, the
 * worker's own keys made at the first login) is libadvice's; here are only the arguments,
 * what is read from the user and what is printed.
 *
 * `request --citizen` logs in as a citizen instead, with an identity token on standard
 * input (test mode's dev-token makes one).
 *
 * Standard input gives, line by line, what the server needs in the order it needs it: the
 * password (a new one twice when it is a terminal, not echoed), then the second factor's
 * code when no --totp was given and the server asks for one. Prompts go to stderr and only
 * to a terminal; stdout has the results (the enrolment URI, the welcome, a reply).
 */
#include "ctl_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "admin_out.h"
#include "advice.h"
#include "advice_crypto.h"
#include "ctl_commands.h"

#define CALL_TIMEOUT_MS	  30000
#define LINE_MAX_BYTES	  256
#define CODE_ATTEMPTS	  3 /* codes asked for while confirming an enrolment */
#define EXIT_REFUSED	  1
#define EXIT_BAD_ARGS	  2
#define ORIGIN_MAX_BYTES  300
#define CITIZEN_TOKEN_MAX 16384 /* an identity token's line (a signed JWT, or a JWE around one) */

/* One worker's login at one server, and what it has read so far. */
struct worker {
	struct advice_client *c;
	const char *url, *user;
	const char *totp;	/* --totp, or NULL: ask when the server wants a code */
	const char *setup_code; /* --setup-code, or NULL */
	const char *ca_file;	/* --ca-file: the CA an https:// server's certificate chains to */
	char origin[ORIGIN_MAX_BYTES];
	char password[LINE_MAX_BYTES];
	char *session; /* after a login (malloc'd) */
};

/* Wrong arguments to `name`: its synopsis on stderr, exit status 2. */
static int usage_of(const char *name)
{
	fprintf(stderr, "advicectl: %s: wrong arguments\nusage: ", name);
	ctl_print_synopsis(stderr, ctl_command_find(name));
	fprintf(stderr, "`advicectl help %s` explains them.\n", name);
	return EXIT_BAD_ARGS;
}

/*
 * Reads one line of standard input into buf, without its line end. On a terminal `prompt`
 * is shown on stderr first and, when `secret`, the line is not echoed. Returns 0, or -1 at
 * the end of input or for a line that does not fit.
 */
static int read_line(const char *prompt, int secret, char *buf, size_t size)
{
	int tty = isatty(STDIN_FILENO);
	struct termios saved, quiet;
	int hidden = 0, rc = 0;
	size_t n;

	if (tty) {
		if (secret && tcgetattr(STDIN_FILENO, &saved) == 0) {
			quiet = saved;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			hidden = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
		fputs(prompt, stderr);
		fflush(stderr);
	}
	if (fgets(buf, (int)size, stdin) == NULL)
		rc = -1;
	if (hidden) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	if (rc != 0)
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n + 1 == size) {
		sodium_memzero(buf, size);
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* The password of an existing account, into w->password. 0, or -1 (said why). */
static int read_password(struct worker *w)
{
	char prompt[128];

	snprintf(prompt, sizeof prompt, "Password of %s: ", w->user);
	if (read_line(prompt, 1, w->password, sizeof w->password) == 0)
		return 0;
	fprintf(stderr, "advicectl: give %s's password on standard input (one line)\n", w->user);
	return -1;
}

/* A new password, into w->password: twice on a terminal, once otherwise; at least
 * ADVICE_PASSWORD_MIN characters. 0, or -1 (said why). */
static int read_new_password(struct worker *w)
{
	char again[LINE_MAX_BYTES];
	int rc = 0;

	if (read_line("Choose a password: ", 1, w->password, sizeof w->password) != 0) {
		fprintf(stderr, "advicectl: give the new password on standard input (one line)\n");
		return -1;
	}
	if (strlen(w->password) < ADVICE_PASSWORD_MIN) {
		fprintf(stderr, "advicectl: a password has at least %d characters\n", ADVICE_PASSWORD_MIN);
		rc = -1;
	} else if (isatty(STDIN_FILENO) && (read_line("The same again: ", 1, again, sizeof again) != 0 ||
					    strcmp(again, w->password) != 0)) {
		fprintf(stderr, "advicectl: the two passwords differ; nothing was changed\n");
		rc = -1;
	}
	sodium_memzero(again, sizeof again);
	return rc;
}

/* A code of the second factor from standard input into buf. 0 or -1 at the end of input. */
static int read_code(char *buf, size_t size)
{
	return read_line("Code your authenticator app shows now: ", 0, buf, size);
}

/* Says on stderr why `what` (a login, ...) failed: refused, with the error code and the
 * server's reason when it gave one; or failed here, with what to check. */
static void report(const struct worker *w, const char *what, int rc)
{
	int wait = 0;
	const char *why = advice_client_error_message(w->c, &wait);

	if (rc == -ADVICE_ERR_IO && strncmp(why, "TLS:", 4) == 0) {
		fprintf(stderr, "advicectl: %s failed at %s: %s\n", what, w->url, why);
		return;
	}
	if (rc == -ADVICE_ERR_IO || rc == -ADVICE_ERR_TIMEOUT)
		fprintf(stderr, "advicectl: %s failed: no answer from %s (is adviced running there?)", what,
			w->url);
	else if (rc == -ADVICE_ERR_INVAL)
		fprintf(stderr, "advicectl: %s failed: check the URL (http://host:port)", what);
	else if (rc == -ADVICE_ERR_NOMEM || rc == -ADVICE_ERR_PROTOCOL)
		fprintf(stderr, "advicectl: %s failed: %s", what,
			rc == -ADVICE_ERR_NOMEM ? "out of memory"
						: "an answer this client does not understand");
	else
		fprintf(stderr, "advicectl: %s refused: %s", what, advice_err_name(rc));
	if (why[0] != '\0')
		fprintf(stderr, ": %s", why);
	if (wait > 0)
		fprintf(stderr, " (retry after %d s)", wait);
	fputc('\n', stderr);
}

/* The origin of the URL (scheme://host[:port]), which a browser would send, into w->origin.
 * 0, or -1 when the URL has no scheme or is too long. */
static int take_origin(struct worker *w)
{
	const char *host = strstr(w->url, "://");
	size_t n;

	if (host == NULL)
		return -1;
	n = (size_t)(host + 3 - w->url) + strcspn(host + 3, "/");
	if (n >= sizeof w->origin)
		return -1;
	memcpy(w->origin, w->url, n);
	w->origin[n] = '\0';
	return 0;
}

static int login_with(struct worker *w, const char *code)
{
	return advice_login_worker_with(w->c, w->url, NULL, w->user, w->password, code, w->setup_code, NULL,
					&w->session, CALL_TIMEOUT_MS);
}

/*
 * Enrols a second factor, proven by the setup code or else by the password: prints the
 * enrolment URI and the secret, then logs in with a code of it (from --totp, or up to
 * CODE_ATTEMPTS codes read from standard input while the server says a code is wrong).
 * 0 logged in, or -1 (said why).
 */
static int enrol_and_confirm(struct worker *w)
{
	char *secret = NULL, *uri = NULL, code[LINE_MAX_BYTES];
	int rc;

	rc = advice_worker_enrol_uri(w->c, w->url, NULL, w->user, w->setup_code ? NULL : w->password,
				     w->setup_code, &secret, &uri, CALL_TIMEOUT_MS);
	if (rc != 0) {
		report(w, "enrolment of the second factor", rc);
		return -1;
	}
	printf("Second factor for %s: add it to an authenticator app, by this URI (as a QR code)\n"
	       "  %s\nor by typing the secret\n  %s\n",
	       w->user, uri, secret);
	fflush(stdout);
	sodium_memzero(secret, strlen(secret));
	sodium_memzero(uri, strlen(uri));
	free(secret);
	free(uri);
	for (int attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
		if (w->totp != NULL) {
			snprintf(code, sizeof code, "%s", w->totp);
		} else if (read_code(code, sizeof code) != 0) {
			if (attempt == 0)
				fprintf(stderr, "advicectl: give the authenticator's code on standard input "
						"to confirm the enrolment\n");
			return -1;
		}
		if ((rc = login_with(w, code)) == 0)
			return 0;
		report(w, "login", rc);
		if (rc != -ADVICE_ERR_BAD_CREDENTIALS || w->totp != NULL)
			return -1;
	}
	return -1;
}

/*
 * The login of an account that has a password: with --totp's code, or without one and then,
 * when the server asks for it, with a code read from standard input. An account without a
 * second factor enrols one when `may_enrol`. 0 logged in, or -1 (said why).
 */
static int password_login(struct worker *w, int may_enrol)
{
	char code[LINE_MAX_BYTES];
	int rc;

	if (read_password(w) != 0)
		return -1;
	rc = login_with(w, w->totp);
	if (rc == -ADVICE_ERR_TOTP_REQUIRED && w->totp == NULL) {
		if (read_code(code, sizeof code) != 0) {
			fprintf(stderr,
				"advicectl: %s has a second factor: give its code with --totp CODE or "
				"on standard input after the password\n",
				w->user);
			return -1;
		}
		rc = login_with(w, code);
	}
	if (rc == -ADVICE_ERR_ENROL_REQUIRED && may_enrol)
		return enrol_and_confirm(w);
	if (rc == -ADVICE_ERR_ENROL_REQUIRED)
		fprintf(stderr,
			"advicectl: %s has no second factor yet: `advicectl login %s %s` enrols one\n",
			w->user, w->url, w->user);
	if (rc != 0)
		report(w, "login", rc);
	return rc == 0 ? 0 : -1;
}

/* The arguments from argv[first] on: --totp CODE, --ca-file FILE, --setup-code CODE (when setup_allowed) and
 * up to `nextra` others, whose indexes go to extra[]. Returns how many others there were, or
 * -1 for an unknown option or one too many. */
static int take_options(struct worker *w, int argc, char **argv, int first, int setup_allowed, int *extra,
			int nextra)
{
	int n = 0;

	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--totp") == 0 && i + 1 < argc)
			w->totp = argv[++i];
		else if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc)
			w->ca_file = argv[++i];
		else if (setup_allowed && strcmp(argv[i], "--setup-code") == 0 && i + 1 < argc)
			w->setup_code = argv[++i];
		else if (strncmp(argv[i], "--", 2) != 0 && n < nextra)
			extra[n++] = i;
		else
			return -1;
	}
	return n;
}

/* Starts the client for w->url. 0, or -1 (said why). */
static int worker_start(struct worker *w)
{
	if (take_origin(w) != 0) {
		fprintf(stderr,
			"advicectl: %s: give the server's URL as http://host:port or https://host:port\n",
			w->url);
		return -1;
	}
	if ((w->c = advice_client_new()) == NULL) {
		fprintf(stderr, "advicectl: cannot start the client (out of memory?)\n");
		return -1;
	}
	if (w->ca_file != NULL && advice_client_set_ca_file(w->c, w->ca_file) != 0) {
		fprintf(stderr, "advicectl: --ca-file: %s\n", advice_client_error_message(w->c, NULL));
		advice_client_free(w->c);
		w->c = NULL;
		return -1;
	}
	return 0;
}

/* Logs out (when logged in), forgets the password and frees the client. */
static void worker_end(struct worker *w, int say)
{
	if (w->session != NULL) {
		int rc = advice_logout(w->c, w->url, NULL, w->session, CALL_TIMEOUT_MS);

		if (rc != 0)
			report(w, "logout", rc);
		else if (say)
			printf("logged out\n");
		sodium_memzero(w->session, strlen(w->session));
		free(w->session);
		w->session = NULL;
	}
	sodium_memzero(w->password, sizeof w->password);
	advice_client_free(w->c);
	w->c = NULL;
}

/* After a first login: what the worker has now and what comes next. */
static void print_next_steps(const struct worker *w, const char *fingerprint)
{
	printf("First login of %s done: password chosen, second factor enrolled, setup code spent.\n"
	       "Your end-to-end keys were made here and sealed under your password; the server keeps\n"
	       "them for an administrator to certify. Their fingerprint:\n"
	       "  %s\n"
	       "Tell it to the administrator in person or by phone, who compares it with\n"
	       "  advicectl -d DIR worker-certify %s ADMINFILE\n"
	       "and certifies your keys only when the two are the same; then you read your units'\n"
	       "threads. Later logins: advicectl login %s %s\n",
	       w->user, fingerprint, w->user, w->url, w->user);
}

/*
 * The welcome for people: who is logged in with which roles in which units, and when the
 * session ends (Helsinki time):
 *   logged in as anna: worker of Adult social work
 *   session ends 2026-12-07 at 16:41 Helsinki time; after 30 minutes without activity, sooner
 */
static void print_welcome(const char *welcome, const char *user)
{
	json_t *w = json_loads(welcome ? welcome : "", 0, NULL), *u;
	json_int_t ends = json_integer_value(json_object_get(w, "session_expires"));
	json_int_t idle = json_integer_value(json_object_get(w, "idle_expires"));
	char when[ADMIN_TIME_TEXT];
	size_t i;

	printf("logged in as %s:", user);
	json_array_foreach (json_object_get(w, "units"), i, u) {
		const char *role = json_string_value(json_object_get(u, "role"));
		const char *name = json_string_value(json_object_get(u, "name"));

		printf("%s %s of %s", i ? "," : "", role ? role : "member", name ? name : "a unit");
	}
	if (json_array_size(json_object_get(w, "units")) == 0)
		printf(" member of no unit yet");
	admin_time_text(ends, when);
	printf("\nsession ends %s", when);
	if (idle > 0 && idle < ends)
		printf("; after %lld minutes without activity, sooner",
		       (long long)((idle - (json_int_t)time(NULL) * 1000 + 30000) / 60000));
	printf("\n");
	json_decref(w);
}

/* The first login's keys (advice_worker_keys_enrol), and what comes next. 0, or -1 (said
 * why). */
static int make_keys(struct worker *w, struct advice_conn *k)
{
	char fingerprint[ADVICE_FINGERPRINT_CHARS + 1];
	int rc = advice_worker_keys_enrol(k, w->password, fingerprint, CALL_TIMEOUT_MS);

	if (rc == -ADVICE_ERR_CONFLICT) { /* a new setup code (worker-reset) of a worker with keys */
		fprintf(stderr,
			"warning: %s's end-to-end keys were certified before and stay as they "
			"are: no new ones were made\n",
			w->user);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr,
			"advicectl: the end-to-end keys were not stored (%s): password and second factor "
			"are set; ask the administrator for a new setup code (worker-reset)\n",
			advice_err_name(rc));
		return -1;
	}
	print_next_steps(w, fingerprint);
	return 0;
}

int ctl_client_login(int argc, char **argv)
{
	struct worker w = { 0 };
	struct advice_conn *k;
	int rc, status = EXIT_REFUSED;

	if (argc < 3 || take_options(&w, argc, argv, 3, 1, NULL, 0) != 0)
		return usage_of("login");
	w.url = argv[1];
	w.user = argv[2];
	if (worker_start(&w) != 0)
		return EXIT_REFUSED;
	if (w.setup_code != NULL)
		rc = read_new_password(&w) == 0 ? enrol_and_confirm(&w) : -1;
	else
		rc = password_login(&w, 1);
	if (rc != 0)
		goto out;
	k = advice_connect(w.c, w.url, w.origin, w.session, CALL_TIMEOUT_MS, &rc);
	if (k == NULL) {
		report(&w, "the WebSocket", rc);
		goto out;
	}
	print_welcome(advice_conn_welcome(k), w.user);
	if (w.setup_code != NULL && make_keys(&w, k) != 0) {
		advice_conn_free(k);
		goto out;
	}
	advice_conn_free(k);
	status = 0;
out:
	worker_end(&w, status == 0);
	return status;
}

/*
 * The JSON argument of request: an object without "type" and "id". 0, or -1 with the
 * reason on stderr.
 */
static int check_fields(const char *text)
{
	json_error_t e;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &e);
	int rc = -1;

	if (o == NULL)
		fprintf(stderr,
			"advicectl: request: the JSON argument is not valid JSON (line %d, column %d: %s)",
			e.line, e.column, e.text);
	else if (!json_is_object(o))
		fprintf(stderr, "advicectl: request: the JSON argument must be an object, {...}");
	else if (json_object_get(o, "type") != NULL || json_object_get(o, "id") != NULL)
		fprintf(stderr, "advicectl: request: the JSON argument holds the request's fields only: "
				"TYPE gives the type, and the id is made here");
	else
		rc = 0;
	if (rc != 0)
		fprintf(stderr, "; nothing was sent\n");
	json_decref(o);
	return rc;
}

/* Prints a reply: an ok one indented on stdout, an error's code, reason and field on stderr. */
static void print_reply(const char *type, int rc, const char *reply)
{
	json_t *r = json_loads(reply, 0, NULL);
	const char *why = json_string_value(json_object_get(r, "message"));
	const char *field = json_string_value(json_object_get(r, "field"));
	char *text;

	if (rc == 0) {
		json_object_del(r, "id");
		text = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : reply);
		free(text);
	} else {
		fprintf(stderr, "advicectl: %s refused: %s%s%s", type, advice_err_name(rc), why ? ": " : "",
			why ? why : "");
		if (field != NULL)
			fprintf(stderr, " (field %s)", field);
		fputc('\n', stderr);
	}
	json_decref(r);
}

/*
 * A citizen's login with an identity token read from standard input (in test mode
 * `advicectl -d DIR dev-token HETU` makes one; else the identity provider's). 0 logged in,
 * or -1 (said why).
 */
static int citizen_login(struct worker *w)
{
	char token[CITIZEN_TOKEN_MAX];
	int rc;

	w->user = "the citizen";
	if (w->totp != NULL) {
		fprintf(stderr, "advicectl: request --citizen: a citizen has no second factor here "
				"(--totp is for workers)\n");
		return -1;
	}
	if (read_line("Identity token: ", 1, token, sizeof token) != 0 || token[0] == '\0') {
		fprintf(stderr, "advicectl: request --citizen: give the identity token on standard input "
				"(in test mode: advicectl -d DIR dev-token HETU | advicectl request ...)\n");
		return -1;
	}
	rc = advice_login_citizen(w->c, w->url, w->origin, token, &w->session, CALL_TIMEOUT_MS);
	sodium_memzero(token, sizeof token);
	if (rc != 0)
		report(w, "login", rc);
	return rc == 0 ? 0 : -1;
}

int ctl_client_request(int argc, char **argv)
{
	struct worker w = { 0 };
	struct advice_conn *k;
	const char *fields = "{}";
	char *reply = NULL;
	int extra[1], nextra, rc, status = EXIT_REFUSED;

	if (argc < 4 || argv[3][0] == '\0' || (nextra = take_options(&w, argc, argv, 4, 0, extra, 1)) < 0)
		return usage_of("request");
	if (nextra == 1)
		fields = argv[extra[0]];
	if (check_fields(fields) != 0)
		return EXIT_BAD_ARGS;
	w.url = argv[1];
	w.user = argv[2];
	if (worker_start(&w) != 0)
		return EXIT_REFUSED;
	if ((strcmp(w.user, "--citizen") == 0 ? citizen_login(&w) : password_login(&w, 0)) != 0)
		goto out;
	k = advice_connect(w.c, w.url, w.origin, w.session, CALL_TIMEOUT_MS, &rc);
	if (k == NULL) {
		report(&w, "the WebSocket", rc);
		goto out;
	}
	rc = advice_call(k, argv[3], fields, &reply, CALL_TIMEOUT_MS);
	if (reply != NULL)
		print_reply(argv[3], rc, reply);
	else
		report(&w, argv[3], rc);
	status = rc == 0 ? 0 : EXIT_REFUSED;
	free(reply);
	advice_conn_free(k);
out:
	worker_end(&w, 0);
	return status;
}
