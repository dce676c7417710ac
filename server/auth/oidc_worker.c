/*
 * oidc_worker.c - the bank-ID back channel (oidc.h): one thread driving a libcurl multi
 * handle, so that up to OIDC_BACKCHANNEL_ACTIVE_MAX token requests are in flight at once and
 * a slow identity provider delays each login by its own latency, not by the sum of the
 * queue's. Jobs wait in a bounded queue; each has a deadline (OIDC_HTTP_TIMEOUT_S from its
 * submission) covering its wait, its token request and any JWKS fetch it waits for, after
 * which it fails as OIDC_BACKCHANNEL. The provider's JWKS is fetched once for all jobs that
 * need it (first use, or an unknown kid at most once per jwks_refetch_s).
 *
 * Jobs carry codes, verifiers and, when done, identity codes: they are wiped when freed, and
 * nothing of them is logged.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "log.h"
#include "oidc.h"

#define OIDC_POLL_MS 250 /* the longest sleep: deadlines are swept this often */

struct oidc_buf {
	char *data;
	size_t len;
};

/* A job and what the back channel holds for it. */
struct oidc_node {
	struct oidc_node *next;
	struct oidc_job job;
	int64_t deadline_ms;
	CURL *easy; /* the token request in flight, or NULL */
	struct curl_slist *hdrs;
	char *body;
	struct oidc_buf resp;
	char *id_token;			 /* from the token response, until checked */
	int jwks_retried;		 /* a refetch on an unknown kid was waited for */
	struct oidc_node *inflight_next; /* on the list of token requests in flight */
};

struct oidc_worker {
	struct oidc_config *cfg;
	oidc_wake_fn wake;
	void *wake_arg;
	pthread_t thread;
	pthread_mutex_t mu;
	struct oidc_node *waiting, *waiting_tail, *done, *done_tail; /* under mu */
	size_t queued;						     /* submitted, not taken; under mu */
	int stopping;						     /* under mu */
	CURLM *multi;
	struct oidc_signer *signer; /* the front channel's thread, started and stopped with this */
	/* the thread's own */
	size_t active;			/* jobs taken from `waiting`, not done */
	struct oidc_node *inflight;	/* jobs whose token request is in flight */
	struct oidc_node *jwks_waiters; /* jobs waiting for the JWKS fetch in flight */
	CURL *jwks_easy;		/* the JWKS fetch in flight, or NULL */
	struct curl_slist *jwks_hdrs;
	struct oidc_buf jwks_resp;
	struct token_key *keys; /* the provider's keys */
	size_t nkeys;
	int64_t jwks_fetched_s; /* start of the last fetch; 0: never */
};

static int64_t oidc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t oidc_wall_s(void)
{
	return (int64_t)time(NULL);
}

static void oidc_buf_wipe(struct oidc_buf *b)
{
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

static size_t oidc_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct oidc_buf *b = arg;
	size_t n = size * nmemb;
	char *d;

	if (b->len + n > OIDC_RESPONSE_MAX)
		return 0;
	d = realloc(b->data, b->len + n + 1);
	if (d == NULL)
		return 0;
	memcpy(d + b->len, ptr, n);
	b->data = d;
	b->len += n;
	d[b->len] = '\0';
	return n;
}

/*
 * A transfer of `url` (a GET, or a form POST of `post_body`) into `out`, private pointer
 * `priv`, given at most `timeout_ms`, added to the multi handle. The easy handle, or NULL.
 */
static CURL *oidc_transfer_add(struct oidc_worker *w, const char *url, const char *post_body,
			       struct curl_slist **hdrs, struct oidc_buf *out, void *priv, long timeout_ms)
{
	CURL *e = curl_easy_init();

	*hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (e == NULL || *hdrs == NULL)
		goto fail;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, oidc_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(e, CURLOPT_PRIVATE, priv);
	if (post_body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, post_body);
	if (curl_multi_add_handle(w->multi, e) != CURLM_OK)
		goto fail;
	return e;
fail:
	curl_easy_cleanup(e);
	curl_slist_free_all(*hdrs);
	*hdrs = NULL;
	return NULL;
}

/* Takes a finished (or abandoned) transfer off the multi handle and frees it. */
static void oidc_transfer_end(struct oidc_worker *w, CURL **e, struct curl_slist **hdrs)
{
	if (*e != NULL) {
		curl_multi_remove_handle(w->multi, *e);
		curl_easy_cleanup(*e);
	}
	curl_slist_free_all(*hdrs);
	*e = NULL;
	*hdrs = NULL;
}

