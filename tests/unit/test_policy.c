/*
 * test_policy.c - the policy is exactly what PROTOCOL.md says, role by request by relation.
 *
 * The expected rules are read from PROTOCOL.md's request tables (§6, §11.2, §12): the "who"
 * column, whose phrases are given their meaning once, below. They are then compared with the
 * generated rules (policy_allows) for every role and relation, and proved on the real core:
 * every request on a thread is made on a fresh thread by a citizen owner, another citizen, the
 * assignee, other staff of the unit, staff of another unit, a supervisor of the unit, a
 * supervisor of another unit and an administrator; every other request by each of them. A
 * refusal must be `forbidden` with a `denied` row in the access log; anything else must not be
 * `forbidden`. A caller who may not see the thread at all gets, instead, exactly the answer of
 * a thread that does not exist (PROTOCOL.md §6), and the refusal is logged all the same. The
 * request bodies are proto/examples/request.<type>.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core_requests.h"
#include "corefix.h"
#include "policy.h"
#include "testutil.h"

#define CITIZEN_A "010594Y9032"
#define CITIZEN_B "020594X903P"
#define MAX_ROWS  64
#define ANY	  0x100u /* the role alone is enough */

/* One request row of PROTOCOL.md: who may make it, per role (ANY or relation bits). */
struct expect {
	char type[48];
	unsigned grant[ROLE_CONNECTOR + 1];
	int on_thread; /* some phrase names a relation to the thread */
};

static struct expect rows[MAX_ROWS];
static size_t nrows;

/* What the phrases of the "who" column mean. A clause is compared without what follows a
 * comma or an opening parenthesis ("staff, their own bundle (logged)" is "staff"). */
static const struct phrase {
	const char *text;
	enum store_role role;
	unsigned grant;
} phrases[] = {
	{ "anyone with a session", ROLE_CITIZEN, ANY },
	{ "anyone with a session", ROLE_WORKER, ANY },
	{ "anyone with a session", ROLE_SUPERVISOR, ANY },
	{ "citizens", ROLE_CITIZEN, ANY },
	{ "staff", ROLE_WORKER, ANY },
	{ "staff", ROLE_SUPERVISOR, ANY },
	{ "supervisors", ROLE_SUPERVISOR, ANY },
	{ "the citizen owner", ROLE_CITIZEN, REL_OWNER },
	{ "staff of the unit", ROLE_WORKER, REL_MEMBER },
	{ "staff of the unit", ROLE_SUPERVISOR, REL_MEMBER },
	{ "supervisors of the unit", ROLE_SUPERVISOR, REL_MEMBER },
	{ "supervisors of the thread's unit", ROLE_SUPERVISOR, REL_MEMBER },
	{ "the assignee", ROLE_WORKER, REL_ASSIGNEE },
	{ "the assignee", ROLE_SUPERVISOR, REL_ASSIGNEE },
	{ "records connectors", ROLE_CONNECTOR, ANY },
	{ "the records connector", ROLE_CONNECTOR, REL_CONSENTED | REL_ORDERED },
	{ "the consented records connector", ROLE_CONNECTOR, REL_CONSENTED },
};

/* Adds the meaning of one clause of `who` to e. */
static void add_clause(struct expect *e, char *clause)
{
	int known = 0;

	clause[strcspn(clause, ",(")] = '\0';
	while (*clause == ' ')
		clause++;
	for (size_t n = strlen(clause); n > 0 && clause[n - 1] == ' ';)
		clause[--n] = '\0';
	for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
		if (strcmp(phrases[i].text, clause) != 0)
			continue;
		e->grant[phrases[i].role] |= phrases[i].grant;
		e->on_thread |= phrases[i].grant != ANY;
		known = 1;
	}
	if (!known)
		fail_msg("PROTOCOL.md, %s: no meaning known for \"%s\" (add it to phrases[])", e->type,
			 clause);
}

/* Reads a table row "| `type` | `request.type` | who | changes |" into rows[]. */
static void parse_row(const char *line)
{
	char cells[4][256], want[80];
	const char *p = line + 1;
	struct expect *e;

	for (int i = 0; i < 4; i++) {
		size_t n = strcspn(p, "|");

		if (p[n] != '|' || n >= sizeof cells[i])
			fail_msg("PROTOCOL.md: cannot read the row %.80s", line);
		memcpy(cells[i], p, n);
		cells[i][n] = '\0';
		p += n + 1;
	}
	assert_true(nrows < MAX_ROWS);
	e = &rows[nrows++];
	memset(e, 0, sizeof *e);
	assert_int_equal(sscanf(cells[0], " `%47[a-z.]`", e->type), 1);
	snprintf(want, sizeof want, " `request.%s` ", e->type);
	if (strcmp(cells[1], want) != 0)
		fail_msg("PROTOCOL.md: the row of %s names definition %s", e->type, cells[1]);
	for (char *save = NULL, *c = strtok_r(cells[2], ";", &save); c; c = strtok_r(NULL, ";", &save))
		add_clause(e, c);
}

