/*
 * admin_retention.c - advicectl's register duties run by the core (admin_retention.h): the
 * retention run, the erasure of a thread and the privacy notice. A shred takes several
 * commits (shred.h): the first command marks, then asks the admin socket for its next step
 * (admin_out.again, "--continue RUN"), one phase per step, until the run's threads are done.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errfmt.h"
#include "admin_retention.h"
#include "admin_staff.h"
#include "core_retention.h"
#include "shred.h"

static int id_valid(const char *id)
{
	if (strlen(id) != ADVICE_ID_HEX)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* An erasure request's id: 1..64 of letters, digits, '.', '_', ':', '-'. */
static int request_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > STORE_SHRED_REQUEST_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._:-", *p) != NULL))
			return 0;
	return 1;
}

/* The erasure note of a mark, as --json gives it. */
static json_t *note_json(const struct store_shred_mark *m)
{
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:s?, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I}}",
		"thread", m->thread_id, "citizen", m->citizen_id, "why", m->erasure ? "erasure" : "retention",
		"by", m->by, "request", m->request[0] ? m->request : NULL, "reason", m->reason, "due",
		admin_time_json(m->due), "marked", admin_time_json(m->marked), "done",
		admin_time_json(m->done), "deleted", "messages", (json_int_t)m->counts.messages, "files",
		(json_int_t)m->counts.files, "file_bytes", (json_int_t)m->counts.file_bytes, "wraps",
		(json_int_t)m->counts.wraps, "epochs", (json_int_t)m->counts.epochs, "notes",
		(json_int_t)m->counts.notes, "identity_boxes", (json_int_t)m->counts.idboxes, "other_rows",
		(json_int_t)m->other_rows);
}

/* What a run's report collects: its notes (done) and the marks still pending. */
struct run_report {
	struct admin_out *out;
	json_t *shredded;
	int pending;
};

static int report_each(void *arg, const struct store_shred_mark *m)
{
	struct run_report *r = arg;

	if (m->phase != SHRED_DONE) {
		r->pending++;
		return 0;
	}
	fprintf(r->out->text,
		"shredded %s (%s): %lld messages, %lld files (%lld bytes), %lld wraps, %lld epochs, %lld "
		"notes, "
		"%lld identity boxes, %lld other rows\n",
		m->thread_id, m->erasure ? "erasure" : "retention", (long long)m->counts.messages,
		(long long)m->counts.files, (long long)m->counts.file_bytes, (long long)m->counts.wraps,
		(long long)m->counts.epochs, (long long)m->counts.notes, (long long)m->counts.idboxes,
		(long long)m->other_rows);
	json_array_append_new(r->shredded, note_json(m));
	return 0;
}

/* Asks for the next step of `command` on run `run`. */
static void again(struct admin_out *out, const char *command, const char *run)
{
	out->again = json_pack("[s, s, s]", command, "--continue", run);
}

/*
 * One further step of a run: every pending mark one phase on (shred_step); then either the
 * next step is asked for, or (the run's marks all done, or nothing moved) its report.
 */
static int run_continue(struct store *st, const char *blob_dir, int64_t now, const char *command,
			const char *run, struct admin_out *out, char *err, size_t errlen)
{
	struct run_report r = { .out = out };
	struct shred_progress p;
	int others = 0;

	if (!id_valid(run))
		return err_fail(err, errlen, "--continue takes a run id (32 lowercase hex digits)");
	if (shred_step(st, blob_dir, now, SHRED_STEP_MAX, &p) != 0)
		return -1;
	if ((r.shredded = json_array()) == NULL)
		return -1;
	if (st->ops->retention->list(st, run, report_each, &r) != STORE_OK) {
		json_decref(r.shredded);
		return -1;
	}
	if (r.pending == 0 && (others = shred_pending(st)) < 0) {
		json_decref(r.shredded);
		return -1;
	}
	/* Marks an earlier run left (a crash) are carried on too: every mark ends done. */
	if ((r.pending > 0 || others > 0) && p.advanced > 0) {
		json_decref(r.shredded);
		again(out, command, run);
		return 0;
	}
	fprintf(out->text, "%zu threads shredded", json_array_size(r.shredded));
	if (r.pending > 0)
		fprintf(out->text,
			"; %d could not be finished (an attachment could not be removed: see adviced's log); "
			"the hourly run carries on with them",
			r.pending);
	fputc('\n', out->text);
	admin_data_set(out, "shredded", r.shredded);
	admin_data_set(out, "unfinished", json_integer(r.pending));
	return 0;
}