/* Frees a node and everything it holds, wiped. */
static void oidc_node_free(struct oidc_worker *w, struct oidc_node *n)
{
	oidc_transfer_end(w, &n->easy, &n->hdrs);
	if (n->body != NULL) {
		OPENSSL_cleanse(n->body, strlen(n->body));
		free(n->body);
	}
	if (n->id_token != NULL) {
		OPENSSL_cleanse(n->id_token, strlen(n->id_token));
		free(n->id_token);
	}
	oidc_buf_wipe(&n->resp);
	sodium_memzero(n, sizeof *n);
	free(n);
}

/* The job is done with `result`: its node's transfer state is freed, the job goes to the
 * done list and the network thread is woken. */
static void oidc_finish(struct oidc_worker *w, struct oidc_node *n, int result)
{
	oidc_transfer_end(w, &n->easy, &n->hdrs);
	if (n->body != NULL) {
		OPENSSL_cleanse(n->body, strlen(n->body));
		free(n->body);
		n->body = NULL;
	}
	if (n->id_token != NULL) {
		OPENSSL_cleanse(n->id_token, strlen(n->id_token));
		free(n->id_token);
		n->id_token = NULL;
	}
	oidc_buf_wipe(&n->resp);
	sodium_memzero(n->job.code, sizeof n->job.code);
	n->job.result = result;
	if (result != OIDC_OK)
		memset(&n->job.id, 0, sizeof n->job.id);
	w->active--;
	pthread_mutex_lock(&w->mu);
	n->next = NULL;
	if (w->done_tail != NULL)
		w->done_tail->next = n;
	else
		w->done = n;
	w->done_tail = n;
	pthread_mutex_unlock(&w->mu);
	w->wake(w->wake_arg);
}

/* ---- the JWKS -------------------------------------------------------------------------- */

/* Whether a JWKS fetch may start now: never fetched, or `force` and the last fetch is older
 * than the configured interval. */
static int oidc_jwks_due(const struct oidc_worker *w, int force)
{
	return w->jwks_fetched_s == 0 ||
	       (force && oidc_wall_s() - w->jwks_fetched_s >= w->cfg->jwks_refetch_s);
}

static void oidc_check(struct oidc_worker *w, struct oidc_node *n);

/* The job needs the provider's keys (again with `force`): it waits for the fetch in flight,
 * or one it starts; when no fetch may start, it is checked with the keys at hand. */
static void oidc_need_jwks(struct oidc_worker *w, struct oidc_node *n, int force)
{
	if (w->jwks_easy == NULL && oidc_jwks_due(w, force)) {
		w->jwks_fetched_s = oidc_wall_s();
		w->jwks_easy = oidc_transfer_add(w, w->cfg->jwks_url, NULL, &w->jwks_hdrs, &w->jwks_resp,
						 NULL, OIDC_HTTP_TIMEOUT_S * 1000L);
		if (w->jwks_easy == NULL)
			log_warn("oidc: cannot start the JWKS fetch");
	}
	if (w->jwks_easy == NULL) {
		n->jwks_retried = 1;
		oidc_check(w, n);
		return;
	}
	n->next = w->jwks_waiters;
	w->jwks_waiters = n;
}

/* The JWKS fetch ended (with `status`, 0 when the transfer failed): the keys are replaced
 * when the answer is usable, and every waiting job is checked. */
static void oidc_jwks_done(struct oidc_worker *w, long status)
{
	struct oidc_node *n = w->jwks_waiters, *next;
	struct token_key *keys;
	size_t nkeys;
	char err[160];

	if (status != 200 || w->jwks_resp.data == NULL) {
		log_warn("oidc: JWKS fetch from the identity provider failed (HTTP %ld)", status);
	} else if (oidc_jwks_to_keys(w->jwks_resp.data, w->jwks_resp.len, &keys, &nkeys, err, sizeof err) !=
		   0) {
		log_warn("oidc: JWKS of the identity provider refused: %s", err);
	} else {
		token_keys_free(w->keys, w->nkeys);
		w->keys = keys;
		w->nkeys = nkeys;
		log_info("oidc: %zu signing keys of the identity provider loaded", nkeys);
	}
	oidc_transfer_end(w, &w->jwks_easy, &w->jwks_hdrs);
	oidc_buf_wipe(&w->jwks_resp);
	w->jwks_waiters = NULL;
	for (; n != NULL; n = next) {
		next = n->next;
		n->next = NULL;
		oidc_check(w, n);
	}
}

