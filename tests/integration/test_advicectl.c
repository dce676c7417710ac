/*
 * test_advicectl.c - advicectl held to the README: `init` writes the pepper and both bank-ID
 * keys with mode 600 (test mode without the demo turns require_envelopes off; the demo keeps
 * it on and makes the whole key hierarchy); `init --demo` makes the three units, the accounts anna, ben and
 * sara with their roles, their roster shifts and the queue policies; and every duty-queue and staff command
 * changes what it says, while a bad argument gives an error naming it, a non-zero exit, and leaves the
 * database exactly as it was.
 *
 * Every advicectl run goes through ctl_run() (one place to adapt the invocation). Effects are
 * read from the database through the store API, read-only beside the running adviced, or
 * seen in later logins; output is read only where it is the command's result (a listing, a
 * setup code).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <sqlite3.h>

#include "advice.h"
#include "calendar.h"
#include "config.h"
#include "harness.h"
#include "itest.h"
#include "roster.h"
#include "routing.h"
#include "staff.h"
#include "store.h"

#define CTL_MAX_ARGS 24
#define ADULT	     "Adult social work"
#define CHILDREN     "Children and families"
#define DISABILITY   "Disability services"

/*
 * Runs `$ADVICECTL -d DIR ARGS...` (dir NULL: `$ADVICECTL ARGS...`, for init) with standard
 * input from /dev/null, and records its exit status and both outputs.
 */
static void ctl_run(const char *dir, const char *const args[], struct itest_run *r)
{
	const char *ctl = getenv("ADVICECTL");
	char *argv[CTL_MAX_ARGS + 4];
	size_t n = 0;

	if (ctl == NULL || *ctl == '\0')
		fail_msg("$ADVICECTL is not set");
	argv[n++] = (char *)ctl;
	if (dir != NULL) {
		argv[n++] = "-d";
		argv[n++] = (char *)dir;
	}
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(i < CTL_MAX_ARGS);
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	itest_run_argv(argv, NULL, r);
}

/* A command that must succeed; returns its standard output (malloc'd). */
static char *ctl_ok(struct harness *h, const char *const args[])
{
	struct itest_run r;

	ctl_run(h->dir, args, &r);
	if (r.status != 0)
		fail_msg("advicectl %s: exit %d: %s", args[0], r.status, r.err);
	free(r.err);
	return r.out;
}

static void ctl_ok_quiet(struct harness *h, const char *const args[])
{
	free(ctl_ok(h, args));
}

/* A digest of every row of every table of the data folder's database but the access log,
 * where adviced records refused commands too (access_log_refusal). */
static void db_digest(struct harness *h, uint8_t out[crypto_generichash_BYTES])
{
	crypto_generichash_state g;
	sqlite3_stmt *tables, *rows;
	char path[300], sql[200];
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	crypto_generichash_init(&g, NULL, 0, crypto_generichash_BYTES);
	assert_int_equal(
		sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
				   -1, &tables, NULL),
		SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tables, 0);

		if (strcmp(name, "access_log") == 0)
			continue;
		crypto_generichash_update(&g, (const uint8_t *)name, strlen(name) + 1);
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", name);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
		while (sqlite3_step(rows) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(rows); c++) {
				uint8_t type = (uint8_t)sqlite3_column_type(rows, c);
				const void *v = sqlite3_column_blob(rows, c);
				uint32_t len = (uint32_t)sqlite3_column_bytes(rows, c);

				crypto_generichash_update(&g, &type, 1);
				crypto_generichash_update(&g, (const uint8_t *)&len, sizeof len);
				if (v != NULL)
					crypto_generichash_update(&g, v, len);
			}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	crypto_generichash_final(&g, out, crypto_generichash_BYTES);
}

static long long db_count(struct harness *h, const char *sql);

/* Since access-log row `after`, adviced logged at most the one refusal of `command`: a row
 * naming it, failed. */
static void access_log_refusal(struct harness *h, long long after, const char *command)
{
	char sql[300];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM access_log WHERE row > %lld", after);
	assert_in_range(db_count(h, sql), 0, 1);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM access_log WHERE row > %lld AND NOT (action = 'admin:%s' AND "
		 "outcome = 'failed' AND role = %d AND user_id LIKE 'os:%%')",
		 after, command, ROLE_ADMIN);
	assert_int_equal(db_count(h, sql), 0);
}

/*
 * A command that must be refused: a non-zero exit, an error on standard error that names
 * `names` (NULL: any text), and every table of the database as it was but the access log,
 * which holds at most the refusal.
 */
static void ctl_refused(struct harness *h, const char *const args[], const char *names)
{
	uint8_t before[crypto_generichash_BYTES], after[crypto_generichash_BYTES];
	struct itest_run r;
	long long last_row = db_count(h, "SELECT coalesce(max(row), 0) FROM access_log");

	db_digest(h, before);
	ctl_run(h->dir, args, &r);
	if (r.status == 0)
		fail_msg("advicectl %s %s was accepted", args[0], args[1] ? args[1] : "");
	if (r.err[0] == '\0')
		fail_msg("advicectl %s: refused without a word", args[0]);
	if (names != NULL && strstr(r.err, names) == NULL)
		fail_msg("advicectl %s: the error does not name '%s': %s", args[0], names, r.err);
	db_digest(h, after);
	if (memcmp(before, after, sizeof before) != 0)
		fail_msg("advicectl %s was refused but changed the database", args[0]);
	access_log_refusal(h, last_row, args[0]);
	itest_run_free(&r);
}