static json_t *item_json(const struct retention_item *it, int held)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "thread", it->c.thread_id, "citizen",
			 it->c.citizen_id, "category", it->c.category, "closed",
			 admin_time_json(it->c.closed), "rule", it->v.rule, held ? "held_since" : "due",
			 admin_time_json(held ? it->v.held_at : it->v.due));
}

/* Prints and returns the scan's due and held threads. */
static void scan_print(const struct retention_scan *s, int64_t at, struct admin_out *out)
{
	char when[ADMIN_TIME_TEXT];
	json_t *due = json_array(), *held = json_array();

	admin_time_text(at, when);
	fprintf(out->text, "retention at %s: %zu threads due\n", when, s->ndue);
	for (size_t i = 0; i < s->ndue; i++) {
		admin_time_text(s->due[i].v.due, when);
		fprintf(out->text, "  %s %s (%s) due %s\n", s->due[i].c.thread_id, s->due[i].c.category,
			s->due[i].v.rule, when);
		json_array_append_new(due, item_json(&s->due[i], 0));
	}
	if (s->nheld > 0)
		fprintf(out->text,
			"kept: %zu threads whose channel copy is past its time but which were not handed "
			"over to "
			"the client record (hand them over first)\n",
			s->nheld);
	for (size_t i = 0; i < s->nheld; i++) {
		admin_time_text(s->held[i].v.held_at, when);
		fprintf(out->text, "  %s %s since %s\n", s->held[i].c.thread_id, s->held[i].c.category, when);
		json_array_append_new(held, item_json(&s->held[i], 1));
	}
	admin_data_set(out, "at", admin_time_json(at));
	admin_data_set(out, "due", due);
	admin_data_set(out, "held", held);
}

/* retention-run [--dry-run] [--at WHEN] */
static int cmd_retention_run(struct store *st, const struct admin_retention_env *env, int argc, char **argv,
			     struct admin_out *out, char *err, size_t errlen)
{
	struct retention_scan s;
	char run[STORE_ID_SIZE], by[STORE_SHRED_BY_SIZE];
	int64_t at = env->now;
	int dry = 0, marked = 0, unfinished;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
			if (admin_staff_parse_when(argv[++i], env->now, &at) != 0 || at == 0)
				return err_fail(
					err, errlen,
					"--at takes YYYY-MM-DD (the end of that day), now or +SECONDS");
		} else
			return 1;
	}
	if (env->reg == NULL)
		return err_fail(err, errlen, "no register file is loaded");
	if (retention_scan(st, env->reg, at, &s) != 0)
		return -1;
	scan_print(&s, at, out);
	admin_data_set(out, "dry_run", json_boolean(dry));
	if ((unfinished = shred_pending(st)) < 0) {
		retention_scan_free(&s);
		return -1;
	}
	if (!dry && unfinished)
		fprintf(out->text, "shreds an earlier run left unfinished are finished first\n");
	if (dry || (s.ndue == 0 && !unfinished)) {
		fprintf(out->text, dry ? "dry run: nothing was shredded\n" : "nothing to shred\n");
		admin_data_set(out, "shredded", json_array());
		retention_scan_free(&s);
		return 0;
	}
	retention_run_id(run);
	snprintf(by, sizeof by, "os:%s", env->os_user);
	if (retention_mark(st, &s, run, by, env->now, &marked) != 0) {
		retention_scan_free(&s);
		return -1;
	}
	retention_scan_free(&s);
	fprintf(out->text, "%d threads marked for shredding (run %s)\n", marked, run);
	admin_data_set(out, "run", json_string(run));
	again(out, "retention-run", run);
	return 0;
}

