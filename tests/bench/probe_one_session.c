/*
 * probe_one_session.c - the abuse probe of one citizen's session (deploy/dev/abuse/
 * probe-oneSession.sh): one session opens many WebSockets and pipelines requests on each as
 * fast as it can for a while, without reading more than it must, while a second citizen
 * sends one request at a time, five a second as a busy person's app might, and opens a new
 * WebSocket of its own now and then. Prints what the
 * flood got and one line: PROBE oneSession: worst latency a legitimate user saw <ms> ms
 * (<verdict>), the verdict "ok" when every request and reconnect of the second citizen was
 * served within the bound.
 *
 * Usage: probe_one_session <base_url> <origin> <flooding id token> <measuring id token>
 *        <connections> <seconds> <bound_ms>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"

#define PROBE_TIMEOUT_MS 30000
#define PROBE_BATCH	 32   /* requests sent on each flooding connection per round */
#define PROBE_WINDOW	 1024 /* unanswered requests a flooding connection keeps at most */
#define PROBE_PACE_MS	 200  /* the second citizen sends a request at most this often */

struct flood {
	unsigned long long sent, ok, limited, busy, other;
	long *unanswered; /* per connection */
	int refused_conns;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Counts what is waiting on flooding connection `i`, without waiting. */
static void flood_read(struct advice_conn *k, struct flood *f, int i)
{
	char *text;

	while (advice_next_message(k, &text, 0) == 0) {
		if (strstr(text, "\"type\":\"event\"") == NULL)
			f->unanswered[i]--;
		if (strstr(text, "\"type\":\"ok\"") != NULL)
			f->ok++;
		else if (strstr(text, "rate_limited") != NULL)
			f->limited++;
		else if (strstr(text, "server busy") != NULL)
			f->busy++;
		else if (strstr(text, "\"type\":\"error\"") != NULL)
			f->other++;
		free(text);
	}
}

static void flood_round(struct advice_conn **ks, int n, struct flood *f)
{
	char req[96];

	for (int i = 0; i < n; i++) {
		if (ks[i] == NULL || !advice_conn_is_open(ks[i]))
			continue;
		for (int j = 0; j < PROBE_BATCH && f->unanswered[i] < PROBE_WINDOW; j++) {
			snprintf(req, sizeof(req), "{\"type\":\"categories.list\",\"id\":\"f%llu\"}",
				 f->sent);
			if (advice_send(ks[i], req) == 0) {
				f->sent++;
				f->unanswered[i]++;
			}
		}
		flood_read(ks[i], f, i);
	}
}

static char *login(struct advice_client *c, const char *url, const char *origin, const char *token)
{
	char *session = NULL;

	if (advice_login_citizen(c, url, origin, token, &session, PROBE_TIMEOUT_MS) != 0) {
		fprintf(stderr, "probe: citizen login failed\n");
		exit(2);
	}
	return session;
}

int main(int argc, char **argv)
{
	struct advice_client *c;
	struct advice_conn **ks, *m;
	struct flood f = { 0 };
	char *sa, *sb, *reply;
	int nconns, secs, failures = 0;
	int64_t bound, worst = 0, end, reconnect_worst = 0, next = 0;

	if (argc != 8) {
		fprintf(stderr,
			"usage: %s <base_url> <origin> <flood token> <measure token> <connections> "
			"<seconds> <bound_ms>\n",
			argv[0]);
		return 2;
	}
	nconns = atoi(argv[5]);
	secs = atoi(argv[6]);
	bound = atoll(argv[7]);
	if (nconns < 1 || secs < 1 || bound < 1 || (c = advice_client_new()) == NULL ||
	    (ks = calloc((size_t)nconns, sizeof(*ks))) == NULL ||
	    (f.unanswered = calloc((size_t)nconns, sizeof(long))) == NULL)
		return 2;
	sa = login(c, argv[1], argv[2], argv[3]);
	sb = login(c, argv[1], argv[2], argv[4]);
	for (int i = 0; i < nconns; i++)
		if ((ks[i] = advice_connect(c, argv[1], argv[2], sa, PROBE_TIMEOUT_MS, NULL)) == NULL)
			f.refused_conns++;
	if ((m = advice_connect(c, argv[1], argv[2], sb, PROBE_TIMEOUT_MS, NULL)) == NULL)
		return 2;
	end = mono_ms() + (int64_t)secs * 1000;
	for (int round = 0; mono_ms() < end;) {
		int64_t t0;

		flood_round(ks, nconns, &f);
		if (mono_ms() < next)
			continue;
		round++;
		t0 = mono_ms();
		next = t0 + PROBE_PACE_MS;
		if (advice_call(m, "categories.list", NULL, &reply, PROBE_TIMEOUT_MS) != 0 && failures++ == 0)
			fprintf(stderr, "probe: the second citizen's first failure: %s\n",
				reply ? reply : "(no reply)");
		free(reply);
		reply = NULL;
		if (mono_ms() - t0 > worst)
			worst = mono_ms() - t0;
		if (round % 20 == 19) { /* the second citizen reconnects now and then */
			advice_conn_free(m);
			t0 = mono_ms();
			m = advice_connect(c, argv[1], argv[2], sb, PROBE_TIMEOUT_MS, NULL);
			if (m == NULL) {
				printf("PROBE oneSession: the second citizen could not reconnect (bad)\n");
				return 1;
			}
			if (mono_ms() - t0 > reconnect_worst)
				reconnect_worst = mono_ms() - t0;
		}
	}
	printf("flood: %d connections (%d refused), %llu requests sent, %llu ok, %llu rate_limited, %llu "
	       "busy, %llu other errors; second citizen: %d failures, worst reconnect %lld ms\n",
	       nconns, f.refused_conns, f.sent, f.ok, f.limited, f.busy, f.other, failures,
	       (long long)reconnect_worst);
	if (reconnect_worst > worst)
		worst = reconnect_worst;
	printf("PROBE oneSession: worst latency a legitimate user saw %lld ms (%s)\n", (long long)worst,
	       failures == 0 && worst < bound ? "ok" : "bad");
	for (int i = 0; i < nconns; i++)
		advice_conn_free(ks[i]);
	advice_conn_free(m);
	advice_client_free(c);
	free(ks);
	free(f.unanswered);
	free(sa);
	free(sb);
	return failures == 0 && worst < bound ? 0 : 1;
}
