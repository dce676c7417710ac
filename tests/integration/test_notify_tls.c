/*
 * test_notify_tls.c - notifications of the real adviced over TLS to sinks whose certificates
 * a test CA made at run time signed, with adviced trusting that CA (notify_ca_file): mail
 * over required STARTTLS and over implicit TLS (SMTPS), SMS through an https gateway. And
 * the refusals: a certificate from another CA, or for another name, is not accepted and
 * nothing is delivered (the outbox retries, no row is sent) until the peer presents a
 * certificate adviced trusts; with STARTTLS required and a relay that does not offer it,
 * no mail command goes out in plain text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"
#include "sink.h"

#define TIMEOUT_MS 15000
#define DOMAIN	   "neuvonta.example.fi"
#define EMAIL	   "maija@example.org"
#define PHONE	   "+358401234567"
#define CH_EMAIL   1
#define CH_SMS	   2
#define POLL_MS	   50

/* The CAs, made once for all tests: adviced trusts `ca` (its certificate in ca_file). */
struct cas {
	char dir[128], ca_file[160];
	struct sink_ca *ca, *other;
};

struct fx {
	struct cas *cas;
	struct harness h;
	struct sink *mail, *sms;
};

static int group_setup(void **state)
{
	struct cas *c = calloc(1, sizeof *c);
	const char *tmp = getenv("TMPDIR");

	assert_non_null(c);
	snprintf(c->dir, sizeof c->dir, "%s/advice-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->ca_file, sizeof c->ca_file, "%s/ca.pem", c->dir);
	c->ca = sink_ca_new("Advice Test CA");
	c->other = sink_ca_new("Another Test CA");
	assert_non_null(c->ca);
	assert_non_null(c->other);
	assert_int_equal(sink_ca_save(c->ca, c->ca_file), 0);
	*state = c;
	return 0;
}

static int group_teardown(void **state)
{
	struct cas *c = *state;

	unlink(c->ca_file);
	rmdir(c->dir);
	sink_ca_free(c->ca);
	sink_ca_free(c->other);
	free(c);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->cas = *state;
	*state = f;
	return 0;
}

/* Fails the test when adviced did not stop cleanly (harness_stop). */
static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = harness_stop(&f->h);

	*state = f->cas;
	sink_stop(f->mail);
	sink_stop(f->sms);
	free(f);
	return rc;
}

/* Starts adviced trusting the test CA, with e-mail through the mail sink (smtp_tls
 * `smtp_tls`) when there is one and SMS through the https sink when there is one. */
static void start_server(struct fx *f, const char *smtp_tls)
{
	char conf[2048];
	int n;

	n = snprintf(conf, sizeof conf,
		     "public_url = https://" DOMAIN "/\nmail_from = no-reply@" DOMAIN "\n"
		     "notify_ca_file = %s\n"
		     "notify_retry_base_s = 1\nnotify_retry_max_s = 1\nnotify_poll_ms = 100\n"
		     "notify_timeout_s = 5\n",
		     f->cas->ca_file);
	if (f->mail != NULL)
		n += snprintf(conf + n, sizeof conf - (size_t)n,
			      "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = %s\n", sink_port(f->mail),
			      smtp_tls);
	if (f->sms != NULL)
		n += snprintf(conf + n, sizeof conf - (size_t)n,
			      "sms_url = https://127.0.0.1:%d/v1/messages\n", sink_port(f->sms));
	assert_true(n > 0 && (size_t)n < sizeof conf);
	assert_int_equal(harness_start_with(&f->h, 0, conf), 0);
}

static struct advice_conn *login(struct fx *f, const char *hetu, const char *worker)
{
	char *session;
	struct advice_conn *k;

