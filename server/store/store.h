/*
 * store.h - the persistent store, seen by the core as domain operations.
 *
 * The core never writes SQL: it calls these operations through `struct store_ops`, one
 * table per domain (st->ops->thread->get(st, ...)), so a second implementation (PostgreSQL)
 * can be written domain by domain beside the SQLite one (store_sqlite_<domain>.c). Every
 * operation returns STORE_OK, STORE_NOTFOUND, STORE_EXISTS or STORE_ERROR; what each
 * guarantees is said above struct store_tx_ops. Times are milliseconds since the Unix
 * epoch, UTC. Ids are 32 lowercase hex digits (ADVICE_ID_HEX).
 *
 * Threading: one `struct store` is used by one thread at a time. The core thread holds the
 * writable store; the network thread may hold a second one opened read-only.
 */
#ifndef ADVICE_STORE_H
#define ADVICE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "advice_proto.h"

enum { STORE_OK = 0, STORE_NOTFOUND = 1, STORE_EXISTS = 2, STORE_ERROR = -1 };
/* STORE_IMMUTABLE: read-only for a file no process writes meanwhile (the caller holds the
 * data folder's lock): opens nothing else, not even -wal and -shm files (--check-config). */
enum store_mode { STORE_READWRITE, STORE_READONLY, STORE_IMMUTABLE };

#define STORE_ID_SIZE	  (ADVICE_ID_HEX + 1)
#define STORE_NAME_SIZE	  129 /* names of units, queues, categories, users: 128 bytes */
#define STORE_HASH_BYTES  32
#define STORE_PERSON_SIZE 129 /* a staff member's display name or title: 128 bytes */

enum store_role { ROLE_NONE = 0, ROLE_CITIZEN, ROLE_WORKER, ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_CONNECTOR };

enum thread_state {
	THREAD_NEW = 0,	 /* in the queue, nobody has claimed it */
	THREAD_CLAIMED,	 /* a worker has it; the citizen waits for an answer */
	THREAD_ANSWERED, /* the worker answered */
	THREAD_WAITING,	 /* the worker asked the citizen for more */
	THREAD_CLOSED
};

struct store_session {
	uint8_t hash[STORE_HASH_BYTES]; /* keyed hash of the token; the token itself is never stored */
	char user_id[STORE_ID_SIZE];
	enum store_role role; /* ROLE_CITIZEN or ROLE_WORKER (staff; unit roles come from membership) */
	int64_t created, last_seen, idle_ms, expires; /* expires: absolute end */
	int revoked;
};

struct store_worker {
	char user_id[STORE_ID_SIZE];
	char username[STORE_NAME_SIZE];
	uint8_t salt[ADVICE_SALT_BYTES];
	uint64_t opslimit, memlimit;
	uint8_t auth_hash[STORE_HASH_BYTES]; /* keyed hash of the client-derived authentication key */
	int failures;			     /* consecutive failed logins */
	int64_t locked_until;		     /* 0: not backing off */
	int64_t locked_at;		     /* when the failures locked it (0: not locked; lockout.h) */
};

struct store_membership {
	char unit_id[STORE_ID_SIZE];
	enum store_role role; /* ROLE_WORKER or ROLE_SUPERVISOR */
	int64_t ends;	      /* the role ends at this time (role_end_set); 0: no end */
};

struct store_unit {
	char id[STORE_ID_SIZE];
	char name[STORE_NAME_SIZE];
};

struct store_queue {
	char id[STORE_ID_SIZE];
	char unit_id[STORE_ID_SIZE];
	char category[STORE_NAME_SIZE]; /* service area, e.g. "adult-social-work" */
	char name[STORE_NAME_SIZE];
};

struct store_thread {
	char id[STORE_ID_SIZE];
	char citizen_id[STORE_ID_SIZE];
	char queue_id[STORE_ID_SIZE];
	char unit_id[STORE_ID_SIZE];	 /* filled by reads (from the queue) */
	char category[STORE_NAME_SIZE];	 /* filled by reads (from the queue) */
	char assignee_id[STORE_ID_SIZE]; /* "" when nobody */
	enum thread_state state;
	int64_t created, updated;
	int64_t last_seq; /* server sequence number of the newest message */
	/* Read with the thread by thread->get only (has_extras 1), so that a message costs no
	 * separate look-ups: whether the thread is restricted, and its deadline clock's state
	 * (-1: no clock). Every other read leaves has_extras 0: read them apart then. */
	int has_extras;
	int restricted;
	int clock_state;
};

struct store_message {
	char thread_id[STORE_ID_SIZE];
	int64_t seq;
	char sender_id[STORE_ID_SIZE];
	enum store_role sender_role;
	int64_t created;
	const uint8_t
		*body; /* opaque ciphertext; points into store memory on reads, valid during the callback */
	size_t body_len;
	/* The message id of an envelope body (unique in its thread); writes only. */
	int has_message_id;
	uint8_t message_id[16];
};

struct store_audit {
	int64_t row;  /* assigned by the store on append */
	int64_t time; /* UTC ms */
	char user_id[STORE_ID_SIZE];
	enum store_role role;
	char unit_id[STORE_ID_SIZE];
	char client[STORE_ID_SIZE]; /* client pseudonym: the citizen's user id, "" when none */
	char object[80];	    /* "thread:<id>", "session", ... */
	char action[32];	    /* "read", "claim", "deny:thread.read", ... */
	char outcome[16];	    /* "ok", "denied", "failed" */
	uint8_t prev[STORE_HASH_BYTES];
	uint8_t hash[STORE_HASH_BYTES];
};

/* Duty queues (issue 5): unit and queue settings, roster, duty, deadline clocks,
 * reassignments, notification contacts and the notification outbox. */
#define STORE_LANGS_SIZE 16   /* "fi,sv,en" */
#define STORE_EMAIL_SIZE 255  /* an address of up to 254 bytes */
#define STORE_PHONE_SIZE 17   /* E.164: + and up to 15 digits */
#define STORE_REASON_MAX 2000 /* bytes of a reassignment reason (500 characters) */

struct store_unit_settings {
	char unit_id[STORE_ID_SIZE];
	char langs[STORE_LANGS_SIZE]; /* languages served, "fi,sv"; "" = every language */
	int open_min, close_min;      /* service hours on working days, local minutes (default 480..960) */
};

struct store_queue_settings {
	char queue_id[STORE_ID_SIZE];
	int policy;			 /* enum queue_policy (routing.h) */
	int cap;			 /* least-loaded: most open threads per worker, 0 = none */
	char fallback_id[STORE_ID_SIZE]; /* queue used when nobody is on duty, "" = none */
	int first_days, follow_days;	 /* deadlines in working days (default 3 and 3) */
	int warn_pct;			 /* warning at this share of the time, 1..99 (default 75) */
	char rr_last[STORE_ID_SIZE];	 /* the user chosen last (round-robin and ties) */
};

struct store_roster {
	int64_t id; /* set by roster_add */
	char user_id[STORE_ID_SIZE];
	char unit_id[STORE_ID_SIZE];
	unsigned days;
	int start_min, end_min, on_holidays;
};

struct store_duty {
	char user_id[STORE_ID_SIZE];
	int mode;      /* enum duty_mode (roster.h) */
	int64_t until; /* 0: until changed */
	int64_t updated;
};

struct store_member {
	char user_id[STORE_ID_SIZE];
	char username[STORE_NAME_SIZE];
	char name[STORE_PERSON_SIZE], title[STORE_PERSON_SIZE]; /* display name and title, "" = none */
	enum store_role role;
	int load;	      /* threads assigned to the user that are not closed */
	int64_t role_ends;    /* the membership ends at this time; 0: no end */
	int64_t account_ends; /* the account ends at this time; 0: no end */
};

enum store_clock_kind { CLOCK_NONE = 0, CLOCK_FIRST = 1, CLOCK_FOLLOW = 2 };
enum store_clock_state { CLOCK_STOPPED = 0, CLOCK_RUNNING = 1, CLOCK_PAUSED = 2 };
enum store_clock_level { LEVEL_OK = 0, LEVEL_AT_RISK = 1, LEVEL_MISSED = 2 };

/* The deadline clock of a thread and its language. */
struct store_clock {
	char thread_id[STORE_ID_SIZE];
	char lang[4];
	int kind, state, level;
	int64_t start;	 /* when the current running stretch began */
	int64_t used;	 /* working ms consumed before `start` */
	int64_t budget;	 /* working ms allowed */
	int64_t warn_at; /* instants computed when the clock (re)started */
	int64_t due;
};

struct store_queue_stats {
	char queue_id[STORE_ID_SIZE];
	char category[STORE_NAME_SIZE];
	int waiting;	/* threads in state new */
	int64_t oldest; /* created of the oldest waiting thread, 0 when none */
	int at_risk;	/* running clocks past the warning */
	int missed;	/* running clocks past the deadline */
	int open;	/* threads not closed */
};

/* What a citizen has used (issue 14): threads not closed (kept by the store with every write
 * of a thread) and, on one local day, threads opened and bytes of messages written. */
struct store_usage {
	int64_t open, threads, bytes;
};

struct store_reassign {
	char thread_id[STORE_ID_SIZE];
	char by_user[STORE_ID_SIZE];
	char from_user[STORE_ID_SIZE], to_user[STORE_ID_SIZE]; /* "" = nobody */
	char from_queue[STORE_ID_SIZE], to_queue[STORE_ID_SIZE];
	char reason[STORE_REASON_MAX + 1];
	int64_t audit_row; /* the access-log row of the reassignment */
	int64_t time;
};

