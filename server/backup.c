/*
 * backup.c - a backup of a data folder while adviced serves, its manifest, and its restore
 * (backup.h). The store makes the SQLite copies (struct store_backup_ops); this file copies
 * the blobs and the configuration, hashes every file and writes or checks the manifest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "errfmt.h"
#include "advice_crypto.h"
#include "audit.h"
#include "backup.h"
#include "datalock.h"
#include "disclosure.h"
#include "dirsync.h"
#include "log.h"
#include "store.h"

#define HASH_BYTES   crypto_generichash_BYTES /* BLAKE2b-256 */
#define COPY_BUF     (64 * 1024)
#define MAX_FILES    10000000 /* entries of one manifest */
#define DB_NAME	     "advice.db"
#define SHRED_NAME   "advice-shred.db"
#define BLOBS_NAME   "blobs"
#define CONFIG_NAME  "config"
#define NOT_INCLUDED "the pepper, the bank-ID keys, the TLS key and the notifier's secrets"

/* The files of a backup, as the manifest lists them. */
struct entry {
	char path[300]; /* relative to the backup folder */
	uint64_t size;
	char hash[2 * HASH_BYTES + 1];
};

struct entries {
	struct entry *e;
	size_t n, cap;
};

/* The attachment records of the database's snapshot. */
struct records {
	struct store_backup_file *f;
	size_t n, cap;
};

/* 1 when `dir` is a folder with nothing in it, 0 when it holds something, -1 when it cannot
 * be read (errno). */
