/*
 * xff.h - the client address of a request that came through trusted reverse proxies: the
 * `X-Forwarded-For` header read from the right, each proxy having appended the address it
 * saw, up to the first address that is not a trusted proxy (PROTOCOL.md §9). The header is
 * believed only when the TCP peer is trusted; otherwise the peer is the client.
 *
 * Plain C: no sockets, no state.
 */
#ifndef ADVICE_XFF_H
#define ADVICE_XFF_H

#include <stddef.h>
#include <stdint.h>

#define XFF_MAX_TRUSTED 16
#define XFF_ADDR_MAX	46 /* INET6_ADDRSTRLEN: the longest address text, with its NUL */

/* Trusted proxies, by address (IPv4 also as its IPv4-mapped IPv6 form). */
struct xff_trusted {
	size_t n;
	uint8_t addr[XFF_MAX_TRUSTED][16]; /* IPv6, or IPv4-mapped IPv6 */
};

/* What xff_client found. */
enum xff_result {
	XFF_PEER,      /* the TCP peer is the client (not trusted, or no header) */
	XFF_FORWARDED, /* the client is an address of the header */
	XFF_MALFORMED, /* the peer is trusted but the header is not a list of addresses up to the
			  client: the peer is the client */
};

/* Adds `text` (an IPv4 or IPv6 address) to `t`. 0, or -1 when it is no address or `t` is full. */
int xff_trust(struct xff_trusted *t, const char *text);

/* Whether `text` is the address of a trusted proxy (0 for text that is no address). */
int xff_is_trusted(const struct xff_trusted *t, const char *text);

/*
 * The client address of a request from TCP peer `peer` with the header's value `xff`
 * (`len` bytes, NULL or empty when absent) into `out` (XFF_ADDR_MAX bytes). When `peer` is
 * not trusted or the header is absent, `out` is `peer` (XFF_PEER). Else the header's
 * comma-separated entries (spaces and tabs around each ignored) are walked from the right,
 * trusted ones skipped: the first untrusted one is the client (XFF_FORWARDED); if every entry
 * is trusted, the leftmost is. An entry on that walk that is not an IPv4 or IPv6 address
 * (empty, a port, a name, a bracket, over XFF_ADDR_MAX - 1 bytes) makes it XFF_MALFORMED,
 * `out` being `peer`: what lies left of the client's entry is never read.
 */
enum xff_result xff_client(const struct xff_trusted *t, const char *peer, const char *xff, size_t len,
			   char out[XFF_ADDR_MAX]);

#endif