	if (worker != NULL)
		assert_int_equal(harness_login_worker(&f->h, worker, &session), 0);
	else
		assert_int_equal(harness_login_citizen(&f->h, hetu, &session), 0);
	k = harness_connect(&f->h, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* A citizen with an e-mail address and a phone number asks; anna claims the thread and
 * answers, which queues one notification per channel (both channels are configured or
 * not: a channel that is off has its row cancelled). */
static void answer_citizen(struct fx *f)
{
	struct advice_conn *c = login(f, "010594Y9032", NULL), *anna = login(f, NULL, "anna");
	json_t *r;
	char thread[64];

	json_decref(itest_request(c, "ok",
				  "{\"type\":\"notify.set\",\"id\":\"n1\",\"email\":\"" EMAIL "\","
				  "\"phone\":\"" PHONE "\",\"lang\":\"en\"}"));
	r = itest_request(c, "ok",
			  "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
			  "\"body\":\"aGVsbG8\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
				  thread));
	json_decref(itest_request(
		anna, "ok", "{\"type\":\"message.send\",\"id\":\"a1\",\"thread\":\"%s\",\"body\":\"aGk\"}",
		thread));
	advice_conn_free(c);
	advice_conn_free(anna);
}

/* Rows of `channel` that are sent (`sent`), or else pending again after at least `attempts`
 * finished attempts (a row being sent has its attempt counted before it connects). */
static int outbox_rows(struct fx *f, int channel, int sent, int attempts)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = -1;

