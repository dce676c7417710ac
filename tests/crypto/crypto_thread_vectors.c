/*
 * crypto_thread_vectors.c - the scenarios of proto/vectors/thread.json: envelopes made from
 * a seed, delivered to a thread verifier in a given order (the server's, honest or not),
 * with the verdict expected for each delivery, whether the thread is complete at the end,
 * and what each sender's next envelope carries. client-web's test/thread.test.ts runs the
 * same file.
 *
 * Derivation (rnd(i, n) as in crypto_vectors.c): thread key rnd(1, 32), share rnd(2, 32),
 * thread id rnd(3, 16), another thread's id rnd(4, 16), sender s's seed rnd(16 + s, 32);
 * message i: id rnd(64 + i, 16), nonce rnd(128 + i, 24), the unknown prev hash
 * rnd(192 + i, 32), created at 1765000000000 + 1000 i, text "message <i>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_crypto.h"
#include "advice_thread.h"
#include "crypto_tool.h"

#define MAX_SENDERS  4
#define MAX_MESSAGES 16

const char thread_vector_inputs[] =
	"[{\"name\":\"in "
	"order\",\"seed\":\"8080808080808080808080808080808080808080808080808080808080808080\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":1,\"seq\":1,\"prev\":0},"
	"{\"sender\":0,\"seq\":2,\"prev\":1},{\"sender\":1,\"seq\":2,\"prev\":2}],"
	"\"deliver\":[[0,\"ok\"],[1,\"ok\"],[2,\"ok\"],[3,\"ok\"]],\"complete\":true},"
	"{\"name\":\"replay stored as a new "
	"message\",\"seed\":\"8181818181818181818181818181818181818181818181818181818181818181\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":1,\"seq\":1,\"prev\":0}],"
	"\"deliver\":[[0,\"ok\"],[1,\"ok\"],[0,\"replay\"],[1,\"replay\"]],\"complete\":true},"
	"{\"name\":\"dropped "
	"message\",\"seed\":\"8282828282828282828282828282828282828282828282828282828282828282\","
	"\"senders\":[true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":0,\"seq\":2,\"prev\":0},"
	"{\"sender\":0,\"seq\":3,\"prev\":1}],"
	"\"deliver\":[[0,\"ok\"],[2,\"gap\"]],\"complete\":false},"
	"{\"name\":\"sender's first message "
	"dropped\",\"seed\":\"8383838383838383838383838383838383838383838383838383838383838383\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":1,\"seq\":1,\"prev\":0},"
	"{\"sender\":1,\"seq\":2,\"prev\":1}],"
	"\"deliver\":[[0,\"ok\"],[2,\"gap\"],[1,\"late\"]],\"complete\":true},"
	"{\"name\":\"reordered\",\"seed\":"
	"\"8484848484848484848484848484848484848484848484848484848484848484\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":0,\"seq\":2,\"prev\":0},"
	"{\"sender\":1,\"seq\":1,\"prev\":1}],"
	"\"deliver\":[[0,\"ok\"],[2,\"gap\"],[1,\"late\"]],\"complete\":true},"
	"{\"name\":\"sequence used "
	"twice\",\"seed\":\"8585858585858585858585858585858585858585858585858585858585858585\","
	"\"senders\":[true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":0,\"seq\":2,\"prev\":0},"
	"{\"sender\":0,\"seq\":2,\"prev\":0}],"
	"\"deliver\":[[0,\"ok\"],[1,\"ok\"],[2,\"fork\"]],\"complete\":true},"
	"{\"name\":\"prev hash against the "
	"order\",\"seed\":\"8686868686868686868686868686868686868686868686868686868686868686\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":1,\"seq\":1,\"prev\":0},"
	"{\"sender\":0,\"seq\":2,\"prev\":1},{\"sender\":1,\"seq\":2,\"prev\":0},"
	"{\"sender\":0,\"seq\":3,\"prev\":\"zero\"}],"
	"\"deliver\":[[0,\"ok\"],[1,\"ok\"],[2,\"ok\"],[3,\"fork\"],[4,\"fork\"]],\"complete\":true},"
	"{\"name\":\"unknown prev "
	"hash\",\"seed\":\"8787878787878787878787878787878787878787878787878787878787878787\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":1,\"seq\":1,\"prev\":"
	"\"unknown\"}],"
	"\"deliver\":[[0,\"ok\"],[1,\"gap\"]],\"complete\":false},"
	"{\"name\":\"refusals\",\"seed\":"
	"\"8888888888888888888888888888888888888888888888888888888888888888\","
	"\"senders\":[true,false],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},"
	"{\"sender\":0,\"seq\":2,\"prev\":0,\"id_of\":0},"
	"{\"sender\":0,\"seq\":2,\"prev\":0,\"other_thread\":true},"
	"{\"sender\":1,\"seq\":1,\"prev\":0},"
	"{\"sender\":0,\"seq\":2,\"prev\":0,\"tamper\":true},"
	"{\"sender\":0,\"seq\":0,\"prev\":0},"
	"{\"sender\":0,\"seq\":2,\"prev\":0}],"
	"\"deliver\":[[0,\"ok\"],[1,\"duplicate_id\"],[2,\"wrong_thread\"],[3,\"untrusted_sender\"],"
	"[4,\"bad_signature\"],[5,\"malformed\"],[6,\"ok\"]],\"complete\":true},"
	"{\"name\":\"key epochs "
	"change\",\"seed\":\"8989898989898989898989898989898989898989898989898989898989898989\","
	"\"senders\":[true,true],"
	"\"messages\":[{\"sender\":0,\"seq\":1,\"prev\":\"zero\"},{\"sender\":1,\"seq\":1,\"prev\":0,"
	"\"epoch\":1},{\"sender\":0,\"seq\":2,\"prev\":1,\"epoch\":1}],"
	"\"deliver\":[[0,\"ok\"],[1,\"ok\"],[2,\"ok\"]],\"complete\":true}]";

static void rnd(uint8_t *out, size_t n, uint64_t i, const uint8_t seed[32])
{
	crypto_kdf_derive_from_key(out, n, i, "QAvector", seed);
}

struct scenario {
	uint8_t seed[32], tkey[32], share[32], tid[16], other_tid[16];
	struct advice_keys senders[MAX_SENDERS];
	int accepted[MAX_SENDERS];
	size_t nsenders, nmsgs;
	uint8_t *env[MAX_MESSAGES];
	size_t len[MAX_MESSAGES];
};

/* The callback of the verifier: the scenario's senders marked true. */
static int scenario_sender(void *arg, const struct advice_envelope_hdr *h, uint8_t sign_pk[32])
{
	const struct scenario *s = arg;
	uint8_t kid[16];

	for (size_t i = 0; i < s->nsenders; i++) {
		advice_kid(kid, s->senders[i].sign_pk);
		if (s->accepted[i] && memcmp(kid, h->sender_kid, 16) == 0) {
			memcpy(sign_pk, s->senders[i].sign_pk, 32);
			return 0;
		}
	}
	return -1;
}