/* The data folder's store, read-only beside the running server; store_close() after use. */
static struct store *store_open(struct harness *h)
{
	char path[300];
	struct store *st;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	st = store_sqlite_open(path, STORE_READONLY);
	assert_non_null(st);
	return st;
}

static void store_close(struct store *st)
{
	st->ops->close(st);
}

static void unit_id_of(struct store *st, const char *name, char id[STORE_ID_SIZE])
{
	if (st->ops->unit->find(st, name, id) != STORE_OK)
		fail_msg("no unit '%s' in the store", name);
}

static void queue_of(struct store *st, const char *category, struct store_queue *q)
{
	if (st->ops->queue->by_category(st, category, q) != STORE_OK)
		fail_msg("no queue '%s' in the store", category);
}

static void queue_settings_of(struct store *st, const char *category, struct store_queue_settings *qs)
{
	struct store_queue q;

	queue_of(st, category, &q);
	assert_int_equal(st->ops->queue->settings_get(st, q.id, qs), STORE_OK);
}

static void unit_settings_of(struct store *st, const char *name, struct store_unit_settings *us)
{
	char id[STORE_ID_SIZE];

	unit_id_of(st, name, id);
	assert_int_equal(st->ops->unit->settings_get(st, id, us), STORE_OK);
}

static void worker_of(struct store *st, const char *username, struct store_worker *w)
{
	if (st->ops->staff->worker_get(st, username, w) != STORE_OK)
		fail_msg("no worker '%s' in the store", username);
}

static void staff_of(struct store *st, const char *username, struct store_staff *s)
{
	struct store_worker w;

	worker_of(st, username, &w);
	assert_int_equal(st->ops->staff->get(st, w.user_id, s), STORE_OK);
}

/* A single-number query's answer, on the data folder's database. */
static long long db_count(struct harness *h, const char *sql)
{
	char path[300];
	sqlite3_stmt *q;
	long long n = -1;
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* Roster shifts collected by roster_list. */
struct shifts {
	size_t n;
	struct store_roster r[32];
};

static int collect_shift(void *arg, const struct store_roster *r)
{
	struct shifts *s = arg;

	assert_true(s->n < sizeof s->r / sizeof s->r[0]);
	s->r[s->n++] = *r;
	return 0;
}

/* The shifts of `unit` ("" = every unit) and, unless NULL, of one username. */
static void shifts_of(struct store *st, const char *unit, const char *username, struct shifts *out)
{
	char unit_id[STORE_ID_SIZE] = "";
	struct store_worker w;

	memset(out, 0, sizeof *out);
	if (unit[0] != '\0')
		unit_id_of(st, unit, unit_id);
	if (username != NULL)
		worker_of(st, username, &w);
	assert_int_equal(
		st->ops->duty->roster_list(st, unit_id, username ? w.user_id : NULL, collect_shift, out),
		STORE_OK);
}

static int closed_day_stored(struct store *st, const char *date)
{
	int32_t days[CAL_MAX_CLOSED], day;
	size_t n;

	assert_int_equal(cal_parse_date(date, &day), 0);
	assert_int_equal(st->ops->duty->closed_day_list(st, days, CAL_MAX_CLOSED, &n), STORE_OK);
	for (size_t i = 0; i < n; i++)
		if (days[i] == day)
			return 1;
	return 0;
}

/* The mode bits of a file, which must be a regular file (or, with `dir`, a folder). */
static unsigned file_mode(const char *dir, const char *name, int is_dir)
{
	char path[600];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (lstat(path, &sb) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(is_dir ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode));
	return (unsigned)(sb.st_mode & 07777);
}

/* An RSA private key of `bits` in PEM, in a file of mode 600. */
static void expect_rsa_key_600(const char *dir, const char *name, int bits)
{
	char path[600];
	EVP_PKEY *k;
	FILE *f;

	assert_int_equal(file_mode(dir, name, 0), 0600);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		fail_msg("%s is not a PEM private key", path);
	assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(k), bits);
	EVP_PKEY_free(k);
}

/* What `advicectl init` promises of the secrets in a data folder. */
static void expect_init_secrets(const char *dir)
{
	char path[600];
	struct stat sb;

	assert_int_equal(file_mode(dir, "secrets", 1), 0700);
	assert_int_equal(file_mode(dir, "secrets/pepper", 0), 0600);
	snprintf(path, sizeof path, "%s/secrets/pepper", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 32);
	expect_rsa_key_600(dir, "secrets/oidc-sig.pem", 2048);
	expect_rsa_key_600(dir, "secrets/oidc-enc.pem", 2048);
}

/* The demo's key files: root and admin keys (mode 600) in secrets/, the root public key in
 * root.pub (43 characters of base64url and a newline, for the web build to pin). */
static void expect_demo_keys(const char *dir)
{
	uint8_t pk[32];

	assert_int_equal(file_mode(dir, "secrets/demo-root.key", 0), 0600);
	assert_int_equal(file_mode(dir, "secrets/demo-admin.key", 0), 0600);
	assert_int_equal(file_mode(dir, "root.pub", 0), 0644);
	itest_demo_root_pk(dir, pk);
}

