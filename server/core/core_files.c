/*
 * core_files.c - encrypted attachments in the core: file.begin (sizes and quotas checked),
 * chunks arriving as binary WebSocket messages (CORE_REQ_CHUNK), file.status to resume after a
 * reconnect, and file.get for readers (logged for staff). The server sees ciphertext and sizes
 * only. A citizen may upload to a thread prepared and not opened yet (so that the first
 * message names its files); when such a thread is dropped unopened or shredded, its files are
 * purged.
 *
 * A chunk message (PROTOCOL.md §12.4): "QC", version 1, 0, the file id (16 bytes), the chunk
 * index (u32, little-endian), then the chunk's secretstream ciphertext. Chunks are taken in
 * order; one already stored is acknowledged again without a write. A chunk goes three ways:
 * the core checks it (session, upload, thread, order, size) and hands it on; the chunk writer
 * (chunk_writer.c) writes and syncs it off the core thread; the core records it in its row
 * (core_chunk_record) and answers after that commit. Between the first and the last step the
 * core remembers each upload's next index (struct core_uploads), so that a client may keep
 * several chunks on their way; when one of them could not be stored, the others are refused
 * too, until the upload resumes from file.status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "blobs.h"
#include "core_internal.h"
#include "log.h"

#define CHUNK_HEADER	    24
#define CHUNK_CIPHER	    ADVICE_FILE_CHUNK_MAX_CIPHER
#define DEFAULT_FILE_MAX    (25LL << 20)  /* plaintext bytes of one file */
#define DEFAULT_THREAD_MAX  (100LL << 20) /* ciphertext bytes of all files of a thread */
#define DEFAULT_CITIZEN_MAX (250LL << 20) /* ciphertext bytes of all files a citizen uploaded */

static const char *req_str(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

static int64_t quota(int64_t configured, int64_t def)
{
	return configured > 0 ? configured : def;
}

/* Chunks of a file of `size` plaintext bytes (an empty file has one, empty, final chunk). */
static int64_t chunks_of(int64_t size)
{
	return size == 0 ? 1 : (size + ADVICE_FILE_CHUNK_BYTES - 1) / ADVICE_FILE_CHUNK_BYTES;
}

/* The ciphertext length chunk `index` must have. */
static size_t chunk_len(const struct store_file *f, int64_t index)
{
	if (index < f->chunks - 1)
		return CHUNK_CIPHER;
	return (size_t)(f->size - (f->chunks - 1) * ADVICE_FILE_CHUNK_BYTES) + ADVICE_FILE_CHUNK_OVERHEAD;
}

static void blob_path(const struct ctx *x, const char *id, int part, char *out, size_t size)
{
	snprintf(out, size, "%s/%s%s", x->c->cfg.blob_dir, id, part ? ".part" : "");
}

/* Fills t as the thread the caller prepared as `id` and has not opened yet: its own, not closed. */
static void prepared_thread(const struct ctx *x, const char *id, struct store_thread *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->id, sizeof t->id, "%s", id);
	snprintf(t->citizen_id, sizeof t->citizen_id, "%s", x->sess.user_id);
	t->state = THREAD_NEW;
}

/* Whether thread `id`, not found among the opened threads, is one the caller prepared and has
 * not opened yet (PROTOCOL.md §12.4: attachments may be uploaded before thread.open), and
 * `action` is allowed there; t filled when it is. 0 with *yes set, or -1. */
static int upload_prepared(struct ctx *x, const char *id, enum policy_action action, struct store_thread *t,
			   int *yes)
{
	if (core_keys_prepared(x, id, yes) != 0)
		return -1;
	*yes = *yes && policy_allows(action, ROLE_CITIZEN, REL_OWNER);
	if (*yes)
		prepared_thread(x, id, t);
	return 0;
}

/* The thread an upload goes to (file.begin, chunks): a thread the caller may use for `action`
 * (core_thread_for_id), or one the caller prepared and has not opened yet, which exists for
 * nobody else. 0 with t filled, 0 with ctx->err set (as core_thread_for_id), or -1. */
