/*
 * advice_crypto.h - the end-to-end encryption constructions of the online advice service
 * (libadvice, libsodium).
 *
 * The model is described in the project's CRYPTO design; the byte layouts are in
 * proto/CRYPTO-FORMATS.md and the known-answer vectors in proto/vectors/. client-web's
 * src/crypto module implements the same constructions byte for byte.
 *
 * Every function that needs randomness takes it as an argument (a nonce, an ephemeral
 * seed, a stream header), so that the results are reproducible in tests; callers in
 * production pass fresh bytes from advice_random(). Parsers (the parse functions) check
 * the format only and are what the server uses; the open and verify functions also check
 * signatures and decrypt. All functions return 0 or a negative enum advice_err:
 * -ADVICE_ERR_INVAL for malformed input, a wrong size, an unknown version, suite, type or
 * flag; -ADVICE_ERR_FORBIDDEN for a signature, a MAC, a binding (thread, unit, recipient)
 * or a certificate that does not verify; -ADVICE_ERR_NOMEM when memory runs out.
 * Call advice_crypto_init() once before anything else.
 */
#ifndef ADVICE_CRYPTO_H
#define ADVICE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "advice_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sizes (bytes). */
#define ADVICE_KEY_BYTES	   32 /* seeds, symmetric keys, X25519 and Ed25519 public keys */
#define ADVICE_SIGN_SK_BYTES	   64 /* Ed25519 secret key (seed and public key) */
#define ADVICE_SIG_BYTES	   64
#define ADVICE_KID_BYTES	   16 /* key id: BLAKE2b-128 of a public key */
#define ADVICE_OID_BYTES	   16 /* thread, message, file, unit and user ids */
#define ADVICE_HASH_BYTES	   32 /* BLAKE2b-256 */
#define ADVICE_NONCE_BYTES	   24 /* XChaCha20-Poly1305 nonce */
#define ADVICE_STREAM_HEADER_BYTES 24

/* Format constants: every object starts with "QA", the version, the type, the suite, flags. */
#define ADVICE_FMT_VERSION 1
#define ADVICE_SUITE_1	   1 /* X25519 sealed box, XChaCha20-Poly1305, Ed25519, BLAKE2b, Argon2id13 */
enum advice_obj_type {
	ADVICE_OBJ_MESSAGE = 1,
	ADVICE_OBJ_FILE = 2, /* reserved: attachments are secretstream data, see the formats */
	ADVICE_OBJ_WRAP = 3,
	ADVICE_OBJ_UNIT_EVENT = 4,
	ADVICE_OBJ_CONSENT = 5, /* consent event (lib/crypto_consent.c) */
	ADVICE_OBJ_CERT = 6,
	ADVICE_OBJ_BUNDLE = 7,
	ADVICE_OBJ_CHAIN = 8,
	ADVICE_OBJ_DEVICE_CERT = 9,
	ADVICE_OBJ_RECOVERY_BOX = 10,
	ADVICE_OBJ_UNIT_LOG = 11,
	ADVICE_OBJ_EPOCH_EVENT = 12,
	ADVICE_OBJ_KEY_REQUEST = 13,
	ADVICE_OBJ_UNIT_TEXT = 14,
};

/* Object sizes. */
#define ADVICE_ENVELOPE_HEADER_BYTES 130
#define ADVICE_PAD_BLOCK	     256
#define ADVICE_ENVELOPE_MIN_BYTES    (ADVICE_ENVELOPE_HEADER_BYTES + 16 + ADVICE_PAD_BLOCK + ADVICE_SIG_BYTES)
#define ADVICE_ENVELOPE_MAX_BYTES    ADVICE_MAX_BODY_BYTES
/* The longest plaintext an envelope holds (padding always adds at least one byte). */
#define ADVICE_ENVELOPE_MAX_PLAIN                                                                            \
	(((ADVICE_ENVELOPE_MAX_BYTES - ADVICE_ENVELOPE_HEADER_BYTES - 16 - ADVICE_SIG_BYTES) /               \
	  ADVICE_PAD_BLOCK) *                                                                                \
		 ADVICE_PAD_BLOCK -                                                                          \
	 1)
#define ADVICE_WRAP_PLAIN_BYTES	     75
#define ADVICE_WRAP_SEALED_BYTES     (ADVICE_WRAP_PLAIN_BYTES + 48)
#define ADVICE_WRAP_BYTES	     246
#define ADVICE_CERT_BYTES	     183
#define ADVICE_BUNDLE_BYTES	     123
#define ADVICE_CHAIN_BYTES	     98
#define ADVICE_UNIT_MAX_MEMBERS	     256
#define ADVICE_UNIT_EVENT_BYTES(n)   (148 + 16 * (size_t)(n) + ADVICE_SIG_BYTES)
#define ADVICE_UNIT_EVENT_MAX_BYTES  ADVICE_UNIT_EVENT_BYTES(ADVICE_UNIT_MAX_MEMBERS)
#define ADVICE_ULOG_BYTES	     191
#define ADVICE_EPOCH_MAX_RECIPIENTS  16
#define ADVICE_EPOCH_EVENT_BYTES(n)  (88 + 16 * (size_t)(n) + ADVICE_SIG_BYTES)
#define ADVICE_EPOCH_EVENT_MAX_BYTES ADVICE_EPOCH_EVENT_BYTES(ADVICE_EPOCH_MAX_RECIPIENTS)
#define ADVICE_KEY_REQUEST_BYTES     158
#define ADVICE_FINGERPRINT_CHARS     39 /* "xxxx xxxx xxxx xxxx xxxx xxxx xxxx xxxx" */

/* Attachments. */
#define ADVICE_FILE_CHUNK_BYTES	     65536 /* plaintext of every chunk but the last */
#define ADVICE_FILE_CHUNK_OVERHEAD   17
#define ADVICE_FILE_CHUNK_MAX_CIPHER (ADVICE_FILE_CHUNK_BYTES + ADVICE_FILE_CHUNK_OVERHEAD)
#define ADVICE_FILE_REF_BYTES	     113
#define ADVICE_CONTENT_MAX_FILES     8

/*
 * Password-derived keys: the bounds on the Argon2id13 parameters, pinned in the client. The
 * minimum is the floor below which a client derives nothing from a password (a server that
 * names fewer passes or less memory at login is refused before any hashing, so it cannot
 * make the login key cheap to guess); the maximum keeps a server from making a client hash
 * for minutes or run out of memory. A key bundle may name only parameters within them.
 * The floor is libsodium's "interactive" Argon2id cost, which adviced hands out.
 */
#define ADVICE_PWHASH_ALG_ARGON2ID13 2
#define ADVICE_PWHASH_OPS_MIN	     2
#define ADVICE_PWHASH_OPS_MAX	     16
#define ADVICE_PWHASH_MEM_MIN	     (64u << 20)
#define ADVICE_PWHASH_MEM_MAX	     (1u << 30)

/* Certificate roles. */
enum advice_cert_role {
	ADVICE_ROLE_ADMIN = 1,	   /* issued by the municipal root key */
	ADVICE_ROLE_WORKER = 2,	   /* issued by an admin */
	ADVICE_ROLE_CONNECTOR = 3, /* issued by the municipal root key */
};

