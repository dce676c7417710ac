/*
 * retention.c - the retention rules applied to one thread (retention.h).
 */
#include <stdio.h>
#include <string.h>

#include "retention.h"

/* When the citizen's client relationship ended: the last close, once no thread is open. */
static int64_t relationship_end(const struct store_retention_candidate *c)
{
	return c->citizen_open ? 0 : c->last_close;
}

void retention_judge(const struct register_doc *reg, const struct store_retention_candidate *c,
		     int handed_over, struct retention_verdict *v)
{
	const struct register_rule *rule = register_rule_for(reg, c->category);
	int64_t end = relationship_end(c), start;

	memset(v, 0, sizeof *v);
	if (rule != NULL) {
		start = rule->from == REGISTER_FROM_CLOSE ? c->closed : end;
		if (start > 0)
			v->due = register_period_end(rule, start);
		register_rule_describe(rule, v->rule, sizeof v->rule);
	}
	if (end == 0)
		return;
	{
		int64_t copy = end + (int64_t)reg->channel_copy_days * 86400000LL;

		if (!handed_over) {
			v->held_at = v->due != 0 && v->due <= copy ? 0 : copy;
			return;
		}
		if (v->due == 0 || copy < v->due) {
			v->due = copy;
			v->channel_copy = 1;
			snprintf(v->rule, sizeof v->rule, "channel copy: %d days from relationship_end",
				 reg->channel_copy_days);
		}
	}
}

int retention_is_due(const struct retention_verdict *v, int64_t now)
{
	return v->due != 0 && v->due <= now;
}