static int upload_thread(struct ctx *x, const char *id, enum policy_action action, struct store_thread *t)
{
	int rc = x->st->ops->thread->get(x->st, id, t), prepared = 0;

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND && upload_prepared(x, id, action, t, &prepared) != 0)
		return -1;
	return prepared ? 0 : core_thread_for_id(x, id, action, t);
}

/* Loads the file of field "file" and its thread, checking `action` against the thread; with
 * `prepared_ok` also a file of a thread the caller prepared and has not opened. A file of a
 * thread the caller may not see gets the answer of a file that does not exist. */
static int load_file(struct ctx *x, enum policy_action action, int prepared_ok, struct store_file *f,
		     struct store_thread *t)
{
	char object[STORE_ID_SIZE + 8];
	int rc = x->st->ops->file->get(x->st, req_str(x, "file"), f), prepared = 0;

	if (rc == STORE_OK) {
		rc = x->st->ops->thread->get(x->st, f->thread_id, t);
		if (rc == STORE_NOTFOUND && prepared_ok &&
		    upload_prepared(x, f->thread_id, action, t, &prepared) != 0)
			return -1;
		if (prepared)
			return 0;
	}
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || !core_thread_visible(x, t)) {
		snprintf(object, sizeof object, "file:%s", req_str(x, "file"));
		if (core_hide(x, action, object, rc == STORE_OK ? t : NULL) != 0)
			return -1;
		snprintf(x->err_field, sizeof x->err_field, "/file");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such file");
	}
	return core_thread_for_id(x, f->thread_id, action, t);
}

static void put_status(struct ctx *x, const struct store_file *f)
{
	json_object_set_new(x->result, "file", json_string(f->id));
	json_object_set_new(x->result, "chunks", json_integer(f->chunks));
	json_object_set_new(x->result, "received", json_integer(f->received));
	json_object_set_new(x->result, "complete", json_boolean(f->complete));
}

int core_file_begin(struct ctx *x)
{
	const struct core_config *cfg = &x->c->cfg;
	struct store_file f = { .created = x->now };
	json_int_t size = json_integer_value(json_object_get(x->msg, "size"));
	int64_t thread_bytes = 0, owner_bytes = 0, cipher;
	struct store_thread t;
	int rc;

	if (cfg->blob_dir[0] == '\0')
		return core_fail(x, ADVICE_ERR_UNAVAILABLE, "attachments are not enabled");
	if ((rc = upload_thread(x, req_str(x, "thread"), ACT_FILE_BEGIN, &t)) != 0 || x->err)
		return rc;
	if (t.state == THREAD_CLOSED)
		return core_fail(x, ADVICE_ERR_THREAD_CLOSED, "the thread is closed");
	rc = x->st->ops->file->get(x->st, req_str(x, "file"), &f);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK) { /* resuming: the same upload again */
		if (strcmp(f.owner_id, x->sess.user_id) != 0 || strcmp(f.thread_id, t.id) != 0 ||
		    f.size != size) {
			snprintf(x->err_field, sizeof x->err_field, "/file");
			return core_fail(x, ADVICE_ERR_CONFLICT, "this file id is taken");
		}
		put_status(x, &f);
		return 0;
	}
	snprintf(f.id, sizeof f.id, "%s", req_str(x, "file"));
	snprintf(f.thread_id, sizeof f.thread_id, "%s", t.id);
	snprintf(f.owner_id, sizeof f.owner_id, "%s", x->sess.user_id);
	f.size = size;
	f.chunks = chunks_of(size);
	f.created = x->now;
	cipher = f.size + ADVICE_FILE_CHUNK_OVERHEAD * f.chunks;
	snprintf(x->err_field, sizeof x->err_field, "/size");
	if (size > quota(cfg->file_max, DEFAULT_FILE_MAX))
		return core_fail(x, ADVICE_ERR_TOO_LARGE, "a file may have at most %lld bytes",
				 (long long)quota(cfg->file_max, DEFAULT_FILE_MAX));
	if (x->st->ops->file->usage(x->st, t.id, x->sess.user_id, &thread_bytes, &owner_bytes) != STORE_OK)
		return -1;
	if (thread_bytes + cipher > quota(cfg->thread_files_max, DEFAULT_THREAD_MAX))
		return core_fail(x, ADVICE_ERR_TOO_LARGE, "the thread's attachments would exceed %lld bytes",
				 (long long)quota(cfg->thread_files_max, DEFAULT_THREAD_MAX));
	if (x->sess.role == ROLE_CITIZEN &&
	    owner_bytes + cipher > quota(cfg->citizen_files_max, DEFAULT_CITIZEN_MAX))
		return core_fail(x, ADVICE_ERR_TOO_LARGE, "your attachments would exceed %lld bytes",
				 (long long)quota(cfg->citizen_files_max, DEFAULT_CITIZEN_MAX));
	x->err_field[0] = '\0';
	if (x->st->ops->file->put(x->st, &f) != STORE_OK)
		return -1;
	put_status(x, &f);
	return 0;
}