static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (d == NULL)
		return -1;
	while (empty && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Copies at most `limit` bytes (UINT64_MAX: all) from descriptor `in` to a new file `to`
 * (mode 600), synced, hashing what it writes into `hash` and counting it in *size. 0 or -1. */
static int copy_fd(int in, const char *to, uint64_t limit, char hash[2 * HASH_BYTES + 1], uint64_t *size)
{
	crypto_generichash_state h;
	uint8_t digest[HASH_BYTES];
	char *buf = malloc(COPY_BUF);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600), rc = -1;

	*size = 0;
	crypto_generichash_init(&h, NULL, 0, sizeof digest);
	if (out < 0 || buf == NULL)
		goto out;
	while (*size < limit) {
		size_t want = limit - *size < COPY_BUF ? (size_t)(limit - *size) : COPY_BUF;
		ssize_t got = read(in, buf, want), off = 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		while (off < got) {
			ssize_t w = write(out, buf + off, (size_t)(got - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			off += w;
		}
		crypto_generichash_update(&h, (const uint8_t *)buf, (size_t)got);
		*size += (uint64_t)got;
	}
	crypto_generichash_final(&h, digest, sizeof digest);
	sodium_bin2hex(hash, 2 * HASH_BYTES + 1, digest, sizeof digest);
	rc = fsync(out);
out:
	if (out >= 0)
		close(out);
	free(buf);
	return rc;
}

/* The size and BLAKE2b-256 of file `path`. 0 or -1 (errno). */
static int hash_file(const char *path, uint64_t *size, char hash[2 * HASH_BYTES + 1])
{
	crypto_generichash_state h;
	uint8_t digest[HASH_BYTES];
	char *buf = malloc(COPY_BUF);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;
	ssize_t got;

	*size = 0;
	crypto_generichash_init(&h, NULL, 0, sizeof digest);
	if (fd < 0 || buf == NULL)
		goto out;
	while ((got = read(fd, buf, COPY_BUF)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto out;
		crypto_generichash_update(&h, (const uint8_t *)buf, (size_t)got);
		*size += (uint64_t)got;
	}
	crypto_generichash_final(&h, digest, sizeof digest);
	sodium_bin2hex(hash, 2 * HASH_BYTES + 1, digest, sizeof digest);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static struct entry *entry_add(struct entries *es, const char *path)
{
	struct entry *e;

	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 64;
		struct entry *more = cap < MAX_FILES ? realloc(es->e, cap * sizeof *more) : NULL;

		if (more == NULL)
			return NULL;
		es->e = more;
		es->cap = cap;
	}
	e = &es->e[es->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->path, sizeof e->path, "%s", path);
	return e;
}

/* Hashes file `rel` of backup `dir` into a new entry. 0 or -1 with the reason. */
static int entry_hash(struct entries *es, const char *dir, const char *rel, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct entry *e = entry_add(es, rel);

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (e == NULL)
		return err_fail(err, errlen, "out of memory");
	if (hash_file(path, &e->size, e->hash) != 0)
		return err_fail(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

/* Making a backup */

static int record_add(void *arg, const struct store_backup_file *f)
{
	struct records *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct store_backup_file *more = cap < MAX_FILES ? realloc(r->f, cap * sizeof *more) : NULL;

		if (more == NULL)
			return -1;
		r->f = more;
		r->cap = cap;
	}
	r->f[r->n++] = *f;
	return 0;
}

/* Opens the blob of record f: the complete blob, or while uploading the part file (or the
 * complete one that a later chunk made of it meanwhile). The descriptor, or -1. */
static int blob_open(const char *blob_dir, const struct store_backup_file *f)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s%s", blob_dir, f->id, f->complete ? "" : ".part");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && !f->complete) {
		snprintf(path, sizeof path, "%s/%s", blob_dir, f->id);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	return fd;
}

/* Copies the blob of every record into dir/blobs: a complete one whole, an upload's part file
 * up to the chunks the record says are stored. A record without a blob goes into *missing.
 * 0 or -1 with the reason. */
static int copy_blobs(const struct backup_source *src, const char *dir, struct records *r, struct entries *es,
		      struct records *missing, uint64_t *bytes, char *err, size_t errlen)
{
	char folder[PATH_MAX];

	snprintf(folder, sizeof folder, "%s/" BLOBS_NAME, dir);
	if (mkdir(folder, 0700) != 0)
		return err_fail(err, errlen, "%s: %s", folder, strerror(errno));
	for (size_t i = 0; i < r->n; i++) {
		const struct store_backup_file *f = &r->f[i];
		uint64_t limit =
			f->complete ? UINT64_MAX : (uint64_t)f->received * ADVICE_FILE_CHUNK_MAX_CIPHER;
		char rel[300], to[PATH_MAX];
		struct entry *e;
		int fd;

		if (!f->complete && f->received == 0)
			continue; /* nothing stored yet */
		if ((fd = blob_open(src->blob_dir, f)) < 0) {
			if (errno != ENOENT || record_add(missing, f) != 0)
				return err_fail(err, errlen, "blob %s: %s", f->id, strerror(errno));
			continue;
		}
		snprintf(rel, sizeof rel, BLOBS_NAME "/%s%s", f->id, f->complete ? "" : ".part");
		snprintf(to, sizeof to, "%s/%s", dir, rel);
		if ((e = entry_add(es, rel)) == NULL || copy_fd(fd, to, limit, e->hash, &e->size) != 0) {
			close(fd);
			return err_fail(err, errlen, "blob %s: cannot copy: %s", f->id,
					e ? strerror(errno) : "out of memory");
		}
		close(fd);
		*bytes += e->size;
	}
	if (dir_sync(folder) != 0)
		return err_fail(err, errlen, "%s: %s", folder, strerror(errno));
	return 0;
}

/* A record without its blob is allowed only when the live store, read now, says the record
 * is on its way out (deleted since the snapshot, its thread being shredded, or a purge's
 * orphan): its blob was deleted after the snapshot was taken. */
static int check_missing(struct store *st, const struct backup_source *src, const struct records *missing,
			 char *err, size_t errlen)
{
	for (size_t i = 0; i < missing->n; i++) {
		int gone = st->ops->backup->blob_may_be_gone(st, src->shred_database, &missing->f[i]);

		if (gone < 0)
			return err_fail(err, errlen, "cannot read the store to check attachment %s",
					missing->f[i].id);
		if (gone == 0)
			return err_fail(
				err, errlen,
				"the blob of attachment %s is missing from the blob folder and its thread is "
				"not being shredded: the data folder is damaged",
				missing->f[i].id);
	}
	return 0;
}

/* Copies file `from` to dir/rel whole, into a new entry. 0 or -1 with the reason. */
static int copy_plain(const char *from, const char *dir, const char *rel, struct entries *es, char *err,
		      size_t errlen)
{
	char to[PATH_MAX];
	struct entry *e = entry_add(es, rel);
	int fd = open(from, O_RDONLY | O_CLOEXEC), rc;

	snprintf(to, sizeof to, "%s/%s", dir, rel);
	if (e == NULL || fd < 0) {
		if (fd >= 0)
			close(fd);
		return err_fail(err, errlen, "%s: %s", from, e ? strerror(errno) : "out of memory");
	}
	rc = copy_fd(fd, to, UINT64_MAX, e->hash, &e->size);
	close(fd);
	return rc == 0 ? 0 : err_fail(err, errlen, "%s: cannot copy: %s", from, strerror(errno));
}

/* The configuration file and the register file, into dir/config. */
static int copy_config(const struct backup_source *src, const char *dir, struct entries *es,
		       const char **reg_rel, char *err, size_t errlen)
{
	static char rel[300];
	char folder[PATH_MAX];
	const char *base;

	*reg_rel = NULL;
	snprintf(folder, sizeof folder, "%s/" CONFIG_NAME, dir);
	if (mkdir(folder, 0700) != 0)
		return err_fail(err, errlen, "%s: %s", folder, strerror(errno));
	if (copy_plain(src->config_file, dir, CONFIG_NAME "/adviced.conf", es, err, errlen) != 0)
		return -1;
	if (src->register_file != NULL && src->register_file[0] != '\0') {
		base = strrchr(src->register_file, '/');
		base = base ? base + 1 : src->register_file;
		if (strcmp(base, "adviced.conf") == 0 || base[0] == '\0' || base[0] == '.')
			base = "register.json";
		snprintf(rel, sizeof rel, CONFIG_NAME "/%s", base);
		if (copy_plain(src->register_file, dir, rel, es, err, errlen) != 0)
			return -1;
		*reg_rel = rel;
	}
	return dir_sync(folder) == 0 ? 0 : err_fail(err, errlen, "%s: %s", folder, strerror(errno));
}

static void iso_now(char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The manifest's JSON. NULL when out of memory. */
static json_t *manifest_json(const struct backup_source *src, const struct entries *es, const char *made,
			     size_t attachments, const struct records *missing, const char *reg_rel)
{
	json_t *files = json_array(), *gone = json_array(), *m;

	for (size_t i = 0; gone != NULL && i < missing->n; i++)
		json_array_append_new(gone, json_string(missing->f[i].id));

	for (size_t i = 0; files != NULL && i < es->n; i++)
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", es->e[i].path, "size",
						       (json_int_t)es->e[i].size, "blake2b", es->e[i].hash));
	m = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:o, s:s, s:o}", "format",
		      BACKUP_FORMAT, "version", BACKUP_VERSION, "made", made, "adviced",
		      src->version ? src->version : "", "hash", "blake2b-256", "database", DB_NAME,
		      "shred_store", SHRED_NAME, "config", CONFIG_NAME "/adviced.conf", "register", reg_rel,
		      "attachments", (json_int_t)attachments, "attachments_without_blob", gone,
		      "not_included", NOT_INCLUDED, "files", files);
	return m;
}

