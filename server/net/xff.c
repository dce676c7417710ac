/*
 * xff.c - the client address behind trusted reverse proxies (xff.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "xff.h"

/* `text` as a 16-byte IPv6 address (IPv4 as IPv4-mapped). 0, or -1 when it is no address. */
static int xff_parse(const char *text, uint8_t out[16])
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, text, v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

int xff_trust(struct xff_trusted *t, const char *text)
{
	if (t->n == XFF_MAX_TRUSTED || xff_parse(text, t->addr[t->n]) != 0)
		return -1;
	t->n++;
	return 0;
}

static int xff_trusted_bytes(const struct xff_trusted *t, const uint8_t a[16])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->addr[i], a, 16) == 0)
			return 1;
	return 0;
}

int xff_is_trusted(const struct xff_trusted *t, const char *text)
{
	uint8_t a[16];

	return t->n > 0 && xff_parse(text, a) == 0 && xff_trusted_bytes(t, a);
}

static int xff_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The entry of `xff` that ends at `end` (exclusive), trimmed, into `out`; its start (the
 * index of the entry's first byte, after the comma before it) in *start. 0, or -1 when the
 * trimmed entry is empty or too long for an address. */
static int xff_entry(const char *xff, size_t end, size_t *start, char out[XFF_ADDR_MAX])
{
	size_t b = end, e;

	while (b > 0 && xff[b - 1] != ',')
		b--;
	*start = b;
	e = end;
	while (b < e && xff_blank(xff[b]))
		b++;
	while (e > b && xff_blank(xff[e - 1]))
		e--;
	if (e == b || e - b >= XFF_ADDR_MAX || memchr(xff + b, '\0', e - b) != NULL)
		return -1;
	memcpy(out, xff + b, e - b);
	out[e - b] = '\0';
	return 0;
}

enum xff_result xff_client(const struct xff_trusted *t, const char *peer, const char *xff, size_t len,
			   char out[XFF_ADDR_MAX])
{
	char entry[XFF_ADDR_MAX];
	size_t end = len, start;
	uint8_t a[16];

	snprintf(out, XFF_ADDR_MAX, "%s", peer);
	if (xff == NULL || len == 0 || !xff_is_trusted(t, peer))
		return XFF_PEER;
	for (;;) {
		if (xff_entry(xff, end, &start, entry) != 0 || xff_parse(entry, a) != 0)
			return XFF_MALFORMED;
		if (!xff_trusted_bytes(t, a) || start == 0)
			break;
		end = start - 1; /* the comma before this entry */
	}
	memcpy(out, entry, sizeof entry);
	return XFF_FORWARDED;
}
