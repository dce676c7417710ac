/*
 * bench_token.c - M5 of the benchmark: ID-token verifications per second on one thread,
 * through the server's own token_verify (server/auth/token.c), with the issuer, audience and
 * keys of a data folder's adviced.conf and a token from `advicectl dev-token`.
 *
 *   bench_token CONF TOKEN_FILE SECONDS     prints {"verify_per_s": N, "verify_per_cpu_s": M}
 *
 * verify_per_s counts per second of wall-clock time; verify_per_cpu_s per second of this
 * process's CPU time, which is what `openssl speed` counts by default (without -elapsed),
 * so M is the figure to set beside it on a machine that is busy with other work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "token.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv)
{
	static struct config cfg;
	struct token_config tc;
	struct token_identity id;
	char err[256], tok[TOKEN_MAX_LEN + 2];
	double t0, c0, seconds;
	long n = 0;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_token CONF TOKEN_FILE SECONDS\n");
		return 2;
	}
	seconds = atof(argv[3]);
	config_defaults(&cfg);
	if (config_load(&cfg, argv[1], err, sizeof err) != 0) {
		fprintf(stderr, "bench_token: %s\n", err);
		return 1;
	}
	memset(&tc, 0, sizeof tc);
	snprintf(tc.issuer, sizeof tc.issuer, "%s", cfg.idp_issuer);
	snprintf(tc.audience, sizeof tc.audience, "%s", cfg.idp_audience);
	snprintf(tc.hetu_claim, sizeof tc.hetu_claim, "%s", cfg.idp_hetu_claim);
	snprintf(tc.acr_values, sizeof tc.acr_values, "%s", cfg.oidc_acr_values);
	tc.skew_s = cfg.token_skew_s;
	tc.max_age_s = cfg.token_max_age_s;
	tc.test_mode = cfg.test_mode;
	if (token_keys_load(cfg.idp_keys_file, &tc.keys, &tc.nkeys, err, sizeof err) != 0) {
		fprintf(stderr, "bench_token: %s\n", err);
		return 1;
	}
	f = fopen(argv[2], "r");
	if (f == NULL || fgets(tok, sizeof tok, f) == NULL) {
		fprintf(stderr, "bench_token: cannot read the token\n");
		return 1;
	}
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	n = token_verify(&tc, tok, strlen(tok), time(NULL), &id);
	if (n != TOKEN_OK) {
		fprintf(stderr, "bench_token: the token does not verify: %s\n", token_result_text((int)n));
		return 1;
	}
	n = 0;
	t0 = now_s();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	while (now_s() - t0 < seconds) {
		for (int i = 0; i < 100; i++)
			if (token_verify(&tc, tok, strlen(tok), time(NULL), &id) != TOKEN_OK)
				return 1;
		n += 100;
	}
	printf("{\"verify_per_s\": %.0f, \"verify_per_cpu_s\": %.0f}\n", n / (now_s() - t0),
	       n / (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0));
	token_keys_free(tc.keys, tc.nkeys);
	return 0;
}