/* ---- a job's steps ----------------------------------------------------------------------- */

/* Checks the job's ID token with the keys at hand; an unknown kid waits once for a refetch. */
static void oidc_check(struct oidc_worker *w, struct oidc_node *n)
{
	int r = oidc_id_token_check(w->cfg, w->keys, w->nkeys, n->id_token, strlen(n->id_token),
				    n->job.login.nonce, oidc_wall_s(), &n->job.id, &n->job.sub_result);

	if (r == OIDC_TOKEN && n->job.sub_result == TOKEN_UNKNOWN_KID && !n->jwks_retried) {
		n->jwks_retried = 1;
		oidc_need_jwks(w, n, 1);
		return;
	}
	oidc_finish(w, n, r);
}

/* The ID token of a token response (malloc'd) or NULL. */
static char *oidc_response_id_token(const struct oidc_buf *b)
{
	json_t *o = b->data ? json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *t = json_string_value(json_object_get(o, "id_token"));
	char *out = t ? strdup(t) : NULL;

	json_decref(o);
	return out;
}

/* The token request ended with `status` (0: the transfer failed or timed out). */
static void oidc_token_done(struct oidc_worker *w, struct oidc_node *n, long status)
{
	struct oidc_node **p = &w->inflight;

	while (*p != n)
		p = &(*p)->inflight_next;
	*p = n->inflight_next;
	n->inflight_next = NULL;
	oidc_transfer_end(w, &n->easy, &n->hdrs);
	if (status != 200 || (n->id_token = oidc_response_id_token(&n->resp)) == NULL) {
		log_notice("oidc: token request refused or failed (HTTP %ld)", status);
		oidc_finish(w, n, OIDC_BACKCHANNEL);
		return;
	}
	oidc_buf_wipe(&n->resp);
	if (w->jwks_fetched_s == 0 || w->jwks_easy != NULL)
		oidc_need_jwks(w, n, 0);
	else
		oidc_check(w, n);
}

/* Starts the job's token request, or finishes it when its time is up or that fails. */
static void oidc_token_start(struct oidc_worker *w, struct oidc_node *n)
{
	int64_t left = n->deadline_ms - oidc_now_ms();

	if (left <= 0) {
		log_notice("oidc: a login waited too long for the back channel");
		oidc_finish(w, n, OIDC_BACKCHANNEL);
		return;
	}
	n->body = oidc_token_request_body(w->cfg, n->job.code, n->job.login.verifier, oidc_wall_s());
	if (n->body == NULL) {
		oidc_finish(w, n, OIDC_NOMEM);
		return;
	}
	n->easy = oidc_transfer_add(w, w->cfg->token_url, n->body, &n->hdrs, &n->resp, n, (long)left);
	if (n->easy == NULL) {
		oidc_finish(w, n, OIDC_NOMEM);
		return;
	}
	n->inflight_next = w->inflight;
	w->inflight = n;
}

/* ---- the thread ------------------------------------------------------------------------ */

/* Takes waiting jobs while fewer than the maximum are active, and those past their deadline
 * (which fail without a request). 1 when stopping. */
static int oidc_take_waiting(struct oidc_worker *w)
{
	struct oidc_node *start = NULL, **start_tail = &start, *n, **p;
	int64_t now = oidc_now_ms();
	int stopping;

	pthread_mutex_lock(&w->mu);
	stopping = w->stopping;
	if (!stopping) {
		w->waiting_tail = NULL;
		for (p = &w->waiting; (n = *p) != NULL;) {
			if (w->active < OIDC_BACKCHANNEL_ACTIVE_MAX || n->deadline_ms <= now) {
				*p = n->next; /* taken, oldest first */
				n->next = NULL;
				*start_tail = n;
				start_tail = &n->next;
				w->active++;
			} else {
				w->waiting_tail = n;
				p = &n->next;
			}
		}
	}
	pthread_mutex_unlock(&w->mu);
	for (; start != NULL; start = n) {
		n = start->next;
		start->next = NULL;
		oidc_token_start(w, start);
	}
	return stopping;
}

/* Jobs waiting for the JWKS past their deadline fail now rather than with the fetch. */
static void oidc_sweep_jwks_waiters(struct oidc_worker *w)
{
	struct oidc_node **p = &w->jwks_waiters, *n;
	int64_t now = oidc_now_ms();

	while ((n = *p) != NULL) {
		if (n->deadline_ms > now) {
			p = &n->next;
			continue;
		}
		*p = n->next;
		n->next = NULL;
		log_notice("oidc: a login waited too long for the identity provider's keys");
		oidc_finish(w, n, OIDC_BACKCHANNEL);
	}
}

