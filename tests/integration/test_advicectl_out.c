/*
 * test_advicectl_out.c - advicectl's output is for people, and --json's for scripts: names
 * instead of ids, times in Helsinki time, a confirmation line from every command that
 * changes something, list commands for units, queues, accounts and members, the reply's
 * data under --json, and warnings on standard error where a mistake is likely (an end in
 * the past, a repeated or overlapping shift, a closed day that is a holiday, an identity
 * code adviced will refuse, a unit key that leaves out an ended account) while the exit
 * status stays 0; the mistakes that would break something are refused with a clear reason.
 * Also `init`'s next steps and adviced's range error for -p.
 */
#include <ftw.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "itest.h"

#define HOME	"Home care"
#define ADULT	"Adult social work"
#define MAXARGS 24

/* Runs `$ADVICECTL ARGS...` (with `-d DIR` first when dir is not NULL) and `input` (may be
 * NULL) on its standard input. */
static void ctl(const char *dir, const char *input, const char *const args[], struct itest_run *r)
{
	const char *prog = getenv("ADVICECTL");
	char *argv[MAXARGS + 4];
	size_t n = 0;

	if (prog == NULL || *prog == '\0')
		fail_msg("$ADVICECTL is not set");
	argv[n++] = (char *)prog;
	if (dir != NULL) {
		argv[n++] = "-d";
		argv[n++] = (char *)dir;
	}
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(i < MAXARGS);
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	itest_run_argv(argv, input, r);
}

/* A command that must succeed without a warning, its standard output exactly `want`. */
static void expect_out(struct harness *h, const char *const args[], const char *want)
{
	struct itest_run r;

	ctl(h->dir, NULL, args, &r);
	if (r.status != 0 || strcmp(r.out, want) != 0 || r.err[0] != '\0')
		fail_msg("advicectl %s: exit %d\nout: %s\nerr: %s\nwanted: %s", args[0], r.status, r.out,
			 r.err, want);
	itest_run_free(&r);
}

/* A command that must succeed (exit 0) with the output `want` and exactly the warning lines
 * `warnings` on standard error. */
static void expect_warning(struct harness *h, const char *const args[], const char *want,
			   const char *warnings)
{
	struct itest_run r;

	ctl(h->dir, NULL, args, &r);
	if (r.status != 0 || strcmp(r.out, want) != 0 || strcmp(r.err, warnings) != 0)
		fail_msg("advicectl %s: exit %d\nout: %s\nerr: %s\nwanted: %s%s", args[0], r.status, r.out,
			 r.err, want, warnings);
	itest_run_free(&r);
}

/* A command that must be refused (exit 1) with `reason` in its error. */
static void expect_refusal(struct harness *h, const char *input, const char *const args[], const char *reason)
{
	struct itest_run r;

	ctl(h->dir, input, args, &r);
	if (r.status != 1 || strstr(r.err, reason) == NULL)
		fail_msg("advicectl %s: exit %d, wanted a refusal naming '%s': %s", args[0], r.status, reason,
			 r.err);
	itest_run_free(&r);
}

/* `advicectl -d DIR --json ARGS...`: its standard output parsed (the caller decrefs). */
static json_t *ctl_json(struct harness *h, const char *const args[])
{
	const char *with[MAXARGS + 2] = { "--json" };
	struct itest_run r;
	json_error_t e;
	json_t *j;
	size_t n = 1;

	for (size_t i = 0; args[i] != NULL; i++)
		with[n++] = args[i];
	with[n] = NULL;
	ctl(h->dir, NULL, with, &r);
	if (r.status != 0)
		fail_msg("advicectl --json %s: exit %d: %s", args[0], r.status, r.err);
	if ((j = json_loads(r.out, 0, &e)) == NULL || !json_is_object(j))
		fail_msg("advicectl --json %s printed no JSON object: %s\n%s", args[0], e.text, r.out);
	itest_run_free(&r);
	return j;
}

static const char *str_at(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	if (s == NULL)
		fail_msg("no string \"%s\"", key);
	return s;
}