static void load_config(const char *dir, struct config *c)
{
	char path[600], err[512];

	snprintf(path, sizeof path, "%s/adviced.conf", dir);
	config_defaults(c);
	if (config_load(c, path, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Digest of a file's bytes. */
static void file_digest(const char *path, uint8_t out[crypto_generichash_BYTES])
{
	crypto_generichash_state g;
	FILE *f = fopen(path, "rb");
	uint8_t buf[4096];
	size_t n;

	assert_non_null(f);
	crypto_generichash_init(&g, NULL, 0, crypto_generichash_BYTES);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_generichash_update(&g, buf, n);
	fclose(f);
	crypto_generichash_final(&g, out, crypto_generichash_BYTES);
}

/* A fresh path in $TMPDIR (or /tmp) for advicectl init to create. */
static void fresh_dir_name(char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/advice-ctl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(rmdir(dir), 0);
}

static void web_root(char *out, size_t size)
{
	const char *src = getenv("ADVICE_SOURCE_DIR");

	assert_non_null(src);
	snprintf(out, size, "%s/client-web", src);
}

static void test_init_secrets_mode_600(void **state)
{
	struct harness *h = *state;
	char dir[300], web[600], path[400];
	struct itest_run r;
	struct config c;
	struct store *st;

	/* The test-mode demo folder the harness made: the secrets, and the test bank's key. */
	expect_init_secrets(h->dir);
	expect_rsa_key_600(h->dir, "testbank/key.pem", 2048);
	load_config(h->dir, &c);
	assert_int_equal(c.test_mode, 1);
	assert_int_equal(c.require_envelopes, 0); /* the harness's line for opaque test bodies */
	expect_demo_keys(h->dir);

	/* `advicectl init DIR` for real: no test bank, envelopes required, a migrated database. */
	fresh_dir_name(dir, sizeof dir);
	web_root(web, sizeof web);
	ctl_run(NULL, (const char *const[]){ "init", dir, "--port", "8443", "--web-root", web, NULL }, &r);
	if (r.status != 0)
		fail_msg("advicectl init: exit %d: %s", r.status, r.err);
	itest_run_free(&r);
	expect_init_secrets(dir);
	snprintf(path, sizeof path, "%s/testbank", dir);
	assert_false(exists(path));
	load_config(dir, &c);
	assert_int_equal(c.test_mode, 0);
	assert_int_equal(c.require_envelopes, 1);
	snprintf(path, sizeof path, "%s/advice.db", dir);
	st = store_sqlite_open(path, STORE_READONLY); /* READONLY opens only a migrated database */
	assert_non_null(st);
	store_close(st);
	remove_tree(dir);

	/* The demo as run.sh makes it requires envelopes like production; test mode alone not. */
	fresh_dir_name(dir, sizeof dir);
	ctl_run(NULL, (const char *const[]){ "init", dir, "--test-mode", "--demo", "--web-root", web, NULL },
		&r);
	if (r.status != 0)
		fail_msg("advicectl init --demo: exit %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "require_envelopes is on"));
	itest_run_free(&r);
	load_config(dir, &c);
	assert_int_equal(c.require_envelopes, 1);
	expect_demo_keys(dir);
	remove_tree(dir);
	fresh_dir_name(dir, sizeof dir);
	ctl_run(NULL, (const char *const[]){ "init", dir, "--test-mode", "--web-root", web, NULL }, &r);
	assert_int_equal(r.status, 0);
	itest_run_free(&r);
	load_config(dir, &c);
	assert_int_equal(c.require_envelopes, 0);
	snprintf(path, sizeof path, "%s/root.pub", dir);
	assert_false(exists(path));
	remove_tree(dir);
}

static void test_init_refusals(void **state)
{
	uint8_t before[crypto_generichash_BYTES], after[crypto_generichash_BYTES];
	char dir[300], web[600], pepper[400];
	struct itest_run r;

	(void)state;
	fresh_dir_name(dir, sizeof dir);
	web_root(web, sizeof web);

	/* --demo without --test-mode (published passwords) is refused before anything is made. */
	ctl_run(NULL, (const char *const[]){ "init", dir, "--demo", "--web-root", web, NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_true(r.err[0] != '\0');
	itest_run_free(&r);
	assert_false(exists(dir));

	/* init refuses an existing folder and leaves its pepper alone. */
	ctl_run(NULL, (const char *const[]){ "init", dir, "--web-root", web, NULL }, &r);
	assert_int_equal(r.status, 0);
	itest_run_free(&r);
	snprintf(pepper, sizeof pepper, "%s/secrets/pepper", dir);
	file_digest(pepper, before);
	ctl_run(NULL, (const char *const[]){ "init", dir, "--web-root", web, NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, dir));
	itest_run_free(&r);
	file_digest(pepper, after);
	assert_memory_equal(before, after, sizeof before);
	remove_tree(dir);
}

/* init --pepper-file: the pepper where the operator says (mode 600), named in adviced.conf,
 * none in the folder; refused inside the folder outside test mode; without it, outside test
 * mode, a warning that says how to move it. */
static void test_init_pepper_file(void **state)
{
	char dir[300], web[600], keep[300], pepper[400], inside[400];
	struct itest_run r;
	struct config c;

	(void)state;
	fresh_dir_name(dir, sizeof dir);
	fresh_dir_name(keep, sizeof keep);
	assert_int_equal(mkdir(keep, 0700), 0);
	web_root(web, sizeof web);
	snprintf(pepper, sizeof pepper, "%s/pepper", keep);
	snprintf(inside, sizeof inside, "%s/pepper", dir);

	ctl_run(NULL, (const char *const[]){ "init", dir, "--pepper-file", inside, "--web-root", web, NULL },
		&r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "must stay out of the data folder"));
	itest_run_free(&r);
	assert_false(exists(dir));

	ctl_run(NULL, (const char *const[]){ "init", dir, "--pepper-file", pepper, "--web-root", web, NULL },
		&r);
	if (r.status != 0)
		fail_msg("advicectl init: exit %d: %s", r.status, r.err);
	assert_null(strstr(r.err, "warning"));
	itest_run_free(&r);
	assert_int_equal(file_mode(keep, "pepper", 0), 0600);
	snprintf(inside, sizeof inside, "%s/secrets/pepper", dir);
	assert_false(exists(inside));
	load_config(dir, &c);
	assert_string_equal(c.pepper_file, pepper);
	remove_tree(dir);
	remove_tree(keep);

	ctl_run(NULL, (const char *const[]){ "init", dir, "--web-root", web, NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "warning: the pepper is in"));
	assert_non_null(strstr(r.err, "--pepper-file FILE"));
	itest_run_free(&r);
	remove_tree(dir);
}

/* init --credentials: the pepper and the bank-ID keys in the credentials folder (mode 600)
 * as the systemd unit loads them, none in the data folder, no secret named in adviced.conf
 * (adviced takes the credentials); an empty existing folder (the package's) is taken; the
 * refusals say why and make nothing. */
static void test_init_credentials(void **state)
{
	static const char *const secrets[] = { "pepper", "oidc-sig.pem", "oidc-enc.pem" };
	char dir[300], web[600], cred[300], path[700], inside[400], *conf;
	struct itest_run r;
	FILE *f;
	struct config c;

	(void)state;
	fresh_dir_name(dir, sizeof dir);
	fresh_dir_name(cred, sizeof cred);
	web_root(web, sizeof web);

	ctl_run(NULL,
		(const char *const[]){ "init", dir, "--credentials", cred, "--pepper-file", "/nonexistent/p",
				       "--web-root", web, NULL },
		&r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "one or the other"));
	itest_run_free(&r);
	assert_false(exists(dir));

	snprintf(inside, sizeof inside, "%s/cred", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	ctl_run(NULL, (const char *const[]){ "init", dir, "--credentials", inside, "--web-root", web, NULL },
		&r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "must stay out of the data folder"));
	itest_run_free(&r);
	remove_tree(dir);

	assert_int_equal(mkdir(dir, 0755), 0); /* empty: taken, and made the owner's alone */
	ctl_run(NULL, (const char *const[]){ "init", dir, "--credentials", cred, "--web-root", web, NULL },
		&r);
	if (r.status != 0)
		fail_msg("advicectl init --credentials: exit %d: %s", r.status, r.err);
	assert_null(strstr(r.err, "warning"));
	assert_non_null(strstr(r.out, "CREDENTIALS_DIRECTORY="));
	itest_run_free(&r);
	assert_int_equal(file_mode(dir, ".", 1), 0700);
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		assert_int_equal(file_mode(cred, secrets[i], 0), 0600);
		snprintf(path, sizeof path, "%s/secrets/%s", dir, secrets[i]);
		assert_false(exists(path));
	}
	snprintf(path, sizeof path, "%s/adviced.conf", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	conf = itest_slurp(f);
	fclose(f);
	assert_non_null(conf);
	assert_null(strstr(conf, "\npepper_file"));
	assert_null(strstr(conf, "\noidc_sig_key"));
	assert_null(strstr(conf, "\noidc_enc_key"));
	free(conf);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", cred, 1), 0);
	load_config(dir, &c);
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	snprintf(path, sizeof path, "%s/pepper", cred);
	assert_string_equal(c.pepper_file, path);

	/* A folder with something in it is still refused, and its pepper left alone. */
	ctl_run(NULL, (const char *const[]){ "init", dir, "--credentials", cred, "--web-root", web, NULL },
		&r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "not empty"));
	itest_run_free(&r);
	remove_tree(dir);
	remove_tree(cred);
}

/* A worker's single membership: its unit and role. */
static void expect_member(struct store *st, const char *username, const char *unit, enum store_role role)
{
	struct store_membership m[8];
	char unit_id[STORE_ID_SIZE];
	struct store_worker w;
	size_t n;

	worker_of(st, username, &w);
	unit_id_of(st, unit, unit_id);
	assert_int_equal(st->ops->staff->membership_list(st, w.user_id, m, 8, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].unit_id, unit_id);
	assert_int_equal(m[0].role, role);
}

/* The one shift of `username`: in `unit`, Monday to Friday 08:00-16:00, not on holidays. */
static void expect_weekday_shift(struct store *st, const char *username, const char *unit)
{
	char unit_id[STORE_ID_SIZE];
	struct shifts s;

	unit_id_of(st, unit, unit_id);
	shifts_of(st, "", username, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].unit_id, unit_id);
	assert_int_equal(s.r[0].days, ROSTER_WEEKDAYS);
	assert_int_equal(s.r[0].start_min, 8 * 60);
	assert_int_equal(s.r[0].end_min, 16 * 60);
	assert_int_equal(s.r[0].on_holidays, 0);
}

/* The welcome of anna's full login (password and the demo second factor). */
static void expect_anna_welcome(struct harness *h, struct store *st)
{
	char *session = NULL, unit_id[STORE_ID_SIZE];
	struct advice_conn *k;
	json_t *w, *units;

	unit_id_of(st, ADULT, unit_id);
	assert_int_equal(harness_login_worker(h, "anna", &session), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	w = json_loads(advice_conn_welcome(k), 0, NULL);
	assert_non_null(w);
	assert_string_equal(json_string_value(json_object_get(w, "role")), "worker");
	units = json_object_get(w, "units");
	assert_int_equal(json_array_size(units), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(units, 0), "unit")), unit_id);
	json_decref(w);
	advice_conn_free(k);
	free(session);
}

static void test_demo_units_accounts_roster_policies(void **state)
{
	static const char *const people[] = { "anna", "ben", "sara" };
	struct harness *h = *state;
	struct store_queue q, adult;
	struct store_queue_settings qs;
	struct store *st = store_open(h);
	char unit_id[STORE_ID_SIZE], *session = NULL;
	struct shifts all;

	/* Three units, each with its queue. */
	assert_int_equal(db_count(h, "SELECT count(*) FROM units"), 3);
	assert_int_equal(db_count(h, "SELECT count(*) FROM queues"), 3);
	unit_id_of(st, ADULT, unit_id);
	queue_of(st, "adult-social-work", &adult);
	assert_string_equal(adult.unit_id, unit_id);
	unit_id_of(st, CHILDREN, unit_id);
	queue_of(st, "children-and-families", &q);
	assert_string_equal(q.unit_id, unit_id);
	unit_id_of(st, DISABILITY, unit_id);
	queue_of(st, "disability-services", &q);
	assert_string_equal(q.unit_id, unit_id);

	/* Three accounts: anna worker and sara supervisor of adult social work, ben worker of
	 * children and families; password <name>-demo with the published second factor. */
	assert_int_equal(db_count(h, "SELECT count(*) FROM workers"), 3);
	expect_member(st, "anna", ADULT, ROLE_WORKER);
	expect_member(st, "ben", CHILDREN, ROLE_WORKER);
	expect_member(st, "sara", ADULT, ROLE_SUPERVISOR);
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		char password[32];

		snprintf(password, sizeof password, "%s-demo", people[i]);
		/* The password is right: the second factor's code is what is missing. */
		assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, people[i], password,
						     &session, HARNESS_TIMEOUT_MS),
				 -ADVICE_ERR_TOTP_REQUIRED);
	}
	expect_anna_welcome(h, st);

	/* The roster: anna and sara (adult social work), ben (children and families), Monday to
	 * Friday 08-16, and no one else. */
	shifts_of(st, "", NULL, &all);
	assert_int_equal(all.n, 3);
	expect_weekday_shift(st, "anna", ADULT);
	expect_weekday_shift(st, "sara", ADULT);
	expect_weekday_shift(st, "ben", CHILDREN);

	/* Adult social work is claimed by hand, children and families assign round-robin,
	 * disability services fall back to adult social work. */
	queue_settings_of(st, "adult-social-work", &qs);
	assert_int_equal(qs.policy, QUEUE_MANUAL);
	queue_settings_of(st, "children-and-families", &qs);
	assert_int_equal(qs.policy, QUEUE_ROUND_ROBIN);
	queue_settings_of(st, "disability-services", &qs);
	assert_string_equal(qs.fallback_id, adult.id);
	store_close(st);
}

