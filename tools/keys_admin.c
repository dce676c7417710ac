/*
 * keys_admin.c - advicectl's end-to-end encryption commands (keys_admin.h): the municipal
 * root key (made offline, into a file), admin and worker certificates, unit key generations
 * and their rotation, unit membership with the seed sealed to the new member, and removal
 * with rotation. They run with the admin's key file on the admin's machine: they read the
 * store (read-only), sign and seal here, and return the public or sealed records to write,
 * which advicectl sends to adviced (server/core/admin_keys.h says what they are).
 *
 * A key file is one line of JSON, mode 600, never overwritten:
 * {"kind": "root"|"admin", "seed": "<64 hex>", "subject": "<32 hex>"}.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "admin_out.h"
#include "advice.h"
#include "advice_crypto.h"
#include "keys_admin.h"
#include "secret.h"

#define CERT_VALID_MS (2LL * 365 * 24 * 3600 * 1000) /* certificates made here: two years */
#define MAX_MEMBERS   ADVICE_UNIT_MAX_MEMBERS

/* A loaded key file. */
struct keyfile {
	char kind[8];
	uint8_t seed[32];
	char subject[STORE_ID_SIZE];
	struct advice_keys k;
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t keys_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes a new key file (refuses to overwrite). 0 or -1. */
static int keyfile_write(const char *path, const char *kind, const uint8_t seed[32], const char *subject,
			 char *err, size_t errlen)
{
	char hex[65], *text;
	json_t *j;
	int fd, rc = -1;
	size_t len;

	advice_hex(hex, seed, 32);
	j = json_pack("{s:s, s:s, s:s}", "kind", kind, "seed", hex, "subject", subject);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	sodium_memzero(hex, sizeof hex);
	if (text == NULL)
		return fail(err, errlen, "out of memory");
	len = strlen(text);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
	} else {
		if (write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
			rc = 0;
		else
			fail(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	sodium_memzero(text, len);
	free(text);
	return rc;
}

/* A key file is a small JSON object (kind, subject, seed). */
#define KEYFILE_MAX 4096

/* Loads a key file of `kind`; refuses one that others can read. 0 or -1. */
static int keyfile_read(const char *path, const char *kind, struct keyfile *kf, char *err, size_t errlen)
{
	char text[KEYFILE_MAX];
	json_error_t jerr;
	json_t *j;
	const char *s;
	size_t len;
	int rc = -1;

	if (secret_file_read(path, text, sizeof text, &len, err, errlen) != 0)
		return -1;
	j = json_loadb(text, len, 0, &jerr);
	sodium_memzero(text, sizeof text);
	if (j == NULL)
		return fail(err, errlen, "%s: not a key file", path);
	s = json_string_value(json_object_get(j, "kind"));
	if (s == NULL || strcmp(s, kind) != 0) {
		fail(err, errlen, "%s: not a %s key file", path, kind);
		goto out;
	}
	snprintf(kf->kind, sizeof kf->kind, "%s", s);
	s = json_string_value(json_object_get(j, "subject"));
	if (advice_unhex(kf->seed, 32, json_string_value(json_object_get(j, "seed"))) != 0 || s == NULL ||
	    strlen(s) != ADVICE_ID_HEX) {
		fail(err, errlen, "%s: damaged key file", path);
		goto out;
	}
	snprintf(kf->subject, sizeof kf->subject, "%s", s);
	rc = advice_keys_personal(&kf->k, kf->seed) == 0 ? 0 : fail(err, errlen, "key derivation failed");
out:
	json_decref(j);
	return rc;
}

static void keyfile_wipe(struct keyfile *kf)
{
	sodium_memzero(kf, sizeof *kf);
}

static void random_hex_id(char out[STORE_ID_SIZE])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof b);
	advice_hex(out, b, sizeof b);
}

/* The records of one command (admin_keys.h), in the order they are to be written. */
struct records {
	json_t *list;
	FILE *warn; /* warnings, "warning: ..." lines */
};

/* Appends a record: `fields` (consumed; NULL when json_pack ran out of memory) and its op. 0 or -1. */
static int record(struct records *r, const char *op, json_t *fields)
{
	if (fields == NULL || json_object_set_new(fields, "op", json_string(op)) != 0 ||
	    json_array_append_new(r->list, fields) != 0)
		return -1;
	return 0;
}

/* Lowercase hex of `len` bytes as a JSON string. */
static json_t *hex_json(const void *data, size_t len)
{
	char *hex = malloc(2 * len + 1);
	json_t *j;

	if (hex == NULL)
		return NULL;
	advice_hex(hex, data, len);
	j = json_string(hex);
	free(hex);
	return j;
}

int keys_admin_root_create(const char *path, FILE *out, char *err, size_t errlen)
{
	uint8_t seed[32];
	char subject[STORE_ID_SIZE], *pk;
	struct advice_keys k;
	int rc;

	if (advice_crypto_init() != 0)
		return fail(err, errlen, "libsodium cannot start");
	randombytes_buf(seed, sizeof seed);
	random_hex_id(subject);
	rc = advice_keys_personal(&k, seed);
	if (rc == 0)
		rc = keyfile_write(path, "root", seed, subject, err, errlen);
	sodium_memzero(seed, sizeof seed);
	if (rc != 0)
		return -1;
	pk = advice_b64url_encode(k.sign_pk, sizeof k.sign_pk);
	sodium_memzero(&k, sizeof k);
	if (pk == NULL)
		return fail(err, errlen, "out of memory");
	fprintf(out, "%s\n", pk); /* the public key: install it with root-install, pin it in client-web */
	free(pk);
	return 0;
}

/* Signs and stores a certificate for `subject` (keys k) issued by `issuer`. */
static int cert_issue(struct records *rec, uint8_t role, const char *subject, const struct advice_keys *k,
		      const struct advice_keys *issuer, char *err, size_t errlen)
{
	uint8_t cert[ADVICE_CERT_BYTES], kid[16];
	struct advice_cert c;
	int64_t now = keys_now_ms();

	memset(&c, 0, sizeof c);
	c.role = role;
	advice_unhex(c.subject_id, 16, subject);
	memcpy(c.sign_pk, k->sign_pk, 32);
	memcpy(c.box_pk, k->box_pk, 32);
	c.not_before = (uint64_t)now - 60000; /* an hour of clock skew would be too much; a minute is not */
	c.not_after = (uint64_t)(now + CERT_VALID_MS);
	if (advice_cert_sign(cert, &c, issuer) != 0)
		return fail(err, errlen, "cannot sign the certificate");
	advice_kid(kid, k->sign_pk);
	if (record(rec, "cert_put",
		   json_pack("{s:s, s:i, s:o, s:o, s:I}", "subject", subject, "role", role, "kid",
			     hex_json(kid, sizeof kid), "cert", hex_json(cert, sizeof cert), "at",
			     (json_int_t)now)) != 0)
		return fail(err, errlen, "out of memory");
	return 0;
}

static int cmd_root_install(struct records *rec, const char *pk_b64, FILE *out, char *err, size_t errlen)
{
	uint8_t *pk = NULL;
	size_t len = 0;
	int rc;

	if (advice_b64url_decode(pk_b64, &pk, &len) != 0 || len != 32) {
		free(pk);
		return fail(err, errlen, "the root public key is 43 characters of base64url");
	}
	rc = record(rec, "root_put",
		    json_pack("{s:o, s:I}", "pk", hex_json(pk, 32), "at", (json_int_t)keys_now_ms()));
	free(pk);
	if (rc != 0)
		return fail(err, errlen, "out of memory");
	fprintf(out, "root key installed\n");
	return 0;
}

static int cmd_admin_certify(struct records *rec, const char *root_path, const char *admin_path, FILE *out,
			     char *err, size_t errlen)
{
	struct keyfile root, admin;
	char kid_hex[33];
	uint8_t kid[16];
	int rc = -1;

	if (keyfile_read(root_path, "root", &root, err, errlen) != 0)
		return -1;
	memset(&admin, 0, sizeof admin);
	randombytes_buf(admin.seed, sizeof admin.seed);
	random_hex_id(admin.subject);
	if (advice_keys_personal(&admin.k, admin.seed) == 0 &&
	    keyfile_write(admin_path, "admin", admin.seed, admin.subject, err, errlen) == 0 &&
	    cert_issue(rec, ADVICE_ROLE_ADMIN, admin.subject, &admin.k, &root.k, err, errlen) == 0) {
		advice_kid(kid, admin.k.sign_pk);
		advice_hex(kid_hex, kid, sizeof kid);
		fprintf(out, "admin key written to %s and certified by the root key (key id %s)\n",
			admin_path, kid_hex);
		rc = 0;
	}
	keyfile_wipe(&root);
	keyfile_wipe(&admin);
	return rc;
}

/* -1 with a reason when the account of `w` has ended: nothing is sealed to it any more. */
static int refuse_ended(struct store *st, const struct store_worker *w, char *err, size_t errlen)
{
	struct store_staff s;
	char t[ADMIN_TIME_TEXT];

	if (st->ops->staff->get(st, w->user_id, &s) != STORE_OK)
		return fail(err, errlen, "cannot read the account of '%s'", w->username);
	if (s.ends == 0 || s.ends > keys_now_ms())
		return 0;
	admin_time_text(s.ends, t);
	return fail(err, errlen,
		    "the account of %s ended %s: nothing is sealed to it (worker-end %s none "
		    "reopens it)",
		    w->username, t, w->username);
}

/* --- Unit generations --- */

struct unit_state {
	char unit_id[STORE_ID_SIZE];
	int64_t g; /* current generation, 0 when none */
	uint8_t *event;
	size_t event_len;
};

static int last_generation(void *arg, const struct store_key_blob *b)
{
	struct unit_state *u = arg;

	free(u->event);
	u->event = malloc(b->len);
	if (u->event == NULL)
		return -1;
	memcpy(u->event, b->data, b->len);
	u->event_len = b->len;
	u->g = b->n;
	return 0;
}

struct seed_find {
	const char *unit_id;
	int64_t g;
	uint8_t wrap[ADVICE_WRAP_BYTES];
	int found;
};

static int find_seed(void *arg, const struct store_key_blob *b)
{
	struct seed_find *f = arg;

	if (strcmp(b->owner, f->unit_id) != 0 || b->n != f->g || b->len != ADVICE_WRAP_BYTES)
		return 0;
	memcpy(f->wrap, b->data, ADVICE_WRAP_BYTES);
	f->found = 1;
	return 1;
}

/* The admin opens the seed of generation g through the wrap sealed to itself. */
static int admin_seed(struct store *st, const struct keyfile *admin, const char *unit_id, int64_t g,
		      uint8_t seed[32], char *err, size_t errlen)
{
	struct seed_find f = { .unit_id = unit_id, .g = g };
	struct advice_wrap_info wi;
	uint8_t uid[ADVICE_OID_BYTES];

	if (st->ops->keys->unit_seed_list(st, admin->subject, find_seed, &f) != STORE_OK)
		return fail(err, errlen, "cannot read the unit's seeds");
	if (!f.found)
		return fail(err, errlen, "this admin holds no seed of generation %lld", (long long)g);
	if (advice_unhex(uid, sizeof uid, unit_id) != 0 ||
	    advice_wrap_open(seed, &wi, f.wrap, sizeof f.wrap, ADVICE_WRAP_UNIT_SEED, uid, (uint32_t)g,
			     &admin->k, admin->k.sign_pk) != 0)
		return fail(err, errlen, "the admin's seed wrap does not open");
	return 0;
}

/* --- The unit log (type 11): every command that changes a unit's keys or members signs
 * the next entries; readers check them (CRYPTO-FORMATS.md "Unit log"). --- */

#define ULOG_VALID_MS (7LL * 24 * 3600 * 1000) /* a log head is fresh for a week unless renewed */
#define ULOG_MAX_DAYS 90

/* The head of a unit's log while a command appends to it. */
struct ulog_writer {
	char unit_id[STORE_ID_SIZE];
	uint32_t seq, generation;
	uint8_t head[32];
	int64_t validity_ms;
	struct records *rec;
	const struct keyfile *admin;
	int failed;
};

static int ulog_last(void *arg, const struct store_key_blob *b)
{
	struct ulog_writer *w = arg;
	struct advice_ulog_entry e;

	if (advice_ulog_parse(b->data, b->len, &e) != 0)
		return -1;
	w->seq = e.seq;
	w->generation = e.generation;
	advice_hash(w->head, b->data, b->len);
	return 0;
}

/* Appends the log's next entry to the records. 0 or -1. */
static int ulog_append(struct ulog_writer *w, uint8_t kind, const uint8_t subject[32])
{
	struct advice_ulog_entry e;
	uint8_t out[ADVICE_ULOG_BYTES];
	int64_t now = keys_now_ms();

	memset(&e, 0, sizeof e);
	advice_unhex(e.unit_id, 16, w->unit_id);
	e.seq = w->seq + 1;
	memcpy(e.prev_hash, w->head, 32);
	e.kind = kind;
	e.generation = kind == ADVICE_ULOG_GENERATION ? w->generation + 1 : w->generation;
	if (subject != NULL)
		memcpy(e.subject, subject, 32);
	e.at = (uint64_t)now;
	e.valid_until = (uint64_t)(now + w->validity_ms);
	if (advice_ulog_sign(out, &e, &w->admin->k) != 0 ||
	    record(w->rec, "unit_log_put",
		   json_pack("{s:s, s:I, s:o, s:I}", "unit", w->unit_id, "seq", (json_int_t)e.seq, "entry",
			     hex_json(out, sizeof out), "at", (json_int_t)now)) != 0)
		return -1;
	w->seq = e.seq;
	w->generation = e.generation;
	advice_hash(w->head, out, sizeof out);
	return 0;
}

/* A generation the log does not name yet (made before the unit log existed). */
static int ulog_catch_up(void *arg, const struct store_key_blob *b)
{
	struct ulog_writer *w = arg;
	uint8_t h[32];

	if (b->n <= (int64_t)w->generation)
		return 0;
	advice_hash(h, b->data, b->len);
	if (b->n != (int64_t)w->generation + 1 || ulog_append(w, ADVICE_ULOG_GENERATION, h) != 0) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

/* Opens the unit's log for appending: its head, caught up with the generations made before
 * it existed (one generation entry each). 0, or -1 with a reason in err. */
static int ulog_open(struct store *st, struct records *rec, const struct keyfile *admin, const char *unit_id,
		     struct ulog_writer *w, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	snprintf(w->unit_id, sizeof w->unit_id, "%s", unit_id);
	w->validity_ms = ULOG_VALID_MS;
	w->rec = rec;
	w->admin = admin;
	if (st->ops->rekey->unit_log_list(st, unit_id, 0, ulog_last, w) != STORE_OK)
		return fail(err, errlen, "cannot read the unit log");
	if (st->ops->keys->unit_gen_list(st, unit_id, ulog_catch_up, w) != STORE_OK || w->failed)
		return fail(err, errlen, "the unit log and the unit's key generations disagree");
	return 0;
}

/* The subject of a member entry: user id || kid of the member's box key (zeros when none). */
static void member_subject(uint8_t subject[32], const char *user_id, const uint8_t box_pk[32])
{
	static const uint8_t zero[32];

	memset(subject, 0, 32);
	advice_unhex(subject, 16, user_id);
	if (memcmp(box_pk, zero, 32) != 0)
		advice_kid(subject + 16, box_pk);
}

struct member_keys {
	struct store *st;
	FILE *warn;
	const char *leaving; /* a member whose removal is among the records: not sealed to */
	char user_id[MAX_MEMBERS][STORE_ID_SIZE];
	uint8_t box_pk[MAX_MEMBERS][32];
	size_t n, without_keys;
};

static int cert_box_key(void *arg, const struct store_key_blob *b)
{
	struct advice_cert c;
	uint8_t *out = arg;

	if (b->n == ADVICE_ROLE_WORKER && advice_cert_parse(b->data, b->len, &c) == 0)
		memcpy(out, c.box_pk, 32);
	return 0;
}

/* Whether the member's account or role has ended (a warning says it is left out). */
static int member_ended(struct member_keys *mk, const struct store_member *m)
{
	int64_t now = keys_now_ms();
	char t[ADMIN_TIME_TEXT];

	if (m->account_ends > 0 && m->account_ends <= now) {
		admin_time_text(m->account_ends, t);
		fprintf(mk->warn, "warning: %s left out: the account ended %s\n", m->username, t);
		return 1;
	}
	if (m->role_ends > 0 && m->role_ends <= now) {
		admin_time_text(m->role_ends, t);
		fprintf(mk->warn, "warning: %s left out: the role in the unit ended %s\n", m->username, t);
		return 1;
	}
	return 0;
}

static int add_member(void *arg, const struct store_member *m)
{
	struct member_keys *mk = arg;
	static const uint8_t zero[32];
	uint8_t box[32] = { 0 };

	if (mk->leaving != NULL && strcmp(m->user_id, mk->leaving) == 0)
		return 0;
	if (member_ended(mk, m))
		return 0;
	if (mk->st->ops->keys->cert_list(mk->st, m->user_id, cert_box_key, box) != STORE_OK)
		return -1;
	if (memcmp(box, zero, 32) == 0) {
		mk->without_keys++; /* not enrolled yet: sealed to when added with unit-member-add */
		return 0;
	}
	if (mk->n == MAX_MEMBERS)
		return -1;
	snprintf(mk->user_id[mk->n], STORE_ID_SIZE, "%s", m->user_id);
	memcpy(mk->box_pk[mk->n++], box, 32);
	return 0;
}

/* A live connector holding the unit's seeds: its certified box key, as a member's. */
static int connector_box_key(void *arg, const struct store_key_blob *b)
{
	struct advice_cert c;
	uint8_t *out = arg;

	if (b->n == ADVICE_ROLE_CONNECTOR && advice_cert_parse(b->data, b->len, &c) == 0)
		memcpy(out, c.box_pk, 32);
	return 0;
}

static int add_connector(void *arg, const struct store_connector *c)
{
	struct member_keys *mk = arg;
	static const uint8_t zero[32];
	uint8_t box[32] = { 0 };

	if (mk->st->ops->keys->cert_list(mk->st, c->id, connector_box_key, box) != STORE_OK)
		return -1;
	if (memcmp(box, zero, 32) == 0)
		return 0;
	if (mk->n == MAX_MEMBERS)
		return -1;
	snprintf(mk->user_id[mk->n], STORE_ID_SIZE, "%s", c->id);
	memcpy(mk->box_pk[mk->n++], box, 32);
	return 0;
}

static int seal_seed(struct records *rec, const char *unit_id, int64_t g, const uint8_t unit_id_bytes[16],
		     const uint8_t seed[32], const uint8_t box_pk[32], const char *holder,
		     const struct keyfile *admin)
{
	uint8_t wrap[ADVICE_WRAP_BYTES], eph[32], kid[16];

	randombytes_buf(eph, sizeof eph);
	if (advice_wrap_seal(wrap, ADVICE_WRAP_UNIT_SEED, unit_id_bytes, (uint32_t)g, box_pk, seed, eph,
			     &admin->k) != 0)
		return -1;
	advice_kid(kid, box_pk);
	return record(rec, "unit_seed_put",
		      json_pack("{s:s, s:I, s:o, s:s, s:o}", "unit", unit_id, "gen", (json_int_t)g, "kid",
				hex_json(kid, sizeof kid), "holder", holder, "wrap",
				hex_json(wrap, sizeof wrap)));
}

/* Starts the next generation of a unit for its current enrolled members but `leaving` (may
 * be NULL), and the admin. */
static int unit_rotate(struct store *st, struct records *rec, const char *unit_id, const char *leaving,
		       const struct keyfile *admin, struct ulog_writer *log, FILE *out, char *err,
		       size_t errlen)
{
	struct unit_state u = { 0 };
	struct member_keys *mk = calloc(1, sizeof *mk);
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t prev[32], seed[32], chain_key[32], nonce[24], chain[ADVICE_CHAIN_BYTES], kid[16];
	uint8_t event[ADVICE_UNIT_EVENT_MAX_BYTES], event_hash[32];
	struct advice_keys gen;
	size_t len = 0;
	int rc = -1;

	snprintf(u.unit_id, sizeof u.unit_id, "%s", unit_id);
	if (mk == NULL || ev == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	mk->st = st;
	mk->warn = rec->warn;
	mk->leaving = leaving;
	if (st->ops->keys->unit_gen_list(st, unit_id, last_generation, &u) != STORE_OK ||
	    st->ops->unit->members(st, unit_id, add_member, mk) != STORE_OK ||
	    st->ops->consent->unit_connectors(st, unit_id, add_connector, mk) != STORE_OK) {
		fail(err, errlen, "cannot read the unit");
		goto out;
	}
	if (u.g > 0 && admin_seed(st, admin, unit_id, u.g, prev, err, errlen) != 0)
		goto out;
	if ((int64_t)log->generation != u.g) {
		fail(err, errlen, "the unit log names generation %u, the unit has %lld", log->generation,
		     (long long)u.g);
		goto out;
	}
	randombytes_buf(seed, sizeof seed);
	advice_keys_unit(&gen, chain_key, seed);
	advice_unhex(ev->unit_id, 16, unit_id);
	ev->generation = (uint32_t)(u.g + 1);
	memcpy(ev->box_pk, gen.box_pk, 32);
	memcpy(ev->sign_pk, gen.sign_pk, 32);
	if (u.g > 0)
		advice_hash(ev->prev_hash, u.event, u.event_len);
	ev->created_at = (uint64_t)keys_now_ms();
	ev->n_members = (uint16_t)mk->n;
	for (size_t i = 0; i < mk->n; i++)
		advice_kid(ev->members[i], mk->box_pk[i]);
	if (advice_unit_event_sign(event, sizeof event, &len, ev, &admin->k) != 0) {
		fail(err, errlen, "cannot sign the unit event");
		goto out;
	}
	if (u.g > 0) {
		randombytes_buf(nonce, sizeof nonce);
		advice_chain_seal(chain, ev->unit_id, ev->generation, chain_key, nonce, prev);
	}
	advice_kid(kid, gen.box_pk);
	if (record(rec, "unit_gen_put",
		   json_pack("{s:s, s:I, s:o, s:o, s:o, s:I}", "unit", unit_id, "gen",
			     (json_int_t)ev->generation, "kid", hex_json(kid, sizeof kid), "event",
			     hex_json(event, len), "chain", hex_json(chain, u.g > 0 ? sizeof chain : 0), "at",
			     (json_int_t)keys_now_ms())) != 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	advice_hash(event_hash, event, len); /* the log names the generation by its event's hash */
	if (ulog_append(log, ADVICE_ULOG_GENERATION, event_hash) != 0) {
		fail(err, errlen, "cannot sign the unit log entry");
		goto out;
	}
	for (size_t i = 0; i < mk->n; i++)
		if (seal_seed(rec, unit_id, ev->generation, ev->unit_id, seed, mk->box_pk[i], mk->user_id[i],
			      admin) != 0) {
			fail(err, errlen, "cannot store a member's seed");
			goto out;
		}
	if (seal_seed(rec, unit_id, ev->generation, ev->unit_id, seed, admin->k.box_pk, admin->subject,
		      admin) != 0) {
		fail(err, errlen, "cannot store the admin's seed");
		goto out;
	}
	fprintf(out, "unit key generation %u for %zu member%s%s\n", ev->generation, mk->n,
		mk->n == 1 ? "" : "s", mk->without_keys ? " (members without keys were left out)" : "");
	rc = 0;
out:
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(prev, sizeof prev);
	sodium_memzero(chain_key, sizeof chain_key);
	sodium_memzero(&gen, sizeof gen);
	free(u.event);
	free(mk);
	free(ev);
	return rc;
}

static int find_unit(struct store *st, const char *name, char unit_id[STORE_ID_SIZE], char *err,
		     size_t errlen)
{
	if (st->ops->unit->find(st, name, unit_id) != STORE_OK)
		return fail(err, errlen, "no unit '%s'", name);
	return 0;
}

static int member_found(void *arg, const struct store_member *m)
{
	const char **user = arg;

	if (*user != NULL && strcmp(m->user_id, *user) == 0)
		*user = NULL; /* found */
	return 0;
}

/* Whether `user_id` is a member of the unit now. */
static int is_member(struct store *st, const char *unit_id, const char *user_id)
{
	const char *user = user_id;

	return st->ops->unit->members(st, unit_id, member_found, &user) == STORE_OK && user == NULL;
}

static int cmd_member_add(struct store *st, struct records *rec, const char *username, const char *unit,
			  const char *admin_path, int supervisor, FILE *out, char *err, size_t errlen)
{
	struct unit_state u = { 0 };
	struct store_worker w;
	struct keyfile admin;
	struct ulog_writer log;
	uint8_t seed[32], box[32] = { 0 }, unit_bytes[16], subject[32];
	static const uint8_t zero[32];
	char unit_id[STORE_ID_SIZE];
	int rc = -1;

	if (find_unit(st, unit, unit_id, err, errlen) != 0)
		return -1;
	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return fail(err, errlen, "no worker '%s'", username);
	if (is_member(st, unit_id, w.user_id))
		return fail(err, errlen, "%s is already a member of %s", username, unit);
	if (refuse_ended(st, &w, err, errlen) != 0)
		return -1;
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	if (st->ops->keys->cert_list(st, w.user_id, cert_box_key, box) != STORE_OK ||
	    memcmp(box, zero, 32) == 0) {
		fail(err, errlen,
		     "worker '%s' has no certified keys yet (the worker's first login, then "
		     "worker-certify)",
		     username);
		goto out;
	}
	if (record(rec, "member_add",
		   json_pack("{s:s, s:s, s:i}", "user", w.user_id, "unit", unit_id, "role",
			     supervisor ? ROLE_SUPERVISOR : ROLE_WORKER)) != 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (ulog_open(st, rec, &admin, unit_id, &log, err, errlen) != 0)
		goto out;
	member_subject(subject, w.user_id, box);
	if (ulog_append(&log, ADVICE_ULOG_MEMBER_ADD, subject) != 0) {
		fail(err, errlen, "cannot sign the unit log entry");
		goto out;
	}
	if (st->ops->keys->unit_gen_list(st, unit_id, last_generation, &u) != STORE_OK) {
		fail(err, errlen, "cannot read the unit");
		goto out;
	}
	/* The current seed only: the chain reaches older generations. */
	if (u.g > 0) {
		advice_unhex(unit_bytes, 16, unit_id);
		if (admin_seed(st, &admin, unit_id, u.g, seed, err, errlen) != 0)
			goto out;
		if (seal_seed(rec, unit_id, u.g, unit_bytes, seed, box, w.user_id, &admin) != 0) {
			fail(err, errlen, "cannot store the member's seed");
			goto out;
		}
	}
	fprintf(out, "%s added to %s\n", username, unit);
	rc = 0;
out:
	sodium_memzero(seed, sizeof seed);
	free(u.event);
	keyfile_wipe(&admin);
	return rc;
}

static int cmd_member_remove(struct store *st, struct records *rec, const char *username, const char *unit,
			     const char *admin_path, FILE *out, char *err, size_t errlen)
{
	struct store_worker w;
	struct keyfile admin;
	struct ulog_writer log;
	uint8_t box[32] = { 0 }, subject[32];
	char unit_id[STORE_ID_SIZE];
	int rc;

	if (find_unit(st, unit, unit_id, err, errlen) != 0)
		return -1;
	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return fail(err, errlen, "no worker '%s'", username);
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	if (!is_member(st, unit_id, w.user_id))
		rc = fail(err, errlen, "%s is not a member of %s", username, unit);
	else if (record(rec, "member_remove", json_pack("{s:s, s:s}", "user", w.user_id, "unit", unit_id)) !=
		 0)
		rc = fail(err, errlen, "out of memory");
	else if (ulog_open(st, rec, &admin, unit_id, &log, err, errlen) != 0 ||
		 st->ops->keys->cert_list(st, w.user_id, cert_box_key, box) != STORE_OK)
		rc = -1;
	else if (member_subject(subject, w.user_id, box),
		 ulog_append(&log, ADVICE_ULOG_MEMBER_REMOVE, subject) != 0)
		rc = fail(err, errlen, "cannot sign the unit log entry");
	else { /* removal always rotates */
		fprintf(out, "%s removed from %s\n", username, unit);
		rc = unit_rotate(st, rec, unit_id, w.user_id, &admin, &log, out, err, errlen);
	}
	keyfile_wipe(&admin);
	return rc;
}

static int cmd_unit_rotate(struct store *st, struct records *rec, const char *unit, const char *admin_path,
			   FILE *out, char *err, size_t errlen)
{
	struct keyfile admin;
	struct ulog_writer log;
	char unit_id[STORE_ID_SIZE];
	int rc;

	if (find_unit(st, unit, unit_id, err, errlen) != 0)
		return -1;
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	rc = ulog_open(st, rec, &admin, unit_id, &log, err, errlen);
	if (rc == 0)
		rc = unit_rotate(st, rec, unit_id, NULL, &admin, &log, out, err, errlen);
	keyfile_wipe(&admin);
	return rc;
}

/* unit-log-renew: a renewal entry, so readers see the log is fresh for DAYS more. */
static int cmd_log_renew(struct store *st, struct records *rec, const char *unit, const char *admin_path,
			 const char *days, FILE *out, char *err, size_t errlen)
{
	struct keyfile admin;
	struct ulog_writer log;
	char unit_id[STORE_ID_SIZE], *end = NULL;
	long d = 7;
	int rc;

	if (days != NULL) {
		d = strtol(days, &end, 10);
		if (end == days || *end != '\0' || d < 1 || d > ULOG_MAX_DAYS)
			return fail(err, errlen, "DAYS: a whole number of days, 1 to %d", ULOG_MAX_DAYS);
	}
	if (find_unit(st, unit, unit_id, err, errlen) != 0)
		return -1;
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	rc = ulog_open(st, rec, &admin, unit_id, &log, err, errlen);
	if (rc == 0) {
		log.validity_ms = d * 24 * 3600 * 1000LL;
		rc = ulog_append(&log, ADVICE_ULOG_RENEW, NULL) == 0
			     ? 0
			     : fail(err, errlen, "cannot sign the entry");
	}
	if (rc == 0)
		fprintf(out, "unit log of %s renewed for %ld day%s (entry %u)\n", unit, d, d == 1 ? "" : "s",
			log.seq);
	keyfile_wipe(&admin);
	return rc;
}

struct revoke_acc {
	struct ulog_writer *log;
	const char *user_id;
	int n, failed;
};

/* One revocation entry per worker certificate of the user. */
static int revoke_cert(void *arg, const struct store_key_blob *b)
{
	struct revoke_acc *a = arg;
	uint8_t subject[32];

	if (b->n != ADVICE_ROLE_WORKER)
		return 0;
	advice_unhex(subject, 16, a->user_id);
	memcpy(subject + 16, b->kid, 16);
	if (ulog_append(a->log, ADVICE_ULOG_REVOKE, subject) != 0) {
		a->failed = 1;
		return 1;
	}
	a->n++;
	return 0;
}

/* cert-revoke: revokes the worker's certificates from now on, in the log of every unit the
 * worker is a member of (readers refuse what they sign after). */
static int cmd_cert_revoke(struct store *st, struct records *rec, const char *username,
			   const char *admin_path, FILE *out, char *err, size_t errlen)
{
	struct store_membership units[16];
	struct store_worker w;
	struct keyfile admin;
	struct ulog_writer log;
	struct revoke_acc a = { .log = &log };
	size_t n = 0;
	int rc = 0;

	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return fail(err, errlen, "no worker '%s'", username);
	if (st->ops->staff->membership_list(st, w.user_id, units, 16, &n) != STORE_OK)
		return fail(err, errlen, "cannot read the worker's units");
	if (n == 0)
		return fail(err, errlen, "%s is a member of no unit: no unit log to revoke in", username);
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	a.user_id = w.user_id;
	for (size_t i = 0; i < n && rc == 0; i++) {
		a.n = 0;
		rc = ulog_open(st, rec, &admin, units[i].unit_id, &log, err, errlen);
		if (rc == 0 &&
		    (st->ops->keys->cert_list(st, w.user_id, revoke_cert, &a) != STORE_OK || a.failed))
			rc = fail(err, errlen, "cannot sign the revocation");
		if (rc == 0 && a.n == 0)
			rc = fail(err, errlen, "%s has no worker certificate", username);
	}
	if (rc == 0)
		fprintf(out, "%d certificate%s of %s revoked in %zu unit log%s\n", a.n, a.n == 1 ? "" : "s",
			username, n, n == 1 ? "" : "s");
	keyfile_wipe(&admin);
	return rc;
}

/* --- Worker keys: certified from the worker's own key request --- */

/* Sets *(int *)arg when the subject has a worker certificate. */
static int any_worker_cert(void *arg, const struct store_key_blob *b)
{
	if (b->n == ADVICE_ROLE_WORKER)
		*(int *)arg = 1;
	return 0;
}

/* In one unit the worker is a member of, when the unit has a key generation: the member
 * entry of the unit log and the current seed sealed to the worker's box key. (A unit without
 * one yet names the worker in its first generation's event.) */
static int certify_in_unit(struct store *st, struct records *rec, const struct store_worker *w,
			   const char *unit_id, const uint8_t box_pk[32], const struct keyfile *admin,
			   char *err, size_t errlen)
{
	struct unit_state u = { 0 };
	struct ulog_writer log;
	uint8_t subject[32], seed[32], unit_bytes[16];
	int rc = -1;

	if (st->ops->keys->unit_gen_list(st, unit_id, last_generation, &u) != STORE_OK) {
		fail(err, errlen, "cannot read the unit");
		goto out;
	}
	if (u.g == 0) {
		rc = 0;
		goto out;
	}
	if (ulog_open(st, rec, admin, unit_id, &log, err, errlen) != 0)
		goto out;
	member_subject(subject, w->user_id, box_pk);
	if (ulog_append(&log, ADVICE_ULOG_MEMBER_ADD, subject) != 0) {
		fail(err, errlen, "cannot sign the unit log entry");
		goto out;
	}
	advice_unhex(unit_bytes, 16, unit_id);
	rc = admin_seed(st, admin, unit_id, u.g, seed, err, errlen);
	if (rc == 0 && seal_seed(rec, unit_id, u.g, unit_bytes, seed, box_pk, w->user_id, admin) != 0)
		rc = fail(err, errlen, "cannot store the member's seed");
out:
	sodium_memzero(seed, sizeof seed);
	free(u.event);
	return rc;
}

/*
 * The admin's certificate of the worker's public keys and, in every unit the worker is a
 * member of (worker-add --unit made the membership before the worker had keys), the unit
 * log's member entry and the current unit seed sealed to them. 0, or -1 with a reason.
 */
static int certify_keys(struct store *st, struct records *rec, const struct store_worker *w,
			const uint8_t sign_pk[32], const uint8_t box_pk[32], const struct keyfile *admin,
			FILE *out, char *err, size_t errlen)
{
	struct store_membership units[16];
	struct advice_keys k;
	size_t n = 0;

	memset(&k, 0, sizeof k);
	memcpy(k.sign_pk, sign_pk, 32);
	memcpy(k.box_pk, box_pk, 32);
	if (cert_issue(rec, ADVICE_ROLE_WORKER, w->user_id, &k, &admin->k, err, errlen) != 0)
		return -1;
	if (st->ops->staff->membership_list(st, w->user_id, units, 16, &n) != STORE_OK)
		return fail(err, errlen, "cannot read the worker's units");
	for (size_t i = 0; i < n; i++)
		if (certify_in_unit(st, rec, w, units[i].unit_id, box_pk, admin, err, errlen) != 0)
			return -1;
	fprintf(out, "keys of %s certified; the key%s of %zu unit%s sealed to them\n", w->username,
		n == 1 ? "" : "s", n, n == 1 ? "" : "s");
	return 0;
}

/* The worker's pending key request, verified: its keys in *kr, its arrival in *at. */
static int pending_request(struct store *st, const struct store_worker *w, struct advice_key_request *kr,
			   int64_t *at, char *err, size_t errlen)
{
	uint8_t req[ADVICE_KEY_REQUEST_BYTES], uid[16];
	size_t len = 0;
	int certified = 0, rc = st->ops->keys->key_request_get(st, w->user_id, req, sizeof req, &len, at);

	if (rc == STORE_NOTFOUND)
		return fail(err, errlen,
			    "%s has no key request: the worker's first login (advicectl login URL %s "
			    "--setup-code CODE) makes one",
			    w->username, w->username);
	if (rc != STORE_OK)
		return fail(err, errlen, "cannot read the key request of %s", w->username);
	if (advice_key_request_verify(req, len, kr) != 0 || advice_unhex(uid, 16, w->user_id) != 0 ||
	    memcmp(uid, kr->user_id, 16) != 0)
		return fail(err, errlen, "the key request of %s does not verify: nothing certified",
			    w->username);
	if (st->ops->keys->cert_list(st, w->user_id, any_worker_cert, &certified) != STORE_OK)
		return fail(err, errlen, "cannot read the certificates of %s", w->username);
	if (certified)
		return fail(err, errlen, "the keys of %s are certified already", w->username);
	return 0;
}

/*
 * worker-certify USERNAME ADMINFILE [FINGERPRINT]: without FINGERPRINT, shows the pending
 * key request's fingerprint to compare with the one the worker's first login printed; with
 * it, certifies the request's keys when the two are the same.
 */
static int cmd_worker_certify(struct store *st, struct records *rec, const char *username,
			      const char *admin_path, const char *fingerprint, FILE *out, char *err,
			      size_t errlen)
{
	struct store_worker w;
	struct advice_key_request kr;
	struct keyfile admin;
	char fp[ADVICE_FINGERPRINT_CHARS + 1], made[ADMIN_TIME_TEXT];
	int64_t at = 0;
	int rc;

	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return fail(err, errlen, "no worker '%s'", username);
	if (refuse_ended(st, &w, err, errlen) != 0 || pending_request(st, &w, &kr, &at, err, errlen) != 0)
		return -1;
	advice_key_fingerprint(fp, kr.sign_pk, kr.box_pk);
	admin_time_text((int64_t)kr.created_at, made);
	if (fingerprint == NULL) {
		fprintf(out,
			"key request of %s, made %s\n  fingerprint %s\n"
			"Compare it with the fingerprint %s's first login printed (in person or by phone);\n"
			"when they are the same, certify it: advicectl -d DIR worker-certify %s %s '%s'\n",
			username, made, fp, username, username, admin_path, fp);
		return 0;
	}
	if (!advice_key_fingerprint_equal(fingerprint, fp))
		return fail(err, errlen,
			    "the fingerprint of %s's key request is %s, not %s: nothing certified (the keys "
			    "on the server are not the ones the worker made)",
			    username, fp, fingerprint);
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	rc = certify_keys(st, rec, &w, kr.sign_pk, kr.box_pk, &admin, out, err, errlen);
	keyfile_wipe(&admin);
	return rc;
}

int keys_admin_demo_worker(struct store *st, const char *username, const char *password,
			   const char *admin_path, FILE *out, json_t **records, char *err, size_t errlen)
{
	struct records rec = { .warn = out };
	struct store_worker w;
	struct keyfile admin;
	struct advice_bundle_info bi;
	struct advice_keys k;
	uint8_t seed[32], master[32], bkey[32], nonce[24], bundle[ADVICE_BUNDLE_BYTES];
	int rc = -1;

	*records = NULL;
	if (advice_crypto_init() != 0)
		return fail(err, errlen, "libsodium cannot start");
	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return fail(err, errlen, "no worker '%s'", username);
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	if ((rec.list = json_array()) == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	memset(&bi, 0, sizeof bi);
	advice_unhex(bi.user_id, 16, w.user_id);
	bi.version = 1;
	bi.opslimit = ADVICE_PWHASH_OPS_MIN; /* the demo passwords are published: the least cost */
	bi.memlimit = ADVICE_PWHASH_MEM_MIN;
	randombytes_buf(bi.salt, sizeof bi.salt);
	randombytes_buf(seed, sizeof seed);
	randombytes_buf(nonce, sizeof nonce);
	if (advice_password_master(master, password, bi.salt, bi.opslimit, bi.memlimit) != 0 ||
	    advice_bundle_key(bkey, master) != 0 || advice_bundle_seal(bundle, &bi, bkey, nonce, seed) != 0 ||
	    advice_keys_personal(&k, seed) != 0) {
		fail(err, errlen, "key derivation failed");
		goto out;
	}
	if (record(&rec, "bundle_put",
		   json_pack("{s:s, s:o, s:I}", "user", w.user_id, "bundle", hex_json(bundle, sizeof bundle),
			     "at", (json_int_t)keys_now_ms())) != 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	rc = certify_keys(st, &rec, &w, k.sign_pk, k.box_pk, &admin, out, err, errlen);
out:
	if (rc == 0)
		*records = rec.list;
	else
		json_decref(rec.list);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(master, sizeof master);
	sodium_memzero(bkey, sizeof bkey);
	sodium_memzero(&k, sizeof k);
	keyfile_wipe(&admin);
	return rc;
}

/* --- The records connector: its root-signed certificate, and unit seeds sealed to it --- */

/* A 32-byte public key given as 43 characters of base64url. 0 or -1. */
static int public_key_arg(const char *b64, uint8_t out[32])
{
	uint8_t *pk = NULL;
	size_t len = 0;
	int rc = advice_b64url_decode(b64, &pk, &len) == 0 && len == 32 ? 0 : -1;

	if (rc == 0)
		memcpy(out, pk, 32);
	free(pk);
	return rc;
}

/* connector-add NAME --box-pk B --sign-pk S ROOTFILE: the account and its certificate (role 3)
 * signed with the root key. */
static int cmd_connector_add(struct store *st, struct records *rec, const char *name, const char *box_b64,
			     const char *sign_b64, const char *root_path, FILE *out, char *err, size_t errlen)
{
	struct store_connector c;
	struct keyfile root;
	struct advice_keys k;
	char id[STORE_ID_SIZE], fp[ADVICE_FINGERPRINT_CHARS + 1];
	uint8_t kid[16], sign_kid[16];
	int rc = -1;

	memset(&k, 0, sizeof k);
	if (public_key_arg(box_b64, k.box_pk) != 0 || public_key_arg(sign_b64, k.sign_pk) != 0)
		return fail(err, errlen, "--box-pk and --sign-pk are 43 characters of base64url each");
	if (name[0] == '\0' || strlen(name) >= STORE_NAME_SIZE)
		return fail(err, errlen, "a connector's name is 1 to %d bytes", STORE_NAME_SIZE - 1);
	if (st->ops->consent->connector_get(st, name, &c) == STORE_OK)
		return fail(err, errlen, "a connector '%s' exists already", name);
	advice_kid(kid, k.box_pk);
	advice_kid(sign_kid, k.sign_pk);
	if (st->ops->consent->connector_by_kid(st, kid, &c) == STORE_OK)
		return fail(err, errlen, "connector '%s' has that key already", c.name);
	if (keyfile_read(root_path, "root", &root, err, errlen) != 0)
		return -1;
	random_hex_id(id);
	if (record(rec, "connector_put",
		   json_pack("{s:s, s:s, s:o, s:o, s:I}", "id", id, "name", name, "kid",
			     hex_json(kid, sizeof kid), "sign_kid", hex_json(sign_kid, sizeof sign_kid), "at",
			     (json_int_t)keys_now_ms())) != 0)
		fail(err, errlen, "out of memory");
	else if (cert_issue(rec, ADVICE_ROLE_CONNECTOR, id, &k, &root.k, err, errlen) == 0)
		rc = 0;
	keyfile_wipe(&root);
	if (rc != 0)
		return -1;
	advice_key_fingerprint(fp, k.sign_pk, k.box_pk);
	advice_hex(id, kid, sizeof kid);
	fprintf(out, "connector %s certified by the root key (key id %s, fingerprint %s)\n", name, id, fp);
	return 0;
}

/* connector-unit-add NAME UNIT ADMINFILE: the connector holds UNIT's seeds from now on (the
 * current one sealed to it here, every later generation by unit-key-rotate), named in the unit log. */
static int cmd_connector_unit_add(struct store *st, struct records *rec, const char *name, const char *unit,
				  const char *admin_path, FILE *out, char *err, size_t errlen)
{
	struct unit_state u = { 0 };
	struct store_connector c;
	struct store_membership units[32];
	struct keyfile admin;
	struct ulog_writer log;
	uint8_t seed[32], box[32] = { 0 }, unit_bytes[16], subject[32];
	static const uint8_t zero[32];
	char unit_id[STORE_ID_SIZE];
	size_t n = 0;
	int rc = -1;

	if (find_unit(st, unit, unit_id, err, errlen) != 0)
		return -1;
	if (st->ops->consent->connector_get(st, name, &c) != STORE_OK)
		return fail(err, errlen, "no connector '%s'", name);
	if (c.ended != 0)
		return fail(err, errlen, "connector '%s' has ended: nothing is sealed to it", name);
	if (st->ops->consent->units(st, c.id, units, 32, &n) != STORE_OK)
		return fail(err, errlen, "cannot read the connector's units");
	for (size_t i = 0; i < n; i++)
		if (strcmp(units[i].unit_id, unit_id) == 0)
			return fail(err, errlen, "connector %s holds the keys of %s already", name, unit);
	if (st->ops->keys->cert_list(st, c.id, connector_box_key, box) != STORE_OK ||
	    memcmp(box, zero, 32) == 0)
		return fail(err, errlen, "connector '%s' has no certificate", name);
	if (keyfile_read(admin_path, "admin", &admin, err, errlen) != 0)
		return -1;
	if (record(rec, "connector_unit_add",
		   json_pack("{s:s, s:s, s:I}", "connector", c.id, "unit", unit_id, "at",
			     (json_int_t)keys_now_ms())) != 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (ulog_open(st, rec, &admin, unit_id, &log, err, errlen) != 0)
		goto out;
	member_subject(subject, c.id, box);
	if (ulog_append(&log, ADVICE_ULOG_MEMBER_ADD, subject) != 0) {
		fail(err, errlen, "cannot sign the unit log entry");
		goto out;
	}
	if (st->ops->keys->unit_gen_list(st, unit_id, last_generation, &u) != STORE_OK) {
		fail(err, errlen, "cannot read the unit");
		goto out;
	}
	if (u.g > 0) {
		advice_unhex(unit_bytes, 16, unit_id);
		if (admin_seed(st, &admin, unit_id, u.g, seed, err, errlen) != 0)
			goto out;
		if (seal_seed(rec, unit_id, u.g, unit_bytes, seed, box, c.id, &admin) != 0) {
			fail(err, errlen, "cannot store the connector's seed");
			goto out;
		}
	}
	fprintf(out, "connector %s holds the keys of %s\n", name, unit);
	rc = 0;
out:
	sodium_memzero(seed, sizeof seed);
	free(u.event);
	keyfile_wipe(&admin);
	return rc;
}

/* connector-add's arguments: NAME --box-pk B --sign-pk S ROOTFILE, the options in any order. */
static int connector_add_args(struct store *st, struct records *rec, int argc, char **argv, FILE *out,
			      char *err, size_t errlen)
{
	const char *box = NULL, *sign = NULL, *rest[2] = { NULL, NULL };
	int nrest = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--box-pk") == 0 && i + 1 < argc)
			box = argv[++i];
		else if (strcmp(argv[i], "--sign-pk") == 0 && i + 1 < argc)
			sign = argv[++i];
		else if (nrest < 2)
			rest[nrest++] = argv[i];
		else
			return 1;
	}
	if (box == NULL || sign == NULL || nrest != 2)
		return 1;
	return cmd_connector_add(st, rec, rest[0], box, sign, rest[1], out, err, errlen);
}

/* Runs one command. 1 when not a key command. */
static int keys_dispatch(struct store *st, struct records *rec, int argc, char **argv, FILE *out, char *err,
			 size_t errlen)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "root-install") == 0 && argc == 2)
		return cmd_root_install(rec, argv[1], out, err, errlen);
	if (strcmp(cmd, "admin-certify") == 0 && argc == 3)
		return cmd_admin_certify(rec, argv[1], argv[2], out, err, errlen);
	if (strcmp(cmd, "worker-certify") == 0 && (argc == 3 || argc == 4))
		return cmd_worker_certify(st, rec, argv[1], argv[2], argc == 4 ? argv[3] : NULL, out, err,
					  errlen);
	if (strcmp(cmd, "unit-key-rotate") == 0 && argc == 3)
		return cmd_unit_rotate(st, rec, argv[1], argv[2], out, err, errlen);
	if (strcmp(cmd, "unit-member-add") == 0 && (argc == 4 || argc == 5)) {
		if (argc == 5 && strcmp(argv[4], "--supervisor") != 0)
			return 1;
		return cmd_member_add(st, rec, argv[1], argv[2], argv[3], argc == 5, out, err, errlen);
	}
	if (strcmp(cmd, "unit-member-remove") == 0 && argc == 4)
		return cmd_member_remove(st, rec, argv[1], argv[2], argv[3], out, err, errlen);
	if (strcmp(cmd, "unit-log-renew") == 0 && (argc == 3 || argc == 4))
		return cmd_log_renew(st, rec, argv[1], argv[2], argc == 4 ? argv[3] : NULL, out, err, errlen);
	if (strcmp(cmd, "cert-revoke") == 0 && argc == 3)
		return cmd_cert_revoke(st, rec, argv[1], argv[2], out, err, errlen);
	if (strcmp(cmd, "connector-add") == 0)
		return connector_add_args(st, rec, argc, argv, out, err, errlen);
	if (strcmp(cmd, "connector-unit-add") == 0 && argc == 4)
		return cmd_connector_unit_add(st, rec, argv[1], argv[2], argv[3], out, err, errlen);
	return 1;
}

int keys_admin_run(struct store *st, int argc, char **argv, FILE *out, FILE *warn, json_t **records,
		   char *err, size_t errlen)
{
	struct records rec = { .warn = warn };
	int rc;

	*records = NULL;
	if (argc < 1)
		return 1;
	if (advice_crypto_init() != 0)
		return fail(err, errlen, "libsodium cannot start");
	if ((rec.list = json_array()) == NULL)
		return fail(err, errlen, "out of memory");
	rc = keys_dispatch(st, &rec, argc, argv, out, err, errlen);
	if (rc == 0)
		*records = rec.list;
	else
		json_decref(rec.list);
	return rc;
}
