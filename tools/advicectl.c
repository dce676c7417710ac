/*
 * advicectl - the register keeper's command: initialise a data folder, create units,
 * queues and worker accounts, unlock accounts, verify the access and disclosure logs, give
 * the register duties' reports (log report, breach scope), and (in test mode)
 * issue ID tokens from the development test bank key.
 *
 * A running adviced owns its database: every command on a data folder's store goes to it
 * through its admin socket (server/admin_sock.h) and runs there as a core request, checked,
 * written to the access log with the OS user, and committed before the answer. What needs
 * the admin's machine stays here: reading a password and deriving its key, reading key files,
 * signing. Offline, without adviced: init (it makes the folder, and takes its lock while it
 * writes the demo data), restore (a backup into a new folder, server/backup.h) and
 * root-create (a key file only); dev-token needs only key files.
 * login and request act as a worker's client of a server's URL (tools/ctl_client.c).
 *
 * The commands, their arguments and their help are one table, tools/ctl_commands.c: main()
 * dispatches on it and `advicectl help [COMMAND]` prints it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "admin_accounts.h"
#include "admin_keys.h"
#include "admin_names.h"
#include "admin_queue.h"
#include "admin_staff.h"
#include "backup.h"
#include "advice.h"
#include "config.h"
#include "ctl_client.h"
#include "ctl_commands.h"
#include "datalock.h"
#include "hetu.h"
#include "keys_admin.h"
#include "log.h"
#include "store.h"
#include "token.h"

#define TESTBANK_KID	  "testbank-1"
#define TESTBANK_ISSUER	  "https://testbank.localhost"
#define TESTBANK_AUDIENCE "advice-dev"

/* A data folder: its configuration (where its admin socket is, test mode or not), and
 * whether the answer is printed as JSON (--json). */
struct admin {
	char dir[CONFIG_PATH_MAX];
	struct config cfg;
	int json;
};

