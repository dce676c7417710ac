/*
 * test_shred.c - crypto-shredding as built (issue 15, item 6), over real SQLite files: the
 * thread.prepare reply (which holds the shred share) is kept for resends without the share,
 * which is read again from the shred store; the share is in no file of the main database
 * (nor its WAL); advicectl thread-shred deletes it from the shred store (nor its journal
 * keeps it) while a copy of the main database taken before never held it; stored replies
 * and ended sessions are purged by their age (an injected clock); migration 16 moves the
 * shares of an older database out of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "corefix.h"
#include "store_sqlite_int.h"

#define CITIZEN	  "010594Y9032"
#define DAY_MS	  86400000LL
#define MINUTE_MS 60000LL

/* The bytes of a file (malloc'd) and their number; NULL and 0 when there is no such file. */
static uint8_t *file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int has_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	return m > 0 && n >= m && memmem(hay, n, needle, m) != NULL;
}

/* Whether the file at `path` holds the share in any form a copy could be read in: the raw
 * bytes, base64url (the wire's), standard base64 or hex. */
static int file_has_share(const char *path, const uint8_t share[32])
{
	char b64url[64], b64std[64], hex[65];
	size_t n;
	uint8_t *buf = file_bytes(path, &n);
	int found;

	if (buf == NULL)
		return 0;
	sodium_bin2base64(b64url, sizeof b64url, share, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(b64std, sizeof b64std, share, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_bin2hex(hex, sizeof hex, share, 32);
	found = has_bytes(buf, n, share, 32) || has_bytes(buf, n, b64url, strlen(b64url)) ||
		has_bytes(buf, n, b64std, strlen(b64std)) || has_bytes(buf, n, hex, strlen(hex));
	free(buf);
	return found;
}

/* The main database, its WAL and its rollback journal: whether any holds the share. */
static int files_have_share(const char *db, const uint8_t share[32])
{
	char path[400];
	int found = file_has_share(db, share);

	snprintf(path, sizeof path, "%s-wal", db);
	found |= file_has_share(path, share);
	snprintf(path, sizeof path, "%s-journal", db);
	return found | file_has_share(path, share);
}

static void shred_path(const struct corefix *fx, char *out, size_t size)
{
	store_sqlite_shred_path(fx->db, out, size);
}

static void share_of(json_t *reply, uint8_t share[32])
{
	const char *s = json_string_value(json_object_get(reply, "share"));
	size_t len = 0;

	assert_non_null(s);
	assert_int_equal(sodium_base642bin(share, 32, s, strlen(s), NULL, &len, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	assert_int_equal(len, 32);
}

/* thread.prepare `rid`; its thread id and share. */
static void prepare(struct corefix *fx, const struct who *c, const char *rid, char thread[STORE_ID_SIZE],
		    uint8_t share[32])
{
	json_t *r = corefix_ws(fx, c, "{\"type\":\"thread.prepare\",\"id\":\"%s\"}", rid);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	share_of(r, share);
	json_decref(r);
}

static void open_thread(struct corefix *fx, const struct who *c, const char *thread)
{
	json_t *r = corefix_ws(fx, c,
			       "{\"type\":\"thread.open\",\"id\":\"o-%s\",\"category\":\"adult-social-work\","
			       "\"body\":\"AAAA\",\"thread\":\"%s\"}",
			       thread, thread);

	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

/* An advicectl command as the admin socket sends it, in a committed transaction of its own
 * (the admin socket's replies have no schema definition to check against); the parsed reply. */
static json_t *admin(struct corefix *fx, const char *command, const char *arg)
{
	char body[256];
	struct core_request *req;
	struct core_reply *rep = calloc(1, sizeof *rep);
	struct store *st = fx->st;
	json_t *r;

	snprintf(body, sizeof body, "{\"user\":\"root\",\"command\":\"%s\",\"args\":[\"%s\"]}", command, arg);
	assert_non_null(req = core_request_new(CORE_REQ_ADMIN, 1, body, strlen(body)));
	assert_non_null(rep);
	req->now_ms = fx->now;
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(core_reply_render(rep), 0);
	assert_int_equal(st->ops->tx->release(st), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_non_null(r = json_loads(rep->json, 0, NULL));
	core_request_free(req);
	core_reply_free(rep);
	return r;
}

static void tick(struct corefix *fx)
{
	int rc;

	core_reply_free(corefix_call(fx, CORE_REQ_TICK, NULL, "", &rc, NULL));
	assert_int_equal(rc, 0);
}

/* The share reaches the client, and only the shred store keeps it: no idempotency record and
 * no page of the main database or its WAL. A resend gets the same share, read again. */
static void test_prepare_reply_kept_without_share(void **state)
{
	struct corefix *fx = *state;
	char thread[STORE_ID_SIZE], shred[400];
	uint8_t share[32], again[32];
	struct who c;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN, &c);
	prepare(fx, &c, "p1", thread, share);
	shred_path(fx, shred, sizeof shred);
	assert_true(file_has_share(shred, share)); /* the scan can find it */
	assert_false(files_have_share(fx->db, share));

	r = corefix_ws(fx, &c, "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(json_string_value(json_object_get(r, "thread")), thread);
	share_of(r, again);
	assert_memory_equal(again, share, 32);
	json_decref(r);

	/* Opening the thread and reading its keys keep it out as well. */
	open_thread(fx, &c, thread);
	r = corefix_ws(fx, &c, "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "ok");
	share_of(r, again);
	assert_memory_equal(again, share, 32);
	json_decref(r);
	assert_false(files_have_share(fx->db, share));
}

/* Copies file `from` to `to`, as a backup of the main database would. */
static void copy_file(const char *from, const char *to)
{
	size_t n;
	uint8_t *buf = file_bytes(from, &n);
	FILE *f;

	if (buf == NULL)
		return;
	assert_non_null(f = fopen(to, "wb"));
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
	free(buf);
}

/* advicectl thread-shred: the share leaves the shred store (and no journal keeps it); a
 * backup of the main database taken before never held it, so no copy opens the thread. */
static void test_thread_shred(void **state)
{
	struct corefix *fx = *state;
	char thread[STORE_ID_SIZE], other[STORE_ID_SIZE], shred[400], from[400], backup[400];
	uint8_t share[32], other_share[32];
	struct who c;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN, &c);
	prepare(fx, &c, "p1", thread, share);
	open_thread(fx, &c, thread);
	prepare(fx, &c, "p2", other, other_share);
	snprintf(backup, sizeof backup, "%s/backup.db", fx->dir);
	copy_file(fx->db, backup);
	snprintf(from, sizeof from, "%s-wal", fx->db);
	snprintf(backup, sizeof backup, "%s/backup.db-wal", fx->dir);
	copy_file(from, backup);
	snprintf(backup, sizeof backup, "%s/backup.db", fx->dir);

	r = admin(fx, "thread-shred", thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_non_null(strstr(json_string_value(json_object_get(r, "output")), "shredded"));
	json_decref(r);
	shred_path(fx, shred, sizeof shred);
	assert_false(files_have_share(shred, share));
	assert_true(file_has_share(shred, other_share)); /* the other thread keeps its share */
	assert_false(files_have_share(backup, share));
	assert_false(files_have_share(fx->db, share));

	/* No share is made again for it, and a resend of its prepare finds none. */
	r = corefix_ws(fx, &c, "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	r = corefix_ws(fx, &c, "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	assert_false(files_have_share(shred, share));

	/* A prepared thread not opened yet can be shredded too; the same one twice cannot. */
	r = admin(fx, "thread-shred", other);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_false(files_have_share(shred, other_share));
	r = admin(fx, "thread-shred", thread);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "already"));
	json_decref(r);
	r = admin(fx, "thread-shred", "0123456789abcdef0123456789abcdef");
	assert_string_equal(corefix_code(r), "bad_request");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "no thread"));
	json_decref(r);
	r = admin(fx, "thread-shred", "not-an-id");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
}

/* A stored reply answers a resend for request_keep (7 days by default), then goes, and the
 * resend runs again; a session's row goes a day after its absolute end. */
static void test_purge_by_age(void **state)
{
	struct corefix *fx = *state;
	char thread[STORE_ID_SIZE], again[STORE_ID_SIZE];
	uint8_t share[32], share2[32];
	struct store_session s;
	int64_t t0 = fx->now;
	struct who c, c2;

	corefix_login_citizen(fx, CITIZEN, &c);
	prepare(fx, &c, "r1", thread, share);
	open_thread(fx, &c, thread); /* opened: not dropped after a day like a prepared one */
	tick(fx);		     /* the first purge runs at once and finds nothing old */
	assert_int_equal(fx->st->ops->session->get(fx->st, c.hash, &s), STORE_OK);

	fx->now = t0 + 7 * DAY_MS - MINUTE_MS;
	tick(fx);
	assert_int_equal(fx->st->ops->session->get(fx->st, c.hash, &s), STORE_NOTFOUND);
	corefix_login_citizen(fx, CITIZEN, &c2);
	prepare(fx, &c2, "r1", again, share2);
	assert_string_equal(again, thread); /* still the stored reply */
	assert_memory_equal(share2, share, 32);

	fx->now = t0 + 7 * DAY_MS + 2 * MINUTE_MS;
	tick(fx);
	prepare(fx, &c2, "r1", again, share2);
	assert_string_not_equal(again, thread); /* purged: the resend ran again */
	assert_int_equal(fx->st->ops->session->get(fx->st, c2.hash, &s), STORE_OK);
}

static void exec_ok(sqlite3 *h, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

/* A database as a program with the migrations up to 10 left it: shares in its own table and
 * a stored thread.prepare reply that holds one. */
static void make_old(const char *path, const uint8_t share[32])
{
	char sql[600], b64url[64], hex[65];
	sqlite3 *h;

	sodium_bin2base64(b64url, sizeof b64url, share, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2hex(hex, sizeof hex, share, 32);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	exec_ok(h, "CREATE TABLE schema_migrations(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		   " applied INTEGER NOT NULL)");
	for (size_t i = 0; i < store_sqlite_nmigrations && store_sqlite_migrations[i].id <= 10; i++) {
		exec_ok(h, store_sqlite_migrations[i].sql);
		snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES(%d, 'old', 0)",
			 store_sqlite_migrations[i].id);
		exec_ok(h, sql);
	}
	snprintf(sql, sizeof sql,
		 "INSERT INTO users VALUES('c1', 1, 0);"
		 "INSERT INTO e2e_shares VALUES('t1', 'c1', x'%s', 5, 0);"
		 "INSERT INTO requests VALUES('c1', 'p1',"
		 " '{\"type\":\"ok\",\"id\":\"p1\",\"thread\":\"t1\",\"share\":\"%s\"}', 5);",
		 hex, b64url);
	exec_ok(h, sql);
	sqlite3_close(h);
}

/* Migration 16: the shares move to the shred store, the stored replies lose theirs, and no
 * page of the main file keeps them; a store whose shred store went missing does not open. */
static void test_migration_16_moves_shares(void **state)
{
	struct corefix *fx = *state;
	char path[400], shred[400], owner[STORE_ID_SIZE], *reply = NULL;
	uint8_t share[32], got[32];
	struct store *st;
	int opened = -1;

	randombytes_buf(share, sizeof share);
	snprintf(path, sizeof path, "%s/old.db", fx->dir);
	make_old(path, share);
	assert_true(file_has_share(path, share));

	assert_non_null(st = store_sqlite_open(path, STORE_READWRITE));
	assert_true(store_sqlite_schema_version(st) >= 16);
	assert_int_equal(st->ops->keys->share_get(st, "t1", owner, &opened, got), STORE_OK);
	assert_memory_equal(got, share, 32);
	assert_string_equal(owner, "c1");
	assert_int_equal(st->ops->request->get(st, "c1", "p1", &reply), STORE_OK);
	assert_null(strstr(reply, "share"));
	assert_non_null(strstr(reply, "\"thread\":\"t1\""));
	free(reply);
	st->ops->close(st);
	assert_false(files_have_share(path, share));
	store_sqlite_shred_path(path, shred, sizeof shred);
	assert_true(file_has_share(shred, share));

	/* Without its shred store the migrated database refuses to open. */
	assert_int_equal(unlink(shred), 0);
	assert_null(store_sqlite_open(path, STORE_READWRITE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prepare_reply_kept_without_share, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_thread_shred, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_purge_by_age, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_migration_16_moves_shares, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
