/*
 * test_register_logs.c - the register keeper's duties over the logs, with advicectl against a
 * running adviced: citizen-find (the identity code on standard input, in no log), breach-scope
 * (a seeded scenario: several staff reads of several clients; exactly the right pseudonyms
 * for an account, a unit and a window, L/O1), log-report (names and roles, two years back,
 * older only with a special reason kept in the access log, L7), disclosure-list, and
 * audit-verify of both chains, intact and after an offline edit of each (L4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "disclosure.h"
#include "harness.h"
#include "itest.h"
#include "store.h"

#define C1 "010594Y9032"
#define C2 "020594X903P"
#define C3 "220750-999Y"

struct scenario {
	struct harness h;
	char p1[STORE_ID_SIZE], p2[STORE_ID_SIZE], p3[STORE_ID_SIZE]; /* the clients' pseudonyms */
	char t1[STORE_ID_SIZE], t2[STORE_ID_SIZE], t3[STORE_ID_SIZE]; /* their threads */
};

/* advicectl -d DIR args..., with `input` on standard input (NULL: none). */
static void ctl(struct harness *h, const char *input, const char *const args[], struct itest_run *r)
{
	char *argv[24];
	size_t n = 0;

	argv[n++] = getenv("ADVICECTL");
	argv[n++] = "-d";
	argv[n++] = h->dir;
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(n < sizeof argv / sizeof argv[0] - 1);
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	assert_non_null(argv[0]);
	itest_run_argv(argv, input, r);
}

/* advicectl --json ... that must succeed: its data. */
static json_t *ctl_json(struct harness *h, const char *input, const char *const args[])
{
	const char *full[24] = { "--json" };
	struct itest_run r;
	json_t *j;
	size_t n = 1;

	for (size_t i = 0; args[i] != NULL; i++)
		full[n++] = args[i];
	full[n] = NULL;
	ctl(h, input, full, &r);
	if (r.status != 0)
		fail_msg("advicectl %s: exit %d: %s", args[0], r.status, r.err);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	itest_run_free(&r);
	return j;
}

static void open_thread(struct advice_conn *k, const char *category, char tid[STORE_ID_SIZE])
{
	json_t *r = itest_request(
		k, "ok", "{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"%s\",\"body\":\"b3Blbg\"}",
		category);

	snprintf(tid, STORE_ID_SIZE, "%s", itest_str(r, "thread"));
	json_decref(r);
}

static void staff_reads(struct advice_conn *k, const char *type, const char *tid, int times)
{
	static int n;

	for (int i = 0; i < times; i++)
		json_decref(itest_request(k, "ok", "{\"type\":\"%s\",\"id\":\"r%d\",\"thread\":\"%s\"}", type,
					  ++n, tid));
}

/* The pseudonym citizen-find gives for `hetu`. */
static void find(struct harness *h, const char *hetu, char out[STORE_ID_SIZE])
{
	json_t *j = ctl_json(h, hetu, (const char *const[]){ "citizen-find", NULL });

	snprintf(out, STORE_ID_SIZE, "%s", itest_str(j, "client"));
	json_decref(j);
}

/* Three citizens' threads; anna reads the first twice and the second once, sara looks the
 * first up, ben reads the third (another unit). */
static int setup(void **state)
{
	struct scenario *s = calloc(1, sizeof *s);
	struct advice_conn *c1, *c2, *c3, *anna, *sara, *ben;

	*state = s;
	if (s == NULL || harness_start(&s->h) != 0)
		return -1;
	c1 = itest_citizen(&s->h, C1);
	c2 = itest_citizen(&s->h, C2);
	c3 = itest_citizen(&s->h, C3);
	open_thread(c1, "adult-social-work", s->t1);
	open_thread(c2, "adult-social-work", s->t2);
	open_thread(c3, "children-and-families", s->t3);
	anna = itest_worker(&s->h, "anna");
	sara = itest_worker(&s->h, "sara");
	ben = itest_worker(&s->h, "ben");
	staff_reads(anna, "thread.read", s->t1, 2);
	staff_reads(anna, "thread.read", s->t2, 1);
	staff_reads(sara, "thread.get", s->t1, 1);
	staff_reads(ben, "thread.read", s->t3, 1);
	staff_reads(c1, "thread.read", s->t1, 1); /* the citizen's own read is no one else's */
	advice_conn_free(c1);
	advice_conn_free(c2);
	advice_conn_free(c3);
	advice_conn_free(anna);
	advice_conn_free(sara);
	advice_conn_free(ben);
	return 0;
}

