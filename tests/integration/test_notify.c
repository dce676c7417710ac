/*
 * test_notify.c - notifications of the real adviced through a real SMTP sink and a real
 * SMS gateway sink on 127.0.0.1: when anna answers, the citizen gets a mail and an SMS in
 * the contact's language that carry no content (neither the messages' canaries nor the
 * category, unit or worker), with the outbox row id as Message-ID and idempotency key; with
 * the relay and the gateway down, answers wait in the outbox (merged per citizen and
 * channel) across a kill -9 and a SIGTERM, and after the restart each notification arrives
 * exactly once, checked by Message-ID against the outbox, and a later answer's mail is the
 * only one after them.
 */
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

#include "advice.h"
#include "harness.h"
#include "itest.h"
#include "sink.h"

#define TIMEOUT_MS 10000
#define DOMAIN	   "neuvonta.example.fi"
/* base64url of "CANARY-question-1f3a" and "CANARY-answer-77c2" */
#define Q_CANARY "Q0FOQVJZLXF1ZXN0aW9uLTFmM2E"
#define A_CANARY "Q0FOQVJZLWFuc3dlci03N2My"

struct fx {
	struct harness h;
	struct sink *mail, *sms;
	int mail_port, sms_port;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char conf[1024];

	assert_non_null(f);
	f->mail = sink_start_smtp(0);
	f->sms = sink_start_http(0);
	assert_non_null(f->mail);
	assert_non_null(f->sms);
	f->mail_port = sink_port(f->mail);
	f->sms_port = sink_port(f->sms);
	snprintf(conf, sizeof conf,
		 "public_url = https://" DOMAIN "/\n"
		 "mail_from = no-reply@" DOMAIN "\n"
		 "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\n"
		 "sms_url = http://127.0.0.1:%d/v1/messages\n"
		 "notify_retry_base_s = 1\nnotify_retry_max_s = 1\nnotify_poll_ms = 100\n"
		 "notify_timeout_s = 5\n",
		 f->mail_port, f->sms_port);
	assert_int_equal(harness_start_with(&f->h, 0, conf), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = harness_stop(&f->h);

	sink_stop(f->mail);
	sink_stop(f->sms);
	free(f);
	return rc;
}

/* Sends a request that must succeed; returns the parsed reply. */
static json_t *ok(struct advice_conn *k, const char *fmt, ...)
{
	char text[4096], *reply = NULL;
	json_t *j;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	rc = advice_request(k, text, &reply, TIMEOUT_MS);
	if (rc != 0)
		fail_msg("%s: %s", text, reply ? reply : advice_err_name(rc));
	j = json_loads(reply, 0, NULL);
	assert_non_null(j);
	free(reply);
	return j;
}

static struct advice_conn *citizen(struct fx *f, const char *hetu)
{
	char *session;
	struct advice_conn *k;

	assert_int_equal(harness_login_citizen(&f->h, hetu, &session), 0);
	k = harness_connect(&f->h, session);
	assert_non_null(k);
	free(session);
	return k;
}

static struct advice_conn *worker(struct fx *f, const char *name)
{
	char *session;
	struct advice_conn *k;

