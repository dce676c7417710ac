/*
 * errfmt.h - the one way an operation with an (err, errlen) buffer says why it failed.
 */
#ifndef ADVICE_ERRFMT_H
#define ADVICE_ERRFMT_H

#include <stddef.h>

/* Writes the message into err (errlen bytes, cut to fit) and returns -1. */
int err_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