/* Wrap kinds: what the sealed key is. */
enum advice_wrap_kind {
	ADVICE_WRAP_THREAD_KEY = 1,    /* scope: thread id; epoch: thread key epoch */
	ADVICE_WRAP_UNIT_SEED = 2,     /* scope: unit id; epoch: unit key generation */
	ADVICE_WRAP_IDENTITY_SEED = 3, /* scope: the citizen identity's id; epoch: 0 */
};

/* Media types of attachments (the allow-list). */
enum advice_media {
	ADVICE_MEDIA_UNKNOWN = 0,
	ADVICE_MEDIA_PDF = 1,
	ADVICE_MEDIA_JPEG = 2,
	ADVICE_MEDIA_PNG = 3,
	ADVICE_MEDIA_HEIC = 4,
	ADVICE_MEDIA_DOCX = 5,
	ADVICE_MEDIA_ODT = 6,
	ADVICE_MEDIA_TEXT = 7,
	ADVICE_MEDIA_XLSX = 8,
	ADVICE_MEDIA_ODS = 9,
	ADVICE_MEDIA_DOC = 10,
	ADVICE_MEDIA_TIFF = 11,
	ADVICE_MEDIA__COUNT
};

/* A key pair set: X25519 for sealed boxes, Ed25519 for signatures. */
struct advice_keys {
	uint8_t box_pk[ADVICE_KEY_BYTES];
	uint8_t box_sk[ADVICE_KEY_BYTES];
	uint8_t sign_pk[ADVICE_KEY_BYTES];
	uint8_t sign_sk[ADVICE_SIGN_SK_BYTES];
};

/* Initialises libsodium. Returns 0 or -ADVICE_ERR_INTERNAL. */
int advice_crypto_init(void);
/* Fills buf with len random bytes. */
void advice_random(void *buf, size_t len);
/* Overwrites len bytes with zeros in a way the compiler keeps. */
void advice_wipe(void *buf, size_t len);
/* Lowercase hex of len bytes into out (2 * len + 1 bytes, NUL-terminated). */
void advice_hex(char *out, const void *data, size_t len);
/* Decodes exactly outlen bytes of hex. Returns 0 or -ADVICE_ERR_INVAL. */
int advice_unhex(void *out, size_t outlen, const char *hex);

/* kid = BLAKE2b-128(pk). */
void advice_kid(uint8_t kid[ADVICE_KID_BYTES], const uint8_t pk[ADVICE_KEY_BYTES]);
/* BLAKE2b-256 of data. */
void advice_hash(uint8_t out[ADVICE_HASH_BYTES], const void *data, size_t len);

/* Personal keys (worker identity, admin, citizen device, connector, root) from a seed. */
int advice_keys_personal(struct advice_keys *k, const uint8_t seed[ADVICE_KEY_BYTES]);
/* Unit key generation from its seed, with the chain key (may be NULL). */
int advice_keys_unit(struct advice_keys *k, uint8_t chain_key[ADVICE_KEY_BYTES],
		     const uint8_t seed[ADVICE_KEY_BYTES]);

/*
 * A sealed box made with the ephemeral key pair of eph_seed: the same bytes as
 * crypto_box_seal() with that ephemeral key, opened by crypto_box_seal_open(). out has
 * len + 48 bytes. Returns 0 or -ADVICE_ERR_INVAL.
 */
int advice_seal(uint8_t *out, const uint8_t *msg, size_t len, const uint8_t recipient_pk[ADVICE_KEY_BYTES],
		const uint8_t eph_seed[ADVICE_KEY_BYTES]);

/* --- Worker key bundle --- */

/* The longest password accepted (UTF-8 bytes as typed). */
#define ADVICE_PASSWORD_MAX_BYTES 1024
/*
 * The password as the derivation takes it: its UTF-8 in Unicode normalization form NFKC, in
 * *out (malloc'd, NUL-terminated; wipe it before freeing). Returns 0, -ADVICE_ERR_INVAL (not
 * valid UTF-8 — ill-formed bytes, overlong forms, encoded surrogates — or longer than
 * ADVICE_PASSWORD_MAX_BYTES), -ADVICE_ERR_NOMEM or -ADVICE_ERR_INTERNAL.
 */
int advice_password_nfkc(const char *password, char **out);
/* M = crypto_pwhash(32, NFKC(password), salt, ops, mem, Argon2id13). Returns 0,
 * -ADVICE_ERR_INVAL (parameters outside the ADVICE_PWHASH_* bounds, or a password
 * advice_password_nfkc refuses) or -ADVICE_ERR_NOMEM. */
int advice_password_master(uint8_t master[ADVICE_KEY_BYTES], const char *password,
			   const uint8_t salt[ADVICE_SALT_BYTES], uint32_t opslimit, uint32_t memlimit);
/* The Argon2id13 parameters a client makes a new bundle with (fresh salt each time). */
#define ADVICE_BUNDLE_OPSLIMIT 2
#define ADVICE_BUNDLE_MEMLIMIT (64u << 20)

/* The bundle key: kdf(32, 2, "QAwrap__", M). */
int advice_bundle_key(uint8_t key[ADVICE_KEY_BYTES], const uint8_t master[ADVICE_KEY_BYTES]);

struct advice_bundle_info {
	uint8_t user_id[ADVICE_OID_BYTES];
	uint32_t version;
	uint32_t opslimit;
	uint32_t memlimit;
	uint8_t salt[ADVICE_SALT_BYTES];
};
/* Seals the worker's identity seed under the bundle key. */
int advice_bundle_seal(uint8_t out[ADVICE_BUNDLE_BYTES], const struct advice_bundle_info *info,
		       const uint8_t bundle_key[ADVICE_KEY_BYTES], const uint8_t nonce[ADVICE_NONCE_BYTES],
		       const uint8_t seed[ADVICE_KEY_BYTES]);
/* Format check; fills info (the parameters needed to derive the key). */
int advice_bundle_parse(const uint8_t *in, size_t len, struct advice_bundle_info *info);
/* Opens a bundle that must belong to user_id. */
int advice_bundle_open(uint8_t seed[ADVICE_KEY_BYTES], const uint8_t *in, size_t len,
		       const uint8_t user_id[ADVICE_OID_BYTES], const uint8_t bundle_key[ADVICE_KEY_BYTES]);

/* --- Worker key request (type 13): made at the worker's first login, certified by an admin --- */

struct advice_key_request {
	uint8_t user_id[ADVICE_OID_BYTES];
	uint8_t sign_pk[ADVICE_KEY_BYTES];
	uint8_t box_pk[ADVICE_KEY_BYTES];
	uint64_t created_at; /* ms */
};
/* "User user_id holds identity's public keys, at created_at", signed by identity itself. */
int advice_key_request_sign(uint8_t out[ADVICE_KEY_REQUEST_BYTES], const uint8_t user_id[ADVICE_OID_BYTES],
			    uint64_t created_at, const struct advice_keys *identity);
/* Format and the signature by the key it names; fills r (may be NULL). */
int advice_key_request_verify(const uint8_t *in, size_t len, struct advice_key_request *r);
/*
 * The fingerprint a worker's client shows and an admin compares before certifying: the
 * BLAKE2b-128 of sign_pk || box_pk as eight groups of four lowercase hex digits.
 */
void advice_key_fingerprint(char out[ADVICE_FINGERPRINT_CHARS + 1], const uint8_t sign_pk[ADVICE_KEY_BYTES],
			    const uint8_t box_pk[ADVICE_KEY_BYTES]);
