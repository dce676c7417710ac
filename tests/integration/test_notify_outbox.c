/*
 * test_notify_outbox.c - the notifier (server/notify/notify.c) with its real adapters against the
 * SMTP and HTTP sinks on 127.0.0.1, over a real SQLite store, with an injected clock:
 * content-free text in the citizen's language with the row id as Message-ID and
 * idempotency key; exponential backoff up to the cap, then "failed"; a relay that comes
 * back gets each notification once; permanent refusals; the only repeat (death between the
 * peer's acceptance and the "sent" commit) carries the same Message-ID; rows of a deleted
 * contact or a channel that is off are cancelled; the thread sends and stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "notify.h"
#include "sink.h"
#include "store.h"

#define WAIT_MS 10000
#define URL	"https://neuvonta.example.fi/"

#define STOP_WITHIN_S 60 /* far below the test's poll interval, far above a real stop */

struct fx {
	char dir[128], db[160];
	struct store *st; /* the test's own connection */
	int64_t now;	  /* the injected clock */
	struct notify_smtp_config smtp;
	struct notify_sms_config sms;
	struct notify_config cfg;
	struct notifier *n;
	struct sink *mail, *http;
	char citizen[STORE_ID_SIZE];
};

static int64_t fx_clock(void *arg)
{
	return ((struct fx *)arg)->now;
}

/* A fresh notifier on its own connection (the store it is given is closed with it). */
static struct notifier *fx_notifier(struct fx *f)
{
	struct store *st = store_sqlite_open(f->db, STORE_READWRITE);

	assert_non_null(st);
	f->n = notify_new(st, &f->cfg);
	assert_non_null(f->n);
	return f->n;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t hash[STORE_HASH_BYTES] = { 7 };
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	assert_true(sodium_init() >= 0);
	snprintf(f->dir, sizeof f->dir, "%s/advice-notify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/advice.db", f->dir);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	f->now = 1767225600000LL; /* 2026-01-01 00:00 UTC */
	assert_int_equal(f->st->ops->identity->citizen_get_or_create(
				 f->st, hash, "0123456789abcdef0123456789abcdef", f->now, f->citizen),
			 STORE_OK);
	f->mail = sink_start_smtp(0);
	f->http = sink_start_http(0);
	assert_non_null(f->mail);
	assert_non_null(f->http);
	snprintf(f->smtp.host, sizeof f->smtp.host, "127.0.0.1");
	f->smtp.port = sink_port(f->mail);
	f->smtp.tls = NOTIFY_TLS_NONE;
	snprintf(f->smtp.from, sizeof f->smtp.from, "no-reply@neuvonta.example.fi");
	f->smtp.timeout_s = 5;
	snprintf(f->sms.url, sizeof f->sms.url, "http://127.0.0.1:%d/v1/sms", sink_port(f->http));
	snprintf(f->sms.token, sizeof f->sms.token, "gateway-token");
	f->sms.timeout_s = 5;
	snprintf(f->cfg.public_url, sizeof f->cfg.public_url, URL);
	f->cfg.retry_base_ms = 1000;
	f->cfg.retry_max_ms = 4000;
	f->cfg.max_attempts = 5;
	f->cfg.poll_ms = 50;
	f->cfg.email = notify_smtp_send;
	f->cfg.email_arg = &f->smtp;
	f->cfg.sms = notify_sms_send;
	f->cfg.sms_arg = &f->sms;
	f->cfg.clock = fx_clock;
	f->cfg.clock_arg = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[300];

	notify_free(f->n);
	f->st->ops->close(f->st);
	sink_stop(f->mail);
	sink_stop(f->http);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Sets the citizen's contact. */
static void contact(struct fx *f, const char *email, const char *phone, const char *lang)
{
	struct store_contact c = { .updated = f->now };

	snprintf(c.citizen_id, sizeof c.citizen_id, "%s", f->citizen);
	snprintf(c.email, sizeof c.email, "%s", email);
	snprintf(c.phone, sizeof c.phone, "%s", phone);
	snprintf(c.lang, sizeof c.lang, "%s", lang);
	assert_int_equal(f->st->ops->notify->contact_put(f->st, &c), STORE_OK);
}

/* Adds an outbox row as core_queue.c does; returns its id in `id`. */
static void add_row(struct fx *f, int channel, char id[STORE_ID_SIZE])
{
	struct store_outbox o = { .channel = channel,
				  .state = OUTBOX_PENDING,
				  .next_at = f->now,
				  .created = f->now,
				  .updated = f->now };
	uint8_t rnd[16];

	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(o.id, sizeof o.id, rnd, sizeof rnd);
	snprintf(o.citizen_id, sizeof o.citizen_id, "%s", f->citizen);
	assert_int_equal(f->st->ops->notify->outbox_add(f->st, &o), STORE_OK);
	snprintf(id, STORE_ID_SIZE, "%s", o.id);
}

static struct store_outbox row(struct fx *f, const char *id)
{
	struct store_outbox o;

