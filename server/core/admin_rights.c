/*
 * admin_rights.c - advicectl restrict, unrestrict and requests (admin_rights.h): the register
 * keeper's side of the citizen's rights. A restriction names who set or lifted it (the OS user)
 * and why; the command's access-log row (core_admin.c) keeps the same. The list of requests
 * shows each deadline in Helsinki time and flags what is overdue or due within a week.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errfmt.h"
#include "admin_rights.h"
#include "calendar.h"
#include "core_internal.h"

#define REASON_MAX_CHARS 500

static const char *const kind_names[] = { "", "correction", "restriction", "objection", "erasure" };
static const char *const state_names[] = { "open", "granted", "refused", "extended" };

/* Unicode code points of UTF-8 text (continuation bytes not counted). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* restrict / unrestrict THREAD --reason TEXT */
static int cmd_restrict(struct store *st, int64_t now, const char *user, int restricted, int argc,
			char **argv, struct admin_out *out, char *err, size_t errlen)
{
	struct store_thread t;
	char by[STORE_ACTOR_SIZE];
	const char *reason = argv[3];
	int changed = 0, rc;

	if (argc != 4 || strcmp(argv[2], "--reason") != 0)
		return 1;
	if (reason[0] == '\0' || utf8_chars(reason) > REASON_MAX_CHARS ||
	    strlen(reason) > STORE_RIGHTS_REASON_MAX)
		return err_fail(err, errlen, "the reason is 1..%d characters", REASON_MAX_CHARS);
	if ((rc = st->ops->thread->get(st, argv[1], &t)) == STORE_NOTFOUND)
		return err_fail(err, errlen, "no thread %.40s", argv[1]);
	if (rc != STORE_OK)
		return -1;
	snprintf(by, sizeof by, "os:%s", user);
	if (core_restrict_set(st, &t, restricted, by, reason, now, &changed) != 0)
		return -1;
	if (!changed)
		admin_warn(out, "thread %s was %s already: nothing changed", t.id,
			   restricted ? "restricted" : "not restricted");
	else if (restricted)
		fprintf(out->text,
			"thread %s restricted: nothing is written to it, and staff read it only for a "
			"legal claim, each read logged with its reason\n",
			t.id);
	else
		fprintf(out->text, "thread %s is no longer restricted\n", t.id);
	admin_data_set(
		out, "thread",
		json_pack("{s:s, s:b, s:b}", "id", t.id, "restricted", restricted, "changed", changed));
	return 0;
}

/* requests [--open] [--due-within DAYS] */
struct req_acc {
	struct store *st;
	struct admin_out *out;
	json_t *list;
	int64_t now, within_ms; /* within_ms < 0: no --due-within */
	int shown, soon, overdue;
};

static int is_open(const struct store_rights_request *r)
{
	return r->state == RIGHTS_OPEN || r->state == RIGHTS_EXTENDED;
}

static int print_request(void *arg, const struct store_rights_request *r)
{
	struct req_acc *a = arg;
	struct store_unit u = { 0 };
	char made[ADMIN_TIME_TEXT], due[ADMIN_TIME_TEXT];
	int overdue = is_open(r) && r->due < a->now;
	int soon = is_open(r) && !overdue && r->due - a->now <= ADMIN_RIGHTS_SOON_DAYS * CAL_DAY_MS;

	if (a->within_ms >= 0 && (!is_open(r) || r->due - a->now > a->within_ms))
		return 0;
	if (a->st->ops->unit->get(a->st, r->unit_id, &u) != STORE_OK)
		snprintf(u.name, sizeof u.name, "%s", r->unit_id);
	admin_time_text(r->made, made);
	admin_time_text(r->due, due);
	fprintf(a->out->text, "%s  %-11s  %-8s  due %s%s\n    thread %s, %s, made %s\n", r->id,
		kind_names[r->kind], state_names[r->state], due,
		overdue ? "  OVERDUE"
		: soon	? "  DUE WITHIN 7 DAYS"
			: "",
		r->thread_id, u.name, made);
	json_array_append_new(
		a->list,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:s, s:o}", "id", r->id,
			  "thread", r->thread_id, "unit", u.name, "kind", kind_names[r->kind], "state",
			  state_names[r->state], "made", admin_time_json(r->made), "due",
			  admin_time_json(r->due), "decided", admin_time_json(r->decided), "extended",
			  json_boolean(r->extended), "overdue", overdue, "due_soon", soon, "message",
			  r->message_id, "decision_message",
			  r->decision_message_id[0] ? json_string(r->decision_message_id) : json_null()));
	a->shown++;
	a->soon += soon;
	a->overdue += overdue;
	return 0;
}

static int cmd_requests(struct store *st, int64_t now, int argc, char **argv, struct admin_out *out,
			char *err, size_t errlen)
{
	struct store_rights_query q = { .limit = ADMIN_RIGHTS_MAX };
	struct req_acc a = { .st = st, .out = out, .list = json_array(), .now = now, .within_ms = -1 };
	char *end;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--open") == 0) {
			q.open_only = 1;
		} else if (strcmp(argv[i], "--due-within") == 0 && i + 1 < argc) {
			long days = strtol(argv[++i], &end, 10);

			if (*argv[i] == '\0' || *end != '\0' || days < 0 || days > 3650) {
				json_decref(a.list);
				return err_fail(err, errlen, "--due-within takes a number of days, 0..3650");
			}
			a.within_ms = days * CAL_DAY_MS;
			q.open_only = 1;
		} else {
			json_decref(a.list);
			return 1;
		}
	}
	if (a.list == NULL || st->ops->rights->request_list(st, &q, print_request, &a) != STORE_OK) {
		json_decref(a.list);
		return -1;
	}
	fprintf(out->text, "%d requests; %d overdue, %d due within %d days\n", a.shown, a.overdue, a.soon,
		ADMIN_RIGHTS_SOON_DAYS);
	if (json_array_size(a.list) >= ADMIN_RIGHTS_MAX)
		admin_warn(out, "only the first %d requests by deadline are listed", ADMIN_RIGHTS_MAX);
	admin_data_set(out, "requests", a.list);
	return 0;
}

int admin_rights_run(struct store *st, int64_t now_ms, const char *user, int argc, char **argv,
		     struct admin_out *out, char *err, size_t errlen)
{
	if (strcmp(argv[0], "restrict") == 0 || strcmp(argv[0], "unrestrict") == 0) {
		if (argc != 4)
			return 1;
		return cmd_restrict(st, now_ms, user, argv[0][0] == 'r', argc, argv, out, err, errlen);
	}
	if (strcmp(argv[0], "requests") == 0)
		return cmd_requests(st, now_ms, argc, argv, out, err, errlen);
	return 1;
}
