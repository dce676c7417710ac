/*
 * advicectl - the register keeper's command: initialise a data folder, create units,
 * queues and worker accounts, unlock accounts, verify the access log, and (in test mode)
 * issue ID tokens from the development test bank key.
 *
 *   advicectl init DIR [--demo] [--test-mode] [--port N] [--listen ADDR] [--web-root PATH]
 *                      [--bank-port N]   (the test bank's port; default port + 1)
 *                      [--no-totp]       (test mode: demo accounts without a second factor)
 *   advicectl -d DIR unit-add NAME
 *   advicectl -d DIR queue-add UNIT CATEGORY NAME
 *   advicectl -d DIR worker-add USERNAME [--unit UNIT [--supervisor]] [--password-stdin]
 *                    (prints a one-time setup code: the first login sets the password and
 *                    enrols the second factor; --password-stdin sets a password instead)
 *   advicectl -d DIR worker-end|role-end|worker-reset|totp-reset|demo-totp ...   (staff
 *                                                   accounts: server/staff_admin.h lists them)
 *   advicectl login URL USERNAME [--totp CODE]      (a worker's login to a running server;
 *                                                   password on stdin)
 *   advicectl -d DIR member-add USERNAME UNIT [--supervisor]
 *   advicectl -d DIR unlock USERNAME
 *   advicectl -d DIR audit-verify
 *   advicectl -d DIR dev-token HETU [--acr URI] [--valid S]      (test mode only)
 *   advicectl -d DIR roster-add|roster-list|queue-policy|holidays|...   (duty queues:
 *                                                   server/queue_admin.h lists them)
 *   advicectl root-create FILE                      (end-to-end encryption: the root key, offline)
 *   advicectl -d DIR root-install|admin-certify|worker-keys|unit-key-rotate|unit-member-add|
 *                    unit-member-remove ...         (server/keys_admin.h lists them)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "advice.h"
#include "audit.h"
#include "config.h"
#include "core.h"
#include "log.h"
#include "keys_admin.h"
#include "queue_admin.h"
#include "staff_admin.h"
#include "store.h"
#include "token.h"

#define TESTBANK_KID	  "testbank-1"
#define TESTBANK_ISSUER	  "https://testbank.localhost"
#define TESTBANK_AUDIENCE "advice-dev"

/* An opened data folder. */
struct admin {
	char dir[CONFIG_PATH_MAX];
	struct config cfg;
	struct store *st;
	uint8_t pepper[32];
};

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

