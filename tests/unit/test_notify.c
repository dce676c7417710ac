/*
 * test_notify.c - the notifier's pure parts without sockets: the content-free texts per
 * language, the e-mail's format (headers, Message-ID, Date, RFC 2047 subject,
 * quoted-printable lines, refusal of addresses that could inject headers), the SMS
 * gateway's request body and the classification of its answers, the notification settings
 * of the configuration and the secrets' file modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "notify.h"
#include "testutil.h"

#define URL "https://neuvonta.example.fi/"

static void test_compose_languages_and_configured_text(void **state)
{
	struct notify_config c = { .public_url = URL };
	char subj[NOTIFY_SUBJECT_MAX], text[NOTIFY_BODY_MAX];

	(void)state;
	assert_int_equal(notify_compose(&c, "fi", subj, sizeof subj, text, sizeof text), 0);
	assert_string_equal(subj, "Uusi viesti verkkoneuvonnassa");
	assert_string_equal(
		text, "Sinulle on uusi viesti verkkoneuvonnassa. Kirjaudu palveluun lukeaksesi sen: " URL);
	assert_int_equal(notify_compose(&c, "sv", subj, sizeof subj, text, sizeof text), 0);
	assert_string_equal(subj, "Nytt meddelande i nätrådgivningen");
	assert_non_null(strstr(text, "nätrådgivningen"));
	assert_int_equal(notify_compose(&c, "en", subj, sizeof subj, text, sizeof text), 0);
	assert_string_equal(
		text, "You have a new message in online advice. Log in to the service to read it: " URL);
	assert_int_equal(notify_compose(&c, "xx", subj, sizeof subj, text, sizeof text), 0);
	assert_string_equal(subj, "Uusi viesti verkkoneuvonnassa");
	/* Configured: {link} is replaced; without it the link is appended. */
	snprintf(c.text[2], sizeof c.text[2], "New answer at {link} - log in.");
	assert_int_equal(notify_compose(&c, "en", subj, sizeof subj, text, sizeof text), 0);
	assert_string_equal(text, "New answer at " URL " - log in.");
	snprintf(c.text[2], sizeof c.text[2], "New answer.");
	assert_int_equal(notify_compose(&c, "en", subj, sizeof subj, text, sizeof text), 0);
	assert_string_equal(text, "New answer. " URL);
	assert_int_equal(notify_compose(&c, "en", subj, sizeof subj, text, 10), -1);
}

static struct notify_smtp_config smtp_cfg(void)
{
	struct notify_smtp_config s = { .port = 25, .timeout_s = 5 };

	snprintf(s.host, sizeof s.host, "127.0.0.1");
	snprintf(s.from, sizeof s.from, "no-reply@neuvonta.example.fi");
	return s;
}

/* Whether every line ends with CRLF and no line is longer than `max` bytes. */
static int lines_ok(const char *t, size_t max)
{
	while (*t) {
		const char *e = strstr(t, "\r\n");

		if (e == NULL || (size_t)(e - t) > max || memchr(t, '\n', (size_t)(e - t)) != NULL)
			return 0;
		t = e + 2;
	}
	return 1;
}

