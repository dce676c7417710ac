/*
 * core_internal.h - what the core's files share: the request context, its helpers
 * (core_ctx.c) and the handlers. Not for use outside core*.c.
 */
#ifndef ADVICE_CORE_INTERNAL_H
#define ADVICE_CORE_INTERNAL_H

#include <jansson.h>

#include "calendar.h"
#include "core_authcache.h"
#include "core.h"
#include "policy.h"

#define CORE_MAX_UNITS 32 /* unit memberships considered per user */

/* Uploads with chunks on their way to the chunk writer and back (core_files.c). */
struct core_uploads;

/* Refusals of the citizen limits since they were last logged (core_limits.c). */
enum core_limit_kind { LIMIT_OPEN, LIMIT_THREADS, LIMIT_BYTES, LIMIT__COUNT };
struct core_limit_log {
	uint64_t refused[LIMIT__COUNT];
	int64_t logged_ms; /* 0: never logged */
};

/* The access log's chain as far as audit.query has checked it (core_audit_query.c): rows 1..row
 * hold, the last with `hash`; or the first row found broken. */
struct core_chain_check {
	int64_t row;
	uint8_t hash[STORE_HASH_BYTES];
	int64_t first_broken; /* 0: none found */
};

struct core_viewers;
struct core_connector_challenges;

struct core {
	struct store *st;
	struct core_config cfg;
	int64_t next_session_check; /* TICK: when core_session_check runs next (core_session.c) */
	int64_t warned_until;	    /* sessions ending up to then have been warned (core_session.c) */
	int64_t next_purge;	    /* TICK: when core_purge_check runs next (core_purge.c) */
	int64_t next_retention;	    /* TICK: when the retention run marks due threads (core_retention.c) */
	/* Uploads with chunks on their way (core_files.c); NULL: none yet. */
	struct core_uploads *uploads;
	struct core_limit_log limit_log;
	struct core_viewers *viewers;  /* who has which thread open (core_presence.c); NULL: none yet */
	struct core_chain_check chain; /* how far the access log's chain is checked (core_audit_query.c) */
	struct core_connector_challenges
		*challenges;	/* connector logins (core_connector.c); NULL: none yet */
	struct authcache *auth; /* sessions and device keys in memory (core_authcache.c) */
};

/* One request being handled. */
struct ctx {
	struct core *c;
	struct store *st;
	const struct core_request *req;
	struct core_reply *rep;
	int64_t now;		   /* ms, UTC */
	json_t *msg;		   /* the parsed request */
	const char *id;		   /* its "id", or NULL */
	struct store_session sess; /* the caller's session (WebSocket kinds) */
	struct store_membership units[CORE_MAX_UNITS];
	size_t nunits;
	json_t *result;	   /* fields of the ok reply, built by the handler */
	int err;	   /* advice_err of the reply, 0 for ok */
	json_t *err_extra; /* extra fields of an error reply (retry_after), or NULL */
	char err_msg[160];
	char err_field[96];
	/* A read of a restricted thread for a legal claim (core_restrict.c): its reason, which
	 * core_audit keeps beside the read's access-log row; NULL for every other request. */
	const char *legal_reason;
};

/* A handler's outcome: 0 (reply built, or ctx->err set), or -1 when the store failed. */
typedef int (*core_handler_fn)(struct ctx *x);

