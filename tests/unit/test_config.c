/*
 * test_config.c - the configuration table: defaults, values, and every kind of error
 * naming its line; every problem of a file reported at once, the warnings about origins,
 * and the required settings marked in --help-config (O: operations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static int parse(struct config *c, const char *text, char *err, size_t errlen)
{
	config_defaults(c);
	return config_parse(c, text, strlen(text), "/srv/advice", err, errlen);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1");
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.max_message_bytes, 65536);
	assert_int_equal(c.staff_idle_s, 1800);
	assert_int_equal(c.staff_abs_s, 43200);
	assert_int_equal(c.test_mode, 0);
	assert_string_equal(c.idp_hetu_claim, "hetu");
}

static void test_values_and_relative_paths(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c,
			       "# comment\n\nport = 9000  # trailing\n"
			       "origins = https://a.example, http://localhost:9000\n"
			       "data_dir = data\nweb_root = /var/www\ntest_mode = yes\n",
			       err, sizeof err),
			 0);
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.norigins, 2);
	assert_string_equal(c.origins[0], "https://a.example");
	assert_string_equal(c.origins[1], "http://localhost:9000");
	assert_string_equal(c.data_dir, "/srv/advice/data");
	assert_string_equal(c.web_root, "/var/www");
	assert_string_equal(c.database, "/srv/advice/data/advice.db");
	assert_string_equal(c.pepper_file, "/srv/advice/data/secrets/pepper");
	assert_int_equal(c.test_mode, 1);
}

static void expect_error(const char *text, const char *needle)
{
	struct config c;
	char err[256] = "";

	assert_int_equal(parse(&c, text, err, sizeof err), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("colour = blue\n", "line 1: unknown setting");
	expect_error("port = 80\nport = 81\n", "line 2: port: set twice");
	expect_error("\nport = 70000\n", "line 2: port: 70000 is out of range 1..65535");
	expect_error("max_inflight = 0\n", "max_inflight: 0 is out of range 1..10000");
	/* One thread.read reply (ADVICE_MAX_REPLY_BYTES) must fit twice in the outbound queue. */
	expect_error("outq_max_bytes = 524287\n", "outq_max_bytes: 524287 is out of range 524288..268435456");
	expect_error("port = 80x\n", "not an integer");
	expect_error("port\n", "expected name = value");
	expect_error("test_mode = maybe\n", "expected yes or no");
	expect_error("origins = ftp://x\n", "not scheme://host");
	expect_error("origins = https://x/path\n", "not scheme://host");
	expect_error("origins = http://\n", "not scheme://host");
	expect_error("log_level = loud\n", "unknown level");
	expect_error("origins = "
		     "http://a,http://b,http://c,http://d,http://e,http://f,http://g,http://h,http://i\n",
		     "more than 8");
}