	snprintf(path, sizeof path, "%s/advice.db", f->h.dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM notify_outbox WHERE channel = ?1 AND"
					    " attempts >= ?3 AND state = (CASE WHEN ?2 THEN 2 ELSE 0 END)",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(q, 1, channel);
	sqlite3_bind_int(q, 2, sent);
	sqlite3_bind_int(q, 3, attempts);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* Waits until exactly `n` rows of `channel` are as outbox_rows counts them. */
static void wait_rows(struct fx *f, int channel, int sent, int attempts, int n)
{
	struct timespec ts = { 0, POLL_MS * 1000000L };

	for (int waited = 0; waited < TIMEOUT_MS; waited += POLL_MS) {
		if (outbox_rows(f, channel, sent, attempts) == n)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("channel %d: not %d row(s) %s after %d attempt(s)", channel, n,
		 sent ? "sent" : "pending again", attempts);
}

/* The mail sink got one message for the citizen, and its row is sent. */
static void assert_mail_delivered(struct fx *f)
{
	char *head, *body;

	assert_int_equal(sink_wait(f->mail, 1, TIMEOUT_MS), 0);
	wait_rows(f, CH_EMAIL, 1, 1, 1);
	assert_int_equal(sink_count(f->mail), 1);
	assert_int_equal(sink_get(f->mail, 0, &head, &body), 0);
	assert_non_null(strstr(head, "RCPT TO:<" EMAIL ">"));
	assert_non_null(strstr(body, "@" DOMAIN ">"));
	free(head);
	free(body);
}

/* The https sink got one SMS request for the citizen, and its row is sent. */
static void assert_sms_delivered(struct fx *f)
{
	char *head, *body;
	json_t *j;

	assert_int_equal(sink_wait(f->sms, 1, TIMEOUT_MS), 0);
	wait_rows(f, CH_SMS, 1, 1, 1);
	assert_int_equal(sink_count(f->sms), 1);
	assert_int_equal(sink_get(f->sms, 0, &head, &body), 0);
	assert_non_null(strstr(head, "POST /v1/messages "));
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(itest_str(j, "to"), PHONE);
	json_decref(j);
	free(head);
	free(body);
}

/* The sink was connected to `min_connections` times or more and completed `handshakes`
 * TLS handshakes (-1: any number). */
static void assert_stats(struct sink *s, size_t min_connections, int handshakes)
{
	struct sink_stats st;

	sink_get_stats(s, &st);
	if (st.connections < min_connections || (handshakes >= 0 && st.handshakes != (size_t)handshakes))
		fail_msg("sink: %zu connection(s), %zu handshake(s); want %zu+ and %d", st.connections,
			 st.handshakes, min_connections, handshakes);
}

/* Nothing reached the sinks but connections: no SMTP MAIL command, no mail, no request. */
static void assert_nothing_sent(struct fx *f)
{
	struct sink_stats st;

	sink_get_stats(f->mail, &st);
	assert_int_equal(st.mail_from, 0);
	assert_int_equal(sink_count(f->mail), 0);
	if (f->sms != NULL)
		assert_int_equal(sink_count(f->sms), 0);
}

/* (a) and (c): mail through a relay that requires STARTTLS (it refuses MAIL before it), and
 * SMS through an https gateway. */
static void test_starttls_mail_and_https_sms(void **state)
{
	struct fx *f = *state;

	f->mail = sink_start_smtp_tls(0, SINK_TLS_STARTTLS, f->cas->ca, SINK_LOCAL_NAMES);
	f->sms = sink_start_https(0, f->cas->ca, SINK_LOCAL_NAMES);
	assert_non_null(f->mail);
	assert_non_null(f->sms);
	start_server(f, "starttls");
	answer_citizen(f);
	assert_mail_delivered(f);
	assert_sms_delivered(f);
	assert_stats(f->mail, 1, 1);
	assert_stats(f->sms, 1, 1);
}

/* (b): mail over implicit TLS (SMTPS). */
static void test_smtps_mail(void **state)
{
	struct fx *f = *state;

	f->mail = sink_start_smtp_tls(0, SINK_TLS_IMPLICIT, f->cas->ca, SINK_LOCAL_NAMES);
	assert_non_null(f->mail);
	start_server(f, "tls");
	answer_citizen(f);
	assert_mail_delivered(f);
	assert_stats(f->mail, 1, 1);
}

/* Both sinks present a certificate adviced must refuse (signed by `ca` for `names`): every
 * attempt ends before a mail command or a request is sent, and the rows are retried. A
 * certificate from an unknown CA fails the handshake (`handshakes` 0); a wrong name is
 * found by libcurl after it (-1: not counted). Then both sinks come back on the same ports
 * with a trusted certificate and each notification arrives once. */
static void refused_then_delivered(struct fx *f, enum sink_tls mail_tls, const struct sink_ca *ca,
				   const char *names, int handshakes)
{
	int mail_port, sms_port;

	f->mail = sink_start_smtp_tls(0, mail_tls, ca, names);
	f->sms = sink_start_https(0, ca, names);
	assert_non_null(f->mail);
	assert_non_null(f->sms);
	start_server(f, mail_tls == SINK_TLS_IMPLICIT ? "tls" : "starttls");
	answer_citizen(f);
	wait_rows(f, CH_EMAIL, 0, 2, 1);
	wait_rows(f, CH_SMS, 0, 2, 1);
	assert_int_equal(outbox_rows(f, CH_EMAIL, 1, 0), 0);
	assert_int_equal(outbox_rows(f, CH_SMS, 1, 0), 0);
	assert_nothing_sent(f);
	assert_stats(f->mail, 2, handshakes);
	assert_stats(f->sms, 2, handshakes);
	assert_true(harness_log_contains(&f->h, "SSL peer certificate"));

	mail_port = sink_port(f->mail);
	sms_port = sink_port(f->sms);
	sink_stop(f->mail);
	sink_stop(f->sms);
	f->mail = sink_start_smtp_tls(mail_port, mail_tls, f->cas->ca, SINK_LOCAL_NAMES);
	f->sms = sink_start_https(sms_port, f->cas->ca, SINK_LOCAL_NAMES);
	assert_non_null(f->mail);
	assert_non_null(f->sms);
	assert_mail_delivered(f);
	assert_sms_delivered(f);
}

/* A certificate from a CA adviced was not told to trust. */
static void test_untrusted_ca_refused(void **state)
{
	struct fx *f = *state;

	refused_then_delivered(f, SINK_TLS_IMPLICIT, f->cas->other, SINK_LOCAL_NAMES, 0);
}

/* A certificate from the trusted CA, but for another host. */
static void test_wrong_name_refused(void **state)
{
	struct fx *f = *state;

	refused_then_delivered(f, SINK_TLS_STARTTLS, f->cas->ca, "DNS:relay.example.org", -1);
}

/* STARTTLS required, and the relay does not offer it (it would take mail in plain text):
 * no MAIL command is sent, nothing is delivered, the row is retried. Once the relay offers
 * STARTTLS the mail arrives. */
static void test_starttls_not_offered_no_plaintext(void **state)
{
	struct fx *f = *state;
	int port;

	f->mail = sink_start_smtp(0);
	assert_non_null(f->mail);
	start_server(f, "starttls");
	answer_citizen(f);
	wait_rows(f, CH_EMAIL, 0, 2, 1);
	assert_int_equal(outbox_rows(f, CH_EMAIL, 1, 0), 0);
	assert_nothing_sent(f);
	assert_stats(f->mail, 2, 0);
	assert_true(harness_log_contains(&f->h, "Requested SSL level failed"));

	port = sink_port(f->mail);
	sink_stop(f->mail);
	f->mail = sink_start_smtp_tls(port, SINK_TLS_STARTTLS, f->cas->ca, SINK_LOCAL_NAMES);
	assert_non_null(f->mail);
	assert_mail_delivered(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_starttls_mail_and_https_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtps_mail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_ca_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_name_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starttls_not_offered_no_plaintext, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