static void test_unit_add_and_queue_add(void **state)
{
	struct harness *h = *state;
	char unit_id[STORE_ID_SIZE], long_name[200];
	struct store_queue q;
	struct store *st;

	ctl_ok_quiet(h, (const char *const[]){ "unit-add", "Home care", NULL });
	ctl_ok_quiet(
		h, (const char *const[]){ "queue-add", "Home care", "home-care", "Home care at home", NULL });
	st = store_open(h);
	unit_id_of(st, "Home care", unit_id);
	queue_of(st, "home-care", &q);
	assert_string_equal(q.unit_id, unit_id);
	assert_string_equal(q.name, "Home care at home");
	store_close(st);

	memset(long_name, 'x', 129);
	long_name[129] = '\0';
	ctl_refused(h, (const char *const[]){ "unit-add", "Home care", NULL }, "Home care");
	ctl_refused(h, (const char *const[]){ "unit-add", "", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "unit-add", long_name, NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "unit-add", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "queue-add", "No such unit", "nowhere", "Nowhere", NULL },
		    "No such unit");
	ctl_refused(h, (const char *const[]){ "queue-add", "Home care", "Home Care!", "x", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "queue-add", "Home care", "adult-social-work", "x", NULL },
		    "adult-social-work");
	ctl_refused(h, (const char *const[]){ "queue-add", "Home care", "home-care-2", NULL }, NULL);
}