/* Prints each warning of an answer on stderr: "warning: TEXT". */
static void print_warnings(const json_t *warnings)
{
	size_t i;
	json_t *w;

	json_array_foreach (warnings, i, w)
		if (json_is_string(w))
			fprintf(stderr, "warning: %s\n", json_string_value(w));
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "advicectl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* No command advicectl can read: the usage text, exit 2. */
static void __attribute__((noreturn)) usage(void)
{
	ctl_print_usage(stderr);
	exit(2);
}

/* Arguments command `name` cannot take: its synopsis, exit 2. */
static void __attribute__((noreturn)) command_usage(const char *name)
{
	const struct ctl_command *c = ctl_command_find(name);

	fprintf(stderr, "advicectl: %s: wrong arguments\nusage: ", name);
	ctl_print_synopsis(stderr, c);
	fprintf(stderr, "`advicectl help %s` explains them.\n", name);
	exit(2);
}

static void random_id(char out[STORE_ID_SIZE])
{
	uint8_t b[ADVICE_ID_HEX / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

/* Writes `len` bytes to a new file with `mode`; refuses to overwrite. */
static void write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		die("%s: %s", path, strerror(errno));
	close(fd);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("%s: cannot read", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Loads DIR's configuration. */
static void admin_open(struct admin *a, const char *dir)
{
	char path[CONFIG_PATH_MAX + 32], err[512];

	snprintf(a->dir, sizeof a->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/adviced.conf", dir);
	config_defaults(&a->cfg);
	if (config_load(&a->cfg, path, err, sizeof err) != 0)
		die("%s", err);
}

/* Reads one line (the password) from stdin, without its newline. */
static void read_password(char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, stdin) == NULL)
		die("give the password on standard input");
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
}

/* A password's login material as adviced stores it: Argon2id here; only the key is sent. */
static void derive_auth(const struct config *cfg, const char *password, struct admin_auth *auth)
{
	memset(auth, 0, sizeof *auth);
	if (strlen(password) < ADVICE_PASSWORD_MIN)
		die("a password has at least %d characters", ADVICE_PASSWORD_MIN);
	randombytes_buf(auth->salt, sizeof auth->salt);
	admin_auth_params(cfg->test_mode, &auth->opslimit, &auth->memlimit);
	if (advice_worker_auth_key(password, auth->salt, auth->opslimit, (size_t)auth->memlimit, auth->key) !=
	    0)
		die("key derivation failed (out of memory?)");
	auth->set = 1;
}

static json_t *auth_json(const struct admin_auth *auth)
{
	char salt[2 * sizeof auth->salt + 1], key[2 * sizeof auth->key + 1];
	json_t *j;

	sodium_bin2hex(salt, sizeof salt, auth->salt, sizeof auth->salt);
	sodium_bin2hex(key, sizeof key, auth->key, sizeof auth->key);
	j = json_pack("{s:s, s:s, s:I, s:I}", "salt", salt, "key", key, "opslimit",
		      (json_int_t)auth->opslimit, "memlimit", (json_int_t)auth->memlimit);
	sodium_memzero(key, sizeof key);
	return j;
}

/* The admin socket */

/* Connects to DIR's adviced, or dies saying what to do. */
static int admin_connect(const struct admin *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(a->cfg.admin_socket) >= sizeof sa.sun_path)
		die("admin_socket %s: the path is too long for a Unix socket", a->cfg.admin_socket);
	memcpy(sa.sun_path, a->cfg.admin_socket, strlen(a->cfg.admin_socket));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	if (errno == ENOENT || errno == ECONNREFUSED)
		die("adviced is not running for %s (nothing answers at %s): start it (see the README, "
		    "\"Running\"); only init and root-create work without it",
		    a->dir, a->cfg.admin_socket);
	die("%s: %s", a->cfg.admin_socket, strerror(errno));
}

/* Sends one request line and reads the reply line. */
static json_t *admin_exchange(int fd, json_t *req)
{
	char *line = json_dumps(req, JSON_COMPACT), *buf = NULL;
	size_t len, cap = 0, n = 0;
	json_t *rep;

	if (line == NULL)
		die("out of memory");
	len = strlen(line);
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len || send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		die("adviced hung up: %s", strerror(errno));
	sodium_memzero(line, len); /* it may hold an authentication key */
	free(line);
	for (;;) {
		ssize_t got;

		if (n + 4096 > cap && (buf = realloc(buf, cap = cap * 2 + 8192)) == NULL)
			die("out of memory");
		got = recv(fd, buf + n, cap - n - 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			die("adviced hung up before answering: see its log");
		n += (size_t)got;
		if (memchr(buf, '\n', n) != NULL)
			break;
	}
	buf[n] = '\0';
	rep = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	free(buf);
	if (rep == NULL)
		die("adviced answered something that is not JSON");
	return rep;
}

/*
 * Runs argv on DIR's adviced with the extras (auth, records: consumed, may be NULL); prints
 * `before` (may be NULL) and the command's output when it was done (with --json: its data,
 * {} when it has none), its warnings on stderr, and returns the exit status it asks for. A
 * refusal dies with adviced's reason.
 */
static int admin_command_in(const struct admin *a, int argc, char **argv, json_t *auth, json_t *records,
			    json_t *input, const char *before)
{
	json_t *args = json_array(), *req, *rep;
	const char *type, *output, *why;
	int fd = admin_connect(a), status;

	for (int i = 1; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	req = json_pack("{s:i, s:s, s:o, s:o?, s:o?, s:o?}", "id", 1, "command", argv[0], "args", args,
			"auth", auth, "records", records, "stdin", input);
	if (req == NULL)
		die("out of memory");
	rep = admin_exchange(fd, req);
	json_decref(req);
	close(fd);
	type = json_string_value(json_object_get(rep, "type"));
	why = json_string_value(json_object_get(rep, "message"));
	if (type == NULL || strcmp(type, "ok") != 0)
		die("%s: %s", argv[0], why ? why : "refused");
	output = json_string_value(json_object_get(rep, "output"));
	if (a->json) {
		json_t *data = json_object_get(rep, "data");

		if (json_dumpf(data != NULL ? data : json_object(), stdout,
			       JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
			die("cannot print the answer");
		fputc('\n', stdout);
	} else {
		if (before != NULL)
			fputs(before, stdout);
		if (output != NULL)
			fputs(output, stdout);
	}
	print_warnings(json_object_get(rep, "warnings"));
	status = (int)json_integer_value(json_object_get(rep, "exit"));
	json_decref(rep);
	return status;
}

static int admin_command(const struct admin *a, int argc, char **argv, json_t *auth, json_t *records,
			 const char *before)
{
	return admin_command_in(a, argc, argv, auth, records, NULL, before);
}

/* A command that takes one line of standard input (citizen-find's identity code): sent as the
 * request's "stdin", apart from the arguments, which the access log records. */
static int stdin_command(const struct admin *a, int argc, char **argv)
{
	char line[256];
	json_t *input;
	int rc;

	if (fgets(line, (int)sizeof line, stdin) == NULL)
		die("%s: give the input on standard input", argv[0]);
	line[strcspn(line, "\r\n")] = '\0';
	input = json_string(line);
	sodium_memzero(line, sizeof line);
	if (input == NULL)
		die("standard input: one line of UTF-8 text");
	rc = admin_command_in(a, argc, argv, NULL, NULL, input, NULL);
	return rc;
}

/* A key command: read the store beside adviced, sign here, send the records. */
static int key_command(const struct admin *a, int argc, char **argv)
{
	char err[256], *text = NULL;
	size_t len = 0;
	json_t *records = NULL;
	FILE *out;
	struct store *st;
	int rc;

	close(admin_connect(a)); /* adviced must run: it writes the records */
	if ((out = open_memstream(&text, &len)) == NULL)
		die("out of memory");
	if ((st = store_sqlite_open(a->cfg.database, STORE_READONLY)) == NULL)
		die("cannot read the store %s", a->cfg.database);
	rc = keys_admin_run(st, argc, argv, out, stderr, &records, err, sizeof err);
	st->ops->close(st);
	fclose(out);
	if (rc < 0)
		die("%s: %s", argv[0], err);
	if (rc > 0)
		command_usage(argv[0]);
	if (json_array_size(records) == 0) { /* it only showed something (worker-certify) */
		fputs(text, stdout);
		json_decref(records);
		free(text);
		return 0;
	}
	rc = admin_command(a, argc, argv, NULL, records, text);
	free(text);
	return rc;
}

/* Makes `path` (mode 700) or checks that it is an empty folder; its absolute path into abs. */
static void backup_target(const char *path, char abs[PATH_MAX])
{
	struct dirent *de;
	DIR *d;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		die("%s: %s", path, strerror(errno));
	if (realpath(path, abs) == NULL || (d = opendir(abs)) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(d);
			die("%s is not empty: a backup goes into an empty folder", path);
		}
	}
	closedir(d);
}

/* backup BACKUP: adviced writes the backup into the folder, so it is made here and, run as
 * root, given to the user adviced runs as (the admin socket's owner); adviced gets its
 * absolute path. */
static int backup_command(const struct admin *a, int argc, char **argv)
{
	char abs[PATH_MAX], *words[2];
	struct stat sock;

	if (argc != 2)
		command_usage(argv[0]);
	close(admin_connect(a)); /* adviced must run: it makes the backup */
	backup_target(argv[1], abs);
	if (geteuid() == 0 &&
	    (stat(a->cfg.admin_socket, &sock) != 0 || chown(abs, sock.st_uid, sock.st_gid) != 0))
		die("%s: cannot give it to adviced's user: %s", abs, strerror(errno));
	words[0] = argv[0];
	words[1] = abs;
	return admin_command(a, 2, words, NULL, NULL, NULL);
}

/* restore BACKUP DATADIR, offline. */
static int restore_command(int argc, char **argv)
{
	char err[1024];

	if (argc != 3)
		command_usage(argv[0]);
	if (backup_restore(argv[1], argv[2], stdout, err, sizeof err) != 0)
		die("restore: %s", err);
	return 0;
}

/* worker-add: a password given on stdin is turned into its key here. */
static int worker_add_command(const struct admin *a, int argc, char **argv)
{
	struct admin_auth auth;
	json_t *aj = NULL;
	char pw[256];
	int rc;

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--password-stdin") == 0) {
			read_password(pw, sizeof pw);
			derive_auth(&a->cfg, pw, &auth);
			sodium_memzero(pw, sizeof pw);
			aj = auth_json(&auth);
			sodium_memzero(&auth, sizeof auth);
			if (aj == NULL)
				die("out of memory");
		}
	rc = admin_command(a, argc, argv, aj, NULL, NULL);
	return rc;
}

/* init */

struct init_opts {
	int demo, test_mode, port, bank_port;
	int no_totp; /* demo accounts without a second factor, and staff_totp_required = no */
	const char *listen, *web_root;
	char pepper_file[CONFIG_PATH_MAX]; /* --pepper-file, absolute; "" = DIR/secrets/pepper */
	/* --credentials: the folder of the systemd credentials (pepper, oidc-sig.pem,
	 * oidc-enc.pem); "" = the secrets go in DIR/secrets and adviced.conf names them. */
	char credentials[CONFIG_PATH_MAX];
};

/* The test bank's signing key: RSA 2048, private PEM to key.pem, public list to keys.json. */
static void make_testbank_key(const char *dir)
{
	char path[CONFIG_PATH_MAX + 32];
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	char *pem;
	long n;
	json_t *keys;

	if (k == NULL || priv == NULL || pub == NULL ||
	    !PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) || !PEM_write_bio_PUBKEY(pub, k))
		die("cannot make the test bank key");
	snprintf(path, sizeof path, "%s/testbank", dir);
	if (mkdir(path, 0700) != 0)
		die("%s: %s", path, strerror(errno));
	n = BIO_get_mem_data(priv, &pem);
	snprintf(path, sizeof path, "%s/testbank/key.pem", dir);
	write_new_file(path, pem, (size_t)n, 0600);
	n = BIO_get_mem_data(pub, &pem);
	keys = json_pack("[{s:s, s:s, s:s%}]", "kid", TESTBANK_KID, "alg", "RS256", "pem", pem, (size_t)n);
	pem = json_dumps(keys, JSON_INDENT(2));
	snprintf(path, sizeof path, "%s/testbank/keys.json", dir);
	write_new_file(path, pem, strlen(pem), 0644);
	free(pem);
	json_decref(keys);
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(k);
}

/* Our bank-ID relying-party key `name` (RSA 2048, private PEM, mode 600) in DIR/secrets, or in
 * the credentials folder with --credentials. */
static void make_oidc_key(const struct init_opts *o, const char *dir, const char *name)
{
	char path[CONFIG_PATH_MAX + 32];
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	if (k == NULL || b == NULL || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		die("cannot make the %s key", name);
	n = BIO_get_mem_data(b, &pem);
	if (o->credentials[0] != '\0')
		snprintf(path, sizeof path, "%s/%s.pem", o->credentials, name);
	else
		snprintf(path, sizeof path, "%s/secrets/%s.pem", dir, name);
	write_new_file(path, pem, (size_t)n, 0600);
	BIO_free(b);
	EVP_PKEY_free(k);
}

/* Where adviced.conf says our bank-ID keys are: nowhere with --credentials (adviced takes the
 * credentials oidc-sig.pem and oidc-enc.pem), else DIR/secrets. */
static const char *oidc_key_lines(const struct init_opts *o)
{
	if (o->credentials[0] != '\0')
		return "# our bank-ID keys: the systemd credentials oidc-sig.pem and oidc-enc.pem\n";
	return "oidc_sig_key = secrets/oidc-sig.pem\n"
	       "oidc_enc_key = secrets/oidc-enc.pem\n";
}

/* The bank-ID login settings: the test bank on localhost, or commented placeholders. */
static int oidc_config_text(char *out, size_t size, const struct init_opts *o)
{
	if (!o->test_mode)
		return snprintf(out, size,
				"# bank-ID login (see the README): set these for your broker\n"
				"# oidc_profile = ftn\n"
				"# oidc_authorize_url = https://your-broker.example/authorize\n"
				"# oidc_token_url = https://your-broker.example/token\n"
				"# oidc_jwks_url = https://your-broker.example/jwks\n"
				"# oidc_redirect_uri = https://your-host.example/api/v1/auth/bank/callback\n"
				"%s",
				oidc_key_lines(o));
	return snprintf(out, size,
			"# bank-ID login at the development test bank (deploy/testbank)\n"
			"oidc_profile = ftn\n"
			"oidc_authorize_url = http://localhost:%d/authorize\n"
			"oidc_token_url = http://127.0.0.1:%d/token\n"
			"oidc_jwks_url = http://127.0.0.1:%d/jwks\n"
			"oidc_redirect_uri = http://localhost:%d/api/v1/auth/bank/callback\n"
			"%s"
			"oidc_jwks_refetch_s = 1\n",
			o->bank_port, o->bank_port, o->bank_port, o->port, oidc_key_lines(o));
}

/* The demo's front page and privacy notice (GET /api/v1/service): values that are plainly a
 * demo's, so that every part of the pages shows. The test-mode demo lets one address load the
 * front page's data more often (the browser tests reload it for every view). */
static int demo_front_page_text(char *out, size_t size, const struct init_opts *o)
{
	return snprintf(out, size,
			"# the demo's front page and privacy notice: demo values, replace them all\n"
			"exit_url = https://www.ilmatieteenlaitos.fi/\n"
			"social_emergency_number = 0800 000 000\n"
			"controller_name = Demokunta (demo): sosiaali- ja terveyslautakunta\n"
			"privacy_contact = tietosuoja@demokunta.invalid, PL 1, 00099 Demokunta (demo)\n"
			"accessibility_contact = saavutettavuus@demokunta.invalid (demo)\n"
			"%s",
			o->test_mode ? "service_rate_per_minute = 600\nservice_rate_burst = 120\n" : "");
}

static void write_config(const char *dir, const struct init_opts *o)
{
	char path[CONFIG_PATH_MAX + 32], text[4096];
	int n, m;

	n = snprintf(text, sizeof text,
		     "# adviced configuration (adviced --help-config lists every setting)\n"
		     "listen = %s\n"
		     "port = %d\n"
		     "web_root = %s\n"
		     "origins = http://127.0.0.1:%d, http://localhost:%d\n"
		     "data_dir = .\n"
		     "test_mode = %s\n"
		     "%s"
		     "%sidp_issuer = %s\n"
		     "%sidp_audience = %s\n"
		     "%sidp_keys_file = %s\n",
		     o->listen, o->port, o->web_root, o->port, o->port, o->test_mode ? "yes" : "no",
		     o->test_mode && !o->demo ? "# test mode without the demo's keys: opaque bodies, not "
						"envelopes\n"
						"require_envelopes = no\n"
					      : "",
		     o->test_mode ? "" : "# ", o->test_mode ? TESTBANK_ISSUER : "https://your-broker.example",
		     o->test_mode ? "" : "# ", o->test_mode ? TESTBANK_AUDIENCE : "your-client-id",
		     o->test_mode ? "" : "# ", o->test_mode ? "testbank/keys.json" : "idp-keys.json");
	if (n < 0 || (size_t)n >= sizeof text)
		die("configuration too long");
	m = oidc_config_text(text + n, sizeof text - (size_t)n, o);
	if (m < 0 || (size_t)m >= sizeof text - (size_t)n)
		die("configuration too long");
	n += m;
	m = o->demo ? demo_front_page_text(text + n, sizeof text - (size_t)n, o) : 0;
	if (m < 0 || (size_t)m >= sizeof text - (size_t)n)
		die("configuration too long");
	n += m;
	if (o->credentials[0] != '\0') {
		m = snprintf(text + n, sizeof text - (size_t)n,
			     "# the pepper: the systemd credential pepper (made in %s)\n", o->credentials);
		if (m < 0 || (size_t)m >= sizeof text - (size_t)n)
			die("configuration too long");
		n += m;
	} else if (o->pepper_file[0] != '\0') {
		m = snprintf(text + n, sizeof text - (size_t)n,
			     "# the pepper keys the identity-code hashes: never in the data folder\n"
			     "pepper_file = %s\n",
			     o->pepper_file);
		if (m < 0 || (size_t)m >= sizeof text - (size_t)n)
			die("configuration too long");
		n += m;
	}
	if (o->no_totp) {
		m = snprintf(text + n, sizeof text - (size_t)n, "staff_totp_required = no\n");
		if (m < 0 || (size_t)m >= sizeof text - (size_t)n)
			die("configuration too long");
		n += m;
	}
	snprintf(path, sizeof path, "%s/adviced.conf", dir);
	write_new_file(path, text, (size_t)n, 0640);
}

/* Runs one command of admin_accounts.h on `st` (offline, inside the caller's transaction),
 * its output discarded; dies when it fails. */
static void seed_run(struct store *st, const uint8_t pepper[32], const struct admin_auth *auth,
		     const char *const argv[])
{
	struct admin_out out;
	char err[256];
	int argc = 0, status;

	while (argv[argc] != NULL)
		argc++;
	if (admin_out_null(&out) != 0)
		die("demo data: %s", strerror(errno));
	if (admin_accounts_run(st, pepper, 1, argc, (char **)argv, auth, &out, &status, err, sizeof err) != 0)
		die("demo data: %s %s: %s", argv[0], argv[1], err);
	admin_out_close(&out);
}

/* The demo units, queues, accounts and duty queues. */
static void seed_demo(const struct admin *a, struct store *st, const uint8_t pepper[32], int demo_totp)
{
	static const struct {
		const char *unit, *category;
	} units[] = {
		{ "Adult social work", "adult-social-work" },
		{ "Children and families", "children-and-families" },
		{ "Disability services", "disability-services" },
	};
	static const struct {
		const char *name, *unit;
		int supervisor;
	} people[] = {
		{ "anna", "Adult social work", 0 },
		{ "ben", "Children and families", 0 },
		{ "sara", "Adult social work", 1 },
	};
	struct admin_auth auth;
	char pw[80], err[256];

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		seed_run(st, pepper, NULL, (const char *const[]){ "unit-add", units[i].unit, NULL });
		seed_run(st, pepper, NULL,
			 (const char *const[]){ "queue-add", units[i].unit, units[i].category, units[i].unit,
						NULL });
	}
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		snprintf(pw, sizeof pw, "%s-demo", people[i].name);
		derive_auth(&a->cfg, pw, &auth);
		auth.demo_totp = demo_totp;
		seed_run(st, pepper, &auth,
			 (const char *const[]){ "worker-add", people[i].name, "--unit", people[i].unit,
						people[i].supervisor ? "--supervisor" : "--password-stdin",
						people[i].supervisor ? "--password-stdin" : NULL, NULL });
		sodium_memzero(&auth, sizeof auth);
		printf("demo account: %-5s password %-10s %s of %s\n", people[i].name, pw,
		       people[i].supervisor ? "supervisor" : "worker", people[i].unit);
	}
	if (demo_totp)
		printf("demo second factor (test mode only): the demo accounts share the published TOTP "
		       "secret %s;\n  a code now: advicectl -d DIR demo-totp anna, or oathtool --totp -b "
		       "%s\n",
		       STAFF_DEMO_SECRET_B32, STAFF_DEMO_SECRET_B32);
	if (admin_queue_seed_demo(st, err, sizeof err) != 0)
		die("demo duty queues: %s", err);
	printf("demo roster: anna and sara (adult social work), ben (children and families) on duty "
	       "Mon-Fri 08-16; sara supervises adult social work\n");
	if (admin_names_seed_demo(st, err, sizeof err) != 0)
		die("demo names: %s", err);
	printf("demo names: Anna Virtanen, Ben Lindqvist, Sara Korhonen with their titles; citizens of "
	       "adult social work see full names, the others first names\n");
}

/* Writes a key command's records into the store (init is offline: as adviced would). */
static void demo_apply(struct store *st, json_t *records, const char *what)
{
	char err[256];

	if (admin_keys_apply(st, records, err, sizeof err) != 0)
		die("demo keys: %s: %s", what, err);
	json_decref(records);
}

/* Runs key command argv (keys_admin.h) on the store and writes its records; its text is
 * dropped. */
static void demo_key_command(struct store *st, const char *const argv[])
{
	char err[256], *text = NULL;
	size_t len = 0;
	json_t *records = NULL;
	FILE *out = open_memstream(&text, &len);
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	if (out == NULL)
		die("out of memory");
	if (keys_admin_run(st, argc, (char **)argv, out, stderr, &records, err, sizeof err) != 0)
		die("demo keys: %s: %s", argv[0], err);
	fclose(out);
	free(text);
	demo_apply(st, records, argv[0]);
}

/*
 * The demo's whole key hierarchy, as a municipality makes it (only the workers' keys are made
 * here, from the published demo passwords, where a real worker's first login makes them):
 * a demo root key (DIR/secrets/demo-root.key; its public key in DIR/root.pub, which a demo
 * build of the browser app pins, and installed), an admin certified by it
 * (DIR/secrets/demo-admin.key), anna's, ben's and sara's keys certified by the admin, each
 * unit's first key generation sealed to its members, and the unit logs valid for 90 days.
 */
static void seed_demo_keys(const struct admin *a, struct store *st)
{
	static const char *const units[] = { "Adult social work", "Children and families",
					     "Disability services" };
	static const char *const workers[] = { "anna", "ben", "sara" };
	char root[CONFIG_PATH_MAX + 32], adm[CONFIG_PATH_MAX + 32], pub[CONFIG_PATH_MAX + 32];
	char err[256], pw[32], *pk = NULL;
	size_t len = 0;
	json_t *records;
	FILE *out;

	snprintf(root, sizeof root, "%s/secrets/demo-root.key", a->dir);
	snprintf(adm, sizeof adm, "%s/secrets/demo-admin.key", a->dir);
	snprintf(pub, sizeof pub, "%s/root.pub", a->dir);
	if ((out = open_memstream(&pk, &len)) == NULL)
		die("out of memory");
	if (keys_admin_root_create(root, out, err, sizeof err) != 0)
		die("demo keys: %s", err);
	fclose(out);
	write_new_file(pub, pk, len, 0644);
	pk[strcspn(pk, "\n")] = '\0';
	demo_key_command(st, (const char *const[]){ "root-install", pk, NULL });
	demo_key_command(st, (const char *const[]){ "admin-certify", root, adm, NULL });
	for (size_t i = 0; i < sizeof workers / sizeof workers[0]; i++) {
		char *text = NULL;
		size_t tlen = 0;

		snprintf(pw, sizeof pw, "%s-demo", workers[i]);
		if ((out = open_memstream(&text, &tlen)) == NULL)
			die("out of memory");
		if (keys_admin_demo_worker(st, workers[i], pw, adm, out, &records, err, sizeof err) != 0)
			die("demo keys: %s: %s", workers[i], err);
		fclose(out);
		free(text);
		demo_apply(st, records, workers[i]);
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		demo_key_command(st, (const char *const[]){ "unit-key-rotate", units[i], adm, NULL });
		demo_key_command(st, (const char *const[]){ "unit-log-renew", units[i], adm, "90", NULL });
	}
	printf("demo keys (test mode only, not secret): root key %s, its public key in %s (pinned "
	       "by the demo build)\n  and installed; admin key %s; anna, ben and sara have keys "
	       "under their demo passwords,\n  certified; each unit has its first key generation; "
	       "require_envelopes is on\n",
	       root, pub, adm);
	free(pk);
}

/*
 * init's store: created and migrated, with the demo data when asked. The one place advicectl
 * writes a store itself: init is offline, for a folder it has just made, before any adviced
 * serves it, and it holds the folder's lock meanwhile.
 */
static void init_store(const struct admin *a, int demo, int demo_totp)
{
	char err[512];
	uint8_t pepper[32];
	struct store *st;
	FILE *f;
	int lock = datalock_take(a->dir, DATALOCK_EXCLUSIVE, err, sizeof err);

	if (lock < 0)
		die("%s", err);
	if ((st = store_sqlite_open_shred(a->cfg.database, a->cfg.shred_database, STORE_READWRITE)) == NULL)
		die("cannot open the store %s", a->cfg.database);
	if (demo) {
		if ((f = fopen(a->cfg.pepper_file, "rb")) == NULL || fread(pepper, 1, 32, f) != 32)
			die("%s: cannot read the pepper", a->cfg.pepper_file);
		fclose(f);
		if (st->ops->tx->begin(st) != STORE_OK)
			die("cannot start a transaction");
		seed_demo(a, st, pepper, demo_totp);
		seed_demo_keys(a, st);
		if (st->ops->tx->commit(st) != STORE_OK)
			die("commit failed; nothing was changed");
		sodium_memzero(pepper, sizeof pepper);
	}
	st->ops->close(st);
	close(lock);
}

/* What to do after init: start adviced, then the first commands. */
static void print_next_steps(const char *dir, const struct init_opts *o)
{
	if (o->credentials[0] != '\0')
		printf("\nNext steps:\n"
		       "  1. check it as the service will read it, then start the service:\n"
		       "     CREDENTIALS_DIRECTORY=%s adviced -c %s/adviced.conf --check-config\n"
		       "     systemctl enable --now adviced   (the README's \"Running it for real\")\n",
		       o->credentials, dir);
	else
		printf("\nNext steps:\n"
		       "  1. start the server: adviced -c %s/adviced.conf   (the README's \"Running it for "
		       "real\")\n",
		       dir);
	if (o->test_mode)
		printf("     then open http://localhost:%d/\n", o->port);
	if (o->demo) {
		printf("  2. look around:        advicectl -d %s unit-list; advicectl -d %s worker-list\n"
		       "     (the demo accounts are above)\n",
		       dir, dir);
	} else {
		printf("  2. a unit and its queue:\n"
		       "     advicectl -d %s unit-add \"Adult social work\"\n"
		       "     advicectl -d %s queue-add \"Adult social work\" adult-social-work \"Adult "
		       "social work\"\n"
		       "  3. a worker (prints a one-time setup code for the first login) and a shift:\n"
		       "     advicectl -d %s worker-add anna --unit \"Adult social work\"\n"
		       "     advicectl -d %s roster-add anna \"Adult social work\" mon-fri 08:00 16:00\n"
		       "  4. the worker's first login (a password and the second factor, with the code):\n"
		       "     advicectl login http://localhost:%d anna --setup-code CODE\n",
		       dir, dir, dir, dir, o->port);
	}
	printf("`advicectl help` lists every command; `advicectl help COMMAND` explains one.\n");
}

/* --pepper-file's FILE made absolute (its folder must exist), refused inside DIR outside
 * test mode, into o->pepper_file. */
static void init_pepper_path(struct init_opts *o, const char *dir, const char *file)
{
	char folder[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(file, '/'), *name = slash ? slash + 1 : file;

	if (!o->test_mode && config_path_inside(file, dir))
		die("--pepper-file %s is inside %s: the pepper must stay out of the data folder (a copy "
		    "of the folder with it undoes the identity-code hashes)",
		    file, dir);
	snprintf(folder, sizeof folder, "%.*s",
		 slash == NULL	 ? 1
		 : slash == file ? 1
				 : (int)(slash - file),
		 slash == NULL ? "." : file);
	if (*name == '\0' || realpath(folder, real) == NULL)
		die("--pepper-file %s: %s", file, *name ? strerror(errno) : "a file name is needed");
	if (snprintf(o->pepper_file, sizeof o->pepper_file, "%s/%s", strcmp(real, "/") ? real : "", name) >=
	    (int)sizeof o->pepper_file)
		die("--pepper-file: path too long");
	if (!o->test_mode && config_path_inside(o->pepper_file, dir))
		die("--pepper-file %s is inside %s: the pepper must stay out of the data folder (a copy "
		    "of the folder with it undoes the identity-code hashes)",
		    o->pepper_file, dir);
}

/* The new pepper where it goes; outside test mode a warning when that is in the data folder. */
static void init_pepper(const struct init_opts *o, const char *dir)
{
	char path[CONFIG_PATH_MAX + 32];
	uint8_t pepper[32];

	randombytes_buf(pepper, sizeof pepper);
	if (o->credentials[0] != '\0')
		snprintf(path, sizeof path, "%s/pepper", o->credentials);
	else if (o->pepper_file[0] != '\0')
		snprintf(path, sizeof path, "%s", o->pepper_file);
	else
		snprintf(path, sizeof path, "%s/secrets/pepper", dir);
	write_new_file(path, pepper, sizeof pepper, 0600);
	sodium_memzero(pepper, sizeof pepper);
	if (o->pepper_file[0] == '\0' && o->credentials[0] == '\0' && !o->test_mode)
		fprintf(stderr,
			"warning: the pepper is in %s, inside the data folder, and adviced refuses to start "
			"so "
			"outside test mode: move it to a folder of its own (or a systemd credential) and set "
			"pepper_file (the README's \"Running it for real\"), or run init again with "
			"--pepper-file FILE\n",
			path);
}

/* --credentials CREDDIR: made (mode 700) when missing, absolute, outside DIR; the files in it
 * must be new (write_new_file refuses to overwrite). */
static void init_credentials_path(struct init_opts *o, const char *dir, const char *creddir)
{
	char real[PATH_MAX];

	if (mkdir(creddir, 0700) != 0 && errno != EEXIST)
		die("--credentials %s: %s", creddir, strerror(errno));
	if (realpath(creddir, real) == NULL || strlen(real) >= sizeof o->credentials)
		die("--credentials %s: %s", creddir, errno ? strerror(errno) : "path too long");
	if (config_path_inside(real, dir))
		die("--credentials %s is inside %s: the secrets must stay out of the data folder", creddir,
		    dir);
	memcpy(o->credentials, real, strlen(real) + 1); /* fits: checked above */
}

/* Whether `dir` is a folder with nothing in it. */
static int folder_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return 0;
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Makes DIR (mode 700), or takes an empty DIR nobody holds (the package's /var/lib/adviced). */
static void init_make_folder(const char *dir)
{
	char err[512];
	int e;

	if (mkdir(dir, 0700) == 0)
		return;
	e = errno;
	if (e == EEXIST && datalock_take(dir, DATALOCK_SHARED, err, sizeof err) == DATALOCK_BUSY)
		die("%s: adviced runs there; init is an offline command, for a new folder", dir);
	if (e == EEXIST && folder_is_empty(dir)) {
		if (chmod(dir, 0700) != 0)
			die("%s: %s", dir, strerror(errno));
		return;
	}
	die("%s: %s", dir,
	    e == EEXIST ? "exists and is not empty (init makes a new data folder)" : strerror(e));
}

static void cmd_init(int argc, char **argv)
{
	struct init_opts o = { .port = 8080, .listen = "127.0.0.1", .web_root = "client-web" };
	char path[CONFIG_PATH_MAX + 32], web[PATH_MAX];
	const char *dir, *pepper_file = NULL, *creddir = NULL;
	struct admin a;

	if (argc < 2)
		command_usage("init");
	dir = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--demo") == 0)
			o.demo = 1;
		else if (strcmp(argv[i], "--test-mode") == 0)
			o.test_mode = 1;
		else if (strcmp(argv[i], "--no-totp") == 0)
			o.no_totp = 1;
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			o.port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--bank-port") == 0 && i + 1 < argc)
			o.bank_port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			o.listen = argv[++i];
		else if (strcmp(argv[i], "--web-root") == 0 && i + 1 < argc)
			o.web_root = argv[++i];
		else if (strcmp(argv[i], "--pepper-file") == 0 && i + 1 < argc)
			pepper_file = argv[++i];
		else if (strcmp(argv[i], "--credentials") == 0 && i + 1 < argc)
			creddir = argv[++i];
		else
			command_usage("init");
	}
	if (pepper_file != NULL && creddir != NULL)
		die("--pepper-file and --credentials: one or the other (with --credentials the pepper is "
		    "CREDDIR/pepper)");
	if (pepper_file != NULL)
		init_pepper_path(&o, dir, pepper_file);
	if (o.demo && !o.test_mode)
		die("--demo needs --test-mode (demo accounts have published passwords)");
	if (o.no_totp && !o.test_mode)
		die("--no-totp needs --test-mode");
	if (o.port < 1 || o.port > 65535)
		die("--port must be 1..65535");
	if (o.bank_port == 0)
		o.bank_port = o.port < 65535 ? o.port + 1 : o.port - 1;
	if (o.bank_port < 1 || o.bank_port > 65535 || o.bank_port == o.port)
		die("--bank-port must be 1..65535 and differ from --port");
	if (realpath(o.web_root, web) == NULL || strlen(web) >= CONFIG_PATH_MAX)
		die("%s: %s", o.web_root, errno ? strerror(errno) : "path too long");
	o.web_root = web;
	init_make_folder(dir);
	if (creddir != NULL)
		init_credentials_path(&o, dir, creddir);
	snprintf(path, sizeof path, "%s/secrets", dir);
	if (mkdir(path, 0700) != 0)
		die("%s: %s", path, strerror(errno));
	init_pepper(&o, dir);
	if (o.test_mode)
		make_testbank_key(dir);
	make_oidc_key(&o, dir, "oidc-sig");
	make_oidc_key(&o, dir, "oidc-enc");
	write_config(dir, &o);
	/* The store is made with the pepper adviced will read: with --credentials, the credential. */
	if (o.credentials[0] != '\0' && setenv("CREDENTIALS_DIRECTORY", o.credentials, 1) != 0)
		die("setenv: %s", strerror(errno));
	admin_open(&a, dir);
	init_store(&a, o.demo, !o.no_totp);
	printf("initialised %s\n", dir);
	print_next_steps(dir, &o);
}

/* dev-token's check of HETU as adviced will check it (test mode): a warning when it will be
 * refused (without the code: it is personal data). The token is made all the same: tests of
 * refusals need one. */
static void warn_identity_code(const char *hetu, time_t now)
{
	int r = hetu_check(hetu, strlen(hetu), 1, hetu_ymd_from_unix((int64_t)now));

	if (r != HETU_OK)
		fprintf(stderr, "warning: adviced will refuse a login with this code: %s\n",
			hetu_result_text(r));
}

/* dev-token: an ID token as the test bank would issue it, for development and tests. */
static void cmd_dev_token(struct admin *a, int argc, char **argv)
{
	const char *acr = "http://ftn.ficora.fi/2017/loa2", *given = NULL, *family = NULL;
	char path[CONFIG_PATH_MAX + 32], sub[STORE_ID_SIZE], *pem, *claims, *tok;
	long valid = 600;
	time_t now = time(NULL);
	json_t *c;

	if (!a->cfg.test_mode)
		die("dev-token works only in test mode");
	if (argc < 2)
		command_usage("dev-token");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--acr") == 0 && i + 1 < argc)
			acr = argv[++i];
		else if (strcmp(argv[i], "--valid") == 0 && i + 1 < argc)
			valid = atol(argv[++i]);
		else if (strcmp(argv[i], "--given") == 0 && i + 1 < argc)
			given = argv[++i];
		else if (strcmp(argv[i], "--family") == 0 && i + 1 < argc)
			family = argv[++i];
		else
			command_usage("dev-token");
	}
	warn_identity_code(argv[1], now);
	random_id(sub);
	snprintf(path, sizeof path, "%s/testbank/key.pem", a->dir);
	pem = read_all(path);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", a->cfg.idp_issuer, "aud", a->cfg.idp_audience,
		      "sub", sub, "iat", (json_int_t)now, "exp", (json_int_t)(now + valid), "acr", acr);
	json_object_set_new(c, a->cfg.idp_hetu_claim, json_string(argv[1]));
	if (given != NULL)
		json_object_set_new(c, "given_name", json_string(given));
	if (family != NULL)
		json_object_set_new(c, "family_name", json_string(family));
	claims = json_dumps(c, JSON_COMPACT);
	tok = token_sign(pem, strlen(pem), JWT_ALG_RS256, TESTBANK_KID, claims);
	if (tok == NULL)
		die("cannot sign the token");
	printf("%s\n", tok);
	sodium_memzero(pem, strlen(pem));
	free(pem);
	free(claims);
	free(tok);
	json_decref(c);
}

/* help [COMMAND]: the table, to standard output. */
static int cmd_help(int argc, char **argv)
{
	const struct ctl_command *c;

	if (argc == 1) {
		ctl_print_help_all(stdout);
		return 0;
	}
	if (argc != 2)
		command_usage("help");
	if ((c = ctl_command_find(argv[1])) == NULL) {
		fprintf(stderr, "advicectl: unknown command %s; `advicectl help` lists them\n", argv[1]);
		return 2;
	}
	ctl_print_help(stdout, c);
	return 0;
}

/* root-create FILE: offline, a key file only. */
static int cmd_root_create(int argc, char **argv)
{
	char err[256];

	if (argc != 2)
		command_usage("root-create");
	if (keys_admin_root_create(argv[1], stdout, err, sizeof err) != 0)
		die("root-create: %s", err);
	return 0;
}

/* Runs table entry `c` with its words argv (argv[0] the command); `dir` is -d's folder or
 * NULL; json_output: --json. Returns the exit status. */
static int run_command(const struct ctl_command *c, const char *dir, int json_output, int argc, char **argv)
{
	struct admin a = { .json = json_output };

	if (ctl_command_needs_dir(c)) {
		if (dir == NULL) {
			fprintf(stderr, "advicectl: %s needs the data folder: advicectl -d DIR %s ...\n",
				c->name, c->name);
			return 2;
		}
		admin_open(&a, dir);
	} else if (dir != NULL && c->run != CTL_HELP) {
		die("%s runs offline, without -d: advicectl %s ...", c->name, c->name);
	}
	switch (c->run) {
	case CTL_HELP: return cmd_help(argc, argv);
	case CTL_INIT: cmd_init(argc, argv); return 0;
	case CTL_ROOT_CREATE: return cmd_root_create(argc, argv);
	case CTL_LOGIN: return ctl_client_login(argc, argv);
	case CTL_REQUEST: return ctl_client_request(argc, argv);
	case CTL_DEV_TOKEN: cmd_dev_token(&a, argc, argv); return 0;
	case CTL_SERVER_PASSWORD: return worker_add_command(&a, argc, argv);
	case CTL_SERVER_KEYS: return key_command(&a, argc, argv);
	case CTL_SERVER_STDIN: return stdin_command(&a, argc, argv);
	case CTL_SERVER_BACKUP: return backup_command(&a, argc, argv);
	case CTL_RESTORE: return restore_command(argc, argv);
	case CTL_SERVER: break;
	}
	return admin_command(&a, argc, argv, NULL, NULL, NULL);
}

static int is_help_option(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* advicectl [-d DIR] COMMAND [ARGUMENTS...] | --version | --help: dispatches on the table. */
int main(int argc, char **argv)
{
	const struct ctl_command *c;
	const char *dir = NULL;
	int json_output = 0;

	log_set_level(LOG_WARN);
	if (sodium_init() < 0)
		die("libsodium cannot start");
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("advicectl %s\n", ADVICE_VERSION);
		return 0;
	}
	if (argc == 2 && is_help_option(argv[1])) {
		ctl_print_help_all(stdout);
		return 0;
	}
	for (;;) { /* -d DIR and --json, in either order, before the command */
		if (argc >= 2 && strcmp(argv[1], "-d") == 0) {
			if (argc < 4)
				usage();
			dir = argv[2];
			argc -= 2;
			argv += 2;
		} else if (argc >= 2 && strcmp(argv[1], "--json") == 0) {
			json_output = 1;
			argc--;
			argv++;
		} else {
			break;
		}
	}
	if (argc < 2)
		usage();
	if ((c = ctl_command_find(argv[1])) == NULL) {
		fprintf(stderr, "advicectl: unknown command %s; `advicectl help` lists them\n", argv[1]);
		return 2;
	}
	if (argc == 3 && is_help_option(argv[2])) {
		ctl_print_help(stdout, c);
		return 0;
	}
	if (json_output && ctl_command_offline(c) && c->run != CTL_HELP)
		die("--json is for the commands that go to adviced, not %s", c->name);
	return run_command(c, dir, json_output, argc - 1, argv + 1);
}
