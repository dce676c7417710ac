/*
 * test_register.c - the register file (register.h): the embedded demo register is valid and
 * complete; every kind of mistake is refused with the JSON path of the problem (missing
 * texts and languages, wrong types, unknown members, bad periods, rules, dates, lengths);
 * the periods end on the right instant (calendar years, leap days, days); the privacy notice
 * is written in each language with every section.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "register.h"

/* The demo register as a JSON object to change (caller decrefs). */
static json_t *demo(void)
{
	json_t *d = json_loadb(advice_register_demo_text, advice_register_demo_text_len, 0, NULL);

	assert_non_null(d);
	return d;
}

/* Parses `doc`; returns 0 or -1 and the error in err. */
static int parse(json_t *doc, char *err, size_t errlen)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct register_doc *r = NULL;
	int rc;

	assert_non_null(text);
	err[0] = '\0';
	rc = register_parse(text, strlen(text), &r, err, errlen);
	free(text);
	assert_true(rc == 0 ? r != NULL : r == NULL);
	register_free(r);
	return rc;
}

/* The document refused with an error that contains `want`. */
static void refused(json_t *doc, const char *want)
{
	char err[400];

	assert_int_equal(parse(doc, err, sizeof err), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	json_decref(doc);
}

static json_t *at(json_t *doc, const char *path)
{
	json_t *v = doc;
	char buf[128], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = strtok_r(buf, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(p)) : json_object_get(v, p);
	assert_non_null(v);
	return v;
}

static void test_demo_is_valid(void **state)
{
	struct register_doc *r;
	char err[400];
	const struct register_rule *rule;

	(void)state;
	assert_int_equal(register_load("", &r, err, sizeof err), 0);
	assert_true(r->demo);
	assert_true(json_is_true(json_object_get(r->doc, "demo")));
	assert_int_equal(r->channel_copy_days, 14);
	rule = register_rule_for(r, "children-and-families");
	assert_int_equal(rule->years, 30);
	assert_int_equal(rule->from, REGISTER_FROM_CLOSE);
	rule = register_rule_for(r, "disability-services");
	assert_int_equal(rule->from, REGISTER_FROM_RELATIONSHIP_END);
	rule = register_rule_for(r, "no-such-category");
	assert_string_equal(rule->category, "*");
	register_free(r);
}

static void test_missing_and_languages(void **state)
{
	json_t *d;

	(void)state;
	d = demo();
	json_object_del(d, "controller");
	refused(d, "/controller: missing");
	d = demo();
	json_object_del(at(d, "controller/name"), "sv");
	refused(d, "/controller/name/sv: missing");
	d = demo();
	json_object_del(at(d, "consent"), "scope");
	refused(d, "/consent/scope: missing");
	d = demo();
	json_object_del(d, "rights_contact");
	refused(d, "/rights_contact: missing");
	d = demo();
	json_object_del(at(d, "retention"), "text");
	refused(d, "/retention/text: missing");
	d = demo();
	json_object_set_new(at(d, "dpo/contact"), "en", json_string(""));
	refused(d, "/dpo/contact/en: an empty string");
	d = demo();
	json_object_set_new(at(d, "dpo/contact"), "de", json_string("Kontakt"));
	refused(d, "/dpo/contact/de: unknown member");
}

static void test_wrong_types(void **state)
{
	json_t *d;

	(void)state;
	d = demo();
	json_object_set_new(d, "purposes", json_string("all"));
	refused(d, "/purposes: an array is needed");
	d = demo();
	json_object_set_new(d, "subjects", json_array());
	refused(d, "/subjects: 1 to");
	d = demo();
	json_array_append_new(json_object_get(d, "sources"), json_string("plain"));
	refused(d, "/sources/2: a text is an object");
	d = demo();
	json_object_set_new(at(d, "processors/0"), "name", json_object());
	refused(d, "/processors/0/name: a string is needed");
	d = demo();
	json_object_set_new(d, "transfers_outside_eea", json_string("no"));
	refused(d, "/transfers_outside_eea: true or false");
	d = demo();
	json_object_set_new(d, "transfers_outside_eea", json_true());
	refused(d, "transfers_outside_eea is true");
	d = demo();
	json_object_set_new(d, "colour", json_string("blue"));
	refused(d, "/colour: unknown member");
	d = demo();
	json_object_set_new(d, "updated", json_string("15.1.2025"));
	refused(d, "/updated: a date YYYY-MM-DD");
	d = demo();
	json_object_set_new(at(d, "name"), "fi", json_string("tab\there"));
	refused(d, "/name/fi: a control character");
	{
		char *big = malloc(REGISTER_TEXT_MAX + 2);

		memset(big, 'a', REGISTER_TEXT_MAX + 1);
		big[REGISTER_TEXT_MAX + 1] = '\0';
		d = demo();
		json_object_set_new(at(d, "name"), "en", json_string(big));
		free(big);
		refused(d, "/name/en: longer than 4000 bytes");
	}
	d = json_array();
	refused(d, "/: the register is a JSON object");
}

static void test_bad_periods_and_rules(void **state)
{
	json_t *d;

	(void)state;
	d = demo();
	json_object_set_new(at(d, "retention/rules/0"), "days", json_integer(10));
	refused(d, "/retention/rules/0: a period: either \"years\" or \"days\"");
	d = demo();
	json_object_del(at(d, "retention/rules/0"), "years");
	refused(d, "/retention/rules/0: a period");
	d = demo();
	json_object_set_new(at(d, "retention/rules/1"), "years", json_integer(0));
	refused(d, "/retention/rules/1/years: from 1 to 150");
	d = demo();
	json_object_set_new(at(d, "retention/rules/1"), "years", json_string("10"));
	refused(d, "/retention/rules/1/years: a whole number");
	d = demo();
	json_object_set_new(at(d, "retention/rules/0"), "from", json_string("open"));
	refused(d, "/retention/rules/0/from: \"close\" or \"relationship_end\"");
	d = demo();
	json_object_set_new(at(d, "retention/rules/0"), "category", json_string("Adult social work"));
	refused(d, "/retention/rules/0/category: a category code");
	d = demo();
	json_object_set_new(at(d, "retention/rules/1"), "category", json_string("children-and-families"));
	refused(d, "/retention/rules/1/category: a second rule");
	d = demo();
	json_array_remove(at(d, "retention/rules"), 5);
	refused(d, "/retention/rules: a default rule (category \"*\") is needed");
	d = demo();
	json_object_set_new(at(d, "retention"), "rules", json_array());
	refused(d, "/retention/rules: an array of 1 to");
	d = demo();
	json_object_set_new(at(d, "retention"), "channel_copy_days", json_integer(0));
	refused(d, "/retention/channel_copy_days: from 1 to 3650");
	d = demo();
	json_object_set_new(at(d, "retention/rules/2"), "weeks", json_integer(3));
	refused(d, "/retention/rules/2/weeks: unknown member");
}

static void test_not_json_and_files(void **state)
{
	struct register_doc *r;
	char err[400], path[64] = "/tmp/advice-register-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(register_parse("{\"demo\": tru", 12, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "not JSON: line 1"));
	assert_int_equal(register_parse("{\"demo\":true,\"demo\":false}", 26, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "not JSON"));
	assert_int_equal(register_load("/nonexistent/register.json", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/register.json: No such file"));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(register_load(path, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ": missing"));
	unlink(path);
}

/* A file without "demo" is not a demo; the document served says so. */
static void test_own_register_not_demo(void **state)
{
	json_t *d = demo();
	char *text;
	struct register_doc *r;
	char err[400];

	(void)state;
	json_object_del(d, "demo");
	text = json_dumps(d, 0);
	assert_int_equal(register_parse(text, strlen(text), &r, err, sizeof err), 0);
	assert_false(r->demo);
	assert_true(json_is_false(json_object_get(r->doc, "demo")));
	register_free(r);
	free(text);
	json_decref(d);
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };

	return (int64_t)timegm(&tm) * 1000;
}

static void test_period_ends(void **state)
{
	struct register_rule years = { "*", 10, 0, REGISTER_FROM_CLOSE },
			     days = { "*", 0, 14, REGISTER_FROM_CLOSE };
	char text[96];

	(void)state;
	assert_true(register_period_end(&years, utc_ms(2024, 3, 5, 10, 30) + 123) ==
		    utc_ms(2034, 3, 5, 10, 30) + 123);
	/* A leap day's anniversary in a common year is the next day. */
	assert_true(register_period_end(&years, utc_ms(2024, 2, 29, 0, 0)) == utc_ms(2034, 3, 1, 0, 0));
	assert_true(register_period_end(&days, utc_ms(2024, 12, 25, 8, 0)) == utc_ms(2025, 1, 8, 8, 0));
	register_rule_describe(&years, text, sizeof text);
	assert_string_equal(text, "*: 10 years from close");
}

static void test_notice_in_each_language(void **state)
{
	static const char *const want[][4] = {
		{ "fi", "Tietosuojaseloste", "Rekisterinpitäjä", "tietosuojavaltuutetulle" },
		{ "sv", "Dataskyddsbeskrivning", "Personuppgiftsansvarig", "dataombudsmannen" },
		{ "en", "Privacy notice", "No data is transferred outside the EU/EEA.",
		  "Data Protection Ombudsman" },
	};
	struct register_doc *r;
	char err[400], *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(register_load("", &r, err, sizeof err), 0);
	for (size_t i = 0; i < 3; i++) {
		FILE *f = open_memstream(&buf, &len);

		assert_int_equal(register_notice_write(r, want[i][0], f), 0);
		fclose(f);
		for (size_t j = 1; j < 4; j++)
			if (strstr(buf, want[i][j]) == NULL)
				fail_msg("%s notice lacks \"%s\"", want[i][0], want[i][j]);
		free(buf);
		buf = NULL;
	}
	assert_int_equal(register_notice_write(r, "de", stdout), -1);
	register_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_is_valid),	   cmocka_unit_test(test_missing_and_languages),
		cmocka_unit_test(test_wrong_types),	   cmocka_unit_test(test_bad_periods_and_rules),
		cmocka_unit_test(test_not_json_and_files), cmocka_unit_test(test_own_register_not_demo),
		cmocka_unit_test(test_period_ends),	   cmocka_unit_test(test_notice_in_each_language),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
