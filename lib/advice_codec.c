/*
 * advice_codec.c - the text libadvice's calls read and write besides their JSON bodies: base
 * URLs ("scheme://host[:port][/prefix]"), the code and reason of an error reply, and base64url
 * (unpadded, the protocol's encoding of bytes).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_int.h"

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

void advice__error_details(const char *json, char *message, size_t size, int *retry_after)
{
	json_t *root = json_loads(json ? json : "", 0, NULL);
	const char *text = json_string_value(json_object_get(root, "message"));
	json_int_t wait = json_integer_value(json_object_get(root, "retry_after"));

	snprintf(message, size, "%s", text ? text : "");
	*retry_after = wait > 0 && wait <= INT_MAX ? (int)wait : 0;
	json_decref(root);
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
