/*
 * backup.h - backups of a data folder made while adviced serves, and their restore.
 *
 * A backup is a folder: the database and the shred store (SQLite's online backup API, each on
 * a connection of its own: the core's writer is not held), the attachments' blobs that the
 * database's snapshot refers to, the configuration file and the register file, and
 * manifest.json with the size and BLAKE2b-256 hash of each. Secrets are not in it: the pepper,
 * the bank-ID keys, the TLS key and the notifier's secrets stay where the administrator keeps
 * them (the manifest says so). proto/PROTOCOL.md §13 ("backup") has the format.
 *
 * Consistency: the database's snapshot first, then the blobs, then the shred store. A blob is
 * deleted only once its record is on its way out (its thread marked for shredding, or a
 * prepared thread dropped and its share gone), so a record whose blob the backup does not
 * find must be on its way out in the store as it is then: it is listed in the manifest
 * (attachments_without_blob), and any other missing blob fails the backup (the data folder
 * is damaged). The shred store, copied last, has the share of every thread of the snapshot
 * but those shredded meanwhile.
 */
#ifndef ADVICE_BACKUP_H
#define ADVICE_BACKUP_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define BACKUP_MANIFEST "manifest.json"
#define BACKUP_FORMAT	"adviced-backup"
#define BACKUP_VERSION	1

/* What a backup copies: the running server's files. */
struct backup_source {
	const char *data_dir;
	const char *database;
	const char *shred_database;
	const char *blob_dir;
	const char *config_file;   /* adviced.conf as adviced read it */
	const char *register_file; /* "" or NULL: none (the embedded demo register) */
	const char *version;	   /* adviced's */
};

/*
 * Makes a backup of `src` into `dir`, an existing empty folder. *text gets a report for
 * people and *data its facts (for --json); both malloc'd / owned by the caller, set on
 * success only. 0, or -1 with the reason in err (what was written stays: the folder has no
 * manifest, which a restore refuses), or -2 with the reason when `dir` is not an empty folder
 * (nothing was written).
 */
int backup_make(const struct backup_source *src, const char *dir, char **text, json_t **data, char *err,
		size_t errlen);

/*
 * Checks backup folder `dir` against its manifest: the format, every file listed there with
 * its size and hash, no file that is not listed. 0 with *manifest (the caller frees it), or
 * -1 with the reason in err.
 */
int backup_verify(const char *dir, json_t **manifest, char *err, size_t errlen);

/*
 * Restores backup `backup` into the data folder `data_dir` (absent, or an empty folder):
 * verifies the manifest first, copies the files (owned by the folder's owner when run as
 * root), then opens the restored store and runs SQLite's integrity check, checks that every
 * attachment has its blob (but those the manifest says were left out and those on their way
 * out), and verifies the access log's and the
 * disclosure log's hash chains. Reports each step on `out`. 0, or -1 with the reason in err.
 */
int backup_restore(const char *backup, const char *data_dir, FILE *out, char *err, size_t errlen);

#endif