static void test_smtp_format(void **state)
{
	struct notify_smtp_config s = smtp_cfg();
	char url[300], text[NOTIFY_BODY_MAX], mail[4096], *p;
	struct notify_msg m = { .id = "00112233445566778899aabbccddeeff",
				.to = "maija@example.org",
				.lang = "sv",
				.subject = "Nytt meddelande i nätrådgivningen",
				.now = 1767225600000LL };
	unsigned char subj[128];
	size_t sl;
	const char *end;
	int n;

	(void)state;
	/* A long link and non-ASCII text: quoted-printable with soft breaks. */
	memset(url, 'a', sizeof url);
	memcpy(url, "https://", 8);
	url[250] = '\0';
	snprintf(text, sizeof text, "Du har ett nytt meddelande i nätrådgivningen: %s = slut ", url);
	m.text = text;
	n = notify_smtp_format(&s, &m, mail, sizeof mail);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(mail));
	assert_true(lines_ok(mail, 76));
	assert_non_null(strstr(mail, "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"));
	assert_non_null(strstr(mail, "From: <no-reply@neuvonta.example.fi>\r\n"));
	assert_non_null(strstr(mail, "To: <maija@example.org>\r\n"));
	assert_non_null(
		strstr(mail, "Message-ID: <00112233445566778899aabbccddeeff@neuvonta.example.fi>\r\n"));
	assert_non_null(strstr(mail, "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_non_null(strstr(mail, "Content-Language: sv\r\n"));
	assert_non_null(strstr(mail, "n=C3=A4tr=C3=A5dgivningen"));
	assert_non_null(strstr(mail, "=3D slut=20\r\n")); /* '=' and a space at the line's end */
	p = strstr(mail, "Subject: =?UTF-8?B?");
	assert_non_null(p);
	p += 19;
	assert_int_equal(sodium_base642bin(subj, sizeof subj, p, strcspn(p, "?"), NULL, &sl, &end,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(sl, strlen(m.subject));
	assert_memory_equal(subj, m.subject, sl);

	/* Addresses that could break a header or a command, and a buffer too small. */
	static const char *const bad[] = { "a@b\r\nBcc: x@y", "a b@c.fi", "<a@b.fi>",
					   "a@b@c",	      "@b.fi",	  "ab.fi" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m.to = bad[i];
		assert_int_equal(notify_smtp_format(&s, &m, mail, sizeof mail), -1);
	}
	m.to = "maija@example.org";
	m.lang = "de";
	assert_int_equal(notify_smtp_format(&s, &m, mail, sizeof mail), -1);
	m.lang = "fi";
	m.id = "../x";
	assert_int_equal(notify_smtp_format(&s, &m, mail, sizeof mail), -1);
	m.id = "00112233445566778899aabbccddeeff";
	assert_int_equal(notify_smtp_format(&s, &m, mail, 200), -1);
	snprintf(s.from, sizeof s.from, "no-reply");
	assert_int_equal(notify_smtp_format(&s, &m, mail, sizeof mail), -1);
}

static void test_sms_body_and_answers(void **state)
{
	struct notify_sms_config c = { .timeout_s = 5 };
	struct notify_msg m = { .id = "00112233445566778899aabbccddeeff",
				.to = "+358401234567",
				.lang = "fi",
				.text = "Uusi viesti: " URL };
	char *body;
	json_t *j;

	(void)state;
	body = notify_sms_body(&c, &m);
	assert_non_null(body);
	j = json_loads(body, 0, NULL);
	assert_int_equal(json_object_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(j, "to")), "+358401234567");
	assert_string_equal(json_string_value(json_object_get(j, "text")), "Uusi viesti: " URL);
	assert_string_equal(json_string_value(json_object_get(j, "reference")), m.id);
	json_decref(j);
	free(body);
	snprintf(c.sender, sizeof c.sender, "Neuvonta");
	body = notify_sms_body(&c, &m);
	j = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "sender")), "Neuvonta");
	json_decref(j);
	free(body);

	assert_int_equal(notify_sms_classify(200, "", 0), NOTIFY_SENT);
	assert_int_equal(notify_sms_classify(202, "{\"status\":\"queued\"}", 19), NOTIFY_SENT);
	assert_int_equal(notify_sms_classify(200, "{\"status\":\"duplicate\"}", 22), NOTIFY_SENT);
	assert_int_equal(notify_sms_classify(200, "not json", 8), NOTIFY_SENT);
	assert_int_equal(notify_sms_classify(200, "{\"status\":\"rejected\"}", 21), NOTIFY_REJECTED);
	assert_int_equal(notify_sms_classify(200, "{\"status\":\"rejected\",\"status\":\"x\"}", 34),
			 NOTIFY_SENT);
	assert_int_equal(notify_sms_classify(400, "", 0), NOTIFY_REJECTED);
	assert_int_equal(notify_sms_classify(422, "{}", 2), NOTIFY_REJECTED);
	assert_int_equal(notify_sms_classify(401, "", 0), NOTIFY_RETRY); /* our configuration: retried */
	assert_int_equal(notify_sms_classify(404, "", 0), NOTIFY_RETRY);
	assert_int_equal(notify_sms_classify(429, "", 0), NOTIFY_RETRY);
	assert_int_equal(notify_sms_classify(503, "", 0), NOTIFY_RETRY);
	assert_int_equal(notify_sms_classify(301, "", 0), NOTIFY_RETRY);
}

static const char base_conf[] = "origins = https://neuvonta.example.fi\nidp_issuer = i\nidp_audience = a\n"
				"idp_keys_file = /k\nweb_root = /w\npepper_file = /etc/adviced/pepper\n";

/* Parses base_conf + extra and validates; returns 0 or -1 with the reason in err. */
static int check(const char *extra, struct config *c, char *err, size_t errlen)
{
	char text[2048];

	snprintf(text, sizeof text, "%s%s", base_conf, extra);
	config_defaults(c);
	if (config_parse(c, text, strlen(text), "/srv/advice", err, errlen) != 0)
		return -1;
	return config_validate(c, err, errlen);
}

