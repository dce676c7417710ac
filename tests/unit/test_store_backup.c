/*
 * test_store_backup.c - the store's backup operations (struct store_backup_ops) over real
 * SQLite files: the copy is one snapshot, taken while the writer commits on (a write made
 * during the copy is not in it, and did not wait for it); the copy passes the integrity check
 * and reopens; which attachment records may have lost their blob (deleted, shredded, a purge's
 * orphan) and which may not (an opened or prepared thread's).
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

#include "corefix.h"
#include "store.h"

#define CITIZEN "010594Y9032"

/* thread.prepare; the thread's id. */
static void prepare(struct corefix *fx, const struct who *c, const char *rid, char thread[STORE_ID_SIZE])
{
	json_t *r = corefix_ws(fx, c, "{\"type\":\"thread.prepare\",\"id\":\"%s\"}", rid);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
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

/* An attachment record of `thread`, committed; its id into id. */
static void file_put(struct corefix *fx, const char *thread, const char *owner, int n, char id[STORE_ID_SIZE])
{
	struct store_file f = { .size = 10, .chunks = 1, .received = 1, .complete = 1, .created = fx->now };
	struct store *st = fx->st;

	snprintf(f.id, sizeof f.id, "f11e%028d", n);
	snprintf(f.thread_id, sizeof f.thread_id, "%s", thread);
	snprintf(f.owner_id, sizeof f.owner_id, "%s", owner);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->file->put(st, &f), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	snprintf(id, STORE_ID_SIZE, "%s", f.id);
}

static int may_be_gone(struct corefix *fx, const char *id, const char *thread)
{
	struct store_backup_file f = { .complete = 1, .chunks = 1, .received = 1 };
	char shred[400];

	snprintf(f.id, sizeof f.id, "%s", id);
	snprintf(f.thread_id, sizeof f.thread_id, "%s", thread);
	store_sqlite_shred_path(fx->db, shred, sizeof shred);
	return fx->st->ops->backup->blob_may_be_gone(fx->st, shred, &f);
}

/* The records a copy reports; on the first, a write by the writer, which must not wait. */
struct during {
	struct corefix *fx;
	const char *thread, *owner;
	int records;
	char written[STORE_ID_SIZE];
};

static int on_record(void *arg, const struct store_backup_file *f)
{
	struct during *d = arg;

	(void)f;
	if (d->records++ == 0)
		file_put(d->fx, d->thread, d->owner, 99, d->written);
	return 0;
}

static int count_record(void *arg, const struct store_backup_file *f)
{
	int *n = arg;

	(void)f;
	(*n)++;
	return 0;
}

static void test_copy_is_one_snapshot_while_the_writer_goes_on(void **state)
{
	struct corefix *fx = *state;
	struct during d = { .fx = fx };
	char thread[STORE_ID_SIZE], id[STORE_ID_SIZE], copy[400], why[256];
	struct store *ro, *back;
	struct who c;
	int n = 0;

	corefix_login_citizen(fx, CITIZEN, &c);
	prepare(fx, &c, "p1", thread);
	open_thread(fx, &c, thread);
	file_put(fx, thread, c.user_id, 1, id);
	file_put(fx, thread, c.user_id, 2, id);

	assert_non_null(ro = store_sqlite_open(fx->db, STORE_READONLY));
	snprintf(copy, sizeof copy, "%s/copy.db", fx->dir);
	d.thread = thread;
	d.owner = c.user_id;
	assert_int_equal(ro->ops->backup->copy(ro, copy, on_record, &d), STORE_OK);
	assert_int_equal(d.records, 2); /* the snapshot's, not the one written meanwhile */
	/* The destination must be new. */
	assert_int_equal(ro->ops->backup->copy(ro, copy, count_record, &n), STORE_ERROR);
	ro->ops->close(ro);

	assert_non_null(back = store_sqlite_open(copy, STORE_READONLY));
	assert_int_equal(back->ops->backup->check(back, why, sizeof why), STORE_OK);
	n = 0;
	assert_int_equal(back->ops->backup->files(back, count_record, &n), STORE_OK);
	assert_int_equal(n, 2);
	back->ops->close(back);
	n = 0;
	assert_int_equal(fx->st->ops->backup->files(fx->st, count_record, &n), STORE_OK);
	assert_int_equal(n, 3); /* the write went through while the copy's snapshot was held */
	assert_int_equal(fx->st->ops->backup->check(fx->st, why, sizeof why), STORE_OK);
}

static void test_which_blob_may_be_gone(void **state)
{
	struct corefix *fx = *state;
	char opened[STORE_ID_SIZE], prepared[STORE_ID_SIZE], orphan[STORE_ID_SIZE], id[STORE_ID_SIZE];
	struct who c;

	corefix_login_citizen(fx, CITIZEN, &c);
	prepare(fx, &c, "p1", opened);
	open_thread(fx, &c, opened);
	prepare(fx, &c, "p2", prepared);
	snprintf(orphan, sizeof orphan, "%s", "0123456789abcdef0123456789abcdef");

	file_put(fx, opened, c.user_id, 1, id);
	assert_int_equal(may_be_gone(fx, id, opened), 0); /* an opened thread's: damage */
	file_put(fx, prepared, c.user_id, 2, id);
	assert_int_equal(may_be_gone(fx, id, prepared), 0); /* a prepared thread's: damage */
	file_put(fx, orphan, c.user_id, 3, id);
	assert_int_equal(may_be_gone(fx, id, orphan), 1); /* no thread, no share: a purge's */
	assert_int_equal(may_be_gone(fx, "f11e0000000000000000000000000042", opened), 1); /* deleted */

	/* Shredded: its share gone, recorded in the main database. */
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->keys->share_shred(fx->st, opened, fx->now), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	file_put(fx, opened, c.user_id, 4, id);
	assert_int_equal(may_be_gone(fx, id, opened), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_is_one_snapshot_while_the_writer_goes_on,
						corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_which_blob_may_be_gone, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