/* Writes the manifest last, through a temporary name: a folder without it is no backup. */
static int write_manifest(const char *dir, json_t *m, char *err, size_t errlen)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof tmp, "%s/" BACKUP_MANIFEST ".new", dir);
	snprintf(path, sizeof path, "%s/" BACKUP_MANIFEST, dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || json_dumpfd(m, fd, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0 || dir_sync(dir) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return err_fail(err, errlen, "%s: %s", path, strerror(e));
	}
	return 0;
}

/* The report for people and the facts for scripts. */
static void report(const char *dir, json_t *m, uint64_t blob_bytes, char **text, json_t **data)
{
	const json_t *files = json_object_get(m, "files");
	size_t blobs = 0, n = json_array_size(files);
	uint64_t db = 0, shred = 0;
	const char *reg = json_string_value(json_object_get(m, "register"));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < n; i++) {
		const char *p = json_string_value(json_object_get(json_array_get(files, i), "path"));
		uint64_t size =
			(uint64_t)json_integer_value(json_object_get(json_array_get(files, i), "size"));

		if (strcmp(p, DB_NAME) == 0)
			db = size;
		else if (strcmp(p, SHRED_NAME) == 0)
			shred = size;
		else if (strncmp(p, BLOBS_NAME "/", sizeof BLOBS_NAME) == 0)
			blobs++;
	}
	if ((f = open_memstream(&buf, &len)) != NULL) {
		fprintf(f, "backup made in %s (%s)\n", dir, json_string_value(json_object_get(m, "made")));
		fprintf(f, "  database: %llu bytes, one snapshot\n", (unsigned long long)db);
		fprintf(f, "  shred store: %llu bytes\n", (unsigned long long)shred);
		fprintf(f, "  attachments: %zu blobs, %llu bytes", blobs, (unsigned long long)blob_bytes);
		if (json_array_size(json_object_get(m, "attachments_without_blob")) > 0)
			fprintf(f, " (%zu of threads shredded meanwhile left out)",
				json_array_size(json_object_get(m, "attachments_without_blob")));
		fprintf(f, "\n  configuration: %s%s%s\n", CONFIG_NAME "/adviced.conf",
			reg ? ", register " : "", reg ? reg : "");
		fprintf(f, "  manifest: %s/" BACKUP_MANIFEST " (%zu files, BLAKE2b-256 each)\n", dir, n);
		fprintf(f, "not in the backup: %s; keep them apart\n", NOT_INCLUDED);
		fclose(f);
	}
	*text = buf;
	*data = json_pack("{s:{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s?, s:s}}", "backup", "folder", dir,
			  "made", json_string_value(json_object_get(m, "made")), "files", (json_int_t)n,
			  "database_bytes", (json_int_t)db, "shred_bytes", (json_int_t)shred, "blobs",
			  (json_int_t)blobs, "blob_bytes", (json_int_t)blob_bytes, "register", reg,
			  "not_included", NOT_INCLUDED);
}

