/*
 * chunk_writer.h - the attachment chunk writer: a thread of its own that puts the chunks the
 * core accepted (core_request.chunk: CHUNK_WRITE, CHUNK_PASS) into their part files in the
 * blob folder, off the core thread, so that small messages never wait for chunk I/O.
 *
 * It takes what queued up at once and, per file, writes its chunks, syncs the file once
 * (fdatasync), renames a completed part file to the blob, and syncs the folder once for every
 * file that is new or completed. Only then does it hand each request back, in the order it
 * got them, with chunk.written set (1 on disk, -1 not); the core then records the chunk and
 * answers (core_chunk_record), so an acknowledgement still means data and row are on disk.
 */
#ifndef ADVICE_CHUNK_WRITER_H
#define ADVICE_CHUNK_WRITER_H

#include "core.h"

struct chunk_writer;

/* Gets a list (linked by `next`) of requests whose chunks are written, in the order given. */
typedef void (*chunk_written_fn)(void *arg, struct core_request *done);

/* Starts the writer for the blob folder `blob_dir` (copied). NULL when it cannot. */
struct chunk_writer *chunk_writer_start(const char *blob_dir, chunk_written_fn done, void *arg);
/* Queues a list of requests (linked by `next`; ownership passes until they come back through
 * `done`). Never waits for I/O. */
void chunk_writer_submit(struct chunk_writer *w, struct core_request *list);
/* Writes and hands back everything queued, then stops the thread and frees the writer. */
void chunk_writer_stop(struct chunk_writer *w);

/* Writes the chunks of `n` requests now, on the calling thread, as one group (what the
 * thread does with each group; for tests): sets each one's chunk.written. */
void chunk_writer_write(const char *blob_dir, struct core_request **reqs, size_t n);

#endif