static void test_validate(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, "web_root = /w\npepper_file = /etc/adviced/pepper\n", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "origins"));
	assert_int_equal(parse(&c,
			       "web_root = /w\npepper_file = /etc/adviced/pepper\norigins = "
			       "http://h\nidp_issuer = i\nidp_audience = a\n"
			       "idp_keys_file = k\ntls_cert = c\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "tls_cert and tls_key"));
	assert_int_equal(parse(&c,
			       "web_root = /w\npepper_file = /etc/adviced/pepper\norigins = "
			       "http://h\nidp_issuer = i\nidp_audience = a\n"
			       "idp_keys_file = k\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
}

/* Where the pepper may be: outside the data folder, however the path is written; inside it
 * only in test mode. */
static void test_pepper_outside_data_folder(void **state)
{
	char dir[256], sub[300], err[256];
	struct config c;

	(void)state;
	snprintf(dir, sizeof dir, "%s/advice-cfg-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/secrets", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_true(config_path_inside(sub, dir));
	snprintf(sub, sizeof sub, "%s/secrets/../secrets/pepper", dir);
	assert_true(config_path_inside(sub, dir));
	snprintf(sub, sizeof sub, "%s/not-yet/pepper", dir);
	assert_true(config_path_inside(sub, dir));
	snprintf(sub, sizeof sub, "%s-other/pepper", dir); /* a prefix of the name is not inside */
	assert_false(config_path_inside(sub, dir));
	assert_false(config_path_inside("/etc/adviced/pepper", dir));
	assert_true(config_path_inside("/etc/adviced/pepper", "/"));

	assert_int_equal(parse(&c,
			       "web_root = /w\norigins = http://h\nidp_issuer = i\nidp_audience = a\n"
			       "idp_keys_file = k\ndata_dir = /srv/advice\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "pepper_file: /srv/advice/secrets/pepper is inside the data folder"));
	c.test_mode = 1;
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	snprintf(sub, sizeof sub, "%s/secrets", dir);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_load_missing_file(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, "/nonexistent/adviced.conf", err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* The problems a check reported, in order. */
struct problems {
	int n, warnings;
	char text[16][256];
};

static void collect(void *arg, int warning, const char *problem)
{
	struct problems *p = arg;

	assert_true(p->n < 16);
	snprintf(p->text[p->n++], sizeof p->text[0], "%s%s", warning ? "warning: " : "", problem);
	p->warnings += warning;
}

static void expect_problem(const struct problems *p, const char *needle)
{
	for (int i = 0; i < p->n; i++)
		if (strstr(p->text[i], needle) != NULL)
			return;
	fail_msg("no problem mentions '%s' (%d reported)", needle, p->n);
}

/* The settings that go together: a check names every one missing, not only the first. */
static void test_check_reports_every_error(void **state)
{
	struct problems p = { 0 };
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c,
			       "tls_cert = c\noidc_authorize_url = https://b/a\noidc_profile = odd\n"
			       "pepper_file = /etc/adviced/pepper\n"
			       "backoff_after = 10\nlock_after = 10\nping_interval_s = 80\n"
			       "smtp_host = mail.example.fi\nstaff_idle_s = 300\nsession_warn_s = 300\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_check(&c, collect, &p), 16);
	expect_problem(&p, "origins: at least one");
	expect_problem(&p, "tls_cert and tls_key go together");
	expect_problem(&p, "idp_issuer is required");
	expect_problem(&p, "idp_audience is required");
	expect_problem(&p, "oidc_token_url is required with oidc_authorize_url");
	expect_problem(&p, "oidc_jwks_url is required with oidc_authorize_url");
	expect_problem(&p, "oidc_redirect_uri is required with oidc_authorize_url");
	expect_problem(&p, "oidc_sig_key is required with oidc_authorize_url");
	expect_problem(&p, "oidc_enc_key is required with oidc_authorize_url");
	expect_problem(&p, "oidc_profile: ftn or plain");
	expect_problem(&p, "public_url: notifications need");
	expect_problem(&p, "mail_from: a plain address");
	expect_problem(&p, "web_root is required");
	expect_problem(&p, "backoff_after must be smaller");
	expect_problem(&p, "idle_timeout_s must be longer than ping_interval_s");
	expect_problem(&p, "session_warn_s must be shorter than citizen_idle_s and staff_idle_s");
	assert_int_equal(p.warnings, 0);
	/* config_validate keeps the first of them. */
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_string_equal(err, "origins: at least one allowed Origin is needed");
}

static const char *const valid = "web_root = /w\npepper_file = /etc/adviced/pepper\norigins = "
				 "https://advice.example.fi\nidp_issuer = i\n"
				 "idp_audience = a\nidp_keys_file = k\ntest_mode = yes\n";

/* public_url's origin missing from origins, or another origin beside it: warnings only. */
static void test_origins_against_public_url(void **state)
{
	char text[1024], err[256];
	struct problems p = { 0 };
	struct config c;

	(void)state;
	snprintf(text, sizeof text, "%spublic_url = https://advice.example.fi:443/path\n", valid);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);
	assert_int_equal(p.n, 0);

	snprintf(text, sizeof text, "%spublic_url = https://neuvonta.example.fi/\n", valid);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.text[0], "warning: origins: public_url's origin https://neuvonta.example.fi is "
				       "not among them, so browsers at the public address are refused (add "
				       "it to origins)");
	assert_int_equal(config_validate(&c, err, sizeof err), 0);

	/* Outside test mode an origin beside the public one is named too, and so is a missing
	 * bank-ID login. */
	memset(&p, 0, sizeof p);
	assert_int_equal(parse(&c,
			       "web_root = /w\npepper_file = /etc/adviced/pepper\norigins = "
			       "https://advice.example.fi, http://localhost:8080\n"
			       "idp_issuer = i\nidp_audience = a\nidp_keys_file = k\n"
			       "public_url = https://advice.example.fi\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_check(&c, collect, &p), 0);
	assert_int_equal(p.warnings, 2);
	expect_problem(&p, "warning: oidc_authorize_url: not set, so no citizen can log in");
	expect_problem(&p, "warning: origins: http://localhost:8080 is not public_url's origin "
			   "https://advice.example.fi");
}

/* A complete bank-ID login configuration over `scheme` (http or https), in or out of test mode. */
static void oidc_text(char *out, size_t size, const char *scheme, int test_mode)
{
	snprintf(out, size,
		 "web_root = /w\npepper_file = /etc/adviced/pepper\norigins = "
		 "https://advice.example.fi\nidp_audience = a\n"
		 "idp_issuer = %s://bank.example\noidc_authorize_url = %s://bank.example/authorize\n"
		 "oidc_token_url = %s://bank.example/token\noidc_jwks_url = %s://bank.example/jwks\n"
		 "oidc_redirect_uri = %s://advice.example.fi/api/v1/auth/bank/callback\n"
		 "oidc_sig_key = s.pem\noidc_enc_key = e.pem\ntest_mode = %s\n",
		 scheme, scheme, scheme, scheme, scheme, test_mode ? "yes" : "no");
}

/* Outside test mode the identity provider's issuer and endpoints, and our callback, must be
 * https: each plain-http one is named. In test mode (the test bank on localhost) http is fine. */
static void test_oidc_urls_https_outside_test_mode(void **state)
{
	char text[1024], err[256];
	struct problems p = { 0 };
	struct config c;

	(void)state;
	oidc_text(text, sizeof text, "https", 0);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);

	oidc_text(text, sizeof text, "http", 0);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 5);
	expect_problem(&p, "idp_issuer: an https:// address (plain http only in test mode)");
	expect_problem(&p, "oidc_authorize_url: an https:// address");
	expect_problem(&p, "oidc_token_url: an https:// address");
	expect_problem(&p, "oidc_jwks_url: an https:// address");
	expect_problem(&p, "oidc_redirect_uri: an https:// address");
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_string_equal(err, "idp_issuer: an https:// address (plain http only in test mode)");

	memset(&p, 0, sizeof p);
	oidc_text(text, sizeof text, "http", 1);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);

	/* neither scheme at all, even in test mode */
	oidc_text(text, sizeof text, "ftp", 1);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 5);
}

/* oidc_acr_values: the levels requested are the only ones accepted, so there must be one;
 * a test-bed level is refused outside test mode. */
static void test_acr_values_checked(void **state)
{
	char text[1200], err[256];
	struct problems p = { 0 };
	struct config c;

	(void)state;
	oidc_text(text, sizeof text, "https", 0);
	strcat(text, "oidc_acr_values = http://ftn.ficora.fi/2017/loa3 http://eidas.europa.eu/LoA/high\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);

	oidc_text(text, sizeof text, "https", 0);
	strcat(text, "oidc_acr_values =\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 1);
	expect_problem(&p, "oidc_acr_values: at least one level of assurance");

	memset(&p, 0, sizeof p);
	oidc_text(text, sizeof text, "https", 0);
	strcat(text, "oidc_acr_values = http://ftn.ficora.fi/2017/loa2 http://ftn.ficora.fi/2017/loatest2\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 1);
	expect_problem(&p, "oidc_acr_values: test-bed levels (loatest) only in test mode");

	memset(&p, 0, sizeof p);
	oidc_text(text, sizeof text, "https", 1);
	strcat(text, "oidc_acr_values = http://ftn.ficora.fi/2017/loatest2\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);
}

/* The public front page's settings: the exit address is https (http in test mode only), the
 * numbers are phone numbers; the social emergency number may be left out. */
static void test_front_page_settings_checked(void **state)
{
	char text[1400], err[256];
	struct problems p = { 0 };
	struct config c;

	(void)state;
	oidc_text(text, sizeof text, "https", 0);
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_string_equal(c.exit_url, "https://www.ilmatieteenlaitos.fi/");
	assert_string_equal(c.emergency_number, "112");
	assert_string_equal(c.social_emergency_number, "");
	assert_int_equal(config_check(&c, collect, &p), 0);

	oidc_text(text, sizeof text, "https", 0);
	strcat(text, "exit_url = http://news.example/\nemergency_number = 11a\n"
		     "social_emergency_number = call us\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 3);
	expect_problem(&p, "exit_url: an https:// address (plain http only in test mode)");
	expect_problem(&p, "emergency_number: digits, spaces, + and - only");
	expect_problem(&p, "social_emergency_number: digits, spaces, + and - only");

	memset(&p, 0, sizeof p);
	oidc_text(text, sizeof text, "https", 1);
	strcat(text, "exit_url = http://127.0.0.1:9/\nemergency_number = +358 112\n"
		     "social_emergency_number = 0800 12 345\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 0);
	assert_string_equal(c.social_emergency_number, "0800 12 345");

	oidc_text(text, sizeof text, "https", 1);
	strcat(text, "exit_url =\nemergency_number = -\n");
	assert_int_equal(parse(&c, text, err, sizeof err), 0);
	assert_int_equal(config_check(&c, collect, &p), 2);
	expect_problem(&p, "exit_url: an https:// address");
	expect_problem(&p, "emergency_number: digits, spaces, + and - only");
}

/* Reading a file goes on past bad lines: each is reported with its number. */
static void test_load_all_reads_past_bad_lines(void **state)
{
	static const char text[] = "port = 0\nport\nweb_root = /w\nweb_root = /x\nlisten = ::1\n";
	char path[] = "/tmp/test_config_XXXXXX";
	struct problems p = { 0 };
	struct config c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	config_defaults(&c);
	assert_int_equal(config_load_all(&c, path, collect, &p), 3);
	assert_string_equal(p.text[0], "line 1: port: 0 is out of range 1..65535");
	assert_string_equal(p.text[1], "line 2: expected name = value");
	assert_string_equal(p.text[2], "line 4: web_root: set twice");
	assert_string_equal(c.listen, "::1");
	unlink(path);
	memset(&p, 0, sizeof p);
	assert_int_equal(config_load_all(&c, "/nonexistent/adviced.conf", collect, &p), 1);
	assert_string_equal(p.text[0], "No such file or directory");
}

/* --help-config marks the settings a configuration cannot do without. */
static void test_help_marks_required(void **state)
{
	static const char *const entries[] = {
		"web_root             path     (default '')\n"
		"    folder of the browser app (client-web) served at /\n    * required\n",
		"idp_issuer           string   (default '')\n"
		"    issuer (iss) of citizen ID tokens (https with the bank-ID login)\n    * required\n",
		"idp_keys_file        path     (default '')\n"
		"    identity provider's public keys: JSON list of {kid, alg, pem}\n"
		"    * required unless oidc_authorize_url is set\n",
		"oidc_jwks_url        string   (default '')\n"
		"    identity provider's JWKS, its signing keys (https)\n    * required with "
		"oidc_authorize_url\n",
	};
	char *text;
	FILE *f = tmpfile();
	int saved = dup(1);
	long n;

	(void)state;
	assert_non_null(f);
	fflush(stdout);
	assert_true(dup2(fileno(f), 1) >= 0);
	config_print_help();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
		if (strstr(text, entries[i]) == NULL)
			fail_msg("--help-config lacks:\n%s", entries[i]);
	/* An optional setting is not marked. */
	assert_non_null(strstr(text, "port                 integer  1..65535 (default '8080')\n"
				     "    TCP port for HTTP and WebSocket\nweb_root"));
	free(text);
}

/* Secrets from systemd credentials: an empty secret setting takes its credential when the
 * file exists and the setting it goes with is set; a setting naming a file wins; without the
 * credential the setting stays empty. */
static void test_secrets_default_to_credentials(void **state)
{
	const char *const names[] = { "pepper", "oidc-sig.pem", "tls.key", "sms-token" };
	char dir[] = "/tmp/advice-creds-unit-XXXXXX", path[300], err[256];
	struct config c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("x\n", f);
		fclose(f);
	}
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	assert_int_equal(
		parse(&c,
		      "oidc_authorize_url = https://b.example/a\noidc_enc_key = /etc/adviced/enc.pem\n"
		      "tls_cert = /etc/adviced/tls.crt\nsms_url = https://sms.example/\n",
		      err, sizeof err),
		0);
	snprintf(path, sizeof path, "%s/pepper", dir);
	assert_string_equal(c.pepper_file, path);
	snprintf(path, sizeof path, "%s/oidc-sig.pem", dir);
	assert_string_equal(c.oidc_sig_key, path);
	assert_string_equal(c.oidc_enc_key, "/etc/adviced/enc.pem"); /* named: wins */
	snprintf(path, sizeof path, "%s/tls.key", dir);
	assert_string_equal(c.tls_key, path);
	snprintf(path, sizeof path, "%s/sms-token", dir);
	assert_string_equal(c.sms_token_file, path);
	assert_string_equal(c.smtp_password_file, ""); /* no credential smtp-password */
	/* Without the setting it goes with, a credential is not taken. */
	assert_int_equal(parse(&c, "web_root = /w\n", err, sizeof err), 0);
	assert_string_equal(c.oidc_sig_key, "");
	assert_string_equal(c.tls_key, "");
	assert_string_equal(c.sms_token_file, "");
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	assert_int_equal(parse(&c, "tls_cert = /etc/adviced/tls.crt\n", err, sizeof err), 0);
	assert_string_equal(c.tls_key, "");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_and_relative_paths),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_check_reports_every_error),
		cmocka_unit_test(test_origins_against_public_url),
		cmocka_unit_test(test_oidc_urls_https_outside_test_mode),
		cmocka_unit_test(test_pepper_outside_data_folder),
		cmocka_unit_test(test_acr_values_checked),
		cmocka_unit_test(test_front_page_settings_checked),
		cmocka_unit_test(test_load_all_reads_past_bad_lines),
		cmocka_unit_test(test_help_marks_required),
		cmocka_unit_test(test_secrets_default_to_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