int core_file_status(struct ctx *x)
{
	struct store_file f;
	struct store_thread t;
	int rc;

	if ((rc = load_file(x, ACT_FILE_STATUS, 1, &f, &t)) != 0 || x->err)
		return rc;
	put_status(x, &f);
	json_object_set_new(x->result, "thread", json_string(f.thread_id));
	json_object_set_new(x->result, "size", json_integer(f.size));
	return 0;
}

int core_file_get(struct ctx *x)
{
	json_int_t index = json_integer_value(json_object_get(x->msg, "index"));
	uint8_t *buf = NULL;
	char path[700], *b64 = NULL;
	struct store_file f;
	struct store_thread t;
	size_t len, n;
	int fd, rc;

	if ((rc = load_file(x, ACT_FILE_GET, 0, &f, &t)) != 0 || x->err)
		return rc;
	if (!f.complete)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the upload is not complete");
	if (index >= f.chunks) {
		snprintf(x->err_field, sizeof x->err_field, "/index");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "the file has %lld chunks", (long long)f.chunks);
	}
	/* Content goes to staff only after the access-log entry. */
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "file.get", "ok") != 0)
		return -1;
	len = chunk_len(&f, index);
	blob_path(x, f.id, 0, path, sizeof path);
	rc = -1;
	if ((buf = malloc(len)) == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		goto out;
	n = (size_t)pread(fd, buf, len, (off_t)(index * CHUNK_CIPHER));
	close(fd);
	if (n != len) {
		log_err("blob %s is short", f.id);
		goto out;
	}
	n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((b64 = malloc(n)) == NULL)
		goto out;
	sodium_bin2base64(b64, n, buf, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_set_new(x->result, "file", json_string(f.id));
	json_object_set_new(x->result, "index", json_integer(index));
	json_object_set_new(x->result, "chunk", json_string(b64));
	rc = 0;
out:
	free(buf);
	free(b64);
	return rc;
}

/* ---- uploads with chunks on their way ---- */

/* One upload with chunks between the core's check and their record. */
struct upload_way {
	char id[STORE_ID_SIZE];
	int64_t next; /* the index its next chunk must have */
	int on_way;   /* chunks handed on and not yet back */
	int broken;   /* one of them could not be stored (or was dropped): refuse until all are back */
};

struct core_uploads {
	struct upload_way *w;
	size_t n, cap;
};

static struct upload_way *way_find(const struct core *c, const char *id)
{
	const struct core_uploads *u = c->uploads;

	for (size_t i = 0; u != NULL && i < u->n; i++)
		if (strcmp(u->w[i].id, id) == 0)
			return &u->w[i];
	return NULL;
}

/* The way of upload `id`, added (next = `received`) when it has none. NULL when out of memory. */
static struct upload_way *way_get(struct core *c, const char *id, int64_t received)
{
	struct upload_way *w = way_find(c, id);
	struct core_uploads *u = c->uploads;

	if (w != NULL)
		return w;
	if (u == NULL && (u = c->uploads = calloc(1, sizeof *u)) == NULL)
		return NULL;
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 16;
		struct upload_way *nw = realloc(u->w, cap * sizeof *nw);

		if (nw == NULL)
			return NULL;
		u->w = nw;
		u->cap = cap;
	}
	w = &u->w[u->n++];
	memset(w, 0, sizeof *w);
	snprintf(w->id, sizeof w->id, "%s", id);
	w->next = received;
	return w;
}

