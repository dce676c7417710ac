/*
 * admin_out.h - what an advicectl command answers through the admin socket: the lines
 * people read, the structured data scripts read (advicectl --json), and warnings (a likely
 * mistake that did not stop the command). Times are written in Helsinki time.
 */
#ifndef ADVICE_ADMIN_OUT_H
#define ADVICE_ADMIN_OUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define ADMIN_TIME_TEXT 48 /* "2026-06-30 at 24:00 Helsinki time" */
#define ADMIN_TIME_ISO	32 /* "2026-07-01T00:00:00+03:00" */

struct admin_out {
	FILE *text;	  /* the lines people read */
	json_t *data;	  /* an object: what --json prints */
	json_t *warnings; /* an array of strings */
	/* A command that runs in several commits (retention-run, thread-erase) sets the words of
	 * its next step here (an array: command and arguments); the admin socket runs it next,
	 * in a batch of its own. NULL: the command is done. */
	json_t *again;
};

/* Text into a memory buffer (*buf, *len: open_memstream's), empty data and warnings.
 * 0, or -1 when out of memory (nothing to close). */
int admin_out_open(struct admin_out *o, char **buf, size_t *len);
/* Text to /dev/null (seeding demo data). 0, or -1. */
int admin_out_null(struct admin_out *o);
/* Closes the text stream (the buffer stays the caller's) and frees data and warnings. */
void admin_out_close(struct admin_out *o);

/* Adds a warning (printf format). */
void admin_warn(struct admin_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets data[key] to value (the reference is taken; NULL does nothing). */
void admin_data_set(struct admin_out *o, const char *key, json_t *value);

/*
 * A moment for people, in Helsinki time: "2026-06-30 at 16:15 Helsinki time"; a local
 * midnight is written as the end of the day before ("2026-06-30 at 24:00 Helsinki time").
 */
void admin_time_text(int64_t utc_ms, char out[ADMIN_TIME_TEXT]);
/* The same moment for scripts: ISO 8601 with Helsinki's UTC offset, "2026-07-01T00:00:00+03:00". */
void admin_time_iso(int64_t utc_ms, char out[ADMIN_TIME_ISO]);
/* admin_time_iso as a JSON string, or JSON null for 0 (no time). */
json_t *admin_time_json(int64_t utc_ms);
/* A minute of the day as "HH:MM" (6 bytes). */
void admin_hhmm(int minute, char out[6]);
/* The role's word: "worker" or "supervisor". */
const char *admin_role_name(int role);

#endif
