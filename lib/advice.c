/*
 * advice.c - libadvice's client context: creation, the one lws callback that hands each
 * connection's events to advice_http.c or advice_ws.c, servicing and freeing. Below them
 * are advice_loop.c (the event loop's turns and clock) and advice_codec.c (base URLs, error
 * codes, base64url); they never call this file.
 *
 * The library keeps no global state of its own; creating a client initialises libsodium and
 * sets libwebsockets' (process-wide) log level to errors only.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_int.h"

/* The one callback of the client context: dispatches on what the wsi belongs to. */
static int advice__callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			    size_t len)
{
	enum advice_op_kind *kind = lws_get_opaque_user_data(wsi);

	(void)user;
	if (kind == NULL)
		return 0;
	if (*kind == ADVICE_OP_HTTP)
		return advice__http_callback(wsi, reason, in, len);
	return advice__ws_callback(wsi, reason, in, len);
}

ADVICE_API struct advice_client *advice_client_new(void)
{
	struct lws_context_creation_info info;
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

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = c->protocols;
	/*
	 * TLS spot: https:// and wss:// need LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT here and
	 * c->tls = 1. Not enabled yet: with lws 4.1.6 and OpenSSL 3 the global init leaves
	 * OpenSSL state behind at exit, which LeakSanitizer reports in every test.
	 */
	info.options = 0;
	info.fd_limit_per_thread = 4096;
	info.timeout_secs = 20;
	info.uid = -1;
	info.gid = -1;
	c->ctx = lws_create_context(&info);
	if (c->ctx == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

ADVICE_API void advice_client_free(struct advice_client *c)
{
	if (c == NULL)
		return;
	advice__ws_detach_all(c);
	lws_sul_schedule(c->ctx, 0, &c->wake, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_context_destroy(c->ctx);
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