static int teardown(void **state)
{
	struct scenario *s = *state;
	int rc = harness_stop(&s->h);

	free(s);
	return rc;
}

/* The client of a thread, from the database. */
static void client_of(struct harness *h, const char *tid, char out[STORE_ID_SIZE])
{
	char db[600];
	struct store *st;
	struct store_thread t;

	snprintf(db, sizeof db, "%s/advice.db", h->dir);
	st = store_sqlite_open(db, STORE_READONLY);
	assert_non_null(st);
	assert_int_equal(st->ops->thread->get(st, tid, &t), STORE_OK);
	snprintf(out, STORE_ID_SIZE, "%s", t.citizen_id);
	st->ops->close(st);
}

static long long db_count(struct harness *h, const char *sql)
{
	char db[600];
	sqlite3 *d;
	sqlite3_stmt *q;
	long long n;

	snprintf(db, sizeof db, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(d);
	return n;
}

static void test_citizen_find_logs_no_code(void **state)
{
	struct scenario *s = *state;
	char want[STORE_ID_SIZE];
	struct itest_run r;

	find(&s->h, C1, s->p1);
	client_of(&s->h, s->t1, want);
	assert_string_equal(s->p1, want);
	/* Text output; an unknown and a malformed code are refused without echoing them. */
	ctl(&s->h, C2, (const char *const[]){ "citizen-find", NULL }, &r);
	assert_int_equal(r.status, 0);
	client_of(&s->h, s->t2, want);
	assert_non_null(strstr(r.out, want));
	itest_run_free(&r);
	ctl(&s->h, "030594X903B", (const char *const[]){ "citizen-find", NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "no client"));
	assert_null(strstr(r.err, "030594"));
	itest_run_free(&r);
	ctl(&s->h, "not a code", (const char *const[]){ "citizen-find", NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "identity code"));
	itest_run_free(&r);
	/* Logged with the pseudonym; the codes are in no log. */
	assert_true(db_count(&s->h, "SELECT count(*) FROM access_log WHERE action = 'citizen.find'") == 2);
	/* The codes' birth dates with their century signs: a random hex id cannot hold them. */
	assert_true(db_count(&s->h,
			     "SELECT count(*) FROM access_log WHERE object LIKE '%0594Y%'"
			     " OR object LIKE '%0594X%' OR client LIKE '%0594Y%' OR client LIKE '%0594X%'"
			     " OR action LIKE '%0594Y%' OR action LIKE '%0594X%'") == 0);
	assert_false(harness_log_contains(&s->h, "0594Y9032"));
	assert_false(harness_log_contains(&s->h, "0594X903"));
}

/* The clients of a breach-scope answer, as "p1,p2" in order, into out. */
static void scope_clients(json_t *j, char *out, size_t size, json_t **first)
{
	json_t *c;
	size_t i, pos = 0;

	out[0] = '\0';
	*first = json_array_get(json_object_get(j, "clients"), 0);
	json_array_foreach (json_object_get(j, "clients"), i, c)
		pos += (size_t)snprintf(out + pos, size - pos, "%s%s", i ? "," : "", itest_str(c, "client"));
}

static void test_breach_scope(void **state)
{
	struct scenario *s = *state;
	char got[256], want[256], today[16];
	json_t *j, *first, *c;
	struct itest_run r;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	client_of(&s->h, s->t1, s->p1);
	client_of(&s->h, s->t2, s->p2);
	client_of(&s->h, s->t3, s->p3);
	setenv("TZ", "Europe/Helsinki", 1);
	tzset();
	localtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);

	/* anna touched clients 1 and 2: two and one thread reads. */
	j = ctl_json(&s->h, NULL,
		     (const char *const[]){ "breach-scope", "--user", "anna", "--from", today, "--to", today,
					    NULL });
	scope_clients(j, got, sizeof got, &first);
	snprintf(want, sizeof want, "%s,%s", strcmp(s->p1, s->p2) < 0 ? s->p1 : s->p2,
		 strcmp(s->p1, s->p2) < 0 ? s->p2 : s->p1);
	assert_string_equal(got, want);
	json_array_foreach (json_object_get(j, "clients"), i, c) {
		assert_int_equal(itest_num(c, "accesses"),
				 strcmp(itest_str(c, "client"), s->p1) == 0 ? 2 : 1);
		assert_int_equal(itest_num(c, "disclosures"), 0);
		assert_string_equal(json_string_value(json_array_get(json_object_get(c, "objects"), 0)),
				    "thread");
	}
	json_decref(j);
	/* The other unit: client 3 only. */
	j = ctl_json(&s->h, NULL,
		     (const char *const[]){ "breach-scope", "--unit", "Children and families", "--from",
					    today, "--to", today, NULL });
	scope_clients(j, got, sizeof got, &first);
	assert_string_equal(got, s->p3);
	json_decref(j);
	/* sara, within the hour: client 1. A window before anything: nobody. */
	j = ctl_json(&s->h, NULL,
		     (const char *const[]){ "breach-scope", "--user", "sara", "--from", today, "--to", today,
					    NULL });
	scope_clients(j, got, sizeof got, &first);
	assert_string_equal(got, s->p1);
	json_decref(j);
	j = ctl_json(
		&s->h, NULL,
		(const char *const[]){ "breach-scope", "--from", "2020-01-01", "--to", "2020-12-31", NULL });
	assert_int_equal(json_array_size(json_object_get(j, "clients")), 0);
	json_decref(j);
	/* Text; refusals. */
	ctl(&s->h, NULL,
	    (const char *const[]){ "breach-scope", "--user", "anna", "--from", today, "--to", today, NULL },
	    &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "2 clients touched"));
	assert_non_null(strstr(r.out, s->p1));
	itest_run_free(&r);
	ctl(&s->h, NULL,
	    (const char *const[]){ "breach-scope", "--user", "nobody", "--from", today, "--to", today, NULL },
	    &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "no account"));
	itest_run_free(&r);
	ctl(&s->h, NULL, (const char *const[]){ "breach-scope", "--user", "anna", NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "--from DATE --to DATE"));
	itest_run_free(&r);
	ctl(&s->h, NULL, (const char *const[]){ "breach-scope", "--from", "yesterday", "--to", today, NULL },
	    &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "YYYY-MM-DD"));
	itest_run_free(&r);
}

