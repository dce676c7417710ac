/*
 * notify.h - the notifier: sends the citizens' notifications of the outbox (store.h
 * notify_outbox, rows written by core_queue.c when staff write to a citizen) from a thread
 * of its own, through adapters (notify_smtp.c for e-mail,
 * notify_sms.c for an SMS HTTP gateway). Never on the network or the core thread.
 *
 * A notification says only that there is a new message, with a link to the service, in
 * the citizen's language (fi, sv, en): no name, unit, topic or text.
 *
 * Delivery: at least once. A row is marked "sending" (committed) before the attempt and
 * "sent" (committed) after the peer accepted it; a failed attempt makes it pending again
 * after an exponential backoff (retry_base_ms doubling, at most retry_max_ms) until
 * max_attempts, then "failed". The row id is the e-mail's Message-ID and the SMS gateway's
 * idempotency key, so a repeat is recognisable. A repeat happens only when the process
 * dies (or the connection breaks) after the peer accepted and before "sent" is committed:
 * at the next start the row is pending again and goes out again with the same id.
 */
#ifndef ADVICE_NOTIFY_H
#define ADVICE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define NOTIFY_URL_MAX	   256 /* bytes of the public base URL */
#define NOTIFY_TEXT_MAX	   512 /* bytes of a configured notification text */
#define NOTIFY_SUBJECT_MAX 128
#define NOTIFY_BODY_MAX	   (NOTIFY_TEXT_MAX + NOTIFY_URL_MAX)

/* The outcome of one attempt (an adapter's send). */
enum notify_outcome {
	NOTIFY_SENT = 0,     /* the peer accepted it */
	NOTIFY_RETRY = 1,    /* not now: down, timeout, temporary refusal */
	NOTIFY_REJECTED = 2, /* never: the peer refused the address or number for good */
};

/* One notification as an adapter sees it. */
struct notify_msg {
	const char *id;	     /* the outbox row id: Message-ID and idempotency key */
	const char *to;	     /* an e-mail address or an E.164 number */
	const char *lang;    /* "fi", "sv" or "en" */
	const char *subject; /* e-mail subject (UTF-8) */
	const char *text;    /* the whole text, link included (UTF-8) */
	int64_t now;	     /* ms since the epoch (the e-mail's Date) */
};

/* Sends one notification; returns an enum notify_outcome and, when not sent, a short
 * reason in `why` (never the address, number or text). */
typedef int (*notify_send_fn)(void *arg, const struct notify_msg *m, char *why, size_t whylen);

struct notify_config {
	char public_url[NOTIFY_URL_MAX]; /* the link: the service's public address */
	char text[3][NOTIFY_TEXT_MAX];	 /* fi, sv, en; "" = built-in; "{link}" becomes the link */
	int64_t retry_base_ms;		 /* first retry delay, doubling */
	int64_t retry_max_ms;		 /* longest delay */
	int max_attempts;		 /* then the row is "failed" */
	int64_t poll_ms;		 /* the thread looks for due rows this often */
	notify_send_fn email, sms;	 /* NULL: channel off (its rows are cancelled) */
	void *email_arg, *sms_arg;
	int64_t (*clock)(void *arg); /* ms since the epoch; NULL: the real clock */
	void *clock_arg;
	void *owned; /* sodium_malloc'd memory the notifier frees (the adapters' settings), or NULL */
	/* How the notifier's store work runs: `run` calls fn(fn_arg) in a transaction of the
	 * store's one writer and returns 0 once that committed, or -1 (nothing of it stays). In
	 * adviced it is a CORE_REQ_CALL through dispatch. NULL: the notifier runs its own
	 * transactions on a store of its own (tests). */
	int (*run)(void *run_arg, int (*fn)(void *fn_arg), void *fn_arg);
	void *run_arg;
};

/* A claimed notification: the row (now "sending") and what to send. */
struct notify_job {
	struct store_outbox row;
	char to[STORE_EMAIL_SIZE];
	char lang[4];
	char subject[NOTIFY_SUBJECT_MAX];
	char text[NOTIFY_BODY_MAX];
};

struct notifier;

/* A notifier over `st`: with cfg->run, the store of the writer that runs its work (never
 * touched by the notifier's thread); without, a writable store used by nobody else, which
 * the notifier closes in notify_free. The config is copied. NULL when out of memory or the
 * config is unusable. */
struct notifier *notify_new(struct store *st, const struct notify_config *cfg);
/* Stops the thread if it runs, closes the store if it is its own, frees. NULL is ignored. */
void notify_free(struct notifier *n);