/* Whether a listing mentions a shift: its worker by user id or by name. */
static int listing_mentions(struct store *st, const char *listing, const struct store_roster *r)
{
	static const char *const people[] = { "anna", "ben", "sara" };
	struct store_worker w;

	if (strstr(listing, r->user_id) != NULL)
		return 1;
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		worker_of(st, people[i], &w);
		if (strcmp(w.user_id, r->user_id) == 0 && strstr(listing, people[i]) != NULL)
			return 1;
	}
	return 0;
}

static void test_roster_add_and_list(void **state)
{
	struct harness *h = *state;
	struct shifts ben, children, adult, all;
	const struct store_roster *weekend;
	char *out, id[24];
	struct store *st;

	out = ctl_ok(h, (const char *const[]){ "roster-add", "ben", CHILDREN, "sat,sun", "10:00", "14:30",
					       "--holidays", NULL });
	free(out);
	st = store_open(h);
	shifts_of(st, CHILDREN, "ben", &ben);
	assert_int_equal(ben.n, 2); /* the demo's weekday shift and the new one */
	weekend = ben.r[0].days == ROSTER_WEEKDAYS ? &ben.r[1] : &ben.r[0];
	assert_int_equal(weekend->days, (1u << 5) | (1u << 6)); /* bit 0 Monday .. bit 6 Sunday */
	assert_int_equal(weekend->start_min, 10 * 60);
	assert_int_equal(weekend->end_min, 14 * 60 + 30);
	assert_int_equal(weekend->on_holidays, 1);
	snprintf(id, sizeof id, "%lld", (long long)weekend->id);

	/* roster-list UNIT shows that unit's shifts and no others; roster-list shows all. */
	shifts_of(st, CHILDREN, NULL, &children);
	shifts_of(st, ADULT, NULL, &adult);
	shifts_of(st, "", NULL, &all);
	out = ctl_ok(h, (const char *const[]){ "roster-list", CHILDREN, NULL });
	for (size_t i = 0; i < children.n; i++)
		assert_true(listing_mentions(st, out, &children.r[i]));
	for (size_t i = 0; i < adult.n; i++)
		assert_false(listing_mentions(st, out, &adult.r[i]));
	free(out);
	out = ctl_ok(h, (const char *const[]){ "roster-list", NULL });
	for (size_t i = 0; i < all.n; i++)
		assert_true(listing_mentions(st, out, &all.r[i]));
	free(out);

	/* roster-del removes the shift. */
	ctl_ok_quiet(h, (const char *const[]){ "roster-del", id, NULL });
	shifts_of(st, CHILDREN, "ben", &ben);
	assert_int_equal(ben.n, 1);
	assert_int_equal(ben.r[0].days, ROSTER_WEEKDAYS);
	store_close(st);

	ctl_refused(h, (const char *const[]){ "roster-add", "ben", ADULT, "mon-fri", "08:00", "16:00", NULL },
		    "ben");
	ctl_refused(h,
		    (const char *const[]){ "roster-add", "nobody", ADULT, "mon-fri", "08:00", "16:00", NULL },
		    "nobody");
	ctl_refused(
		h,
		(const char *const[]){ "roster-add", "anna", "No such unit", "mon", "08:00", "16:00", NULL },
		"No such unit");
	ctl_refused(h,
		    (const char *const[]){ "roster-add", "anna", ADULT, "someday", "08:00", "16:00", NULL },
		    "someday");
	ctl_refused(h, (const char *const[]){ "roster-add", "anna", ADULT, "mon", "25:00", "26:00", NULL },
		    NULL);
	ctl_refused(h, (const char *const[]){ "roster-add", "anna", ADULT, "mon", "08:00", "08:00", NULL },
		    NULL);
	ctl_refused(h,
		    (const char *const[]){ "roster-add", "anna", ADULT, "mon", "08:00", "16:00", "--always",
					   NULL },
		    "--always");
	ctl_refused(h, (const char *const[]){ "roster-add", "anna", ADULT, "mon", "08:00", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "roster-list", "No such unit", NULL }, "No such unit");
	ctl_refused(h, (const char *const[]){ "roster-del", id, NULL }, id);
}

