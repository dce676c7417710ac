/*
 * test_log.c - the operational log's msg quoting (server/log.h): the escapes, text kept as it
 * is, and a message cut short without splitting an escape or losing its closing quote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void test_quote_escapes(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(log_quote(out, sizeof out, "plain text"), 12);
	assert_string_equal(out, "\"plain text\"");
	log_quote(out, sizeof out, "say \"hi\" \\ done");
	assert_string_equal(out, "\"say \\\"hi\\\" \\\\ done\"");
	log_quote(out, sizeof out, "two\nlines\tand\r\x01\x1f\x7f");
	assert_string_equal(out, "\"two\\nlines\\tand\\r\\x01\\x1f\\x7f\"");
	log_quote(out, sizeof out, "Hyvää päivää");
	assert_string_equal(out, "\"Hyvää päivää\"");
	log_quote(out, sizeof out, "");
	assert_string_equal(out, "\"\"");
}

static void test_quote_cut_short(void **state)
{
	char out[8];

	(void)state;
	/* Room for 5 characters inside the quotes: "abcde" */
	assert_int_equal(log_quote(out, sizeof out, "abcdefgh"), 7);
	assert_string_equal(out, "\"abcde\"");
	/* An escape that does not fit is left out whole. */
	log_quote(out, sizeof out, "abcd\n");
	assert_string_equal(out, "\"abcd\"");
	assert_int_equal(log_quote(out, 2, "x"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_escapes),
		cmocka_unit_test(test_quote_cut_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
