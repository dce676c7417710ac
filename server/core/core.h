/*
 * core.h - the broker core: sessions, threads, queues, the policy, the access log.
 *
 * The core knows nothing of sockets. The network layer turns what arrives (a WebSocket
 * message, an HTTP login body, a new connection) into a `struct core_request`; the core
 * answers with a `struct core_reply` that holds the reply text, live events for topics
 * ("u:<user id>", "unit:<unit id>") and instructions for the connection (set a cookie,
 * subscribe to topics, end a session). core_handle() runs inside a store transaction
 * opened by the caller (dispatch.c), so a reply may be sent only after that commits.
 */
#ifndef ADVICE_CORE_H
#define ADVICE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "advice_proto.h"
#include "store.h"

struct json_t;
struct schema;
struct token_config;
struct presence;

#define CORE_TEXT_MAX 512 /* bytes of a configured acknowledgement text */

enum core_req_kind {
	CORE_REQ_CONNECT,	/* a WebSocket was opened with this session: answer "welcome" */
	CORE_REQ_MESSAGE,	/* a WebSocket text message */
	CORE_REQ_LOGIN_CITIZEN, /* HTTP POST /api/v1/login/citizen */
	CORE_REQ_LOGIN_START,	/* HTTP POST /api/v1/login/worker/start */
	CORE_REQ_LOGIN_WORKER,	/* HTTP POST /api/v1/login/worker */
	CORE_REQ_LOGOUT,	/* HTTP POST /api/v1/logout */
	CORE_REQ_LOGIN_BANK,	/* internal: a bank-ID login checked by oidc.c; never a client's body */
	CORE_REQ_TICK,		/* internal, every second: deadline warnings and escalations; no reply
				 * text (json stays NULL), only events */
	CORE_REQ_LOGIN_ENROL,	/* HTTP POST /api/v1/login/worker/enrol: a second factor to confirm */
	CORE_REQ_CHUNK,		/* a binary WebSocket message: one attachment chunk (core_files.c) */
	CORE_REQ_ADMIN,		/* internal: an advicectl command from the admin socket (core_admin.c);
				 * never a client's body */
	CORE_REQ_CALL,		/* internal: runs `call` on the store's writer connection inside
				 * the batch (the notifier's outbox reads and updates); no body */
	CORE_REQ_SERVICE,	/* HTTP GET /api/v1/service: what the public front page shows; no
				 * body, no session (core_settings.c) */
	CORE_REQ_LOGIN_CONNECTOR_START, /* HTTP POST /api/v1/login/connector/start: a challenge */
	CORE_REQ_LOGIN_CONNECTOR,	/* HTTP POST /api/v1/login/connector: the signed challenge */
};

/* What the public front page shows besides the categories (GET /api/v1/service); "" = not set. */
struct core_service_info {
	char exit_url[256];
	char emergency_number[32];
	char social_emergency_number[32];
	char controller_name[256];
	char privacy_contact[256];
	char accessibility_contact[256];
};

/* A WebSocket message parsed and checked against the schema before the core thread takes it
 * (core_request_prepare), so that the core thread spends its time on the store. */
struct core_parsed {
	int done;	    /* 0: not prepared; the core thread parses the body itself */
	int rc;		    /* ADVICE_OK, or the error of the parse or the schema check */
	struct json_t *msg; /* the parsed message (owned), or NULL when the parse failed */
	char err_msg[160];
	char err_field[96];
	/* With require_envelopes, for message.send and thread.open: the device whose key
	 * verified the signature of the decoded "body" (signer 1), by the device keys the core
	 * last kept for the session's user, and the BLAKE2b-256 of those bytes. A hint only:
	 * the core thread trusts it for these same bytes if that kid still has that key among
	 * the user's current devices (core_devices_signer), else it verifies itself. */
	int signer;
	uint8_t *body; /* message.send and thread.open: the "body" decoded (owned), or NULL */
	size_t body_len;
	uint8_t signer_kid[STORE_KID_BYTES];
	uint8_t signer_pk[STORE_KEY_BYTES];
	uint8_t signed_hash[STORE_HASH_BYTES];
};

/*
 * An attachment chunk on its way (CORE_REQ_CHUNK). The core checks a new chunk (CHUNK_NEW) and
 * says in its reply's `chunk` whether it goes on to the chunk writer (chunk_writer.h) instead
 * of being answered: CHUNK_WRITE (its bytes go to the part file) or CHUNK_PASS (a resend of a
 * chunk on its way: nothing to write, answered after that one). The writer puts it on disk off
 * the core thread and sets `written`; then the core records it (core_chunk_record) and answers.
 */
enum core_chunk_step { CHUNK_NEW = 0, CHUNK_WRITE, CHUNK_PASS };
struct core_chunk {
	enum core_chunk_step step;
	int last;    /* CHUNK_WRITE: the upload is complete with it (the part file becomes the blob) */
	int written; /* set by the writer: 1 on disk (file and, when new or completed, folder
		      * synced), -1 it could not be */
};