static void test_holidays_and_closed_days(void **state)
{
	struct harness *h = *state;
	struct cal_holiday hol[CAL_MAX_HOLIDAYS];
	char *out, date[11];
	struct store *st;
	int n;

	ctl_ok_quiet(h, (const char *const[]){ "closed-add", "2027-12-31", "New Year's Eve", NULL });
	ctl_ok_quiet(h, (const char *const[]){ "closed-add", "2028-01-03", "Stocktaking", NULL });
	st = store_open(h);
	assert_true(closed_day_stored(st, "2027-12-31"));
	assert_true(closed_day_stored(st, "2028-01-03"));
	store_close(st);
	assert_int_equal(db_count(h, "SELECT count(*) FROM closed_days WHERE name = 'New Year''s Eve'"), 1);

	/* holidays YEAR: every public holiday of the year and its closed days, not another year's. */
	out = ctl_ok(h, (const char *const[]){ "holidays", "2027", NULL });
	n = cal_holidays(2027, hol);
	assert_true(n >= 10);
	for (int i = 0; i < n; i++) {
		cal_format_date(hol[i].day, date);
		if (strstr(out, date) == NULL)
			fail_msg("holidays 2027 does not list %s (%s)", date, hol[i].en);
	}
	assert_non_null(strstr(out, "2027-12-31"));
	assert_null(strstr(out, "2028-01-03"));
	free(out);

	/* closed-del takes a closed day back. */
	ctl_ok_quiet(h, (const char *const[]){ "closed-del", "2028-01-03", NULL });
	st = store_open(h);
	assert_false(closed_day_stored(st, "2028-01-03"));
	assert_true(closed_day_stored(st, "2027-12-31"));
	store_close(st);

	ctl_refused(h, (const char *const[]){ "closed-add", "2027-02-30", "No such day", NULL },
		    "2027-02-30");
	ctl_refused(h, (const char *const[]){ "closed-add", "31.12.2027", "Finnish order", NULL },
		    "31.12.2027");
	ctl_refused(h, (const char *const[]){ "closed-add", "2027-12-24", "", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "closed-add", "2027-12-24", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "closed-del", "2028-01-03", NULL }, "2028-01-03");
	ctl_refused(h, (const char *const[]){ "holidays", "1800", NULL }, "1800");
	ctl_refused(h, (const char *const[]){ "holidays", "next", NULL }, "next");
}