/* Sets the reply's error; always returns 0 so handlers can `return fail(...)`. */
int core_fail(struct ctx *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records a denied request in the access log and sets the "forbidden" error.
 * Returns 0, or -1 when the log could not be written. */
int core_deny(struct ctx *x, enum policy_action action, const struct store_thread *t);

/* Whether the caller may see thread `t` at all: its citizen, or staff of its unit. */
int core_thread_visible(const struct ctx *x, const struct store_thread *t);

/* For a request on `object` ("thread:<id>", "file:<id>") that does not exist (t NULL) or
 * whose thread `t` the caller may not see: writes the access-log row (outcome not_found or
 * denied), so both cases cost the same and a probe is on record. The caller then answers
 * not_found with the same text for both. Returns 0, or -1 when the log could not be written. */
int core_hide(struct ctx *x, enum policy_action action, const char *object, const struct store_thread *t);

/* Loads thread `thread_id` and checks `action` on it: the caller's role in the thread's unit
 * and relations to it (core_relations) against the policy. Returns 0 with *t filled and no
 * error; 0 with ctx->err set: not_found ("no such thread") when there is no such thread or
 * the caller may not see it (core_thread_visible; both logged by core_hide), forbidden
 * (written to the access log first, core_deny) when the caller sees the thread but the policy
 * refuses this request; -1 when the store or the access log failed. */
int core_thread_for_id(struct ctx *x, const char *thread_id, enum policy_action action,
		       struct store_thread *t);
/* core_thread_for_id on the thread named by the request's field "thread". */
int core_thread_for(struct ctx *x, enum policy_action action, struct store_thread *t);

/* Writes an access-log entry for the caller about thread `t`. 0 or -1. */
int core_audit(struct ctx *x, const struct store_thread *t, const char *action, const char *outcome);

/* The caller's effective role towards a unit: ROLE_CITIZEN or ROLE_ADMIN (the session's own),
 * else ROLE_SUPERVISOR or ROLE_WORKER by membership (ROLE_WORKER when not a member). */
enum store_role core_role_in_unit(const struct ctx *x, const char *unit_id);
/* The relations (policy.h) of the caller to thread `t`. */
unsigned core_relations(const struct ctx *x, const struct store_thread *t);
/* REL_CONSENTED and REL_ORDERED of the connector caller to t (none when the store fails, logged). */
unsigned core_connector_relations(const struct ctx *x, const struct store_thread *t);

/* Adds an event to send to `topic` after the commit. 0 or -1 (out of memory). */
int core_push(struct ctx *x, const char *topic, json_t *event);
/* As core_push, with the event already rendered as JSON text (malloc'd, consumed). For hot
 * events whose every value is known to need no escaping. 0 or -1. */
int core_push_text(struct ctx *x, const char *topic, char *text);

/* Sets the reply's text to `obj` rendered (consumed; NULL for none). 0 or -1 (out of memory). */
int core_reply_set_json(struct core_reply *rep, json_t *obj);
/* Sets the reply's text and HTTP status from ctx->err (the error object, with err_extra) or
 * ctx->result (the ok reply, with the request id on WebSocket replies) (core_reply.c). 0 or -1. */
int core_reply_finish(struct ctx *x);

/* 32 lowercase hex digits of fresh randomness. */
void core_random_id(char out[STORE_ID_SIZE]);
/* Creates a session for `user_id` with `role` and puts its token and max-age in the reply. */
int core_session_create(struct ctx *x, const char *user_id, enum store_role role);

const char *core_state_name(enum thread_state s);
const char *core_role_name(enum store_role r);

/* The metadata of a thread as lists and events show it; NULL when out of memory. */
json_t *core_thread_summary(const struct store_thread *t);
/* Sends thread.changed about `t` to its citizen and unit. 0 or -1. */
int core_thread_changed(struct ctx *x, const struct store_thread *t);
/* The same, with whether the thread is restricted already known (read in this request, by a
 * request that cannot change it). */
int core_thread_changed_as(struct ctx *x, const struct store_thread *t, int restricted);

/* Handlers: one per row of proto/requests.def, named core_<type> with its dots as underscores
 * (the generated request table, core_requests.c, refers to them by these names). Each fills
 * ctx->result or sets ctx->err and returns 0, or returns -1 when the store failed. */

/* Handlers (core_thread.c) */
/* Citizen limits (core_limits.c). core_limits_admit: 0 when the caller (citizens only) may
 * open a thread (new_thread) or write `bytes` of message, else 0 with ctx->err (429); -1
 * when the store failed. core_limits_count records what was admitted; 0 or -1. */
int core_limits_admit(struct ctx *x, int new_thread, size_t bytes);
int core_limits_count(struct ctx *x, int new_thread, size_t bytes);
/* The Helsinki day of x->now (calendar.h). */
int32_t core_limits_today(const struct ctx *x);

int core_thread_open(struct ctx *x);
int core_thread_list(struct ctx *x);
int core_thread_get(struct ctx *x);
int core_read_set(struct ctx *x);
int core_thread_read(struct ctx *x);
int core_thread_claim(struct ctx *x);
int core_message_send(struct ctx *x);
int core_thread_close(struct ctx *x);
/* What core_thread_post writes and how. */
struct core_post {
	enum policy_action action;	/* the request's, for the envelope check's refusal */
	const char *audit_action;	/* the access-log action of a staff writer ("write") */
	int rights;			/* a rights request or decision: state and deadline clock stay */
	int await_reply;		/* staff: the thread waits for the citizen */
	int reply_tells;		/* message.send: its reply stands for the events to its connection */
	int64_t seq;			/* set: the message's seq */
	char message_id[STORE_ID_SIZE]; /* set: its message id, hex; "" when the body is no envelope */
};
/*
 * Appends the request's "body" to thread `t` as the caller's message, as message.send does:
 * the citizen limits, the envelope check, a message id unique in the thread, the access log
 * for staff, then message.new and thread.changed. Without p->rights the thread's state and
 * deadline clock move as an answer or a follow-up moves them. Fills p->seq and p->message_id.
 * The caller checked the policy (and a closed thread, where that matters). 0, 0 with
 * ctx->err set, or -1 when the store failed.
 */
int core_thread_post(struct ctx *x, struct store_thread *t, struct core_post *p);

/* Restriction (core_restrict.c, below core_ctx.c: it calls only the store). */
enum core_restrict_verdict {
	RESTRICT_OPEN = 0,	/* not restricted, or a request a restriction allows */
	RESTRICT_LEGAL_CLAIM,	/* a staff read for a legal claim: x->legal_reason is set */
	RESTRICT_REFUSED_WRITE, /* a write on a restricted thread */
	RESTRICT_REFUSED_READ	/* a staff read of a restricted thread without a legal claim */
};
/* What a restriction of `t` says of `action` by the caller, into *verdict. 0 or -1. */
int core_restrict_verdict(struct ctx *x, enum policy_action action, const struct store_thread *t,
			  enum core_restrict_verdict *verdict);
/* Whether thread `thread_id` is restricted now (0 for no thread). 0 or -1. */
int core_restricted(struct ctx *x, const char *thread_id, int *restricted);
/* Sets or lifts the restriction of thread `t` (by: a user id or "os:<name>"); a change moves the
 * thread in its lists (thread update). *changed 1 when it changed. 0 or -1. */
int core_restrict_set(struct store *st, const struct store_thread *t, int restricted, const char *by,
		      const char *reason, int64_t now, int *changed);
/* Keeps x->legal_reason beside access-log row `row`. 0 or -1. */
int core_restrict_reason_put(struct ctx *x, int64_t row);

/* Corrections (core_correct.c): message.send's "corrects" and thread.read's. */
struct core_correction {
	int has;			  /* the request corrects a message */
	char corrected_id[STORE_ID_SIZE]; /* its message id */
};
/* The corrections of a thread after a seq, for a page of thread.read. */
struct core_corrected {
	struct store_correction *list;
	size_t n, cap;
	int failed; /* out of memory while loading */
};
/* message.send: the request's "corrects", when present, must be the message id of a staff
 * message of thread `t` and the caller staff; fills *c. 0, 0 with bad_request (field
 * /corrects), or -1. */
int core_correct_check(struct ctx *x, const struct store_thread *t, struct core_correction *c);
/* Records the correction (when c->has) by the message of `seq` and `message_id`. 0 or -1. */
int core_correct_record(struct ctx *x, const struct store_thread *t, const struct core_correction *c,
			int64_t seq, const char *message_id);
/* Loads the thread's corrections by messages after `after`. 0 or -1 (freed by core_correct_free). */
int core_correct_load(struct ctx *x, const char *thread_id, int64_t after, struct core_corrected *out);
/* The id of the message that the message of `seq` corrects, or NULL. */
const char *core_correct_of(const struct core_corrected *c, int64_t seq);
void core_correct_free(struct core_corrected *c);

/* The citizen's rights (core_rights.c; PROTOCOL.md §14.6-§14.7). */
int core_rights_request(struct ctx *x);
int core_rights_list(struct ctx *x);
int core_rights_decide(struct ctx *x);

/* Duty queues (core_queue.c). Hooks of the thread handlers: each returns 0 or -1. */
/* thread.open, before the insert: may replace `q` by a language route or a fallback queue. */
int core_queue_route(struct ctx *x, struct store_queue *q, const char *lang);
/* thread.open, after the insert: assignment by policy, deadline clock, "ack" in the result. */
int core_queue_opened(struct ctx *x, struct store_thread *t, const char *lang);
int core_queue_claimed(struct ctx *x, const struct store_thread *t);
/* message.send, after the update: deadline clock, notifications of an answer. */
int core_queue_message(struct ctx *x, const struct store_thread *t, int await_reply);
int core_queue_closed(struct ctx *x, const struct store_thread *t);
/* Handlers */
int core_thread_reassign(struct ctx *x);
int core_thread_release(struct ctx *x);
int core_duty_set(struct ctx *x);
int core_duty_get(struct ctx *x);
int core_dashboard_get(struct ctx *x);
int core_notify_set(struct ctx *x);
int core_notify_get(struct ctx *x);
int core_notify_delete(struct ctx *x);
/* CORE_REQ_TICK: deadline warnings and escalations due at ctx->now. */
int core_queue_tick(struct ctx *x);

/* The citizen's identity (core_identity.c). Each returns 0, 0 with ctx->err, or -1. */
/* The bank login, after the session is made: seals name (the token's, may be "" or NULL: then
 * nothing is kept), hetu and the time into the session row. */
int core_identity_keep(struct ctx *x, const char *name, const char *hetu);
/* thread.open, after the insert: an identity box of the session's identity for the current key
 * generation of t's unit (none when the unit has no generation or the session no identity). */
int core_identity_opened(struct ctx *x, const struct store_thread *t);
/* thread.reassign, before the update: checks and stores the request's "identity" for after's
 * unit (required when the unit changes, the thread has a box and the unit has a generation). */
int core_identity_reassign(struct ctx *x, const struct store_thread *before,
			   const struct store_thread *after);
int core_thread_identity(struct ctx *x);

/* Names of staff (core_names.c), below every other core file. Each returns 0 with *out set
 * ({"name", "title"}, or JSON null when `user_id` is "" or has no name) or -1 when the store
 * failed or memory ran out. */
/* As staff see a colleague: the display name and title. */
int core_name_for_staff(struct ctx *x, const char *user_id, json_t **out);
/* As the citizens of `unit_id` see who answers them: the title and the full name or its first
 * word, by the unit's name style. */
int core_name_for_citizen(struct ctx *x, const char *unit_id, const char *user_id, json_t **out);

/* The deadline configuration made readable (core_settings.c). */
int core_categories_list(struct ctx *x);
/* GET /api/v1/service: the categories as categories.list gives them, without their units, and
 * the configured emergency numbers, exit address and privacy contacts. 0, or -1 when the
 * store failed. */
int core_service(struct ctx *x);
int core_queue_settings(struct ctx *x);

/* End-to-end encryption (core_keys.c): key records, formats checked, content never. */
/* Key objects (core_ctx.c): base64url (no padding) of len bytes as a new JSON string; NULL
 * when out of memory. */
json_t *core_b64_json(const uint8_t *data, size_t len);
/* Decodes the base64url string `b64` into out (at most cap bytes) and sets *len; with exact != 0
 * the length must be exactly cap. 0, or 0 with a bad_request naming `field` set. */
int core_b64_decode(struct ctx *x, const char *b64, const char *field, uint8_t *out, size_t cap, size_t *len,
		    int exact);
int core_keys_unit(struct ctx *x);
int core_keys_mine(struct ctx *x);
int core_keys_bundle_put(struct ctx *x);
int core_keys_enrol(struct ctx *x);
/* A citizen's identities and devices (core_devices.c). */
int core_device_add(struct ctx *x);
int core_identity_add(struct ctx *x);
int core_device_list(struct ctx *x);
int core_device_remove(struct ctx *x);
int core_device_request(struct ctx *x);
int core_device_challenge(struct ctx *x);
int core_device_reveal(struct ctx *x);
int core_device_approve(struct ctx *x);
int core_recovery_put(struct ctx *x);
int core_recovery_get(struct ctx *x);
/* Removes the user's devices unused for longer than device_idle_ms. 0 or -1. */
int core_devices_expire(struct ctx *x, const char *user_id);
/* Which of the caller's (a citizen's) current devices signed the envelope `env`: *ok 1 with
 * its kid, after the devices unused for device_idle_ms are removed (only when one is due:
 * the cache remembers when). A signer that core_request_prepare verified over these very
 * bytes is trusted when its kid and key are still one of the caller's devices; otherwise
 * every device's key is tried. The signer is marked used (device_touch) when its last use
 * is a minute old or more. 0, or -1 when the store failed. */
int core_devices_signer(struct ctx *x, const uint8_t *env, size_t len, int *ok, uint8_t kid[STORE_KID_BYTES]);
/* The citizen's identities as thread.keys and device.list give them, and their devices. 0 or -1. */
int core_put_identities(struct ctx *x, json_t *obj, const char *user_id);
int core_thread_prepare(struct ctx *x);
int core_thread_keys(struct ctx *x);
int core_wrap_put(struct ctx *x);
/* thread.open: the id the citizen prepared (field "thread"), or a fresh one, after checking the
 * first message's envelope (core_keys_check_envelope). 0 or -1; sets ctx->err when the prepared
 * id is unknown, used or another citizen's, or the body does not qualify. */
int core_keys_thread_id(struct ctx *x, char id[STORE_ID_SIZE], const uint8_t *body, size_t len);
/* Whether `thread_id` is a thread the caller (a citizen) prepared and has not opened yet, after
 * dropping the caller's prepared threads older than a day. 0 with *mine set, or -1. */
int core_keys_prepared(struct ctx *x, const char *thread_id, int *mine);
/* Drops everyone's prepared threads not opened within a day (their files are orphans then,
 * core_files_purge). 0 or -1. */
int core_keys_prepared_expire(struct ctx *x);
/* A resent thread.prepare: its stored reply (without the share) gets the thread's share again
 * from the shred store; a share gone (shredded) is not_found. 0 (or ctx->err set) or -1. */
int core_keys_prepare_refill(struct ctx *x, json_t *reply);
/* thread.open and message.send, with require_envelopes: the body must be an envelope of thread
 * `t` signed by one of the caller's keys. 0 (ctx->err set when not), or -1. */
int core_keys_check_envelope(struct ctx *x, const struct store_thread *t, enum policy_action action,
			     const uint8_t *body, size_t len);
/* The certificates of the staff signing keys with these kids (n of them) and of their issuers,
 * each once, appended to arr as base64url: what a reader of thread.read needs to chain every
 * staff sender to the root key. A kid without a certificate adds nothing. 0 or -1. */
int core_keys_sender_certs(struct ctx *x, const uint8_t (*kids)[16], size_t n, json_t *arr);
/* A helper of core_keys.c for core_rekey_put.c: a wrap checked as wrap.put checks it (*ok 1
 * acceptable, 0 not allowed, -1 malformed; -1 when the store failed). */
struct advice_wrap_info;
int core_keys_wrap_check(struct ctx *x, const struct store_thread *t, const uint8_t *w, size_t len,
			 struct advice_wrap_info *wi, int *ok);
/* Re-keying (core_rekey.c). keys.unit: the unit log after the request's "log_after" into the
 * result ("log", "log_more"). thread.keys: the thread's epoch events ("epochs", "epoch").
 * A body that is an envelope of thread `t` must use the thread's current epoch, a wrap put
 * with wrap.put no epoch newer than it (conflict otherwise). Each 0 (ctx->err set when
 * refused) or -1. */
int core_rekey_unit_log(struct ctx *x, const char *unit_id);
int core_rekey_thread_epochs(struct ctx *x, const char *thread_id);
int core_rekey_check_body(struct ctx *x, const struct store_thread *t, const uint8_t *body, size_t len);
int core_rekey_check_wrap_epoch(struct ctx *x, const struct store_thread *t, const char *field,
				uint32_t epoch);
/* The thread's current epoch and a copy of its event (*event NULL at epoch 0; the caller
 * frees it). 0 or -1. */
int core_rekey_current(struct ctx *x, const char *thread_id, int64_t *epoch, uint8_t **event, size_t *len);
/* thread.rekey (core_rekey_put.c). */
int core_thread_rekey(struct ctx *x);
/* Attachments (core_files.c). core_file_chunk checks a CORE_REQ_CHUNK: it fills ctx->result
 * with the whole file.chunk event (outcome in "code"), or hands the chunk on to the chunk
 * writer (rep->chunk; answered later by core_chunk_record); 0 or -1 when the store failed. */
int core_file_begin(struct ctx *x);
int core_file_status(struct ctx *x);
int core_file_get(struct ctx *x);
int core_file_chunk(struct ctx *x);
/* Deletes up to `max` files (blobs and records) whose thread is neither opened nor prepared:
 * prepared threads dropped unopened or shredded. Their count into *n. 0 or -1. */
int core_files_purge(struct ctx *x, size_t max, size_t *n);

/* CORE_REQ_ADMIN: an advicectl command from the admin socket (core_admin.c); fills
 * ctx->result or ctx->err. 0, or -1 when the store failed. */
int core_admin(struct ctx *x);

/* Logins (core_login.c): fill ctx->result / ctx->err and rep->http_status. */
int core_login_citizen(struct ctx *x);
int core_login_start(struct ctx *x);
int core_login_worker(struct ctx *x);
int core_logout(struct ctx *x);
/* The end of a bank-ID login (core_bank.c): the login is used once, then the citizen's session. */
int core_login_bank(struct ctx *x);
/* A worker's second factor: enrolment before the first login with it (core_login.c). */
int core_login_enrol(struct ctx *x);
/* Revokes every live session of a user and lists them in rep->ended (core_login.c). 0 or -1. */
int core_end_user_sessions(struct ctx *x, const char *user_id);
/* Revokes up to `limit` sessions past their end or of ended accounts, into rep->ended. 0 or -1. */
int core_end_due_sessions(struct ctx *x, int limit);
/* Removes the user's ("" = everyone's) memberships whose end has come and ends the sessions
 * of their users. 0 or -1. */
int core_roles_expire(struct ctx *x, const char *user_id);
/* session.logout (core_session.c): revokes the caller's session. */
int core_session_logout(struct ctx *x);
/* session.extend (core_session.c): records activity now; replies with both ends. */
int core_session_extend(struct ctx *x);
/* TICK, every cfg.session_check_ms: ends the sessions of ended accounts and roles and of
 * sessions past their end, and tells the network layer to close them (core_session.c). */
int core_session_check(struct ctx *x);
/* CORE_REQ_TICK: stored replies and ended sessions past their keeping time are deleted
 * (core_purge.c). 0 or -1. */
int core_purge_check(struct ctx *x);
/* TICK (core_retention.c): every pending shred one phase on; hourly, the due threads marked.
 * 0 or -1 (store failed). */
int core_retention_tick(struct ctx *x);
/* Idempotency records (core_replay.c): the ok reply in ctx->rep of a `type` write as stored,
 * without the secrets it may carry, or for message.send a reference to what it is rebuilt
 * from (malloc'd; NULL when out of memory or the reply is not JSON). */
char *core_replay_record(struct ctx *x, const char *type);
/* Replays a stored record of a `type` write into ctx->rep, its secrets read again from their
 * stores; a secret that is gone (a shredded thread) answers not_found. 1 (reply built), 0
 * (ctx->err set), or -1 when the store failed. */
int core_replay(struct ctx *x, const char *type, const char *stored);

/* The staff app's server side (issue 17). */
/* The collision guard (core_presence.c), in memory only. */
#define CORE_PRESENCE_LAPSE_MS	 60000		 /* an entry lapses this long after its last refresh */
#define CORE_PRESENCE_PER_THREAD 16		 /* viewers kept per thread */
#define CORE_PRESENCE_MAX	 4096		 /* viewers kept in all */
void core_viewers_free(struct core_viewers *vs); /* NULL is fine */
int core_thread_presence(struct ctx *x);
/* TICK: drops the entries that lapsed and tells their units. 0 or -1. */
int core_presence_tick(struct ctx *x);
/* After any request: drops the entries of the sessions the reply ends (rep->end_session,
 * rep->ended) and tells their units. 0 or -1. */
int core_presence_sessions_ended(struct ctx *x);
/* thread.reassign, after the move of `t` from `old_unit`: drops the viewers who are not staff
 * of its unit now and tells both units. 0 or -1. */
int core_presence_moved(struct ctx *x, const struct store_thread *t, const char *old_unit);
/* Roster and closed days (core_roster.c). */
#define CORE_UNIT_CAL_DAYS 600 /* a unit's own closed days its calendar holds */
#define CORE_CAL_DAYS	   (CAL_MAX_CLOSED + CORE_UNIT_CAL_DAYS)
/* The calendar of `unit_id`'s queues: the service's closed days and the unit's own (those of
 * the last year and ahead), into buf. unit_id NULL or "": the service's only. 0 or -1. */
int core_unit_calendar(struct ctx *x, const char *unit_id, struct calendar *cal, int32_t buf[CORE_CAL_DAYS]);
/* Whether the caller may make `action` on unit `unit_id`: a member (with `supervise`, a
 * supervisor) of it. 0; 0 with not_found (field /unit) for a unit that does not exist, or
 * forbidden (logged) for one the caller may not use; -1 when the store failed. */
int core_unit_for(struct ctx *x, const char *unit_id, enum policy_action action, int supervise);
/* An access-log row of the caller about unit `unit_id` (object "unit:<id>"). 0 or -1. */
int core_unit_audit(struct ctx *x, const char *unit_id, const char *action, const char *client,
		    const char *outcome);
int core_roster_get(struct ctx *x);
int core_roster_set(struct ctx *x);
int core_closed_set(struct ctx *x);
/* dashboard.changed of `unit_id` to its connected supervisors (core_queue.c). 0 or -1. */
int core_queue_dashboard_changed(struct ctx *x, const char *unit_id);
/* Monitoring of use (core_audit_query.c). */
int core_audit_query(struct ctx *x);
/* The citizen's log report (core_log_report.c; PROTOCOL.md §14.2). */
int core_log_report(struct ctx *x);
/* Internal notes and canned answers (core_notes.c, core_canned.c; PROTOCOL.md §12.7, §12.8).
 * Limits that keep every note.list and canned.list reply within ADVICE_MAX_REPLY_BYTES. */
#define CORE_NOTES_MAX	      200	   /* notes per thread */
#define CORE_NOTES_MAX_BYTES  (100 * 1024) /* their boxes together */
#define CORE_CANNED_MAX	      200	   /* canned answers per unit */
#define CORE_CANNED_MAX_BYTES (128 * 1024) /* their boxes together */
#define CORE_CANNED_LIST_MAX  500	   /* answers in one canned.list (authors' certificates) */
int core_note_add(struct ctx *x);
int core_note_list(struct ctx *x);
int core_canned_list(struct ctx *x);
int core_canned_put(struct ctx *x);
int core_canned_delete(struct ctx *x);
/* Decodes the request's base64url field `name` into *box (malloc'd, ADVICE_UNIT_TEXT_MAX_BYTES;
 * the caller frees it, also on error): 0 (bad_request set when it is no base64url or too long)
 * or -1 when out of memory. */
int core_unit_text_decode(struct ctx *x, const char *name, uint8_t **box, size_t *len);
/*
 * A unit text the caller sends (`field` names it, "/note"): its format and kind, sealed to
 * unit_id, of scope_id (hex), to a key generation the unit has (bad_request with field set
 * otherwise); fills *info. *signed_ok tells whether one of the caller's certificate keys signed
 * it (always 1 without require_envelopes, in test mode): the caller refuses it as forbidden
 * (logged) otherwise. 0 or -1 when the store failed.
 */
struct advice_unit_text_info;
int core_unit_text_check(struct ctx *x, const char *field, uint8_t kind, const char *unit_id,
			 const char *scope_id, const uint8_t *box, size_t len,
			 struct advice_unit_text_info *info, int *signed_ok);
/* The author kid of a stored unit text. 0, or -1 when it is too short to have one. */
struct store_unit_text;
int core_unit_text_author(const struct store_unit_text *t, uint8_t kid[16]);

/* Consent and the records connector (issue 18; PROTOCOL.md §14.3-14.5). */
/* The connector as a caller (core_connector.c). */
void core_connector_challenges_free(struct core_connector_challenges *ch); /* NULL is fine */
/* load_session for a connector's session: its account still live (else the session ends:
 * unauthenticated), the units whose seeds it holds into x->units. 0 (ctx->err set) or -1. */
int core_connector_session(struct ctx *x);
/* The connector whose recipient kid is `kid`, not ended, with a connector certificate that
 * verifies to the root now and names that key: 1 (*c filled), 0 none, -1 store failure. */
int core_connector_live(struct ctx *x, const uint8_t kid[STORE_KID_BYTES], struct store_connector *c);
int core_login_connector_start(struct ctx *x);
int core_login_connector(struct ctx *x);
/* Consents (core_consent.c) and hand-overs and export orders (core_handover.c). */
int core_consent_give(struct ctx *x);
int core_consent_withdraw(struct ctx *x);
int core_handover_pending(struct ctx *x);
int core_handover_done(struct ctx *x);
int core_export_pending(struct ctx *x);
int core_export_done(struct ctx *x);
/* The snapshot fields of thread t: "consent" (its latest consent, or null) and "handed_over",
 * into obj. 0 or -1. */
int core_consent_summary(const struct ctx *x, const struct store_thread *t, json_t *obj);
/* The Consent object of the protocol; NULL when out of memory. */
json_t *core_consent_json(const struct store_consent *c);
/*
 * thread.rekey's checks and writes for a request naming the thread, its event (field
 * `event_field`) and its wraps ("wraps"), on behalf of `action` (refusals logged as it): the
 * event starts the next epoch, chains to the current one, is signed by the caller and, with
 * reason != 0, gives that reason; each wrap goes to one of its recipients. Stores the event
 * and the wraps; *epoch gets the new epoch. 0 (ctx->err set when refused) or -1.
 */
int core_rekey_apply(struct ctx *x, const struct store_thread *t, enum policy_action action,
		     const char *event_field, int reason, uint32_t *epoch);

/* Metrics (core_metrics.c, metrics.h). */
/* Gives metrics.h the labels of requests (kinds, the request table, the error codes). 0, or
 * -1 when the tables do not fit. */
int core_metrics_labels(void);
/* Counts the request `x` answered with handler outcome `rc` (-1: the store failed). */
void core_metrics_count(const struct ctx *x, int rc);
/* TICK: when a scrape asked, publishes the queues' figures and the notifier's backlog. Always
 * 0: a failed read leaves the figures out, it does not fail the tick. */
int core_metrics_tick(struct ctx *x);

#endif