int backup_make(const struct backup_source *src, const char *dir, char **text, json_t **data, char *err,
		size_t errlen)
{
	struct records recs = { 0 }, missing = { 0 };
	struct entries es = { 0 };
	struct store *st = NULL;
	char path[PATH_MAX], made[32];
	const char *reg_rel = NULL;
	uint64_t blob_bytes = 0;
	json_t *m = NULL;
	int empty = dir_is_empty(dir), rc = -1;

	err[0] = '\0';
	if (empty != 1) {
		if (empty == 0)
			err_fail(err, errlen, "%s is not empty: a backup goes into an empty folder", dir);
		else
			err_fail(err, errlen, "%s: %s", dir, strerror(errno));
		return -2;
	}
	iso_now(made, sizeof made);
	if ((st = store_sqlite_open(src->database, STORE_READONLY)) == NULL) {
		err_fail(err, errlen, "cannot open the database %s for reading", src->database);
		goto out;
	}
	snprintf(path, sizeof path, "%s/" DB_NAME, dir);
	if (st->ops->backup->copy(st, path, record_add, &recs) != STORE_OK) {
		err_fail(err, errlen, "the copy of the database failed (adviced's log says why)");
		goto out;
	}
	if (entry_hash(&es, dir, DB_NAME, err, errlen) != 0 ||
	    copy_blobs(src, dir, &recs, &es, &missing, &blob_bytes, err, errlen) != 0)
		goto out;
	snprintf(path, sizeof path, "%s/" SHRED_NAME, dir);
	if (st->ops->backup->copy_file(st, src->shred_database, path) != STORE_OK) {
		err_fail(err, errlen, "the copy of the shred store failed (adviced's log says why)");
		goto out;
	}
	if (entry_hash(&es, dir, SHRED_NAME, err, errlen) != 0 ||
	    check_missing(st, src, &missing, err, errlen) != 0 ||
	    copy_config(src, dir, &es, &reg_rel, err, errlen) != 0)
		goto out;
	if ((m = manifest_json(src, &es, made, recs.n, &missing, reg_rel)) == NULL) {
		err_fail(err, errlen, "out of memory");
		goto out;
	}
	if (write_manifest(dir, m, err, errlen) != 0)
		goto out;
	report(dir, m, blob_bytes, text, data);
	log_notice("backup made: %zu files, %zu attachments (%zu of shredded threads without blob)", es.n,
		   recs.n, missing.n);
	rc = 0;
out:
	if (st != NULL)
		st->ops->close(st);
	json_decref(m);
	free(recs.f);
	free(missing.f);
	free(es.e);
	return rc;
}

/* Checking a backup */

