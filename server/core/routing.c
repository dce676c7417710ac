/*
 * routing.c - queue choice and assignment policies (routing.h).
 */
#include <string.h>

#include "routing.h"

enum routing_choice routing_choose(const struct routing_target *lang_route,
				   const struct routing_target *chosen, const struct routing_target *fallback)
{
	enum routing_choice c = lang_route != NULL && lang_route->exists ? ROUTE_LANGUAGE : ROUTE_CATEGORY;
	const struct routing_target *t = c == ROUTE_LANGUAGE ? lang_route : chosen;

	if (t != NULL && !t->staffed && fallback != NULL && fallback->exists && fallback->staffed)
		return ROUTE_FALLBACK;
	return c;
}

static int eligible(const struct routing_worker *w, int cap)
{
	return w->on_duty && (cap <= 0 || w->load < cap);
}

/* Index of the first worker whose id sorts after `last` (n when none). */
static size_t first_after(const struct routing_worker *w, size_t n, const char *last)
{
	size_t i = 0;

	if (last == NULL || last[0] == '\0')
		return 0;
	while (i < n && strcmp(w[i].user_id, last) <= 0)
		i++;
	return i;
}

int routing_pick(enum queue_policy policy, const struct routing_worker *w, size_t n, int cap,
		 const char *last)
{
	size_t start;
	int best = -1;

	if (policy == QUEUE_MANUAL || n == 0)
		return -1;
	start = first_after(w, n, last);
	for (size_t k = 0; k < n; k++) {
		size_t i = (start + k) % n;

		if (!eligible(&w[i], cap))
			continue;
		if (policy == QUEUE_ROUND_ROBIN)
			return (int)i;
		if (best < 0 || w[i].load < w[best].load)
			best = (int)i;
	}
	return best;
}

int routing_lang_known(const char *lang)
{
	return lang != NULL &&
	       (strcmp(lang, "fi") == 0 || strcmp(lang, "sv") == 0 || strcmp(lang, "en") == 0);
}

int routing_lang_served(const char *langs, const char *lang)
{
	size_t n = strlen(lang);

	if (langs == NULL || langs[0] == '\0')
		return 1;
	for (const char *p = langs; *p != '\0';) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, lang, n) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int routing_langs_valid(const char *langs)
{
	char seen[4][3] = { { 0 } };
	size_t nseen = 0;

	if (langs == NULL || strlen(langs) > 15)
		return -1;
	for (const char *p = langs; *p != '\0';) {
		size_t len = strcspn(p, ",");
		char one[3];

		if (len != 2)
			return -1;
		memcpy(one, p, 2);
		one[2] = '\0';
		if (!routing_lang_known(one))
			return -1;
		for (size_t i = 0; i < nseen; i++)
			if (strcmp(seen[i], one) == 0)
				return -1;
		memcpy(seen[nseen++], one, 3);
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	return 0;
}

int routing_policy_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "manual") == 0)
		return QUEUE_MANUAL;
	if (strcmp(name, "round-robin") == 0)
		return QUEUE_ROUND_ROBIN;
	if (strcmp(name, "least-loaded") == 0)
		return QUEUE_LEAST_LOADED;
	return -1;
}

const char *routing_policy_name(enum queue_policy p)
{
	switch (p) {
	case QUEUE_ROUND_ROBIN: return "round-robin";
	case QUEUE_LEAST_LOADED: return "least-loaded";
	default: return "manual";
	}
}