/* A citizen's notification contact, kept only for notifications. */
struct store_contact {
	char citizen_id[STORE_ID_SIZE];
	char email[STORE_EMAIL_SIZE]; /* "" = no e-mail */
	char phone[STORE_PHONE_SIZE]; /* "" = no SMS */
	char lang[4];
	int64_t updated;
};

enum store_channel { CHANNEL_EMAIL = 1, CHANNEL_SMS = 2 };
enum store_outbox_state {
	OUTBOX_PENDING = 0,
	OUTBOX_SENDING = 1,
	OUTBOX_SENT = 2,
	OUTBOX_FAILED = 3,
	OUTBOX_CANCELLED = 4
};

struct store_outbox {
	char id[STORE_ID_SIZE]; /* also the Message-ID and the SMS idempotency key */
	char citizen_id[STORE_ID_SIZE];
	int channel, state, attempts;
	int64_t next_at;		/* pending: not before then */
	char attempt_id[STORE_ID_SIZE]; /* set when an attempt starts */
	int64_t created, updated;
};

typedef int (*store_roster_cb)(void *arg, const struct store_roster *r);
typedef int (*store_member_cb)(void *arg, const struct store_member *m);
typedef int (*store_clock_cb)(void *arg, const struct store_clock *c);
typedef int (*store_queue_stats_cb)(void *arg, const struct store_queue_stats *s);

typedef int (*store_unit_cb)(void *arg, const struct store_unit *u);
typedef int (*store_worker_cb)(void *arg, const struct store_worker *w);
/* One language route: threads of `category` in `lang` go to queue `queue_id`. */
typedef int (*store_route_cb)(void *arg, const char *category, const char *lang, const char *queue_id);
/* One closed day and its name. */
typedef int (*store_closed_cb)(void *arg, int32_t day, const char *name);

typedef int (*store_thread_cb)(void *arg, const struct store_thread *t);

/* Thread lists (issue 13). The store keeps one change counter per database: every change to
 * what a list shows of a thread (insert, state, assignee, last_seq, updated, queue, deadline
 * clock) gives the thread the counter's next value, and so does every change of a user's read
 * state of a thread (to that user's row only). Values only grow and each is given once. */

/* A thread as one user's list shows it. */
struct store_thread_view {
	struct store_thread t;
	int64_t change;	  /* the larger of the thread's change and of the user's read-state change */
	int64_t read_seq; /* the user's last seq read, 0 when none */
	int64_t unread;	  /* messages after read_seq that the user did not send */
	int has_clock;	  /* 0: no deadline clock (clock is zeros) */
	struct store_clock clock;
};

enum store_assignee_filter { STORE_ASSIGNEE_ANY = 0, STORE_ASSIGNEE_ME = 1, STORE_ASSIGNEE_NOBODY = 2 };

/* What a thread list asks for. */
struct store_thread_query {
	const char *user_id;
	int citizen;	       /* 1: the citizen's own threads; 0: the threads of the user's units */
	int64_t changed_since; /* -1: every thread, latest activity first; else by change, those after it */
	/* Every thread only (a list by change is not filtered): */
	unsigned state_mask;		     /* bit (1 << state) for each state listed; 0 = every state */
	enum store_assignee_filter assignee; /* whose threads: ME is user_id */
	int64_t before_updated; /* the page after (before_updated, before_id); -1: from the top */
	const char *before_id;
	int limit;
};
typedef int (*store_thread_view_cb)(void *arg, const struct store_thread_view *v);
/* A thread that left a unit of the user, with the change of its departure. */
typedef int (*store_departure_cb)(void *arg, const char *thread_id, int64_t change);
typedef int (*store_message_cb)(void *arg, const struct store_message *m);
typedef int (*store_queue_cb)(void *arg, const struct store_queue *q);
typedef int (*store_audit_cb)(void *arg, const struct store_audit *a);

/* End-to-end encryption (issue 4): one stored key record (bytes the store never interprets). */
#define STORE_KEY_BYTES 32
#define STORE_KID_BYTES 16
struct store_key_blob {
	char owner[STORE_ID_SIZE];    /* the user, unit or thread the record belongs to */
	int64_t n;		      /* generation, epoch, certificate role, or creation time */
	uint8_t kid[STORE_KID_BYTES]; /* recipient, subject or device kid */
	const uint8_t *data;	      /* the object; valid during the callback */
	size_t len;
	const uint8_t *extra; /* a second object (chain box, device signing key) or NULL */
	size_t extra_len;
	int64_t m;	      /* a second time (a device's last use), 0 when the record has none */
	const uint8_t *third; /* a third object (an answered device request's wrap) or NULL */
	size_t third_len;
};
typedef int (*store_key_cb)(void *arg, const struct store_key_blob *b);

/* An encrypted attachment being uploaded or stored (the chunks live in the blob folder). */
struct store_file {
	char id[STORE_ID_SIZE]; /* chosen by the uploading client: it is bound into the ciphertext */
	char thread_id[STORE_ID_SIZE];
	char owner_id[STORE_ID_SIZE]; /* the uploader */
	int64_t size;		      /* plaintext bytes (the ciphertext adds 17 per chunk) */
	int64_t chunks, received;     /* chunks in all, chunks stored so far (in order) */
	int complete;
	int64_t created;
};

/* Staff accounts (issue 3): the second factor, first-login setup, end dates, password age. */
#define STORE_TOTP_BOX_MAX 128 /* a sealed TOTP secret (staff.h) */
struct store_staff {
	char user_id[STORE_ID_SIZE];
	uint8_t totp[STORE_TOTP_BOX_MAX]; /* the enrolled secret, sealed; totp_len 0: none */
	size_t totp_len;
	uint8_t totp_pending[STORE_TOTP_BOX_MAX]; /* a secret offered by enrolment, not yet confirmed */
	size_t totp_pending_len;
	int64_t totp_last_step;		      /* the last TOTP step used (a code is good once); -1: none */
	int64_t password_set;		      /* when the authentication key was last set; 0: unknown */
	int64_t ends;			      /* the account ends at this time; 0: no end */
	uint8_t setup_hash[STORE_HASH_BYTES]; /* keyed hash of the one-time setup code */
	int has_setup;			      /* a setup code is pending (the password is not set) */
	int64_t setup_expires;
};
/* What staff and citizens see of a staff member (issue 13): a display name and a title,
 * set by an administrator. Citizens see the name as their unit's style allows. */
struct store_staff_name {
	char user_id[STORE_ID_SIZE];
	char name[STORE_PERSON_SIZE];  /* "Anna Virtanen" */
	char title[STORE_PERSON_SIZE]; /* "Social worker"; "" = none */
};
enum store_name_style {
	NAME_STYLE_FIRST = 0, /* citizens see the first name and the title (the default) */
	NAME_STYLE_FULL = 1   /* citizens see the full name and the title */
};
/* A membership that ended (role_expire), or a session ended by session_end_due/_revoke_user. */
typedef int (*store_role_end_cb)(void *arg, const char *user_id, const char *unit_id);
typedef int (*store_session_end_cb)(void *arg, const uint8_t hash[STORE_HASH_BYTES], const char *user_id);
/* A live session as session_ending lists it. */
typedef int (*store_session_cb)(void *arg, const struct store_session *s);

/* Staff tools (issue 17): a unit's own closed days, and the supervisors' view of the access
 * log with the reason of a move beside its row. */
#define STORE_DAY_NOTE_MAX 800 /* bytes of a closed day's note (200 characters) */

struct store_unit_day {
	char unit_id[STORE_ID_SIZE];
	int32_t day; /* calendar.h day number */
	int has_note;
	char note[STORE_DAY_NOTE_MAX + 1];
};
typedef int (*store_unit_day_cb)(void *arg, const struct store_unit_day *d);

/* Which access-log rows audit_query gives, newest first. Empty strings and zeros: no filter. */
#define STORE_QUERY_UNITS 32
struct store_audit_query {
	char units[STORE_QUERY_UNITS][STORE_ID_SIZE]; /* rows of these units or their threads */
	size_t nunits;				      /* at least 1 */
	char user_id[STORE_ID_SIZE];
	char client[STORE_ID_SIZE];
	int64_t from, to; /* time in [from, to]; 0: open */
	int64_t before;	  /* rows before this row number; 0: from the newest */
	int limit;
};
/* One row as the supervisors see it: the row, its actor's username ("" = none, not staff) and
 * the reason kept with a move ("" = none). */
struct store_audit_view {
	struct store_audit a;
	char username[STORE_NAME_SIZE];
	char reason[STORE_REASON_MAX + 1];
};
typedef int (*store_audit_view_cb)(void *arg, const struct store_audit_view *v);

struct store;