/* Hands each finished transfer to its step. */
static void oidc_read_finished(struct oidc_worker *w)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
		char *priv = NULL;
		long status = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->data.result == CURLE_OK)
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if (m->easy_handle == w->jwks_easy)
			oidc_jwks_done(w, status);
		else if (priv != NULL)
			oidc_token_done(w, (struct oidc_node *)(void *)priv, status);
	}
}

/* Frees every job the thread still holds (at stop). */
static void oidc_drop_active(struct oidc_worker *w)
{
	struct oidc_node *n, *next;

	for (n = w->jwks_waiters; n != NULL; n = next) {
		next = n->next;
		oidc_node_free(w, n);
	}
	w->jwks_waiters = NULL;
	oidc_transfer_end(w, &w->jwks_easy, &w->jwks_hdrs);
	oidc_buf_wipe(&w->jwks_resp);
	for (n = w->inflight; n != NULL; n = next) {
		next = n->inflight_next;
		oidc_node_free(w, n);
	}
	w->inflight = NULL;
}

static void *oidc_worker_main(void *arg)
{
	struct oidc_worker *w = arg;
	int running;

	while (!oidc_take_waiting(w)) {
		curl_multi_perform(w->multi, &running);
		oidc_read_finished(w);
		oidc_sweep_jwks_waiters(w);
		curl_multi_poll(w->multi, NULL, 0, OIDC_POLL_MS, NULL);
	}
	oidc_drop_active(w);
	return NULL;
}

/* ---- the network thread's side --------------------------------------------------------- */

struct oidc_worker *oidc_worker_start(struct oidc_config *cfg, oidc_wake_fn wake, void *wake_arg)
{
	struct oidc_worker *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	w->cfg = cfg;
	w->wake = wake;
	w->wake_arg = wake_arg;
	w->multi = curl_multi_init();
	if (w->multi == NULL) {
		free(w);
		return NULL;
	}
	curl_multi_setopt(w->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)OIDC_BACKCHANNEL_ACTIVE_MAX + 1);
	pthread_mutex_init(&w->mu, NULL);
	if ((w->signer = oidc_signer_start(cfg, wake, wake_arg)) == NULL) {
		pthread_mutex_destroy(&w->mu);
		curl_multi_cleanup(w->multi);
		free(w);
		return NULL;
	}
	if (pthread_create(&w->thread, NULL, oidc_worker_main, w) != 0) {
		oidc_signer_stop(w->signer);
		pthread_mutex_destroy(&w->mu);
		curl_multi_cleanup(w->multi);
		free(w);
		return NULL;
	}
	return w;
}

int oidc_worker_submit(struct oidc_worker *w, const struct oidc_job *job)
{
	struct oidc_node *n;

	pthread_mutex_lock(&w->mu);
	if (w->queued >= OIDC_WORKER_QUEUE_MAX || (n = calloc(1, sizeof *n)) == NULL) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	n->job = *job;
	n->deadline_ms = oidc_now_ms() + OIDC_HTTP_TIMEOUT_S * 1000LL;
	if (w->waiting_tail != NULL)
		w->waiting_tail->next = n;
	else
		w->waiting = n;
	w->waiting_tail = n;
	w->queued++;
	pthread_mutex_unlock(&w->mu);
	curl_multi_wakeup(w->multi);
	return 0;
}

struct oidc_signer *oidc_worker_signer(struct oidc_worker *w)
{
	return w->signer;
}

int oidc_worker_take(struct oidc_worker *w, struct oidc_job *out)
{
	struct oidc_node *n;

	pthread_mutex_lock(&w->mu);
	n = w->done;
	if (n != NULL) {
		w->done = n->next;
		if (w->done == NULL)
			w->done_tail = NULL;
		w->queued--;
	}
	pthread_mutex_unlock(&w->mu);
	if (n == NULL)
		return 0;
	*out = n->job;
	oidc_node_free(w, n);
	return 1;
}

void oidc_worker_stop(struct oidc_worker *w)
{
	struct oidc_node *n, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_mutex_unlock(&w->mu);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	oidc_signer_stop(w->signer);
	for (n = w->waiting; n != NULL; n = next) {
		next = n->next;
		oidc_node_free(w, n);
	}
	for (n = w->done; n != NULL; n = next) {
		next = n->next;
		oidc_node_free(w, n);
	}
	token_keys_free(w->keys, w->nkeys);
	curl_multi_cleanup(w->multi);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
