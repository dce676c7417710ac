/*
 * policy.c - the permission table. Anything not listed is denied.
 */
#include <stddef.h>

#include "policy.h"

struct policy_rule {
	enum policy_action action;
	enum store_role role;
	unsigned any_of; /* REL_NONE: allowed without a relation; else one of these must hold */
};

static const struct policy_rule rules[] = {
	{ ACT_CATEGORIES_LIST, ROLE_CITIZEN, REL_NONE },
	{ ACT_CATEGORIES_LIST, ROLE_WORKER, REL_NONE },
	{ ACT_CATEGORIES_LIST, ROLE_SUPERVISOR, REL_NONE },

	{ ACT_THREAD_OPEN, ROLE_CITIZEN, REL_NONE },

	/* Listing is scoped by the query itself: own threads, or the caller's units' queues. */
	{ ACT_THREAD_LIST, ROLE_CITIZEN, REL_NONE },
	{ ACT_THREAD_LIST, ROLE_WORKER, REL_NONE },
	{ ACT_THREAD_LIST, ROLE_SUPERVISOR, REL_NONE },

	{ ACT_THREAD_READ, ROLE_CITIZEN, REL_OWNER },
	{ ACT_THREAD_READ, ROLE_WORKER, REL_MEMBER },
	{ ACT_THREAD_READ, ROLE_SUPERVISOR, REL_MEMBER },

	{ ACT_THREAD_CLAIM, ROLE_WORKER, REL_MEMBER },
	{ ACT_THREAD_CLAIM, ROLE_SUPERVISOR, REL_MEMBER },

	{ ACT_MESSAGE_SEND, ROLE_CITIZEN, REL_OWNER },
	{ ACT_MESSAGE_SEND, ROLE_WORKER, REL_ASSIGNEE },
	{ ACT_MESSAGE_SEND, ROLE_SUPERVISOR, REL_ASSIGNEE },

	{ ACT_THREAD_CLOSE, ROLE_CITIZEN, REL_OWNER },
	{ ACT_THREAD_CLOSE, ROLE_WORKER, REL_ASSIGNEE },
	{ ACT_THREAD_CLOSE, ROLE_SUPERVISOR, REL_ASSIGNEE },

	{ ACT_SESSION_LOGOUT, ROLE_CITIZEN, REL_NONE },
	{ ACT_SESSION_LOGOUT, ROLE_WORKER, REL_NONE },
	{ ACT_SESSION_LOGOUT, ROLE_SUPERVISOR, REL_NONE },
};

static const char *const action_names[ACT__COUNT] = {
	[ACT_CATEGORIES_LIST] = "categories.list", [ACT_THREAD_OPEN] = "thread.open",
	[ACT_THREAD_LIST] = "thread.list",	   [ACT_THREAD_READ] = "thread.read",
	[ACT_THREAD_CLAIM] = "thread.claim",	   [ACT_MESSAGE_SEND] = "message.send",
	[ACT_THREAD_CLOSE] = "thread.close",	   [ACT_SESSION_LOGOUT] = "session.logout",
};

int policy_allows(enum policy_action action, enum store_role role, unsigned relations)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		if (rules[i].action != action || rules[i].role != role)
			continue;
		if (rules[i].any_of == REL_NONE || (rules[i].any_of & relations) != 0)
			return 1;
	}
	return 0;
}

const char *policy_action_name(enum policy_action action)
{
	return action >= 0 && action < ACT__COUNT ? action_names[action] : "unknown";
}