/* 1 when two fingerprints as people type them are the same (spaces and dashes ignored, any
 * case), else 0. */
int advice_key_fingerprint_equal(const char *a, const char *b);

/* --- Certificates --- */

struct advice_cert {
	uint8_t role; /* enum advice_cert_role */
	uint8_t subject_id[ADVICE_OID_BYTES];
	uint8_t sign_pk[ADVICE_KEY_BYTES];
	uint8_t box_pk[ADVICE_KEY_BYTES];
	uint64_t not_before; /* ms since the epoch */
	uint64_t not_after;
	uint8_t issuer_kid[ADVICE_KID_BYTES]; /* set by advice_cert_sign */
};
/* Signs c with the issuer's key (issuer_kid is taken from issuer). */
int advice_cert_sign(uint8_t out[ADVICE_CERT_BYTES], struct advice_cert *c, const struct advice_keys *issuer);
int advice_cert_parse(const uint8_t *in, size_t len, struct advice_cert *c);
/*
 * Verifies a certificate and its chain to the pinned root public key at time now_ms:
 * an admin or connector certificate must be signed by the root (issuer may be NULL); a
 * worker certificate by the admin whose certificate is `issuer` (itself signed by the
 * root). Fills c with the leaf. -ADVICE_ERR_FORBIDDEN when any link fails.
 */
int advice_cert_verify(const uint8_t *in, size_t len, const uint8_t *issuer, size_t issuer_len,
		       const uint8_t root_pk[ADVICE_KEY_BYTES], uint64_t now_ms, struct advice_cert *c);

/* --- Unit key generations --- */

struct advice_unit_event {
	uint8_t unit_id[ADVICE_OID_BYTES];
	uint32_t generation; /* 1 for the first */
	uint8_t box_pk[ADVICE_KEY_BYTES];
	uint8_t sign_pk[ADVICE_KEY_BYTES];
	uint8_t prev_hash[ADVICE_HASH_BYTES]; /* hash of the previous event; zeros for generation 1 */
	uint64_t created_at;
	uint8_t signer_kid[ADVICE_KID_BYTES]; /* set by advice_unit_event_sign */
	uint16_t n_members;
	uint8_t members[ADVICE_UNIT_MAX_MEMBERS][ADVICE_KID_BYTES]; /* kids of members' box keys */
};
/* Writes the signed event to out (cap bytes) and its length to *outlen. */
int advice_unit_event_sign(uint8_t *out, size_t cap, size_t *outlen, struct advice_unit_event *ev,
			   const struct advice_keys *admin);
int advice_unit_event_parse(const uint8_t *in, size_t len, struct advice_unit_event *ev);
/*
 * Verifies an event signed by the admin with sign key admin_pk and, when prev is not NULL,
 * that it follows prev (generation + 1, same unit, prev_hash). Without prev it must be
 * generation 1 with a zero prev_hash.
 */
int advice_unit_event_verify(const uint8_t *in, size_t len, const uint8_t admin_pk[ADVICE_KEY_BYTES],
			     const uint8_t *prev, size_t prev_len, struct advice_unit_event *ev);

/* The chain box: the seed of generation g - 1 under the chain key of generation g. */
int advice_chain_seal(uint8_t out[ADVICE_CHAIN_BYTES], const uint8_t unit_id[ADVICE_OID_BYTES], uint32_t g,
		      const uint8_t chain_key[ADVICE_KEY_BYTES], const uint8_t nonce[ADVICE_NONCE_BYTES],
		      const uint8_t prev_seed[ADVICE_KEY_BYTES]);
/* Format check; fills unit_id and g (either may be NULL). */
int advice_chain_parse(const uint8_t *in, size_t len, uint8_t unit_id[ADVICE_OID_BYTES], uint32_t *g);
int advice_chain_open(uint8_t prev_seed[ADVICE_KEY_BYTES], const uint8_t *in, size_t len,
		      const uint8_t unit_id[ADVICE_OID_BYTES], uint32_t g,
		      const uint8_t chain_key[ADVICE_KEY_BYTES]);

/* --- Wraps (a thread key or a unit seed sealed to one recipient, signed) --- */

struct advice_wrap_info {
	uint8_t kind; /* enum advice_wrap_kind */
	uint8_t scope_id[ADVICE_OID_BYTES];
	uint32_t epoch;
	uint8_t recipient_kid[ADVICE_KID_BYTES];
	uint8_t signer_kid[ADVICE_KID_BYTES];
};
int advice_wrap_seal(uint8_t out[ADVICE_WRAP_BYTES], uint8_t kind, const uint8_t scope_id[ADVICE_OID_BYTES],
		     uint32_t epoch, const uint8_t recipient_box_pk[ADVICE_KEY_BYTES],
		     const uint8_t key[ADVICE_KEY_BYTES], const uint8_t eph_seed[ADVICE_KEY_BYTES],
		     const struct advice_keys *signer);
int advice_wrap_parse(const uint8_t *in, size_t len, struct advice_wrap_info *info);
/*
 * Opens a wrap the caller expects: of `kind`, for `scope_id` (the thread or unit it asked
 * about) and `epoch` (the thread key epoch or unit generation it wants); anything else is
 * -ADVICE_ERR_FORBIDDEN before any decryption. Verifies the signature with signer_pk, opens
 * with the recipient's box keys and checks that the sealed record repeats kind, scope, epoch
 * and recipient. Fills key and info (info may be NULL).
 */
int advice_wrap_open(uint8_t key[ADVICE_KEY_BYTES], struct advice_wrap_info *info, const uint8_t *in,
		     size_t len, uint8_t kind, const uint8_t scope_id[ADVICE_OID_BYTES], uint32_t epoch,
		     const struct advice_keys *recipient, const uint8_t signer_pk[ADVICE_KEY_BYTES]);

/*
 * A unit seed opened in the worker flow: opens the seed wrap of generation ev->generation of
 * unit ev->unit_id (advice_wrap_open, kind ADVICE_WRAP_UNIT_SEED) and checks that the keys
 * derived from the seed are the ones the admin-signed event names (ev: an event the caller
 * verified, advice_unit_event_verify). Fills seed, the generation's keys and (when not NULL)
 * its chain key. -ADVICE_ERR_FORBIDDEN for a wrap that does not open as expected or a seed
 * that is not the event's; nothing is filled then.
 */
int advice_unit_seed_open(uint8_t seed[ADVICE_KEY_BYTES], struct advice_keys *keys,
			  uint8_t chain_key[ADVICE_KEY_BYTES], const uint8_t *wrap, size_t wrap_len,
			  const struct advice_unit_event *ev, const struct advice_keys *recipient,
			  const uint8_t signer_pk[ADVICE_KEY_BYTES]);
/*
 * The same check for a seed reached otherwise (an older generation through a chain box):
 * the keys derived from seed must be those of event ev. Fills keys and (when not NULL) the
 * chain key. 0 or -ADVICE_ERR_FORBIDDEN (nothing filled).
 */
int advice_unit_seed_check(const uint8_t seed[ADVICE_KEY_BYTES], const struct advice_unit_event *ev,
			   struct advice_keys *keys, uint8_t chain_key[ADVICE_KEY_BYTES]);

/* --- Thread keys and envelopes --- */

