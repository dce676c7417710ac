/*
 * connector_run.h - the connector's session with adviced: its keys, the pinned root key, the
 * WebSocket connection, and reading one consented thread into a bundle (thread_read.c).
 */
#ifndef ADVICE_CONNECTOR_RUN_H
#define ADVICE_CONNECTOR_RUN_H

#include "advice.h"
#include "connector.h"

#define CONN_FILE_MAX ((uint64_t)100 << 20) /* the largest attachment read into memory */
#define CONN_MAX_GENS 32		    /* unit key generations held as a unit member */

struct conn_ctx {
	struct advice_conn *k;
	struct advice_keys me;
	uint8_t root_pk[ADVICE_KEY_BYTES];
	struct advice_keys gens[CONN_MAX_GENS]; /* the unit generations it holds (conn_unit_keys) */
	size_t ngens;
};

/* One request; the "ok" reply (NULL on an error reply, with the code in *rc_out, may be NULL). */
json_t *conn_call(struct conn_ctx *ctx, const char *type, json_t *fields, int *rc_out);
/*
 * Reads, checks and decrypts the thread of a handover.pending entry into bundle b (attachments)
 * and gives thread.json's document; NULL with the reason in err when anything fails a check.
 * With `consented` the entry's consent event must be the thread citizen's consent to this
 * connector; without (an export order: the entry is {thread, citizen}) there is none, the
 * thread keys come from the unit generations held, and the epoch is the thread's current one.
 */
json_t *conn_read_thread(struct conn_ctx *ctx, json_t *pending, int consented, struct bundle *b, char *err,
			 size_t errlen);
/*
 * The unit key generations the connector holds as a unit member, into ctx->gens (keys.mine:
 * admin certificates verified under the root, the units' events in order, each seed checked
 * against its event, older generations through the chain boxes). 0, or -1 with the reason in
 * err when keys.mine failed or a seed did not open (the ones that opened are kept).
 */
int conn_unit_keys(struct conn_ctx *ctx, char *err, size_t errlen);
/*
 * Makes the export of one export.pending order (export.c): every thread of the order read and
 * checked into a bundle named by its thread id, export.json ({format "advice-export-1", order,
 * citizen, recipient, basis, threads [{thread, epoch, digest}]}), zipped into
 * target/export-<order>.zip (a dot name first, renamed when whole). The digest export.done
 * names (BLAKE2b-256 of export.json, hex) and the number of files in the zip. 0 or -1 (err).
 */
int conn_export_order(struct conn_ctx *ctx, json_t *order, const char *work, const char *target,
		      char digest[2 * ADVICE_HASH_BYTES + 1], int *files, char *err, size_t errlen);

#endif