static void usage(void)
{
	fprintf(stderr, "usage: advicectl init DIR [--demo] [--test-mode] [--port N] [--listen ADDR] "
			"[--web-root PATH] [--bank-port N] [--no-totp]\n"
			"       advicectl -d DIR unit-add NAME\n"
			"       advicectl -d DIR queue-add UNIT CATEGORY NAME\n"
			"       advicectl -d DIR worker-add USERNAME [--unit UNIT [--supervisor]] "
			"[--password-stdin]\n"
			"       advicectl -d DIR worker-end|role-end|worker-reset|totp-reset|demo-totp ... "
			"(server/staff_admin.h)\n"
			"       advicectl login URL USERNAME [--totp CODE]  (password on stdin)\n"
			"       advicectl -d DIR member-add USERNAME UNIT [--supervisor]\n"
			"       advicectl -d DIR unlock USERNAME\n"
			"       advicectl -d DIR audit-verify\n"
			"       advicectl -d DIR dev-token HETU [--acr URI] [--valid SECONDS]\n"
			"       advicectl root-create FILE\n"
			"       advicectl -d DIR root-install|admin-certify|worker-keys|unit-key-rotate|"
			"unit-member-add|unit-member-remove ... (server/keys_admin.h)\n");
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void admin_open(struct admin *a, const char *dir)
{
	char path[CONFIG_PATH_MAX + 32], err[512];
	FILE *f;

	snprintf(a->dir, sizeof a->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/adviced.conf", dir);
	config_defaults(&a->cfg);
	if (config_load(&a->cfg, path, err, sizeof err) != 0)
		die("%s", err);
	if ((f = fopen(a->cfg.pepper_file, "rb")) == NULL || fread(a->pepper, 1, 32, f) != 32)
		die("%s: cannot read the pepper", a->cfg.pepper_file);
	fclose(f);
	if ((a->st = store_sqlite_open(a->cfg.database, STORE_READWRITE)) == NULL)
		die("cannot open the store %s", a->cfg.database);
}

static void admin_close(struct admin *a)
{
	a->st->ops->close(a->st);
	sodium_memzero(a->pepper, sizeof a->pepper);
}

static void begin(struct admin *a)
{
	if (a->st->ops->tx->begin(a->st) != STORE_OK)
		die("cannot start a transaction");
}

static void commit(struct admin *a)
{
	if (a->st->ops->tx->commit(a->st) != STORE_OK)
		die("commit failed; nothing was changed");
}

static void random_id(char out[STORE_ID_SIZE])
{
	uint8_t b[ADVICE_ID_HEX / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

static void find_unit(struct admin *a, const char *name, char out[STORE_ID_SIZE])
{
	if (a->st->ops->unit->find(a->st, name, out) != STORE_OK)
		die("no unit '%s'", name);
}

/* Commands inside a transaction */

static void unit_add(struct admin *a, const char *name, char out[STORE_ID_SIZE])
{
	random_id(out);
	if (strlen(name) == 0 || strlen(name) >= STORE_NAME_SIZE)
		die("a unit name is 1..%d bytes", STORE_NAME_SIZE - 1);
	if (a->st->ops->unit->insert(a->st, out, name) != STORE_OK)
		die("cannot add unit '%s' (does it exist already?)", name);
}

static int valid_category(const char *c)
{
	size_t n = strlen(c);

	if (n == 0 || n > 64)
		return 0;
	return strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void queue_add(struct admin *a, const char *unit, const char *category, const char *name)
{
	struct store_queue q = { 0 };

	if (!valid_category(category))
		die("a category is 1..64 characters of a-z, 0-9 and -");
	random_id(q.id);
	find_unit(a, unit, q.unit_id);
	snprintf(q.category, sizeof q.category, "%s", category);
	snprintf(q.name, sizeof q.name, "%s", name);
	if (a->st->ops->queue->insert(a->st, &q) != STORE_OK)
		die("cannot add queue '%s' (is the category taken?)", category);
}

static int valid_username(const char *u)
{
	size_t n = strlen(u);

	return n >= 1 && n <= 64 && strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Adds a worker with `password`, or (password NULL) with a one-time setup code printed for
 * the register keeper to hand over; `demo_totp` enrols the published demo second factor. */
static void worker_add(struct admin *a, const char *username, const char *password, int demo_totp)
{
	struct store_worker w = { 0 };
	uint8_t key[ADVICE_AUTH_KEY_BYTES];
	char code[STAFF_SETUP_CODE_SIZE];

	if (!valid_username(username))
		die("a username is 1..64 characters of a-z, 0-9, '.', '_' and '-'");
	if (password != NULL && strlen(password) < 8)
		die("a password has at least 8 characters");
	random_id(w.user_id);
	snprintf(w.username, sizeof w.username, "%s", username);
	randombytes_buf(w.salt, sizeof w.salt);
	w.opslimit = a->cfg.test_mode ? 1 : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	w.memlimit = a->cfg.test_mode ? 8u << 20 : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (password != NULL) {
		if (advice_worker_auth_key(password, w.salt, w.opslimit, w.memlimit, key) != 0)
			die("key derivation failed (out of memory?)");
		core_keyed_hash(a->pepper, "auth key", key, sizeof key, w.auth_hash);
		sodium_memzero(key, sizeof key);
	} else {
		randombytes_buf(w.auth_hash, sizeof w.auth_hash); /* matches no key */
	}
	if (a->st->ops->staff->worker_insert(a->st, &w, now_ms()) != STORE_OK)
		die("cannot add worker '%s' (does the name exist already?)", username);
	if (password != NULL) {
		if (staff_admin_password_set(a->st, a->pepper, w.user_id, now_ms(), demo_totp) != 0)
			die("cannot record the password of '%s'", username);
		return;
	}
	if (staff_admin_setup_code(a->st, a->pepper, w.user_id, now_ms(), code) != 0)
		die("cannot record the setup code of '%s'", username);
	printf("setup code of %s: %s (one use, valid %lld days; the first login sets the password)\n",
	       username, code, STAFF_SETUP_VALID_MS / 86400000);
	sodium_memzero(code, sizeof code);
}

static void member_add(struct admin *a, const char *username, const char *unit, int supervisor)
{
	struct store_worker w;
	char unit_id[STORE_ID_SIZE];

	if (a->st->ops->staff->worker_get(a->st, username, &w) != STORE_OK)
		die("no worker '%s'", username);
	find_unit(a, unit, unit_id);
	if (a->st->ops->staff->membership_add(a->st, w.user_id, unit_id,
					      supervisor ? ROLE_SUPERVISOR : ROLE_WORKER) != STORE_OK)
		die("cannot add '%s' to '%s'", username, unit);
}

/* init */

struct init_opts {
	int demo, test_mode, port, bank_port;
	int no_totp; /* demo accounts without a second factor, and staff_totp_required = no */
	const char *listen, *web_root;
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

/* Our bank-ID relying-party key `name` (RSA 2048, private PEM, mode 600) in DIR/secrets. */
static void make_oidc_key(const char *dir, const char *name)
{
	char path[CONFIG_PATH_MAX + 32];
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	if (k == NULL || b == NULL || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		die("cannot make the %s key", name);
	n = BIO_get_mem_data(b, &pem);
	snprintf(path, sizeof path, "%s/secrets/%s.pem", dir, name);
	write_new_file(path, pem, (size_t)n, 0600);
	BIO_free(b);
	EVP_PKEY_free(k);
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
				"oidc_sig_key = secrets/oidc-sig.pem\n"
				"oidc_enc_key = secrets/oidc-enc.pem\n");
	return snprintf(out, size,
			"# bank-ID login at the development test bank (deploy/testbank)\n"
			"oidc_profile = ftn\n"
			"oidc_authorize_url = http://localhost:%d/authorize\n"
			"oidc_token_url = http://127.0.0.1:%d/token\n"
			"oidc_jwks_url = http://127.0.0.1:%d/jwks\n"
			"oidc_redirect_uri = http://localhost:%d/api/v1/auth/bank/callback\n"
			"oidc_sig_key = secrets/oidc-sig.pem\n"
			"oidc_enc_key = secrets/oidc-enc.pem\n"
			"oidc_jwks_refetch_s = 1\n",
			o->bank_port, o->bank_port, o->bank_port, o->port);
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
		     o->test_mode ? "# the demo and the tests send opaque bodies, not envelopes\n"
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
	if (o->no_totp) {
		m = snprintf(text + n, sizeof text - (size_t)n, "staff_totp_required = no\n");
		if (m < 0 || (size_t)m >= sizeof text - (size_t)n)
			die("configuration too long");
		n += m;
	}
	snprintf(path, sizeof path, "%s/adviced.conf", dir);
	write_new_file(path, text, (size_t)n, 0640);
}

static void seed_demo(struct admin *a, int demo_totp)
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
	char id[STORE_ID_SIZE], pw[80], err[256];

	begin(a);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		unit_add(a, units[i].unit, id);
		queue_add(a, units[i].unit, units[i].category, units[i].unit);
	}
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		snprintf(pw, sizeof pw, "%s-demo", people[i].name);
		worker_add(a, people[i].name, pw, demo_totp);
		member_add(a, people[i].name, people[i].unit, people[i].supervisor);
		printf("demo account: %-5s password %-10s %s of %s\n", people[i].name, pw,
		       people[i].supervisor ? "supervisor" : "worker", people[i].unit);
	}
	commit(a);
	if (demo_totp)
		printf("demo second factor (test mode only): the demo accounts share the published TOTP "
		       "secret %s;\n  a code now: advicectl -d DIR demo-totp anna, or oathtool --totp -b "
		       "%s\n",
		       STAFF_DEMO_SECRET_B32, STAFF_DEMO_SECRET_B32);
	if (queue_admin_seed_demo(a->st, err, sizeof err) != 0)
		die("demo duty queues: %s", err);
	printf("demo roster: anna and sara (adult social work), ben (children and families) on duty "
	       "Mon-Fri 08-16; sara supervises adult social work\n");
}

static void cmd_init(int argc, char **argv)
{
	struct init_opts o = { .port = 8080, .listen = "127.0.0.1", .web_root = "client-web" };
	char path[CONFIG_PATH_MAX + 32], web[PATH_MAX];
	uint8_t pepper[32];
	struct admin a;
	const char *dir;

	if (argc < 2)
		usage();
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
		else
			usage();
	}
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
	if (mkdir(dir, 0700) != 0)
		die("%s: %s", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/secrets", dir);
	if (mkdir(path, 0700) != 0)
		die("%s: %s", path, strerror(errno));
	randombytes_buf(pepper, sizeof pepper);
	snprintf(path, sizeof path, "%s/secrets/pepper", dir);
	write_new_file(path, pepper, sizeof pepper, 0600);
	sodium_memzero(pepper, sizeof pepper);
	if (o.test_mode)
		make_testbank_key(dir);
	make_oidc_key(dir, "oidc-sig");
	make_oidc_key(dir, "oidc-enc");
	write_config(dir, &o);
	admin_open(&a, dir);
	if (o.demo)
		seed_demo(&a, !o.no_totp);
	admin_close(&a);
	printf("initialised %s\n", dir);
}

/* dev-token: an ID token as the test bank would issue it, for development and tests. */
static void cmd_dev_token(struct admin *a, int argc, char **argv)
{
	const char *acr = "http://ftn.ficora.fi/2017/loa2";
	char path[CONFIG_PATH_MAX + 32], sub[STORE_ID_SIZE], *pem, *claims, *tok;
	long valid = 600;
	time_t now = time(NULL);
	json_t *c;

	if (!a->cfg.test_mode)
		die("dev-token works only in test mode");
	if (argc < 2)
		usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--acr") == 0 && i + 1 < argc)
			acr = argv[++i];
		else if (strcmp(argv[i], "--valid") == 0 && i + 1 < argc)
			valid = atol(argv[++i]);
		else
			usage();
	}
	random_id(sub);
	snprintf(path, sizeof path, "%s/testbank/key.pem", a->dir);
	pem = read_all(path);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", a->cfg.idp_issuer, "aud", a->cfg.idp_audience,
		      "sub", sub, "iat", (json_int_t)now, "exp", (json_int_t)(now + valid), "acr", acr);
	json_object_set_new(c, a->cfg.idp_hetu_claim, json_string(argv[1]));
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

static void cmd_audit_verify(struct admin *a)
{
	int64_t rows = 0, bad = 0;
	int rc = audit_verify(a->st, &rows, &bad);

	if (rc < 0)
		die("cannot read the access log");
	if (rc > 0) {
		printf("access log BROKEN at row %lld\n", (long long)bad);
		exit(3);
	}
	printf("access log intact: %lld rows\n", (long long)rows);
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

static void cmd_admin(const char *dir, int argc, char **argv)
{
	struct admin a;
	char id[STORE_ID_SIZE], pw[256], qerr[256];
	const char *cmd = argv[0];
	int qrc;

	admin_open(&a, dir);
	if (strcmp(cmd, "unit-add") == 0 && argc == 2) {
		begin(&a);
		unit_add(&a, argv[1], id);
		commit(&a);
		printf("%s\n", id);
	} else if (strcmp(cmd, "queue-add") == 0 && argc == 4) {
		begin(&a);
		queue_add(&a, argv[1], argv[2], argv[3]);
		commit(&a);
	} else if (strcmp(cmd, "worker-add") == 0 && argc >= 2) {
		const char *unit = NULL;
		int supervisor = 0, with_password = 0;

		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc)
				unit = argv[++i];
			else if (strcmp(argv[i], "--supervisor") == 0 && unit != NULL)
				supervisor = 1;
			else if (strcmp(argv[i], "--password-stdin") == 0)
				with_password = 1;
			else
				usage();
		}
		if (with_password)
			read_password(pw, sizeof pw);
		begin(&a);
		worker_add(&a, argv[1], with_password ? pw : NULL, 0);
		if (unit != NULL)
			member_add(&a, argv[1], unit, supervisor);
		commit(&a);
		sodium_memzero(pw, sizeof pw);
	} else if (strcmp(cmd, "member-add") == 0 && (argc == 3 || argc == 4)) {
		begin(&a);
		member_add(&a, argv[1], argv[2], argc == 4 && strcmp(argv[3], "--supervisor") == 0);
		commit(&a);
	} else if (strcmp(cmd, "unlock") == 0 && argc == 2) {
		struct store_worker w;

		begin(&a);
		if (a.st->ops->staff->worker_get(a.st, argv[1], &w) != STORE_OK)
			die("no worker '%s'", argv[1]);
		if (a.st->ops->staff->worker_set_login_state(a.st, w.user_id, 0, 0, 0) != STORE_OK)
			die("cannot unlock");
		commit(&a);
	} else if (strcmp(cmd, "audit-verify") == 0 && argc == 1) {
		cmd_audit_verify(&a);
	} else if (strcmp(cmd, "dev-token") == 0) {
		cmd_dev_token(&a, argc, argv);
	} else if ((qrc = keys_admin_run(a.st, argc, argv, stdout, qerr, sizeof qerr)) <= 0) {
		if (qrc < 0)
			die("%s: %s", cmd, qerr);
	} else if ((qrc = staff_admin_run(a.st, a.pepper, a.cfg.test_mode, argc, argv, stdout, qerr,
					  sizeof qerr)) <= 0) {
		if (qrc < 0)
			die("%s: %s", cmd, qerr);
	} else if ((qrc = queue_admin_run(a.st, argc, argv, stdout, qerr, sizeof qerr)) <= 0) {
		if (qrc < 0)
			die("%s: %s", cmd, qerr);
	} else {
		usage();
	}
	admin_close(&a);
}

/*
 * login: a worker's login to a running server through libadvice, as a client would do it
 * (password on stdin; --totp CODE for the second factor): prints the welcome event of the
 * WebSocket, then logs out. For trying the service from a terminal.
 */
static void cmd_login(int argc, char **argv)
{
	const char *url = argv[1], *user = argv[2], *totp = NULL;
	struct advice_client *c;
	struct advice_conn *k;
	char pw[256], *session = NULL;
	int rc;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--totp") == 0 && i + 1 < argc)
			totp = argv[++i];
		else
			usage();
	}
	read_password(pw, sizeof pw);
	if ((c = advice_client_new()) == NULL)
		die("cannot start the client");
	rc = advice_login_worker_with(c, url, NULL, user, pw, totp, NULL, NULL, &session, 30000);
	sodium_memzero(pw, sizeof pw);
	if (rc != 0)
		die("login refused: %s", advice_err_name(rc));
	k = advice_connect(c, url, url, session, 30000, &rc); /* the origin a browser would send */
	if (k == NULL)
		die("WebSocket refused: %s", advice_err_name(rc));
	printf("logged in; welcome: %s\n", advice_conn_welcome(k));
	advice_conn_free(k);
	if (advice_logout(c, url, NULL, session, 30000) == 0)
		printf("logged out\n");
	sodium_memzero(session, strlen(session));
	free(session);
	advice_client_free(c);
}

int main(int argc, char **argv)
{
	log_set_level(LOG_WARN);
	if (sodium_init() < 0)
		die("libsodium cannot start");
	if (argc >= 2 && strcmp(argv[1], "init") == 0) {
		cmd_init(argc - 1, argv + 1);
	} else if (argc == 3 && strcmp(argv[1], "root-create") == 0) {
		char err[256];

		if (keys_admin_root_create(argv[2], stdout, err, sizeof err) != 0)
			die("root-create: %s", err);
	} else if (argc >= 4 && strcmp(argv[1], "-d") == 0) {
		cmd_admin(argv[2], argc - 3, argv + 3);
	} else if (argc >= 4 && strcmp(argv[1], "login") == 0) {
		cmd_login(argc - 1, argv + 1);
	} else {
		usage();
	}
	return 0;
}