/*
 * The operations, grouped by domain: an implementation provides one table per domain (in
 * SQLite, one file per domain) and `struct store_ops` points at them.
 *
 * What every operation guarantees, unless its comment says otherwise:
 *
 *   - Atomic with the batch. Writes happen inside the transaction the dispatcher opened
 *     (tx->begin) and inside the savepoint of the request; none commits by itself, so
 *     every write is kept or undone with its request and made durable by the batch's
 *     commit. Reads see the batch's own writes.
 *   - Returns: STORE_OK; STORE_EXISTS when a unique key is taken; STORE_NOTFOUND when a
 *     lookup finds no row; STORE_ERROR on I/O, memory or any other constraint failure
 *     (logged; the handler fails and the dispatcher rolls its request back to the
 *     savepoint). A lookup or a one-row write that does not return STORE_OK has written
 *     nothing, so the caller may go on; a write of several rows (worker_insert,
 *     citizen_get_or_create, contact_delete, role_expire, ...) may have written its first
 *     rows, and a caller that goes on after its failure must roll the request back.
 *     Outputs are meaningful only on STORE_OK unless the operation's comment says otherwise.
 *   - Updates and deletes of one row return STORE_NOTFOUND when the row does not exist:
 *     session touch and revoke, worker_set_login_state, worker_set_auth, membership_remove,
 *     role_end_set, route_put with "", roster_delete, closed_day_delete, thread update,
 *     contact_delete, outbox_update. Other writes that match nothing return STORE_OK.
 *   - Lists call cb once per row in the order their comment gives and stop early, still
 *     returning STORE_OK, when cb returns non-zero. Pointers passed to cb are valid during
 *     the callback only.
 *   - Strings are NUL-terminated and bounded by the STORE_*_SIZE of their field; ids are
 *     STORE_ID_SIZE, "" meaning none where the field says so.
 */

/* What a change generation (store_tx_ops.generation) watches. */
enum store_gen {
	/* Sessions (every column but last_seen: session touch does not count; insert neither,
	 * as no cache can hold a session not yet made), memberships, role ends and users. */
	STORE_GEN_SESSIONS,
	/* Citizens' devices (e2e_devices: every column but last_used; device_touch does not
	 * count), staff certificates (e2e_certs) and users. */
	STORE_GEN_DEVICES,
	STORE_GEN__COUNT
};

/* Transactions: one outer transaction per batch, a savepoint per request. */
struct store_tx_ops {
	/* Opens the batch's write transaction (takes the database's write lock). */
	int (*begin)(struct store *st);
	/* Makes every write of the batch durable before it returns STORE_OK (an acknowledgement
	 * may follow); STORE_ERROR leaves nothing of the batch promised. */
	int (*commit)(struct store *st);
	/* Undoes the batch; STORE_OK also when the implementation already ended it. */
	int (*rollback)(struct store *st);
	/* A request's savepoint: opened, released (kept in the batch) or rolled back to (its
	 * writes undone, the batch's earlier requests kept). */
	int (*savepoint)(struct store *st);
	int (*release)(struct store *st);
	int (*rollback_to)(struct store *st);
	/* 1 while a transaction is open. SQLite ends one by itself after some I/O errors. */
	int (*in_transaction)(struct store *st);
	/* A change generation for the caches of the core (core_authcache.c): bumped by every
	 * write, committed or not, to what `which` watches, and by every rollback (tx rollback
	 * and rollback_to), before the operation returns; a cache entry read at generation g is
	 * current while the generation is still g. 0: the store cannot tell (a read-only store,
	 * which others write): cache nothing. */
	uint64_t (*generation)(struct store *st, enum store_gen which);
};

/* Sessions, keyed by the keyed hash of their token. */
struct store_session_ops {
	int (*insert)(struct store *st, const struct store_session *s); /* STORE_EXISTS: hash taken */
	/* Also a revoked or expired session (the caller checks); STORE_NOTFOUND when none. */
	int (*get)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], struct store_session *out);
	int (*touch)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now); /* last_seen */
	int (*revoke)(struct store *st, const uint8_t hash[STORE_HASH_BYTES]);
	/* Revokes up to `limit` live sessions that are past their end at `now` (absolute or
	 * idle) or whose worker account has ended, calling cb (may be NULL) for each; a cb that
	 * returns non-zero is not called again, but every such session is still revoked. */
	int (*end_due)(struct store *st, int64_t now, int limit, store_session_end_cb cb, void *arg);
	/* Revokes every live session of a user, calling cb as end_due does; STORE_OK when none. */
	int (*revoke_user)(struct store *st, const char *user_id, store_session_end_cb cb, void *arg);
	/* Live sessions whose end (the earlier of `expires` and last_seen + idle_ms) falls in
	 * (from, to], earliest end first, at most `limit`. Reads only. */
	int (*ending)(struct store *st, int64_t from, int64_t to, int limit, store_session_cb cb, void *arg);
	/* Deletes up to `limit` sessions whose absolute end (`expires`, which no activity moves)
	 * is before `before`, earliest first; *n gets how many. */
	int (*purge)(struct store *st, int64_t before, int limit, int *n);
};

/* Citizens' identity (issue 3). */
struct store_identity_ops {
	/* Citizens are keyed by a keyed hash of the identity code; `new_id` is used if absent.
	 * STORE_EXISTS when new_id is another user's id. */
	int (*citizen_get_or_create)(struct store *st, const uint8_t hetu_hash[STORE_HASH_BYTES],
				     const char *new_id, int64_t now, char out_id[STORE_ID_SIZE]);
	/* The citizen of a keyed hash of an identity code; STORE_NOTFOUND when there is none. */
	int (*citizen_find)(struct store *st, const uint8_t hetu_hash[STORE_HASH_BYTES],
			    char out_id[STORE_ID_SIZE]);
	/* Records that a bank-ID login (keyed hash of its login token) was used at `now`, first
	 * forgetting logins used before `forget_before`. STORE_EXISTS when it was used already. */
	int (*bank_login_use)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now,
			      int64_t forget_before);
};

/* Staff accounts (issue 3): workers, their memberships of units, second factor and setup,
 * end dates, and the failed-login state of unknown names. */
struct store_staff_ops {
	/* STORE_EXISTS when the user id or the username is taken. */
	int (*worker_insert)(struct store *st, const struct store_worker *w, int64_t now);
	int (*worker_get)(struct store *st, const char *username, struct store_worker *out);
	/* The worker whose user id is `user_id`. */
	int (*worker_by_id)(struct store *st, const char *user_id, struct store_worker *out);
	/* Every worker, in username order. */
	int (*worker_list)(struct store *st, store_worker_cb cb, void *arg);
	int (*worker_set_login_state)(struct store *st, const char *user_id, int failures,
				      int64_t locked_until, int64_t locked_at);
	/* Replaces a worker's keyed hash of the authentication key. */
	int (*worker_set_auth)(struct store *st, const char *user_id,
			       const uint8_t auth_hash[STORE_HASH_BYTES]);
	/* Adds a membership or changes the role of an existing one (never STORE_EXISTS). */
	int (*membership_add)(struct store *st, const char *user_id, const char *unit_id,
			      enum store_role role);
	/* Up to `max` memberships of a user in unit id order; *n is set to the number found. */
	int (*membership_list)(struct store *st, const char *user_id, struct store_membership *out,
			       size_t max, size_t *n);
	/* Ends a unit membership (the caller rotates the unit key). STORE_NOTFOUND when none. */
	int (*membership_remove)(struct store *st, const char *user_id, const char *unit_id);
	/* The end of a membership (role); ends 0 removes it. STORE_NOTFOUND: no such membership. */
	int (*role_end_set)(struct store *st, const char *user_id, const char *unit_id, int64_t ends);
	/* Removes the memberships of `user_id` ("" = everyone) whose end has come at `now`,
	 * calling cb for each; the end stays recorded (role_ended_any). */
	int (*role_expire)(struct store *st, const char *user_id, int64_t now, store_role_end_cb cb,
			   void *arg);
	/* STORE_OK when some membership of the user has ended, else STORE_NOTFOUND. */
	int (*role_ended_any)(struct store *st, const char *user_id);
	/* A worker's second factor, setup code and dates; defaults (no TOTP, no end, no setup,
	 * password_set 0, totp_last_step -1) and STORE_OK when nothing is stored. */
	int (*get)(struct store *st, const char *user_id, struct store_staff *out);
	int (*put)(struct store *st, const struct store_staff *s); /* replaces */
	/* Failed-login state of a name that has no account, keyed by a keyed hash of the name,
	 * so that unknown names back off and lock like accounts. STORE_NOTFOUND (and zeros) when
	 * none; ghost_put keeps at most a bounded number of rows, dropping the oldest unlocked. */
	int (*ghost_get)(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int *failures,
			 int64_t *locked_until, int64_t *locked_at);
	int (*ghost_put)(struct store *st, const uint8_t name_hash[STORE_HASH_BYTES], int failures,
			 int64_t locked_until, int64_t locked_at, int64_t now);
	/* A staff member's display name and title; STORE_NOTFOUND when none is set. */
	int (*name_get)(struct store *st, const char *user_id, struct store_staff_name *out);
	/* Replaces them; an empty name deletes them (STORE_OK either way). */
	int (*name_put)(struct store *st, const struct store_staff_name *n);
};

/* Units: names, settings and members. */
struct store_unit_ops {
	int (*insert)(struct store *st, const char *id, const char *name); /* STORE_EXISTS: id or name */
	/* The unit named `name`, or whose id is `name`. */
	int (*find)(struct store *st, const char *name, char out_id[STORE_ID_SIZE]);
	/* The unit whose id is `unit_id`. */
	int (*get)(struct store *st, const char *unit_id, struct store_unit *out);
	/* Every unit, in name order. */
	int (*list)(struct store *st, store_unit_cb cb, void *arg);
	/* Defaults and STORE_OK when nothing is stored. */
	int (*settings_get)(struct store *st, const char *unit_id, struct store_unit_settings *out);
	int (*settings_put)(struct store *st, const struct store_unit_settings *s); /* replaces */
	/* Members of a unit in user id order, with their open-thread load and end dates. */
	int (*members)(struct store *st, const char *unit_id, store_member_cb cb, void *arg);
	/* How the unit's citizens see staff names (enum store_name_style); NAME_STYLE_FIRST and
	 * STORE_OK when nothing is stored. */
	int (*name_style_get)(struct store *st, const char *unit_id, int *style);
	int (*name_style_put)(struct store *st, const char *unit_id, int style); /* replaces */
};

