/*
 * blobs.h - the attachment blobs in the blob folder: <file id>.part while uploading,
 * <file id> when complete (chunk_writer.c writes them). Removing one, and the startup sweep
 * of blobs that no file row names any more.
 */
#ifndef ADVICE_BLOBS_H
#define ADVICE_BLOBS_H

#include <stddef.h>

#include "store.h"

/* Unlinks both forms of blob `id` (the part file and the complete one); 0 also when neither is
 * there, -1 when one could not be removed (logged). The caller syncs the folder. */
int blob_remove(const char *blob_dir, const char *id);

/*
 * Removes every blob of the folder whose file has no row (a crash between a chunk's write and
 * its row: the upload was deleted meanwhile), and syncs the folder when it removed one. Only
 * while no chunk is being written (at startup, before the core thread starts). Names that are
 * not blobs are left alone. *removed counts what went. 0, or -1 (store or folder failure,
 * logged).
 */
int blobs_sweep(struct store *st, const char *blob_dir, size_t *removed);

#endif
