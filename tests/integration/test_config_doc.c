/*
 * test_config_doc.c - the configuration as documented: `adviced --help-config` lists every
 * entry of the settings table in server/config.c (read from the source, not copied here),
 * each with a default the parser accepts; and the defaults the README states for
 * require_envelopes, staff_totp_required, session_check_s and password_max_age_days are
 * the program's (config_defaults) and the ones --help-config prints.
 *
 * Needs $ADVICED and $ADVICE_SOURCE_DIR (no server is started).
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define MAX_SETTINGS 256
#define NAME_MAX_LEN 64

/* Setting names with their printed defaults. */
struct setting_list {
	size_t n;
	char name[MAX_SETTINGS][NAME_MAX_LEN];
	char def[MAX_SETTINGS][256];
};

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fail_msg("$%s is not set", name);
	return v;
}

/* The whole of a file (malloc'd, NUL-terminated). */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *read_source(const char *relpath)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/%s", env_or_fail("ADVICE_SOURCE_DIR"), relpath);
	return read_text(path);
}

/* Runs `$ADVICED --help-config` and returns its standard output (malloc'd); it must exit 0. */
static char *help_config_output(void)
{
	const char *adviced = env_or_fail("ADVICED");
	FILE *out = tmpfile();
	int status;
	pid_t pid;
	char *text;
	long n;

	assert_non_null(out);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fileno(out), 1);
		execl(adviced, adviced, "--help-config", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fseek(out, 0, SEEK_END), 0);
	n = ftell(out);
	assert_true(n > 0);
	rewind(out);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, out), (size_t)n);
	text[n] = '\0';
	fclose(out);
	return text;
}

static void list_add(struct setting_list *l, const char *name, size_t len, const char *def, size_t deflen)
{
	assert_true(l->n < MAX_SETTINGS);
	assert_true(len > 0 && len < NAME_MAX_LEN);
	assert_true(deflen < sizeof l->def[0]);
	memcpy(l->name[l->n], name, len);
	l->name[l->n][len] = '\0';
	memcpy(l->def[l->n], def, deflen);
	l->def[l->n][deflen] = '\0';
	l->n++;
}

static int list_find(const struct setting_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->name[i], name) == 0)
			return (int)i;
	return -1;
}

/*
 * --help-config's entries: a line "NAME TYPE [LO..HI ](default 'VALUE')" at the left margin,
 * its help text indented below.
 */
static void parse_help(const char *text, struct setting_list *l)
{
	memset(l, 0, sizeof *l);
	for (const char *line = text; *line != '\0';) {
		const char *eol = strchr(line, '\n'), *def, *end;

		if (eol == NULL)
			eol = line + strlen(line);
		if (!isspace((unsigned char)line[0]) && line < eol) {
			size_t len = strcspn(line, " \t\n");

			def = strstr(line, "(default '");
			if (def == NULL || def > eol)
				fail_msg("--help-config line without a default: %.*s", (int)(eol - line),
					 line);
			def += strlen("(default '");
			end = strstr(def, "')");
			assert_true(end != NULL && end <= eol);
			list_add(l, line, len, def, (size_t)(end - def));
		}
		line = *eol ? eol + 1 : eol;
	}
}

/* A setting's name as the table's macros spell it: INT(name, ...), TEXT("name", ...) or a
 * literal entry { "name", ... }, starting at *p (which follows some other character).
 * Returns the name's length with *p moved to it, or 0. */
static size_t table_entry_name(const char **p)
{
	static const char *const macros[] = { "INT(", "BOOL(", "STR(", "PATH(" };
	const char *s = *p;

	if (isalnum((unsigned char)s[-1]) || s[-1] == '_')
		return 0;
	for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
		if (strncmp(s, macros[i], strlen(macros[i])) == 0) {
			s += strlen(macros[i]);
			while (*s == ' ')
				s++;
			*p = s;
			return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
		}
	if (strncmp(s, "TEXT(\"", 6) == 0 || strncmp(s, "{ \"", 3) == 0) {
		s = strchr(s, '"') + 1;
		*p = s;
		return strcspn(s, "\"");
	}
	return 0;
}

/* The names of the settings table in server/config.c, from `settings[] = {` to its `};`,
 * skipping string literals (the help texts) and comments. */
static void parse_table(const char *source, struct setting_list *l)
{
	const char *start = strstr(source, "static const struct setting settings[] = {"), *end;

	memset(l, 0, sizeof *l);
	if (start == NULL)
		fail_msg("server/config.c: the settings table was not found");
	start = strchr(start, '{') + 1;
	end = strstr(start, "\n};");
	assert_non_null(end);
	for (const char *p = start; p < end;) {
		const char *at = p;
		size_t len = table_entry_name(&at);

		if (len > 0) {
			list_add(l, at, len, "", 0);
			p = at + len + 1; /* past the name (and a closing quote) */
		} else if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			p = strstr(p, "*/");
			assert_non_null(p);
			p += 2;
		} else {
			p++;
		}
	}
}

