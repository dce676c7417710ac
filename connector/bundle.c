/*
 * bundle.c - the hand-over bundle (BUNDLE.md): thread.json, the attachments under files/, and
 * manifest.json naming every other file with its size and BLAKE2b-256. The manifest's own hash
 * is the digest that handover.done records in the disclosure log. The same thread read twice
 * gives the same bytes (sorted keys, no time of making), so a bundle made again after a crash
 * has the digest of the first.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connector.h"

#define JSON_FLAGS (JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

const char *bundle_ext(int media)
{
	static const char *const ext[ADVICE_MEDIA__COUNT] = {
		[ADVICE_MEDIA_PDF] = "pdf",   [ADVICE_MEDIA_JPEG] = "jpg",  [ADVICE_MEDIA_PNG] = "png",
		[ADVICE_MEDIA_HEIC] = "heic", [ADVICE_MEDIA_DOCX] = "docx", [ADVICE_MEDIA_ODT] = "odt",
		[ADVICE_MEDIA_TEXT] = "txt",  [ADVICE_MEDIA_XLSX] = "xlsx", [ADVICE_MEDIA_ODS] = "ods",
		[ADVICE_MEDIA_DOC] = "doc",   [ADVICE_MEDIA_TIFF] = "tiff",
	};

	return media > 0 && media < ADVICE_MEDIA__COUNT ? ext[media] : "bin";
}

void bundle_remove(const char *dir)
{
	char path[1200];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof path, "%s/files", dir);
	if ((dp = opendir(path)) != NULL) {
		while ((d = readdir(dp)) != NULL)
			if (d->d_name[0] != '.') {
				snprintf(path, sizeof path, "%s/files/%s", dir, d->d_name);
				unlink(path);
			}
		closedir(dp);
		snprintf(path, sizeof path, "%s/files", dir);
		rmdir(path);
	}
	if ((dp = opendir(dir)) != NULL) {
		while ((d = readdir(dp)) != NULL)
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
				snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
				unlink(path);
			}
		closedir(dp);
	}
	rmdir(dir);
}

int bundle_begin(struct bundle *b, const char *dir, const char *id)
{
	char path[1200];

	memset(b, 0, sizeof *b);
	if (snprintf(b->dir, sizeof b->dir, "%s", dir) >= (int)sizeof b->dir ||
	    snprintf(b->id, sizeof b->id, "%s", id) >= (int)sizeof b->id)
		return -1;
	bundle_remove(dir);
	snprintf(path, sizeof path, "%s/files", dir);
	return fs_mkdirs(path);
}

/* Records a written file of the bundle for the manifest. */
static int bundle_note(struct bundle *b, const char *rel, const uint8_t *data, size_t len)
{
	struct bundle_file *f;

	if (b->n == BUNDLE_MAX_FILES)
		return -1;
	f = &b->files[b->n++];
	snprintf(f->path, sizeof f->path, "%s", rel);
	f->size = len;
	advice_hash(f->hash, data, len);
	return 0;
}

int bundle_add_file(struct bundle *b, const char *name, const uint8_t *data, size_t len)
{
	char rel[96], path[1200];

	if (strchr(name, '/') != NULL || name[0] == '.' ||
	    snprintf(rel, sizeof rel, "files/%s", name) >= (int)sizeof rel)
		return -1;
	snprintf(path, sizeof path, "%s/%s", b->dir, rel);
	if (fs_write_file(path, data, len) != 0)
		return -1;
	return bundle_note(b, rel, data, len);
}

/* Writes doc as rel in the bundle (sorted keys, one space indent, ASCII). */
static int bundle_write_json(struct bundle *b, const char *rel, json_t *doc, uint8_t hash[ADVICE_HASH_BYTES])
{
	char path[1200], *text = json_dumps(doc, JSON_FLAGS);
	size_t len;
	int rc;

	if (text == NULL)
		return -1;
	len = strlen(text);
	snprintf(path, sizeof path, "%s/%s", b->dir, rel);
	rc = fs_write_file(path, text, len);
	if (rc == 0 && hash != NULL)
		advice_hash(hash, text, len);
	if (rc == 0 && strcmp(rel, "manifest.json") != 0)
		rc = bundle_note(b, rel, (const uint8_t *)text, len);
	free(text);
	return rc;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bundle_file *)a)->path, ((const struct bundle_file *)b)->path);
}

int bundle_finish(struct bundle *b, json_t *doc, char digest[2 * ADVICE_HASH_BYTES + 1])
{
	uint8_t mhash[ADVICE_HASH_BYTES];
	char path[1200], hex[2 * ADVICE_HASH_BYTES + 1];
	json_t *manifest, *files;
	int rc;

	if (bundle_write_json(b, "thread.json", doc, NULL) != 0)
		return -1;
	qsort(b->files, b->n, sizeof b->files[0], file_cmp);
	files = json_array();
	for (size_t i = 0; i < b->n; i++) {
		advice_hex(hex, b->files[i].hash, sizeof b->files[i].hash);
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", b->files[i].path, "size",
						       (json_int_t)b->files[i].size, "blake2b_256", hex));
	}
	manifest = json_pack("{s:s, s:s, s:o}", "format", "advice-handover-manifest-1", "id", b->id, "files",
			     files);
	rc = manifest != NULL ? bundle_write_json(b, "manifest.json", manifest, mhash) : -1;
	json_decref(manifest);
	snprintf(path, sizeof path, "%s/files", b->dir);
	if (rc != 0 || fs_sync_dir(path) != 0 || fs_sync_dir(b->dir) != 0)
		return -1;
	advice_hex(digest, mhash, sizeof mhash);
	return 0;
}

/* Appends the names in dir/sub (sub "" or "files") to paths. */
static int list_dir(const char *dir, const char *sub, char (*paths)[128], size_t cap, size_t *n)
{
	char path[1200];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof path, "%s%s%s", dir, *sub ? "/" : "", sub);
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || d->d_type == DT_DIR || strcmp(d->d_name, "manifest.json") == 0)
			continue;
		if (*n == cap) {
			closedir(dp);
			return -1;
		}
		if (snprintf(paths[(*n)++], 128, "%s%s%s", sub, *sub ? "/" : "", d->d_name) >= 128) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return 0;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int bundle_list(const char *dir, char (*paths)[128], size_t cap)
{
	size_t n = 0;

	if (list_dir(dir, "", paths, cap, &n) != 0 || list_dir(dir, "files", paths, cap, &n) != 0 || n == cap)
		return -1;
	qsort(paths, n, 128, path_cmp);
	snprintf(paths[n++], 128, "manifest.json");
	return (int)n;
}

void bundle_clear_work(const char *work)
{
	char path[1200];
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(work);

	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", work, d->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			bundle_remove(path);
		else
			unlink(path);
	}
	closedir(dp);
}
