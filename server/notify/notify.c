/*
 * notify.c - the notifier (notify.h): claims due rows of the notification outbox on its own
 * store connection, composes the content-free text in the citizen's language, hands it to
 * the channel's adapter and records the outcome with retries and exponential backoff.
 *
 * Every state change is its own short transaction (BEGIN IMMEDIATE, the store's busy
 * timeout waits for the core thread's batch); the network attempt happens outside any
 * transaction, so a slow mail server never holds the database.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "notify.h"

#define CLAIM_SKIP_MAX 64 /* unsendable rows cancelled per claim */

/* Built-in subjects and texts (fi, sv, en): only that there is a new message, and the link. */
static const char *const default_subject[3] = {
	"Uusi viesti verkkoneuvonnassa",
	"Nytt meddelande i nätrådgivningen",
	"New message in online advice",
};
static const char *const default_text[3] = {
	"Sinulle on uusi viesti verkkoneuvonnassa. Kirjaudu palveluun lukeaksesi sen: {link}",
	"Du har ett nytt meddelande i nätrådgivningen. Logga in i tjänsten för att läsa det: {link}",
	"You have a new message in online advice. Log in to the service to read it: {link}",
};

struct notifier {
	struct store *st;
	struct notify_config cfg;
	pthread_t thread;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;		      /* under mu */
	struct notify_job unfinished; /* an attempt whose outcome the store did not take yet */
	int unfinished_outcome, has_unfinished;
};

