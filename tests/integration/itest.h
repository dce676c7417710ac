/*
 * itest.h - assertions the integration tests share: a request whose outcome is checked, and
 * field readers for replies.
 */
#ifndef ADVICE_ITEST_H
#define ADVICE_ITEST_H

#include <jansson.h>

#include "advice.h"

/*
 * Sends a request (printf-style, up to 64 KiB) and waits for its reply; fails the test
 * unless the reply is "ok" (`expect` "ok") or an error with code `expect`. Returns the parsed
 * reply (the caller decrefs).
 */
json_t *itest_request(struct advice_conn *k, const char *expect, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A string field of a reply, or NULL. */
const char *itest_str(json_t *j, const char *name);
/* An integer field of a reply, or 0. */
json_int_t itest_num(json_t *j, const char *name);

#endif
