/*
 * core_admin.c - CORE_REQ_ADMIN: one advicectl command from the admin socket, run as a core
 * request like any other (inside the batch's transaction, replied to after the commit).
 *
 * The body is built by the admin socket, never by a client:
 *   {"user": OS user, "command": NAME, "args": [STRING...],
 *    "auth": {"salt", "opslimit", "memlimit", "key"} (worker-add --password-stdin),
 *    "records": [...] (the key commands, admin_keys.h),
 *    "stdin": TEXT (citizen-find's identity code, admin_logs.h)}
 * The caller is an administrator (the socket let in only root and adviced's own user); the
 * policy table says what an administrator may do (ACT_ADMIN_COMMAND). Every command that
 * runs is written to the access log with the OS user, the command and its arguments (never
 * the auth key, the records or stdin). A failed command changes nothing but that log row.
 * The reply: {"type": "ok", "output": TEXT, "exit": N, "data": {...}, "warnings": [TEXT...]}
 * (data: what advicectl --json prints; warnings: likely mistakes that did not stop the
 * command; either absent when empty), or an error with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin_accounts.h"
#include "admin_connector.h"
#include "admin_keys.h"
#include "admin_lists.h"
#include "admin_logs.h"
#include "admin_out.h"
#include "admin_names.h"
#include "admin_queue.h"
#include "admin_retention.h"
#include "admin_rights.h"
#include "admin_shred.h"
#include "admin_staff.h"
#include "audit.h"
#include "core_internal.h"
#include "log.h"

#define ADMIN_MAX_ARGS 16
#define ADMIN_ARG_MAX  512

/* The command's words: argv[0] the command. Pointers into the request's JSON. */
struct admin_cmd {
	const char *user;
	int argc;
	char *argv[ADMIN_MAX_ARGS + 1];
};

/* Takes the command's words from the body; ctx->err is set when they are not usable. */
static int parse_command(struct ctx *x, struct admin_cmd *cmd)
{
	json_t *args;
	size_t i;

	x->msg = json_loadb(x->req->body, x->req->len, JSON_REJECT_DUPLICATES, NULL);
	cmd->user = json_string_value(json_object_get(x->msg, "user"));
	cmd->argv[0] = (char *)json_string_value(json_object_get(x->msg, "command"));
	args = json_object_get(x->msg, "args");
	if (cmd->user == NULL || cmd->argv[0] == NULL || (args != NULL && !json_is_array(args)))
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "a command and its arguments (strings)");
	if (json_array_size(args) > ADMIN_MAX_ARGS)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "at most %d arguments", ADMIN_MAX_ARGS);
	for (i = 0; i < json_array_size(args); i++) {
		const char *a = json_string_value(json_array_get(args, i));

		if (a == NULL || strlen(a) > ADMIN_ARG_MAX)
			return core_fail(x, ADVICE_ERR_BAD_REQUEST,
					 "arguments are strings of at most %d bytes", ADMIN_ARG_MAX);
		cmd->argv[i + 1] = (char *)a;
	}
	cmd->argc = (int)i + 1;
	return 0;
}

/* worker-add's password material; ctx->err set when present but malformed. */
static int parse_auth(struct ctx *x, struct admin_auth *auth)
{
	json_t *a = json_object_get(x->msg, "auth");
	const char *salt = json_string_value(json_object_get(a, "salt"));
	const char *key = json_string_value(json_object_get(a, "key"));
	json_int_t ops = json_integer_value(json_object_get(a, "opslimit"));
	json_int_t mem = json_integer_value(json_object_get(a, "memlimit"));

	memset(auth, 0, sizeof *auth);
	if (a == NULL || json_is_null(a))
		return 0;
	if (salt == NULL || key == NULL ||
	    sodium_hex2bin(auth->salt, sizeof auth->salt, salt, strlen(salt), NULL, NULL, NULL) != 0 ||
	    strlen(salt) != 2 * sizeof auth->salt ||
	    sodium_hex2bin(auth->key, sizeof auth->key, key, strlen(key), NULL, NULL, NULL) != 0 ||
	    strlen(key) != 2 * sizeof auth->key || ops < 1 || ops > 64 || mem < 8192 || mem > (1LL << 32))
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "auth: salt, key, opslimit and memlimit");
	auth->set = 1;
	auth->opslimit = (uint64_t)ops;
	auth->memlimit = (uint64_t)mem;
	return 0;
}

/* The access-log row of an administrator's command: user "os:<name>", action
 * "admin:<command>", object the arguments. */