/* A chunk of upload `id` came back (or was dropped: `failed`). Returns whether the upload's
 * way was broken: then the chunk may not be recorded. The way goes when its last chunk is back. */
static int way_arrived(struct core *c, const char *id, int failed)
{
	struct upload_way *w = way_find(c, id);
	struct core_uploads *u = c->uploads;
	int broken;

	if (w == NULL)
		return 1;
	w->on_way--;
	broken = w->broken = w->broken || failed;
	if (w->on_way <= 0)
		*w = u->w[--u->n];
	return broken;
}

void core_chunks_free(struct core *c)
{
	if (c->uploads != NULL)
		free(c->uploads->w);
	free(c->uploads);
	c->uploads = NULL;
}

const char *core_blob_dir(const struct core *c)
{
	return c->cfg.blob_dir;
}

/* ---- chunks ---- */

/* The file id (hex) and index of a chunk message of at least CHUNK_HEADER bytes. */
static void chunk_header(const uint8_t *in, char id[STORE_ID_SIZE], int64_t *index)
{
	advice_hex(id, in + 4, ADVICE_OID_BYTES);
	*index = (int64_t)in[20] | (int64_t)in[21] << 8 | (int64_t)in[22] << 16 | (int64_t)in[23] << 24;
}

/* Sets the chunk event's outcome (code and message) and returns 0. */
static int chunk_fail(json_t *result, int code, const char *message)
{
	json_object_set_new(result, "code", json_string(advice_err_name(code)));
	json_object_set_new(result, "message", json_string(message));
	return 0;
}

static void chunk_ok(json_t *result, const struct store_file *f)
{
	json_object_set_new(result, "code", json_string("ok"));
	json_object_set_new(result, "received", json_integer(f->received));
	json_object_set_new(result, "complete", json_boolean(f->complete));
}

/* Hands the checked chunk `index` of upload `f` on to the chunk writer (`step`). 0 or -1. */
static int chunk_hand_on(struct ctx *x, const struct store_file *f, int64_t index, enum core_chunk_step step)
{
	struct upload_way *w = way_get(x->c, f->id, f->received);

	if (w == NULL)
		return -1;
	w->on_way++;
	if (step == CHUNK_WRITE)
		w->next = index + 1;
	x->rep->chunk.step = step;
	x->rep->chunk.last = step == CHUNK_WRITE && index + 1 == f->chunks;
	return 0;
}

int core_file_chunk(struct ctx *x)
{
	const uint8_t *in = (const uint8_t *)x->req->body;
	size_t len = x->req->len;
	char id[STORE_ID_SIZE];
	struct store_file f;
	struct store_thread t;
	struct upload_way *way;
	int64_t index, expected;
	int rc;

	json_object_set_new(x->result, "type", json_string("event"));
	json_object_set_new(x->result, "event", json_string("file.chunk"));
	json_object_set_new(x->result, "file", json_null());
	if (len < CHUNK_HEADER || in[0] != 'Q' || in[1] != 'C' || in[2] != 1 || in[3] != 0)
		return chunk_fail(x->result, ADVICE_ERR_BAD_REQUEST, "not a chunk message");
	chunk_header(in, id, &index);
	json_object_set_new(x->result, "file", json_string(id));
	json_object_set_new(x->result, "index", json_integer(index));
	if (x->c->cfg.blob_dir[0] == '\0')
		return chunk_fail(x->result, ADVICE_ERR_UNAVAILABLE, "attachments are not enabled");
	rc = x->st->ops->file->get(x->st, id, &f);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || strcmp(f.owner_id, x->sess.user_id) != 0)
		return chunk_fail(x->result, ADVICE_ERR_NOT_FOUND,
				  "no such upload of yours (file.begin first)");
	/* The caller must still be allowed to write to the thread: its refusal goes in the event. */
	if ((rc = upload_thread(x, f.thread_id, ACT_FILE_BEGIN, &t)) != 0)
		return rc;
	if (x->err != ADVICE_OK) {
		int code = x->err;

		x->err = ADVICE_OK;
		return chunk_fail(x->result, code, x->err_msg);
	}
	way = way_find(x->c, f.id);
	expected = way != NULL ? way->next : f.received;
	if (index < f.received || f.complete) {
		/* Stored already (a resend after a lost acknowledgement): acknowledge again. */
		chunk_ok(x->result, &f);
		return 0;
	}
	if (way != NULL && way->broken)
		return chunk_fail(x->result, ADVICE_ERR_UNAVAILABLE,
				  "an earlier chunk could not be stored: resume from file.status");
	if (index < expected) /* a resend of a chunk on its way: answered after it */
		return chunk_hand_on(x, &f, index, CHUNK_PASS);
	if (index > expected)
		return chunk_fail(x->result, ADVICE_ERR_CONFLICT,
				  "chunks go in order: resume from file.status");
	if (len - CHUNK_HEADER != chunk_len(&f, index))
		return chunk_fail(x->result, ADVICE_ERR_BAD_REQUEST, "the chunk has the wrong size");
	return chunk_hand_on(x, &f, index, CHUNK_WRITE);
}

