/*
 * test_config.c - the configuration table: defaults, values, and every kind of error
 * naming its line (O: operations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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
	expect_error("\nport = 70000\n", "line 2: port: 70000 is outside");
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
	assert_int_equal(parse(&c, "web_root = /w\n", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "origins"));
	assert_int_equal(parse(&c,
			       "web_root = /w\norigins = http://h\nidp_issuer = i\nidp_audience = a\n"
			       "idp_keys_file = k\ntls_cert = c\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "tls_cert and tls_key"));
	assert_int_equal(parse(&c,
			       "web_root = /w\norigins = http://h\nidp_issuer = i\nidp_audience = a\n"
			       "idp_keys_file = k\n",
			       err, sizeof err),
			 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_and_relative_paths),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_load_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
