/*
 * policy.h - the one table that says who may do what (ARCHITECTURE.md §4).
 *
 * Every request of the core is checked here and nowhere else. A rule names an action,
 * the caller's role towards the object and the relations of which one must hold. The actions
 * (policy_actions.h) and the rules (policy_rules.c) are generated from proto/requests.def.
 */
#ifndef ADVICE_POLICY_H
#define ADVICE_POLICY_H

#include <stddef.h>

#include "policy_actions.h"
#include "store.h"

/* What the caller is to the object (bits). */
enum policy_relation {
	REL_NONE = 0,	   /* the rule needs no relation */
	REL_OWNER = 1,	   /* the citizen whose thread it is */
	REL_MEMBER = 2,	   /* a worker or supervisor of the thread's unit */
	REL_ASSIGNEE = 4,  /* the worker the thread is assigned to */
	REL_CONSENTED = 8, /* the records connector the thread's citizen consented to */
	REL_ORDERED = 16,  /* the connector, while an export order covers the thread's citizen */
};

/* One row of the generated table. Anything not listed is denied. */
struct policy_rule {
	enum policy_action action;
	enum store_role role;
	unsigned any_of; /* REL_NONE: allowed without a relation; else one of these must hold */
};

extern const struct policy_rule policy_rules[];
extern const size_t policy_nrules;
extern const char *const policy_action_names[ACT__COUNT];

/* 1 when `role` with `relations` may perform `action`, else 0. */
int policy_allows(enum policy_action action, enum store_role role, unsigned relations);

/* The action's wire name ("thread.read"). */
const char *policy_action_name(enum policy_action action);

#endif
