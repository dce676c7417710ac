/*
 * core_requests.h - the table of WebSocket requests that core.c dispatches: generated into
 * core_requests.c from proto/requests.def, each row naming its hand-written handler.
 */
#ifndef ADVICE_CORE_REQUESTS_H
#define ADVICE_CORE_REQUESTS_H

#include "core_internal.h"

struct core_request_type {
	const char *type;
	enum policy_action action;
	int is_write;  /* idempotent by request id */
	int on_thread; /* the handler checks the policy against the thread (core_thread_for) */
	core_handler_fn fn;
};

extern const struct core_request_type core_request_types[];
extern const size_t core_request_type_count;

#endif