static void test_queue_fallback(void **state)
{
	struct harness *h = *state;
	struct store_queue_settings qs;
	struct store_queue adult;
	struct store *st;

	ctl_ok_quiet(h, (const char *const[]){ "queue-fallback", "children-and-families", "adult-social-work",
					       NULL });
	st = store_open(h);
	queue_of(st, "adult-social-work", &adult);
	queue_settings_of(st, "children-and-families", &qs);
	assert_string_equal(qs.fallback_id, adult.id);
	store_close(st);

	ctl_refused(h,
		    (const char *const[]){ "queue-fallback", "adult-social-work", "adult-social-work", NULL },
		    "adult-social-work");
	ctl_refused(h, (const char *const[]){ "queue-fallback", "nosuch", "adult-social-work", NULL },
		    "nosuch");
	ctl_refused(h, (const char *const[]){ "queue-fallback", "children-and-families", "nosuch", NULL },
		    "nosuch");
	ctl_refused(h, (const char *const[]){ "queue-fallback", "children-and-families", NULL }, NULL);

	/* "-" takes the fallback away. */
	ctl_ok_quiet(h, (const char *const[]){ "queue-fallback", "children-and-families", "-", NULL });
	st = store_open(h);
	queue_settings_of(st, "children-and-families", &qs);
	assert_string_equal(qs.fallback_id, "");
	store_close(st);
}

static void test_queue_deadlines_and_policy(void **state)
{
	struct harness *h = *state;
	struct store_queue_settings qs;
	struct store *st;

	ctl_ok_quiet(
		h, (const char *const[]){ "queue-deadlines", "children-and-families", "5", "2", "60", NULL });
	ctl_ok_quiet(
		h, (const char *const[]){ "queue-policy", "disability-services", "least-loaded", "5", NULL });
	st = store_open(h);
	queue_settings_of(st, "children-and-families", &qs);
	assert_int_equal(qs.first_days, 5);
	assert_int_equal(qs.follow_days, 2);
	assert_int_equal(qs.warn_pct, 60);
	queue_settings_of(st, "disability-services", &qs);
	assert_int_equal(qs.policy, QUEUE_LEAST_LOADED);
	assert_int_equal(qs.cap, 5);
	store_close(st);

	ctl_refused(
		h, (const char *const[]){ "queue-deadlines", "children-and-families", "5", "2", "100", NULL },
		"100");
	ctl_refused(
		h, (const char *const[]){ "queue-deadlines", "children-and-families", "x5", "2", "60", NULL },
		"x5");
	ctl_refused(
		h, (const char *const[]){ "queue-deadlines", "children-and-families", "61", "2", "60", NULL },
		"61");
	ctl_refused(h, (const char *const[]){ "queue-deadlines", "nosuch", "5", "2", "60", NULL }, "nosuch");
	ctl_refused(h, (const char *const[]){ "queue-deadlines", "children-and-families", "5", "2", NULL },
		    NULL);
	ctl_refused(h, (const char *const[]){ "queue-policy", "disability-services", "fastest", NULL },
		    "fastest");
	ctl_refused(
		h,
		(const char *const[]){ "queue-policy", "disability-services", "least-loaded", "1001", NULL },
		"1001");
}

static void test_unit_langs_and_hours(void **state)
{
	struct harness *h = *state;
	struct store_unit_settings us;
	struct store *st;

	ctl_ok_quiet(h, (const char *const[]){ "unit-langs", DISABILITY, "sv,en", NULL });
	ctl_ok_quiet(h, (const char *const[]){ "unit-hours", DISABILITY, "09:00", "15:30", NULL });
	st = store_open(h);
	unit_settings_of(st, DISABILITY, &us);
	assert_string_equal(us.langs, "sv,en");
	assert_int_equal(us.open_min, 9 * 60);
	assert_int_equal(us.close_min, 15 * 60 + 30);
	store_close(st);

	ctl_refused(h, (const char *const[]){ "unit-langs", DISABILITY, "fi,de", NULL }, "fi,de");
	ctl_refused(h, (const char *const[]){ "unit-langs", "Nowhere", "fi", NULL }, "Nowhere");
	ctl_refused(h, (const char *const[]){ "unit-langs", DISABILITY, NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "unit-hours", DISABILITY, "16:00", "08:00", NULL }, "16:00");
	ctl_refused(h, (const char *const[]){ "unit-hours", DISABILITY, "9am", "15:00", NULL }, "9am");
	ctl_refused(h, (const char *const[]){ "unit-hours", "Nowhere", "09:00", "15:00", NULL }, "Nowhere");
	ctl_refused(h, (const char *const[]){ "unit-hours", DISABILITY, "09:00", NULL }, NULL);
}

static void test_route_add(void **state)
{
	struct harness *h = *state;
	char queue_id[STORE_ID_SIZE];
	struct store_queue adult;
	struct store *st;

	ctl_ok_quiet(h, (const char *const[]){ "route-add", "disability-services", "sv", "adult-social-work",
					       NULL });
	st = store_open(h);
	queue_of(st, "adult-social-work", &adult);
	assert_int_equal(st->ops->queue->route_get(st, "disability-services", "sv", queue_id), STORE_OK);
	assert_string_equal(queue_id, adult.id);
	assert_int_not_equal(st->ops->queue->route_get(st, "disability-services", "en", queue_id), STORE_OK);
	store_close(st);

	ctl_refused(
		h,
		(const char *const[]){ "route-add", "disability-services", "deu", "adult-social-work", NULL },
		"deu");
	ctl_refused(h, (const char *const[]){ "route-add", "nosuch", "sv", "adult-social-work", NULL },
		    "nosuch");
	ctl_refused(h, (const char *const[]){ "route-add", "disability-services", "en", "nosuch", NULL },
		    "nosuch");
	ctl_refused(h, (const char *const[]){ "route-add", "disability-services", "en", NULL }, NULL);
	ctl_refused(h, (const char *const[]){ "route-del", "disability-services", "en", NULL },
		    "disability-services");

	/* route-del takes it back. */
	ctl_ok_quiet(h, (const char *const[]){ "route-del", "disability-services", "sv", NULL });
	st = store_open(h);
	assert_int_not_equal(st->ops->queue->route_get(st, "disability-services", "sv", queue_id), STORE_OK);
	store_close(st);
}

