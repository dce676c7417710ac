/*
 * unit_keys.c - the unit key generations a connector holds as a unit member (advicectl
 * connector-unit-add): keys.mine gives the seeds sealed to it by an admin, the admins'
 * certificates and each unit's signed generation events. Each admin certificate is verified
 * under the pinned root, each unit's events in order under an admin's key, each seed opened
 * and checked against its event, and the older generations reached through the chain boxes.
 * What an export order needs for threads the connector has no consent wrap of.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "connector_run.h"

#define MAX_ADMINS 16
#define MAX_EVENTS 64

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A base64url value of exactly `want` bytes (malloc'd into *out), or -1. */
static int b64_exact(json_t *j, uint8_t **out, size_t want)
{
	size_t n = 0;

	*out = NULL;
	if (!json_is_string(j) || advice_b64url_decode(json_string_value(j), out, &n) != 0)
		return -1;
	if (want != 0 && n != want) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return (int)n;
}

/* The signing keys of the admin certificates that verify under the root. How many. */
static size_t admin_keys(const struct conn_ctx *ctx, json_t *certs, uint8_t (*pks)[ADVICE_KEY_BYTES])
{
	json_t *c;
	size_t i, n = 0;

	json_array_foreach (certs, i, c) {
		struct advice_cert ac;
		uint8_t *d;

		if (n == MAX_ADMINS || b64_exact(c, &d, ADVICE_CERT_BYTES) < 0)
			continue;
		if (advice_cert_verify(d, ADVICE_CERT_BYTES, NULL, 0, ctx->root_pk, now_ms(), &ac) == 0 &&
		    ac.role == ADVICE_ROLE_ADMIN)
			memcpy(pks[n++], ac.sign_pk, ADVICE_KEY_BYTES);
		free(d);
	}
	return n;
}

/* The events of one unit (keys.mine "units" entry) verified in order, each under one of the
 * admins' keys: evs[g - 1] is generation g. How many (0 when any fails). */
static size_t unit_events(json_t *unit, uint8_t (*admins)[ADVICE_KEY_BYTES], size_t nadmins,
			  struct advice_unit_event *evs)
{
	uint8_t *prev = NULL, *cur;
	size_t prev_len = 0, n = 0, i;
	json_t *g;
	int len;

	json_array_foreach (json_object_get(unit, "generations"), i, g) {
		int ok = 0;

		if (n == MAX_EVENTS || (len = b64_exact(json_object_get(g, "event"), &cur, 0)) < 0)
			break;
		for (size_t a = 0; a < nadmins && !ok; a++)
			ok = advice_unit_event_verify(cur, (size_t)len, admins[a], prev, prev_len, &evs[n]) ==
			     0;
		free(prev);
		prev = cur;
		prev_len = (size_t)len;
		if (!ok) {
			n = 0;
			break;
		}
		n++;
	}
	free(prev);
	return n;
}

/* The admin whose key signed the wrap (its kid), among the verified ones; NULL when none. */
static const uint8_t *wrap_signer(const struct advice_wrap_info *wi, uint8_t (*admins)[ADVICE_KEY_BYTES],
				  size_t nadmins)
{
	uint8_t kid[ADVICE_KID_BYTES];

	for (size_t a = 0; a < nadmins; a++) {
		advice_kid(kid, admins[a]);
		if (memcmp(kid, wi->signer_kid, sizeof kid) == 0)
			return admins[a];
	}
	return NULL;
}

/* One seed of keys.mine and the generations before it through the chain boxes, into ctx. */
static int seed_take(struct conn_ctx *ctx, json_t *seed, json_t *unit, uint8_t (*admins)[ADVICE_KEY_BYTES],
		     size_t nadmins, struct advice_unit_event *evs)
{
	uint8_t *wrap = NULL, s[ADVICE_KEY_BYTES], chain[ADVICE_KEY_BYTES];
	struct advice_wrap_info wi;
	const uint8_t *admin;
	size_t nev = unit_events(unit, admins, nadmins, evs);
	int rc = -1;

	if (nev == 0 || b64_exact(json_object_get(seed, "wrap"), &wrap, ADVICE_WRAP_BYTES) < 0 ||
	    advice_wrap_parse(wrap, ADVICE_WRAP_BYTES, &wi) != 0 || wi.epoch < 1 || wi.epoch > nev ||
	    (admin = wrap_signer(&wi, admins, nadmins)) == NULL || ctx->ngens == CONN_MAX_GENS ||
	    advice_unit_seed_open(s, &ctx->gens[ctx->ngens], chain, wrap, ADVICE_WRAP_BYTES,
				  &evs[wi.epoch - 1], &ctx->me, admin) != 0)
		goto out;
	ctx->ngens++;
	for (uint32_t g = wi.epoch; g > 1 && ctx->ngens < CONN_MAX_GENS; g--) {
		json_t *gj = json_array_get(json_object_get(unit, "generations"), g - 1);
		uint8_t *box = NULL, prev[ADVICE_KEY_BYTES];

		if (b64_exact(json_object_get(gj, "chain"), &box, ADVICE_CHAIN_BYTES) < 0 ||
		    advice_chain_open(prev, box, ADVICE_CHAIN_BYTES, evs[g - 1].unit_id, g, chain) != 0 ||
		    advice_unit_seed_check(prev, &evs[g - 2], &ctx->gens[ctx->ngens], chain) != 0) {
			free(box);
			break; /* the older generations stay closed; the newer ones are good */
		}
		free(box);
		sodium_memzero(prev, sizeof prev);
		ctx->ngens++;
	}
	rc = 0;
out:
	free(wrap);
	sodium_memzero(s, sizeof s);
	sodium_memzero(chain, sizeof chain);
	return rc;
}

int conn_unit_keys(struct conn_ctx *ctx, char *err, size_t errlen)
{
	uint8_t(*admins)[ADVICE_KEY_BYTES] = calloc(MAX_ADMINS, ADVICE_KEY_BYTES);
	struct advice_unit_event *evs = calloc(MAX_EVENTS, sizeof *evs);
	json_t *r = NULL, *s, *u;
	size_t nadmins, i, j;
	int rc = -1, bad = 0;

	sodium_memzero(ctx->gens, sizeof ctx->gens);
	ctx->ngens = 0;
	if (admins == NULL || evs == NULL || (r = conn_call(ctx, "keys.mine", NULL, NULL)) == NULL) {
		snprintf(err, errlen, "keys.mine failed");
		goto out;
	}
	nadmins = admin_keys(ctx, json_object_get(r, "certs"), admins);
	json_array_foreach (json_object_get(r, "seeds"), i, s) {
		json_t *unit = NULL;

		json_array_foreach (json_object_get(r, "units"), j, u)
			if (json_equal(json_object_get(u, "unit"), json_object_get(s, "unit")))
				unit = u;
		if (unit == NULL || seed_take(ctx, s, unit, admins, nadmins, evs) != 0)
			bad++;
	}
	if (bad)
		snprintf(err, errlen, "%d unit seed%s did not open as the unit's signed events name them",
			 bad, bad == 1 ? "" : "s");
	rc = bad ? -1 : 0;
out:
	json_decref(r);
	free(admins);
	free(evs);
	return rc;
}
