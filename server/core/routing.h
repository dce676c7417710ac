/*
 * routing.h - where a new thread goes and who gets it: pure decisions, no store access.
 *
 * The core gathers the facts (the category's queue, an explicit language route, the
 * fallback queue, who is on duty and how loaded) and these functions decide, so that the
 * decisions can be tested over many threads without a database.
 */
#ifndef ADVICE_ROUTING_H
#define ADVICE_ROUTING_H

#include <stddef.h>

#include "store.h"

enum queue_policy {
	QUEUE_MANUAL = 0,      /* workers claim from the queue */
	QUEUE_ROUND_ROBIN = 1, /* the next on-duty worker after the last one chosen, in user id order */
	QUEUE_LEAST_LOADED = 2 /* the on-duty worker with the fewest open threads, under the cap */
};

#define ROUTING_LANGS "fi,sv,en" /* the languages the service knows */

struct routing_worker {
	char user_id[STORE_ID_SIZE];
	int on_duty;
	int load; /* open threads assigned to the worker (not closed) */
};

/* A candidate queue for a new thread. */
struct routing_target {
	int exists;
	int staffed; /* somebody of its unit is on duty */
};

enum routing_choice { ROUTE_CATEGORY = 0, ROUTE_LANGUAGE = 1, ROUTE_FALLBACK = 2 };

/*
 * The queue for a new thread: the explicit route of its (category, language) when there is
 * one, else the category's queue; if nobody is on duty there and the chosen queue has a
 * fallback queue with somebody on duty, the fallback. One hop only.
 */
enum routing_choice routing_choose(const struct routing_target *lang_route,
				   const struct routing_target *chosen,
				   const struct routing_target *fallback);

/*
 * The worker to assign under `policy` among `w` (sorted by user id, ascending): -1 for
 * QUEUE_MANUAL or when nobody on duty is under the cap (`cap` 0: no cap). `last` is the
 * user id chosen last time in this queue ("" when none): round-robin takes the first
 * eligible worker after it, wrapping; least-loaded breaks ties the same way, so equal
 * loads rotate too.
 */
int routing_pick(enum queue_policy policy, const struct routing_worker *w, size_t n, int cap,
		 const char *last);

/* Whether `lang` is one the service knows ("fi", "sv", "en"). */
int routing_lang_known(const char *lang);
/* Whether a comma-separated language list ("fi,sv"; "" = every language) includes `lang`. */
int routing_lang_served(const char *langs, const char *lang);
/* Checks a language list for advicectl: known languages, comma-separated, no repeats. 0 or -1. */
int routing_langs_valid(const char *langs);
/* Policy names: "manual", "round-robin", "least-loaded". -1 when unknown. */
int routing_policy_parse(const char *name);
const char *routing_policy_name(enum queue_policy p);

#endif