/* The setup code in advicectl's output: four groups of four base32 characters. */
static void find_setup_code(const char *out, char code[STAFF_SETUP_CODE_SIZE])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

	for (const char *p = out; strlen(p) >= STAFF_SETUP_CODE_LEN; p++) {
		int ok = 1;

		for (int i = 0; i < STAFF_SETUP_CODE_LEN && ok; i++)
			ok = i % 5 == 4 ? p[i] == '-' : p[i] != '\0' && strchr(b32, p[i]) != NULL;
		if (ok && (p == out || strchr(b32, p[-1]) == NULL)) {
			memcpy(code, p, STAFF_SETUP_CODE_LEN);
			code[STAFF_SETUP_CODE_LEN] = '\0';
			return;
		}
	}
	fail_msg("no setup code in: %s", out);
}

static void test_worker_reset(void **state)
{
	struct harness *h = *state;
	char *session = NULL, *fresh = NULL, *secret = NULL, *out, code[STAFF_SETUP_CODE_SIZE];
	struct advice_conn *k;
	struct store_staff s;
	struct store *st;
	int rc;

	/* ben, logged in with password and second factor, forgets his password. */
	assert_int_equal(harness_login_worker(h, "ben", &session), 0);
	ctl_refused(h, (const char *const[]){ "worker-reset", "nobody", NULL }, "nobody");
	ctl_refused(h, (const char *const[]){ "worker-reset", NULL }, NULL);
	out = ctl_ok(h, (const char *const[]){ "worker-reset", "ben", NULL });
	find_setup_code(out, code);
	free(out);

	st = store_open(h);
	staff_of(st, "ben", &s);
	assert_int_equal(s.has_setup, 1);
	assert_true(s.setup_expires > (int64_t)time(NULL) * 1000);
	assert_int_equal(s.password_set, 0);
	assert_int_equal(s.totp_len, 0);
	store_close(st);

	/* His session is revoked, the old password no longer works, the new code does. */
	k = advice_connect(h->client, h->base_url, h->origin, session, HARNESS_TIMEOUT_MS, &rc);
	assert_null(k);
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "ben", "ben-demo", &fresh,
					     HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_BAD_CREDENTIALS);
	assert_int_equal(advice_worker_enrol(h->client, h->base_url, h->origin, "ben", NULL, code, &secret,
					     HARNESS_TIMEOUT_MS),
			 0);
	assert_non_null(secret);
	free(secret);
	free(session);
}

static void test_totp_reset(void **state)
{
	struct harness *h = *state;
	char *session = NULL, *secret = NULL;
	struct store_staff s;
	struct store *st;

	/* sara has the demo second factor: enrolling another is refused. */
	assert_int_equal(advice_worker_enrol(h->client, h->base_url, h->origin, "sara", "sara-demo", NULL,
					     &secret, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_CONFLICT);
	ctl_refused(h, (const char *const[]){ "totp-reset", "nobody", NULL }, "nobody");
	ctl_refused(h, (const char *const[]){ "totp-reset", "sara", "anna", NULL }, NULL);

	/* She loses her authenticator: after totp-reset her next login enrols again. */
	ctl_ok_quiet(h, (const char *const[]){ "totp-reset", "sara", NULL });
	st = store_open(h);
	staff_of(st, "sara", &s);
	assert_int_equal(s.totp_len, 0);
	assert_int_equal(s.totp_pending_len, 0);
	assert_int_equal(s.has_setup, 0); /* the password stays */
	store_close(st);
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "sara", "sara-demo", &session,
					     HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_ENROL_REQUIRED);
	assert_int_equal(advice_worker_enrol(h->client, h->base_url, h->origin, "sara", "sara-demo", NULL,
					     &secret, HARNESS_TIMEOUT_MS),
			 0);
	assert_non_null(secret);
	free(secret);
}

/* One server for the file, with the demo accounts' published second factor (as `run.sh`
 * makes them); the demo test runs first, before the other tests change the data. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_units_accounts_roster_policies),
		cmocka_unit_test(test_init_secrets_mode_600),
		cmocka_unit_test(test_init_refusals),
		cmocka_unit_test(test_init_pepper_file),
		cmocka_unit_test(test_init_credentials),
		cmocka_unit_test(test_unit_add_and_queue_add),
		cmocka_unit_test(test_roster_add_and_list),
		cmocka_unit_test(test_holidays_and_closed_days),
		cmocka_unit_test(test_queue_fallback),
		cmocka_unit_test(test_queue_deadlines_and_policy),
		cmocka_unit_test(test_unit_langs_and_hours),
		cmocka_unit_test(test_route_add),
		cmocka_unit_test(test_worker_reset),
		cmocka_unit_test(test_totp_reset),
	};

	return cmocka_run_group_tests(tests, itest_group_setup_demo_totp, itest_group_teardown);
}
