/*
 * notify_setup.c - builds adviced's notifier from the configuration (notify.h): the SMTP
 * and SMS adapters' settings, their secrets (the SMTP password, the gateway's token) read
 * from files only their owner can read; its store work runs where adviced says (notify.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "notify.h"
#include "secret.h"

struct adapters {
	struct notify_smtp_config smtp;
	struct notify_sms_config sms;
};

/* Reads a one-line secret from `path` into `out` (without the line break); refuses a file
 * others can read, an empty one and one that does not fit. 0 or -1 with a reason. */
static int read_secret(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	size_t n;

	if (secret_credential_read(path, out, len, &n, err, errlen) != 0)
		return -1;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= len || memchr(out, '\0', n) != NULL || memchr(out, '\n', n) != NULL) {
		snprintf(err, errlen, "%.200s: one line of 1..%zu bytes expected", path, len - 1);
		return -1;
	}
	out[n] = '\0';
	return 0;
}

static int tls_mode(const char *name)
{
	if (strcmp(name, "none") == 0)
		return NOTIFY_TLS_NONE;
	return strcmp(name, "tls") == 0 ? NOTIFY_TLS_IMPLICIT : NOTIFY_TLS_STARTTLS;
}

/* Fills the adapters' settings and the notifier's config. 0 or -1 with a reason. */
static int fill(const struct config *cfg, struct adapters *a, struct notify_config *nc, char *err,
		size_t errlen)
{
	struct notify_smtp_config *s = &a->smtp;
	struct notify_sms_config *m = &a->sms;

	snprintf(nc->public_url, sizeof nc->public_url, "%s", cfg->public_url);
	for (int i = 0; i < 3; i++)
		snprintf(nc->text[i], sizeof nc->text[i], "%s", cfg->notify_text[i]);
	nc->retry_base_ms = cfg->notify_retry_base_s * 1000LL;
	nc->retry_max_ms = cfg->notify_retry_max_s * 1000LL;
	nc->max_attempts = cfg->notify_max_attempts;
	nc->poll_ms = cfg->notify_poll_ms;
	if (cfg->smtp_host[0] != '\0') {
		snprintf(s->host, sizeof s->host, "%s", cfg->smtp_host);
		s->port = cfg->smtp_port;
		s->tls = tls_mode(cfg->smtp_tls);
		snprintf(s->from, sizeof s->from, "%s", cfg->mail_from);
		snprintf(s->user, sizeof s->user, "%s", cfg->smtp_user);
		snprintf(s->ca_file, sizeof s->ca_file, "%s", cfg->notify_ca_file);
		s->timeout_s = cfg->notify_timeout_s;
		if (s->user[0] != '\0' &&
		    read_secret(cfg->smtp_password_file, s->password, sizeof s->password, err, errlen) != 0)
			return -1;
		nc->email = notify_smtp_send;
		nc->email_arg = s;
	}
	if (cfg->sms_url[0] != '\0') {
		snprintf(m->url, sizeof m->url, "%s", cfg->sms_url);
		snprintf(m->sender, sizeof m->sender, "%s", cfg->sms_sender);
		snprintf(m->ca_file, sizeof m->ca_file, "%s", cfg->notify_ca_file);
		m->timeout_s = cfg->notify_timeout_s;
		if (cfg->sms_token_file[0] != '\0' &&
		    read_secret(cfg->sms_token_file, m->token, sizeof m->token, err, errlen) != 0)
			return -1;
		nc->sms = notify_sms_send;
		nc->sms_arg = m;
	}
	return 0;
}

int notify_setup(const struct config *cfg, struct store *st, int (*run)(void *, int (*)(void *), void *),
		 void *run_arg, int start, struct notifier **out, char *err, size_t errlen)
{
	struct notify_config nc = { .run = run, .run_arg = run_arg };
	struct adapters *a;

	*out = NULL;
	if (cfg->smtp_host[0] == '\0' && cfg->sms_url[0] == '\0')
		return 0;
	if (start && st == NULL) {
		snprintf(err, errlen, "the notifier cannot start without a store");
		return -1;
	}
	if ((a = sodium_malloc(sizeof *a)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(a, 0, sizeof *a);
	nc.owned = a;
	if (fill(cfg, a, &nc, err, errlen) != 0) {
		sodium_free(a);
		return -1;
	}
	if ((*out = notify_new(st, &nc)) == NULL) {
		snprintf(err, errlen, "out of memory");
		sodium_free(a);
		return -1;
	}
	if (start && notify_start(*out) != 0) {
		snprintf(err, errlen, "cannot start the notifier (store error)");
		notify_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