/* k_msg from the thread key K, thread id, epoch and the server's shred share S_t. */
int advice_thread_msg_key(uint8_t msg_key[ADVICE_KEY_BYTES], const uint8_t thread_key[ADVICE_KEY_BYTES],
			  const uint8_t thread_id[ADVICE_OID_BYTES], uint32_t epoch,
			  const uint8_t share[ADVICE_KEY_BYTES]);

struct advice_envelope_hdr {
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint8_t message_id[ADVICE_OID_BYTES];
	uint32_t epoch;
	uint8_t sender_kid[ADVICE_KID_BYTES]; /* set by advice_envelope_seal */
	uint64_t sender_seq;
	uint8_t prev_hash[ADVICE_HASH_BYTES];
	uint64_t created_at;
	uint8_t nonce[ADVICE_NONCE_BYTES];
};
/* Pads, encrypts and signs plain (at most ADVICE_ENVELOPE_MAX_PLAIN bytes) into out. */
int advice_envelope_seal(uint8_t *out, size_t cap, size_t *outlen, struct advice_envelope_hdr *h,
			 const uint8_t msg_key[ADVICE_KEY_BYTES], const uint8_t *plain, size_t plain_len,
			 const struct advice_keys *sender);
int advice_envelope_parse(const uint8_t *in, size_t len, struct advice_envelope_hdr *h);
/* Checks the format, that sender_pk is the sender and that the signature holds, without
 * decrypting (what the server checks). */
int advice_envelope_verify(const uint8_t *in, size_t len, const uint8_t sender_pk[ADVICE_KEY_BYTES]);
/*
 * Verifies the signature with sender_pk, that the envelope belongs to thread_id, decrypts
 * and unpads into plain (cap at least len bytes). Fills h and *plain_len.
 */
int advice_envelope_open(uint8_t *plain, size_t cap, size_t *plain_len, struct advice_envelope_hdr *h,
			 const uint8_t *in, size_t len, const uint8_t thread_id[ADVICE_OID_BYTES],
			 const uint8_t msg_key[ADVICE_KEY_BYTES], const uint8_t sender_pk[ADVICE_KEY_BYTES]);

/* --- Unit log (type 11): a signed, numbered, hash-chained log per unit kept by admins --- */

/* What an entry records; its 32-byte subject depends on the kind. */
enum advice_ulog_kind {
	ADVICE_ULOG_GENERATION = 1,    /* subject: H(unit event of the new generation) */
	ADVICE_ULOG_MEMBER_ADD = 2,    /* subject: member's user id || kid of the member's box key */
	ADVICE_ULOG_MEMBER_REMOVE = 3, /* subject: as for MEMBER_ADD */
	ADVICE_ULOG_REVOKE = 4,	       /* subject: certificate's subject id || kid of its signing key */
	ADVICE_ULOG_RENEW = 5,	       /* subject: zeros; renews the log's validity only */
};

struct advice_ulog_entry {
	uint8_t unit_id[ADVICE_OID_BYTES];
	uint32_t seq;			      /* 1, 2, ... */
	uint8_t prev_hash[ADVICE_HASH_BYTES]; /* H(previous entry); zeros for seq 1 */
	uint8_t kind;			      /* enum advice_ulog_kind */
	uint32_t generation;		      /* the unit's current generation after this entry */
	uint8_t subject[32];
	uint64_t at;	      /* ms; for a revocation, the time from which the certificate is revoked */
	uint64_t valid_until; /* ms; the log, with this entry as its head, is fresh until then */
	uint8_t signer_kid[ADVICE_KID_BYTES]; /* set by advice_ulog_sign */
};
int advice_ulog_sign(uint8_t out[ADVICE_ULOG_BYTES], struct advice_ulog_entry *e,
		     const struct advice_keys *admin);
int advice_ulog_parse(const uint8_t *in, size_t len, struct advice_ulog_entry *e);
/* Format and the signature by admin_pk (whose kid must be the signer kid). */
int advice_ulog_verify(const uint8_t *in, size_t len, const uint8_t admin_pk[ADVICE_KEY_BYTES],
		       struct advice_ulog_entry *e);

/* What a reader knows of a unit's log; a client keeps it per unit between logins. */
struct advice_ulog_state {
	uint8_t unit_id[ADVICE_OID_BYTES];
	uint32_t seq;			      /* the newest entry followed; 0 before the first */
	uint8_t head[ADVICE_HASH_BYTES];      /* H(that entry) */
	uint32_t generation;		      /* the unit's current generation per the log */
	uint8_t gen_event[ADVICE_HASH_BYTES]; /* H(its unit event) */
	uint64_t valid_until;		      /* the head's validity */
};

/*
 * Checks a unit log as the server served it: `n` entries, oldest first, each signed by one
 * of the admins' signing keys admin_pks (certificates the caller verified to the root).
 * `known` (NULL or seq 0: none) is what this client saw before; the entries either continue
 * it (the first is known->seq + 1; none at all when the log did not grow) or start at number
 * 1 and must then reach it with the same hash. The head must be valid at now_ms, and
 * latest_event (the newest unit event served, NULL when none) must be the generation the
 * log names. Fills *out, which the client keeps for its next check. -ADVICE_ERR_FORBIDDEN
 * for a bad signature or chain; -ADVICE_ERR_WITHHELD for a log that ends before or forks
 * from `known`, a head past its validity, or a unit event that is not the log's newest
 * generation (a generation withheld).
 */
int advice_ulog_check(struct advice_ulog_state *out, const uint8_t unit_id[ADVICE_OID_BYTES],
		      const uint8_t *const *entries, const size_t *lens, size_t n,
		      const uint8_t (*admin_pks)[ADVICE_KEY_BYTES], size_t n_admins,
		      const struct advice_ulog_state *known, const uint8_t *latest_event, size_t latest_len,
		      uint64_t now_ms);
/*
 * -ADVICE_ERR_REVOKED when the entries (checked with advice_ulog_check) revoke the
 * certificate whose signing key has kid signer_kid at or before `at` (an envelope's or
 * event's creation time), else 0.
 */
int advice_ulog_revoked(const uint8_t *const *entries, const size_t *lens, size_t n,
			const uint8_t signer_kid[ADVICE_KID_BYTES], uint64_t at);

/* --- Thread epochs (type 12): a new thread key K, sealed to the remaining holders --- */

enum advice_epoch_reason {
	ADVICE_EPOCH_UNIT_ROTATED = 1, /* the unit has a newer key generation (a member left) */
	ADVICE_EPOCH_REASSIGNED = 2,   /* the thread moved to another unit */
	ADVICE_EPOCH_CONSENT = 3,      /* consent withdrawn (a new epoch without the connector) */
};
/* A message may be dated this much after the event that ended its epoch (clock skew). */
#define ADVICE_EPOCH_SKEW_MS 300000

struct advice_epoch_event {
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint32_t epoch; /* the new epoch, >= 1 */
	uint32_t prev_epoch;
	uint8_t prev_hash[ADVICE_HASH_BYTES]; /* H(event of prev_epoch); zeros when it is 0 */
	uint8_t reason;			      /* enum advice_epoch_reason */
	uint64_t created_at;
	uint8_t signer_kid[ADVICE_KID_BYTES]; /* set by advice_epoch_event_sign */
	uint8_t n_recipients;		      /* 1 .. ADVICE_EPOCH_MAX_RECIPIENTS */
	uint8_t recipients[ADVICE_EPOCH_MAX_RECIPIENTS][ADVICE_KID_BYTES]; /* their box keys' kids */
};
int advice_epoch_event_sign(uint8_t *out, size_t cap, size_t *outlen, struct advice_epoch_event *ev,
			    const struct advice_keys *signer);