	assert_int_equal(f->st->ops->notify->outbox_get(f->st, id, &o), STORE_OK);
	return o;
}

/* The Message-ID of mail i and its QP-decoded body (both malloc'd). */
static void mail_at(struct fx *f, size_t i, char **msgid, char **body, char **env)
{
	char *head, *data;

	assert_int_equal(sink_get(f->mail, i, &head, &data), 0);
	*msgid = sink_header(data, "Message-ID");
	assert_non_null(*msgid);
	*body = sink_qp_body(data);
	if (env != NULL)
		*env = head;
	else
		free(head);
	free(data);
}

static void test_email_once_content_free_in_language(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_SIZE], want[80], *msgid, *body, *env, *head, *data;

	contact(f, "maija@example.org", "", "sv");
	add_row(f, CHANNEL_EMAIL, id);
	fx_notifier(f);
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(sink_count(f->mail), 1);
	mail_at(f, 0, &msgid, &body, &env);
	snprintf(want, sizeof want, "<%s@neuvonta.example.fi>", id);
	assert_string_equal(msgid, want);
	assert_non_null(strstr(body, "Du har ett nytt meddelande i nätrådgivningen"));
	assert_non_null(strstr(body, URL));
	assert_non_null(strstr(env, "RCPT TO:<maija@example.org>"));
	assert_int_equal(sink_get(f->mail, 0, &head, &data), 0);
	assert_non_null(strstr(data, "Content-Language: sv\r\n"));
	assert_non_null(strstr(data, "Subject: =?UTF-8?B?"));
	free(head);
	free(data);
	assert_int_equal(row(f, id).state, OUTBOX_SENT);
	assert_int_equal(row(f, id).attempts, 1);
	/* Nothing more is due: no second mail. */
	f->now += 3600 * 1000;
	assert_int_equal(notify_run_due(f->n, 10), 0);
	assert_int_equal(sink_count(f->mail), 1);
	free(msgid);
	free(body);
	free(env);
}

static void test_backoff_doubles_to_cap_then_fails(void **state)
{
	struct fx *f = *state;
	const int64_t start = f->now, due[] = { 1000, 3000, 7000, 11000 };
	char id[STORE_ID_SIZE];

	assert_int_equal(notify_backoff_ms(&f->cfg, 1), 1000);
	assert_int_equal(notify_backoff_ms(&f->cfg, 2), 2000);
	assert_int_equal(notify_backoff_ms(&f->cfg, 3), 4000);
	assert_int_equal(notify_backoff_ms(&f->cfg, 40), 4000);
	f->smtp.port = harness_free_port();
	contact(f, "maija@example.org", "", "fi");
	add_row(f, CHANNEL_EMAIL, id);
	fx_notifier(f);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(notify_run_due(f->n, 10), 1);
		assert_int_equal(row(f, id).state, OUTBOX_PENDING);
		assert_int_equal(row(f, id).attempts, i + 1);
		assert_int_equal(row(f, id).next_at, start + due[i]);
		f->now = start + due[i] - 1; /* not yet */
		assert_int_equal(notify_run_due(f->n, 10), 0);
		f->now = start + due[i];
	}
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, id).state, OUTBOX_FAILED);
	assert_int_equal(row(f, id).attempts, 5);
	f->now += 86400 * 1000LL;
	assert_int_equal(notify_run_due(f->n, 10), 0);
}

