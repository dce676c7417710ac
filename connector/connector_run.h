/*
 * connector_run.h - the connector's session with adviced: its keys, the pinned root key, the
 * WebSocket connection, and reading one consented thread into a bundle (thread_read.c).
 */
#ifndef ADVICE_CONNECTOR_RUN_H
#define ADVICE_CONNECTOR_RUN_H

#include "advice.h"
#include "connector.h"

#define CONN_FILE_MAX ((uint64_t)100 << 20) /* the largest attachment read into memory */

struct conn_ctx {
	struct advice_conn *k;
	struct advice_keys me;
	uint8_t root_pk[ADVICE_KEY_BYTES];
};

/* One request; the "ok" reply (NULL on an error reply, with the code in *rc_out, may be NULL). */
json_t *conn_call(struct conn_ctx *ctx, const char *type, json_t *fields, int *rc_out);
/*
 * Reads, checks and decrypts the thread of a handover.pending entry into bundle b (attachments)
 * and gives thread.json's document; NULL with the reason in err when anything fails a check.
 */
json_t *conn_read_thread(struct conn_ctx *ctx, json_t *pending, struct bundle *b, char *err, size_t errlen);

#endif