/* The element of array `list` whose `key` is `value`. */
static json_t *find_by(json_t *list, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	assert_true(json_is_array(list));
	json_array_foreach (list, i, e)
		if (json_is_string(json_object_get(e, key)) && strcmp(str_at(e, key), value) == 0)
			return e;
	fail_msg("no element with %s = %s", key, value);
	return NULL;
}

static int is_hex_id(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

/* Whether a text holds 32 hex digits in a row (an id). */
static int has_hex_id(const char *text)
{
	for (size_t run = 0; *text != '\0'; text++) {
		run = strchr("0123456789abcdef", *text) != NULL ? run + 1 : 0;
		if (run == 32)
			return 1;
	}
	return 0;
}

/* Whether `s` is "YYYY-MM-DDTHH:MM:SS+02:00" or "+03:00" (Helsinki's offsets). */
static int is_helsinki_iso(const char *s)
{
	int y, mo, d, h, mi, sec, off;
	char tail[4];

	return strlen(s) == 25 &&
	       sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d+%2d:00%3s", &y, &mo, &d, &h, &mi, &sec, &off, tail) == 7 &&
	       (off == 2 || off == 3);
}

/* The number of access-log rows of an admin command. */
static long long access_rows(struct harness *h, const char *action)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *q;
	long long n;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(
		sqlite3_prepare_v2(db, "SELECT count(*) FROM access_log WHERE action = ?1", -1, &q, NULL),
		SQLITE_OK);
	sqlite3_bind_text(q, 1, action, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* unit-add and queue-add say what they added by name; --json gives the ids; unit-list shows
 * the unit's settings. */
static void test_unit_and_queue_add_and_list(void **state)
{
	struct harness *h = *state;
	json_t *j, *u, *q;

	expect_out(h, (const char *const[]){ "unit-add", HOME, NULL }, "unit Home care added\n");
	expect_out(h, (const char *const[]){ "queue-add", HOME, "home-care", "Home care at home", NULL },
		   "queue home-care (Home care at home) added to unit Home care\n");
	expect_out(h, (const char *const[]){ "unit-langs", HOME, "fi,sv", NULL },
		   "Home care serves in fi,sv\n");
	expect_out(h, (const char *const[]){ "unit-hours", HOME, "09:00", "15:30", NULL },
		   "Home care is open 09:00-15:30 on working days (Helsinki time)\n");

	j = ctl_json(h, (const char *const[]){ "unit-add", "Home care north", NULL });
	u = json_object_get(j, "unit");
	assert_string_equal(str_at(u, "name"), "Home care north");
	assert_true(is_hex_id(str_at(u, "id")));
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
	j = ctl_json(
		h, (const char *const[]){ "queue-add", "Home care north", "home-care-north", "North", NULL });
	q = json_object_get(j, "queue");
	assert_string_equal(str_at(q, "category"), "home-care-north");
	assert_string_equal(str_at(q, "name"), "North");
	assert_string_equal(str_at(q, "unit"), "Home care north");
	assert_true(is_hex_id(str_at(q, "id")));
	json_decref(j);

	{
		struct itest_run r;

		ctl(h->dir, NULL, (const char *const[]){ "unit-list", NULL }, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out,
				       "\nHome care: languages fi,sv; open 09:00-15:30 on working days; "
				       "0 members; queues home-care\n"));
		assert_non_null(strstr(r.out, "Adult social work: languages fi,sv,en; open 08:00-16:00 on "
					      "working days; 2 members; queues adult-social-work\n"));
		assert_false(has_hex_id(r.out)); /* names, not ids */
		itest_run_free(&r);
	}
	j = ctl_json(h, (const char *const[]){ "unit-list", NULL });
	u = find_by(json_object_get(j, "units"), "name", HOME);
	assert_string_equal(str_at(u, "open"), "09:00");
	assert_string_equal(str_at(u, "close"), "15:30");
	assert_int_equal(json_array_size(json_object_get(u, "langs")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(u, "langs"), 1)), "sv");
	assert_string_equal(json_string_value(json_array_get(json_object_get(u, "queues"), 0)), "home-care");
	assert_int_equal(json_integer_value(json_object_get(u, "members")), 0);
	assert_true(is_hex_id(str_at(u, "id")));
	json_decref(j);

	expect_refusal(h, NULL, (const char *const[]){ "unit-add", HOME, NULL },
		       "there is a unit 'Home care' already");
	expect_refusal(h, NULL, (const char *const[]){ "queue-add", HOME, "home-care", "Again", NULL },
		       "category 'home-care' has a queue already");
}