/* Queues (issue 5): queues and their settings, language routes, deadline clocks, dashboard
 * statistics and the record of reassignments. */
struct store_queue_ops {
	int (*insert)(struct store *st, const struct store_queue *q); /* STORE_EXISTS: id or category */
	int (*get)(struct store *st, const char *queue_id, struct store_queue *out);
	int (*by_category)(struct store *st, const char *category, struct store_queue *out);
	int (*list)(struct store *st, store_queue_cb cb, void *arg); /* in category order */
	/* Defaults and STORE_OK when nothing is stored. */
	int (*settings_get)(struct store *st, const char *queue_id, struct store_queue_settings *out);
	int (*settings_put)(struct store *st, const struct store_queue_settings *s); /* replaces */
	/* The explicit route of (category, language); queue_id "" in route_put deletes it
	 * (STORE_NOTFOUND when there was none). */
	int (*route_get)(struct store *st, const char *category, const char *lang,
			 char queue_id[STORE_ID_SIZE]);
	int (*route_put)(struct store *st, const char *category, const char *lang, const char *queue_id);
	/* Every explicit route, in category and language order. */
	int (*route_list)(struct store *st, store_route_cb cb, void *arg);
	/* The deadline clock of a thread; clock_put replaces, and is a change of the thread (its
	 * lists' change counter moves on, struct store_thread_view). */
	int (*clock_get)(struct store *st, const char *thread_id, struct store_clock *out);
	int (*clock_put)(struct store *st, const struct store_clock *c);
	/* Up to `limit` running clocks whose warning or deadline has come at `now` and not yet
	 * been reported, earliest deadline first. */
	int (*clock_due)(struct store *st, int64_t now, int limit, store_clock_cb cb, void *arg);
	/* Statistics of the queues of a unit, in category order. */
	int (*stats)(struct store *st, const char *unit_id, store_queue_stats_cb cb, void *arg);
	int (*reassign_insert)(struct store *st, const struct store_reassign *r); /* appends */
};

/* Who works when (issue 5): roster shifts, duty overrides and the closed days. */
struct store_duty_ops {
	int (*roster_add)(struct store *st, struct store_roster *r); /* sets r->id */
	int (*roster_delete)(struct store *st, int64_t id);
	/* Shifts of a unit ("" = every unit) and, when user_id is not NULL, of one user. */
	int (*roster_list)(struct store *st, const char *unit_id, const char *user_id, store_roster_cb cb,
			   void *arg);
	/* A user's duty override (mode DUTY_ROSTER and STORE_OK when none); putting DUTY_ROSTER
	 * deletes it. */
	int (*get)(struct store *st, const char *user_id, struct store_duty *out);
	int (*put)(struct store *st, const struct store_duty *d);
	int (*closed_day_put)(struct store *st, int32_t day, const char *name); /* replaces */
	int (*closed_day_delete)(struct store *st, int32_t day);
	/* Up to `max` closed days in ascending order. */
	int (*closed_day_list)(struct store *st, int32_t *out, size_t max, size_t *n);
	/* The closed days from `from` to `to` (day numbers, inclusive) with their names, ascending. */
	int (*closed_day_names)(struct store *st, int32_t from, int32_t to, store_closed_cb cb, void *arg);
};

/* Threads and their messages. */
struct store_thread_ops {
	int (*insert)(struct store *st, const struct store_thread *t); /* STORE_EXISTS: id taken */
	int (*get)(struct store *st, const char *id, struct store_thread *out);
	/* Writes state, assignee, updated, last_seq and queue_id. */
	int (*update)(struct store *st, const struct store_thread *t);
	/* After a new message: writes updated and last_seq, and the state when state_changed
	 * (the other columns, their indexes and triggers stay untouched). */
	int (*posted)(struct store *st, const struct store_thread *t, int state_changed);
	/* At most q->limit threads of a user's list (struct store_thread_query): every thread in
	 * order of latest activity (updated, then id, both descending), filtered; or those whose
	 * change is after q->changed_since in change order, unfiltered. */
	int (*list_view)(struct store *st, const struct store_thread_query *q, store_thread_view_cb cb,
			 void *arg);
	/* One thread as user_id's list shows it; STORE_NOTFOUND when no such thread. */
	int (*view)(struct store *st, const char *thread_id, const char *user_id,
		    struct store_thread_view *out);
	/* At most `limit` threads that left a unit of user_id after change `since` and are in none
	 * of the user's units now, in change order (the latest departure of each). */
	int (*departures)(struct store *st, const char *user_id, int64_t since, int limit,
			  store_departure_cb cb, void *arg);
	/* Raises user_id's read state of a thread to `seq`; a lower or equal seq changes nothing. */
	int (*read_set)(struct store *st, const char *user_id, const char *thread_id, int64_t seq);
	/* The change counter's current value (0 before any change): every value given so far is
	 * at most this, every later one above it, also after a restart. */
	int (*change_now)(struct store *st, int64_t *out);
	/* STORE_EXISTS when the thread has a message of that seq, or of that message id. */
	int (*message_insert)(struct store *st, const struct store_message *m);
	/* Messages after `after_seq` in seq order, at most `limit`. */
	int (*message_list)(struct store *st, const char *thread_id, int64_t after_seq, int limit,
			    store_message_cb cb, void *arg);
	/* A citizen's usage (struct store_usage) on local day `day`; zeros when none. O(1). */
	int (*usage_get)(struct store *st, const char *citizen_id, int32_t day, struct store_usage *out);
	/* Adds threads opened and message bytes written to the citizen's counts of `day`; the
	 * first addition of a later day starts them from zero. */
	int (*usage_add)(struct store *st, const char *citizen_id, int32_t day, int64_t threads,
			 int64_t bytes);
};

/* Idempotency: the stored reply of an earlier write with the same (user, request id). */
struct store_request_ops {
	/* *reply_out is malloc'd (the caller frees), NULL unless STORE_OK. */
	int (*get)(struct store *st, const char *user_id, const char *request_id, char **reply_out);
	int (*put)(struct store *st, const char *user_id, const char *request_id, const char *reply,
		   int64_t now); /* STORE_EXISTS when the pair has a reply */
	/* Deletes up to `limit` replies stored before `before`, oldest first; *n gets how many. */
	int (*purge)(struct store *st, int64_t before, int limit, int *n);
};

/* Access log: rows are appended with the hashes the caller computed (audit.c); append-only. */
struct store_audit_ops {
	int (*last)(struct store *st, struct store_audit *out); /* STORE_NOTFOUND when empty */
	int (*insert)(struct store *st, struct store_audit *a); /* sets a->row, the next row */
	int (*scan)(struct store *st, int64_t from_row, store_audit_cb cb, void *arg); /* row order */
};

/* Notifications (issue 5): citizens' contacts and the outbox the notifier sends from. */
struct store_notify_ops {
	int (*contact_get)(struct store *st, const char *citizen_id, struct store_contact *out);
	int (*contact_put)(struct store *st, const struct store_contact *c); /* replaces */
	/* Deletes the contact and cancels the citizen's unsent notifications. */
	int (*contact_delete)(struct store *st, const char *citizen_id);
	/* Adds a notification; STORE_EXISTS when a pending one (not yet being sent) of the same
	 * citizen and channel already announces the news. */
	int (*outbox_add)(struct store *st, const struct store_outbox *o);
	/* The oldest pending notification due at `now`; STORE_NOTFOUND when none. */
	int (*outbox_next)(struct store *st, int64_t now, struct store_outbox *out);
	int (*outbox_get)(struct store *st, const char *id, struct store_outbox *out);
	/* Writes state, attempts, next_at, attempt_id and updated. */
	int (*outbox_update)(struct store *st, const struct store_outbox *o);
	/* Notifications left "sending" by a crash become pending again, due at `now`. */
	int (*outbox_recover)(struct store *st, int64_t now);
	/* Notifications not yet sent (pending or being sent) into *n: the notifier's backlog. */
	int (*outbox_backlog)(struct store *st, int64_t *n);
};

/* End-to-end encryption keys (issue 4). The core checks formats first; lists call cb per
 * record (see struct store_key_blob for what n, kid, data and extra are). */
