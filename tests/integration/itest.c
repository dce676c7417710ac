/*
 * itest.c - shared assertions of the integration tests (itest.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "itest.h"

#define ITEST_MAX_REQUEST 65536

json_t *itest_request(struct advice_conn *k, const char *expect, const char *fmt, ...)
{
	char *text = malloc(ITEST_MAX_REQUEST), *reply = NULL;
	json_t *j;
	va_list ap;
	int rc;

	assert_non_null(text);
	va_start(ap, fmt);
	vsnprintf(text, ITEST_MAX_REQUEST, fmt, ap);
	va_end(ap);
	rc = advice_request(k, text, &reply, HARNESS_TIMEOUT_MS);
	if (reply == NULL)
		fail_msg("no reply to %.200s (%d)", text, rc);
	j = json_loads(reply, 0, NULL);
	assert_non_null(j);
	if (strcmp(expect, "ok") == 0 && rc != 0)
		fail_msg("expected ok to %.200s, got %s", text, reply);
	if (strcmp(expect, "ok") != 0 &&
	    (itest_str(j, "code") == NULL || strcmp(itest_str(j, "code"), expect) != 0))
		fail_msg("expected %s to %.200s, got %s", expect, text, reply);
	free(reply);
	free(text);
	return j;
}

const char *itest_str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

json_int_t itest_num(json_t *j, const char *name)
{
	return json_integer_value(json_object_get(j, name));
}