int advice_epoch_event_parse(const uint8_t *in, size_t len, struct advice_epoch_event *ev);
/*
 * Verifies an event of thread_id signed with signer_pk and, when prev is not NULL, that it
 * follows prev (epoch + 1, prev_hash); without prev it must start epoch 1 from 0.
 */
int advice_epoch_event_verify(const uint8_t *in, size_t len, const uint8_t thread_id[ADVICE_OID_BYTES],
			      const uint8_t signer_pk[ADVICE_KEY_BYTES], const uint8_t *prev, size_t prev_len,
			      struct advice_epoch_event *ev);
/*
 * A writer's check before writing at `epoch`: `current` is the newest verified epoch (0
 * without events) and holders[n] the kids its key is sealed to (the event's recipients; for
 * epoch 0 the wraps' recipients). -ADVICE_ERR_STALE_EPOCH when epoch < current, or when
 * unit_kid (the unit's current generation per its log) is not a holder: the writer starts a
 * new epoch first; -ADVICE_ERR_INVAL when epoch > current.
 */
int advice_epoch_writable(uint32_t epoch, uint32_t current, const uint8_t (*holders)[ADVICE_KID_BYTES],
			  size_t n, const uint8_t unit_kid[ADVICE_KID_BYTES]);
/*
 * A reader's check of a message against the thread's verified epoch events events[0 .. n-1]
 * (epochs 1 .. n): its epoch must exist, and a message at an epoch that a later one ended
 * must be created before that event (ADVICE_EPOCH_SKEW_MS of slack). -ADVICE_ERR_STALE_EPOCH
 * otherwise.
 */
int advice_epoch_message_check(const struct advice_envelope_hdr *h, const struct advice_epoch_event *events,
			       size_t n);

/* --- Message content: text plus attachment references --- */

struct advice_file_ref {
	uint8_t file_id[ADVICE_OID_BYTES];
	uint8_t key[ADVICE_KEY_BYTES];
	uint8_t header[ADVICE_STREAM_HEADER_BYTES];
	uint64_t size;
	uint8_t media; /* enum advice_media */
	uint8_t hash[ADVICE_HASH_BYTES];
};
/* Encodes content into out (cap bytes). */
int advice_content_encode(uint8_t *out, size_t cap, size_t *outlen, const struct advice_file_ref *files,
			  size_t n_files, const char *text, size_t text_len);
/* Decodes content: files (room for ADVICE_CONTENT_MAX_FILES) and the text (points into in),
 * which must be UTF-8 as RFC 3629 defines it (-ADVICE_ERR_INVAL otherwise). */
int advice_content_decode(const uint8_t *in, size_t len, struct advice_file_ref *files, size_t *n_files,
			  const uint8_t **text, size_t *text_len);

/* --- Attachments: secretstream chunks --- */

/*
 * Padding: the plaintext of an attachment is padded with zeros to its size bucket before
 * encryption, so that the server (which sees the ciphertext's length, and takes the padded
 * size in file.begin) learns only the bucket. Files up to ADVICE_FILE_PAD_MIN bytes all take
 * that; above it the bucket is Padmé's: with e = floor(log2(size)) and b = floor(log2(e)) + 1,
 * size rounded up to a multiple of 2^(e - b). The overhead is below 1/32 (3.2 %) above one
 * chunk; the bucket shows about log2(e) + 1 bits of the size (5 for 64 KiB .. 2 GiB) besides
 * its order of magnitude. The real size is in the signed file reference.
 */
#define ADVICE_FILE_PAD_MIN	 ADVICE_FILE_CHUNK_BYTES
#define ADVICE_FILE_PAD_MAX_SIZE ((uint64_t)1 << 50) /* larger files are refused */
/* The padded size of a file of `size` bytes; 0 above ADVICE_FILE_PAD_MAX_SIZE. */
uint64_t advice_file_padded_size(uint64_t size);
/* The number of chunks of a padded plaintext of `padded` bytes. */
uint64_t advice_file_chunk_count(uint64_t padded);

struct advice_file_stream;
/*
 * A writer (push) or reader (pull) for one file: key, stream header, the thread and file ids
 * bound into the first chunk, and the file's real size (the file reference's). NULL when out
 * of memory or the size is above ADVICE_FILE_PAD_MAX_SIZE.
 */
struct advice_file_stream *advice_file_stream_new(int push, const uint8_t key[ADVICE_KEY_BYTES],
						  const uint8_t header[ADVICE_STREAM_HEADER_BYTES],
						  const uint8_t thread_id[ADVICE_OID_BYTES],
						  const uint8_t file_id[ADVICE_OID_BYTES], uint64_t size);
void advice_file_stream_free(struct advice_file_stream *s);
/* Encrypts the next chunk: the file's real bytes of it (ADVICE_FILE_CHUNK_BYTES, fewer or none
 * in the last chunks); the stream pads. final exactly on the last chunk. out has room for
 * ADVICE_FILE_CHUNK_MAX_CIPHER bytes. */
int advice_file_push(struct advice_file_stream *s, const uint8_t *plain, size_t len, int final, uint8_t *out,
		     size_t *outlen);
/* Decrypts the next chunk into out (ADVICE_FILE_CHUNK_BYTES), checks and strips the padding:
 * *outlen real bytes; *final is 1 on the last. */
int advice_file_pull(struct advice_file_stream *s, const uint8_t *in, size_t len, uint8_t *out,
		     size_t *outlen, int *final);
/* The BLAKE2b-256 of every chunk's ciphertext so far; -ADVICE_ERR_INVAL before the final chunk. */
int advice_file_hash(struct advice_file_stream *s, uint8_t out[ADVICE_HASH_BYTES]);

/* --- Media types --- */

/* The media type's name ("application/pdf"), or NULL. */
const char *advice_media_name(int media);
/* The media type of data (its first bytes, at least 4 KiB when available): the binary types
 * by libmagic, plain text by the rule client-web shares (CRYPTO-FORMATS.md, "Text": the first
 * 4096 bytes UTF-8 without control characters but tab, line feed, form feed and carriage
 * return; HTML, CSV and other markup are plain text too). An enum advice_media,
 * ADVICE_MEDIA_UNKNOWN when not on the allow-list, or -ADVICE_ERR_INTERNAL when libmagic
 * cannot be loaded. */
int advice_media_sniff(const uint8_t *data, size_t len);

/* --- Citizen identity and devices (lib/crypto_citizen.c) --- */

#define ADVICE_DEVICE_CERT_BYTES     206
#define ADVICE_RECOVERY_BOX_BYTES    102
#define ADVICE_RECOVERY_SECRET_BYTES 20 /* the entropy of a recovery code */
#define ADVICE_RECOVERY_CODE_SIZE    42 /* "XXXXX-" x 6 + "XXXXX" + NUL */
#define ADVICE_COMPARE_CODE_SIZE     15 /* "dddd dddd dddd" + NUL */