static int group_setup(void **state)
{
	char path[1024], *text, *line, *save = NULL;

	text = testutil_read_file(testutil_source_path("proto/PROTOCOL.md", path, sizeof path), NULL);
	if (text == NULL) {
		fprintf(stderr, "cannot read %s (set ADVICE_SOURCE_DIR)\n", path);
		return -1;
	}
	nrows = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "| `", 3) == 0 && strstr(line, "` | `request.") != NULL)
			parse_row(line);
	free(text);
	(void)state;
	return nrows > 0 ? 0 : -1;
}

static const struct expect *expect_of(const char *type)
{
	for (size_t i = 0; i < nrows; i++)
		if (strcmp(rows[i].type, type) == 0)
			return &rows[i];
	fail_msg("PROTOCOL.md has no policy row for %s", type);
	return NULL;
}

static int allowed(const struct expect *e, enum store_role role, unsigned relations)
{
	return (e->grant[role] & ANY) != 0 || (e->grant[role] & relations) != 0;
}

static const struct core_request_type *request_of(const char *type)
{
	for (size_t i = 0; i < core_request_type_count; i++)
		if (strcmp(core_request_types[i].type, type) == 0)
			return &core_request_types[i];
	return NULL;
}

/* Whether a caller can have `role` and `relations` towards a thread (core_relations): a
 * citizen only owns; a supervisor of the thread's unit is a member of it; a worker is the
 * role of any staff not supervising the unit, member or not, assignee or not; an
 * administrator has no relation; the records connector only its own two. */
static int reachable(enum store_role role, unsigned relations)
{
	const unsigned connector = REL_CONSENTED | REL_ORDERED;

	if (role == ROLE_CONNECTOR)
		return (relations & ~connector) == 0;
	if ((relations & connector) != 0)
		return 0;
	switch (role) {
	case ROLE_CITIZEN: return (relations & ~(unsigned)REL_OWNER) == 0;
	case ROLE_WORKER: return (relations & REL_OWNER) == 0;
	case ROLE_SUPERVISOR: return (relations & REL_OWNER) == 0 && (relations & REL_MEMBER) != 0;
	default: return relations == 0;
	}
}

/* The generated rules say what PROTOCOL.md says, for every role and relations a caller can
 * have; the request table and PROTOCOL.md's tables list the same requests. */
static void test_rules_are_the_protocols(void **state)
{
	(void)state;
	assert_int_equal(nrows, core_request_type_count);
	for (size_t i = 0; i < core_request_type_count; i++) {
		const struct core_request_type *rt = &core_request_types[i];
		const struct expect *e = expect_of(rt->type);

		assert_string_equal(policy_action_name(rt->action), rt->type);
		if (e->on_thread != rt->on_thread)
			fail_msg("%s: PROTOCOL.md %s a thread, requests.def %s", rt->type,
				 e->on_thread ? "names" : "names no", rt->on_thread ? "thread" : "-");
		for (int role = ROLE_CITIZEN; role <= ROLE_CONNECTOR; role++)
			for (unsigned rel = 0;
			     rel <= (REL_OWNER | REL_MEMBER | REL_ASSIGNEE | REL_CONSENTED | REL_ORDERED);
			     rel++)
				if (reachable(role, rel) &&
				    policy_allows(rt->action, role, rel) != allowed(e, role, rel))
					fail_msg("%s by role %d with relations %u: the rules say %d, "
						 "PROTOCOL.md %d",
						 rt->type, role, rel, policy_allows(rt->action, role, rel),
						 allowed(e, role, rel));
	}
	for (size_t i = 0; i < nrows; i++)
		if (request_of(rows[i].type) == NULL)
			fail_msg("PROTOCOL.md lists %s, which the request table does not have", rows[i].type);
}