/* Every queue setting changed is confirmed in a line; queue-list shows them all. */
static void test_queue_settings_and_list(void **state)
{
	struct harness *h = *state;
	struct itest_run r;
	json_t *j, *q;

	expect_out(h, (const char *const[]){ "queue-add", HOME, "home-care-2", "Second", NULL },
		   "queue home-care-2 (Second) added to unit Home care\n");
	expect_out(h, (const char *const[]){ "queue-policy", "home-care-2", "least-loaded", "5", NULL },
		   "queue home-care-2: least-loaded, at most 5 open threads per worker\n");
	expect_out(h, (const char *const[]){ "queue-fallback", "home-care-2", "adult-social-work", NULL },
		   "queue home-care-2: while nobody is on duty, threads go to adult-social-work\n");
	expect_out(h, (const char *const[]){ "queue-deadlines", "home-care-2", "5", "4", "80", NULL },
		   "queue home-care-2: first answer within 5 working days, each later one within 4; "
		   "supervisors warned at 80%\n");
	expect_out(h, (const char *const[]){ "route-add", "home-care-2", "sv", "adult-social-work", NULL },
		   "threads of home-care-2 in sv go to adult-social-work\n");
	expect_out(h, (const char *const[]){ "route-add", "home-care-2", "en", "adult-social-work", NULL },
		   "threads of home-care-2 in en go to adult-social-work\n");
	expect_out(h, (const char *const[]){ "route-del", "home-care-2", "en", NULL },
		   "route of home-care-2 in en removed: they stay in home-care-2\n");

	ctl(h->dir, NULL, (const char *const[]){ "queue-list", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out,
			       "home-care-2 \"Second\" of Home care\n"
			       "  policy least-loaded, at most 5 open threads per worker\n"
			       "  deadlines: first answer 5 working days, later ones 4; warning at 80%\n"
			       "  fallback: adult-social-work; routes: sv to adult-social-work\n"));
	assert_non_null(strstr(r.out, "children-and-families \"Children and families\" of Children and "
				      "families\n  policy round-robin\n"));
	itest_run_free(&r);

	j = ctl_json(h, (const char *const[]){ "queue-list", NULL });
	q = find_by(json_object_get(j, "queues"), "category", "home-care-2");
	assert_string_equal(str_at(q, "unit"), HOME);
	assert_string_equal(str_at(q, "name"), "Second");
	assert_string_equal(str_at(q, "policy"), "least-loaded");
	assert_int_equal(json_integer_value(json_object_get(q, "cap")), 5);
	assert_string_equal(str_at(q, "fallback"), "adult-social-work");
	assert_int_equal(json_integer_value(json_object_get(q, "first_days")), 5);
	assert_int_equal(json_integer_value(json_object_get(q, "follow_days")), 4);
	assert_int_equal(json_integer_value(json_object_get(q, "warn_pct")), 80);
	assert_string_equal(str_at(json_object_get(q, "routes"), "sv"), "adult-social-work");
	assert_int_equal(json_object_size(json_object_get(q, "routes")), 1);
	q = find_by(json_object_get(j, "queues"), "category", "adult-social-work");
	assert_true(json_is_null(json_object_get(q, "fallback")));
	json_decref(j);

	expect_out(h, (const char *const[]){ "queue-fallback", "home-care-2", "-", NULL },
		   "queue home-care-2: no fallback\n");
	expect_out(h, (const char *const[]){ "queue-policy", "home-care-2", "manual", NULL },
		   "queue home-care-2: manual\n");
	expect_refusal(h, NULL,
		       (const char *const[]){ "queue-deadlines", "home-care-2", "0", "4", "80", NULL },
		       "'0' is not a number from 1 to 60");
}