static void test_config_settings(void **state)
{
	struct config c;
	char err[256];
	static const struct {
		const char *extra, *why;
	} bad[] = {
		{ "smtp_host = mail.example.fi\nmail_from = n@example.fi\n", "public_url" },
		{ "smtp_host = mail.example.fi\nmail_from = n@example.fi\npublic_url = http://x.fi/\n",
		  "public_url" },
		{ "sms_url = https://gw.example.fi/\npublic_url = ftp://x.fi/\n", "public_url" },
		{ "smtp_host = mail.example.fi\npublic_url = https://x.fi/\n", "mail_from" },
		{ "smtp_host = mail.example.fi\npublic_url = https://x.fi/\nmail_from = a <b@c.fi>\n",
		  "mail_from" },
		{ "smtp_host = mail.example.fi\npublic_url = https://x.fi/\nmail_from = "
		  "n@example.fi\nsmtp_tls = none\n",
		  "smtp_tls" },
		{ "smtp_tls = maybe\n", "smtp_tls" },
		{ "smtp_host = mail.example.fi\npublic_url = https://x.fi/\nmail_from = "
		  "n@example.fi\nsmtp_user = u\n",
		  "smtp_password_file" },
		{ "sms_url = http://gw.example.fi/\npublic_url = https://x.fi/\n", "sms_url" },
		{ "notify_retry_base_s = 600\nnotify_retry_max_s = 60\n", "notify_retry_max_s" },
		{ "notify_max_attempts = 0\n", "notify_max_attempts" },
		{ "notify_poll_ms = 10\n", "notify_poll_ms" },
	};

	(void)state;
	assert_int_equal(check("", &c, err, sizeof err), 0);
	assert_string_equal(c.smtp_tls, "starttls");
	assert_int_equal(c.smtp_port, 25);
	assert_int_equal(c.notify_retry_base_s, 30);
	assert_int_equal(c.notify_retry_max_s, 3600);
	assert_int_equal(c.notify_max_attempts, 48);
	assert_string_equal(c.ack_text[0], "");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (check(bad[i].extra, &c, err, sizeof err) == 0)
			fail_msg("accepted: %s", bad[i].extra);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s' for: %s", err, bad[i].extra);
	}
	/* Plain SMTP to this host, http links and gateway in test mode; texts per language. */
	assert_int_equal(
		check("smtp_host = 127.0.0.1\nmail_from = n@example.fi\npublic_url = https://x.fi/\n"
		      "smtp_tls = none\nsmtp_password_file = secrets/smtp\nnotify_text_sv = Nytt: {link}\n"
		      "ack_text_en = Thanks, by {date}.\nemergency_text_fi = Soita 112.\n",
		      &c, err, sizeof err),
		0);
	assert_string_equal(c.notify_text[1], "Nytt: {link}");
	assert_string_equal(c.ack_text[2], "Thanks, by {date}.");
	assert_string_equal(c.emergency_text[0], "Soita 112.");
	assert_string_equal(c.smtp_password_file, "/srv/advice/secrets/smtp");
	assert_int_equal(
		check("test_mode = yes\nsms_url = http://127.0.0.1:9/sms\npublic_url = http://127.0.0.1:8/\n"
		      "smtp_host = mail.example.fi\nsmtp_tls = none\nmail_from = n@example.fi\n",
		      &c, err, sizeof err),
		0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_setup_reads_secrets_owner_only(void **state)
{
	struct config c;
	struct notifier *n = (struct notifier *)&c;
	struct store *st;
	char dir[256], conf[2048], err[256];

	(void)state;
	assert_true(sodium_init() >= 0);
	assert_int_equal(testutil_tmpdir(dir, sizeof dir), 0);
	snprintf(conf, sizeof conf,
		 "%sdata_dir = %s\nsmtp_host = 127.0.0.1\nmail_from = n@example.fi\npublic_url = "
		 "https://x.fi/\n"
		 "smtp_user = u\nsmtp_password_file = %s/pw\nsms_url = https://gw.example.fi/\n"
		 "sms_token_file = %s/token\n",
		 base_conf, dir, dir, dir);
	config_defaults(&c);
	assert_int_equal(config_parse(&c, conf, strlen(conf), dir, err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	/* No channel: no notifier. */
	{
		struct config none = c;

		none.smtp_host[0] = none.sms_url[0] = '\0';
		assert_int_equal(notify_setup(&none, NULL, NULL, NULL, 0, &n, err, sizeof err), 0);
		assert_null(n);
	}
	assert_int_equal(notify_setup(&c, NULL, NULL, NULL, 0, &n, err, sizeof err), -1); /* files missing */
	write_file(c.smtp_password_file, "s3cret\n", 0644);
	write_file(c.sms_token_file, "tok\n", 0600);
	assert_int_equal(notify_setup(&c, NULL, NULL, NULL, 0, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "owner only"));
	assert_null(strstr(err, "s3cret"));
	write_file(c.smtp_password_file, "", 0600);
	assert_int_equal(notify_setup(&c, NULL, NULL, NULL, 0, &n, err, sizeof err), -1);
	write_file(c.smtp_password_file, "s3cret\n", 0600);
	/* Started without a writer to run its work: refused. With a store of its own (no
	 * runner), it owns and closes it. */
	assert_int_equal(notify_setup(&c, NULL, NULL, NULL, 1, &n, err, sizeof err), -1);
	assert_null(n);
	assert_non_null(st = store_sqlite_open(c.database, STORE_READWRITE));
	assert_int_equal(notify_setup(&c, st, NULL, NULL, 1, &n, err, sizeof err), 0);
	assert_non_null(n);
	notify_free(n);
	testutil_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_languages_and_configured_text),
		cmocka_unit_test(test_smtp_format),
		cmocka_unit_test(test_sms_body_and_answers),
		cmocka_unit_test(test_config_settings),
		cmocka_unit_test(test_setup_reads_secrets_owner_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
