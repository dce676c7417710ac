/*
 * probe_bank_start.c - the abuse probe of the bank-ID login's front door
 * (deploy/dev/abuse/probe-bankstart.sh): GET /api/v1/auth/bank/start at a steady rate from
 * several client addresses (127.0.0.x), each answer costing the server a signed request
 * object, while a signed-in citizen sends one request at a time over its WebSocket at a
 * person's pace. Prints what the flood got and the line
 *
 *   PROBE bankStart: worst latency a legitimate user saw <ms> ms (<verdict>)
 *
 * ok when every request of the citizen took less than the bound. Exit status 0 when ok, 1
 * when not, 2 on a usage or setup error.
 *
 *   probe_bank_start URL ID_TOKEN RATE SECONDS BOUND_MS [ADDRESSES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <pthread.h>

#include "advice.h"

#define PROBE_INFLIGHT_MAX 256 /* /start requests in flight at once */
#define PROBE_PACE_MS	   20  /* the citizen's pause between requests */
#define PROBE_TIMEOUT_MS   30000

struct flood {
	const char *url;
	int rate, seconds, addresses;
	long sent, found, busy, limited, other;
	int done; /* set atomically at the end */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t discard(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

/* Starts one /start request from the next address. */
static void flood_add(CURLM *m, struct flood *f, char *start_url)
{
	char from[32]; /* copied by libcurl */
	CURL *e = curl_easy_init();

	if (e == NULL)
		return;
	snprintf(from, sizeof from, "127.0.0.%ld", 10 + f->sent % f->addresses);
	curl_easy_setopt(e, CURLOPT_URL, start_url);
	curl_easy_setopt(e, CURLOPT_INTERFACE, from);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)PROBE_TIMEOUT_MS);
	curl_multi_add_handle(m, e);
	f->sent++;
}

/* Counts finished requests by their status; returns how many finished. */
static int flood_reap(CURLM *m, struct flood *f)
{
	CURLMsg *msg;
	int left, n = 0;

	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (status == 302)
			f->found++;
		else if (status == 503)
			f->busy++;
		else if (status == 429)
			f->limited++;
		else
			f->other++;
		curl_multi_remove_handle(m, msg->easy_handle);
		curl_easy_cleanup(msg->easy_handle);
		n++;
	}
	return n;
}

/* Sends /start at f->rate a second for f->seconds, at most PROBE_INFLIGHT_MAX at once. */
static void *flood_main(void *arg)
{
	struct flood *f = arg;
	CURLM *m = curl_multi_init();
	char start_url[512];
	long long t0 = now_ms(), end = t0 + f->seconds * 1000LL;
	int running = 0, inflight = 0;

	snprintf(start_url, sizeof start_url, "%s/api/v1/auth/bank/start", f->url);
	while (now_ms() < end || inflight > 0) {
		long long due = now_ms() < end ? (now_ms() - t0) * f->rate / 1000 : f->sent;

		while (f->sent < due && inflight < PROBE_INFLIGHT_MAX) {
			flood_add(m, f, start_url);
			inflight++;
		}
		curl_multi_perform(m, &running);
		inflight -= flood_reap(m, f);
		curl_multi_poll(m, NULL, 0, 1, NULL);
	}
	curl_multi_cleanup(m);
	__atomic_store_n(&f->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct flood f = { 0 };
	struct advice_client *cl;
	struct advice_conn *k;
	struct timespec pace = { 0, PROBE_PACE_MS * 1000000L };
	char *session = NULL, origin[300];
	static long long lat[100000];
	long long worst = 0, t0, bound;
	int n = 0, failed = 0, err = 0;
	pthread_t th;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: %s URL ID_TOKEN RATE SECONDS BOUND_MS [ADDRESSES]\n", argv[0]);
		return 2;
	}
	f.url = argv[1];
	f.rate = atoi(argv[3]);
	f.seconds = atoi(argv[4]);
	bound = atoll(argv[5]);
	f.addresses = argc == 7 ? atoi(argv[6]) : 16;
	if (f.rate < 1 || f.seconds < 1 || bound < 1 || f.addresses < 1 || f.addresses > 200) {
		fprintf(stderr, "%s: RATE, SECONDS, BOUND_MS and ADDRESSES (1..200) must be positive\n",
			argv[0]);
		return 2;
	}
	snprintf(origin, sizeof origin, "%s", f.url);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cl = advice_client_new();
	if (cl == NULL || advice_login_citizen(cl, f.url, origin, argv[2], &session, PROBE_TIMEOUT_MS) != 0 ||
	    (k = advice_connect(cl, f.url, origin, session, PROBE_TIMEOUT_MS, &err)) == NULL) {
		fprintf(stderr, "%s: the measuring citizen cannot log in or connect (%d)\n", argv[0], err);
		return 2;
	}
	if (pthread_create(&th, NULL, flood_main, &f) != 0)
		return 2;
	while (!__atomic_load_n(&f.done, __ATOMIC_SEQ_CST) && n < (int)(sizeof lat / sizeof lat[0])) {
		t0 = now_ms();
		if (advice_call(k, "categories.list", NULL, NULL, PROBE_TIMEOUT_MS) != 0)
			failed++;
		lat[n] = now_ms() - t0;
		worst = lat[n] > worst ? lat[n] : worst;
		n++;
		nanosleep(&pace, NULL);
	}
	pthread_join(th, NULL);
	qsort(lat, (size_t)n, sizeof lat[0], cmp_ll);
	printf("bank-ID /start at %d a second for %d s from %d addresses: %ld sent, %ld found (302), "
	       "%ld busy (503), %ld rate limited (429), %ld other; the citizen's %d requests: median %lld "
	       "ms, "
	       "worst %lld ms, %d failed\n",
	       f.rate, f.seconds, f.addresses, f.sent, f.found, f.busy, f.limited, f.other, n,
	       n > 0 ? lat[n / 2] : 0, worst, failed);
	printf("PROBE bankStart: worst latency a legitimate user saw %lld ms (%s)\n", worst,
	       worst < bound && failed == 0 && n > 0 ? "ok" : "too slow");
	advice_conn_free(k);
	free(session);
	advice_client_free(cl);
	curl_global_cleanup();
	return worst < bound && failed == 0 && n > 0 ? 0 : 1;
}
