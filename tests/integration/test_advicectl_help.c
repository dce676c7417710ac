/*
 * test_advicectl_help.c - advicectl explains itself: `help` lists the commands, `help X` and
 * `X --help` explain each one listed, an unknown command exits 2 with a pointer to `help`,
 * no arguments print the usage, and `--version` gives the project version on advicectl and
 * adviced. Every command `help` lists as going to adviced is known to the running adviced
 * (never "unknown command"), so dispatch, help and the server cannot disagree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "itest.h"

#define MAX_COMMANDS 128

/* Runs the program named by environment variable `env` with argv[1..] = args (NULL-ended),
 * standard input from /dev/null. */
static void run(const char *env, const char *const args[], struct itest_run *r)
{
	const char *prog = getenv(env);
	char *argv[16];
	size_t n = 0;

	if (prog == NULL || *prog == '\0')
		fail_msg("$%s is not set", env);
	argv[n++] = (char *)prog;
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(n < sizeof argv / sizeof argv[0] - 1);
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	itest_run_argv(argv, NULL, r);
}

/* The commands `advicectl help` lists ("  NAME  summary" lines), and whether each one is
 * marked as not going to adviced. Returns how many. */
static size_t listed_commands(char names[][32], int offline[])
{
	struct itest_run r;
	size_t n = 0;
	char *line, *save = NULL;

	run("ADVICECTL", (const char *const[]){ "help", NULL }, &r);
	assert_int_equal(r.status, 0);
	for (line = strtok_r(r.out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  ", 2) != 0 || line[2] == ' ')
			continue;
		assert_true(n < MAX_COMMANDS);
		assert_true(sscanf(line + 2, "%31s", names[n]) == 1);
		offline[n] = strstr(line, "(offline)") != NULL ||
			     strstr(line, "(to a server's URL)") != NULL || strcmp(names[n], "help") == 0;
		n++;
	}
	itest_run_free(&r);
	return n;
}

static void test_help_explains_every_listed_command(void **state)
{
	char names[MAX_COMMANDS][32];
	int offline[MAX_COMMANDS];
	size_t n = listed_commands(names, offline);
	static const char *const promised[] = {
		"queue-fallback", "unit-langs", "unit-hours",	  "route-add",
		"roster-add",	  "worker-add", "worker-certify", "dev-token"
	};

	(void)state;
	assert_true(n >= 30);
	for (size_t p = 0; p < sizeof promised / sizeof promised[0]; p++) {
		size_t i = 0;

		while (i < n && strcmp(names[i], promised[p]) != 0)
			i++;
		if (i == n)
			fail_msg("advicectl help does not list %s", promised[p]);
	}
	for (size_t i = 0; i < n; i++) {
		struct itest_run help, opt;
		char usage[64];

		run("ADVICECTL", (const char *const[]){ "help", names[i], NULL }, &help);
		run("ADVICECTL", (const char *const[]){ names[i], "--help", NULL }, &opt);
		snprintf(usage, sizeof usage, "usage: advicectl %s%s", offline[i] ? "" : "-d DIR ", names[i]);
		if (help.status != 0 || strstr(help.out, "Example:\n  ") == NULL ||
		    (strncmp(help.out, usage, strlen(usage)) != 0 && !offline[i]) ||
		    strncmp(help.out, "usage: advicectl ", 17) != 0 || strstr(help.out, names[i]) == NULL)
			fail_msg("advicectl help %s: exit %d, output:\n%s", names[i], help.status, help.out);
		assert_int_equal(opt.status, 0);
		assert_string_equal(opt.out, help.out);
		itest_run_free(&help);
		itest_run_free(&opt);
	}
}

static void test_unknown_command_exits_2(void **state)
{
	struct itest_run r;

	(void)state;
	run("ADVICECTL", (const char *const[]){ "frobnicate", "x", NULL }, &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "advicectl: unknown command frobnicate; `advicectl help` lists them\n");
	itest_run_free(&r);
	run("ADVICECTL", (const char *const[]){ "-d", "data", "frobnicate", NULL }, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command frobnicate; `advicectl help` lists them"));
	itest_run_free(&r);
	run("ADVICECTL", (const char *const[]){ "help", "frobnicate", NULL }, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command frobnicate; `advicectl help` lists them"));
	itest_run_free(&r);
}

static void test_usage_without_arguments(void **state)
{
	struct itest_run r;

	(void)state;
	run("ADVICECTL", (const char *const[]){ NULL }, &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_true(strncmp(r.err, "usage: advicectl -d DIR [--json] COMMAND", 40) == 0);
	assert_non_null(strstr(r.err, "queue-fallback"));
	assert_non_null(strstr(r.err, "`advicectl help`"));
	itest_run_free(&r);
}

/* Wrong arguments to a command and a command used without its data folder: exit 2 with
 * the command's synopsis or what it needs. */
static void test_wrong_arguments_show_the_synopsis(void **state)
{
	struct itest_run r;

	(void)state;
	run("ADVICECTL", (const char *const[]){ "root-create", NULL }, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: advicectl root-create FILE\n"));
	itest_run_free(&r);
	run("ADVICECTL", (const char *const[]){ "unit-add", "Adult social work", NULL }, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unit-add needs the data folder: advicectl -d DIR unit-add"));
	itest_run_free(&r);
}

static void test_version_on_both_programs(void **state)
{
	struct itest_run r;

	(void)state;
	run("ADVICECTL", (const char *const[]){ "--version", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "advicectl " ADVICE_VERSION "\n");
	itest_run_free(&r);
	run("ADVICED", (const char *const[]){ "--version", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "adviced " ADVICE_VERSION "\n");
	itest_run_free(&r);
}

/* Whether the command takes no argument (its synopsis has none, or only optional ones). */
static int takes_no_argument(const char *name)
{
	static const char *const none[] = { "audit-verify",   "roster-list", "unit-list",
					    "queue-list",     "worker-list", "retention-run",
					    "privacy-notice", "requests",    "disclosure-list",
					    "connector-list" };

	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if (strcmp(name, none[i]) == 0)
			return 1;
	return 0;
}

/* Each command listed as going to adviced, sent without arguments to a running adviced, is
 * refused for its arguments, never as an unknown command; those that take none run. */
static void test_adviced_knows_every_listed_command(void **state)
{
	struct harness h = { 0 };
	char names[MAX_COMMANDS][32];
	int offline[MAX_COMMANDS];
	size_t n = listed_commands(names, offline), online = 0;

	(void)state;
	assert_int_equal(harness_start(&h), 0);
	for (size_t i = 0; i < n; i++) {
		struct itest_run r;

		if (offline[i])
			continue;
		run("ADVICECTL", (const char *const[]){ "-d", h.dir, names[i], NULL }, &r);
		if ((r.status == 0) != takes_no_argument(names[i]) || strstr(r.err, "unknown") != NULL ||
		    strstr(r.err, "not running") != NULL)
			fail_msg("advicectl -d DIR %s: exit %d: %s", names[i], r.status, r.err);
		itest_run_free(&r);
		online++;
	}
	assert_true(online >= 25);
	assert_int_equal(harness_stop(&h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_explains_every_listed_command),
		cmocka_unit_test(test_unknown_command_exits_2),
		cmocka_unit_test(test_usage_without_arguments),
		cmocka_unit_test(test_wrong_arguments_show_the_synopsis),
		cmocka_unit_test(test_version_on_both_programs),
		cmocka_unit_test(test_adviced_knows_every_listed_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