struct core_request {
	struct core_request *next; /* queue link, owned by dispatch */
	uint64_t conn_id;	   /* the network layer's connection id, echoed in the reply */
	enum core_req_kind kind;
	int has_session;
	uint8_t session_hash[STORE_HASH_BYTES];
	int64_t now_ms; /* 0: the core reads the clock */
	char peer[48];	/* remote address, for the log */
	struct core_parsed parsed;
	void *waiter; /* dispatch_call: the caller waiting for this reply (dispatch.c) */
	/* CORE_REQ_CALL: the function and its argument. It returns < 0 when the store failed
	 * (its writes are rolled back and the reply is "unavailable"), else its writes commit
	 * with the batch and the reply is {"type": "ok"} (http_status 200). */
	int (*call)(void *arg);
	void *call_arg;
	struct core_chunk chunk; /* CORE_REQ_CHUNK: CHUNK_NEW until the core hands it on */
	size_t len;
	char body[]; /* request text, NUL-terminated */
};

/* An event for a topic. The core leaves it as a JSON value (`event`); core_reply_render turns
 * it into text on the thread that takes the reply, off the core thread. */
struct core_push {
	char topic[48];
	uint64_t except_conn; /* a connection of the topic that does not get it (0: none) */
	struct json_t *event; /* owned until rendered; NULL afterwards */
	char *json;	      /* the text, once rendered */
	size_t len;
};

struct core_reply {
	struct core_reply *next; /* queue link, owned by dispatch */
	uint64_t conn_id;
	enum core_req_kind kind;
	int http_status; /* for the HTTP kinds */
	char *json;	 /* the reply text (always set) */
	size_t len;
	char session_token[ADVICE_SESSION_TOKEN_LEN + 1]; /* login: the new cookie value, else "" */
	int64_t session_max_age_s;			  /* login: cookie Max-Age */
	int64_t session_expires_ms; /* WebSocket: the session ends at the latest then (0: unknown) */
	int end_session;	    /* close every connection of session_hash */
	uint8_t session_hash[STORE_HASH_BYTES];
	uint8_t (*ended)[STORE_HASH_BYTES]; /* more sessions ended (TICK, role ends): close them */
	size_t nended;
	int close_conn; /* close this connection after sending the reply */
	char **topics;	/* CONNECT: topics the connection subscribes to */
	size_t ntopics;
	struct core_push *pushes; /* events to send after the commit */
	size_t npush;
	/* A staff login or enrolment failed and counted (a wrong key, code or setup code): the
	 * network layer's per-address limit counts these. */
	int login_failed;
	/* CONNECT: the role of the connection's session (enum store_role, as the welcome names
	 * it); ROLE_NONE otherwise. Counted by role in /metrics. */
	int role;
	/* CORE_REQ_CHUNK: CHUNK_WRITE or CHUNK_PASS when the chunk goes on to the chunk writer:
	 * then this reply is not sent (the answer comes from core_chunk_record). */
	struct core_chunk chunk;
};

struct register_doc;

struct core_config {
	const struct token_config *token; /* citizen ID-token verification */
	const struct schema *schema;	  /* protocol schema (schema.h) */
	uint8_t pepper[32];		  /* key of the keyed hashes (identity codes, tokens, auth keys) */
	int64_t citizen_idle_ms, citizen_abs_ms;
	int64_t staff_idle_ms, staff_abs_ms;
	int backoff_after; /* failed logins before backoff starts */
	int lock_after;	   /* failed logins before the account is locked */
	int64_t backoff_max_ms;
	/* How long lock_after failures lock an account; 0: until an administrator unlocks it. */
	int64_t lock_ms;
	int staff_totp_required;     /* workers need a second factor (enrol at the first login) */
	int64_t password_max_age_ms; /* 0: passwords do not expire */
	int64_t session_check_ms;    /* how often TICK ends sessions of ended accounts and roles */
	int64_t session_warn_ms; /* TICK warns a session's connections this long before it ends; 0: never */
	/* TICK purges (core_purge.c) stored replies of writes older than request_keep_ms and
	 * sessions whose absolute end is older than session_keep_ms; 0: the defaults there. */
	int64_t request_keep_ms, session_keep_ms;
	int test_mode;
	/* Duty queues: the automatic acknowledgement of thread.open per language (0 fi, 1 sv,
	 * 2 en; "" = the built-in text). "{date}" in ack_text becomes the expected date. */
	char ack_text[3][CORE_TEXT_MAX];
	char emergency_text[3][CORE_TEXT_MAX];
	struct core_service_info service; /* GET /api/v1/service */
	/* Attachments (core_files.c): the blob folder ("" = attachments off) and quotas in bytes of
	 * ciphertext (0 = the defaults there). */
	char blob_dir[600];
	int64_t file_max, thread_files_max, citizen_files_max;
	/* Message bodies must be envelopes of the thread signed by the caller's own key (off in
	 * test mode, whose protocol tests send opaque bytes). */
	int require_envelopes;
	/* What one citizen may use (core_limits.c; 0: no limit): threads not closed, threads
	 * opened a Helsinki day, bytes of message bodies written a day. */
	int citizen_open_threads, citizen_threads_per_day;
	int64_t citizen_bytes_per_day;
	/* A citizen's device not used for this long is removed (core_devices.c; 0: 180 days). */
	int64_t device_idle_ms;
	/* Whom live events would reach now (presence.h), so that the supervisors' dashboard is
	 * computed only when one of them is connected; NULL: assume everyone is. */
	const struct presence *presence;
	/* The register file (register.h): the privacy notice and the retention rules; NULL: no
	 * retention run (tests of other parts). Must outlive the core. */
	const struct register_doc *reg;
};