/* A path the manifest may name: relative, plain names, no "." or ".." part. */
static int safe_path(const char *p)
{
	const char *part = p;

	if (p[0] == '\0' || strlen(p) >= sizeof(((struct entry *)0)->path))
		return 0;
	for (const char *c = p; *c; c++)
		if (!(*c == '/' || *c == '.' || *c == '-' || *c == '_' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return 0;
	for (;;) {
		const char *end = strchr(part, '/');
		size_t n = end ? (size_t)(end - part) : strlen(part);

		if (n == 0 || part[0] == '.')
			return 0;
		if (end == NULL)
			return 1;
		part = end + 1;
	}
}

/* Counts the files under dir/rel (recursively, the manifest aside) into *n; anything but
 * plain files and folders is an error. 0 or -1 with the reason. */
static int count_files(const char *dir, const char *rel, size_t *n, char *err, size_t errlen)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel);
	if ((d = opendir(path)) == NULL)
		return err_fail(err, errlen, "%s: %s", path, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (rel[0] == '\0' && strcmp(de->d_name, BACKUP_MANIFEST) == 0))
			continue;
		if (snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) >=
			    (int)sizeof sub ||
		    snprintf(path, sizeof path, "%s/%s", dir, sub) >= (int)sizeof path)
			rc = err_fail(err, errlen, "%s/%s: the path is too long", dir, rel);
		else if (lstat(path, &sb) != 0)
			rc = err_fail(err, errlen, "%s: %s", path, strerror(errno));
		else if (S_ISDIR(sb.st_mode))
			rc = count_files(dir, sub, n, err, errlen);
		else if (S_ISREG(sb.st_mode))
			(*n)++;
		else
			rc = err_fail(err, errlen, "%s is not a plain file", path);
	}
	closedir(d);
	return rc;
}

/* The manifest's own fields. 0 or -1 with the reason. */
static int manifest_fields(const json_t *m, char *err, size_t errlen)
{
	const char *format = json_string_value(json_object_get(m, "format"));

	if (!json_is_object(m) || format == NULL || strcmp(format, BACKUP_FORMAT) != 0)
		return err_fail(err, errlen, "the manifest is not an adviced backup's");
	if (json_integer_value(json_object_get(m, "version")) != BACKUP_VERSION)
		return err_fail(err, errlen, "the manifest's version is not %d", BACKUP_VERSION);
	if (!json_is_array(json_object_get(m, "files")))
		return err_fail(err, errlen, "the manifest lists no files");
	return 0;
}