static void test_help_lists_every_setting_of_the_table(void **state)
{
	static struct setting_list table, help;
	char *source = read_source("server/config.c"), *out = help_config_output();

	(void)state;
	parse_table(source, &table);
	parse_help(out, &help);
	/* The scan found the table (dozens of settings), and a few known ones are in it. */
	assert_true(table.n >= 50);
	assert_true(list_find(&table, "port") >= 0);
	assert_true(list_find(&table, "origins") >= 0);
	assert_true(list_find(&table, "notify_text_sv") >= 0);
	assert_true(list_find(&table, "log_level") >= 0);
	for (size_t i = 0; i < table.n; i++)
		if (list_find(&help, table.name[i]) < 0)
			fail_msg("--help-config does not list '%s' of the table", table.name[i]);
	for (size_t i = 0; i < help.n; i++)
		if (list_find(&table, help.name[i]) < 0)
			fail_msg("--help-config lists '%s', which the table scan did not find", help.name[i]);
	assert_int_equal(help.n, table.n);
	free(source);
	free(out);
}

/* Each setting --help-config lists is one the parser knows, and its printed default is what
 * the program uses: setting it explicitly changes nothing. */
static void test_help_defaults_are_the_programs(void **state)
{
	static struct setting_list help;
	char *out = help_config_output(), line[512], err[256];
	struct config plain, set;

	(void)state;
	parse_help(out, &help);
	assert_true(help.n >= 50);
	config_defaults(&plain);
	assert_int_equal(config_parse(&plain, "", 0, NULL, err, sizeof err), 0);
	for (size_t i = 0; i < help.n; i++) {
		snprintf(line, sizeof line, "%s = %s\n", help.name[i], help.def[i]);
		config_defaults(&set);
		if (config_parse(&set, line, strlen(line), NULL, err, sizeof err) != 0)
			fail_msg("'%s' refused: %s", help.name[i], err);
		if (memcmp(&plain, &set, sizeof plain) != 0)
			fail_msg("%s: the listed default '%s' is not the program's", help.name[i],
				 help.def[i]);
	}
	free(out);
}

/* A stated default as a number: yes/on 1, no/off 0, or the integer itself; -1 otherwise. */
static long default_value(const char *word)
{
	char *end;
	long v;

	if (strcmp(word, "yes") == 0 || strcmp(word, "on") == 0 || strcmp(word, "true") == 0)
		return 1;
	if (strcmp(word, "no") == 0 || strcmp(word, "off") == 0 || strcmp(word, "false") == 0)
		return 0;
	v = strtol(word, &end, 10);
	return end != word && *end == '\0' && v >= 0 ? v : -1;
}

/* Copies up to `size` - 1 bytes of `s` with each run of white space (line breaks in the
 * README's paragraphs) made one space. */
static void collapse_space(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size; s++) {
		if (isspace((unsigned char)*s)) {
			if (n == 0 || out[n - 1] != ' ')
				out[n++] = ' ';
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

/*
 * The default the README states for `name`: the text right after "`name`" reads
 * " (default VALUE..." or ", VALUE by default". Returns it as a number (default_value), or
 * fails the test when the README states none.
 */
static long readme_default(const char *readme, const char *name)
{
	char quoted[NAME_MAX_LEN + 2], after[64], word[32];

	snprintf(quoted, sizeof quoted, "`%s`", name);
	for (const char *p = strstr(readme, quoted); p != NULL; p = strstr(p + 1, quoted)) {
		size_t len;

		collapse_space(p + strlen(quoted), after, sizeof after);
		if (strncmp(after, " (default ", 10) == 0) {
			len = strcspn(after + 10, " :;,)");
			snprintf(word, sizeof word, "%.*s", (int)len, after + 10);
			return default_value(word);
		}
		if (strncmp(after, ", ", 2) == 0) {
			len = strcspn(after + 2, " ");
			if (strncmp(after + 2 + len, " by default", 11) == 0) {
				snprintf(word, sizeof word, "%.*s", (int)len, after + 2);
				return default_value(word);
			}
		}
	}
	fail_msg("README.md states no default of `%s` (\"`%s` (default X)\" or \"`%s`, X by default\")", name,
		 name, name);
	return -1;
}

static void test_readme_defaults(void **state)
{
	static const struct {
		const char *name;
		size_t offset;
	} documented[] = {
		{ "require_envelopes", offsetof(struct config, require_envelopes) },
		{ "staff_totp_required", offsetof(struct config, staff_totp_required) },
		{ "session_check_s", offsetof(struct config, session_check_s) },
		{ "password_max_age_days", offsetof(struct config, password_max_age_days) },
	};
	static struct setting_list help;
	char *readme = read_source("README.md"), *out = help_config_output();
	struct config c;

	(void)state;
	parse_help(out, &help);
	config_defaults(&c);
	for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++) {
		const char *name = documented[i].name;
		long stated = readme_default(readme, name);
		int program = *(const int *)((const char *)&c + documented[i].offset);
		int at = list_find(&help, name);

		if (stated < 0)
			fail_msg("README.md: the default of `%s` is not yes, no or a number", name);
		if (program != stated)
			fail_msg("%s: the README says %ld, the program's default is %d", name, stated,
				 program);
		if (at < 0)
			fail_msg("--help-config does not list %s", name);
		if (default_value(help.def[at]) != stated)
			fail_msg("%s: the README says %ld, --help-config '%s'", name, stated, help.def[at]);
	}
	free(readme);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_lists_every_setting_of_the_table),
		cmocka_unit_test(test_help_defaults_are_the_programs),
		cmocka_unit_test(test_readme_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