/* worker-add says what it did and gives the setup code with its end in Helsinki time;
 * worker-list and member-list show the state, units, roles and end dates by name. */
static void test_worker_add_and_lists(void **state)
{
	struct harness *h = *state;
	char code[32], until[64], line[256];
	struct itest_run r;
	json_t *j, *w, *units;

	ctl(h->dir, NULL, (const char *const[]){ "worker-add", "carl", "--unit", HOME, NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_int_equal(
		sscanf(r.out,
		       "worker carl added\nsetup code of carl: %31s (one use, valid until %63[^;]; the "
		       "first login sets the password)\n",
		       code, until),
		2);
	assert_int_equal(strlen(code), 19); /* XXXX-XXXX-XXXX-XXXX */
	assert_non_null(strstr(until, " Helsinki time"));
	assert_non_null(strstr(r.out, ")\ncarl added to Home care as worker\n"));
	itest_run_free(&r);

	j = ctl_json(h, (const char *const[]){ "worker-add", "dora", "--unit", HOME, "--supervisor", NULL });
	w = json_object_get(j, "worker");
	assert_string_equal(str_at(w, "username"), "dora");
	assert_true(is_hex_id(str_at(w, "id")));
	assert_int_equal(strlen(str_at(w, "setup_code")), 19);
	assert_true(is_helsinki_iso(str_at(w, "setup_expires")));
	assert_string_equal(str_at(w, "unit"), HOME);
	assert_string_equal(str_at(w, "role"), "supervisor");
	json_decref(j);

	/* A member already, with the same role: refused by name; another role: changed. */
	expect_refusal(h, NULL, (const char *const[]){ "member-add", "carl", HOME, NULL },
		       "carl is already a worker of Home care");
	expect_out(h, (const char *const[]){ "member-add", "anna", HOME, NULL },
		   "anna added to Home care as worker\n");
	expect_out(h, (const char *const[]){ "member-add", "anna", HOME, "--supervisor", NULL },
		   "anna is now a supervisor of Home care (was a worker)\n");
	expect_out(h, (const char *const[]){ "worker-end", "carl", "2999-06-30", NULL },
		   "account carl ends 2999-06-30 at 24:00 Helsinki time\n");
	expect_out(h, (const char *const[]){ "role-end", "anna", HOME, "2999-01-31", NULL },
		   "role of anna in Home care ends 2999-01-31 at 24:00 Helsinki time\n");
	j = ctl_json(h, (const char *const[]){ "worker-end", "carl", "none", NULL });
	assert_true(json_is_null(json_object_get(json_object_get(j, "account"), "ends")));
	json_decref(j);
	expect_out(h, (const char *const[]){ "worker-end", "carl", "2999-06-30", NULL },
		   "account carl ends 2999-06-30 at 24:00 Helsinki time\n");

	ctl(h->dir, NULL, (const char *const[]){ "worker-list", NULL }, &r);
	assert_int_equal(r.status, 0);
	snprintf(
		line, sizeof line,
		"\ncarl         setup pending (code valid until %s), ends 2999-06-30 at 24:00 Helsinki time; "
		"worker of Home care\n",
		until);
	assert_non_null(strstr(r.out, line));
	assert_non_null(strstr(r.out, "\nben          active; worker of Children and families\n"));
	assert_non_null(strstr(r.out, "supervisor of Home care (ends 2999-01-31 at 24:00 Helsinki time)"));
	assert_false(has_hex_id(r.out));
	itest_run_free(&r);

	j = ctl_json(h, (const char *const[]){ "worker-list", NULL });
	w = find_by(json_object_get(j, "workers"), "username", "carl");
	assert_string_equal(str_at(w, "state"), "setup pending");
	assert_true(is_helsinki_iso(str_at(w, "ends")));
	assert_string_equal(str_at(w, "ends"), "2999-07-01T00:00:00+03:00");
	assert_true(is_helsinki_iso(str_at(w, "setup_expires")));
	assert_true(json_is_false(json_object_get(w, "keys")));
	units = json_object_get(w, "units");
	assert_int_equal(json_array_size(units), 1);
	assert_string_equal(str_at(json_array_get(units, 0), "unit"), HOME);
	assert_string_equal(str_at(json_array_get(units, 0), "role"), "worker");
	assert_true(json_is_null(json_object_get(json_array_get(units, 0), "ends")));
	w = find_by(json_object_get(j, "workers"), "username", "ben");
	assert_string_equal(str_at(w, "state"), "active");
	assert_true(json_is_null(json_object_get(w, "ends")));
	json_decref(j);

	ctl(h->dir, NULL, (const char *const[]){ "member-list", HOME, NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "members of Home care:\n"));
	assert_non_null(strstr(r.out, "\n  anna         supervisor, 0 open threads; role ends 2999-01-31 at "
				      "24:00 Helsinki time\n"));
	assert_non_null(strstr(r.out, "\n  carl         worker, 0 open threads; account ends 2999-06-30 at "
				      "24:00 Helsinki time\n"));
	itest_run_free(&r);
	j = ctl_json(h, (const char *const[]){ "member-list", HOME, NULL });
	assert_string_equal(str_at(j, "unit"), HOME);
	w = find_by(json_object_get(j, "members"), "username", "dora");
	assert_string_equal(str_at(w, "role"), "supervisor");
	assert_int_equal(json_integer_value(json_object_get(w, "open_threads")), 0);
	assert_true(json_is_null(json_object_get(w, "role_ends")));
	json_decref(j);

	/* Reading staff data is in the access log like every admin command. */
	assert_true(access_rows(h, "admin:worker-list") >= 2);
	assert_true(access_rows(h, "admin:member-list") >= 2);
	expect_refusal(h, NULL, (const char *const[]){ "member-list", "No such unit", NULL },
		       "no unit 'No such unit'");
}

/* The other commands that change something each say what they did. */
static void test_confirmation_lines(void **state)
{
	struct harness *h = *state;
	struct itest_run r;

	expect_out(h, (const char *const[]){ "unlock", "ben", NULL },
		   "ben was not locked: nothing to clear\n");
	expect_out(h, (const char *const[]){ "totp-reset", "ben", NULL },
		   "second factor of ben cleared: the next login enrols a new one\n");
	expect_out(h, (const char *const[]){ "closed-add", "2027-03-01", "Spring day", NULL },
		   "2027-03-01 is a closed day: Spring day\n");
	expect_out(h, (const char *const[]){ "closed-add", "2027-04-01", "Moving day", NULL },
		   "2027-04-01 is a closed day: Moving day\n");
	expect_out(h, (const char *const[]){ "closed-del", "2027-04-01", NULL },
		   "2027-04-01 is no longer a closed day\n");

	/* holidays names each closed day, in date order with the public holidays. */
	ctl(h->dir, NULL, (const char *const[]){ "holidays", "2027", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "2027-01-06  loppiainen (Epiphany)\n"
				      "2027-03-01  closed: Spring day\n"
				      "2027-03-26  pitkäperjantai (Good Friday)\n"));
	assert_null(strstr(r.out, "Moving day"));
	itest_run_free(&r);
	{
		json_t *j = ctl_json(h, (const char *const[]){ "holidays", "2027", NULL });
		json_t *days = json_object_get(j, "days"), *d = find_by(days, "date", "2027-03-01");

		assert_string_equal(str_at(d, "kind"), "closed");
		assert_string_equal(str_at(d, "name"), "Spring day");
		d = find_by(days, "date", "2027-12-06");
		assert_string_equal(str_at(d, "kind"), "holiday");
		assert_string_equal(str_at(d, "name"), "Independence Day");
		assert_string_equal(str_at(d, "name_fi"), "itsenäisyyspäivä");
		assert_int_equal(json_array_size(days), 16); /* 15 public holidays and the closed day */
		json_decref(j);
	}

	/* roster-add and roster-del name the shift; roster-list too, without ids of people. */
	{
		json_t *j =
			ctl_json(h, (const char *const[]){ "roster-add", "ben", "Children and families",
							   "sat,sun", "10:00", "14:30", "--holidays", NULL });
		json_t *s = json_object_get(j, "shift");
		char id[24], want[200];

		assert_string_equal(str_at(s, "username"), "ben");
		assert_string_equal(str_at(s, "unit"), "Children and families");
		assert_string_equal(str_at(s, "days"), "sat,sun");
		assert_string_equal(str_at(s, "start"), "10:00");
		assert_string_equal(str_at(s, "end"), "14:30");
		assert_true(json_is_true(json_object_get(s, "on_holidays")));
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(s, "id")));
		json_decref(j);
		ctl(h->dir, NULL, (const char *const[]){ "roster-list", "Children and families", NULL }, &r);
		snprintf(want, sizeof want,
			 "shift %s: ben in Children and families, sat,sun 10:00-14:30, also on holidays\n",
			 id);
		assert_non_null(strstr(r.out, want));
		assert_non_null(strstr(r.out, "(times in Helsinki time)\n"));
		assert_false(has_hex_id(r.out));
		itest_run_free(&r);
		j = ctl_json(h, (const char *const[]){ "roster-list", NULL });
		assert_true(json_array_size(json_object_get(j, "shifts")) >= 4);
		json_decref(j);
		snprintf(want, sizeof want,
			 "removed shift %s: ben in Children and families, sat,sun 10:00-14:30, "
			 "also on holidays\n",
			 id);
		expect_out(h, (const char *const[]){ "roster-del", id, NULL }, want);
	}
}