int backup_verify(const char *dir, json_t **manifest, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;
	json_t *m, *files;
	size_t present = 0;
	int have_db = 0, have_shred = 0;

	snprintf(path, sizeof path, "%s/" BACKUP_MANIFEST, dir);
	if ((m = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_fail(err, errlen, "%s: %s", path,
				access(path, F_OK) == 0 ? "the manifest is damaged (not JSON)"
							: "no manifest: not a backup, or an unfinished one");
	if (manifest_fields(m, err, errlen) != 0)
		goto bad;
	files = json_object_get(m, "files");
	for (size_t i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i);
		const char *p = json_string_value(json_object_get(f, "path"));
		const char *want = json_string_value(json_object_get(f, "blake2b"));
		json_t *size = json_object_get(f, "size");
		char got[2 * HASH_BYTES + 1];
		uint64_t n;

		if (p == NULL || want == NULL || !json_is_integer(size) || !safe_path(p)) {
			err_fail(err, errlen, "the manifest's entry %zu is damaged", i + 1);
			goto bad;
		}
		snprintf(path, sizeof path, "%s/%s", dir, p);
		if (hash_file(path, &n, got) != 0) {
			err_fail(err, errlen, "%s: %s", path,
				 errno == ENOENT ? "missing (the manifest lists it)" : strerror(errno));
			goto bad;
		}
		if (n != (uint64_t)json_integer_value(size) || strcmp(got, want) != 0) {
			err_fail(err, errlen, "%s: its %s differs from the manifest's: the file is damaged",
				 path, n != (uint64_t)json_integer_value(size) ? "size" : "hash");
			goto bad;
		}
		have_db |= strcmp(p, DB_NAME) == 0;
		have_shred |= strcmp(p, SHRED_NAME) == 0;
	}
	if (!have_db || !have_shred) {
		err_fail(err, errlen, "the manifest lists no %s", have_db ? SHRED_NAME : DB_NAME);
		goto bad;
	}
	if (count_files(dir, "", &present, err, errlen) != 0)
		goto bad;
	if (present != json_array_size(files)) {
		err_fail(err, errlen, "%s holds %zu files the manifest does not list", dir,
			 present - json_array_size(files));
		goto bad;
	}
	*manifest = m;
	return 0;
bad:
	json_decref(m);
	return -1;
}

/* Restoring */

/* Makes data_dir (mode 700) or checks that it is an empty folder. 0 or -1 with the reason. */
static int restore_target(const char *data_dir, char *err, size_t errlen)
{
	int empty;

	if (mkdir(data_dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return err_fail(err, errlen, "%s: %s", data_dir, strerror(errno));
	if ((empty = dir_is_empty(data_dir)) < 0)
		return err_fail(err, errlen, "%s: %s", data_dir, strerror(errno));
	if (!empty)
		return err_fail(err, errlen, "%s is not empty: restore into a new or empty data folder",
				data_dir);
	return 0;
}

/* Where file `rel` of the backup goes in the data folder: the configuration is the folder's
 * adviced.conf (as advicectl init makes it), the register file beside it. */
static void restore_name(const char *rel, char *out, size_t size)
{
	if (strncmp(rel, CONFIG_NAME "/", sizeof CONFIG_NAME) == 0)
		snprintf(out, size, "%s", rel + sizeof CONFIG_NAME);
	else
		snprintf(out, size, "%s", rel);
}

/* Copies every listed file into data_dir, giving it the folder's owner when run as root. */
static int restore_copy(const char *backup, const char *data_dir, const json_t *files, char *err,
			size_t errlen)
{
	struct stat owner;
	char from[PATH_MAX], to[PATH_MAX], name[300], hash[2 * HASH_BYTES + 1];
	int as_root = geteuid() == 0;

	if (stat(data_dir, &owner) != 0)
		return err_fail(err, errlen, "%s: %s", data_dir, strerror(errno));
	snprintf(to, sizeof to, "%s/" BLOBS_NAME, data_dir);
	if (mkdir(to, 0700) != 0 || (as_root && chown(to, owner.st_uid, owner.st_gid) != 0))
		return err_fail(err, errlen, "%s: %s", to, strerror(errno));
	for (size_t i = 0; i < json_array_size(files); i++) {
		const char *rel = json_string_value(json_object_get(json_array_get(files, i), "path"));
		uint64_t size;
		int fd;

		restore_name(rel, name, sizeof name);
		snprintf(from, sizeof from, "%s/%s", backup, rel);
		snprintf(to, sizeof to, "%s/%s", data_dir, name);
		if ((fd = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			return err_fail(err, errlen, "%s: %s", from, strerror(errno));
		if (copy_fd(fd, to, UINT64_MAX, hash, &size) != 0) {
			close(fd);
			return err_fail(err, errlen, "%s: %s", to, strerror(errno));
		}
		close(fd);
		if (as_root && chown(to, owner.st_uid, owner.st_gid) != 0)
			return err_fail(err, errlen, "%s: %s", to, strerror(errno));
	}
	snprintf(to, sizeof to, "%s/" BLOBS_NAME, data_dir);
	if (dir_sync(to) != 0 || dir_sync(data_dir) != 0)
		return err_fail(err, errlen, "%s: cannot sync: %s", data_dir, strerror(errno));
	return 0;
}

struct blob_check {
	const char *data_dir;
	const json_t *left_out; /* the manifest's attachments_without_blob */
	struct store *st;
	size_t missing;
	char first[STORE_ID_SIZE];
};

/* 1 when the manifest says the backup left out the blob of `id` (its thread was being
 * shredded while the backup ran). */
static int left_out(const json_t *ids, const char *id)
{
	for (size_t i = 0; i < json_array_size(ids); i++)
		if (strcmp(json_string_value(json_array_get(ids, i)) ?: "", id) == 0)
			return 1;
	return 0;
}

/* Every record must have its blob, but for those the backup left out and those on their way
 * out (struct store_backup_ops.blob_may_be_gone). */
static int blob_present(void *arg, const struct store_backup_file *f)
{
	struct blob_check *b = arg;
	char path[PATH_MAX], shred[PATH_MAX];
	struct stat sb;
	int gone;

	if (!f->complete && f->received == 0)
		return 0;
	snprintf(path, sizeof path, "%s/" BLOBS_NAME "/%s%s", b->data_dir, f->id, f->complete ? "" : ".part");
	if (stat(path, &sb) == 0 &&
	    (f->complete || (uint64_t)sb.st_size >= (uint64_t)f->received * ADVICE_FILE_CHUNK_MAX_CIPHER))
		return 0;
	if (left_out(b->left_out, f->id))
		return 0;
	snprintf(shred, sizeof shred, "%s/" SHRED_NAME, b->data_dir);
	if ((gone = b->st->ops->backup->blob_may_be_gone(b->st, shred, f)) < 0)
		return -1;
	if (gone == 0 && b->missing++ == 0)
		snprintf(b->first, sizeof b->first, "%s", f->id);
	return 0;
}

/* Opens the restored store and checks it: integrity, blobs, both hash chains. */
static int restore_check(const char *data_dir, const json_t *m, FILE *out, char *err, size_t errlen)
{
	char db[PATH_MAX], shred[PATH_MAX], why[256];
	struct blob_check b = { .data_dir = data_dir,
				.left_out = json_object_get(m, "attachments_without_blob") };
	int64_t rows = 0, bad = 0;
	int rc = -1, v;

	snprintf(db, sizeof db, "%s/" DB_NAME, data_dir);
	snprintf(shred, sizeof shred, "%s/" SHRED_NAME, data_dir);
	if ((b.st = store_sqlite_open_shred(db, shred, STORE_READWRITE)) == NULL)
		return err_fail(err, errlen, "the restored database does not open (see the messages above)");
	if (b.st->ops->backup->check(b.st, why, sizeof why) != STORE_OK) {
		err_fail(err, errlen, "integrity check failed: %s", why);
		goto out;
	}
	fprintf(out, "integrity check: ok\n");
	if (b.st->ops->backup->files(b.st, blob_present, &b) != STORE_OK) {
		err_fail(err, errlen, "cannot check the attachments' blobs");
		goto out;
	}
	if (b.missing > 0) {
		err_fail(err, errlen, "%zu attachments have no blob (the first: %s)", b.missing, b.first);
		goto out;
	}
	fprintf(out, "attachments: every blob is there\n");
	if ((v = audit_verify(b.st, &rows, &bad)) != 0) {
		if (v < 0)
			err_fail(err, errlen, "cannot read the access log");
		else
			err_fail(err, errlen, "access log BROKEN at row %lld", (long long)bad);
		goto out;
	}
	fprintf(out, "access log intact: %lld rows\n", (long long)rows);
	rows = bad = 0;
	if ((v = disclosure_verify(b.st, &rows, &bad)) != 0) {
		if (v < 0)
			err_fail(err, errlen, "cannot read the disclosure log");
		else
			err_fail(err, errlen, "disclosure log BROKEN at row %lld", (long long)bad);
		goto out;
	}
	fprintf(out, "disclosure log intact: %lld rows\n", (long long)rows);
	rc = 0;
out:
	b.st->ops->close(b.st);
	return rc;
}

/* When run as root, the files SQLite made at open (none stay after a clean close) and the
 * folder keep the folder's owner: chown of what is there now. */
static void restore_owner(const char *data_dir)
{
	struct stat owner;
	char path[PATH_MAX];
	const char *names[] = { DB_NAME, SHRED_NAME, "adviced.lock" };

	if (geteuid() != 0 || stat(data_dir, &owner) != 0)
		return;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", data_dir, names[i]);
		if (chown(path, owner.st_uid, owner.st_gid) != 0)
			log_warn("%s: cannot give it the folder's owner: %s", path, strerror(errno));
	}
}

int backup_restore(const char *backup, const char *data_dir, FILE *out, char *err, size_t errlen)
{
	json_t *m = NULL;
	int lock = -1, rc = -1;

	err[0] = '\0';
	if (backup_verify(backup, &m, err, errlen) != 0)
		return -1;
	fprintf(out, "%s: manifest checked (%zu files, made %s)\n", backup,
		json_array_size(json_object_get(m, "files")), json_string_value(json_object_get(m, "made")));
	if (restore_target(data_dir, err, errlen) != 0)
		goto out;
	if ((lock = datalock_take(data_dir, DATALOCK_EXCLUSIVE, err, errlen)) < 0) {
		if (lock == DATALOCK_BUSY)
			err_fail(err, errlen, "%s is in use by adviced or another advicectl", data_dir);
		goto out;
	}
	if (restore_copy(backup, data_dir, json_object_get(m, "files"), err, errlen) != 0 ||
	    restore_check(data_dir, m, out, err, errlen) != 0)
		goto out;
	restore_owner(data_dir);
	fprintf(out,
		"restored into %s; not in the backup: %s: put them back where adviced.conf "
		"and the unit expect them, and check data_dir in %s/adviced.conf\n",
		data_dir, NOT_INCLUDED, data_dir);
	rc = 0;
out:
	if (lock >= 0)
		close(lock);
	json_decref(m);
	return rc;
}