static void test_relay_back_gets_each_once(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_SIZE], id2[STORE_ID_SIZE];
	struct store_outbox merged;
	int port = sink_port(f->mail);

	sink_stop(f->mail); /* the relay is down */
	f->mail = NULL;
	contact(f, "maija@example.org", "+358401234567", "en");
	add_row(f, CHANNEL_EMAIL, id);
	/* A second answer while the first notification is unsent is merged into it. */
	merged = (struct store_outbox){ .channel = CHANNEL_EMAIL, .next_at = f->now, .created = f->now };
	snprintf(merged.id, sizeof merged.id, "ffffffffffffffffffffffffffffffff");
	snprintf(merged.citizen_id, sizeof merged.citizen_id, "%s", f->citizen);
	assert_int_equal(f->st->ops->notify->outbox_add(f->st, &merged), STORE_EXISTS);
	add_row(f, CHANNEL_SMS, id2);
	fx_notifier(f);
	assert_int_equal(notify_run_due(f->n, 10), 2);
	assert_int_equal(row(f, id).state, OUTBOX_PENDING);
	assert_int_equal(row(f, id2).state, OUTBOX_SENT);
	f->mail = sink_start_smtp(port);
	assert_non_null(f->mail);
	f->now += 1000;
	assert_int_equal(notify_run_due(f->n, 10), 1);
	f->now += 600000;
	assert_int_equal(notify_run_due(f->n, 10), 0);
	assert_int_equal(sink_count(f->mail), 1);
	assert_int_equal(sink_count(f->http), 1);
	assert_int_equal(row(f, id).state, OUTBOX_SENT);
	assert_int_equal(row(f, id).attempts, 2);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	char a[STORE_ID_SIZE];

	contact(f, "maija@example.org", "", "fi");
	fx_notifier(f);
	sink_set_reply(f->mail, 451, NULL); /* try later */
	add_row(f, CHANNEL_EMAIL, a);
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, a).state, OUTBOX_PENDING);
	sink_set_reply(f->mail, 550, NULL); /* no such mailbox */
	f->now += 1000;
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, a).state, OUTBOX_FAILED);
	assert_int_equal(row(f, a).attempts, 2);
	assert_int_equal(sink_count(f->mail), 0);
}

static void test_sms_request_and_answers(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_SIZE], *head, *body, *key, *auth;
	json_t *j;

	contact(f, "", "+358401234567", "fi");
	fx_notifier(f);
	add_row(f, CHANNEL_SMS, id);
	sink_set_reply(f->http, 503, "{}");
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, id).state, OUTBOX_PENDING);
	sink_set_reply(f->http, 202, "{\"status\":\"queued\",\"id\":\"g-1\"}");
	f->now += 1000;
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, id).state, OUTBOX_SENT);
	/* Both attempts carried the same idempotency key. */
	assert_int_equal(sink_count(f->http), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(sink_get(f->http, i, &head, &body), 0);
		assert_true(strncmp(head, "POST /v1/sms HTTP/1.1\r\n", 23) == 0);
		key = sink_header(head, "Idempotency-Key");
		auth = sink_header(head, "Authorization");
		assert_string_equal(key, id);
		assert_string_equal(auth, "Bearer gateway-token");
		j = json_loads(body, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "to")), "+358401234567");
		assert_string_equal(json_string_value(json_object_get(j, "reference")), id);
		assert_string_equal(json_string_value(json_object_get(j, "text")),
				    "Sinulle on uusi viesti verkkoneuvonnassa. Kirjaudu palveluun lukeaksesi "
				    "sen: " URL);
		json_decref(j);
		free(key);
		free(auth);
		free(head);
		free(body);
	}
	/* A number the gateway refuses is not retried. */
	add_row(f, CHANNEL_SMS, id);
	sink_set_reply(f->http, 200, "{\"status\":\"rejected\"}");
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, id).state, OUTBOX_FAILED);
	add_row(f, CHANNEL_SMS, id);
	sink_set_reply(f->http, 400, "");
	assert_int_equal(notify_run_due(f->n, 10), 1);
	assert_int_equal(row(f, id).state, OUTBOX_FAILED);
}

/* The stated bound: a death after the relay accepted and before "sent" was committed
 * repeats the notification at the next start, with the same Message-ID, once. */