struct core;

/* A new core over an open store. The config is copied; the schema and token config must
 * outlive the core. Returns NULL when out of memory. */
struct core *core_new(struct store *st, const struct core_config *cfg);
void core_free(struct core *c);

/*
 * Handles one request inside the caller's transaction and fills `rep` (zeroed by the
 * caller). Returns 0 when the reply may be sent after the commit, or -1 when the store
 * failed: then the caller rolls back the request and answers "unavailable".
 */
int core_handle(struct core *c, const struct core_request *req, struct core_reply *rep);

/*
 * Records an attachment chunk the chunk writer handed back (req->chunk.written set) inside
 * the caller's transaction and fills `rep` with its file.chunk event: "ok" with the progress
 * when the chunk is on disk and its row now counts it, "unavailable" when it is not (the
 * client resumes from file.status). Returns 0, or -1 when the store failed (as core_handle).
 */
int core_chunk_record(struct core *c, const struct core_request *req, struct core_reply *rep);
/* A chunk core_handle handed on (rep->chunk) will not come back (its batch was rolled back):
 * its place in the upload is given up, and the upload waits for a resume. */
void core_chunk_forget(struct core *c, const struct core_request *req);
/* The blob folder of the core's configuration ("" when attachments are off). */
const char *core_blob_dir(const struct core *c);
/* Frees what the core keeps about chunks on their way (core_free calls it). */
void core_chunks_free(struct core *c);

/* Allocates a request holding a copy of `body` (NUL-terminated). NULL when out of memory. */
struct core_request *core_request_new(enum core_req_kind kind, uint64_t conn_id, const char *body,
				      size_t len);
/*
 * Parses a CORE_REQ_MESSAGE body and checks it against the schema, keeping the outcome in
 * req->parsed for core_handle; other kinds are left alone. For the submitting thread (the
 * request must not be shared yet). Returns 0, or -1 when out of memory (then the core
 * thread parses the body itself).
 */
int core_request_prepare(const struct core *c, struct core_request *req);
/* Frees a request and what core_request_prepare attached to it; NULL is fine. */
void core_request_free(struct core_request *req);

/* Queue bytes kept for the answers to a request beyond its own size (core_request_answer_room). */
#define CORE_ANSWER_ROOM 1024

/*
 * The bytes a WebSocket request's answers may take in its connection's outbound queue, for
 * a request core_request_prepare has seen: ADVICE_MAX_REPLY_BYTES for a request whose reply
 * may be large (a page, a list, an attachment chunk: core_large_reply), else its own size
 * plus CORE_ANSWER_ROOM (its reply and the events about it are about that size: a
 * message.send's message.new carries its body back; an error is small). A message that could
 * not be prepared (out of memory) gets the larger bound. Any thread; `req` is not changed.
 */
size_t core_request_answer_room(const struct core_request *req);
/* Whether the reply to a request of type `type` may come near ADVICE_MAX_REPLY_BYTES. */
int core_large_reply(const char *type);
/* Renders every event of the reply as text (core_push.json). An event that cannot be
 * rendered (out of memory) is dropped with a log line. Returns the number dropped. */
size_t core_reply_render(struct core_reply *rep);
/* Frees a reply and everything it owns. */
void core_reply_free(struct core_reply *rep);
/* Replaces the reply's content with an error of `code` (used after a failed commit). */
int core_reply_set_error(const struct core *c, struct core_reply *rep, const struct core_request *req,
			 int code, const char *message);

/* Keyed hash of a session token, as stored (the network layer hashes the cookie with it). */
void core_session_hash(const uint8_t pepper[32], const char *token, size_t len,
		       uint8_t out[STORE_HASH_BYTES]);
/* Keyed BLAKE2b-256 of `label` and `data` with the pepper: identity codes ("hetu"), worker
 * authentication keys ("auth key"), fake salts ("fake salt"), unknown login names ("login
 * name"). */
void core_keyed_hash(const uint8_t pepper[32], const char *label, const void *data, size_t len,
		     uint8_t out[STORE_HASH_BYTES]);
/* The pepper the core was configured with (the network layer hashes cookies with it). */
const uint8_t *core_config_pepper(const struct core *c);
/* Whether a session is usable now: present, not revoked, neither idle nor past its end. */
int core_session_valid(const struct store_session *s, int64_t now_ms);
/* When the session ends if nothing more happens: the earlier of its idle and absolute ends. */
int64_t core_session_end(const struct store_session *s);
/* The topic of one session's connections ("s:" and the first 16 bytes of its hash in hex). */
void core_session_topic(const uint8_t hash[STORE_HASH_BYTES], char out[48]);

#endif