	assert_int_equal(harness_login_worker(&f->h, name, &session), 0);
	k = harness_connect(&f->h, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* The citizen opens a thread (with the question canary); anna claims it. Returns the id. */
static void open_and_claim(struct advice_conn *c, struct advice_conn *anna, const char *tag, char *thread)
{
	json_t *r = ok(c,
		       "{\"type\":\"thread.open\",\"id\":\"o-%s\",\"category\":\"adult-social-work\","
		       "\"body\":\"" Q_CANARY "\"}",
		       tag);

	snprintf(thread, 64, "%s", itest_str(r, "thread"));
	json_decref(r);
	json_decref(ok(anna, "{\"type\":\"thread.claim\",\"id\":\"c-%s\",\"thread\":\"%s\"}", tag, thread));
}

static void answer(struct advice_conn *anna, const char *tag, const char *thread)
{
	json_decref(ok(anna,
		       "{\"type\":\"message.send\",\"id\":\"a-%s\",\"thread\":\"%s\",\"body\":\"" A_CANARY
		       "\"}",
		       tag, thread));
}

/* Ids of the outbox rows of `channel` in `state` (-1: any), space-separated, in id order. */
static void outbox_ids(struct fx *f, int channel, int state, char *out, size_t len)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;

	snprintf(path, sizeof path, "%s/advice.db", f->h.dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT id FROM notify_outbox WHERE channel = ?1 AND"
					    " (?2 < 0 OR state = ?2) ORDER BY id",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(q, 1, channel);
	sqlite3_bind_int(q, 2, state);
	out[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW) {
		size_t n = strlen(out);

		snprintf(out + n, len - n, "%s%s", n ? " " : "", (const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Waits until `n` rows of `channel` are sent (the sink has the message a moment before). */
static void wait_sent(struct fx *f, int channel, size_t n)
{
	char ids[512];

	for (int i = 0; i < 200; i++) {
		outbox_ids(f, channel, 2, ids, sizeof ids);
		if (strlen(ids) == n * 33 - 1)
			return;
		usleep(50000);
	}
	fail_msg("%zu notifications of channel %d not marked sent (sent: %s)", n, channel, ids);
}

/* Waits until there are rows and every one has been attempted at least once and none is
 * sent; returns how many there are. */
static int wait_attempted(struct fx *f)
{
	static const char sql[] = "SELECT count(*), coalesce(sum(attempts >= 1 AND state IN (0, 1)), 0)"
				  " FROM notify_outbox";
	char path[512];
	int rows = -1, attempted = -2;

	snprintf(path, sizeof path, "%s/advice.db", f->h.dir);
	for (int i = 0; i < 200 && (rows <= 0 || attempted != rows); i++) {
		sqlite3 *db;
		sqlite3_stmt *q;

		usleep(50000);
		assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
		if (sqlite3_step(q) == SQLITE_ROW) {
			rows = sqlite3_column_int(q, 0);
			attempted = sqlite3_column_int(q, 1);
		}
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	assert_true(rows > 0);
	assert_int_equal(attempted, rows);
	return rows;
}

/* Asserts that `text` carries no content of the thread. */
static void no_content(const char *text)
{
	static const char *const forbidden[] = {
		Q_CANARY, A_CANARY, "CANARY", "adult-social-work", "Adult social work", "anna", "010594",
	};

	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		if (strstr(text, forbidden[i]) != NULL)
			fail_msg("notification contains '%s'", forbidden[i]);
}

/* The Message-IDs of every mail the sink received, as sorted row ids ("a b c"). */
static void mail_ids(struct fx *f, char *out, size_t len)
{
	char ids[16][64];
	size_t n = sink_count(f->mail);

	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		char *head, *body, *mid;

		assert_int_equal(sink_get(f->mail, i, &head, &body), 0);
		mid = sink_header(body, "Message-ID");
		assert_non_null(mid);
		assert_int_equal(strlen(mid), 1 + 32 + 1 + strlen(DOMAIN) + 1);
		assert_string_equal(mid + 33, "@" DOMAIN ">");
		snprintf(ids[i], sizeof ids[i], "%.32s", mid + 1);
		free(mid);
		free(head);
		free(body);
	}
	qsort(ids, n, sizeof ids[0], (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(out);

		snprintf(out + l, len - l, "%s%s", l ? " " : "", ids[i]);
	}
}

static void test_mail_and_sms_without_content_in_language(void **state)
{
	struct fx *f = *state;
	struct advice_conn *c = citizen(f, "010594Y9032"), *anna = worker(f, "anna");
	char thread[64], ids[256], *head, *body, *text, *key;
	json_t *r, *j;

	r = ok(c, "{\"type\":\"notify.set\",\"id\":\"n1\",\"email\":\"maija@example.org\","
		  "\"phone\":\"+358401234567\",\"lang\":\"sv\"}");
	json_decref(r);
	open_and_claim(c, anna, "1", thread);
	assert_int_equal(sink_count(f->mail), 0); /* the citizen's own message notifies nobody */
	answer(anna, "1", thread);
	assert_int_equal(sink_wait(f->mail, 1, TIMEOUT_MS), 0);
	assert_int_equal(sink_wait(f->sms, 1, TIMEOUT_MS), 0);
	wait_sent(f, 1, 1);
	wait_sent(f, 2, 1);

	assert_int_equal(sink_get(f->mail, 0, &head, &body), 0);
	assert_non_null(strstr(head, "RCPT TO:<maija@example.org>"));
	text = sink_qp_body(body);
	assert_non_null(strstr(text, "Du har ett nytt meddelande i nätrådgivningen"));
	assert_non_null(strstr(text, "https://" DOMAIN "/"));
	no_content(body);
	no_content(text);
	free(text);
	free(head);
	free(body);
	mail_ids(f, ids, sizeof ids);
	outbox_ids(f, 1, 2, thread, sizeof thread);
	assert_string_equal(ids, thread);

	assert_int_equal(sink_get(f->sms, 0, &head, &body), 0);
	no_content(body);
	key = sink_header(head, "Idempotency-Key");
	outbox_ids(f, 2, 2, ids, sizeof ids);
	assert_string_equal(key, ids);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(itest_str(j, "to"), "+358401234567");
	assert_non_null(strstr(itest_str(j, "text"), "nätrådgivningen"));
	json_decref(j);
	free(key);
	free(head);
	free(body);
	advice_conn_free(c);
	advice_conn_free(anna);
}

/* A barrier after a round: a later answer to the first citizen. The notifier takes due rows
 * oldest first, so a row of the round sent again would reach the sink before the barrier's
 * mail; the barrier's mail is the only new message. */
static void later_answer_is_the_only_news(struct fx *f, const char *thread, int round)
{
	struct advice_conn *anna = worker(f, "anna");
	size_t mails = sink_count(f->mail) + 1;
	char tag[16], got[256], want[256];

	snprintf(tag, sizeof tag, "%d-3", round);
	answer(anna, tag, thread);
	assert_int_equal(sink_wait(f->mail, mails, TIMEOUT_MS), 0);
	wait_sent(f, 1, mails);
	assert_int_equal(sink_count(f->mail), mails);
	assert_int_equal(sink_count(f->sms), 1);
	mail_ids(f, got, sizeof got);
	outbox_ids(f, 1, -1, want, sizeof want);
	assert_string_equal(got, want);
	advice_conn_free(anna);
}

/* Answers to two citizens while the relay and gateway are down; the server dies (`kill9`)
 * or stops; everything comes back up; each notification arrives once. */
static void outage_round(struct fx *f, int kill9)
{
	struct advice_conn *c1 = citizen(f, "010594Y900Y"), *c2 = citizen(f, "010594Y9076");
	struct advice_conn *anna = worker(f, "anna");
	char t1[64], t2[64], want[256], got[256], tag[16];
	int mails;

	sink_stop(f->mail);
	sink_stop(f->sms);
	f->mail = f->sms = NULL; /* a failure before the restart leaves the teardown nothing to stop */
	json_decref(ok(c1,
		       "{\"type\":\"notify.set\",\"id\":\"n%d\",\"email\":\"a@example.org\",\"lang\":\"fi\"}",
		       kill9));
	json_decref(ok(c2,
		       "{\"type\":\"notify.set\",\"id\":\"n%d\",\"email\":\"b@example.org\","
		       "\"phone\":\"+358501234567\",\"lang\":\"en\"}",
		       kill9));
	snprintf(tag, sizeof tag, "%d-1", kill9);
	open_and_claim(c1, anna, tag, t1);
	answer(anna, tag, t1);
	snprintf(tag, sizeof tag, "%d-1b", kill9);
	answer(anna, tag, t1);
	snprintf(tag, sizeof tag, "%d-2", kill9);
	open_and_claim(c2, anna, tag, t2);
	answer(anna, tag, t2);
	/* Every row failed at least once: nobody listens. The first citizen's second answer went
	 * into the e-mail row of the first (test_queue checks that merge), unless the notifier
	 * was attempting that row at that very moment: then it may be out already, and the second
	 * answer has a row of its own. So 2 or 3 e-mails, and an SMS. */
	mails = wait_attempted(f) - 1;
	assert_true(mails == 2 || mails == 3);
	advice_conn_free(c1);
	advice_conn_free(c2);
	advice_conn_free(anna);
	if (kill9)
		assert_int_equal(harness_kill9(&f->h), 0);
	f->mail = sink_start_smtp(f->mail_port);
	f->sms = sink_start_http(f->sms_port);
	assert_non_null(f->mail);
	assert_non_null(f->sms);
	assert_int_equal(kill9 ? harness_start_again(&f->h) : harness_restart(&f->h), 0);
	assert_int_equal(sink_wait(f->mail, (size_t)mails, TIMEOUT_MS), 0);
	assert_int_equal(sink_wait(f->sms, 1, TIMEOUT_MS), 0);
	wait_sent(f, 1, (size_t)mails);
	wait_sent(f, 2, 1);
	/* Every row is sent and there is no other row; a sink keeps a message before it answers,
	 * so before the row is marked sent: the counts include every attempt so far (the barrier
	 * at the end checks that none comes later). */
	outbox_ids(f, 1, 2, want, sizeof want);
	outbox_ids(f, 1, -1, got, sizeof got);
	assert_string_equal(got, want);
	outbox_ids(f, 2, 2, want, sizeof want);
	outbox_ids(f, 2, -1, got, sizeof got);
	assert_string_equal(got, want);
	assert_int_equal(sink_count(f->mail), mails);
	assert_int_equal(sink_count(f->sms), 1);
	mail_ids(f, got, sizeof got);
	outbox_ids(f, 1, 2, want, sizeof want); /* every e-mail row of this round, sent */
	assert_string_equal(got, want);
	outbox_ids(f, 2, 2, want, sizeof want);
	{
		char *head, *body, *key;

		assert_int_equal(sink_get(f->sms, 0, &head, &body), 0);
		key = sink_header(head, "Idempotency-Key");
		assert_string_equal(key, want);
		no_content(body);
		free(key);
		free(head);
		free(body);
	}
	later_answer_is_the_only_news(f, t1, kill9);
}

static void test_outage_and_kill9(void **state)
{
	outage_round(*state, 1);
}

static void test_outage_and_sigterm(void **state)
{
	outage_round(*state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mail_and_sms_without_content_in_language, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outage_and_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_and_sigterm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
