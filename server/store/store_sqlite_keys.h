/*
 * store_sqlite_keys.h - the end-to-end encryption operations of the SQLite store (store.h,
 * issue 4: public keys, certificates, unit key generations, sealed seeds, thread wraps, key
 * bundles, shred shares), kept in their own file. Only store_sqlite.c and
 * store_sqlite_keys.c include this.
 */
#ifndef ADVICE_STORE_SQLITE_KEYS_H
#define ADVICE_STORE_SQLITE_KEYS_H

#include <sqlite3.h>

#include "store.h"

/* Migration 4: the key tables. */
extern const char store_sqlite_keys_migration[];

int sqk_root_get(struct store *st, uint8_t pk[STORE_KEY_BYTES]);
int sqk_root_put(struct store *st, const uint8_t pk[STORE_KEY_BYTES], int64_t now);
int sqk_cert_put(struct store *st, const char *subject_id, int role, const uint8_t kid[STORE_KID_BYTES],
		 const uint8_t *cert, size_t len, int64_t now);
int sqk_cert_list(struct store *st, const char *subject_id, store_key_cb cb, void *arg);
int sqk_bundle_get(struct store *st, const char *user_id, uint8_t *out, size_t cap, size_t *len);
int sqk_bundle_put(struct store *st, const char *user_id, const uint8_t *bundle, size_t len, int64_t now);
int sqk_device_put(struct store *st, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
		   const uint8_t box_pk[STORE_KEY_BYTES], const uint8_t sign_pk[STORE_KEY_BYTES],
		   int64_t now);
int sqk_device_list(struct store *st, const char *user_id, store_key_cb cb, void *arg);
int sqk_unit_gen_put(struct store *st, const char *unit_id, int64_t g, const uint8_t box_kid[STORE_KID_BYTES],
		     const uint8_t *event, size_t len, const uint8_t *chain, size_t chain_len, int64_t now);
int sqk_unit_gen_list(struct store *st, const char *unit_id, store_key_cb cb, void *arg);
int sqk_unit_gen_by_kid(struct store *st, const uint8_t box_kid[STORE_KID_BYTES], char unit_id[STORE_ID_SIZE],
			int64_t *g);
int sqk_unit_seed_put(struct store *st, const char *unit_id, int64_t g, const uint8_t kid[STORE_KID_BYTES],
		      const char *user_id, const uint8_t *wrap, size_t len);
int sqk_unit_seed_list(struct store *st, const char *user_id, store_key_cb cb, void *arg);
int sqk_wrap_put(struct store *st, const char *thread_id, int64_t epoch, const uint8_t kid[STORE_KID_BYTES],
		 const uint8_t *wrap, size_t len, const char *writer_id, int64_t now);
int sqk_wrap_list(struct store *st, const char *thread_id, store_key_cb cb, void *arg);
int sqk_share_put(struct store *st, const char *thread_id, const char *owner_id,
		  const uint8_t share[STORE_KEY_BYTES], int opened, int64_t now);
int sqk_share_get(struct store *st, const char *thread_id, char owner_id[STORE_ID_SIZE], int *opened,
		  uint8_t share[STORE_KEY_BYTES]);
int sqk_share_opened(struct store *st, const char *thread_id);
int sqk_file_put(struct store *st, const struct store_file *f);
int sqk_file_get(struct store *st, const char *file_id, struct store_file *out);
int sqk_file_progress(struct store *st, const char *file_id, int64_t received, int complete);
int sqk_file_usage(struct store *st, const char *thread_id, const char *owner_id, int64_t *thread_bytes,
		   int64_t *owner_bytes);
int sqk_member_remove(struct store *st, const char *user_id, const char *unit_id);
int sqk_share_pending(struct store *st, const char *owner_id, int64_t *n);

#endif
