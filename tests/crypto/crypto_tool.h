/*
 * crypto_tool.h - the helper program of the crypto tests: known-answer vectors
 * (crypto_vectors.c) and the cross-implementation exchange with client-web
 * (crypto_interop.c).
 */
#ifndef ADVICE_CRYPTO_TOOL_H
#define ADVICE_CRYPTO_TOOL_H

#include <stddef.h>

#include <jansson.h>

/* One vector file: proto/vectors/<name>.json; compute() makes a case from its inputs. */
struct vector_file {
	const char *name;
	json_t *(*compute)(json_t *in);
};
extern const struct vector_file vector_files[];
/* proto/vectors/citizen.json (crypto_citizen_vectors.c). */
json_t *vec_citizen(json_t *in);
/* proto/vectors/keyreq.json (crypto_keyreq_vectors.c). */
json_t *vec_keyreq(json_t *in);
/* proto/vectors/unit-text.json (crypto_unittext_vectors.c). */
json_t *vec_unittext(json_t *in);
/* proto/vectors/identity-box.json (crypto_identitybox_vectors.c). */
json_t *vec_identitybox(json_t *in);
/* proto/vectors/consent.json, content-v2.json and connector-login.json (crypto_consent_vectors.c). */
json_t *vec_consent(json_t *in);
json_t *vec_content_v2(json_t *in);
json_t *vec_connector_login(json_t *in);

/* The thread verifier's scenarios (crypto_thread_vectors.c): inputs and compute. */
extern const char thread_vector_inputs[];
json_t *vec_thread(json_t *in);
/* The vectors of crypto_vectors_text.c: the shared text rules (text.json) and the attachment
 * size buckets (pad.json). */
json_t *vec_text(json_t *in);
json_t *vec_pad(json_t *in);

void tool_put_hex(json_t *o, const char *key, const void *data, size_t len);
/* 0 when o[key] is hex of exactly len bytes (decoded into out), else -1. */
int tool_get_hex(json_t *o, const char *key, void *out, size_t len);

/* Re-keying vectors (crypto_rekey_vectors.c): unitlog.json and epoch.json. */
json_t *vec_unitlog(json_t *in);
json_t *vec_epoch(json_t *in);

/* Writes DIR/c.json with objects made by libadvice from fresh random inputs. 0 or -1. */
int interop_write(const char *path);
/* Opens and checks every object of a file written by the other implementation. 0 or -1. */
int interop_read(const char *path);

#endif
