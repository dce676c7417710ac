/*
 * admin_connector.c - advicectl connector-list, connector-end and export-order
 * (admin_connector.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "errfmt.h"
#include "admin_connector.h"

struct list_acc {
	struct store *st;
	struct admin_out *out;
	json_t *list;
	int failed;
};

static int print_connector(void *arg, const struct store_connector *c)
{
	struct list_acc *a = arg;
	struct store_membership units[32];
	struct store_unit u;
	char kid[2 * STORE_KID_BYTES + 1], when[ADMIN_TIME_TEXT];
	json_t *names = json_array();
	size_t n = 0;

	if (names == NULL || a->st->ops->consent->units(a->st, c->id, units, 32, &n) != STORE_OK) {
		json_decref(names);
		a->failed = 1;
		return 1;
	}
	sodium_bin2hex(kid, sizeof kid, c->kid, sizeof c->kid);
	fprintf(a->out->text, "%s  key id %s", c->name, kid);
	for (size_t i = 0; i < n; i++) {
		const char *name =
			a->st->ops->unit->get(a->st, units[i].unit_id, &u) == STORE_OK ? u.name : "?";

		fprintf(a->out->text, "%s%s", i == 0 ? "  units: " : ", ", name);
		json_array_append_new(names, json_string(name));
	}
	if (c->ended != 0) {
		admin_time_text(c->ended, when);
		fprintf(a->out->text, "  ended %s", when);
	}
	fputc('\n', a->out->text);
	json_array_append_new(a->list, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", c->id, "name", c->name,
						 "kid", kid, "units", names, "ended",
						 c->ended ? json_integer(c->ended) : json_null()));
	return 0;
}

static int cmd_list(struct store *st, struct admin_out *out, char *err, size_t errlen)
{
	struct list_acc a = { .st = st, .out = out, .list = json_array() };

	admin_data_set(out, "connectors", a.list);
	if (st->ops->consent->connector_list(st, print_connector, &a) != STORE_OK || a.failed)
		return err_fail(err, errlen, "cannot read the connectors");
	if (json_array_size(a.list) == 0)
		fprintf(out->text, "no connectors\n");
	return 0;
}

static int cmd_end(struct store *st, int64_t now, const char *name, struct admin_out *out, char *err,
		   size_t errlen)
{
	struct store_connector c;

	if (st->ops->consent->connector_get(st, name, &c) != STORE_OK)
		return err_fail(err, errlen, "no connector '%s'", name);
	if (c.ended != 0)
		return err_fail(err, errlen, "connector '%s' has ended already", name);
	if (st->ops->consent->connector_end(st, c.id, now) != STORE_OK ||
	    st->ops->session->revoke_user(st, c.id, NULL, NULL) != STORE_OK)
		return err_fail(err, errlen, "cannot end the connector");
	fprintf(out->text, "connector %s ended: its sessions are over, it logs in no more\n", name);
	return 0;
}

static int any_thread(void *arg, const struct store_thread_view *v)
{
	(void)v;
	*(int *)arg = 1;
	return 1;
}

/* Whether `id` has the form of an id: 32 lowercase hex digits. */
static int id_valid(const char *id)
{
	return strlen(id) == ADVICE_ID_HEX && strspn(id, "0123456789abcdef") == ADVICE_ID_HEX;
}

static int cmd_export_order(struct store *st, int64_t now, const char *citizen, const char *recipient,
			    const char *basis, struct admin_out *out, char *err, size_t errlen)
{
	struct store_export_order o = { .created = now };
	struct store_thread_query q = {
		.user_id = citizen, .citizen = 1, .changed_since = -1, .before_updated = -1, .limit = 1
	};
	uint8_t raw[ADVICE_ID_HEX / 2];
	int found = 0;

	if (!id_valid(citizen))
		return err_fail(err, errlen,
				"CITIZEN is a pseudonym: 32 lowercase hex digits (citizen-find)");
	if (recipient[0] == '\0' || strlen(recipient) >= sizeof o.recipient || basis[0] == '\0' ||
	    strlen(basis) >= sizeof o.basis)
		return err_fail(err, errlen, "--recipient and --basis are 1 to %zu bytes",
				sizeof o.recipient - 1);
	if (st->ops->thread->list_view(st, &q, any_thread, &found) != STORE_OK)
		return err_fail(err, errlen, "cannot read the citizen's threads");
	if (!found)
		return err_fail(err, errlen, "the citizen %s has no threads: nothing to export", citizen);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(o.id, sizeof o.id, raw, sizeof raw);
	snprintf(o.citizen_id, sizeof o.citizen_id, "%s", citizen);
	snprintf(o.recipient, sizeof o.recipient, "%s", recipient);
	snprintf(o.basis, sizeof o.basis, "%s", basis);
	if (st->ops->consent->order_put(st, &o) != STORE_OK)
		return err_fail(err, errlen, "cannot store the export order");
	fprintf(out->text, "export order %s: the connector produces it (advice-connector export)\n", o.id);
	admin_data_set(out, "order", json_string(o.id));
	return 0;
}

/* export-order's arguments: CITIZEN --recipient TEXT --basis TEXT, the options in any order. */
static int export_order_args(struct store *st, int64_t now, int argc, char **argv, struct admin_out *out,
			     char *err, size_t errlen)
{
	const char *recipient = NULL, *basis = NULL, *citizen = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--recipient") == 0 && i + 1 < argc)
			recipient = argv[++i];
		else if (strcmp(argv[i], "--basis") == 0 && i + 1 < argc)
			basis = argv[++i];
		else if (citizen == NULL)
			citizen = argv[i];
		else
			return 1;
	}
	if (citizen == NULL || recipient == NULL || basis == NULL)
		return 1;
	return cmd_export_order(st, now, citizen, recipient, basis, out, err, errlen);
}

int admin_connector_run(struct store *st, int64_t now_ms, int argc, char **argv, struct admin_out *out,
			char *err, size_t errlen)
{
	if (strcmp(argv[0], "connector-list") == 0 && argc == 1)
		return cmd_list(st, out, err, errlen);
	if (strcmp(argv[0], "connector-end") == 0 && argc == 2)
		return cmd_end(st, now_ms, argv[1], out, err, errlen);
	if (strcmp(argv[0], "export-order") == 0)
		return export_order_args(st, now_ms, argc, argv, out, err, errlen);
	return 1;
}
