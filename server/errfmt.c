/*
 * errfmt.c - err_fail(): a failing operation's message into its caller's buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errfmt.h"

int err_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