static int audit_command(struct ctx *x, const struct admin_cmd *cmd, const char *outcome)
{
	struct store_audit a = { .time = x->now, .role = ROLE_ADMIN };
	size_t n = 0;

	snprintf(a.user_id, sizeof a.user_id, "os:%s", cmd->user);
	snprintf(a.action, sizeof a.action, "admin:%s", cmd->argv[0]);
	for (int i = 1; i < cmd->argc && n + 1 < sizeof a.object; i++) {
		int w = snprintf(a.object + n, sizeof a.object - n, "%s%s", i > 1 ? " " : "", cmd->argv[i]);

		n += w > 0 ? (size_t)w : 0;
	}
	snprintf(a.outcome, sizeof a.outcome, "%s", outcome);
	if (audit_append(x->st, &a) != STORE_OK) {
		log_err("access log write failed: the admin command is not done");
		return -1;
	}
	return 0;
}

/* Which file's operations a command runs. */
enum admin_part {
	PART_ACCOUNTS,
	PART_STAFF,
	PART_QUEUE,
	PART_KEYS,
	PART_LISTS,
	PART_NAMES,
	PART_SHRED,
	PART_RETENTION,
	PART_RIGHTS,
	PART_LOGS,
	PART_CONNECTOR,
	PART_BACKUP
};

/* The commands of the admin socket: advicectl's, but for init, root-create, dev-token and
 * login, which run without adviced. */
static const struct {
	const char *name;
	enum admin_part part;
} admin_commands[] = {
	{ "unit-add", PART_ACCOUNTS },	     { "queue-add", PART_ACCOUNTS },
	{ "worker-add", PART_ACCOUNTS },     { "member-add", PART_ACCOUNTS },
	{ "unlock", PART_ACCOUNTS },	     { "audit-verify", PART_LOGS },
	{ "worker-end", PART_STAFF },	     { "role-end", PART_STAFF },
	{ "worker-reset", PART_STAFF },	     { "totp-reset", PART_STAFF },
	{ "demo-totp", PART_STAFF },	     { "unit-langs", PART_QUEUE },
	{ "unit-hours", PART_QUEUE },	     { "queue-policy", PART_QUEUE },
	{ "queue-fallback", PART_QUEUE },    { "queue-deadlines", PART_QUEUE },
	{ "route-add", PART_QUEUE },	     { "route-del", PART_QUEUE },
	{ "closed-add", PART_QUEUE },	     { "closed-del", PART_QUEUE },
	{ "holidays", PART_QUEUE },	     { "roster-add", PART_QUEUE },
	{ "roster-del", PART_QUEUE },	     { "roster-list", PART_QUEUE },
	{ "root-install", PART_KEYS },	     { "admin-certify", PART_KEYS },
	{ "worker-certify", PART_KEYS },     { "unit-key-rotate", PART_KEYS },
	{ "unit-member-add", PART_KEYS },    { "unit-member-remove", PART_KEYS },
	{ "unit-log-renew", PART_KEYS },     { "cert-revoke", PART_KEYS },
	{ "unit-list", PART_LISTS },	     { "queue-list", PART_LISTS },
	{ "worker-list", PART_LISTS },	     { "member-list", PART_LISTS },
	{ "worker-name", PART_NAMES },	     { "unit-name-style", PART_NAMES },
	{ "thread-shred", PART_SHRED },	     { "retention-run", PART_RETENTION },
	{ "thread-erase", PART_RETENTION },  { "privacy-notice", PART_RETENTION },
	{ "restrict", PART_RIGHTS },	     { "unrestrict", PART_RIGHTS },
	{ "requests", PART_RIGHTS },	     { "disclosure-list", PART_LOGS },
	{ "log-report", PART_LOGS },	     { "citizen-find", PART_LOGS },
	{ "breach-scope", PART_LOGS },	     { "connector-add", PART_KEYS },
	{ "connector-unit-add", PART_KEYS }, { "connector-list", PART_CONNECTOR },
	{ "connector-end", PART_CONNECTOR }, { "export-order", PART_CONNECTOR },
	{ "backup", PART_BACKUP },
};

/* The command's entry, or -1 when there is none. */
static int find_command(const char *name)
{
	for (size_t i = 0; i < sizeof admin_commands / sizeof admin_commands[0]; i++)
		if (strcmp(name, admin_commands[i].name) == 0)
			return (int)i;
	return -1;
}

/* A command of the logs (admin_logs.h), with what advicectl read from standard input. */
static int run_logs(struct ctx *x, const struct admin_cmd *cmd, struct admin_out *out, int *exit_status,
		    char *err, size_t errlen)
{
	struct admin_logs_env env = {
		.pepper = x->c->cfg.pepper,
		.test_mode = x->c->cfg.test_mode,
		.now = x->now,
		.os_user = cmd->user,
		.secret = json_string_value(json_object_get(x->msg, "stdin")),
	};

	return admin_logs_run(x->st, &env, cmd->argc, (char **)cmd->argv, out, exit_status, err, errlen);
}

/* Runs command `which` (find_command); 0, 1 (not with these arguments) or -1 with a reason
 * in err. */
static int run_command(struct ctx *x, int which, const struct admin_cmd *cmd, const struct admin_auth *auth,
		       struct admin_out *out, int *exit_status, char *err, size_t errlen)
{
	const struct core_config *cfg = &x->c->cfg;
	char **argv = (char **)cmd->argv;

