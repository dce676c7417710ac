/*
 * proto_names.c - wire names of the protocol's error codes (advice_proto.h).
 * Linked into both libadvice and the server so the two cannot disagree.
 */
#include <string.h>

#include "advice_proto.h"

static const char *const err_names[ADVICE_ERR__COUNT] = {
	[ADVICE_OK] = "ok",
	[ADVICE_ERR_BAD_JSON] = "bad_json",
	[ADVICE_ERR_BAD_REQUEST] = "bad_request",
	[ADVICE_ERR_UNKNOWN_TYPE] = "unknown_type",
	[ADVICE_ERR_TOO_LARGE] = "too_large",
	[ADVICE_ERR_UNAUTHENTICATED] = "unauthenticated",
	[ADVICE_ERR_BAD_CREDENTIALS] = "bad_credentials",
	[ADVICE_ERR_BAD_TOKEN] = "bad_token",
	[ADVICE_ERR_LOCKED] = "locked",
	[ADVICE_ERR_FORBIDDEN] = "forbidden",
	[ADVICE_ERR_NOT_FOUND] = "not_found",
	[ADVICE_ERR_CONFLICT] = "conflict",
	[ADVICE_ERR_THREAD_CLOSED] = "thread_closed",
	[ADVICE_ERR_RATE_LIMITED] = "rate_limited",
	[ADVICE_ERR_TOTP_REQUIRED] = "totp_required",
	[ADVICE_ERR_ENROL_REQUIRED] = "enrol_required",
	[ADVICE_ERR_PASSWORD_AGE] = "password_expired",
	[ADVICE_ERR_RESTRICTED] = "restricted",
	[ADVICE_ERR_UNAVAILABLE] = "unavailable",
	[ADVICE_ERR_INTERNAL] = "internal",
	[ADVICE_ERR_NOMEM] = "nomem",
	[ADVICE_ERR_IO] = "io",
	[ADVICE_ERR_TIMEOUT] = "timeout",
	[ADVICE_ERR_PROTOCOL] = "protocol",
	[ADVICE_ERR_INVAL] = "inval",
	[ADVICE_ERR_WITHHELD] = "withheld",
	[ADVICE_ERR_REVOKED] = "revoked",
	[ADVICE_ERR_STALE_EPOCH] = "stale_epoch",
};

__attribute__((visibility("default"))) const char *advice_err_name(int code)
{
	if (code < 0)
		code = -code;
	if (code >= ADVICE_ERR__COUNT || err_names[code] == NULL)
		return "internal";
	return err_names[code];
}

__attribute__((visibility("default"))) int advice_err_from_name(const char *name)
{
	for (int i = 0; i < ADVICE_ERR__COUNT; i++)
		if (name != NULL && strcmp(err_names[i], name) == 0)
			return i;
	return ADVICE_ERR_PROTOCOL;
}
