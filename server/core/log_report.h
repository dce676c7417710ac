/*
 * log_report.h - the client's log report (703/2023 11 §): who processed a client's data and to
 * whom it was disclosed in a time window, from the access log and the disclosure log, with the
 * units' names and, where the law allows, the staff's display names. The citizen's request
 * (log.report, core_log_report.c) and the register keeper's (advicectl log-report,
 * admin_logs.c) build it here; each writes its own access-log row.
 */
#ifndef ADVICE_LOG_REPORT_H
#define ADVICE_LOG_REPORT_H

#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define LOG_REPORT_MAX_ROWS  2000			     /* rows of each list in one report */
#define LOG_REPORT_BACK_MS   (731LL * 24 * 3600 * 1000)	     /* two years, a leap day included */
#define LOG_REPORT_MAX_BYTES (ADVICE_MAX_REPLY_BYTES - 8192) /* both lists' JSON together */

struct log_report_query {
	const char *client;	  /* the client pseudonym (the citizen's user id) */
	const char *exclude_user; /* rows by this user are left out ("" or NULL: none) */
	int64_t from, to;	  /* inclusive, ms */
};

/*
 * Sets in `out` (an object): "accesses" [{time, unit, unit_name, role, name, action, thread,
 * outcome}] (rows by staff, administrators and connectors: role "worker", "supervisor",
 * "admin" or "connector"; name the staff display name of workers and supervisors, the
 * connector's name, null for administrators), "disclosures" [{time, thread, recipient, basis,
 * dataset, method}] (those done), oldest first, and "more" (bool). When a list has more than
 * LOG_REPORT_MAX_ROWS rows or both would pass LOG_REPORT_MAX_BYTES, both are cut before the
 * same moment, "more" is true and "next" is that moment (ms: the `from` of the rest), else
 * "next" is absent. Times are ms. 0, or -1 when the store failed or memory ran out.
 */
int log_report_build(struct store *st, const struct log_report_query *q, json_t *out);

/* The role's word in a report: "worker", "supervisor", "admin", "connector"; NULL for others. */
const char *log_report_role(enum store_role r);

#endif
