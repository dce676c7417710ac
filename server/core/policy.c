/*
 * policy.c - the permission check over the generated table (policy_rules.c, from
 * proto/requests.def). Anything not listed is denied.
 */
#include "policy.h"

int policy_allows(enum policy_action action, enum store_role role, unsigned relations)
{
	for (size_t i = 0; i < policy_nrules; i++) {
		if (policy_rules[i].action != action || policy_rules[i].role != role)
			continue;
		if (policy_rules[i].any_of == REL_NONE || (policy_rules[i].any_of & relations) != 0)
			return 1;
	}
	return 0;
}

const char *policy_action_name(enum policy_action action)
{
	return action >= 0 && action < ACT__COUNT ? policy_action_names[action] : "unknown";
}