/* The callers, and what each is to the thread that citizen A opens and anna claims. */
enum { C_OWNER, C_OTHER, W_ASSIGNEE, W_UNIT, W_OTHER_UNIT, S_UNIT, S_OTHER_UNIT, ADMIN, NCALLERS };
static const struct caller {
	const char *what;
	enum store_role role_in_unit; /* towards the thread's unit (adult social work) */
	unsigned relations;
	enum store_role role; /* for requests not on a thread */
} callers[NCALLERS] = {
	[C_OWNER] = { "the citizen owner", ROLE_CITIZEN, REL_OWNER, ROLE_CITIZEN },
	[C_OTHER] = { "another citizen", ROLE_CITIZEN, 0, ROLE_CITIZEN },
	[W_ASSIGNEE] = { "the assignee (worker of the unit)", ROLE_WORKER, REL_MEMBER | REL_ASSIGNEE,
			 ROLE_WORKER },
	[W_UNIT] = { "another worker of the unit", ROLE_WORKER, REL_MEMBER, ROLE_WORKER },
	[W_OTHER_UNIT] = { "a worker of another unit", ROLE_WORKER, 0, ROLE_WORKER },
	[S_UNIT] = { "a supervisor of the unit", ROLE_SUPERVISOR, REL_MEMBER, ROLE_SUPERVISOR },
	[S_OTHER_UNIT] = { "a supervisor of another unit", ROLE_WORKER, 0, ROLE_SUPERVISOR },
	[ADMIN] = { "an administrator", ROLE_ADMIN, 0, ROLE_ADMIN },
};

struct world {
	struct corefix *fx;
	struct who who[NCALLERS];
	unsigned seq; /* request ids */
};

/* A staff account with a membership, as the fixture's demo workers are made. */
static void add_staff(struct corefix *fx, const char *name, const char *unit, enum store_role role,
		      char user_id[STORE_ID_SIZE])
{
	struct store_worker w = { .opslimit = 1, .memlimit = 8192 };
	uint8_t key[ADVICE_AUTH_KEY_BYTES], raw[ADVICE_ID_HEX / 2];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(w.user_id, sizeof w.user_id, raw, sizeof raw);
	snprintf(w.username, sizeof w.username, "%s", name);
	randombytes_buf(w.salt, sizeof w.salt);
	corefix_worker_key(name, key);
	core_keyed_hash(fx->cc.pepper, "auth key", key, sizeof key, w.auth_hash);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->staff->worker_insert(fx->st, &w, fx->now), STORE_OK);
	if (unit != NULL)
		assert_int_equal(fx->st->ops->staff->membership_add(fx->st, w.user_id, unit, role), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	snprintf(user_id, STORE_ID_SIZE, "%s", w.user_id);
}

/* An administrator's session: no login makes one, so it is written to the store. */
static void admin_session(struct corefix *fx, struct who *out)
{
	struct store_session s = { .role = ROLE_ADMIN, .created = fx->now, .last_seen = fx->now };

	add_staff(fx, "ada", NULL, ROLE_ADMIN, out->user_id);
	snprintf(out->token, sizeof out->token, "%s", "admin-session-token-of-the-policy-test-x");
	core_session_hash(fx->cc.pepper, out->token, strlen(out->token), out->hash);
	memcpy(s.hash, out->hash, sizeof s.hash);
	snprintf(s.user_id, sizeof s.user_id, "%s", out->user_id);
	s.idle_ms = 3600000;
	s.expires = fx->now + 3600000;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->session->insert(fx->st, &s), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	struct core_config cc;
	char id[STORE_ID_SIZE];

	assert_non_null(w);
	assert_int_equal(corefix_setup((void **)&w->fx), 0);
	/* Attachments on, so that the file requests reach their policy check. */
	cc = w->fx->cc;
	snprintf(cc.blob_dir, sizeof cc.blob_dir, "%s/blobs", w->fx->dir);
	core_free(w->fx->core);
	w->fx->core = core_new(w->fx->st, &cc);
	assert_non_null(w->fx->core);
	add_staff(w->fx, "fiona", w->fx->unit_family, ROLE_SUPERVISOR, id);
	corefix_login_citizen(w->fx, CITIZEN_A, &w->who[C_OWNER]);
	corefix_login_citizen(w->fx, CITIZEN_B, &w->who[C_OTHER]);
	corefix_login_worker(w->fx, "anna", &w->who[W_ASSIGNEE]);
	corefix_login_worker(w->fx, "anton", &w->who[W_UNIT]);
	corefix_login_worker(w->fx, "ben", &w->who[W_OTHER_UNIT]);
	corefix_login_worker(w->fx, "sara", &w->who[S_UNIT]);
	corefix_login_worker(w->fx, "fiona", &w->who[S_OTHER_UNIT]);
	admin_session(w->fx, &w->who[ADMIN]);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	void *fx = w->fx;

	corefix_teardown(&fx);
	free(w);
	return 0;
}

