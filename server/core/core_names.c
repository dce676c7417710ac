/*
 * core_names.c - the names staff members are shown by (PROTOCOL.md §11.7): to colleagues the
 * display name and title an administrator set (advicectl worker-name); to citizens the title
 * with the full name or only its first word, as the unit's name style says (advicectl
 * unit-name-style; the first name by default). Reads the store only; calls nothing of the
 * other core files.
 */
#include <string.h>

#include "core_internal.h"

/* {"name", "title"} (title null when empty); NULL when out of memory. */
static json_t *person(const char *name, size_t name_len, const char *title)
{
	return json_pack("{s:s%, s:o}", "name", name, name_len, "title",
			 title[0] ? json_string(title) : json_null());
}

int core_name_for_staff(struct ctx *x, const char *user_id, json_t **out)
{
	struct store_staff_name n;
	int rc = user_id[0] ? x->st->ops->staff->name_get(x->st, user_id, &n) : STORE_NOTFOUND;

	*out = NULL;
	if (rc == STORE_ERROR)
		return -1;
	*out = rc == STORE_OK ? person(n.name, strlen(n.name), n.title) : json_null();
	return *out ? 0 : -1;
}

int core_name_for_citizen(struct ctx *x, const char *unit_id, const char *user_id, json_t **out)
{
	struct store_staff_name n;
	int style, rc = user_id[0] ? x->st->ops->staff->name_get(x->st, user_id, &n) : STORE_NOTFOUND;

	*out = NULL;
	if (rc == STORE_ERROR ||
	    (rc == STORE_OK && x->st->ops->unit->name_style_get(x->st, unit_id, &style) != STORE_OK))
		return -1;
	if (rc == STORE_NOTFOUND)
		*out = json_null();
	else if (style == NAME_STYLE_FULL)
		*out = person(n.name, strlen(n.name), n.title);
	else
		*out = person(n.name, strcspn(n.name, " "), n.title);
	return *out ? 0 : -1;
}
