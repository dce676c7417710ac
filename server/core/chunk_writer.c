/*
 * chunk_writer.c - the attachment chunk writer thread (chunk_writer.h): accepted chunks into
 * their part files, one fdatasync per file for the chunks that queued up, the completed part
 * file renamed to the blob, the folder synced once per group, then every request handed back.
 *
 * Blobs are <blob_dir>/<file id>.part while uploading and <blob_dir>/<file id> when complete.
 * A blob that is complete while its row is not (the last chunk was written and renamed, then
 * the row's commit was lost in a crash) goes back to being the part file when the next chunk
 * of it comes, so that the chunks before it are kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "advice_crypto.h"
#include "chunk_writer.h"
#include "dirsync.h"
#include "log.h"

#define CHUNK_HEADER 24 /* "QC", version, 0, file id (16), index (u32 LE): §12.4 */
#define GROUP_MAX    64 /* requests taken at once */
#define PATH_BYTES   700

struct chunk_writer {
	char blob_dir[PATH_BYTES - 64];
	chunk_written_fn done;
	void *done_arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct core_request *head, *tail; /* queued, not yet written */
	int stopping;
};

/* The hex file id and the index of a chunk message (the core checked its header). */
static void chunk_header(const struct core_request *r, char id[STORE_ID_SIZE], int64_t *index)
{
	const uint8_t *in = (const uint8_t *)r->body;

	advice_hex(id, in + 4, ADVICE_OID_BYTES);
	*index = (int64_t)in[20] | (int64_t)in[21] << 8 | (int64_t)in[22] << 16 | (int64_t)in[23] << 24;
}

/* Opens the part file of `id` for writing; a complete blob without its part file becomes the
 * part file again. *fresh says whether the folder must be synced for it. The descriptor or -1. */