static int count_role(json_t *report, const char *role)
{
	json_t *o;
	size_t i;
	int n = 0;

	json_array_foreach (json_object_get(report, "accesses"), i, o)
		n += strcmp(itest_str(o, "role"), role) == 0;
	return n;
}

static void test_log_report(void **state)
{
	struct scenario *s = *state;
	json_t *j, *rep;
	struct itest_run r;

	client_of(&s->h, s->t1, s->p1);
	j = ctl_json(&s->h, NULL, (const char *const[]){ "log-report", s->p1, NULL });
	rep = json_object_get(j, "report");
	assert_string_equal(itest_str(rep, "client"), s->p1);
	assert_int_equal(count_role(rep, "worker"), 2);	    /* anna's reads */
	assert_int_equal(count_role(rep, "supervisor"), 1); /* sara's look-up */
	assert_int_equal(count_role(rep, "admin"), 1);	    /* this report */
	assert_int_equal(json_array_size(json_object_get(rep, "disclosures")), 0);
	assert_string_equal(itest_str(json_array_get(json_object_get(rep, "accesses"), 0), "unit_name"),
			    "Adult social work");
	assert_true(json_is_null(json_object_get(rep, "special_reason")));
	json_decref(j);
	ctl(&s->h, NULL, (const char *const[]){ "log-report", s->p1, NULL }, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "processed by (5):"));
	assert_non_null(strstr(r.out, "Adult social work  worker"));
	itest_run_free(&r);
	/* Older than two years: only with a special reason, which the access log keeps. */
	ctl(&s->h, NULL, (const char *const[]){ "log-report", s->p1, "--from", "2020-01-01", NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "--special-reason"));
	itest_run_free(&r);
	j = ctl_json(&s->h, NULL,
		     (const char *const[]){ "log-report", s->p1, "--from", "2020-01-01", "--to", "2030-01-01",
					    "--special-reason", "court order 12/2026", NULL });
	assert_string_equal(itest_str(json_object_get(j, "report"), "special_reason"), "court order 12/2026");
	json_decref(j);
	assert_true(db_count(&s->h,
			     "SELECT count(*) FROM access_log WHERE action = 'log.report'"
			     " AND object = 'log; special reason: court order 12/2026' AND role = 4") == 1);
	ctl(&s->h, NULL, (const char *const[]){ "log-report", "not-a-pseudonym", NULL }, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "pseudonym"));
	itest_run_free(&r);
}