static void test_death_after_accept_repeats_same_message_id(void **state)
{
	struct fx *f = *state;
	struct notify_job job;
	struct notify_msg m;
	struct store_outbox later;
	char id[STORE_ID_SIZE], why[160], *m0, *m1, *b0, *b1;

	contact(f, "maija@example.org", "", "fi");
	add_row(f, CHANNEL_EMAIL, id);
	fx_notifier(f);
	assert_int_equal(notify_claim(f->n, &job), 1);
	assert_int_equal(row(f, id).state, OUTBOX_SENDING);
	/* An answer now is not merged into a notification that may be out already. */
	later = (struct store_outbox){ .channel = CHANNEL_EMAIL, .next_at = f->now + 1, .created = f->now };
	snprintf(later.id, sizeof later.id, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
	snprintf(later.citizen_id, sizeof later.citizen_id, "%s", f->citizen);
	assert_int_equal(f->st->ops->notify->outbox_add(f->st, &later), STORE_OK);
	m = (struct notify_msg){ job.row.id, job.to, job.lang, job.subject, job.text, f->now };
	assert_int_equal(notify_smtp_send(&f->smtp, &m, why, sizeof why), NOTIFY_SENT);
	/* ... and the process dies here: the row stays "sending". */
	notify_free(f->n);
	f->n = NULL;
	assert_int_equal(row(f, id).state, OUTBOX_SENDING);
	f->now += 5000;
	fx_notifier(f);
	assert_int_equal(notify_recover(f->n), 0);
	assert_int_equal(notify_run_due(f->n, 10), 2); /* the repeat and the later answer's */
	f->now += 600000;
	assert_int_equal(notify_run_due(f->n, 10), 0);
	assert_int_equal(sink_count(f->mail), 3);
	assert_int_equal(row(f, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee").state, OUTBOX_SENT);
	/* Mails: the first attempt, the later answer's (due earlier), the repeat. */
	mail_at(f, 0, &m0, &b0, NULL);
	mail_at(f, 2, &m1, &b1, NULL);
	assert_string_equal(m0, m1);
	assert_string_equal(b0, b1);
	free(m1);
	free(b1);
	mail_at(f, 1, &m1, &b1, NULL);
	assert_non_null(strstr(m1, "<eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee@"));
	assert_int_equal(row(f, id).state, OUTBOX_SENT);
	free(m0);
	free(m1);
	free(b0);
	free(b1);
}

static void test_cancelled_without_contact_or_channel(void **state)
{
	struct fx *f = *state;
	char a[STORE_ID_SIZE], b[STORE_ID_SIZE], c[STORE_ID_SIZE];

	f->cfg.sms = NULL; /* SMS is off */
	contact(f, "maija@example.org", "+358401234567", "fi");
	add_row(f, CHANNEL_EMAIL, a);
	add_row(f, CHANNEL_SMS, b);
	contact(f, "", "+358401234567", "fi"); /* the e-mail address was removed */
	fx_notifier(f);
	assert_int_equal(notify_run_due(f->n, 10), 0);
	assert_int_equal(row(f, a).state, OUTBOX_CANCELLED);
	assert_int_equal(row(f, b).state, OUTBOX_CANCELLED);
	/* notify.delete cancels what is unsent. */
	contact(f, "maija@example.org", "", "fi");
	add_row(f, CHANNEL_EMAIL, c);
	assert_int_equal(f->st->ops->notify->contact_delete(f->st, f->citizen), STORE_OK);
	assert_int_equal(row(f, c).state, OUTBOX_CANCELLED);
	assert_int_equal(notify_run_due(f->n, 10), 0);
	assert_int_equal(sink_count(f->mail), 0);
	assert_int_equal(sink_count(f->http), 0);
}

static void test_thread_sends_and_stops(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_SIZE];
	struct timespec t0, t1;

	f->cfg.clock = NULL; /* real time */
	/* A poll interval longer than any wait here: the row is sent by the thread's first
	 * pass, and only the stop signal can end the wait that follows. */
	f->cfg.poll_ms = 300000;
	contact(f, "maija@example.org", "", "en");
	f->now = (int64_t)time(NULL) * 1000;
	add_row(f, CHANNEL_EMAIL, id);
	fx_notifier(f);
	assert_int_equal(notify_start(f->n), 0);
	assert_int_equal(sink_wait(f->mail, 1, WAIT_MS), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	notify_stop(f->n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Woken, not waited out (with ample room for a loaded machine). */
	assert_true(t1.tv_sec - t0.tv_sec < STOP_WITHIN_S);
	/* The thread recorded the attempt's outcome before it ended. */
	assert_int_equal(row(f, id).state, OUTBOX_SENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_email_once_content_free_in_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_doubles_to_cap_then_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_back_gets_each_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_request_and_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_death_after_accept_repeats_same_message_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_without_contact_or_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_sends_and_stops, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
