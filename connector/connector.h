/*
 * connector.h - advice-connector, the records connector: it fetches the threads a citizen
 * consented to hand over (or an export order covers), checks and decrypts them with its own
 * key, makes the hand-over bundle (BUNDLE.md) and hands it to the client record system through
 * an adapter, exactly once per (thread, epoch), recorded in a local journal. On libadvice only.
 */
#ifndef ADVICE_CONNECTOR_H
#define ADVICE_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "advice_crypto.h"

#define CONN_ID_MAX 80 /* "<thread hex 32>-<epoch>" and export ids */

/* --- The journal (journal.c): what was delivered and acknowledged, fsynced, across crashes --- */

enum journal_state {
	JOURNAL_NONE = 0,
	JOURNAL_DELIVERED = 1, /* the adapter said delivered; handover.done not yet acknowledged */
	JOURNAL_DONE = 2,      /* handover.done (or export.done) acknowledged */
};
struct journal;
/* Opens (creates) the journal file at path, locks it for this process (one connector per
 * state folder) and reads it; a last line cut by a crash is cut off. NULL with errno set when
 * the file cannot be opened or read, EWOULDBLOCK when another process holds it. */
struct journal *journal_open(const char *path);
void journal_close(struct journal *j);
/* The state of id, and the digest (64 hex + NUL) recorded with it (digest may be NULL). */
enum journal_state journal_get(const struct journal *j, const char *id, char *digest);
/* Appends "id state digest" and fsyncs before returning. 0 or -1 (errno). */
int journal_put(struct journal *j, const char *id, enum journal_state state, const char *digest);
/* The ids whose newest state is delivered (handed to the record system, not yet acknowledged
 * by the server) with their digests, into ids and digests (cap entries each); how many. */
size_t journal_delivered(const struct journal *j, char (*ids)[CONN_ID_MAX],
			 char (*digests)[2 * ADVICE_HASH_BYTES + 1], size_t cap);

/* --- The bundle (bundle.c): thread.json, attachments, manifest.json with their hashes --- */

#define BUNDLE_MAX_FILES 512
struct bundle {
	char dir[1024];
	char id[CONN_ID_MAX];
	size_t n;
	struct bundle_file {
		char path[96]; /* relative: "files/<file id>.<ext>" */
		uint64_t size;
		uint8_t hash[ADVICE_HASH_BYTES];
	} files[BUNDLE_MAX_FILES];
};
/* Starts a bundle in dir (removed first when it exists, then made with files/). 0 or -1. */
int bundle_begin(struct bundle *b, const char *dir, const char *id);
/* Writes an attachment under files/ (name: "<file id hex>.<ext>"), fsynced. 0 or -1. */
int bundle_add_file(struct bundle *b, const char *name, const uint8_t *data, size_t len);
/*
 * Writes thread.json (doc, keys sorted, so the same thread gives the same bytes) and
 * manifest.json (every file with its size and BLAKE2b-256), fsyncs the folder, and gives the
 * digest handover.done names: BLAKE2b-256 of manifest.json's bytes, as 64 hex. 0 or -1.
 */
int bundle_finish(struct bundle *b, json_t *doc, char digest[2 * ADVICE_HASH_BYTES + 1]);
/* Every file of a finished bundle, relative to its folder: thread.json, the attachments,
 * manifest.json last. Into paths (cap entries); the count, or -1. */
int bundle_list(const char *dir, char (*paths)[128], size_t cap);
/* Removes a bundle folder (its files/ and the files in it). */
void bundle_remove(const char *dir);
/* Removes what a crash left in the work folder (bundles, zips, export.json files): at start,
 * everything there is made again when it is needed. */
void bundle_clear_work(const char *work);
/* The file name extension of a media type ("pdf"), "bin" when unknown. */
const char *bundle_ext(int media);

/* --- Zip (zip.c): stored entries, for the http adapter and the export --- */

struct zip;
struct zip *zip_create(const char *path);
/* Adds the file at `file` as entry `name`. 0 or -1. */
int zip_add_file(struct zip *z, const char *name, const char *file);
/* Writes the central directory, fsyncs and closes; 0 or -1 (the zip is freed either way). */
int zip_close(struct zip *z);
/* Zips a finished bundle folder, its entries under prefix ("" or "<id>/"). 0 or -1. */
int zip_bundle(struct zip *z, const char *dir, const char *prefix);

/* --- Adapters (adapter.c): hand a bundle to the record system --- */

enum adapter_kind {
	ADAPTER_DIRECTORY, /* target: a folder; the bundle lands as target/<id> (rename) */
	ADAPTER_HTTP,	   /* target: a URL; POST of the bundle as a zip, Idempotency-Key: <id> */
	ADAPTER_COMMAND,   /* target: a program run with the bundle folder and the id */
};
struct adapter {
	enum adapter_kind kind;
	char target[1024];
	int timeout_s; /* http and command */
};
/* The adapter kind for "directory", "http" or "command"; -1 for another name. */
int adapter_kind_parse(const char *name);
/* The method name handover.done records ("directory", "http", "command"). */
const char *adapter_method(const struct adapter *a);
/*
 * Hands the finished bundle in bundle_dir over as `id`. 0 when delivered (now, or before: the
 * directory's final name exists, the HTTP sink answered 2xx for the key, the command exited 0);
 * -1 with a reason in err (errlen bytes) when not.
 */
int adapter_deliver(const struct adapter *a, const char *bundle_dir, const char *id, char *err,
		    size_t errlen);

/* --- Files (fsio.c) --- */

/* Writes len bytes to path (created 0600, truncated) and fsyncs. 0 or -1. */
int fs_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file (malloc'd); 0 or -1. */
int fs_read_file(const char *path, uint8_t **data, size_t *len);
/* fsyncs a folder (its entries: a rename, a new file). 0 or -1. */
int fs_sync_dir(const char *dir);
/* mkdir -p of dir with mode 0700. 0 or -1. */
int fs_mkdirs(const char *dir);

#endif