static int64_t notify_now(const struct notifier *n)
{
	struct timespec ts;

	if (n->cfg.clock != NULL)
		return n->cfg.clock(n->cfg.clock_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lang_index(const char *lang)
{
	if (strcmp(lang, "sv") == 0)
		return 1;
	if (strcmp(lang, "en") == 0)
		return 2;
	return 0;
}

int64_t notify_backoff_ms(const struct notify_config *cfg, int attempts)
{
	int64_t d = cfg->retry_base_ms;

	for (int i = 1; i < attempts && d < cfg->retry_max_ms; i++)
		d *= 2;
	return d < cfg->retry_max_ms ? d : cfg->retry_max_ms;
}

int notify_compose(const struct notify_config *cfg, const char *lang, char *subject, size_t subjlen,
		   char *text, size_t textlen)
{
	int li = lang_index(lang);
	const char *t = cfg->text[li][0] ? cfg->text[li] : default_text[li];
	const char *mark = strstr(t, "{link}");
	int len;

	if ((size_t)snprintf(subject, subjlen, "%s", default_subject[li]) >= subjlen)
		return -1;
	if (mark == NULL)
		len = snprintf(text, textlen, "%s %s", t, cfg->public_url);
	else
		len = snprintf(text, textlen, "%.*s%s%s", (int)(mark - t), t, cfg->public_url, mark + 6);
	return len < 0 || (size_t)len >= textlen ? -1 : 0;
}

struct notifier *notify_new(struct store *st, const struct notify_config *cfg)
{
	struct notifier *n;
	pthread_condattr_t ca;

	if (cfg->retry_base_ms <= 0 || cfg->retry_max_ms < cfg->retry_base_ms || cfg->max_attempts < 1 ||
	    cfg->poll_ms <= 0 || (n = calloc(1, sizeof *n)) == NULL)
		return NULL;
	n->st = st;
	n->cfg = *cfg;
	pthread_mutex_init(&n->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cv, &ca);
	pthread_condattr_destroy(&ca);
	return n;
}

void notify_free(struct notifier *n)
{
	if (n == NULL)
		return;
	notify_stop(n);
	if (n->st != NULL && n->cfg.run == NULL)
		n->st->ops->close(n->st);
	sodium_free(n->cfg.owned);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

/* A transaction's work handed to the writer (notify_config.run). */
struct tx_call {
	struct notifier *n;
	int (*fn)(struct notifier *, void *);
	void *arg;
	int rc; /* fn's result */
};

static int tx_call_run(void *arg)
{
	struct tx_call *c = arg;

	c->rc = c->fn(c->n, c->arg);
	return c->rc;
}

/* Runs `fn` in a transaction of its own; commits unless it returns < 0. Returns fn's
 * result, or -1 when the transaction could not start or commit. */
static int in_transaction(struct notifier *n, int (*fn)(struct notifier *, void *), void *arg)
{
	struct store *st = n->st;
	int rc;

	if (n->cfg.run != NULL) { /* adviced: through dispatch, on the one writer */
		struct tx_call c = { n, fn, arg, -1 };

		return n->cfg.run(n->cfg.run_arg, tx_call_run, &c) == 0 ? c.rc : -1;
	}
	if (st->ops->tx->begin(st) != STORE_OK)
		return -1;
	rc = fn(n, arg);
	if (rc < 0) {
		st->ops->tx->rollback(st);
		return rc;
	}
	if (st->ops->tx->commit(st) != STORE_OK) {
		st->ops->tx->rollback(st);
		return -1;
	}
	return rc;
}

static int recover_tx(struct notifier *n, void *arg)
{
	(void)arg;
	return n->st->ops->notify->outbox_recover(n->st, notify_now(n)) == STORE_OK ? 0 : -1;
}

int notify_recover(struct notifier *n)
{
	return in_transaction(n, recover_tx, NULL);
}

/* Where row `o` goes: fills job->to and job->lang. 1 when it can be sent, 0 when it must be
 * cancelled, -1 on a store error. */
static int job_target(struct notifier *n, const struct store_outbox *o, struct notify_job *job)
{
	struct store_contact c;
	int rc = n->st->ops->notify->contact_get(n->st, o->citizen_id, &c);
	const char *to;

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND)
		return 0;
	if (o->channel == CHANNEL_EMAIL && n->cfg.email != NULL)
		to = c.email;
	else if (o->channel == CHANNEL_SMS && n->cfg.sms != NULL)
		to = c.phone;
	else
		return 0;
	if (to[0] == '\0')
		return 0;
	snprintf(job->to, sizeof job->to, "%s", to);
	snprintf(job->lang, sizeof job->lang, "%s", c.lang);
	return 1;
}

static int claim_tx(struct notifier *n, void *arg)
{
	struct notify_job *job = arg;
	struct store_outbox *o = &job->row;
	int64_t now = notify_now(n);
	uint8_t rnd[ADVICE_ID_HEX / 2];

	for (int i = 0; i < CLAIM_SKIP_MAX; i++) {
		int rc = n->st->ops->notify->outbox_next(n->st, now, o), ok;

		if (rc == STORE_NOTFOUND)
			return 0;
		if (rc != STORE_OK || (ok = job_target(n, o, job)) < 0)
			return -1;
		o->updated = now;
		if (!ok) {
			o->state = OUTBOX_CANCELLED;
			log_info("notification %s cancelled: no contact for its channel", o->id);
			if (n->st->ops->notify->outbox_update(n->st, o) != STORE_OK)
				return -1;
			continue;
		}
		if (notify_compose(&n->cfg, job->lang, job->subject, sizeof job->subject, job->text,
				   sizeof job->text) != 0)
			return -1;
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(o->attempt_id, sizeof o->attempt_id, rnd, sizeof rnd);
		o->state = OUTBOX_SENDING;
		o->attempts++;
		return n->st->ops->notify->outbox_update(n->st, o) == STORE_OK ? 1 : -1;
	}
	return 0;
}

int notify_claim(struct notifier *n, struct notify_job *job)
{
	memset(job, 0, sizeof *job);
	return in_transaction(n, claim_tx, job);
}

struct finish_arg {
	const struct notify_job *job;
	int outcome;
};

static int finish_tx(struct notifier *n, void *arg)
{
	const struct finish_arg *f = arg;
	struct store_outbox o;
	int64_t now = notify_now(n);
	int rc = n->st->ops->notify->outbox_get(n->st, f->job->row.id, &o);

	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return -1;
	if (o.state != OUTBOX_SENDING || strcmp(o.attempt_id, f->job->row.attempt_id) != 0)
		return 0; /* not this attempt's any more */
	o.updated = now;
	if (f->outcome == NOTIFY_SENT)
		o.state = OUTBOX_SENT;
	else if (f->outcome == NOTIFY_REJECTED || o.attempts >= n->cfg.max_attempts)
		o.state = OUTBOX_FAILED;
	else {
		o.state = OUTBOX_PENDING;
		o.next_at = now + notify_backoff_ms(&n->cfg, o.attempts);
	}
	return n->st->ops->notify->outbox_update(n->st, &o) == STORE_OK ? 0 : -1;
}

int notify_finish(struct notifier *n, const struct notify_job *job, int outcome)
{
	struct finish_arg f = { job, outcome };

	return in_transaction(n, finish_tx, &f);
}

static const char *channel_name(int ch)
{
	return ch == CHANNEL_EMAIL ? "e-mail" : "SMS";
}

/* One claimed job through its adapter. Returns the outcome. */
static int attempt(struct notifier *n, const struct notify_job *job)
{
	struct notify_msg m = { .id = job->row.id,
				.to = job->to,
				.lang = job->lang,
				.subject = job->subject,
				.text = job->text,
				.now = notify_now(n) };
	char why[160] = "";
	int outcome;

	if (job->row.channel == CHANNEL_EMAIL)
		outcome = n->cfg.email(n->cfg.email_arg, &m, why, sizeof why);
	else
		outcome = n->cfg.sms(n->cfg.sms_arg, &m, why, sizeof why);
	if (outcome == NOTIFY_SENT)
		log_info("notification %s sent by %s (attempt %d)", job->row.id,
			 channel_name(job->row.channel), job->row.attempts);
	else if (outcome == NOTIFY_REJECTED || job->row.attempts >= n->cfg.max_attempts)
		log_warn("notification %s by %s failed for good after %d attempts: %s", job->row.id,
			 channel_name(job->row.channel), job->row.attempts, why);
	else
		log_notice("notification %s by %s: attempt %d failed, will retry: %s", job->row.id,
			   channel_name(job->row.channel), job->row.attempts, why);
	return outcome;
}

int notify_run_due(struct notifier *n, int max)
{
	struct notify_job *job = &n->unfinished;
	int done = 0;

	/* An outcome the store refused last time is recorded first: the row must not stay
	 * "sending" (and be sent again at the next start) because of a passing store error. */
	if (n->has_unfinished) {
		if (notify_finish(n, job, n->unfinished_outcome) != 0)
			return -1;
		n->has_unfinished = 0;
	}
	while (done < max) {
		int rc = notify_claim(n, job);

		if (rc <= 0)
			return rc < 0 ? -1 : done;
		n->unfinished_outcome = attempt(n, job);
		if (notify_finish(n, job, n->unfinished_outcome) != 0) {
			n->has_unfinished = 1;
			return -1;
		}
		done++;
	}
	return done;
}

static int should_stop(struct notifier *n, int64_t wait_ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&n->mu);
	while (!n->stop && wait_ms > 0)
		if (pthread_cond_timedwait(&n->cv, &n->mu, &ts) == ETIMEDOUT)
			break;
	stop = n->stop;
	pthread_mutex_unlock(&n->mu);
	return stop;
}

static void *notify_main(void *arg)
{
	struct notifier *n = arg;
	enum { BATCH = 32 };

	while (!should_stop(n, 0)) {
		int rc = notify_run_due(n, BATCH);

		if (rc < 0)
			log_warn("notification outbox: store error, trying again later");
		if (rc == BATCH)
			continue;
		if (should_stop(n, n->cfg.poll_ms))
			break;
	}
	return NULL;
}

int notify_start(struct notifier *n)
{
	if (n->running)
		return -1;
	if (notify_recover(n) != 0)
		return -1;
	n->stop = 0;
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0)
		return -1;
	n->running = 1;
	return 0;
}

void notify_stop(struct notifier *n)
{
	if (n == NULL || !n->running)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	n->running = 0;
}