/*
 * A citizen's identity is personal keys (advice_keys_personal) from a 32-byte seed made on
 * the first device; its id is the kid of its Ed25519 key. The identity signs a device
 * certificate for each device's own personal keys.
 */
struct advice_device_cert {
	uint8_t identity_sign_pk[ADVICE_KEY_BYTES];
	uint8_t identity_box_pk[ADVICE_KEY_BYTES];
	uint8_t device_sign_pk[ADVICE_KEY_BYTES];
	uint8_t device_box_pk[ADVICE_KEY_BYTES];
	uint64_t created_at; /* ms since the epoch */
};
/* The identity id: kid of the identity's Ed25519 public key. */
void advice_identity_id(uint8_t id[ADVICE_KID_BYTES], const uint8_t identity_sign_pk[ADVICE_KEY_BYTES]);
/* Signs a certificate for the device keys in c; the identity fields are taken from identity. */
int advice_device_cert_sign(uint8_t out[ADVICE_DEVICE_CERT_BYTES], struct advice_device_cert *c,
			    const struct advice_keys *identity);
/* Format check only. */
int advice_device_cert_parse(const uint8_t *in, size_t len, struct advice_device_cert *c);
/* Format and the identity's signature (the identity named inside: what the server checks). */
int advice_device_cert_verify(const uint8_t *in, size_t len, struct advice_device_cert *c);

/*
 * Recovery code: ADVICE_RECOVERY_SECRET_BYTES random bytes and a 15-bit check, as 35
 * characters of Crockford's base32 in groups of five ("XXXXX-XXXXX-…"). parse accepts lower
 * case, spaces or hyphens anywhere, I and L for 1, O for 0; -ADVICE_ERR_INVAL for a code of
 * another length, a character outside the alphabet or a failed check (a typo).
 */
void advice_recovery_code_format(char out[ADVICE_RECOVERY_CODE_SIZE],
				 const uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES]);
int advice_recovery_code_parse(uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES], const char *code);
/* The recovery key kdf(32, 1, "QArecov_", secret) (a full-entropy secret: no password hash). */
int advice_recovery_key(uint8_t key[ADVICE_KEY_BYTES], const uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES]);
/* The recovery box: the identity seed under the recovery key, bound to the identity id. */
int advice_recovery_box_seal(uint8_t out[ADVICE_RECOVERY_BOX_BYTES],
			     const uint8_t identity_seed[ADVICE_KEY_BYTES], uint64_t created_at,
			     const uint8_t recovery_key[ADVICE_KEY_BYTES],
			     const uint8_t nonce[ADVICE_NONCE_BYTES]);
/* Format check; fills identity_id and created_at (either may be NULL). */
int advice_recovery_box_parse(const uint8_t *in, size_t len, uint8_t identity_id[ADVICE_KID_BYTES],
			      uint64_t *created_at);
/* Opens with the code as typed: -ADVICE_ERR_INVAL for a mistyped code, -ADVICE_ERR_FORBIDDEN
 * for another code (or a box whose seed does not give the identity it names). */
int advice_recovery_box_open(uint8_t identity_seed[ADVICE_KEY_BYTES], const uint8_t *in, size_t len,
			     const char *code);

/*
 * Approval of a new device (CRYPTO-FORMATS.md, "Approval of a new device"): commit, then
 * reveal. The new device sends the commitment to its keys and a random nonce_new; the
 * existing device answers with a random nonce_old chosen after it saw the commitment; only
 * then does the new device reveal its keys and nonce_new. Both show the comparison code of
 * (identity, device keys, nonce_new, nonce_old): 12 digits "dddd dddd dddd". A server must
 * commit to a key of its own before it learns nonce_old, so it gets one guess (2^-40).
 *
 * advice_device_commit: BLAKE2b-256("QA-v1-devcommit" || device Ed25519 key || device X25519
 * key || nonce_new).
 * advice_compare_code: the code from BLAKE2b-256("QA-v1-devcode" || identity Ed25519 key ||
 * device Ed25519 key || device X25519 key || nonce_new || nonce_old); the new device's, over
 * its own keys and nonce, with the nonce_old it received before it revealed.
 * advice_compare_code_checked: the existing device's: the revealed keys and nonce_new must
 * open the commitment it saw before it chose nonce_old (both kept by the device itself, never
 * taken from the server again): -ADVICE_ERR_FORBIDDEN (and out "") when they do not.
 */
#define ADVICE_APPROVAL_NONCE_BYTES 32
void advice_device_commit(uint8_t out[ADVICE_HASH_BYTES], const uint8_t device_sign_pk[ADVICE_KEY_BYTES],
			  const uint8_t device_box_pk[ADVICE_KEY_BYTES],
			  const uint8_t nonce_new[ADVICE_APPROVAL_NONCE_BYTES]);
void advice_compare_code(char out[ADVICE_COMPARE_CODE_SIZE], const uint8_t identity_sign_pk[ADVICE_KEY_BYTES],
			 const uint8_t device_sign_pk[ADVICE_KEY_BYTES],
			 const uint8_t device_box_pk[ADVICE_KEY_BYTES],
			 const uint8_t nonce_new[ADVICE_APPROVAL_NONCE_BYTES],
			 const uint8_t nonce_old[ADVICE_APPROVAL_NONCE_BYTES]);
int advice_compare_code_checked(char out[ADVICE_COMPARE_CODE_SIZE], const uint8_t commit[ADVICE_HASH_BYTES],
				const uint8_t identity_sign_pk[ADVICE_KEY_BYTES],
				const uint8_t device_sign_pk[ADVICE_KEY_BYTES],
				const uint8_t device_box_pk[ADVICE_KEY_BYTES],
				const uint8_t nonce_new[ADVICE_APPROVAL_NONCE_BYTES],
				const uint8_t nonce_old[ADVICE_APPROVAL_NONCE_BYTES]);

/*
 * A reader's check of a citizen's envelope: among n device certificates (certs, n *
 * ADVICE_DEVICE_CERT_BYTES bytes, as thread.keys gives them) the one of the envelope's
 * sender must verify under the thread's identity. Fills sender_pk (for
 * advice_envelope_open). -ADVICE_ERR_FORBIDDEN when the sender has no valid certificate of
 * that identity (a key the server made up, or a device of another identity).
 */
int advice_citizen_sender(uint8_t sender_pk[ADVICE_KEY_BYTES], const uint8_t *env, size_t env_len,
			  const uint8_t identity_sign_pk[ADVICE_KEY_BYTES], const uint8_t *certs, size_t n);
/*
 * The identity a thread was opened under: that of the certified device that signed its first
 * envelope. Fills identity (may be NULL) from the certificate. -ADVICE_ERR_FORBIDDEN as above.
 */
int advice_citizen_thread_identity(struct advice_device_cert *identity, const uint8_t *first_env,
				   size_t env_len, const uint8_t *certs, size_t n);

/* An identity of the thread's citizen as thread.keys lists it, with the time the server first saw it. */
struct advice_identity_seen {
	uint8_t sign_pk[ADVICE_KEY_BYTES];
	uint8_t box_pk[ADVICE_KEY_BYTES];
	uint64_t first_seen;
};
/*
 * Whether the citizen has an identity newer than the thread's (first seen after it): 1 with
 * *newest (its index) and *since (its first-seen time) set — a staff client shows "new
 * identity since <since>" and offers advice_citizen_rewrap after a worker confirmed the person
 * out of band; 0 when the thread's identity is the newest; -ADVICE_ERR_FORBIDDEN when the
 * thread's identity is not among ids.
 */
