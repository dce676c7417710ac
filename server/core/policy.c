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

	/* Duty queues: supervisors of the thread's unit move threads; the assignee or a
	 * supervisor returns one to the queue; staff set their own duty; the dashboard is for
	 * supervisors (of the units they supervise, checked by the handler); notification
	 * contacts are the citizen's own. */
	{ ACT_THREAD_REASSIGN, ROLE_SUPERVISOR, REL_MEMBER },
	{ ACT_THREAD_RELEASE, ROLE_WORKER, REL_ASSIGNEE },
	{ ACT_THREAD_RELEASE, ROLE_SUPERVISOR, REL_MEMBER },
	{ ACT_DUTY_SET, ROLE_WORKER, REL_NONE },
	{ ACT_DUTY_SET, ROLE_SUPERVISOR, REL_NONE },
	{ ACT_DUTY_GET, ROLE_WORKER, REL_NONE },
	{ ACT_DUTY_GET, ROLE_SUPERVISOR, REL_NONE },
	{ ACT_DASHBOARD_GET, ROLE_SUPERVISOR, REL_NONE },
	{ ACT_NOTIFY_SET, ROLE_CITIZEN, REL_NONE },
	{ ACT_NOTIFY_GET, ROLE_CITIZEN, REL_NONE },
	{ ACT_NOTIFY_DELETE, ROLE_CITIZEN, REL_NONE },

	/* End-to-end encryption: public unit keys for everyone with a session; staff fetch their
	 * own key material and store their own bundle; citizens register device keys and prepare
	 * threads; thread keys (wraps) are read and written by the owner and the unit's staff. */
	{ ACT_KEYS_UNIT, ROLE_CITIZEN, REL_NONE },
	{ ACT_KEYS_UNIT, ROLE_WORKER, REL_NONE },
	{ ACT_KEYS_UNIT, ROLE_SUPERVISOR, REL_NONE },
	{ ACT_KEYS_MINE, ROLE_WORKER, REL_NONE },
	{ ACT_KEYS_MINE, ROLE_SUPERVISOR, REL_NONE },
	{ ACT_KEYS_BUNDLE_PUT, ROLE_WORKER, REL_NONE },
	{ ACT_KEYS_BUNDLE_PUT, ROLE_SUPERVISOR, REL_NONE },
	{ ACT_DEVICE_ADD, ROLE_CITIZEN, REL_NONE },
	{ ACT_THREAD_PREPARE, ROLE_CITIZEN, REL_NONE },
	{ ACT_THREAD_KEYS, ROLE_CITIZEN, REL_OWNER },
	{ ACT_THREAD_KEYS, ROLE_WORKER, REL_MEMBER },
	{ ACT_THREAD_KEYS, ROLE_SUPERVISOR, REL_MEMBER },
	{ ACT_WRAP_PUT, ROLE_CITIZEN, REL_OWNER },
	{ ACT_WRAP_PUT, ROLE_WORKER, REL_MEMBER },
	{ ACT_WRAP_PUT, ROLE_SUPERVISOR, REL_MEMBER },
	/* Attachments: uploaded by those who may write to the thread, read by those who may read it. */
	{ ACT_FILE_BEGIN, ROLE_CITIZEN, REL_OWNER },
	{ ACT_FILE_BEGIN, ROLE_WORKER, REL_ASSIGNEE },
	{ ACT_FILE_BEGIN, ROLE_SUPERVISOR, REL_ASSIGNEE },
	{ ACT_FILE_STATUS, ROLE_CITIZEN, REL_OWNER },
	{ ACT_FILE_STATUS, ROLE_WORKER, REL_MEMBER },
	{ ACT_FILE_STATUS, ROLE_SUPERVISOR, REL_MEMBER },
	{ ACT_FILE_GET, ROLE_CITIZEN, REL_OWNER },
	{ ACT_FILE_GET, ROLE_WORKER, REL_MEMBER },
	{ ACT_FILE_GET, ROLE_SUPERVISOR, REL_MEMBER },
	/* Administration: root or adviced's own OS user on the admin socket (core_admin.c). */
	{ ACT_ADMIN_COMMAND, ROLE_ADMIN, REL_NONE },
};

static const char *const action_names[ACT__COUNT] = {
	[ACT_CATEGORIES_LIST] = "categories.list",
	[ACT_THREAD_OPEN] = "thread.open",
	[ACT_THREAD_LIST] = "thread.list",
	[ACT_THREAD_READ] = "thread.read",
	[ACT_THREAD_CLAIM] = "thread.claim",
	[ACT_MESSAGE_SEND] = "message.send",
	[ACT_THREAD_CLOSE] = "thread.close",
	[ACT_SESSION_LOGOUT] = "session.logout",
	[ACT_THREAD_REASSIGN] = "thread.reassign",
	[ACT_THREAD_RELEASE] = "thread.release",
	[ACT_DUTY_SET] = "duty.set",
	[ACT_DUTY_GET] = "duty.get",
	[ACT_DASHBOARD_GET] = "dashboard.get",
	[ACT_NOTIFY_SET] = "notify.set",
	[ACT_NOTIFY_GET] = "notify.get",
	[ACT_NOTIFY_DELETE] = "notify.delete",
	[ACT_KEYS_UNIT] = "keys.unit",
	[ACT_KEYS_MINE] = "keys.mine",
	[ACT_KEYS_BUNDLE_PUT] = "keys.bundle.put",
	[ACT_DEVICE_ADD] = "device.add",
	[ACT_THREAD_PREPARE] = "thread.prepare",
	[ACT_THREAD_KEYS] = "thread.keys",
	[ACT_WRAP_PUT] = "wrap.put",
	[ACT_FILE_BEGIN] = "file.begin",
	[ACT_FILE_STATUS] = "file.status",
	[ACT_FILE_GET] = "file.get",
	[ACT_ADMIN_COMMAND] = "admin.command",
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