static int open_part(const char *dir, const char *id, int *fresh)
{
	char part[PATH_BYTES], done[PATH_BYTES];
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(part, sizeof part, "%s/%s.part", dir, id);
	snprintf(done, sizeof done, "%s/%s", dir, id);
	*fresh = stat(part, &sb) != 0;
	if (*fresh && rename(done, part) != 0 && errno != ENOENT)
		return -1;
	return open(part, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* The part file of `id` becomes the blob (the folder is synced by the caller). 0 or -1. */
static int finish_blob(const char *dir, const char *id)
{
	char part[PATH_BYTES], done[PATH_BYTES];

	snprintf(part, sizeof part, "%s/%s.part", dir, id);
	snprintf(done, sizeof done, "%s/%s", dir, id);
	return rename(part, done);
}

/*
 * Writes the chunks of one file (`reqs[0..n)`, in order, all of file `id`) and syncs it once.
 * Sets chunk.written of each: 1, or -1 for every chunk from the first write that failed on
 * (a failed sync fails them all). Returns whether the folder must be synced for the file (1),
 * 0, or -1 when nothing of it was written.
 */
static int write_file(const char *dir, const char *id, struct core_request **reqs, size_t n)
{
	int fd, fresh = 0, writes = 0, last = 0, ok = 1;

	for (size_t i = 0; i < n; i++) {
		reqs[i]->chunk.written = 1;
		writes += reqs[i]->chunk.step == CHUNK_WRITE;
	}
	if (writes == 0)
		return 0; /* only resends of chunks on their way */
	if ((fd = open_part(dir, id, &fresh)) < 0) {
		log_err("blob %s: cannot open: %s", id, strerror(errno));
		ok = 0;
	}
	for (size_t i = 0; ok && i < n; i++) {
		struct core_request *r = reqs[i];
		size_t len = r->len - CHUNK_HEADER;
		char rid[STORE_ID_SIZE];
		int64_t index;

		if (r->chunk.step != CHUNK_WRITE)
			continue;
		chunk_header(r, rid, &index);
		if (pwrite(fd, r->body + CHUNK_HEADER, len, (off_t)(index * ADVICE_FILE_CHUNK_MAX_CIPHER)) !=
		    (ssize_t)len) {
			log_err("blob %s: cannot write chunk %lld: %s", id, (long long)index,
				strerror(errno));
			for (size_t k = i; k < n; k++)
				reqs[k]->chunk.written = -1;
			break;
		}
		last |= r->chunk.last;
	}
	if (fd >= 0 && fdatasync(fd) != 0) {
		log_err("blob %s: cannot sync: %s", id, strerror(errno));
		ok = 0;
	}
	if (fd >= 0)
		close(fd);
	if (ok && last && finish_blob(dir, id) != 0) {
		log_err("blob %s: cannot finish: %s", id, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			reqs[i]->chunk.written = -1;
		return -1;
	}
	return fresh || last;
}

void chunk_writer_write(const char *blob_dir, struct core_request **reqs, size_t n)
{
	struct core_request *mine[GROUP_MAX];
	char id[STORE_ID_SIZE], other[STORE_ID_SIZE];
	int64_t index;
	int need_dir_sync = 0;
	unsigned char *taken = calloc(n ? n : 1, 1);

	if (taken == NULL) { /* nothing written: every chunk is refused */
		for (size_t i = 0; i < n; i++)
			reqs[i]->chunk.written = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;

		if (taken[i])
			continue;
		chunk_header(reqs[i], id, &index);
		for (size_t k = i; k < n; k++) { /* this file's chunks, in order */
			if (taken[k])
				continue;
			chunk_header(reqs[k], other, &index);
			if (strcmp(id, other) == 0 && m < GROUP_MAX) {
				taken[k] = 1;
				mine[m++] = reqs[k];
			}
		}
		if (write_file(blob_dir, id, mine, m) == 1) {
			need_dir_sync = 1;
			for (size_t k = 0; k < m; k++)
				if (mine[k]->chunk.written == 1)
					mine[k]->chunk.written = 2; /* waits for the folder's sync */
		}
	}
	if (need_dir_sync && dir_sync(blob_dir) != 0) {
		log_err("blob folder %s: cannot sync: %s", blob_dir, strerror(errno));
		need_dir_sync = -1;
	}
	for (size_t i = 0; i < n; i++)
		if (reqs[i]->chunk.written == 2)
			reqs[i]->chunk.written = need_dir_sync == 1 ? 1 : -1;
out:
	free(taken);
}

/* Unlinks up to GROUP_MAX queued requests into `group`; their count. Under the lock. */
static size_t take_group(struct chunk_writer *w, struct core_request **group)
{
	size_t n = 0;

	while (w->head != NULL && n < GROUP_MAX) {
		group[n++] = w->head;
		w->head = w->head->next;
	}
	if (w->head == NULL)
		w->tail = NULL;
	return n;
}

static void *writer_main(void *arg)
{
	struct chunk_writer *w = arg;
	struct core_request *group[GROUP_MAX];

	pthread_mutex_lock(&w->lock);
	for (;;) {
		size_t n;

		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->head == NULL)
			break;
		n = take_group(w, group);
		pthread_mutex_unlock(&w->lock);
		chunk_writer_write(w->blob_dir, group, n);
		for (size_t i = 0; i < n; i++)
			group[i]->next = i + 1 < n ? group[i + 1] : NULL;
		w->done(w->done_arg, group[0]);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct chunk_writer *chunk_writer_start(const char *blob_dir, chunk_written_fn done, void *arg)
{
	struct chunk_writer *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	snprintf(w->blob_dir, sizeof w->blob_dir, "%s", blob_dir);
	w->done = done;
	w->done_arg = arg;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		log_err("cannot start the chunk writer");
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

void chunk_writer_submit(struct chunk_writer *w, struct core_request *list)
{
	struct core_request *last = list;

	if (list == NULL)
		return;
	while (last->next != NULL)
		last = last->next;
	pthread_mutex_lock(&w->lock);
	if (w->tail != NULL)
		w->tail->next = list;
	else
		w->head = list;
	w->tail = last;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void chunk_writer_stop(struct chunk_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
