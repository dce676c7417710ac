/*
 * reqerr.h - the answer the network layer gives a WebSocket message it refuses without
 * handing it to the core (the session's share of the queue is full, a request-rate limit
 * is reached, the server is busy or stopping): an `error` reply carrying the request's id,
 * or for a binary message (an attachment chunk) the `file.chunk` event naming its file and
 * index, each with `retry_after` when a wait helps (PROTOCOL.md §2.1, §8, §12.4).
 *
 * Plain C over jansson: no sockets, no state.
 */
#ifndef ADVICE_REQERR_H
#define ADVICE_REQERR_H

#include <stddef.h>

#include "advice_proto.h"

/*
 * The request id of a text message: `text[0..len)` parsed as JSON; when it is an object
 * whose "id" is a string of 1..ADVICE_MAX_REQUEST_ID characters of [A-Za-z0-9_-], copies
 * it into `out` (NUL-terminated) and returns its length. 0 when no valid id could be read
 * (not JSON, not an object, no or a malformed id), as the core's errors have "id": null.
 */
size_t reqerr_id(const char *text, size_t len, char out[ADVICE_MAX_REQUEST_ID + 1]);

/*
 * Writes into `buf` (size `size`) the answer to the refused message `msg[0..len)`: for a
 * text message (`binary` 0) {"type":"error","id":<its id or null>,"code":..,"message":..};
 * for a binary one {"type":"event","event":"file.chunk","file":<hex or null>,"index":..,
 * "code":..,"message":..}, the file and index read from the chunk header when it has one.
 * `retry_after_s` > 0 adds "retry_after". `message` is a constant without quotes or
 * backslashes. Returns the length, or -1 when `buf` is too small (512 bytes always do).
 */
int reqerr_answer(char *buf, size_t size, const void *msg, size_t len, int binary, int code,
		  const char *message, int retry_after_s);

#endif