struct store_keys_ops {
	int (*root_get)(struct store *st, uint8_t pk[STORE_KEY_BYTES]); /* STORE_NOTFOUND when unset */
	int (*root_put)(struct store *st, const uint8_t pk[STORE_KEY_BYTES], int64_t now); /* once */
	int (*cert_put)(struct store *st, const char *subject_id, int role,
			const uint8_t kid[STORE_KID_BYTES], const uint8_t *cert, size_t len, int64_t now);
	/* Certificates of a subject ("" = all): owner subject, n role, kid of the subject's signing key. */
	int (*cert_list)(struct store *st, const char *subject_id, store_key_cb cb, void *arg);
	/* The certificate of the signing key with kid `kid` (at most cap bytes); STORE_NOTFOUND. */
	int (*cert_get)(struct store *st, const uint8_t kid[STORE_KID_BYTES], uint8_t *out, size_t cap,
			size_t *len);
	int (*bundle_get)(struct store *st, const char *user_id, uint8_t *out, size_t cap, size_t *len);
	int (*bundle_put)(struct store *st, const char *user_id, const uint8_t *bundle, size_t len,
			  int64_t now); /* replaces */
	/* A citizen device's public keys, its identity and the certificate that identity signed;
	 * STORE_EXISTS when the kid is taken. */
	int (*device_put)(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
			  const uint8_t box_pk[STORE_KEY_BYTES], const uint8_t sign_pk[STORE_KEY_BYTES],
			  const uint8_t identity_id[STORE_KID_BYTES], const uint8_t *cert, size_t cert_len,
			  int64_t now);
	/* Devices of a user: n created, kid, data box key, extra signing key, m last used. */
	int (*device_list)(struct store *st, const char *user_id, store_key_cb cb, void *arg);
	int (*unit_gen_put)(struct store *st, const char *unit_id, int64_t g,
			    const uint8_t box_kid[STORE_KID_BYTES], const uint8_t *event, size_t len,
			    const uint8_t *chain, size_t chain_len, int64_t now);
	/* Generations of a unit, oldest first: n generation, kid of the box key, data event, extra chain. */
	int (*unit_gen_list)(struct store *st, const char *unit_id, store_key_cb cb, void *arg);
	int (*unit_gen_by_kid)(struct store *st, const uint8_t box_kid[STORE_KID_BYTES],
			       char unit_id[STORE_ID_SIZE], int64_t *g);
	int (*unit_seed_put)(struct store *st, const char *unit_id, int64_t g,
			     const uint8_t kid[STORE_KID_BYTES], const char *user_id, const uint8_t *wrap,
			     size_t len);
	/* Seed wraps sealed to a user: owner unit, n generation, kid, data wrap. */
	int (*unit_seed_list)(struct store *st, const char *user_id, store_key_cb cb, void *arg);
	/* A thread-key wrap; STORE_EXISTS when (thread, epoch, recipient) has one. */
	int (*wrap_put)(struct store *st, const char *thread_id, int64_t epoch,
			const uint8_t kid[STORE_KID_BYTES], const uint8_t *wrap, size_t len,
			const char *writer_id, int64_t now);
	/* Wraps of a thread: n epoch, kid recipient, data wrap. */
	int (*wrap_list)(struct store *st, const char *thread_id, store_key_cb cb, void *arg);
	/* Shred shares: put (STORE_EXISTS when the thread id is taken), get (STORE_NOTFOUND), mark the
	 * thread opened, count a user's shares of threads not opened yet. */
	int (*share_put)(struct store *st, const char *thread_id, const char *owner_id,
			 const uint8_t share[STORE_KEY_BYTES], int opened, int64_t now);
	int (*share_get)(struct store *st, const char *thread_id, char owner_id[STORE_ID_SIZE], int *opened,
			 uint8_t share[STORE_KEY_BYTES]);
	int (*share_opened)(struct store *st, const char *thread_id);
	int (*share_pending)(struct store *st, const char *owner_id, int64_t *n);
	/* Shreds a thread: its share is deleted (wherever it is, it is zeroed) and the thread id is
	 * recorded as shredded at `now`, so that no share is made for it again. STORE_EXISTS when
	 * it was shredded already. */
	int (*share_shred)(struct store *st, const char *thread_id, int64_t now);
	/* When the thread was shredded; STORE_NOTFOUND when it was not. */
	int (*share_shredded)(struct store *st, const char *thread_id, int64_t *when);
	/* A worker's key request (made at first login, waiting for an admin's certificate):
	 * put replaces the user's one; get gives it (at most cap bytes) and when it came in;
	 * STORE_NOTFOUND when the user has none. */
	int (*key_request_put)(struct store *st, const char *user_id, const uint8_t *request, size_t len,
			       int64_t now);
	int (*key_request_get)(struct store *st, const char *user_id, uint8_t *out, size_t cap, size_t *len,
			       int64_t *created);
};

/* Re-keying (issue 15): the signed unit log (entries numbered 1, 2, ... per unit) and the
 * signed thread epoch events (epochs 1, 2, ... per thread). Lists call cb per record: owner
 * unit or thread, n entry number or epoch, data the signed object. */
struct store_rekey_ops {
	/* STORE_EXISTS when the unit has entry `seq` already. */
	int (*unit_log_put)(struct store *st, const char *unit_id, int64_t seq, const uint8_t *entry,
			    size_t len, int64_t now);
	/* Entries after number `after`, oldest first. */
	int (*unit_log_list)(struct store *st, const char *unit_id, int64_t after, store_key_cb cb,
			     void *arg);
	/* The newest entry's number, 0 when the unit has no log. */
	int (*unit_log_head)(struct store *st, const char *unit_id, int64_t *seq);
	/* STORE_EXISTS when the thread has that epoch already. */
	int (*epoch_put)(struct store *st, const char *thread_id, int64_t epoch, const uint8_t *event,
			 size_t len, const char *writer_id, int64_t now);
	int (*epoch_list)(struct store *st, const char *thread_id, store_key_cb cb, void *arg);
	/* The thread's current epoch: its newest event's, 0 without one. */
	int (*epoch_current)(struct store *st, const char *thread_id, int64_t *epoch);
};

/* Encrypted attachments (issue 4): their records; the chunks live in the blob folder. */
struct store_file_ops {
	int (*put)(struct store *st, const struct store_file *f); /* STORE_EXISTS when the id is taken */
	int (*get)(struct store *st, const char *file_id, struct store_file *out);
	int (*progress)(struct store *st, const char *file_id, int64_t received, int complete);
	/* The ciphertext bytes of all files of a thread and of all files a user uploaded. */
	int (*usage)(struct store *st, const char *thread_id, const char *owner_id, int64_t *thread_bytes,
		     int64_t *owner_bytes);
	/* Up to `max` files whose thread is neither opened (a row in threads) nor prepared (a
	 * share in the shred store, writable stores only): a prepared thread dropped unopened or
	 * shredded. Their ids into ids, the count into *n. */
	int (*orphans)(struct store *st, char (*ids)[STORE_ID_SIZE], size_t max, size_t *n);
	int (*drop)(struct store *st, const char *file_id); /* deletes a file's record */
};

/* A new device's request for approval (PROTOCOL.md §12.2): the new device's commitment, then
 * an existing device's challenge, then the new device's keys and nonce, then the answer. The
 * store keeps the bytes; the core checks them. */
struct store_device_request {
	char id[STORE_ID_SIZE];
	int64_t created;
	uint8_t commit[STORE_KEY_BYTES];
	int challenged; /* identity_id and challenge are set */
	uint8_t identity_id[STORE_KID_BYTES];
	uint8_t challenge[STORE_KEY_BYTES];
	int revealed; /* box_pk, sign_pk and nonce are set */
	uint8_t box_pk[STORE_KEY_BYTES], sign_pk[STORE_KEY_BYTES], nonce[STORE_KEY_BYTES];
	int64_t answered;      /* when, 0: not yet */
	const uint8_t *answer; /* device certificate || sealed seed, or NULL; valid during the callback */
	size_t answer_len;
};
typedef int (*store_device_request_cb)(void *arg, const struct store_device_request *r);

/* A citizen's identities, device certificates, recovery boxes and device requests (issue 15,
 * store_sqlite_citizen.c). Devices themselves are in store_keys_ops. */
struct store_citizen_ops {
	/* An identity (id = kid of its signing key); STORE_EXISTS when it is registered. */
	int (*identity_put)(struct store *st, const uint8_t id[STORE_KID_BYTES], const char *user_id,
			    const uint8_t sign_pk[STORE_KEY_BYTES], const uint8_t box_pk[STORE_KEY_BYTES],
			    int64_t now);
	/* Identities of a user, oldest first: n first seen, kid the id, data signing key, extra box key. */
	int (*identity_list)(struct store *st, const char *user_id, store_key_cb cb, void *arg);
	/* The owner of an identity; STORE_NOTFOUND when unknown. */
	int (*identity_owner)(struct store *st, const uint8_t id[STORE_KID_BYTES],
			      char user_id[STORE_ID_SIZE]);
	/* Device certificates of a user: n created, m last used, kid the device, data cert, extra identity
	 * id. */
	int (*device_certs)(struct store *st, const char *user_id, store_key_cb cb, void *arg);
	int (*device_remove)(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES]);
	/* Marks the user's device `kid` (its box key's kid) used now; STORE_NOTFOUND when it is none of
	 * theirs. */
	int (*device_touch)(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
			    int64_t now);
	/* Removes a user's devices last used before `before`; *n gets how many. */
	int (*device_expire)(struct store *st, const char *user_id, int64_t before, int64_t *n);
	/* The recovery box of an identity (replaced). */
	int (*recovery_put)(struct store *st, const uint8_t identity_id[STORE_KID_BYTES], const char *user_id,
			    const uint8_t *box, size_t len, int64_t now);
	/* A user's recovery boxes, newest first: n updated, kid the identity id, data the box. */
	int (*recovery_list)(struct store *st, const char *user_id, store_key_cb cb, void *arg);
	/* A new device's request for approval, by its commitment; STORE_EXISTS when the id is taken. */
	int (*request_put)(struct store *st, const char *id, const char *user_id,
			   const uint8_t commit[STORE_KEY_BYTES], int64_t now);
	/* A user's requests made at or after `since`, oldest first. */
	int (*request_list)(struct store *st, const char *user_id, int64_t since, store_device_request_cb cb,
			    void *arg);
	/* Stores an existing device's challenge (and the identity it approves for) to a request of
	 * the user not challenged yet; STORE_NOTFOUND otherwise. */
	int (*request_challenge)(struct store *st, const char *id, const char *user_id,
				 const uint8_t identity_id[STORE_KID_BYTES],
				 const uint8_t challenge[STORE_KEY_BYTES]);
	/* Stores the new device's keys and nonce to a request of the user challenged and not revealed
	 * yet; STORE_NOTFOUND otherwise. */
	int (*request_reveal)(struct store *st, const char *id, const char *user_id,
			      const uint8_t box_pk[STORE_KEY_BYTES], const uint8_t sign_pk[STORE_KEY_BYTES],
			      const uint8_t nonce[STORE_KEY_BYTES]);
	/* Stores the answer (device certificate || sealed seed) to a request of the user revealed and
	 * not answered yet; STORE_NOTFOUND otherwise. */
	int (*request_answer)(struct store *st, const char *id, const char *user_id, const uint8_t *answer,
			      size_t len, int64_t now);
	/* Deletes requests made before `before` (all users). */
	int (*request_expire)(struct store *st, int64_t before);
	/* Deletes a user's (owner_id NULL: anyone's) prepared threads not opened and made before
	 * `before`; their files are left to file->orphans. */
	int (*share_expire)(struct store *st, const char *owner_id, int64_t before);
};

