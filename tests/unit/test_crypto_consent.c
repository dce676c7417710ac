/*
 * test_crypto_consent.c - libadvice's consent event (lib/crypto_consent.c), message content
 * version 2 (lib/crypto_msg.c) and the connector's login signature: round trips, what make and
 * encode refuse before writing anything, and the refusals a reader gives. Known answers are in
 * proto/vectors/consent.json, content-v2.json and connector-login.json (crypto_tool).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "advice.h"
#include "advice_crypto.h"

static void personal(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
}

static void consent_init(struct advice_consent *c, const struct advice_keys *connector)
{
	memset(c, 0, sizeof *c);
	c->kind = ADVICE_CONSENT_GIVEN;
	advice_random(c->thread_id, sizeof c->thread_id);
	advice_kid(c->connector_kid, connector->box_pk);
	c->epoch = 1;
	advice_hash(c->scope_hash, "scope", 5);
	advice_hash(c->text_hash, "text", 4);
	memcpy(c->lang, "en", 3);
	c->created_at = 1770000000000ULL;
}

static void test_consent_round_trip(void **state)
{
	struct advice_keys citizen, connector, other;
	struct advice_consent c, got;
	uint8_t ev[ADVICE_CONSENT_BYTES];

	(void)state;
	personal(&citizen);
	personal(&connector);
	personal(&other);
	consent_init(&c, &connector);
	assert_int_equal(advice_consent_make(ev, &c, &citizen), 0);
	assert_int_equal(advice_consent_open(&got, ev, sizeof ev, ADVICE_CONSENT_GIVEN, c.thread_id,
					     c.connector_kid, citizen.sign_pk),
			 0);
	assert_int_equal(got.epoch, 1);
	assert_string_equal(got.lang, "en");
	assert_memory_equal(got.text_hash, c.text_hash, 32);
	assert_int_equal(advice_consent_parse(ev, sizeof ev, NULL), 0);
	/* Another signer, another connector, a withdrawal expected. */
	assert_int_equal(advice_consent_open(&got, ev, sizeof ev, ADVICE_CONSENT_GIVEN, c.thread_id, NULL,
					     other.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_consent_open(&got, ev, sizeof ev, ADVICE_CONSENT_GIVEN, c.thread_id,
					     c.thread_id, citizen.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_consent_open(&got, ev, sizeof ev, ADVICE_CONSENT_WITHDRAWN, c.thread_id, NULL,
					     citizen.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_consent_parse(ev, sizeof ev - 1, NULL), -ADVICE_ERR_INVAL);
	/* make refuses another kind or language. */
	c.kind = 3;
	assert_int_equal(advice_consent_make(ev, &c, &citizen), -ADVICE_ERR_INVAL);
	c.kind = ADVICE_CONSENT_WITHDRAWN;
	memcpy(c.lang, "de", 3);
	assert_int_equal(advice_consent_make(ev, &c, &citizen), -ADVICE_ERR_INVAL);
	memcpy(c.lang, "fix", 3);
	assert_int_equal(advice_consent_make(ev, &c, &citizen), -ADVICE_ERR_INVAL);
}

static void test_content_v2(void **state)
{
	uint8_t out[4096], ref[16], zero[16] = { 0 };
	char note[ADVICE_CONTENT_NOTE_MAX + 1];
	struct advice_file_ref f;
	struct advice_content c;
	size_t len = 0;

	(void)state;
	advice_random(ref, sizeof ref);
	memset(&f, 0, sizeof f);
	f.media = ADVICE_MEDIA_PDF;
	f.size = 10;
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_CORRECTION, ref,
						  "why", 3, &f, 1, "fixed", 5),
			 0);
	assert_int_equal(len, 20 + 3 + 1 + ADVICE_FILE_REF_BYTES + 5);
	assert_int_equal(advice_content_v2_decode(out, len, &c), 0);
	assert_int_equal(c.version, 2);
	assert_int_equal(c.kind, ADVICE_CONTENT_CORRECTION);
	assert_int_equal(c.n_files, 1);
	assert_memory_equal(c.note, "why", 3);
	assert_memory_equal(c.text, "fixed", 5);
	/* Version 1 still reads, with both readers; the version 1 reader refuses version 2. */
	assert_int_equal(advice_content_decode(out, len, c.files, &c.n_files, &c.text, &c.text_len),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_encode(out, sizeof out, &len, NULL, 0, "hi", 2), 0);
	assert_int_equal(advice_content_v2_decode(out, len, &c), 0);
	assert_int_equal(c.version, 1);
	assert_int_equal(c.kind, 0);
	assert_int_equal(c.note_len, 0);
	/* The encoder's rules. */
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_CORRECTION, zero,
						  "why", 3, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_CORRECTION, ref, "",
						  0, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_REQUEST, zero,
						  "n", 1, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_REQUEST, zero,
						  "", 0, NULL, 0, "please", 6),
			 0);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_DECISION, zero,
						  "", 0, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, 4, ref, "", 0, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	memset(note, 'a', sizeof note);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_DECISION, ref,
						  note, ADVICE_CONTENT_NOTE_MAX, NULL, 0, "", 0),
			 0);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_DECISION, ref,
						  note, ADVICE_CONTENT_NOTE_MAX + 1, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_DECISION, ref,
						  "\xc0\xaf", 2, NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_DECISION, ref,
						  "ok", 2, NULL, 0, "\xff", 1),
			 -ADVICE_ERR_INVAL);
	f.media = 0;
	assert_int_equal(advice_content_v2_encode(out, sizeof out, &len, ADVICE_CONTENT_RIGHTS_DECISION, ref,
						  "ok", 2, &f, 1, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_encode(out, 10, &len, ADVICE_CONTENT_RIGHTS_DECISION, ref, "ok", 2,
						  NULL, 0, "", 0),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_content_v2_decode(out, 0, &c), -ADVICE_ERR_INVAL);
}

static void test_connector_login(void **state)
{
	struct advice_keys k, other;
	uint8_t challenge[32], kid[16], sig[64];

	(void)state;
	personal(&k);
	personal(&other);
	advice_random(challenge, sizeof challenge);
	advice_kid(kid, k.box_pk);
	assert_int_equal(advice_connector_login_sign(sig, challenge, kid, &k), 0);
	assert_int_equal(advice_connector_login_verify(sig, challenge, kid, k.sign_pk), 0);
	assert_int_equal(advice_connector_login_verify(sig, challenge, kid, other.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	kid[3] ^= 1;
	assert_int_equal(advice_connector_login_verify(sig, challenge, kid, k.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consent_round_trip),
		cmocka_unit_test(test_content_v2),
		cmocka_unit_test(test_connector_login),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
