/*
 * policy.h - the one table that says who may do what (ARCHITECTURE.md §4).
 *
 * Every request of the core is checked here and nowhere else. A rule names an action,
 * the caller's role towards the object and the relations of which one must hold.
 */
#ifndef ADVICE_POLICY_H
#define ADVICE_POLICY_H

#include "store.h"

enum policy_action {
	ACT_CATEGORIES_LIST,
	ACT_THREAD_OPEN,
	ACT_THREAD_LIST,
	ACT_THREAD_READ,
	ACT_THREAD_CLAIM,
	ACT_MESSAGE_SEND,
	ACT_THREAD_CLOSE,
	ACT_SESSION_LOGOUT,
	/* duty queues */
	ACT_THREAD_REASSIGN,
	ACT_THREAD_RELEASE,
	ACT_DUTY_SET,
	ACT_DUTY_GET,
	ACT_DASHBOARD_GET,
	ACT_NOTIFY_SET,
	ACT_NOTIFY_GET,
	ACT_NOTIFY_DELETE,
	/* end-to-end encryption */
	ACT_KEYS_UNIT,
	ACT_KEYS_MINE,
	ACT_KEYS_BUNDLE_PUT,
	ACT_DEVICE_ADD,
	ACT_THREAD_PREPARE,
	ACT_THREAD_KEYS,
	ACT_WRAP_PUT,
	ACT_FILE_BEGIN,
	ACT_FILE_STATUS,
	ACT_FILE_GET,
	/* administration: an advicectl command from the admin socket (core_admin.c) */
	ACT_ADMIN_COMMAND,
	ACT__COUNT
};

/* What the caller is to the object (bits). */
enum policy_relation {
	REL_NONE = 0,	  /* the rule needs no relation */
	REL_OWNER = 1,	  /* the citizen whose thread it is */
	REL_MEMBER = 2,	  /* a worker or supervisor of the thread's unit */
	REL_ASSIGNEE = 4, /* the worker the thread is assigned to */
};

/* 1 when `role` with `relations` may perform `action`, else 0. */
int policy_allows(enum policy_action action, enum store_role role, unsigned relations);

/* The action's wire name ("thread.read"). */
const char *policy_action_name(enum policy_action action);

#endif
