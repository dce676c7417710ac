/*
 * advice.c - libadvice's client context: creation, the one lws callback that hands each
 * connection's events to advice_http.c or advice_ws.c, servicing and freeing. Below them
 * are advice_loop.c (the event loop's turns and clock) and advice_codec.c (base URLs, error
 * codes, base64url); they never call this file.
 *
 * The library keeps no global state of its own; creating a client initialises libsodium and
 * OpenSSL (through lws) and sets libwebsockets' (process-wide) log level to errors only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "advice_int.h"

/* Keeps the reason of a refused server certificate ("certificate has expired", "unable to
 * get local issuer certificate", "hostname mismatch") for advice_client_error_message(),
 * since lws reports only that the handshake failed. */
static void advice__tls_refused(struct advice_client *c, X509_STORE_CTX *store)
{
	int err = X509_STORE_CTX_get_error(store);

	if (c != NULL && err != X509_V_OK)
		snprintf(c->error_message, sizeof(c->error_message),
			 "TLS: the server's certificate is not accepted: %s",
			 X509_verify_cert_error_string(err));
}

/* OpenSSL's verdict on each certificate of the server's chain, which stands (the SSL_CTX's
 * callback, when lws does not put its own on the connection). */
static int advice__tls_verify(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());

	if (!ok && ssl != NULL)
		advice__tls_refused(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)), store);
	return ok;
}

/* The one callback of the client context: dispatches on what the wsi belongs to. */
static int advice__callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			    size_t len)
{
	enum advice_op_kind *kind;

	if (reason == LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION) {
		/* lws's verify callback: user is the X509_STORE_CTX, len OpenSSL's verdict. */
		if (len == 0)
			advice__tls_refused(lws_context_user(lws_get_context(wsi)), user);
		return 0;
	}
	kind = lws_get_opaque_user_data(wsi);
	if (kind == NULL)
		return 0;
	if (*kind == ADVICE_OP_HTTP)
		return advice__http_callback(wsi, reason, in, len);
	return advice__ws_callback(wsi, reason, in, len);
}

/* The system's folder of CA certificates (hashed names, read as a chain needs them): cheap
 * where loading its whole bundle file, as OpenSSL's default paths do, costs a client
 * hundreds of milliseconds. $SSL_CERT_DIR overrides it, as it does for OpenSSL. */
static const char *advice__system_ca_dir(void)
{
	const char *dir = getenv(X509_get_default_cert_dir_env());

	return dir != NULL && dir[0] != '\0' ? dir : X509_get_default_cert_dir();
}

/*
 * The TLS client settings of c: TLS 1.2 or later, the server's certificate verified against
 * c->ca_file, or the system's CA certificates when it is NULL (lws checks the host name).
 * Made here rather than by lws: lws 4.1 loses the trust store of one of two client contexts
 * that live at the same time. NULL when out of memory or the CA file does not load.
 */
static SSL_CTX *advice__tls_new(struct advice_client *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int ok;

	if (ctx == NULL)
		return NULL;
	ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
	     (c->ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL)
				 : SSL_CTX_load_verify_locations(ctx, NULL, advice__system_ca_dir())) == 1;
	ERR_clear_error();
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_app_data(ctx, c);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, advice__tls_verify);
	return ctx;
}

/* A client context of lws for c with the TLS settings of advice__tls_new (c->ssl_ctx, made
 * here). 0, or -1 with neither made. */
static int advice__context_new(struct advice_client *c)
{
	struct lws_context_creation_info info;

	if ((c->ssl_ctx = advice__tls_new(c)) == NULL)
		return -1;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = c->protocols;
	info.user = c;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.provided_client_ssl_ctx = c->ssl_ctx;
	info.fd_limit_per_thread = 4096;
	info.timeout_secs = 20;
	info.uid = -1;
	info.gid = -1;
	if ((c->ctx = lws_create_context(&info)) == NULL) {
		SSL_CTX_free(c->ssl_ctx);
		c->ssl_ctx = NULL;
		return -1;
	}
	return 0;
}

/* Destroys what advice__context_new made (lws first: it holds the SSL_CTX). */
static void advice__context_free(struct advice_client *c)
{
	if (c->ctx != NULL) {
		lws_sul_schedule(c->ctx, 0, &c->wake, NULL, LWS_SET_TIMER_USEC_CANCEL);
		lws_context_destroy(c->ctx);
		c->ctx = NULL;
	}
	SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = NULL;
}

ADVICE_API struct advice_client *advice_client_new(void)
{
	struct advice_client *c;

	if (sodium_init() < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (getenv("ADVICE_LWS_DEBUG") == NULL)
		lws_set_log_level(LLL_ERR, NULL);
	c->protocols[0].name = "advice-http";
	c->protocols[0].callback = advice__callback;
	c->protocols[0].rx_buffer_size = 16384;
	c->protocols[1].name = ADVICE_SUBPROTOCOL;
	c->protocols[1].callback = advice__callback;
	c->protocols[1].rx_buffer_size = 16384;
	if (advice__context_new(c) != 0) {
		free(c);
		return NULL;
	}
	c->tls = 1;
	return c;
}

/* Whether `path` is readable and starts with a PEM certificate (lws only logs a file it
 * cannot load, and its client then trusts nothing): 0, or -1 with the reason kept. */
static int advice__ca_file_check(struct advice_client *c, const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *first;

	if (f == NULL) {
		snprintf(c->error_message, sizeof(c->error_message), "cannot read the CA file %s", path);
		return -1;
	}
	first = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (first == NULL) {
		snprintf(c->error_message, sizeof(c->error_message), "no CA certificate (PEM) in %s", path);
		return -1;
	}
	X509_free(first);
	return 0;
}

ADVICE_API int advice_client_set_ca_file(struct advice_client *c, const char *ca_file)
{
	char *old, *copy;

	if (c == NULL || c->conns != NULL)
		return -ADVICE_ERR_INVAL;
	if (ca_file != NULL && advice__ca_file_check(c, ca_file) != 0)
		return -ADVICE_ERR_INVAL;
	if ((copy = ca_file != NULL ? strdup(ca_file) : NULL) == NULL && ca_file != NULL)
		return -ADVICE_ERR_NOMEM;
	advice__context_free(c);
	old = c->ca_file;
	c->ca_file = copy;
	if (advice__context_new(c) != 0) {
		free(c->ca_file);
		c->ca_file = old;
		snprintf(c->error_message, sizeof(c->error_message), "cannot make a TLS client with %s",
			 ca_file != NULL ? ca_file : "the system's CA store");
		return advice__context_new(c) == 0 ? -ADVICE_ERR_INVAL : -ADVICE_ERR_NOMEM;
	}
	free(old);
	c->error_message[0] = '\0';
	return 0;
}

ADVICE_API void advice_client_free(struct advice_client *c)
{
	if (c == NULL)
		return;
	advice__ws_detach_all(c);
	advice__context_free(c); /* no context only after a failed advice_client_set_ca_file */
	free(c->ca_file);
	free(c);
}

ADVICE_API int advice_client_service(struct advice_client *c, int timeout_ms)
{
	if (c == NULL)
		return -ADVICE_ERR_INVAL;
	return advice__pump(c, advice__now_ms() + (timeout_ms > 0 ? timeout_ms : 0)) ? -ADVICE_ERR_IO : 0;
}

ADVICE_API const char *advice_client_error_message(struct advice_client *c, int *retry_after)
{
	if (retry_after != NULL)
		*retry_after = c != NULL ? c->retry_after : 0;
	return c != NULL ? c->error_message : "";
}
