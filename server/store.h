/*
 * store.h - the persistent store, seen by the core as domain operations.
 *
 * The core never writes SQL: it calls these operations through `struct store_ops`, so a
 * second implementation (PostgreSQL) is a new file beside store_sqlite.c. Every operation
 * returns STORE_OK, STORE_NOTFOUND (lookups), STORE_EXISTS (unique key taken) or
 * STORE_ERROR (I/O or constraint failure; the caller rolls back). Times are milliseconds
 * since the Unix epoch, UTC. Ids are 32 lowercase hex digits (ADVICE_ID_HEX).
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
enum store_mode { STORE_READWRITE, STORE_READONLY };

#define STORE_ID_SIZE	 (ADVICE_ID_HEX + 1)
#define STORE_NAME_SIZE	 129 /* names of units, queues, categories, users: 128 bytes */
#define STORE_HASH_BYTES 32

enum store_role { ROLE_NONE = 0, ROLE_CITIZEN, ROLE_WORKER, ROLE_SUPERVISOR, ROLE_ADMIN };

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
	int disabled;			     /* locked by the lockout threshold or by an admin */
};

struct store_membership {
	char unit_id[STORE_ID_SIZE];
	enum store_role role; /* ROLE_WORKER or ROLE_SUPERVISOR */
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

typedef int (*store_thread_cb)(void *arg, const struct store_thread *t);
typedef int (*store_message_cb)(void *arg, const struct store_message *m);
typedef int (*store_queue_cb)(void *arg, const struct store_queue *q);
typedef int (*store_audit_cb)(void *arg, const struct store_audit *a);

struct store;

struct store_ops {
	void (*close)(struct store *st);

	/* Transactions: one outer transaction per batch, a savepoint per request. */
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	int (*rollback)(struct store *st);
	int (*savepoint)(struct store *st);
	int (*release)(struct store *st);
	int (*rollback_to)(struct store *st);

	int (*session_insert)(struct store *st, const struct store_session *s);
	int (*session_get)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], struct store_session *out);
	int (*session_touch)(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now);
	int (*session_revoke)(struct store *st, const uint8_t hash[STORE_HASH_BYTES]);

	/* Citizens are keyed by a keyed hash of the identity code; `new_id` is used if absent. */
	int (*citizen_get_or_create)(struct store *st, const uint8_t hetu_hash[STORE_HASH_BYTES],
				     const char *new_id, int64_t now, char out_id[STORE_ID_SIZE]);

	int (*worker_insert)(struct store *st, const struct store_worker *w, int64_t now);
	int (*worker_get)(struct store *st, const char *username, struct store_worker *out);
	int (*worker_set_login_state)(struct store *st, const char *user_id, int failures,
				      int64_t locked_until, int disabled);
	int (*membership_add)(struct store *st, const char *user_id, const char *unit_id,
			      enum store_role role);
	/* Up to `max` memberships of a user; *n is set to the number found. */
	int (*membership_list)(struct store *st, const char *user_id, struct store_membership *out,
			       size_t max, size_t *n);

	int (*unit_insert)(struct store *st, const char *id, const char *name);
	int (*unit_find)(struct store *st, const char *name, char out_id[STORE_ID_SIZE]);
	int (*queue_insert)(struct store *st, const struct store_queue *q);
	int (*queue_by_category)(struct store *st, const char *category, struct store_queue *out);
	int (*queue_list)(struct store *st, store_queue_cb cb, void *arg);

	int (*thread_insert)(struct store *st, const struct store_thread *t);
	int (*thread_get)(struct store *st, const char *id, struct store_thread *out);
	int (*thread_update)(struct store *st,
			     const struct store_thread *t); /* state, assignee, updated, last_seq */
	/* Threads after `after_id` in id order ("" from the start), at most `limit`. */
	int (*thread_list_citizen)(struct store *st, const char *citizen_id, const char *after_id, int limit,
				   store_thread_cb cb, void *arg);
	int (*thread_list_member)(struct store *st, const char *user_id, const char *after_id, int limit,
				  store_thread_cb cb, void *arg);

	int (*message_insert)(struct store *st, const struct store_message *m);
	int (*message_list)(struct store *st, const char *thread_id, int64_t after_seq, int limit,
			    store_message_cb cb, void *arg);

	/* Idempotency: the stored reply of an earlier write with the same (user, request id). */
	int (*request_get)(struct store *st, const char *user_id, const char *request_id, char **reply_out);
	int (*request_put)(struct store *st, const char *user_id, const char *request_id, const char *reply,
			   int64_t now);

	/* Access log: rows are appended with the hashes the caller computed (audit.c). */
	int (*audit_last)(struct store *st, struct store_audit *out); /* STORE_NOTFOUND when empty */
	int (*audit_insert)(struct store *st, struct store_audit *a); /* sets a->row */
	int (*audit_scan)(struct store *st, int64_t from_row, store_audit_cb cb, void *arg);
};

struct store {
	const struct store_ops *ops;
};

/* Opens (creating if needed) the SQLite store at `path` and runs pending migrations. */
struct store *store_sqlite_open(const char *path, enum store_mode mode);
/* The highest migration id applied (for tests and --check-config), -1 when the file
 * holds migrations unknown to this program. */
int store_sqlite_schema_version(struct store *st);

#endif