/* Staff tools (issue 17): a unit's own closed days (they count for that unit's queues beside
 * the service's closed days) and the supervisors' queries of the access log. */
struct store_unit_days_ops {
	/* Sets a unit's closed day and its note (NULL: none); replaces. */
	int (*put)(struct store *st, const char *unit_id, int32_t day, const char *note);
	/* STORE_NOTFOUND when the unit has no such closed day. */
	int (*remove)(struct store *st, const char *unit_id, int32_t day);
	/* The unit's closed days from `from` to `to` (inclusive), ascending, at most `limit`. */
	int (*list)(struct store *st, const char *unit_id, int32_t from, int32_t to, int limit,
		    store_unit_day_cb cb, void *arg);
	/* How many closed days the unit has from `from` on. */
	int (*count)(struct store *st, const char *unit_id, int32_t from, int *n);
};
struct store_monitor_ops {
	/* At most q->limit rows matching q (struct store_audit_query), newest first. */
	int (*audit_query)(struct store *st, const struct store_audit_query *q, store_audit_view_cb cb,
			   void *arg);
	/* The row numbered `row` (for the chain's incremental check). */
	int (*audit_row)(struct store *st, int64_t row, struct store_audit *out);
};

/* The citizen's identity (issue 17): sealed in the session row between the bank login and
 * thread.open, and identity boxes (CRYPTO-FORMATS.md, type 15) per thread, unit and key
 * generation. The store keeps the bytes; the core seals, opens and checks them. */
#define STORE_SESSION_IDENTITY_MAX 1024
struct store_idbox_ops {
	/* Keeps a sealed identity in a live session's row (replacing one); STORE_NOTFOUND when the
	 * session is not there or has ended. It goes when the session ends or is purged. */
	int (*session_put)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], const uint8_t *sealed,
			   size_t len);
	/* The sealed identity of a live session (at most cap bytes); STORE_NOTFOUND when none. */
	int (*session_get)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], uint8_t *out, size_t cap,
			   size_t *len);
	/* Stores a thread's box for (unit, generation), replacing one there. */
	int (*put)(struct store *st, const char *thread_id, const char *unit_id, int64_t generation,
		   const uint8_t *box, size_t len, int64_t now);
	/* A thread's boxes, unit by unit, oldest generation first: owner unit, n generation, data box. */
	int (*list)(struct store *st, const char *thread_id, store_key_cb cb, void *arg);
	/* How many boxes a thread has. */
	int (*count)(struct store *st, const char *thread_id, int64_t *n);
};

/* Internal notes on threads and canned answers of units (issue 17): unit texts (type 14,
 * CRYPTO-FORMATS.md) sealed to a unit key generation, which the store keeps as bytes. A note
 * belongs to a thread, a canned answer to a unit; `time` is a note's creation and a canned
 * answer's last change. */
struct store_unit_text {
	char id[STORE_ID_SIZE];
	char thread_id[STORE_ID_SIZE]; /* a note's thread; "" for a canned answer */
	char unit_id[STORE_ID_SIZE];
	int64_t generation;
	char author_id[STORE_ID_SIZE];
	int64_t time;
	char copy_of[STORE_ID_SIZE]; /* a note re-sealed from this earlier note; "" for none */
	const uint8_t *box;	     /* the object; in callbacks valid during the call only */
	size_t box_len;
};
typedef int (*store_unit_text_cb)(void *arg, const struct store_unit_text *t);

struct store_note_ops {
	/* Adds a note; STORE_EXISTS when its id is taken (by any note). */
	int (*note_add)(struct store *st, const struct store_unit_text *n);
	/* Whether note `id` is a note of `thread_id`: STORE_OK or STORE_NOTFOUND. */
	int (*note_in_thread)(struct store *st, const char *thread_id, const char *id);
	/* The notes of a thread, oldest first (in the order they were added). */
	int (*note_list)(struct store *st, const char *thread_id, store_unit_text_cb cb, void *arg);
	/* How many notes a thread has and their boxes' bytes together. */
	int (*note_usage)(struct store *st, const char *thread_id, int64_t *count, int64_t *bytes);
	/* Deletes every note of a thread (a shredded thread); their number into *n. */
	int (*note_delete_thread)(struct store *st, const char *thread_id, int64_t *n);
	/* Adds or replaces canned answer a->id (author, time, generation and box replaced). */
	int (*canned_put)(struct store *st, const struct store_unit_text *a);
	/* The unit of canned answer `id`; STORE_NOTFOUND when there is none. */
	int (*canned_unit)(struct store *st, const char *id, char unit_id[STORE_ID_SIZE]);
	/* The canned answers of a unit, oldest change first. */
	int (*canned_list)(struct store *st, const char *unit_id, store_unit_text_cb cb, void *arg);
	/* How many canned answers a unit has and their boxes' bytes, leaving out answer `except`
	 * ("" for none: the answer a put replaces). */
	int (*canned_usage)(struct store *st, const char *unit_id, const char *except, int64_t *count,
			    int64_t *bytes);
	/* Deletes a canned answer; STORE_NOTFOUND when there is none. */
	int (*canned_delete)(struct store *st, const char *id);
};

/* Retention and erasure (issue 18): a thread's shred goes through phases, each committed
 * before the next starts (shred.c): marked, its share gone, done. The mark row becomes the
 * erasure note when done: what was deleted with counts, who, when and why. */
enum store_shred_phase { SHRED_MARKED = 1, SHRED_SHARE_GONE = 2, SHRED_DONE = 3 };
#define STORE_SHRED_BY_SIZE	65   /* "retention" or "os:<user>" */
#define STORE_SHRED_REASON_MAX	2000 /* bytes of an erasure's reason (500 characters) */
#define STORE_SHRED_REQUEST_MAX 64   /* an erasure request's id */

/* What a shred deletes, counted when the thread is marked. */
struct store_shred_counts {
	int64_t messages, files, file_bytes, wraps, epochs, notes, idboxes;
};

struct store_shred_mark {
	char thread_id[STORE_ID_SIZE];
	char citizen_id[STORE_ID_SIZE]; /* the client pseudonym */
	char run[STORE_ID_SIZE];	/* the retention run or erasure that marked it */
	int phase;			/* enum store_shred_phase */
	int erasure;			/* 0: retention, 1: erasure on request */
	char by[STORE_SHRED_BY_SIZE];
	char request[STORE_SHRED_REQUEST_MAX + 1]; /* the erasure request's id, "" = none */
	char reason[STORE_SHRED_REASON_MAX + 1];   /* retention: the rule; erasure: the admin's words */
	int64_t due;				   /* retention: when its period ended; erasure: marked */
	int64_t marked, done;			   /* done 0 until SHRED_DONE */
	struct store_shred_counts counts;
	int64_t other_rows; /* rows of other tables deleted with the thread (at done) */
};
typedef int (*store_shred_mark_cb)(void *arg, const struct store_shred_mark *m);

/* A closed thread not marked for shredding, with what its retention is counted from. */
struct store_retention_candidate {
	char thread_id[STORE_ID_SIZE];
	char citizen_id[STORE_ID_SIZE];
	char category[STORE_NAME_SIZE];
	int64_t closed;	    /* when it was closed */
	int citizen_open;   /* the citizen has a thread that is not closed */
	int64_t last_close; /* the latest close among the citizen's threads */
};
typedef int (*store_retention_candidate_cb)(void *arg, const struct store_retention_candidate *c);
typedef int (*store_file_id_cb)(void *arg, const char *file_id);

