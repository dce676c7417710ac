/*
 * blobs.c - removing attachment blobs, and the startup sweep of blobs without a row (blobs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "advice_crypto.h"
#include "blobs.h"
#include "dirsync.h"
#include "log.h"

#define BLOB_PATH_BYTES 700

int blob_remove(const char *blob_dir, const char *id)
{
	char path[BLOB_PATH_BYTES];
	int rc = 0;

	for (int part = 0; part <= 1; part++) {
		snprintf(path, sizeof path, "%s/%s%s", blob_dir, id, part ? ".part" : "");
		if (unlink(path) != 0 && errno != ENOENT) {
			log_err("blob %s: cannot remove: %s", id, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* The file id of blob name `name` (32 lowercase hex digits, maybe ".part" after), or 0. */
static int blob_id(const char *name, char id[STORE_ID_SIZE])
{
	size_t len = strspn(name, "0123456789abcdef");

	if (len != 2 * ADVICE_OID_BYTES || (name[len] != '\0' && strcmp(name + len, ".part") != 0))
		return 0;
	memcpy(id, name, len);
	id[len] = '\0';
	return 1;
}

int blobs_sweep(struct store *st, const char *blob_dir, size_t *removed)
{
	DIR *dir = opendir(blob_dir);
	struct dirent *e;
	int rc = 0;

	*removed = 0;
	if (dir == NULL) {
		if (errno == ENOENT)
			return 0; /* no upload yet */
		log_err("blob folder %s: cannot read: %s", blob_dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		char id[STORE_ID_SIZE];
		struct store_file f;
		int got;

		if (!blob_id(e->d_name, id))
			continue;
		got = st->ops->file->get(st, id, &f);
		if (got == STORE_ERROR)
			rc = -1;
		else if (got == STORE_NOTFOUND && blob_remove(blob_dir, id) == 0)
			(*removed)++;
	}
	closedir(dir);
	if (*removed > 0 && dir_sync(blob_dir) != 0) {
		log_err("blob folder %s: cannot sync: %s", blob_dir, strerror(errno));
		rc = -1;
	}
	if (*removed > 0)
		log_notice("blob folder: %zu attachment files without an upload removed", *removed);
	return rc;
}