/* The outcome of a chunk back from the writer, into `result`. 0 or -1 when the store failed. */
static int chunk_settle(struct core *c, const struct core_request *req, const char *id, int64_t index,
			json_t *result)
{
	struct store *st = c->st;
	struct store_file f;
	int broken = way_arrived(c, id, req->chunk.written < 0);
	int rc = st->ops->file->get(st, id, &f);

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND) { /* deleted meanwhile (its thread shredded or purged) */
		blob_remove(c->cfg.blob_dir, id);
		return chunk_fail(result, ADVICE_ERR_NOT_FOUND, "no such upload of yours (file.begin first)");
	}
	if (index < f.received || f.complete) { /* recorded (a resend answered after its chunk) */
		chunk_ok(result, &f);
		return 0;
	}
	if (req->chunk.written != 1 || broken || req->chunk.step != CHUNK_WRITE || index != f.received)
		return chunk_fail(result, ADVICE_ERR_UNAVAILABLE,
				  "the chunk could not be stored: resume from file.status");
	f.received = index + 1;
	f.complete = req->chunk.last;
	if (st->ops->file->progress(st, f.id, f.received, f.complete) != STORE_OK)
		return -1;
	chunk_ok(result, &f);
	return 0;
}

int core_chunk_record(struct core *c, const struct core_request *req, struct core_reply *rep)
{
	json_t *result = json_object();
	char id[STORE_ID_SIZE];
	int64_t index;
	int rc;

	rep->conn_id = req->conn_id;
	rep->kind = req->kind;
	chunk_header((const uint8_t *)req->body, id, &index);
	if (result == NULL) {
		way_arrived(c, id, 1);
		return -1;
	}
	json_object_set_new(result, "type", json_string("event"));
	json_object_set_new(result, "event", json_string("file.chunk"));
	json_object_set_new(result, "file", json_string(id));
	json_object_set_new(result, "index", json_integer(index));
	rc = chunk_settle(c, req, id, index, result);
	if (rc == 0)
		rc = core_reply_set_json(rep, result);
	else
		json_decref(result);
	return rc;
}

void core_chunk_forget(struct core *c, const struct core_request *req)
{
	char id[STORE_ID_SIZE];
	int64_t index;

	chunk_header((const uint8_t *)req->body, id, &index);
	way_arrived(c, id, 1);
}

int core_files_purge(struct ctx *x, size_t max, size_t *n)
{
	char(*ids)[STORE_ID_SIZE] = calloc(max, sizeof *ids);
	int rc = -1;

	*n = 0;
	if (ids == NULL || x->st->ops->file->orphans(x->st, ids, max, n) != STORE_OK)
		goto out;
	for (size_t i = 0; i < *n; i++) {
		if (x->c->cfg.blob_dir[0] != '\0')
			blob_remove(x->c->cfg.blob_dir, ids[i]);
		if (x->st->ops->file->drop(x->st, ids[i]) != STORE_OK)
			goto out;
	}
	rc = 0;
out:
	free(ids);
	return rc;
}