/* Rows left "sending" by an earlier process become pending, due now. 0 or -1 (store). */
int notify_recover(struct notifier *n);
/*
 * Claims the oldest due notification: in one committed transaction the row becomes
 * "sending" with a new attempt id and one more attempt. Rows that cannot be sent (the
 * citizen deleted the contact or its channel, the channel is off) are cancelled on the way.
 * Returns 1 with `job` filled, 0 when nothing is due, -1 when the store failed.
 */
int notify_claim(struct notifier *n, struct notify_job *job);
/* Records an attempt's outcome: sent, pending again after the backoff, or failed (rejected,
 * or the last attempt). Returns 0, or -1 when the store failed (the row stays "sending"
 * until notify_recover). */
int notify_finish(struct notifier *n, const struct notify_job *job, int outcome);
/* Claims, sends and finishes up to `max` due notifications. Returns how many were
 * attempted, or -1 when the store failed. */
int notify_run_due(struct notifier *n, int max);

/* Recovers, then runs notify_run_due every poll_ms on a thread of its own. 0 or -1. */
int notify_start(struct notifier *n);
/* Asks the thread to stop after the attempt in flight and joins it. */
void notify_stop(struct notifier *n);

/* The delay before attempt `attempts` + 1 after `attempts` failed ones (pure). */
int64_t notify_backoff_ms(const struct notify_config *cfg, int attempts);
/* Fills subject and text for `lang` ("fi", "sv", "en"; others: fi). 0, or -1 when the text
 * with the link does not fit. */
int notify_compose(const struct notify_config *cfg, const char *lang, char *subject, size_t subjlen,
		   char *text, size_t textlen);

struct config;
/*
 * The notifier of adviced's configuration (notify_setup.c): the adapters of the configured
 * channels, their secrets read from files only the owner can read, its store work run by
 * `run` on `st` (notify_config). *out is NULL when no channel is configured. With `start`
 * (st and run set) the thread runs; without, only the configuration is checked.
 * Returns 0, or -1 with a reason in `err`.
 */
int notify_setup(const struct config *cfg, struct store *st, int (*run)(void *, int (*)(void *), void *),
		 void *run_arg, int start, struct notifier **out, char *err, size_t errlen);

/* The e-mail adapter (notify_smtp.c): libcurl SMTP to one relay. */
enum notify_tls {
	NOTIFY_TLS_NONE = 0,	 /* plain SMTP (a relay on this host, tests) */
	NOTIFY_TLS_STARTTLS = 1, /* STARTTLS required */
	NOTIFY_TLS_IMPLICIT = 2, /* SMTPS: TLS from the first byte */
};

struct notify_smtp_config {
	char host[256]; /* name or address of the relay */
	int port;
	int tls;		       /* enum notify_tls; the certificate is verified */
	char from[STORE_EMAIL_SIZE];   /* envelope and header sender; its domain names the Message-ID */
	char user[128], password[256]; /* "" = no authentication */
	char ca_file[512];	       /* "" = the system's CAs */
	int timeout_s;		       /* a whole attempt */
};

/* notify_send_fn for e-mail; `arg` is a struct notify_smtp_config. */
int notify_smtp_send(void *arg, const struct notify_msg *m, char *why, size_t whylen);
/* The message text (headers with CRLF, quoted-printable body). Returns its length, or -1
 * when it does not fit in `cap` or an address could break a header. */
int notify_smtp_format(const struct notify_smtp_config *cfg, const struct notify_msg *m, char *out,
		       size_t cap);

/* The SMS adapter (notify_sms.c): a JSON POST to an HTTP gateway. */
struct notify_sms_config {
	char url[512];	   /* http(s)://... of the gateway */
	char token[256];   /* "" = none; else sent as "Authorization: Bearer <token>" */
	char sender[16];   /* "" = the gateway's default */
	char ca_file[512]; /* "" = the system's CAs */
	int timeout_s;
};

/* notify_send_fn for SMS; `arg` is a struct notify_sms_config. */
int notify_sms_send(void *arg, const struct notify_msg *m, char *why, size_t whylen);
/* The request body: {"to", "text", "reference"[, "sender"]}, malloc'd; NULL when out of
 * memory. */
char *notify_sms_body(const struct notify_sms_config *cfg, const struct notify_msg *m);
/* The gateway's answer (status and up to 4 KiB of body, untrusted) as an enum notify_outcome:
 * 2xx is sent unless the body is a JSON object whose "status" is "rejected"; 400 and 422
 * are rejected; everything else is retried. */
int notify_sms_classify(long status, const char *body, size_t len);

#endif
