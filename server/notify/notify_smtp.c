/*
 * notify_smtp.c - the e-mail adapter of the notifier (notify.h): formats a short plain-text
 * message (UTF-8, quoted-printable, the outbox row id as Message-ID) and hands it to one
 * SMTP relay with libcurl, plain, with required STARTTLS or with implicit TLS.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "notify.h"

#define MAIL_MAX    4096 /* bytes of one formatted message */
#define QP_LINE_MAX 76	 /* quoted-printable line length, soft break included */

/* Whether `a` can go into a header and an SMTP command: printable ASCII without spaces,
 * angle brackets, quotes or line breaks, with one '@' inside. */
static int addr_safe(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL || strlen(a) > 254)
		return 0;
	for (const char *p = a; *p; p++)
		if (*p <= ' ' || *p >= 127 || strchr("<>\"()[],;:\\", *p) != NULL)
			return 0;
	return 1;
}

struct out {
	char *buf;
	size_t cap, len;
	int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->len + n >= o->cap) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The Date header value of `ms` in UTC, in the fixed English form of RFC 5322. */
static void rfc5322_date(int64_t ms, char *buf, size_t len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* An RFC 2047 encoded word for a UTF-8 subject (one word: subjects are short). */
static void put_subject(struct out *o, const char *subject)
{
	char b64[sodium_base64_ENCODED_LEN(NOTIFY_SUBJECT_MAX, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof b64, (const unsigned char *)subject, strlen(subject),
			  sodium_base64_VARIANT_ORIGINAL);
	puts_(o, "Subject: =?UTF-8?B?");
	puts_(o, b64);
	puts_(o, "?=\r\n");
}

/* The body in quoted-printable: "\n" becomes CRLF, lines are broken softly before 76. */
static void put_qp(struct out *o, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		char enc[3];
		size_t n = 1;
		int eol = p[1] == '\0' || p[1] == '\n';

		if (*p == '\n') {
			puts_(o, "\r\n");
			col = 0;
			continue;
		}
		enc[0] = (char)*p;
		if (*p == '=' || *p < ' ' || *p > '~' || ((*p == ' ' || *p == '\t') && eol)) {
			enc[0] = '=';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			n = 3;
		}
		if (col + n > QP_LINE_MAX - 1) {
			puts_(o, "=\r\n");
			col = 0;
		}
		put(o, enc, n);
		col += n;
	}
	puts_(o, "\r\n");
}

int notify_smtp_format(const struct notify_smtp_config *cfg, const struct notify_msg *m, char *buf,
		       size_t cap)
{
	struct out o = { buf, cap, 0, 0 };
	char date[64];

	if (cap == 0 || !addr_safe(cfg->from) || !addr_safe(m->to) ||
	    strlen(m->subject) >= NOTIFY_SUBJECT_MAX || strspn(m->id, "0123456789abcdef") != strlen(m->id) ||
	    (strcmp(m->lang, "fi") != 0 && strcmp(m->lang, "sv") != 0 && strcmp(m->lang, "en") != 0))
		return -1;
	buf[0] = '\0';
	rfc5322_date(m->now, date, sizeof date);
	puts_(&o, "Date: ");
	puts_(&o, date);
	puts_(&o, "\r\nFrom: <");
	puts_(&o, cfg->from);
	puts_(&o, ">\r\nTo: <");
	puts_(&o, m->to);
	puts_(&o, ">\r\n");
	put_subject(&o, m->subject);
	puts_(&o, "Message-ID: <");
	puts_(&o, m->id);
	puts_(&o, strchr(cfg->from, '@'));
	puts_(&o, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\nContent-Language: ");
	puts_(&o, m->lang);
	puts_(&o, "\r\nAuto-Submitted: auto-generated\r\n\r\n");
	put_qp(&o, m->text);
	return o.overflow ? -1 : (int)o.len;
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(ptr, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* The relay's URL: smtp(s)://host:port/<EHLO domain>. 0 or -1 when too long. */
static int smtp_url(const struct notify_smtp_config *cfg, char *url, size_t len)
{
	int v6 = strchr(cfg->host, ':') != NULL, n;

	n = snprintf(url, len, "%s://%s%s%s:%d/%s", cfg->tls == NOTIFY_TLS_IMPLICIT ? "smtps" : "smtp",
		     v6 ? "[" : "", cfg->host, v6 ? "]" : "", cfg->port, strchr(cfg->from, '@') + 1);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Whether a failed attempt's last SMTP reply refuses the recipient for good. */
static int smtp_permanent(long code)
{
	return code == 550 || code == 551 || code == 553 || code == 501;
}

int notify_smtp_send(void *arg, const struct notify_msg *m, char *why, size_t whylen)
{
	const struct notify_smtp_config *cfg = arg;
	char mail[MAIL_MAX], url[600], from[STORE_EMAIL_SIZE + 2], to[STORE_EMAIL_SIZE + 2];
	struct curl_slist *rcpt = NULL;
	struct upload u = { mail, 0, 0 };
	CURL *curl;
	CURLcode res;
	long code = 0;
	int len = notify_smtp_format(cfg, m, mail, sizeof mail);

	if (len < 0 || smtp_url(cfg, url, sizeof url) != 0) {
		snprintf(why, whylen, "address not usable in a message");
		return NOTIFY_REJECTED;
	}
	u.len = (size_t)len;
	snprintf(from, sizeof from, "<%s>", cfg->from);
	snprintf(to, sizeof to, "<%s>", m->to);
	if ((curl = curl_easy_init()) == NULL || (rcpt = curl_slist_append(NULL, to)) == NULL) {
		curl_easy_cleanup(curl);
		snprintf(why, whylen, "out of memory");
		return NOTIFY_RETRY;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)cfg->timeout_s);
	if (cfg->tls == NOTIFY_TLS_STARTTLS)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->password);
	}
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	if (res == CURLE_OK)
		return NOTIFY_SENT;
	snprintf(why, whylen, "%s (reply %ld)", curl_easy_strerror(res), code);
	return smtp_permanent(code) ? NOTIFY_REJECTED : NOTIFY_RETRY;
}