/* thread-erase THREAD --reason TEXT [--request ID] */
static int cmd_thread_erase(struct store *st, const struct admin_retention_env *env, int argc, char **argv,
			    struct admin_out *out, char *err, size_t errlen)
{
	struct store_shred_mark m = { .erasure = 1, .due = env->now };
	const char *thread = argv[1], *reason = NULL, *request = "";
	struct store_thread t;
	int handed = 0, rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (strcmp(argv[i], "--request") == 0 && i + 1 < argc)
			request = argv[++i];
		else
			return 1;
	}
	if (!id_valid(thread))
		return err_fail(err, errlen, "a thread id is 32 lowercase hex digits");
	if (reason == NULL || reason[0] == '\0' || strlen(reason) > STORE_SHRED_REASON_MAX)
		return err_fail(err, errlen, "--reason: why the thread is erased (at most %d bytes)",
				STORE_SHRED_REASON_MAX);
	if (request[0] != '\0' && !request_valid(request))
		return err_fail(err, errlen,
				"--request: the request's id (letters, digits, '.', '_', ':', '-')");
	if ((rc = st->ops->thread->get(st, thread, &t)) == STORE_NOTFOUND)
		return err_fail(err, errlen, "no thread %s (or it was shredded already)", thread);
	if (rc != STORE_OK || retention_handed_over(st, thread, &handed) != 0)
		return -1;
	if (handed)
		return err_fail(
			err, errlen,
			"thread %s was handed over to the client record: it is a client document whose "
			"retention runs, exempt from erasure (GDPR 17(3)(b)); nothing was erased",
			thread);
	snprintf(m.thread_id, sizeof m.thread_id, "%s", thread);
	snprintf(m.citizen_id, sizeof m.citizen_id, "%s", t.citizen_id);
	retention_run_id(m.run);
	snprintf(m.by, sizeof m.by, "os:%s", env->os_user);
	snprintf(m.request, sizeof m.request, "%s", request);
	snprintf(m.reason, sizeof m.reason, "%s", reason);
	if ((rc = shred_mark(st, &m, env->now)) == STORE_EXISTS)
		return err_fail(err, errlen, "thread %s is being shredded already (the next run finishes it)",
				thread);
	if (rc != STORE_OK)
		return -1;
	if (t.state != THREAD_CLOSED)
		admin_warn(out, "thread %s was not closed: its people lose it now", thread);
	fprintf(out->text, "thread %s marked for erasure\n", thread);
	admin_data_set(out, "run", json_string(m.run));
	again(out, "thread-erase", m.run);
	return 0;
}

/* privacy-notice [--lang fi|sv|en] */
static int cmd_privacy_notice(const struct admin_retention_env *env, int argc, char **argv,
			      struct admin_out *out, char *err, size_t errlen)
{
	const char *lang = "fi";

	if (argc == 3 && strcmp(argv[1], "--lang") == 0)
		lang = argv[2];
	else if (argc != 1)
		return 1;
	if (env->reg == NULL)
		return err_fail(err, errlen, "no register file is loaded");
	if (register_notice_write(env->reg, lang, out->text) != 0)
		return err_fail(err, errlen, "--lang: fi, sv or en");
	admin_data_set(out, "register", json_deep_copy(env->reg->doc));
	return 0;
}

int admin_retention_run(struct store *st, const struct admin_retention_env *env, int argc, char **argv,
			struct admin_out *out, char *err, size_t errlen)
{
	int resume = argc == 3 && strcmp(argv[1], "--continue") == 0;

	if (strcmp(argv[0], "privacy-notice") == 0)
		return cmd_privacy_notice(env, argc, argv, out, err, errlen);
	if (strcmp(argv[0], "retention-run") == 0)
		return resume ? run_continue(st, env->blob_dir, env->now, argv[0], argv[2], out, err, errlen)
			      : cmd_retention_run(st, env, argc, argv, out, err, errlen);
	if (strcmp(argv[0], "thread-erase") == 0 && argc >= 2)
		return resume ? run_continue(st, env->blob_dir, env->now, argv[0], argv[2], out, err, errlen)
			      : cmd_thread_erase(st, env, argc, argv, out, err, errlen);
	return 1;
}