/* Message i of the scenario, made from its description m. 0 or -1 (a bad description). */
static int make_message(struct scenario *s, size_t i, json_t *m)
{
	uint8_t content[64], mkey[32];
	struct advice_envelope_hdr h;
	json_t *prev = json_object_get(m, "prev"), *id_of = json_object_get(m, "id_of");
	size_t sender = (size_t)json_integer_value(json_object_get(m, "sender")), clen = 0;
	char text[32];

	memset(&h, 0, sizeof h);
	if (sender >= s->nsenders)
		return -1;
	memcpy(h.thread_id, json_is_true(json_object_get(m, "other_thread")) ? s->other_tid : s->tid, 16);
	rnd(h.message_id, 16, 64 + i, s->seed);
	if (json_is_integer(id_of)) {
		if ((size_t)json_integer_value(id_of) >= i)
			return -1;
		rnd(h.message_id, 16, 64 + (uint64_t)json_integer_value(id_of), s->seed);
	}
	rnd(h.nonce, 24, 128 + i, s->seed);
	h.epoch = (uint32_t)json_integer_value(json_object_get(m, "epoch"));
	h.sender_seq = (uint64_t)json_integer_value(json_object_get(m, "seq"));
	h.created_at = 1765000000000ULL + 1000 * i;
	if (json_is_integer(prev)) {
		if ((size_t)json_integer_value(prev) >= i)
			return -1;
		advice_hash(h.prev_hash, s->env[json_integer_value(prev)], s->len[json_integer_value(prev)]);
	} else if (strcmp(json_string_value(prev) ?: "", "unknown") == 0) {
		rnd(h.prev_hash, 32, 192 + i, s->seed);
	} else if (strcmp(json_string_value(prev) ?: "", "zero") != 0) {
		return -1;
	}
	snprintf(text, sizeof text, "message %zu", i);
	s->env[i] = malloc(ADVICE_ENVELOPE_MIN_BYTES);
	if (s->env[i] == NULL ||
	    advice_content_encode(content, sizeof content, &clen, NULL, 0, text, strlen(text)) != 0 ||
	    advice_thread_msg_key(mkey, s->tkey, h.thread_id, h.epoch, s->share) != 0 ||
	    advice_envelope_seal(s->env[i], ADVICE_ENVELOPE_MIN_BYTES, &s->len[i], &h, mkey, content, clen,
				 &s->senders[sender]) != 0)
		return -1;
	if (json_is_true(json_object_get(m, "tamper")))
		s->env[i][ADVICE_ENVELOPE_HEADER_BYTES] ^= 1; /* a ciphertext byte: the signature breaks */
	return 0;
}

