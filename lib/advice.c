/*
 * advice.c - libadvice's client context and event loop, base URLs, base64url and the
 * worker authentication key. HTTP calls are in advice_http.c, WebSockets in advice_ws.c.
 *
 * The library keeps no global state of its own; creating a client initialises libsodium and
 * sets libwebsockets' (process-wide) log level to errors only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_int.h"

int64_t advice__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static void advice__wake(lws_sorted_usec_list_t *sul)
{
	(void)sul;
}

int advice__pump(struct advice_client *c, int64_t deadline_ms)
{
	int64_t wait = deadline_ms - advice__now_ms();
	int rc;

	if (wait < 0)
		wait = 0;
	/* lws sleeps until the next event or timer: the timer bounds our wait. */
	lws_sul_schedule(c->ctx, 0, &c->wake, advice__wake, (lws_usec_t)(wait * 1000 + 1));
	rc = lws_service(c->ctx, 0);
	lws_sul_schedule(c->ctx, 0, &c->wake, NULL, LWS_SET_TIMER_USEC_CANCEL);
	return rc < 0 ? -1 : 0;
}

ADVICE_API int advice_client_service(struct advice_client *c, int timeout_ms)
{
	if (c == NULL)
		return -ADVICE_ERR_INVAL;
	return advice__pump(c, advice__now_ms() + (timeout_ms > 0 ? timeout_ms : 0)) ? -ADVICE_ERR_IO : 0;
}

/* Splits "scheme://host[:port][/prefix]". 0, or -1 when malformed or unsupported. */
int advice__url_parse(const char *base_url, struct advice_url *u)
{
	const char *p, *hs, *he, *ps;
	size_t hl;

	memset(u, 0, sizeof(*u));
	if (base_url == NULL)
		return -1;
	if (strncasecmp(base_url, "http://", 7) == 0 || strncasecmp(base_url, "ws://", 5) == 0) {
		u->port = 80;
	} else if (strncasecmp(base_url, "https://", 8) == 0 || strncasecmp(base_url, "wss://", 6) == 0) {
		u->tls = 1;
		u->port = 443;
	} else {
		return -1;
	}
	hs = strstr(base_url, "://") + 3;
	ps = strchr(hs, '/');
	if (ps == NULL)
		ps = hs + strlen(hs);
	if (*hs == '[') { /* IPv6 literal */
		he = memchr(hs, ']', (size_t)(ps - hs));
		if (he == NULL)
			return -1;
		hs++;
		p = he + 1;
	} else {
		he = memchr(hs, ':', (size_t)(ps - hs));
		if (he == NULL)
			he = ps;
		p = he;
	}
	hl = (size_t)(he - hs);
	if (hl == 0 || hl >= sizeof(u->host))
		return -1;
	memcpy(u->host, hs, hl);
	if (p < ps && *p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);

		if (end != ps || port <= 0 || port > 65535)
			return -1;
		u->port = (int)port;
	} else if (p != ps) {
		return -1;
	}
	if ((size_t)(ps - base_url) >= sizeof(u->hosthdr))
		return -1;
	snprintf(u->hosthdr, sizeof(u->hosthdr), "%.*s", (int)(ps - hs), hs);
	if (strlen(ps) >= sizeof(u->prefix))
		return -1;
	snprintf(u->prefix, sizeof(u->prefix), "%s", ps);
	hl = strlen(u->prefix);
	while (hl > 0 && u->prefix[hl - 1] == '/')
		u->prefix[--hl] = '\0';
	return 0;
}

int advice__error_code(const char *json)
{
	json_t *root = json_loads(json ? json : "", 0, NULL);
	const char *code;
	int rc = -ADVICE_ERR_PROTOCOL;

	if (root == NULL)
		return rc;
	code = json_string_value(json_object_get(root, "code"));
	if (code != NULL && strcmp(code, "ok") != 0)
		rc = -advice_err_from_name(code);
	json_decref(root);
	return rc;
}

ADVICE_API char *advice_b64url_encode(const void *data, size_t len)
{
	size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

ADVICE_API int advice_b64url_decode(const char *text, uint8_t **out, size_t *outlen)
{
	size_t tlen, cap, n = 0;
	const char *end = NULL;
	uint8_t *buf;

	if (text == NULL || out == NULL || outlen == NULL)
		return -ADVICE_ERR_INVAL;
	tlen = strlen(text);
	cap = tlen / 4 * 3 + 3;
	buf = malloc(cap);
	if (buf == NULL)
		return -ADVICE_ERR_NOMEM;
	if (sodium_base642bin(buf, cap, text, tlen, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != text + tlen) {
		free(buf);
		return -ADVICE_ERR_INVAL;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

ADVICE_API int advice_worker_auth_key(const char *password, const uint8_t salt[ADVICE_SALT_BYTES],
				      unsigned long long opslimit, size_t memlimit,
				      uint8_t out[ADVICE_AUTH_KEY_BYTES])
{
	uint8_t m[crypto_kdf_KEYBYTES];
	int rc = 0;

	if (password == NULL || salt == NULL || out == NULL || opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    opslimit > crypto_pwhash_OPSLIMIT_MAX || memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	    memlimit > crypto_pwhash_MEMLIMIT_MAX)
		return -ADVICE_ERR_INVAL;
	if (crypto_pwhash(m, sizeof(m), password, strlen(password), salt, opslimit, memlimit,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = -ADVICE_ERR_NOMEM;
		goto out;
	}
	if (crypto_kdf_derive_from_key(out, ADVICE_AUTH_KEY_BYTES, 1, "advlogin", m) != 0)
		rc = -ADVICE_ERR_INVAL;
out:
	sodium_memzero(m, sizeof(m));
	return rc;
}