/* The example of request `type`, without what the handlers refuse as forbidden after the
 * policy has allowed the request: key material of another user (replaced by bytes of no known
 * format, refused as bad_request instead), a dashboard of a unit the caller does not supervise
 * (no unit: all the caller's). */
static json_t *example(const char *type)
{
	char rel[128], path[1024];
	json_t *j;

	snprintf(rel, sizeof rel, "proto/examples/request.%s.json", type);
	j = json_load_file(testutil_source_path(rel, path, sizeof path), 0, NULL);
	if (j == NULL)
		fail_msg("no example %s", path);
	if (strcmp(type, "keys.bundle.put") == 0 || strcmp(type, "keys.enrol") == 0)
		json_object_set_new(j, "bundle", json_string("AAAA"));
	if (strcmp(type, "dashboard.get") == 0)
		json_object_del(j, "unit");
	if (strcmp(type, "wrap.put") == 0)
		json_object_set_new(j, "wraps", json_pack("[s]", "AAAA"));
	if (strcmp(type, "device.add") == 0 || strcmp(type, "device.approve") == 0)
		json_object_set_new(j, "cert", json_string("AAAA"));
	if (strcmp(type, "recovery.put") == 0)
		json_object_set_new(j, "box", json_string("AAAA"));
	return j;
}

/* Sends `msg` (consumed) as `caller` with a fresh request id; returns the parsed reply. */
static json_t *call_as(struct world *w, int caller, json_t *msg)
{
	char rid[32], *text;
	json_t *reply;

	snprintf(rid, sizeof rid, "policy-%u", ++w->seq);
	json_object_set_new(msg, "id", json_string(rid));
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	assert_non_null(text);
	reply = corefix_ws(w->fx, &w->who[caller], "%s", text);
	free(text);
	return reply;
}

/* As call_as; returns the reply's code ("ok" or the error's) in `code`. */
static const char *send_as(struct world *w, int caller, json_t *msg, char code[32])
{
	json_t *reply = call_as(w, caller, msg);

	snprintf(code, 32, "%s", corefix_code(reply));
	json_decref(reply);
	return code;
}

/* A 32-hex-digit id not used before in this test. */
static void fresh_id(struct world *w, char out[STORE_ID_SIZE])
{
	snprintf(out, STORE_ID_SIZE, "%08x%024x", 0xf11e0000u, ++w->seq);
}

/* Citizen A opens a thread, anna claims it; with `file`, A begins an upload on it there. */
static void fresh_thread(struct world *w, char thread[STORE_ID_SIZE], char file[STORE_ID_SIZE])
{
	json_t *msg = example("thread.open"), *reply;
	char code[32];

	json_object_del(msg, "thread"); /* not a prepared one */
	json_object_set_new(msg, "category", json_string("adult-social-work"));
	reply = call_as(w, C_OWNER, msg);
	assert_string_equal(corefix_code(reply), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(reply, "thread")));
	json_decref(reply);
	msg = example("thread.claim");
	json_object_set_new(msg, "thread", json_string(thread));
	assert_string_equal(send_as(w, W_ASSIGNEE, msg, code), "ok");
	if (file == NULL)
		return;
	fresh_id(w, file);
	msg = example("file.begin");
	json_object_set_new(msg, "thread", json_string(thread));
	json_object_set_new(msg, "file", json_string(file));
	assert_string_equal(send_as(w, C_OWNER, msg, code), "ok");
}

/* Request `type` (its example, on `thread`/`file` where it has those fields) as `caller`;
 * the reply's error as "code|message|field" in `err` ("ok" when none). */
static const char *error_of(struct world *w, const char *type, int caller, const char *thread,
			    const char *file, char err[700])
{
	json_t *msg = example(type), *reply;
	const char *field;

	if (json_object_get(msg, "thread") != NULL)
		json_object_set_new(msg, "thread", json_string(thread));
	if (json_object_get(msg, "file") != NULL)
		json_object_set_new(msg, "file", json_string(file));
	reply = call_as(w, caller, msg);
	field = json_string_value(json_object_get(reply, "field"));
	snprintf(err, 700, "%s|%s|%s", corefix_code(reply),
		 json_string_value(json_object_get(reply, "message"))
			 ? json_string_value(json_object_get(reply, "message"))
			 : "",
		 field ? field : "");
	json_decref(reply);
	return err;
}