int advice_citizen_identity_status(const struct advice_identity_seen *ids, size_t n,
				   const uint8_t thread_identity_sign_pk[ADVICE_KEY_BYTES], size_t *newest,
				   uint64_t *since);
/* The explicit re-wrap of a thread key to a citizen's new identity (a thread-key wrap to its X25519 key). */
int advice_citizen_rewrap(uint8_t out[ADVICE_WRAP_BYTES], const uint8_t thread_id[ADVICE_OID_BYTES],
			  uint32_t epoch, const uint8_t thread_key[ADVICE_KEY_BYTES],
			  const struct advice_identity_seen *identity,
			  const uint8_t eph_seed[ADVICE_KEY_BYTES], const struct advice_keys *signer);

/* --- Unit text (type 14): an internal note or a canned answer for a unit's members --- */

/* The kinds of unit text and what their scope id is. */
enum advice_unit_text_kind {
	ADVICE_UNIT_TEXT_NOTE = 1,   /* an internal note; scope: the thread id */
	ADVICE_UNIT_TEXT_CANNED = 2, /* a canned answer; scope: the canned answer's id */
};
#define ADVICE_UNIT_TEXT_HEADER_BYTES 67
#define ADVICE_UNIT_TEXT_MAX_PLAIN    16384 /* bytes of UTF-8 text */
/* header, sealed box (48 + header + padded text), signature */
#define ADVICE_UNIT_TEXT_BYTES(padded)                                                                       \
	(2 * ADVICE_UNIT_TEXT_HEADER_BYTES + 48 + (size_t)(padded) + ADVICE_SIG_BYTES)
#define ADVICE_UNIT_TEXT_MIN_BYTES ADVICE_UNIT_TEXT_BYTES(ADVICE_PAD_BLOCK)
#define ADVICE_UNIT_TEXT_MAX_BYTES                                                                           \
	ADVICE_UNIT_TEXT_BYTES((ADVICE_UNIT_TEXT_MAX_PLAIN / ADVICE_PAD_BLOCK + 1) * ADVICE_PAD_BLOCK)

struct advice_unit_text_info {
	uint8_t kind; /* enum advice_unit_text_kind */
	uint8_t unit_id[ADVICE_OID_BYTES];
	uint32_t generation; /* the unit key generation it is sealed to */
	uint8_t scope_id[ADVICE_OID_BYTES];
	uint8_t author_kid[ADVICE_KID_BYTES]; /* set by advice_unit_text_seal */
	uint64_t created;		      /* ms since the epoch, the author's clock */
};
/*
 * Seals text (UTF-8, at most ADVICE_UNIT_TEXT_MAX_PLAIN bytes) to the unit generation's X25519
 * key unit_box_pk with the ephemeral key of eph_seed, and signs it with the author's key. Writes
 * the object to out (cap bytes; ADVICE_UNIT_TEXT_MAX_BYTES always suffice) and its length to
 * *outlen. -ADVICE_ERR_INVAL for another kind, a text too long or not UTF-8, too little room.
 */
int advice_unit_text_seal(uint8_t *out, size_t cap, size_t *outlen, const struct advice_unit_text_info *t,
			  const uint8_t *text, size_t text_len, const uint8_t unit_box_pk[ADVICE_KEY_BYTES],
			  const uint8_t eph_seed[ADVICE_KEY_BYTES], const struct advice_keys *author);
/* Format check only (what the server checks before the signature); fills info (may be NULL). */
int advice_unit_text_parse(const uint8_t *in, size_t len, struct advice_unit_text_info *info);
/* Format, the author kid and the signature under author_pk (the server's check against the
 * author's certificate key). */
int advice_unit_text_verify(const uint8_t *in, size_t len, const uint8_t author_pk[ADVICE_KEY_BYTES]);
/*
 * Opens a unit text the caller expects: of `kind`, for unit_id and scope_id (the thread it reads,
 * the canned answer's id), signed by author_pk (a certificate the caller verified), with the keys
 * of the generation it names. The text (not terminated) goes to text (cap bytes;
 * ADVICE_UNIT_TEXT_MAX_PLAIN suffice), its length to *text_len. -ADVICE_ERR_FORBIDDEN when any
 * binding, the signature or the box fails; -ADVICE_ERR_INVAL for a text not UTF-8 or too long.
 */
int advice_unit_text_open(uint8_t *text, size_t cap, size_t *text_len, const uint8_t *in, size_t len,
			  uint8_t kind, const uint8_t unit_id[ADVICE_OID_BYTES],
			  const uint8_t scope_id[ADVICE_OID_BYTES], const struct advice_keys *unit,
			  const uint8_t author_pk[ADVICE_KEY_BYTES]);

/* --- Identity box (type 15, lib/crypto_identitybox.c) --- */

/*
 * The citizen's name and personal identity code as the bank login gave them, sealed by the
 * server at thread.open to the current key generation of the unit that handles the thread (an
 * ephemeral X25519 key, XChaCha20-Poly1305 with the thread id, unit id and generation as
 * associated data), and re-sealed by a supervisor's client to another unit at a reassignment.
 * The content, JSON {"name":N,"hetu":H,"verified_at":T}, is padded to one size (
 * ADVICE_IDENTITY_CONTENT_MAX + 1 bytes), so every box has ADVICE_IDENTITY_BOX_BYTES.
 */
enum { ADVICE_OBJ_IDENTITY_BOX = 15 };
#define ADVICE_IDENTITY_BOX_BYTES   626
#define ADVICE_IDENTITY_CONTENT_MAX 511			/* bytes of the JSON content */
#define ADVICE_IDENTITY_TIME_MAX    9007199254740991ULL /* 2^53 - 1: exact in every JSON reader */

struct advice_identity_box_hdr {
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint8_t unit_id[ADVICE_OID_BYTES];
	uint32_t generation; /* the unit's key generation the box is sealed to (>= 1) */
};
/* What a box holds (NUL-terminated UTF-8; wipe it when done). */
struct advice_identity {
	char name[ADVICE_IDENTITY_CONTENT_MAX + 1];
	char hetu[ADVICE_IDENTITY_CONTENT_MAX + 1];
	uint64_t verified_at; /* ms since the epoch: when the bank login verified it */
};
/*
 * The content bytes of a box: {"name":N,"hetu":H,"verified_at":T}, no whitespace, '"' and '\'
 * escaped with a backslash, every other character as its UTF-8. Into out (cap bytes, not
 * NUL-terminated), its length in *len. -ADVICE_ERR_INVAL when name or hetu is empty, not UTF-8
 * or holds a control character, when verified_at is above ADVICE_IDENTITY_TIME_MAX, or when the
 * content does not fit in cap.
 */
int advice_identity_content(char *out, size_t cap, size_t *len, const char *name, const char *hetu,
			    uint64_t verified_at);
/*
 * Seals name, hetu and verified_at to unit_box_pk (the X25519 key of generation h->generation
 * of unit h->unit_id) for thread h->thread_id, with the ephemeral key of eph_seed and nonce
 * (fresh random bytes in production). -ADVICE_ERR_INVAL for a generation 0 or a content
 * advice_identity_content refuses or longer than ADVICE_IDENTITY_CONTENT_MAX;
 * -ADVICE_ERR_FORBIDDEN for a unit key of small order.
 */