/* Rows of the disclosure log written offline (adviced stopped). */
static void add_disclosures(struct scenario *s, int n)
{
	char db[600];
	struct store *st;

	snprintf(db, sizeof db, "%s/advice.db", s->h.dir);
	st = store_sqlite_open(db, STORE_READWRITE);
	assert_non_null(st);
	for (int i = 0; i < n; i++) {
		struct store_disclosure d = { .time = 1790000000000 + i, .role = ROLE_CONNECTOR };

		snprintf(d.user_id, sizeof d.user_id, "connector");
		snprintf(d.client, sizeof d.client, "%s", s->p1);
		snprintf(d.object, sizeof d.object, "thread:%s", s->t1);
		snprintf(d.recipient, sizeof d.recipient, "Client record system");
		snprintf(d.basis, sizeof d.basis, "consent");
		snprintf(d.dataset, sizeof d.dataset, "messages");
		snprintf(d.method, sizeof d.method, "directory");
		snprintf(d.outcome, sizeof d.outcome, "ok");
		assert_int_equal(disclosure_append(st, &d), STORE_OK);
	}
	st->ops->close(st);
}

/* Runs `sql` on the database file as an intruder would, the append-only triggers dropped. */
static void tamper(struct scenario *s, const char *sql)
{
	char db[600];
	sqlite3 *d;

	snprintf(db, sizeof db, "%s/advice.db", s->h.dir);
	assert_int_equal(sqlite3_open(db, &d), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(d);
}

static void test_audit_verify_both_chains(void **state)
{
	struct scenario *s = *state;
	struct itest_run r;
	json_t *j;

	client_of(&s->h, s->t1, s->p1);
	assert_int_equal(harness_kill9(&s->h), 0);
	add_disclosures(s, 3);
	assert_int_equal(harness_start_again(&s->h), 0);
	j = ctl_json(&s->h, NULL, (const char *const[]){ "audit-verify", NULL });
	assert_true(json_is_true(json_object_get(json_object_get(j, "audit"), "intact")));
	assert_true(json_is_true(json_object_get(json_object_get(j, "disclosure"), "intact")));
	assert_int_equal(itest_num(json_object_get(j, "disclosure"), "rows"), 3);
	json_decref(j);
	j = ctl_json(&s->h, NULL, (const char *const[]){ "disclosure-list", "--client", s->p1, NULL });
	assert_int_equal(json_array_size(json_object_get(j, "disclosures")), 3);
	assert_string_equal(itest_str(json_array_get(json_object_get(j, "disclosures"), 0), "recipient"),
			    "Client record system");
	json_decref(j);
	j = ctl_json(&s->h, NULL, (const char *const[]){ "log-report", s->p1, NULL });
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "report"), "disclosures")), 3);
	json_decref(j);

	/* The disclosure log edited offline: its row 2 is named, the access log still holds. */
	assert_int_equal(harness_kill9(&s->h), 0);
	tamper(s, "DROP TRIGGER disclosure_log_append_only_u;"
		  "UPDATE disclosure_log SET recipient = 'Elsewhere' WHERE row = 2;");
	assert_int_equal(harness_start_again(&s->h), 0);
	ctl(&s->h, NULL, (const char *const[]){ "audit-verify", NULL }, &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "access log intact"));
	assert_non_null(strstr(r.out, "disclosure log BROKEN at row 2"));
	itest_run_free(&r);
	j = ctl_json(
		&s->h, NULL,
		(const char *const[]){ "breach-scope", "--from", "2026-01-01", "--to", "2099-01-01", NULL });
	json_decref(j);

	/* Then the access log too: both are named. */
	assert_int_equal(harness_kill9(&s->h), 0);
	tamper(s, "DROP TRIGGER access_log_append_only_d;"
		  "DELETE FROM access_log WHERE row = 3;");
	assert_int_equal(harness_start_again(&s->h), 0);
	ctl(&s->h, NULL, (const char *const[]){ "--json", "audit-verify", NULL }, &r);
	assert_int_equal(r.status, 3);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_false(json_object_get(json_object_get(j, "audit"), "intact")));
	assert_int_equal(itest_num(json_object_get(j, "audit"), "broken_row"), 4);
	assert_int_equal(itest_num(json_object_get(j, "disclosure"), "broken_row"), 2);
	json_decref(j);
	itest_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_citizen_find_logs_no_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breach_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_verify_both_chains, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