/* Builds the scenario's senders and messages; puts their public parts into o. 0 or -1. */
static int scenario_build(struct scenario *s, json_t *in, json_t *o)
{
	json_t *senders = json_object_get(in, "senders"), *msgs = json_object_get(in, "messages"), *v;
	json_t *pks = json_array(), *envs = json_array();
	uint8_t sseed[32];
	size_t i;

	json_object_set_new(o, "sender_sign_pks", pks);
	json_object_set_new(o, "envelopes", envs);
	s->nsenders = json_array_size(senders);
	s->nmsgs = json_array_size(msgs);
	if (s->nsenders == 0 || s->nsenders > MAX_SENDERS || s->nmsgs == 0 || s->nmsgs > MAX_MESSAGES)
		return -1;
	rnd(s->tkey, 32, 1, s->seed);
	rnd(s->share, 32, 2, s->seed);
	rnd(s->tid, 16, 3, s->seed);
	rnd(s->other_tid, 16, 4, s->seed);
	tool_put_hex(o, "thread_id", s->tid, 16);
	json_array_foreach (senders, i, v) {
		json_t *hex = json_object();

		rnd(sseed, 32, 16 + i, s->seed);
		advice_keys_personal(&s->senders[i], sseed);
		s->accepted[i] = json_is_true(v);
		tool_put_hex(hex, "pk", s->senders[i].sign_pk, 32);
		json_array_append(pks, json_object_get(hex, "pk"));
		json_decref(hex);
	}
	json_array_foreach (msgs, i, v) {
		json_t *hex = json_object();

		if (make_message(s, i, v) != 0) {
			json_decref(hex);
			return -1;
		}
		tool_put_hex(hex, "env", s->env[i], s->len[i]);
		json_array_append(envs, json_object_get(hex, "env"));
		json_decref(hex);
	}
	return 0;
}

/* Delivers the envelopes in the scenario's order; sets "error" at the first surprise. */
static void scenario_run(struct scenario *s, json_t *in, json_t *o)
{
	struct advice_thread *t = advice_thread_new(s->tid, scenario_sender, s);
	json_t *d, *next = json_array();
	size_t k;

	json_object_set_new(o, "next", next);
	json_array_foreach (json_object_get(in, "deliver"), k, d) {
		size_t i = (size_t)json_integer_value(json_array_get(d, 0));
		const char *want = json_string_value(json_array_get(d, 1)), *got;

		got = i < s->nmsgs
			      ? advice_thread_verdict_name(advice_thread_add(t, s->env[i], s->len[i], NULL))
			      : NULL;
		if (got == NULL || want == NULL || strcmp(got, want) != 0) {
			char e[128];

			snprintf(e, sizeof e, "delivery %zu (message %zu): %s, not %s", k, i, got ?: "?",
				 want ?: "?");
			json_object_set_new(o, "error", json_string(e));
			break;
		}
	}
	if (advice_thread_complete(t) != json_is_true(json_object_get(in, "complete")))
		json_object_set_new(o, "error", json_string("complete differs"));
	for (size_t i = 0; i < s->nsenders; i++) {
		uint8_t kid[16], prev[32];
		uint64_t seq = 0;
		json_t *n = json_object();

		advice_kid(kid, s->senders[i].sign_pk);
		advice_thread_next(t, kid, &seq, prev);
		json_object_set_new(n, "seq", json_integer((json_int_t)seq));
		tool_put_hex(n, "prev_hash", prev, 32);
		json_array_append_new(next, n);
	}
	advice_thread_free(t);
}

json_t *vec_thread(json_t *in)
{
	struct scenario *s = calloc(1, sizeof *s);
	json_t *o = json_deep_copy(in);

	if (s == NULL || tool_get_hex(in, "seed", s->seed, 32) != 0 || scenario_build(s, in, o) != 0)
		json_object_set_new(o, "error", json_string("bad scenario"));
	else
		scenario_run(s, in, o);
	for (size_t i = 0; s != NULL && i < MAX_MESSAGES; i++)
		free(s->env[i]);
	free(s);
	return o;
}