int advice_identity_box_seal(uint8_t out[ADVICE_IDENTITY_BOX_BYTES], const struct advice_identity_box_hdr *h,
			     const char *name, const char *hetu, uint64_t verified_at,
			     const uint8_t unit_box_pk[ADVICE_KEY_BYTES],
			     const uint8_t eph_seed[ADVICE_KEY_BYTES],
			     const uint8_t nonce[ADVICE_NONCE_BYTES]);
/* Format check (size, prefix, generation >= 1); fills h (may be NULL). What the server checks. */
int advice_identity_box_parse(const uint8_t *in, size_t len, struct advice_identity_box_hdr *h);
/*
 * Opens a box that must be of thread_id and unit_id with the keys of the unit generation the
 * box names (advice_identity_box_parse tells which). Fills id. -ADVICE_ERR_INVAL for a malformed
 * box or content; -ADVICE_ERR_FORBIDDEN for another thread or unit (moved), another
 * generation's keys or a box that does not decrypt.
 */
int advice_identity_box_open(struct advice_identity *id, const uint8_t *in, size_t len,
			     const uint8_t thread_id[ADVICE_OID_BYTES],
			     const uint8_t unit_id[ADVICE_OID_BYTES], const struct advice_keys *unit);

/* --- Message content version 2: a correction, a rights request, a rights decision --- */

/* What a version 2 content is, and what its ref and note are. */
enum advice_content_kind {
	ADVICE_CONTENT_CORRECTION = 1,	    /* ref: the corrected message; note: the reason (non-empty) */
	ADVICE_CONTENT_RIGHTS_REQUEST = 2,  /* ref: zeros or the message asked to be corrected; no note */
	ADVICE_CONTENT_RIGHTS_DECISION = 3, /* ref: the request's message; note: the reason */
};
#define ADVICE_CONTENT_NOTE_MAX 2000 /* bytes of UTF-8 */

/* A decoded content of either version; the pointers point into the decoded bytes. */
struct advice_content {
	uint8_t version;	       /* 1 or 2 */
	uint8_t kind;		       /* version 2: enum advice_content_kind; 0 for version 1 */
	uint8_t ref[ADVICE_OID_BYTES]; /* zeros for version 1 */
	const uint8_t *note;	       /* version 2: UTF-8, note_len bytes (not terminated) */
	size_t note_len;
	size_t n_files;
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	const uint8_t *text; /* UTF-8, text_len bytes (not terminated) */
	size_t text_len;
};
/*
 * Encodes a version 2 content: version 2 || kind || ref (16) || u16 big-endian note length ||
 * note || n || n file references || text. -ADVICE_ERR_INVAL for another kind, a ref of zeros
 * for a correction or decision, an empty note for a correction or any note for a request, a note
 * over ADVICE_CONTENT_NOTE_MAX bytes, note or text not UTF-8, more than ADVICE_CONTENT_MAX_FILES
 * files, a media type off the allow-list, or too little room in out (cap bytes).
 */
int advice_content_v2_encode(uint8_t *out, size_t cap, size_t *outlen, uint8_t kind,
			     const uint8_t ref[ADVICE_OID_BYTES], const char *note, size_t note_len,
			     const struct advice_file_ref *files, size_t n_files, const char *text,
			     size_t text_len);
/*
 * Decodes a content of version 1 or 2 into c (c->version says which; a version 1 content has
 * kind 0, a ref of zeros and no note). -ADVICE_ERR_INVAL for any other version, or a content the
 * encoders would not make (the rules of advice_content_v2_encode, a size that does not add up).
 */
int advice_content_v2_decode(const uint8_t *in, size_t len, struct advice_content *c);

/* --- Consent event (type 5, lib/crypto_consent.c) --- */

/*
 * The citizen's signed consent to hand a thread to the client record through one connector
 * (kind 1, with the thread key of every epoch sealed to the connector), or its withdrawal
 * (kind 2, with a new epoch the connector does not hold). The scope and consent texts the citizen
 * was shown are bound by their BLAKE2b-256 hashes, with the language shown.
 */
#define ADVICE_CONSENT_BYTES 197
enum advice_consent_kind {
	ADVICE_CONSENT_GIVEN = 1,
	ADVICE_CONSENT_WITHDRAWN = 2,
};
struct advice_consent {
	uint8_t kind; /* enum advice_consent_kind */
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint8_t connector_kid[ADVICE_KID_BYTES]; /* kid of the connector's X25519 key: the wraps' recipient */
	uint32_t epoch;			       /* given: the thread's current epoch; withdrawn: the new one */
	uint8_t scope_hash[ADVICE_HASH_BYTES]; /* H(scope text shown, UTF-8) */
	uint8_t text_hash[ADVICE_HASH_BYTES];  /* H(consent text shown, UTF-8) */
	char lang[3];			       /* "fi", "sv" or "en" */
	uint64_t created_at;		       /* ms */
	uint8_t signer_kid[ADVICE_KID_BYTES];  /* the citizen's signing key; set by advice_consent_make */
};
/* Signs the event c (signer_kid taken from signer: the citizen's identity or device keys).
 * -ADVICE_ERR_INVAL for another kind or language. */
int advice_consent_make(uint8_t out[ADVICE_CONSENT_BYTES], struct advice_consent *c,
			const struct advice_keys *signer);
/* Format check only (size, prefix, kind, language); fills c (may be NULL). What the server checks
 * before it looks up the thread and connector the event names. */
int advice_consent_parse(const uint8_t *in, size_t len, struct advice_consent *c);
/*
 * Opens an event the caller expects: of `kind`, for thread_id and connector_kid (NULL: any),
 * signed by signer_pk (a key of the thread's citizen the caller verified). Fills c (may be NULL).
 * -ADVICE_ERR_INVAL for a malformed event; -ADVICE_ERR_FORBIDDEN for another signer, a bad
 * signature, or another kind, thread or connector than expected.
 */
int advice_consent_open(struct advice_consent *c, const uint8_t *in, size_t len, uint8_t kind,
			const uint8_t thread_id[ADVICE_OID_BYTES], const uint8_t *connector_kid,
			const uint8_t signer_pk[ADVICE_KEY_BYTES]);

/*
 * The connector's login (PROTOCOL.md, connector login): an Ed25519 signature by the connector's
 * certified signing key over "QA-v1-connector-login" || challenge (32 bytes, the server's) ||
 * kid (16: the connector's kid as the login names it).
 */
#define ADVICE_CONNECTOR_CHALLENGE_BYTES 32
int advice_connector_login_sign(uint8_t sig[ADVICE_SIG_BYTES],
				const uint8_t challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES],
				const uint8_t kid[ADVICE_KID_BYTES], const struct advice_keys *connector);
/* 0 when sig is the connector's (sign_pk) over challenge and kid, else -ADVICE_ERR_FORBIDDEN. */
int advice_connector_login_verify(const uint8_t sig[ADVICE_SIG_BYTES],
				  const uint8_t challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES],
				  const uint8_t kid[ADVICE_KID_BYTES],
				  const uint8_t sign_pk[ADVICE_KEY_BYTES]);

#ifdef __cplusplus
}
#endif

#endif