struct store_retention_ops {
	/* Every closed thread that has no shred mark, in close order. */
	int (*candidates)(struct store *st, store_retention_candidate_cb cb, void *arg);
	/* When a thread was closed and its citizen's relationship facts (as candidates gives
	 * them); STORE_NOTFOUND when it is not a closed thread. */
	int (*candidate_get)(struct store *st, const char *thread_id, struct store_retention_candidate *out);
	/* What a shred of the thread would delete now. */
	int (*counts)(struct store *st, const char *thread_id, struct store_shred_counts *out);
	/* Marks a thread (phase SHRED_MARKED); STORE_EXISTS when it has a mark. */
	int (*mark)(struct store *st, const struct store_shred_mark *m);
	int (*get)(struct store *st, const char *thread_id, struct store_shred_mark *out);
	/* Moves a mark to `phase` (done: with the time and other_rows). */
	int (*phase_set)(struct store *st, const char *thread_id, int phase, int64_t now, int64_t other_rows);
	/* At most `limit` marks not done, oldest mark first. */
	int (*pending)(struct store *st, int limit, store_shred_mark_cb cb, void *arg);
	/* The marks of run `run` ("" = every mark), oldest first. */
	int (*list)(struct store *st, const char *run, store_shred_mark_cb cb, void *arg);
	/* The ids of a thread's files (records), so that their blobs go before their records. */
	int (*file_ids)(struct store *st, const char *thread_id, store_file_id_cb cb, void *arg);
	/* Deletes every row of the thread in the main database: messages, wraps, epochs, files'
	 * records, notes, identity boxes, read state, clock, departures, reassignments, the thread
	 * itself, and rows of any other table that refers to the thread; the shred tombstone and
	 * the mark stay. *other gets the rows of tables not counted in struct store_shred_counts. */
	int (*rows_delete)(struct store *st, const char *thread_id, int64_t *other);
};

/* Register duties (issue 18): the citizen's rights requests (GDPR 16-21) with their deadlines
 * (GDPR 12(3)) and decisions, corrections of staff messages that keep both versions, the
 * restriction of a thread (GDPR 18) and the reasons of the reads of a restricted thread for a
 * legal claim, each kept beside its access-log row (store_sqlite_rights.c). */
enum store_rights_kind { RIGHTS_CORRECTION = 1, RIGHTS_RESTRICTION, RIGHTS_OBJECTION, RIGHTS_ERASURE };
enum store_rights_state { RIGHTS_OPEN = 0, RIGHTS_GRANTED, RIGHTS_REFUSED, RIGHTS_EXTENDED };
#define STORE_RIGHTS_REASON_MAX 2000 /* bytes of a restriction's or a legal-claim read's reason */
#define STORE_ACTOR_SIZE	64   /* a user id, or "os:<name>" of an administrator */

struct store_rights_request {
	char id[STORE_ID_SIZE];
	char thread_id[STORE_ID_SIZE];
	char citizen_id[STORE_ID_SIZE];
	char unit_id[STORE_ID_SIZE];		 /* writes: the thread's unit then; reads: its unit now */
	int kind;				 /* enum store_rights_kind */
	int state;				 /* enum store_rights_state */
	int extended;				 /* the deadline was extended (it is, once) */
	int64_t made, due, decided;		 /* decided 0: not yet */
	char decided_by[STORE_ID_SIZE];		 /* "" = nobody yet */
	char message_id[STORE_ID_SIZE];		 /* the request's message id, hex */
	char decision_message_id[STORE_ID_SIZE]; /* "" = none */
};
typedef int (*store_rights_request_cb)(void *arg, const struct store_rights_request *r);

/* Which rights requests request_list gives, deadline first. Empty strings and zeros: no filter. */
struct store_rights_query {
	char citizen_id[STORE_ID_SIZE];		      /* a citizen's own */
	char units[STORE_QUERY_UNITS][STORE_ID_SIZE]; /* of threads now in these units */
	size_t nunits;				      /* 0: any unit */
	char thread_id[STORE_ID_SIZE];
	int open_only; /* open or extended */
	int limit;
};

/* A staff message corrected by a later message of its thread. */
struct store_correction {
	char thread_id[STORE_ID_SIZE];
	char corrected_id[STORE_ID_SIZE]; /* the corrected message's id, hex */
	int64_t seq;			  /* the correcting message's seq */
	char message_id[STORE_ID_SIZE];	  /* the correcting message's id, hex ("" = none) */
	char corrector_id[STORE_ID_SIZE];
	enum store_role role;
	int64_t time;
};
typedef int (*store_correction_cb)(void *arg, const struct store_correction *c);

/* A thread's restriction as last set or lifted: who, when and why. */
struct store_restriction {
	char thread_id[STORE_ID_SIZE];
	int restricted;
	char by[STORE_ACTOR_SIZE];
	int64_t time;
	char reason[STORE_RIGHTS_REASON_MAX + 1];
};

struct store_rights_ops {
	/* A new request; STORE_EXISTS when its id is taken. */
	int (*request_put)(struct store *st, const struct store_rights_request *r);
	/* STORE_NOTFOUND when there is no such request. */
	int (*request_get)(struct store *st, const char *id, struct store_rights_request *out);
	/* Writes state, extended, due, decided, decided_by and decision_message_id. */
	int (*request_update)(struct store *st, const struct store_rights_request *r);
	/* The open (or extended) request of a kind on a thread; STORE_NOTFOUND when none. */
	int (*request_open_of)(struct store *st, const char *thread_id, int kind, char id[STORE_ID_SIZE]);
	/* At most q->limit requests matching q, earliest deadline first. */
	int (*request_list)(struct store *st, const struct store_rights_query *q, store_rights_request_cb cb,
			    void *arg);
	/* The message of a thread with message id `message_id` (hex): its seq and sender's role;
	 * STORE_NOTFOUND when the thread has none. */
	int (*message_find)(struct store *st, const char *thread_id, const char *message_id, int64_t *seq,
			    enum store_role *role);
	int (*correction_put)(struct store *st, const struct store_correction *c); /* appends */
	/* A thread's corrections whose correcting message is after seq `after`, in seq order. */
	int (*correction_list)(struct store *st, const char *thread_id, int64_t after, store_correction_cb cb,
			       void *arg);
	/* A thread's restriction; STORE_NOTFOUND (restricted 0) when it never had one. */
	int (*restriction_get)(struct store *st, const char *thread_id, struct store_restriction *out);
	int (*restriction_put)(struct store *st, const struct store_restriction *r); /* replaces */
	/* The reason of a legal-claim read, beside its access-log row; reason_get gives it at most
	 * cap bytes (STORE_NOTFOUND when the row has none). */
	int (*reason_put)(struct store *st, int64_t audit_row, const char *reason);
	int (*reason_get)(struct store *st, int64_t audit_row, char *out, size_t cap);
};

/* The disclosure log (issue 18, 906/2019 17 §): what client data was given out of the service,
 * to whom, on what basis and how; beside the access log, hash-chained the same way with its
 * own chain (disclosure.h). Rows are append-only. */
struct store_disclosure {
	int64_t row, time; /* row assigned on append; time UTC ms */
	char user_id[STORE_ID_SIZE];
	enum store_role role;
	char unit_id[STORE_ID_SIZE];
	char client[STORE_ID_SIZE]; /* client pseudonym: the citizen's user id */
	char object[80];	    /* "thread:<id>" or "export:<order id>" */
	char recipient[200];
	char basis[200];
	char dataset[200];
	char method[32];  /* "directory", "http", "command", "export" */
	char outcome[16]; /* "ok", "failed" */
	uint8_t prev[STORE_HASH_BYTES], hash[STORE_HASH_BYTES];
};
typedef int (*store_disclosure_cb)(void *arg, const struct store_disclosure *d);

/* Which log rows a register-duty query gives (the citizen's log report, breach scoping), in
 * row order: empty strings and zeros are no filter; time in [from, to]. */
struct store_log_query {
	char user_id[STORE_ID_SIZE];
	char unit_id[STORE_ID_SIZE];
	char client[STORE_ID_SIZE];
	int only_clients; /* 1: rows about some client only (client != "") */
	int64_t from, to;
	int limit; /* 0: no limit */
};

/* The disclosure log (store_sqlite_disclosure.c) and the register duties' queries of both
 * logs. A callback's non-zero return stops a listing early (STORE_OK). */
struct store_disclosure_ops {
	int (*last)(struct store *st, struct store_disclosure *out); /* STORE_NOTFOUND when empty */
	int (*insert)(struct store *st, struct store_disclosure *d); /* sets d->row, the next row */
	int (*scan)(struct store *st, int64_t from_row, store_disclosure_cb cb, void *arg); /* row order */
	/* A client's rows in [from, to] (0: open), oldest first, at most `limit` (0: all);
	 * client "" lists every client's. */
	int (*by_client)(struct store *st, const char *client, int64_t from, int64_t to, int limit,
			 store_disclosure_cb cb, void *arg);
	/* Disclosure rows matching q, oldest first. */
	int (*query)(struct store *st, const struct store_log_query *q, store_disclosure_cb cb, void *arg);
	/* Access-log rows matching q, oldest first (indexed by client, user, unit and time). */
	int (*access)(struct store *st, const struct store_log_query *q, store_audit_cb cb, void *arg);
};

/* Consent and the records connector (issue 18): connector accounts and the units whose seeds
 * are sealed to them, consents of threads to a connector, hand-overs to the client record and
 * the register keeper's export orders. The store keeps the consent events as bytes. */
#define STORE_CONSENT_EVENT_MAX 256 /* a consent event (CRYPTO-FORMATS.md type 5): 197 bytes */
#define STORE_DUTY_TEXT_SIZE	201 /* an export order's recipient or basis: 200 bytes */
#define STORE_DIGEST_SIZE	65  /* 64 hex digits */

