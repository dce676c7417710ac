/*
 * admin_names.c - advicectl's commands for staff display names and titles and each unit's
 * name style for citizens (admin_names.h), run by the core for the admin socket, and the
 * demo data's names.
 */
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "errfmt.h"
#include "admin_names.h"

int admin_names_valid(const char *text, size_t max, int required)
{
	size_t n = strlen(text);
	json_t *probe;

	if (n > max || (required && (n == 0 || text[0] == ' ')))
		return 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	probe = json_string(text); /* NULL unless valid UTF-8 */
	json_decref(probe);
	return probe != NULL;
}

static int cmd_worker_name(struct store *st, int argc, char **argv, struct admin_out *out, char *err,
			   size_t errlen)
{
	struct store_staff_name n = { 0 };
	struct store_worker w;
	const char *title = argc > 3 ? argv[3] : "";

	if (st->ops->staff->worker_get(st, argv[1], &w) != STORE_OK)
		return err_fail(err, errlen, "no worker '%s'", argv[1]);
	if (argv[2][0] != '\0' && !admin_names_valid(argv[2], STORE_PERSON_SIZE - 1, 1))
		return err_fail(err, errlen,
				"the name must be 1..%d bytes of UTF-8 without control characters",
				STORE_PERSON_SIZE - 1);
	if (!admin_names_valid(title, STORE_PERSON_SIZE - 1, 0))
		return err_fail(err, errlen,
				"the title must be at most %d bytes of UTF-8 without control characters",
				STORE_PERSON_SIZE - 1);
	snprintf(n.user_id, sizeof n.user_id, "%s", w.user_id);
	snprintf(n.name, sizeof n.name, "%s", argv[2]);
	snprintf(n.title, sizeof n.title, "%s", argv[2][0] ? title : "");
	if (st->ops->staff->name_put(st, &n) != STORE_OK)
		return -1;
	if (n.name[0])
		fprintf(out->text, "%s is shown as %s%s%s\n", argv[1], n.name, n.title[0] ? ", " : "",
			n.title);
	else
		fprintf(out->text, "%s has no display name\n", argv[1]);
	admin_data_set(out, "username", json_string(argv[1]));
	admin_data_set(out, "name", n.name[0] ? json_string(n.name) : json_null());
	admin_data_set(out, "title", n.title[0] ? json_string(n.title) : json_null());
	return 0;
}

static int cmd_unit_name_style(struct store *st, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	char unit[STORE_ID_SIZE];
	int style;

	if (strcmp(argv[2], "full") == 0)
		style = NAME_STYLE_FULL;
	else if (strcmp(argv[2], "first") == 0)
		style = NAME_STYLE_FIRST;
	else
		return err_fail(err, errlen, "the style is full or first, not '%s'", argv[2]);
	if (st->ops->unit->find(st, argv[1], unit) != STORE_OK)
		return err_fail(err, errlen, "no unit '%s'", argv[1]);
	if (st->ops->unit->name_style_put(st, unit, style) != STORE_OK)
		return -1;
	fprintf(out->text, "citizens of %s see %s\n", argv[1],
		style == NAME_STYLE_FULL ? "the full name and title" : "the first name and title");
	admin_data_set(out, "unit", json_string(argv[1]));
	admin_data_set(out, "style", json_string(argv[2]));
	return 0;
}

int admin_names_run(struct store *st, int argc, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	if (strcmp(argv[0], "worker-name") == 0 && (argc == 3 || argc == 4))
		return cmd_worker_name(st, argc, argv, out, err, errlen);
	if (strcmp(argv[0], "unit-name-style") == 0 && argc == 3)
		return cmd_unit_name_style(st, argv, out, err, errlen);
	return 1;
}

int admin_names_seed_demo(struct store *st, char *err, size_t errlen)
{
	static char *const cmds[][4] = {
		{ "worker-name", "anna", "Anna Virtanen", "Social worker" },
		{ "worker-name", "ben", "Ben Lindqvist", "Social counsellor" },
		{ "worker-name", "sara", "Sara Korhonen", "Senior social worker" },
		{ "unit-name-style", "Adult social work", "full" },
	};
	struct admin_out null;
	int rc = admin_out_null(&null);

	if (rc != 0)
		return err_fail(err, errlen, "out of memory");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0] && rc == 0; i++)
		rc = admin_names_run(st, cmds[i][3] ? 4 : 3, (char **)cmds[i], &null, err, errlen);
	admin_out_close(&null);
	return rc;
}
