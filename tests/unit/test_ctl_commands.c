/*
 * test_ctl_commands.c - advicectl's command table (tools/ctl_commands.c), the one source of
 * its dispatch and its help: every entry is complete and in a known group, names are unique,
 * every example runs the command it documents, the key commands are exactly the ones the
 * core takes records for, and the help printed from an entry says what the entry says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin_keys.h"
#include "ctl_commands.h"

static int group_known(const char *group)
{
	for (size_t g = 0; g < ctl_ngroups; g++)
		if (strcmp(group, ctl_groups[g]) == 0)
			return 1;
	return 0;
}

static void test_every_entry_is_complete(void **state)
{
	(void)state;
	assert_true(ctl_ncommands >= 30);
	for (size_t i = 0; i < ctl_ncommands; i++) {
		const struct ctl_command *c = &ctl_commands[i];

		assert_non_null(c->args);
		if (c->name[0] == '\0' || c->summary[0] == '\0' || c->description[0] == '\0' ||
		    c->example[0] == '\0' || !group_known(c->group))
			fail_msg("command %s: an empty field or an unknown group", c->name);
		if (c->summary[strlen(c->summary) - 1] == '.')
			fail_msg("command %s: the summary is a phrase without a full stop", c->name);
	}
}

static void test_names_unique_and_found(void **state)
{
	(void)state;
	for (size_t i = 0; i < ctl_ncommands; i++) {
		assert_ptr_equal(ctl_command_find(ctl_commands[i].name), &ctl_commands[i]);
		for (size_t j = i + 1; j < ctl_ncommands; j++)
			assert_string_not_equal(ctl_commands[i].name, ctl_commands[j].name);
	}
	assert_null(ctl_command_find("no-such-command"));
	assert_null(ctl_command_find(""));
}

/* An example names the command as advicectl would read it: after "-d data " when it needs a
 * data folder, right after "advicectl " otherwise. */
static void test_examples_run_their_command(void **state)
{
	(void)state;
	for (size_t i = 0; i < ctl_ncommands; i++) {
		const struct ctl_command *c = &ctl_commands[i];
		char want[96];

		snprintf(want, sizeof want, "advicectl %s%s", ctl_command_needs_dir(c) ? "-d data " : "",
			 c->name);
		if (strstr(c->example, want) == NULL)
			fail_msg("command %s: its example does not run `%s`", c->name, want);
	}
}

/* The key commands sign on the admin's machine and send records; the core takes records
 * for exactly these (admin_keys_command). */
static void test_key_commands_match_the_core(void **state)
{
	(void)state;
	for (size_t i = 0; i < ctl_ncommands; i++) {
		const struct ctl_command *c = &ctl_commands[i];

		if ((c->run == CTL_SERVER_KEYS) != admin_keys_command(c->name))
			fail_msg("command %s: advicectl and the core disagree on whether it is a key command",
				 c->name);
	}
}

static void test_offline_commands(void **state)
{
	(void)state;
	assert_true(ctl_command_offline(ctl_command_find("init")));
	assert_false(ctl_command_needs_dir(ctl_command_find("init")));
	assert_true(ctl_command_offline(ctl_command_find("root-create")));
	assert_true(ctl_command_offline(ctl_command_find("dev-token")));
	assert_true(ctl_command_needs_dir(ctl_command_find("dev-token")));
	assert_false(ctl_command_offline(ctl_command_find("unit-add")));
	assert_true(ctl_command_needs_dir(ctl_command_find("unit-add")));
	assert_false(ctl_command_offline(ctl_command_find("worker-certify")));
}

/* What `help COMMAND` prints for each entry holds its synopsis, description and example. */
static void test_help_prints_the_entry(void **state)
{
	(void)state;
	for (size_t i = 0; i < ctl_ncommands; i++) {
		const struct ctl_command *c = &ctl_commands[i];
		char *text = NULL, synopsis[256];
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		ctl_print_help(f, c);
		fclose(f);
		snprintf(synopsis, sizeof synopsis, "usage: advicectl %s%s",
			 ctl_command_needs_dir(c) ? "-d DIR " : "", c->name);
		assert_non_null(strstr(text, synopsis));
		assert_non_null(strstr(text, c->args));
		assert_non_null(strstr(text, c->description));
		assert_non_null(strstr(text, c->example));
		free(text);
	}
}

/* `help` lists every command once, under its group's heading. */
static void test_help_all_lists_every_command(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	ctl_print_help_all(f);
	fclose(f);
	for (size_t i = 0; i < ctl_ncommands; i++) {
		char line[64];
		const char *at;

		snprintf(line, sizeof line, "\n  %s ", ctl_commands[i].name);
		at = strstr(text, line);
		if (at == NULL || strstr(at + 1, line) != NULL)
			fail_msg("help lists %s %s", ctl_commands[i].name, at == NULL ? "nowhere" : "twice");
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_entry_is_complete),
		cmocka_unit_test(test_names_unique_and_found),
		cmocka_unit_test(test_examples_run_their_command),
		cmocka_unit_test(test_key_commands_match_the_core),
		cmocka_unit_test(test_offline_commands),
		cmocka_unit_test(test_help_prints_the_entry),
		cmocka_unit_test(test_help_all_lists_every_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