struct store_connector {
	char id[STORE_ID_SIZE]; /* its user id and certificate subject */
	char name[STORE_NAME_SIZE];
	uint8_t kid[STORE_KID_BYTES];	   /* kid of its X25519 key: what citizens seal to, its login id */
	uint8_t sign_kid[STORE_KID_BYTES]; /* kid of its Ed25519 key (its certificate's) */
	int64_t created, ended;		   /* ended 0: live */
};
typedef int (*store_connector_cb)(void *arg, const struct store_connector *c);

struct store_consent {
	char thread_id[STORE_ID_SIZE];
	char connector_id[STORE_ID_SIZE];
	uint8_t kid[STORE_KID_BYTES]; /* the connector's recipient kid named by the event */
	int64_t given, withdrawn;     /* withdrawn 0: live */
	int64_t epoch;		      /* the thread's epoch when it was given */
	uint8_t event[STORE_CONSENT_EVENT_MAX];
	size_t event_len;
};
/* A consent waiting for its hand-over: the thread's current epoch and its citizen. */
typedef int (*store_pending_cb)(void *arg, const struct store_consent *c, int64_t epoch,
				const char *citizen_id);

struct store_handover {
	char thread_id[STORE_ID_SIZE];
	int64_t epoch;
	char connector_id[STORE_ID_SIZE];
	int64_t at;
	char digest[STORE_DIGEST_SIZE];
};

struct store_export_order {
	char id[STORE_ID_SIZE];
	char citizen_id[STORE_ID_SIZE];
	char recipient[STORE_DUTY_TEXT_SIZE], basis[STORE_DUTY_TEXT_SIZE];
	int64_t created, done;		  /* done 0: open */
	char connector_id[STORE_ID_SIZE]; /* who closed it; "" while open */
	char digest[STORE_DIGEST_SIZE];
	int64_t files;
};
typedef int (*store_order_cb)(void *arg, const struct store_export_order *o);

struct store_consent_ops {
	/* A connector account (a users row of kind ROLE_CONNECTOR); STORE_EXISTS: id, name or kid taken. */
	int (*connector_put)(struct store *st, const struct store_connector *c);
	/* The connector named `name` or whose id is `name`. */
	int (*connector_get)(struct store *st, const char *name, struct store_connector *out);
	/* The connector whose recipient kid is `kid`. */
	int (*connector_by_kid)(struct store *st, const uint8_t kid[STORE_KID_BYTES],
				struct store_connector *out);
	/* Every connector, in name order. */
	int (*connector_list)(struct store *st, store_connector_cb cb, void *arg);
	/* Ends a live connector at `when`; STORE_NOTFOUND when none or ended already. */
	int (*connector_end)(struct store *st, const char *id, int64_t when);
	/* The connector holds unit_id's seeds from now; STORE_EXISTS when it does already. */
	int (*unit_add)(struct store *st, const char *connector_id, const char *unit_id, int64_t now);
	/* Up to `max` units of a connector (role ROLE_CONNECTOR) in unit id order; *n the number. */
	int (*units)(struct store *st, const char *connector_id, struct store_membership *out, size_t max,
		     size_t *n);
	/* The live connectors holding unit_id's seeds, in name order. */
	int (*unit_connectors)(struct store *st, const char *unit_id, store_connector_cb cb, void *arg);
	/* A new live consent; STORE_EXISTS when the thread has a live one. */
	int (*put)(struct store *st, const struct store_consent *c);
	/* The thread's live consent (live_only) or its latest one; STORE_NOTFOUND when none. */
	int (*get)(struct store *st, const char *thread_id, int live_only, struct store_consent *out);
	/* Withdraws the thread's live consent at `when`, keeping the citizen's withdrawal event,
	 * and deletes the thread-key wraps sealed to its kid; STORE_NOTFOUND when none is live. */
	int (*withdraw)(struct store *st, const char *thread_id, int64_t when, const uint8_t *event,
			size_t len);
	/* Live consents to `connector_id` of closed threads without a hand-over of their current
	 * epoch, oldest consent first, at most `limit`. */
	int (*pending)(struct store *st, const char *connector_id, int limit, store_pending_cb cb, void *arg);
	/* A hand-over of (thread, epoch); STORE_EXISTS when that pair has one. */
	int (*handover_put)(struct store *st, const struct store_handover *h);
	/* How many hand-overs a thread has had. */
	int (*handover_count)(struct store *st, const char *thread_id, int64_t *n);
	/* A new export order; STORE_EXISTS when its id is taken. */
	int (*order_put)(struct store *st, const struct store_export_order *o);
	int (*order_get)(struct store *st, const char *id, struct store_export_order *out);
	/* STORE_OK when an open order covers citizen_id, else STORE_NOTFOUND. */
	int (*order_open_for)(struct store *st, const char *citizen_id);
	/* The open orders, oldest first, at most `limit`. */
	int (*order_list)(struct store *st, int limit, store_order_cb cb, void *arg);
	/* Closes an open order (done, connector_id, digest and files); STORE_NOTFOUND when none open. */
	int (*order_close)(struct store *st, const struct store_export_order *o);
};

/* Backups (issue 19): a copy of the store made while adviced serves, on a connection of its
 * own (a read-only store), so the core's writer is not held; and the checks a restore runs. */
struct store_backup_file {
	char id[STORE_ID_SIZE];
	char thread_id[STORE_ID_SIZE];
	int64_t chunks, received; /* chunks in all, chunks stored (their bytes are in the blob) */
	int complete;
};
typedef int (*store_backup_file_cb)(void *arg, const struct store_backup_file *f);

struct store_backup_ops {
	/* Copies the main database into `dest` (a path that must not exist) with SQLite's online
	 * backup API, in one read transaction: writers go on meanwhile and the copy is the
	 * database as one commit left it. In that same snapshot, before the copy, cb gets every
	 * attachment record (a non-zero return stops and fails the backup). STORE_OK or
	 * STORE_ERROR (logged). Not inside a transaction of this store. */
	int (*copy)(struct store *st, const char *dest, store_backup_file_cb cb, void *arg);
	/* Copies the SQLite file at `src` (the shred store) into `dest` (must not exist) the same
	 * way, in one step; the shred store's writer waits for it (a few pages). */
	int (*copy_file)(struct store *st, const char *src, const char *dest);
	/* SQLite's integrity check of the database and, on a writable store, of the shred
	 * store: STORE_OK when both say ok, else STORE_ERROR with SQLite's first complaint in
	 * `why`. */
	int (*check)(struct store *st, char *why, size_t size);
	/* Every attachment record, in id order (a restore checks their blobs). */
	int (*files)(struct store *st, store_backup_file_cb cb, void *arg);
	/* Whether the blob of attachment record f may be missing because the record is on its
	 * way out, as the store reads now: the record is deleted, its thread is marked for
	 * shredding or shredded, or its thread has no row and no share in the shred store at
	 * `shred_path` (a prepared thread dropped: a purge's orphan). 1 yes, 0 no, -1 error. */
	int (*blob_may_be_gone)(struct store *st, const char *shred_path, const struct store_backup_file *f);
};

struct store_ops {
	/* Closes the store (NULL is fine); an open transaction is rolled back. */
	void (*close)(struct store *st);
	const struct store_tx_ops *tx;
	const struct store_session_ops *session;
	const struct store_identity_ops *identity;
	const struct store_staff_ops *staff;
	const struct store_unit_ops *unit;
	const struct store_queue_ops *queue;
	const struct store_duty_ops *duty;
	const struct store_thread_ops *thread;
	const struct store_request_ops *request;
	const struct store_audit_ops *audit;
	const struct store_notify_ops *notify;
	const struct store_keys_ops *keys;
	const struct store_file_ops *file;
	const struct store_rekey_ops *rekey;
	const struct store_citizen_ops *citizen;
	const struct store_unit_days_ops *unit_days;
	const struct store_monitor_ops *monitor;
	const struct store_idbox_ops *idbox;
	const struct store_note_ops *note;
	const struct store_retention_ops *retention;
	const struct store_rights_ops *rights;
	const struct store_disclosure_ops *disclosure;
	const struct store_consent_ops *consent;
	const struct store_backup_ops *backup;
};

struct store {
	const struct store_ops *ops;
};

/* Opens (creating if needed) the SQLite store at `path` and runs pending migrations; the
 * read-only modes create nothing and check that the file is migrated. The writable store
 * also opens (creating if needed) the shred store at `shred_path`, a second SQLite file that
 * holds only the per-thread shred shares (their own backup policy); the read-only stores
 * do not open it, and the keys domain's share operations work on writable stores only. */
struct store *store_sqlite_open_shred(const char *path, const char *shred_path, enum store_mode mode);
/* The same with the shred store beside the database (store_sqlite_shred_path). */
struct store *store_sqlite_open(const char *path, enum store_mode mode);
/* The default shred store of the database at `db_path`: its name without ".db", then
 * "-shred.db" (advice.db: advice-shred.db); ":memory:" for ":memory:". */
void store_sqlite_shred_path(const char *db_path, char *out, size_t size);
/* A writable store's WAL bound: past `limit_bytes` the WAL is copied back and started over,
 * its file cut back to the limit; after `idle_ms` without writes (0: never) it is emptied.
 * Call on the thread that writes, before it starts. 0, or -1 for a read-only store. */
int store_sqlite_set_wal_limits(struct store *st, int64_t limit_bytes, int64_t idle_ms);
/* The highest migration id applied (for tests and --check-config), -1 when the file
 * holds migrations unknown to this program. */
int store_sqlite_schema_version(struct store *st);

#endif
