/*
 * itest.h - assertions the integration tests share: a request whose outcome is checked, and
 * field readers for replies; a scanner for a secret in every form it could take on disk or on
 * the wire; and the client's steps of the end-to-end encryption (keys set up with advicectl,
 * unit keys verified against the pinned root, envelopes, wraps, a worker's bundle).
 */
#ifndef ADVICE_ITEST_H
#define ADVICE_ITEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "advice_thread.h"
#include "harness.h"

/*
 * Sends a request (printf-style, up to 64 KiB) and waits for its reply; fails the test
 * unless the reply is "ok" (`expect` "ok") or an error with code `expect`. Returns the parsed
 * reply (the caller decrefs).
 */
json_t *itest_request(struct advice_conn *k, const char *expect, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A string field of a reply, or NULL. */
const char *itest_str(json_t *j, const char *name);
/* An integer field of a reply, or 0. */
json_int_t itest_num(json_t *j, const char *name);

/* --- Running a program --- */

/* What one run of a program did. */
struct itest_run {
	int status; /* exit status 0..255; -1: ended by a signal */
	char *out;  /* standard output (malloc'd) */
	char *err;  /* standard error (malloc'd) */
};

/* The whole of a file opened for reading, from its start (malloc'd, NUL-terminated). */
char *itest_slurp(FILE *f);
/* Copies file `from` to a new or truncated `to` of `mode`; fails the test when it cannot. */
void itest_copy_file(const char *from, const char *to, mode_t mode);
/*
 * Runs the program argv[0] (a path) with argv (NULL-ended), `input` (NULL: /dev/null) on its
 * standard input, and records its exit status and both outputs. Fails the test when it
 * cannot be run.
 */
void itest_run_argv(char *const argv[], const char *input, struct itest_run *r);
void itest_run_free(struct itest_run *r);

/*
 * A cmocka group fixture: one adviced for the whole file in *state (heap), started with the
 * demo accounts' published second factor (itest_group_setup_demo_totp) or without it
 * (itest_group_setup); itest_group_teardown stops it and fails the group when the stop was
 * not clean (harness_stop).
 */
int itest_group_setup(void **state);
int itest_group_setup_demo_totp(void **state);
int itest_group_teardown(void **state);

/* --- A secret in every form: the scanner --- */

#define ITEST_NEEDLES_MAX 128
#define ITEST_NEEDLE_MAX  96

struct itest_needle {
	char label[64]; /* the secret's name and the form, for the report */
	uint8_t bytes[ITEST_NEEDLE_MAX];
	size_t len;
};

/* The byte strings to look for (itest_needles_new; free() frees). */
struct itest_needles {
	size_t n;
	struct itest_needle v[ITEST_NEEDLES_MAX];
};

/* An empty set (calloc'd; the test fails when out of memory). */
struct itest_needles *itest_needles_new(void);
/*
 * Adds the forms `secret` could take where a server stores, logs or sends it: as written, in
 * lower- and uppercase, base64 and base64url at each of the three byte alignments (so that
 * it is found inside a longer encoded text such as a token or a JSON body), hex in both cases,
 * UTF-16LE, and its unkeyed BLAKE2b-256 and SHA-256 hashes, raw and in hex (an unkeyed hash
 * of an identity code is as good as the code: the codes can be enumerated). `compact` (may
 * be NULL) is the same secret written without its separator; it gets the text forms too.
 * Forms that repeat another are added once.
 */
void itest_needles_add_secret(struct itest_needles *nd, const char *name, const char *secret,
			      const char *compact);
/* Adds `text` only as written. */
void itest_needles_add_text(struct itest_needles *nd, const char *label, const char *text);
/* The first needle that occurs in data, or NULL. */
const struct itest_needle *itest_needles_find(const struct itest_needles *nd, const void *data, size_t len);
/*
 * Reads every regular file under `dir` (sub-folders included, symbolic links not followed)
 * and looks for every needle; each (file, needle) found is reported on stderr. Returns the
 * number of such hits; *files (may be NULL) gets the number of files read. Fails the test
 * when a file cannot be read.
 */
int itest_scan_dir(const char *dir, const struct itest_needles *nd, int *files);
/*
 * The scanner's positive control: plants every needle, between unrelated bytes, in a file of
 * its own in a scratch folder and asserts that itest_scan_dir finds each of them there and
 * nothing else. A scan that passes is worth something only after this passed.
 */
void itest_scan_self_test(const struct itest_needles *nd);
/* Whether the file at `path` holds `text` (0 when it cannot be read). */
int itest_file_contains(const char *path, const char *text);

/* --- End-to-end encryption: the client's steps --- */

/* A running server whose end-to-end keys advicectl set up. */
struct itest_e2e {
	struct harness h;
	char root_file[300], admin_file[300]; /* the offline root key and the admin's key */
	uint8_t root_pk[32];		      /* pinned: what root-create printed */
};

/* A worker's client after itest_worker_keys: its identity, its admin, the unit seeds. */
struct itest_worker {
	struct advice_keys me;
	uint8_t admin_pk[32];
	uint8_t admin_cert[ADVICE_CERT_BYTES];
	struct advice_keys gens[4]; /* unit key generations reached (current and through the chain) */
	size_t ngens;
};

/*
 * Starts a server (harness_start) with envelope enforcement on (the harness turns it off),
 * with the demo's keys (advicectl init --demo): the root key (its public key, DIR/root.pub,
 * pinned in e->root_pk), the admin certified by it, anna's, ben's and sara's keys under their
 * demo passwords, and a first key generation of every unit. Fails the test on error.
 */
void itest_e2e_start(struct itest_e2e *e);
/* The demo root public key of the data folder `dir` (DIR/root.pub, advicectl init --demo),
 * as a client pins it. Fails the test when it cannot be read. */
void itest_demo_root_pk(const char *dir, uint8_t root_pk[32]);
/* Runs advicectl with the arguments `fmt` (through the shell) and `input` (may be NULL) on
 * its stdin; fails the test unless it exits with 0. Returns its stdout (malloc'd). */
char *itest_ctl(const char *input, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A WebSocket of a citizen logged in with `hetu`, or of a demo worker; fails the test on error. */
struct advice_conn *itest_citizen(struct harness *h, const char *hetu);
struct advice_conn *itest_worker(struct harness *h, const char *name);

/* base64url of data (malloc'd). */
char *itest_b64(const void *data, size_t len);
/* A base64url string of a reply, decoded (malloc'd, length in *len); fails the test when it
 * is no base64url. */
uint8_t *itest_unb64(json_t *j, size_t *len);
/* The same for a value of exactly `want` bytes, into out. */
void itest_unb64_fixed(json_t *j, uint8_t *out, size_t want);

/*
 * The signing key of an admin, taken from a reply's list of certificates: the first
 * certificate with the admin role that verifies under the pinned root key. 0, or -1 when
 * none does.
 */
int itest_admin_key(const uint8_t root_pk[32], json_t *certs, uint8_t admin_pk[32]);
/*
 * A unit's current generation from a reply's generations list, every event verified in
 * order (signature by admin_pk, each following the one before) and of unit `unit_hex` (the
 * unit the server says it is; NULL: not checked). 0 with *ev, or -1 when any check fails.
 */
int itest_unit_current(json_t *gens, const uint8_t admin_pk[32], const char *unit_hex,
		       struct advice_unit_event *ev);
/*
 * What a citizen's client does before it encrypts to a unit: keys.unit for `category`, the
 * admin certificate verified under the pinned root, the unit's events verified. 0 with *ev
 * (the current generation), -1 when a check fails. *served (may be NULL) gets the reply
 * (the caller decrefs).
 */
int itest_unit_key(const uint8_t root_pk[32], struct advice_conn *k, const char *category,
		   struct advice_unit_event *ev, json_t **served);

/*
 * A citizen device: new keys certified by the identity *id and registered (request id `rid`):
 * with identity.add when *id is all zeros (a new identity is made into *id, its seed into
 * id_seed when not NULL), else with device.add.
 */
void itest_device_new(struct advice_conn *k, struct advice_keys *id, uint8_t *id_seed,
		      struct advice_keys *dev, const char *rid);
/* An envelope of `text` in the thread (hex id), epoch 0, base64url (malloc'd): the sender's
 * first message (sequence 1, no prev hash). */
char *itest_envelope_b64(const char *thread, const uint8_t tkey[32], const uint8_t share[32],
			 const struct advice_keys *sender, const char *text);
/* The same as the sender's next message after what `order` accepted (advice_thread_next):
 * its sequence and prev hash. */
char *itest_envelope_after(const struct advice_thread *order, const char *thread, const uint8_t tkey[32],
			   const uint8_t share[32], const struct advice_keys *sender, const char *text);

/*
 * A reader's check of one thread (advice_thread.h) the way a client does it: staff senders
 * through the certificates of thread.read chained to the pinned root, citizen senders
 * through the devices of thread.keys.
 */
struct itest_reader {
	struct advice_thread *order;
	uint8_t root_pk[32];
	uint8_t certs[32 * ADVICE_CERT_BYTES];
	size_t ncerts;
	uint8_t devices[16][32]; /* the citizen's certified device signing keys */
	size_t ndevices;
};
/* A reader of thread `thread` (hex) that pins root_pk. Fails the test when out of memory. */
void itest_reader_init(struct itest_reader *r, const uint8_t root_pk[32], const char *thread);
void itest_reader_free(struct itest_reader *r);
/* Takes the citizen's devices of a thread.keys reply: those whose device certificate verifies
 * under one of the citizen's identities listed there (the stricter rule, the thread's own
 * identity, is advice_citizen_sender's: test_e2e checks it). */
void itest_reader_keys(struct itest_reader *r, json_t *keys_reply);
/*
 * Feeds the messages of a thread.read reply (with its certs) in order: verdicts[i] (enum
 * advice_thread_verdict) and, for an accepted message, its sender's key in sign_pks[i].
 * Returns how many messages there were (at most max are fed).
 */
size_t itest_reader_feed(struct itest_reader *r, json_t *read_reply, int *verdicts, uint8_t (*sign_pks)[32],
			 size_t max);
/* Opens an envelope (a reply's body) and returns its text (malloc'd), or NULL when it does
 * not verify or decrypt. */
char *itest_envelope_text(json_t *body, const char *thread, const uint8_t tkey[32], const uint8_t share[32],
			  const uint8_t sender_pk[32]);
/* wrap.put of the thread key sealed to `recipient_box`, signed by `signer`; the reply must be
 * `expect`. */
void itest_wrap_put(struct advice_conn *k, const char *rid, const char *thread, const uint8_t *recipient_box,
		    const uint8_t tkey[32], const struct advice_keys *signer, const char *expect);
/* Sends chunk `index` of an upload (a binary frame: "QC", version, file id, index, the
 * ciphertext) and waits for its file.chunk event, whose code must be `expect`. */
void itest_chunk_send(struct advice_conn *k, const uint8_t file_id[16], uint32_t index, const uint8_t *ct,
		      size_t len, const char *expect);
/*
 * The citizen opens a thread in adult-social-work: the unit key verified (itest_unit_key),
 * thread.prepare (id and share), the first message `text` in an envelope signed by the device,
 * the thread key wrapped to the unit and to the citizen's identity `id`. Request ids start
 * with `rid`.
 */
void itest_citizen_open(struct itest_e2e *e, struct advice_conn *k, const struct advice_keys *id,
			const struct advice_keys *dev, const char *rid, const char *text, char thread[33],
			uint8_t tkey[32], uint8_t share[32]);
/* A worker's client: keys.mine, the bundle opened with `password`, the admin verified, the
 * unit seeds opened (and older generations through the chain). Fails the test on error. */
void itest_worker_keys(struct itest_e2e *e, struct advice_conn *k, const char *password,
		       struct itest_worker *w);
/*
 * thread.keys, then the thread key opened with any unit generation the worker reached,
 * accepting wraps signed by the citizen's certified devices (a device certificate that
 * verifies under its identity) or by staff whose certificate chains to the pinned root. 0
 * with tkey, share (as the server gives it now) and the first certified device's signing key,
 * or -1 when no wrap opens.
 */
int itest_worker_thread_key(struct itest_e2e *e, struct advice_conn *k, const struct itest_worker *w,
			    const char *thread, uint8_t tkey[32], uint8_t share[32], uint8_t citizen_pk[32]);

/* --- adviced's log lines (server/log.h) --- */

/* Whether `line` (without its line feed) is one line of the log's format: an optional <N>
 * priority, then ts=, level=, where= and a quoted msg= with only the escapes log.h allows. */
int itest_log_line_ok(const char *line);
/* Fails the test, naming the line, unless every line of adviced.log is of that format (and
 * there is at least one); checks first that the parser refuses malformed lines. */
void itest_log_lines_parse(struct harness *h);

#endif