/* The number roster-add gave a shift ("shift N: ..."). */
static long long shift_number(const char *out)
{
	long long n = 0;

	assert_int_equal(sscanf(out, "shift %lld:", &n), 1);
	return n;
}

/* roster-add's run with its output, exit 0 and the warnings `warnings` (exactly). Returns the
 * shift's number. */
static long long roster_add(struct harness *h, const char *const args[], const char *warnings)
{
	struct itest_run r;
	long long n;

	ctl(h->dir, NULL, args, &r);
	if (r.status != 0 || strcmp(r.err, warnings) != 0)
		fail_msg("roster-add: exit %d, err: %s\nwanted: %s", r.status, r.err, warnings);
	n = shift_number(r.out);
	itest_run_free(&r);
	return n;
}

/* Likely mistakes: done, with a warning on standard error and exit 0. */
static void test_warnings(void **state)
{
	struct harness *h = *state;
	char want[400];
	struct itest_run r;
	long long a, b;
	json_t *j;

	/* An end in the past; with --json the warning still goes to standard error. */
	ctl(h->dir, NULL, (const char *const[]){ "worker-add", "fred", "--unit", HOME, NULL }, &r);
	assert_int_equal(r.status, 0);
	itest_run_free(&r);
	expect_warning(
		h, (const char *const[]){ "role-end", "fred", HOME, "2020-02-29", NULL },
		"role of fred in Home care ended 2020-02-29 at 24:00 Helsinki time\n",
		"warning: the end (2020-02-29 at 24:00 Helsinki time) is in the past: it takes effect at "
		"once\n");
	expect_warning(
		h, (const char *const[]){ "worker-end", "fred", "2020-01-31", NULL },
		"account fred ended 2020-01-31 at 24:00 Helsinki time\n",
		"warning: the end (2020-01-31 at 24:00 Helsinki time) is in the past: it takes effect at "
		"once\n");
	ctl(h->dir, NULL, (const char *const[]){ "--json", "worker-end", "fred", "2020-01-30", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "warning: the end (2020-01-30 at 24:00 Helsinki time) is in the past: it "
				   "takes effect at once\n");
	assert_non_null(j = json_loads(r.out, 0, NULL));
	assert_string_equal(str_at(json_object_get(j, "account"), "ends"), "2020-01-31T00:00:00+02:00");
	json_decref(j);
	itest_run_free(&r);
	expect_refusal(h, NULL, (const char *const[]){ "worker-end", "fred", "2020-02-30", NULL },
		       "WHEN is YYYY-MM-DD (2000..2999), now, +SECONDS or none, not '2020-02-30'");

	/* A repeated shift, and shifts that overlap (also across midnight); touching is fine. */
	ctl(h->dir, NULL, (const char *const[]){ "worker-add", "gus", "--unit", HOME, NULL }, &r);
	itest_run_free(&r);
	a = roster_add(
		h, (const char *const[]){ "roster-add", "gus", HOME, "mon-fri", "08:00", "16:00", NULL }, "");
	snprintf(want, sizeof want,
		 "warning: the same as shift %lld: gus in Home care, mon,tue,wed,thu,fri 08:00-16:00\n", a);
	b = roster_add(h,
		       (const char *const[]){ "roster-add", "gus", HOME, "mon-fri", "08:00", "16:00", NULL },
		       want);
	snprintf(want, sizeof want,
		 "warning: overlaps shift %lld: gus in Home care, mon,tue,wed,thu,fri 08:00-16:00\n"
		 "warning: overlaps shift %lld: gus in Home care, mon,tue,wed,thu,fri 08:00-16:00\n",
		 a, b);
	roster_add(h, (const char *const[]){ "roster-add", "gus", HOME, "fri", "15:00", "18:00", NULL },
		   want);
	roster_add(h, (const char *const[]){ "roster-add", "gus", HOME, "sat", "16:00", "18:00", NULL }, "");
	a = roster_add(h, (const char *const[]){ "roster-add", "gus", HOME, "sun", "22:00", "02:00", NULL },
		       "");
	snprintf(want, sizeof want, "warning: overlaps shift %lld: gus in Home care, sun 22:00-02:00\n", a);
	roster_add(h, (const char *const[]){ "roster-add", "gus", HOME, "mon", "01:00", "03:00", NULL },
		   want);
	roster_add(h,
		   (const char *const[]){ "roster-add", "gus", HOME, "sun", "20:00", "22:00", "--holidays",
					  NULL },
		   "");

	/* A closed day that is a public holiday already. */
	expect_warning(h, (const char *const[]){ "closed-add", "2027-12-06", "Office party", NULL },
		       "2027-12-06 is a closed day: Office party\n",
		       "warning: 2027-12-06 is a public holiday already\n");

	/* dev-token for a code adviced will refuse: the token all the same, for tests of refusals. */
	ctl(h->dir, NULL, (const char *const[]){ "dev-token", "010594Y9031", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "warning: adviced will refuse a login with this code: identity code check "
				   "character mismatch\n");
	assert_true(strlen(r.out) > 100 && strchr(r.out, '.') != NULL);
	itest_run_free(&r);
	ctl(h->dir, NULL, (const char *const[]){ "dev-token", "010594Y9032", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	itest_run_free(&r);
	ctl(h->dir, NULL, (const char *const[]){ "dev-token", "131052-308T", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err,
			    "warning: adviced will refuse a login with this code: real identity code refused "
			    "in test mode\n");
	itest_run_free(&r);
}

/* The key commands: no keys for an ended account, a unit key leaves out the ended with a
 * warning, a member is not added twice. */
static void test_key_commands_and_ended_accounts(void **state)
{
	struct itest_e2e e = { 0 };
	struct itest_run r;

	(void)state;
	itest_e2e_start(&e);
	expect_refusal(&e.h, NULL,
		       (const char *const[]){ "unit-member-add", "anna", ADULT, e.admin_file, NULL },
		       "anna is already a member of Adult social work");

	ctl(e.h.dir, NULL, (const char *const[]){ "worker-end", "ben", "now", NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_true(strncmp(r.out, "account ben ended ", 18) == 0);
	assert_string_equal(r.err, "");
	itest_run_free(&r);
	ctl(e.h.dir, NULL,
	    (const char *const[]){ "unit-key-rotate", "Children and families", e.admin_file, NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "unit key generation 2 for 0 members\n");
	assert_true(strncmp(r.err, "warning: ben left out: the account ended ", 41) == 0);
	assert_non_null(strstr(r.err, " Helsinki time\n"));
	itest_run_free(&r);
	expect_refusal(&e.h, NULL, (const char *const[]){ "worker-certify", "ben", e.admin_file, NULL },
		       "the account of ben ended ");
	expect_refusal(&e.h, NULL,
		       (const char *const[]){ "unit-member-add", "ben", ADULT, e.admin_file, NULL },
		       "the account of ben ended ");
	ctl(e.h.dir, NULL, (const char *const[]){ "unit-key-rotate", ADULT, e.admin_file, NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "unit key generation 2 for 2 members\n");
	assert_string_equal(r.err, "");
	itest_run_free(&r);
	ctl(e.h.dir, NULL, (const char *const[]){ "unit-member-remove", "sara", ADULT, e.admin_file, NULL },
	    &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
			    "sara removed from Adult social work\nunit key generation 3 for 1 member\n");
	itest_run_free(&r);
	{
		char admin2[300], want[400];

		snprintf(admin2, sizeof admin2, "%s/admin2.key", e.h.dir);
		ctl(e.h.dir, NULL, (const char *const[]){ "admin-certify", e.root_file, admin2, NULL }, &r);
		assert_int_equal(r.status, 0);
		snprintf(want, sizeof want, "admin key written to %s and certified by the root key (key id ",
			 admin2);
		assert_true(strncmp(r.out, want, strlen(want)) == 0);
		itest_run_free(&r);
	}
	assert_int_equal(harness_stop(&e.h), 0);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* init prints what to do next: start adviced on the folder, the first commands, where help is. */
static void test_init_prints_next_steps(void **state)
{
	const char *src = getenv("ADVICE_SOURCE_DIR"), *tmp = getenv("TMPDIR");
	char dir[300], web[300], want[1600];
	struct itest_run r;

	(void)state;
	assert_non_null(src);
	snprintf(web, sizeof web, "%s/client-web", src);
	snprintf(dir, sizeof dir, "%s/advice-ctlout-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(rmdir(dir), 0);
	ctl(NULL, NULL, (const char *const[]){ "init", dir, "--port", "18080", "--web-root", web, NULL }, &r);
	assert_int_equal(r.status, 0);
	snprintf(
		want, sizeof want,
		"initialised %s\n\nNext steps:\n"
		"  1. start the server: adviced -c %s/adviced.conf   (the README's \"Running it for real\")\n"
		"  2. a unit and its queue:\n"
		"     advicectl -d %s unit-add \"Adult social work\"\n",
		dir, dir, dir);
	if (strncmp(r.out, want, strlen(want)) != 0)
		fail_msg("init printed:\n%s\nwanted it to start with:\n%s", r.out, want);
	assert_non_null(strstr(r.out, "worker-add anna --unit \"Adult social work\"\n"));
	assert_non_null(strstr(r.out, "roster-add anna \"Adult social work\" mon-fri 08:00 16:00\n"));
	assert_non_null(strstr(r.out, "advicectl login http://localhost:18080 anna --setup-code CODE\n"));
	assert_non_null(strstr(r.out, "`advicectl help` lists every command"));
	itest_run_free(&r);
	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* adviced -p out of range: the range in one line, exit 2. */
static void test_adviced_port_range(void **state)
{
	const char *adviced = getenv("ADVICED");
	const char *const bad[] = { "70000", "0", "80x", "-1" };
	struct itest_run r;
	char want[120];

	(void)state;
	assert_non_null(adviced);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[] = { (char *)adviced, "-c", "/nonexistent/adviced.conf", "-p",
				 (char *)bad[i],  NULL };

		itest_run_argv(argv, NULL, &r);
		snprintf(want, sizeof want, "adviced: -p PORT is a number from 1 to 65535, not '%s'\n",
			 bad[i]);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.err, want);
		itest_run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_and_queue_add_and_list),
		cmocka_unit_test(test_queue_settings_and_list),
		cmocka_unit_test(test_worker_add_and_lists),
		cmocka_unit_test(test_confirmation_lines),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_key_commands_and_ended_accounts),
		cmocka_unit_test(test_init_prints_next_steps),
		cmocka_unit_test(test_adviced_port_range),
	};

	return cmocka_run_group_tests(tests, itest_group_setup_demo_totp, itest_group_teardown);
}
