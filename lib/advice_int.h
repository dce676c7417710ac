/*
 * advice_int.h - internals of libadvice. advice.c (client context) calls advice_http.c (HTTP
 * API calls) and advice_ws.c (WebSocket connections), which call advice_loop.c (the event
 * loop's turns and clock) and advice_codec.c (base URLs, error codes, base64url): the files
 * call downward only.
 */
#ifndef ADVICE_INT_H
#define ADVICE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "advice.h"

#define ADVICE_API	__attribute__((visibility("default")))
#define ADVICE_HOST_MAX 256
#define ADVICE_PATH_MAX 512

/* The longest "message" of an error answer kept (PROTOCOL.md §5.2). */
#define ADVICE_ERROR_MESSAGE_MAX 512

/* What an lws wsi's opaque user data points to: the first member of both op types. */
enum advice_op_kind { ADVICE_OP_HTTP = 1, ADVICE_OP_WS };

struct advice_client {
	struct lws_context *ctx;
	struct ssl_ctx_st *ssl_ctx;  /* TLS client settings (OpenSSL's SSL_CTX), given to ctx */
	lws_sorted_usec_list_t wake; /* bounds one lws_service() call */
	struct advice_conn *conns;   /* open WebSockets, for advice_client_free */
	int tls;		     /* the context can make TLS connections */
	struct lws_protocols protocols[3];
	char source[64]; /* local address WebSockets bind to ("": any), advice_client_set_source */
	char *ca_file;	 /* the CA certificates TLS connections trust (NULL: the system's) */
	char error_message[ADVICE_ERROR_MESSAGE_MAX + 1]; /* advice_client_error_message */
	int retry_after;
};

/* A parsed base URL. */
struct advice_url {
	int tls;
	char host[ADVICE_HOST_MAX]; /* address to connect to */
	int port;
	char hosthdr[ADVICE_HOST_MAX + 8]; /* Host header: host[:port] */
	char prefix[ADVICE_PATH_MAX];	   /* path of the base URL, without a trailing / */
};

/* advice_loop.c */
/* Milliseconds of a monotonic clock. */
int64_t advice__now_ms(void);
/* One turn of the event loop, waiting at most until deadline_ms (monotonic). 0 or -1. */
int advice__pump(struct advice_client *c, int64_t deadline_ms);

/* advice_codec.c */
/* Splits "scheme://host[:port][/prefix]" into u. 0, or -1 when malformed or unsupported. */
int advice__url_parse(const char *base_url, struct advice_url *u);
/* The error code named by an error JSON's "code" (negative), or -ADVICE_ERR_PROTOCOL. */
int advice__error_code(const char *json);
/* The "message" (cut to size - 1 bytes; "" when none) and "retry_after" (0 when none) of an
 * error JSON. */
void advice__error_details(const char *json, char *message, size_t size, int *retry_after);

/* advice_http.c, advice_ws.c */
int advice__http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *in, size_t len);
int advice__ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *in, size_t len);
void advice__ws_detach_all(struct advice_client *c);

#endif