	*exit_status = 0;
	switch (admin_commands[which].part) {
	case PART_ACCOUNTS:
		return admin_accounts_run(x->st, cfg->pepper, cfg->test_mode, cmd->argc, argv, auth, out,
					  exit_status, err, errlen);
	case PART_STAFF:
		return admin_staff_run(x->st, cfg->pepper, cfg->test_mode, cmd->argc, argv, out, err, errlen);
	case PART_QUEUE: return admin_queue_run(x->st, cmd->argc, argv, out, err, errlen);
	case PART_KEYS: return admin_keys_apply(x->st, json_object_get(x->msg, "records"), err, errlen);
	case PART_LISTS: return admin_lists_run(x->st, x->c->cfg.lock_ms, cmd->argc, argv, out, err, errlen);
	case PART_NAMES: return admin_names_run(x->st, cmd->argc, argv, out, err, errlen);
	case PART_SHRED: return admin_shred_run(x->st, x->now, cmd->argc, argv, out, err, errlen);
	case PART_RETENTION: {
		const struct admin_retention_env env = { cfg->reg, cfg->blob_dir, cmd->user, x->now };

		return admin_retention_run(x->st, &env, cmd->argc, argv, out, err, errlen);
	}
	case PART_RIGHTS:
		return admin_rights_run(x->st, x->now, cmd->user, cmd->argc, argv, out, err, errlen);
	case PART_LOGS: return run_logs(x, cmd, out, exit_status, err, errlen);
	case PART_CONNECTOR: return admin_connector_run(x->st, x->now, cmd->argc, argv, out, err, errlen);
	case PART_BACKUP:
		/* backup DIR: only its check and its access-log row here; the admin socket's
		 * thread makes the copy once this is committed (server/backup.h). */
		return cmd->argc == 2 ? 0 : 1;
	}
	return 1;
}

/* Runs the command in a savepoint of its own: a failure undoes what it wrote. Fills the
 * result, or ctx->err; -1 only when the store failed. */
static int run_in_savepoint(struct ctx *x, int which, const struct admin_cmd *cmd,
			    const struct admin_auth *auth)
{
	char err[256] = "", *text = NULL;
	size_t len = 0;
	int rc, exit_status = 0;
	struct admin_out out;

	if (admin_out_open(&out, &text, &len) != 0)
		return -1;
	if (x->st->ops->tx->savepoint(x->st) != STORE_OK) {
		admin_out_close(&out);
		free(text);
		return -1;
	}
	rc = run_command(x, which, cmd, auth, &out, &exit_status, err, sizeof err);
	fflush(out.text);
	if ((rc == 0 ? x->st->ops->tx->release(x->st) : x->st->ops->tx->rollback_to(x->st)) != STORE_OK) {
		admin_out_close(&out);
		free(text);
		return -1;
	}
	if (rc == 0) {
		json_object_set_new(x->result, "output", json_string(text ? text : ""));
		json_object_set_new(x->result, "exit", json_integer(exit_status));
		if (json_object_size(out.data) > 0)
			json_object_set(x->result, "data", out.data);
		if (json_array_size(out.warnings) > 0)
			json_object_set(x->result, "warnings", out.warnings);
		if (out.again != NULL)
			json_object_set(x->result, "again", out.again);
	} else if (rc == 1) {
		core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s: wrong arguments (advicectl --help lists them)",
			  cmd->argv[0]);
	} else {
		core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s",
			  err[0] ? err : "the command failed; nothing was changed");
	}
	admin_out_close(&out);
	if (text != NULL)
		sodium_memzero(text, len); /* setup codes */
	free(text);
	return audit_command(x, cmd, rc == 0 ? "ok" : "failed");
}

int core_admin(struct ctx *x)
{
	struct admin_cmd cmd = { 0 };
	struct admin_auth auth;
	int rc, which;

	if ((rc = parse_command(x, &cmd)) != 0 || x->err)
		return rc;
	if ((which = find_command(cmd.argv[0])) < 0)
		return core_fail(x, ADVICE_ERR_UNKNOWN_TYPE, "unknown command '%.64s'", cmd.argv[0]);
	if ((rc = parse_auth(x, &auth)) != 0 || x->err)
		return rc;
	if (!policy_allows(ACT_ADMIN_COMMAND, ROLE_ADMIN, REL_NONE)) {
		if (audit_command(x, &cmd, "denied") != 0)
			return -1;
		return core_fail(x, ADVICE_ERR_FORBIDDEN, "not allowed");
	}
	rc = run_in_savepoint(x, which, &cmd, &auth);
	sodium_memzero(&auth, sizeof auth);
	if (rc == 0)
		log_notice("admin command %s by %s: %s", cmd.argv[0], cmd.user, x->err ? "failed" : "done");
	return rc;
}