/* A caller who may not see a thread (not its citizen, not staff of its unit) is refused
 * exactly as for a thread that does not exist: the same not_found, text and field, so the
 * answer does not tell whether the id exists. Both are logged: denied, and not_found. */
static void check_hidden(struct world *w, const char *type, int caller, const char *thread, const char *file)
{
	char hidden[700], missing[700], none_thread[STORE_ID_SIZE], none_file[STORE_ID_SIZE];
	int64_t before = corefix_audit_rows(w->fx, NULL);
	struct store_audit last;

	error_of(w, type, caller, thread, file, hidden);
	if (strncmp(hidden, "not_found|", 10) != 0)
		fail_msg("%s by %s: %s, but the caller may not see the thread", type, callers[caller].what,
			 hidden);
	assert_int_equal(corefix_audit_rows(w->fx, &last), before + 1);
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(last.action, type);
	fresh_id(w, none_thread);
	fresh_id(w, none_file);
	error_of(w, type, caller, none_thread, strcmp(type, "file.begin") == 0 ? file : none_file, missing);
	if (strcmp(hidden, missing) != 0)
		fail_msg("%s by %s: \"%s\" for a thread it may not see, \"%s\" for none", type,
			 callers[caller].what, hidden, missing);
	assert_int_equal(corefix_audit_rows(w->fx, &last), before + 2);
	assert_string_equal(last.outcome, "not_found");
	assert_string_equal(last.action, type);
}

/* Makes request `type` (its example, on `thread`/`file` where it has those fields) as
 * `caller` and checks the outcome against `allow`. */
static void check_request(struct world *w, const char *type, int caller, int allow, const char *thread,
			  const char *file)
{
	struct store_audit last;
	int64_t before = corefix_audit_rows(w->fx, NULL);
	char err[700];
	const char *code = error_of(w, type, caller, thread, file, err);

	err[strcspn(err, "|")] = '\0';
	if (!allow) {
		if (strcmp(code, "forbidden") != 0)
			fail_msg("%s by %s: %s, but PROTOCOL.md refuses it", type, callers[caller].what,
				 code);
		assert_int_equal(corefix_audit_rows(w->fx, &last), before + 1);
		assert_string_equal(last.outcome, "denied");
		assert_string_equal(last.action, type);
	} else if (strcmp(code, "forbidden") == 0) {
		fail_msg("%s by %s: forbidden, but PROTOCOL.md allows it", type, callers[caller].what);
	} else if (corefix_audit_rows(w->fx, &last) > before) {
		assert_string_not_equal(last.outcome, "denied");
	}
}

/* Every request on a thread, by every caller, on a thread of its own. */
static void test_thread_requests(void **state)
{
	struct world *w = *state;
	size_t checked = 0;

	for (size_t i = 0; i < nrows; i++) {
		const struct expect *e = &rows[i];
		int needs_file = strcmp(e->type, "file.status") == 0 || strcmp(e->type, "file.get") == 0;

		if (!e->on_thread)
			continue;
		for (int c = 0; c < NCALLERS; c++) {
			char thread[STORE_ID_SIZE], file[STORE_ID_SIZE];

			fresh_thread(w, thread, needs_file ? file : NULL);
			if (!needs_file)
				fresh_id(w, file); /* file.begin: a new upload */
			if ((callers[c].relations & (REL_OWNER | REL_MEMBER)) == 0)
				check_hidden(w, e->type, c, thread, file);
			else
				check_request(w, e->type, c,
					      allowed(e, callers[c].role_in_unit, callers[c].relations),
					      thread, file);
			checked++;
		}
	}
	assert_true(checked >= 10 * NCALLERS);
}

/* Every request not on a thread, by every caller: the role alone decides. session.logout
 * last, since it ends the session. */
static void test_role_requests(void **state)
{
	struct world *w = *state;
	const struct expect *logout = expect_of("session.logout");
	char thread[STORE_ID_SIZE], file[STORE_ID_SIZE];
	size_t checked = 0;

	fresh_thread(w, thread, NULL);
	fresh_id(w, file);
	for (int c = 0; c < NCALLERS; c++) {
		for (size_t i = 0; i < nrows; i++) {
			if (rows[i].on_thread || &rows[i] == logout)
				continue;
			check_request(w, rows[i].type, c, allowed(&rows[i], callers[c].role, 0), thread,
				      file);
			checked++;
		}
		check_request(w, logout->type, c, allowed(logout, callers[c].role, 0), thread, file);
	}
	assert_true(checked >= 10 * NCALLERS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_are_the_protocols),
		cmocka_unit_test_setup_teardown(test_thread_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
