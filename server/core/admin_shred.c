/*
 * admin_shred.c - advicectl thread-shred (admin_shred.h): a thread's shred share deleted, the
 * thread recorded as shredded, its internal notes deleted: the share step of a shred (shred.h),
 * alone. The ciphertext, wraps and files stay until retention or thread-erase deletes them; without the share
 * no key opens them, in this database or in any copy of it. The files of a thread prepared and never opened
 * go with the next purge (core_files_purge).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "errfmt.h"
#include "admin_shred.h"
#include "shred.h"

/* Whether `id` has the form of an id: 32 lowercase hex digits. */
static int id_valid(const char *id)
{
	if (strlen(id) != ADVICE_ID_HEX)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* A thread, or a thread id prepared and not opened yet (a share without a thread). */
static int thread_known(struct store *st, const char *id, struct store_thread *t, int *prepared)
{
	uint8_t share[STORE_KEY_BYTES];
	char owner[STORE_ID_SIZE];
	int opened = 0, rc = st->ops->thread->get(st, id, t);

	*prepared = 0;
	if (rc != STORE_NOTFOUND)
		return rc;
	rc = st->ops->keys->share_get(st, id, owner, &opened, share);
	memset(share, 0, sizeof share);
	*prepared = rc == STORE_OK;
	return rc;
}

static int cmd_thread_shred(struct store *st, int64_t now, const char *id, struct admin_out *out, char *err,
			    size_t errlen)
{
	struct store_thread t;
	int64_t when = 0, notes = 0;
	int prepared = 0, rc;

	if (!id_valid(id))
		return err_fail(err, errlen, "a thread id is 32 lowercase hex digits");
	if ((rc = st->ops->keys->share_shredded(st, id, &when)) == STORE_OK)
		return err_fail(err, errlen, "thread %s was shredded already", id);
	if (rc != STORE_NOTFOUND)
		return -1;
	if ((rc = thread_known(st, id, &t, &prepared)) == STORE_NOTFOUND)
		return err_fail(err, errlen, "no thread %s", id);
	if (rc != STORE_OK)
		return -1;
	if (!prepared && t.state != THREAD_CLOSED)
		admin_warn(out, "thread %s is not closed: its people can no longer read it", id);
	if (shred_share(st, id, now) != STORE_OK ||
	    st->ops->note->note_delete_thread(st, id, &notes) != STORE_OK)
		return -1;
	fprintf(out->text,
		"thread %s shredded: its key share is deleted, and no copy of the database opens its "
		"messages any more; %lld internal notes deleted\n",
		id, (long long)notes);
	admin_data_set(out, "thread", json_pack("{s:s, s:b}", "id", id, "shredded", 1));
	return 0;
}

int admin_shred_run(struct store *st, int64_t now_ms, int argc, char **argv, struct admin_out *out, char *err,
		    size_t errlen)
{
	if (strcmp(argv[0], "thread-shred") == 0 && argc == 2)
		return cmd_thread_shred(st, now_ms, argv[1], out, err, errlen);
	return 1;
}
