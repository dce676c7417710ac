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

/*
 * A server certificate the TLS handshake refuses: keeps OpenSSL's reason ("certificate has
 * expired", "unable to get local issuer certificate", "hostname mismatch") for
 * advice_client_error_message(), since lws reports only that the handshake failed.
 */
static void advice__tls_refused(struct lws *wsi, X509_STORE_CTX *store)
{
	struct advice_client *c = lws_context_user(lws_get_context(wsi));
	int err = X509_STORE_CTX_get_error(store);

	if (c != NULL && err != X509_V_OK)
		snprintf(c->error_message, sizeof(c->error_message),
			 "TLS: the server's certificate is not accepted: %s",
			 X509_verify_cert_error_string(err));
}

/* The one callback of the client context: dispatches on what the wsi belongs to. */
static int advice__callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			    size_t len)
{
	enum advice_op_kind *kind;

	if (reason == LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION) {
		/* user: the X509_STORE_CTX; len: OpenSSL's verdict, which stands. */
		if (len == 0)
			advice__tls_refused(wsi, user);
		return 0;
	}
	kind = lws_get_opaque_user_data(wsi);
	if (kind == NULL)
		return 0;
	if (*kind == ADVICE_OP_HTTP)
		return advice__http_callback(wsi, reason, in, len);
	return advice__ws_callback(wsi, reason, in, len);
}

/*
 * A client context of lws for c, able to make TLS connections (1.2 or later) that verify
 * the server's certificate and host name against c->ca_file, or the system's CA
 * certificates when it is NULL. NULL when lws fails (or cannot load the CA file).
 */
static struct lws_context *advice__context_new(struct advice_client *c)
{
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = c->protocols;
	info.user = c;
	/* OpenSSL's one-time initialisation: its allocations live until the process exits
	 * (tests/lsan.supp names them for LeakSanitizer). */
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = c->ca_file;
	info.ssl_client_options_set = (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
	info.fd_limit_per_thread = 4096;
	info.timeout_secs = 20;
	info.uid = -1;
	info.gid = -1;
	return lws_create_context(&info);
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
	c->ctx = advice__context_new(c);
	if (c->ctx == NULL) {
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
	struct lws_context *ctx;
	char *old;

	if (c == NULL || c->conns != NULL)
		return -ADVICE_ERR_INVAL;
	if (ca_file != NULL && advice__ca_file_check(c, ca_file) != 0)
		return -ADVICE_ERR_INVAL;
	old = c->ca_file;
	c->ca_file = NULL;
	if (ca_file != NULL && (c->ca_file = strdup(ca_file)) == NULL) {
		c->ca_file = old;
		return -ADVICE_ERR_NOMEM;
	}
	if ((ctx = advice__context_new(c)) == NULL) {
		snprintf(c->error_message, sizeof(c->error_message), "cannot make a TLS client with %s",
			 ca_file != NULL ? ca_file : "the system's CA store");
		free(c->ca_file);
		c->ca_file = old;
		return -ADVICE_ERR_INVAL;
	}
	free(old);
	lws_sul_schedule(c->ctx, 0, &c->wake, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_context_destroy(c->ctx);
	c->ctx = ctx;
	c->error_message[0] = '\0';
	return 0;
}

ADVICE_API void advice_client_free(struct advice_client *c)
{
	if (c == NULL)
		return;
	advice__ws_detach_all(c);
	lws_sul_schedule(c->ctx, 0, &c->wake, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_context_destroy(c->ctx);
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
