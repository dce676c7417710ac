/*
 * register.c - the register file (register.h): parsed with jansson, every field checked
 * against the shape of PROTOCOL.md §14.9, the first problem reported with its JSON path; the
 * retention rules taken out for the retention run; the privacy notice written as text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "register.h"

static const char *const langs[] = { "fi", "sv", "en" };
#define NLANGS (sizeof langs / sizeof langs[0])

/* The document's fields: name, kind, required. */
enum field_kind {
	F_TEXT,
	F_TEXT_LIST,
	F_BOOL,
	F_DATE,
	F_CONTROLLER,
	F_DPO,
	F_PURPOSES,
	F_PROCESSORS,
	F_RETENTION,
	F_CONSENT
};
static const struct {
	const char *name;
	enum field_kind kind;
	int required;
} fields[] = {
	{ "demo", F_BOOL, 0 },
	{ "name", F_TEXT, 0 },
	{ "updated", F_DATE, 0 },
	{ "controller", F_CONTROLLER, 1 },
	{ "dpo", F_DPO, 1 },
	{ "purposes", F_PURPOSES, 1 },
	{ "data_categories", F_TEXT_LIST, 1 },
	{ "subjects", F_TEXT_LIST, 1 },
	{ "sources", F_TEXT_LIST, 1 },
	{ "recipients", F_TEXT_LIST, 1 },
	{ "regular_disclosures", F_TEXT_LIST, 1 },
	{ "processors", F_PROCESSORS, 1 },
	{ "transfers_outside_eea", F_BOOL, 1 },
	{ "transfers", F_TEXT, 0 },
	{ "retention", F_RETENTION, 1 },
	{ "consent", F_CONSENT, 1 },
	{ "rights_contact", F_TEXT, 1 },
};

/* A check's state: the path of the value being checked, the error, the rules found. */
struct check {
	char path[256];
	char *err;
	size_t errlen;
	struct register_doc *r;
};

static int fail(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct check *c, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", c->path[0] ? c->path : "/", what);
	return -1;
}

/* Appends "/name" to the path; returns the old length for path_pop. */
static size_t path_push(struct check *c, const char *name)
{
	size_t n = strlen(c->path);

	snprintf(c->path + n, sizeof c->path - n, "/%s", name);
	return n;
}

static size_t path_push_index(struct check *c, size_t i)
{
	char s[24];

	snprintf(s, sizeof s, "%zu", i);
	return path_push(c, s);
}

static void path_pop(struct check *c, size_t n)
{
	c->path[n] = '\0';
}

/* Fails when the object has a member other than `names` (NULL-terminated). */
static int only_members(struct check *c, json_t *o, const char *const *names)
{
	const char *key;
	json_t *v;

	json_object_foreach (o, key, v) {
		size_t i;

		for (i = 0; names[i] != NULL && strcmp(names[i], key) != 0; i++)
			;
		if (names[i] == NULL) {
			size_t n = path_push(c, key);
			int rc = fail(c, "unknown member");

			path_pop(c, n);
			return rc;
		}
	}
	return 0;
}

/* A non-empty string of at most REGISTER_TEXT_MAX bytes without control characters but
 * newlines. */
static int check_string(struct check *c, json_t *v)
{
	const char *s = json_string_value(v);
	size_t len;

	if (s == NULL)
		return fail(c, "a string is needed");
	len = json_string_length(v);
	if (len == 0 || strlen(s) != len)
		return fail(c, "an empty string (or one with NUL)");
	if (len > REGISTER_TEXT_MAX)
		return fail(c, "longer than %d bytes", REGISTER_TEXT_MAX);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\n')
			return fail(c, "a control character");
	return 0;
}

/* A text: {"fi", "sv", "en"}, each a string. */
static int check_text(struct check *c, json_t *v)
{
	static const char *const names[] = { "fi", "sv", "en", NULL };

	if (!json_is_object(v))
		return fail(c, "a text is an object {\"fi\", \"sv\", \"en\"}");
	if (only_members(c, v, names) != 0)
		return -1;
	for (size_t i = 0; i < NLANGS; i++) {
		size_t n = path_push(c, langs[i]);
		json_t *s = json_object_get(v, langs[i]);
		int rc = s == NULL ? fail(c, "missing: every text is given in Finnish, Swedish and English")
				   : check_string(c, s);

		path_pop(c, n);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* An array of 1..REGISTER_LIST_MAX items, each checked by `item`. */
static int check_list(struct check *c, json_t *v, int (*item)(struct check *, json_t *))
{
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return fail(c, "an array is needed");
	if (json_array_size(v) == 0 || json_array_size(v) > REGISTER_LIST_MAX)
		return fail(c, "1 to %d items", REGISTER_LIST_MAX);
	json_array_foreach (v, i, x) {
		size_t n = path_push_index(c, i);
		int rc = item(c, x);

		path_pop(c, n);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* An object with exactly the members `names` (NULL-terminated), each a text, except those
 * named in `plain` (plain strings). */
static int check_record(struct check *c, json_t *v, const char *const *names, const char *plain)
{
	if (!json_is_object(v))
		return fail(c, "an object is needed");
	if (only_members(c, v, names) != 0)
		return -1;
	for (size_t i = 0; names[i] != NULL; i++) {
		size_t n = path_push(c, names[i]);
		json_t *x = json_object_get(v, names[i]);
		int rc;

		if (x == NULL)
			rc = fail(c, "missing");
		else if (plain != NULL && strcmp(plain, names[i]) == 0)
			rc = check_string(c, x);
		else
			rc = check_text(c, x);
		path_pop(c, n);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int check_purpose(struct check *c, json_t *v)
{
	static const char *const names[] = { "purpose", "basis", NULL };

	return check_record(c, v, names, NULL);
}

static int check_processor(struct check *c, json_t *v)
{
	static const char *const names[] = { "name", "task", NULL };

	return check_record(c, v, names, "name");
}

/* A date YYYY-MM-DD. */
static int check_date(struct check *c, json_t *v)
{
	const char *s = json_string_value(v);
	int y, m, d;
	char end;

	if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || y < 2000 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return fail(c, "a date YYYY-MM-DD is needed");
	return 0;
}

/* An integer member in [lo, hi]; *out gets it (0 when absent and not required). */
static int int_member(struct check *c, json_t *o, const char *name, int lo, int hi, int *out)
{
	json_t *v = json_object_get(o, name);
	size_t n;
	int rc = 0;

	*out = 0;
	if (v == NULL)
		return 0;
	n = path_push(c, name);
	if (!json_is_integer(v))
		rc = fail(c, "a whole number is needed");
	else if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		rc = fail(c, "from %d to %d", lo, hi);
	else
		*out = (int)json_integer_value(v);
	path_pop(c, n);
	return rc;
}

/* A category of a rule: "*" or a category code (lowercase letters, digits and '-'). */
static int category_valid(const char *s)
{
	size_t len = strlen(s);

	if (strcmp(s, "*") == 0)
		return 1;
	if (len == 0 || len > REGISTER_CATEGORY_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static int check_rule(struct check *c, json_t *v)
{
	static const char *const names[] = { "category", "years", "days", "from", NULL };
	struct register_rule *rule = &c->r->rules[c->r->nrules];
	const char *category = json_string_value(json_object_get(v, "category"));
	const char *from = json_string_value(json_object_get(v, "from"));
	size_t n;

	if (!json_is_object(v))
		return fail(c, "a rule is {\"category\", \"years\" or \"days\", \"from\"}");
	if (only_members(c, v, names) != 0)
		return -1;
	n = path_push(c, "category");
	if (category == NULL || !category_valid(category))
		return fail(c, "a category code (lowercase letters, digits, '-') or \"*\"");
	for (size_t i = 0; i < c->r->nrules; i++)
		if (strcmp(c->r->rules[i].category, category) == 0)
			return fail(c, "a second rule for \"%s\"", category);
	path_pop(c, n);
	if (int_member(c, v, "years", 1, 150, &rule->years) != 0 ||
	    int_member(c, v, "days", 1, 54750, &rule->days) != 0)
		return -1;
	if ((rule->years > 0) == (rule->days > 0))
		return fail(c, "a period: either \"years\" or \"days\"");
	n = path_push(c, "from");
	if (from == NULL || (strcmp(from, "close") != 0 && strcmp(from, "relationship_end") != 0))
		return fail(c, "\"close\" or \"relationship_end\"");
	path_pop(c, n);
	snprintf(rule->category, sizeof rule->category, "%s", category);
	rule->from = strcmp(from, "close") == 0 ? REGISTER_FROM_CLOSE : REGISTER_FROM_RELATIONSHIP_END;
	c->r->nrules++;
	return 0;
}

static int check_retention(struct check *c, json_t *v)
{
	static const char *const names[] = { "rules", "channel_copy_days", "text", NULL };
	json_t *rules = json_object_get(v, "rules");
	size_t n;
	int rc;

	if (!json_is_object(v))
		return fail(c, "an object {\"rules\", \"channel_copy_days\", \"text\"} is needed");
	if (only_members(c, v, names) != 0)
		return -1;
	n = path_push(c, "rules");
	if (!json_is_array(rules) || json_array_size(rules) == 0 ||
	    json_array_size(rules) > REGISTER_RULES_MAX)
		return fail(c, "an array of 1 to %d rules", REGISTER_RULES_MAX);
	if (check_list(c, rules, check_rule) != 0)
		return -1;
	if (register_rule_for(c->r, "*") == NULL)
		return fail(c, "a default rule (category \"*\") is needed");
	path_pop(c, n);
	if (int_member(c, v, "channel_copy_days", 1, 3650, &c->r->channel_copy_days) != 0)
		return -1;
	if (c->r->channel_copy_days == 0)
		c->r->channel_copy_days = 14; /* seed 002: two weeks after the relationship ends */
	n = path_push(c, "text");
	rc = json_object_get(v, "text") == NULL ? fail(c, "missing")
						: check_text(c, json_object_get(v, "text"));
	path_pop(c, n);
	return rc;
}

static int check_field(struct check *c, enum field_kind kind, json_t *v)
{
	static const char *const controller[] = { "name", "address", "contact", NULL };
	static const char *const dpo[] = { "name", "contact", NULL };
	static const char *const consent[] = { "recipient", "scope", "text", NULL };

	switch (kind) {
	case F_TEXT: return check_text(c, v);
	case F_TEXT_LIST: return check_list(c, v, check_text);
	case F_BOOL: return json_is_boolean(v) ? 0 : fail(c, "true or false is needed");
	case F_DATE: return check_date(c, v);
	case F_CONTROLLER: return check_record(c, v, controller, NULL);
	case F_DPO: return check_record(c, v, dpo, NULL);
	case F_PURPOSES: return check_list(c, v, check_purpose);
	case F_PROCESSORS: return check_list(c, v, check_processor);
	case F_RETENTION: return check_retention(c, v);
	case F_CONSENT: return check_record(c, v, consent, NULL);
	}
	return fail(c, "unknown field kind");
}

static int check_document(struct check *c, json_t *doc)
{
	const char *key;
	json_t *v;

	if (!json_is_object(doc))
		return fail(c, "the register is a JSON object");
	json_object_foreach (doc, key, v) {
		size_t i, n = path_push(c, key);
		int rc;

		for (i = 0; i < sizeof fields / sizeof fields[0] && strcmp(fields[i].name, key) != 0; i++)
			;
		rc = i == sizeof fields / sizeof fields[0] ? fail(c, "unknown member")
							   : check_field(c, fields[i].kind, v);
		path_pop(c, n);
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (fields[i].required && json_object_get(doc, fields[i].name) == NULL) {
			size_t n = path_push(c, fields[i].name);
			int rc = fail(c, "missing");

			path_pop(c, n);
			return rc;
		}
	if (json_is_true(json_object_get(doc, "transfers_outside_eea")) &&
	    json_object_get(doc, "transfers") == NULL)
		return fail(c,
			    "transfers_outside_eea is true: \"transfers\" must say where and on what basis");
	return 0;
}

int register_parse(const char *text, size_t len, struct register_doc **out, char *err, size_t errlen)
{
	struct register_doc *r = calloc(1, sizeof *r);
	struct check c = { .err = err, .errlen = errlen, .r = r };
	json_error_t je;

	*out = NULL;
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (len > REGISTER_FILE_MAX) {
		snprintf(err, errlen, "larger than %d bytes", REGISTER_FILE_MAX);
		free(r);
		return -1;
	}
	r->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (r->doc == NULL) {
		snprintf(err, errlen, "not JSON: line %d column %d: %s", je.line, je.column, je.text);
		free(r);
		return -1;
	}
	if (check_document(&c, r->doc) != 0) {
		register_free(r);
		return -1;
	}
	r->demo = json_is_true(json_object_get(r->doc, "demo"));
	json_object_set_new(r->doc, "demo", json_boolean(r->demo));
	*out = r;
	return 0;
}

int register_load(const char *path, struct register_doc **out, char *err, size_t errlen)
{
	char why[400], *text;
	size_t len;
	FILE *f;
	int rc;

	if (path[0] == '\0') {
		rc = register_parse(advice_register_demo_text, advice_register_demo_text_len, out, why,
				    sizeof why);
		if (rc != 0)
			snprintf(err, errlen, "the embedded demo register: %s", why);
		return rc;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = malloc(REGISTER_FILE_MAX + 1);
	len = text ? fread(text, 1, REGISTER_FILE_MAX + 1, f) : 0;
	rc = text == NULL || ferror(f) ? -1 : 0;
	fclose(f);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read it", path);
		free(text);
		return -1;
	}
	rc = register_parse(text, len, out, why, sizeof why);
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

void register_free(struct register_doc *r)
{
	if (r == NULL)
		return;
	json_decref(r->doc);
	free(r);
}

const struct register_rule *register_rule_for(const struct register_doc *r, const char *category)
{
	const struct register_rule *any = NULL;

	for (size_t i = 0; i < r->nrules; i++) {
		if (strcmp(r->rules[i].category, category) == 0)
			return &r->rules[i];
		if (strcmp(r->rules[i].category, "*") == 0)
			any = &r->rules[i];
	}
	return any;
}

int64_t register_period_end(const struct register_rule *rule, int64_t from_ms)
{
	time_t s = (time_t)(from_ms / 1000);
	struct tm tm;

	if (rule->days > 0)
		return from_ms + (int64_t)rule->days * 86400000LL;
	gmtime_r(&s, &tm);
	tm.tm_year += rule->years; /* 29 February goes to 1 March of a common year */
	return (int64_t)timegm(&tm) * 1000 + from_ms % 1000;
}

void register_rule_describe(const struct register_rule *rule, char *out, size_t size)
{
	snprintf(out, size, "%s: %d %s from %s", rule->category, rule->years > 0 ? rule->years : rule->days,
		 rule->years > 0 ? "years" : "days",
		 rule->from == REGISTER_FROM_CLOSE ? "close" : "relationship_end");
}

/* The notice's headings in each language (fi, sv, en). */
enum heading {
	H_TITLE,
	H_DEMO,
	H_UPDATED,
	H_CONTROLLER,
	H_DPO,
	H_PURPOSES,
	H_BASIS,
	H_CATEGORIES,
	H_SUBJECTS,
	H_SOURCES,
	H_RECIPIENTS,
	H_DISCLOSURES,
	H_PROCESSORS,
	H_TRANSFERS,
	H_NO_TRANSFERS,
	H_RETENTION,
	H_RIGHTS,
	H_COUNT
};
static const char *const headings[H_COUNT][NLANGS] = {
	[H_TITLE] = { "Tietosuojaseloste", "Dataskyddsbeskrivning", "Privacy notice" },
	[H_DEMO] = { "ESIMERKKI: tämä on esittelyrekisteri, ei todellisen rekisterinpitäjän seloste.",
		     "EXEMPEL: detta är ett demoregister, inte en verklig personuppgiftsansvarigs "
		     "beskrivning.",
		     "DEMO: this is a demonstration register, not a real controller's notice." },
	[H_UPDATED] = { "Laadittu", "Upprättad", "Written" },
	[H_CONTROLLER] = { "Rekisterinpitäjä", "Personuppgiftsansvarig", "Controller" },
	[H_DPO] = { "Tietosuojavastaava", "Dataskyddsombud", "Data protection officer" },
	[H_PURPOSES] = { "Käsittelyn tarkoitukset", "Ändamål med behandlingen",
			 "Purposes of the processing" },
	[H_BASIS] = { "Oikeusperuste", "Rättslig grund", "Legal basis" },
	[H_CATEGORIES] = { "Henkilötietoryhmät", "Kategorier av personuppgifter", "Categories of data" },
	[H_SUBJECTS] = { "Rekisteröidyt", "Registrerade", "Data subjects" },
	[H_SOURCES] = { "Tietolähteet", "Uppgiftskällor", "Sources" },
	[H_RECIPIENTS] = { "Vastaanottajat", "Mottagare", "Recipients" },
	[H_DISCLOSURES] = { "Säännönmukaiset luovutukset", "Regelbundna utlämnanden", "Regular disclosures" },
	[H_PROCESSORS] = { "Henkilötietojen käsittelijät", "Personuppgiftsbiträden", "Processors" },
	[H_TRANSFERS] = { "Siirrot EU:n tai ETA:n ulkopuolelle", "Överföringar utanför EU eller EES",
			  "Transfers outside the EU/EEA" },
	[H_NO_TRANSFERS] = { "Tietoja ei siirretä EU:n tai ETA:n ulkopuolelle.",
			     "Uppgifter överförs inte utanför EU eller EES.",
			     "No data is transferred outside the EU/EEA." },
	[H_RETENTION] = { "Säilytysajat", "Förvaringstider", "Retention" },
	[H_RIGHTS] = { "Rekisteröidyn oikeudet", "Den registrerades rättigheter", "Your rights" },
};

/* The text `v` (a {fi, sv, en} object) in language index l. */
static const char *text_in(json_t *v, size_t l)
{
	const char *s = json_string_value(json_object_get(v, langs[l]));

	return s ? s : "";
}

static void write_list(FILE *out, json_t *list, size_t l)
{
	size_t i;
	json_t *x;

	json_array_foreach (list, i, x)
		fprintf(out, "- %s\n", text_in(x, l));
}

int register_notice_write(const struct register_doc *r, const char *lang, FILE *out)
{
	json_t *d = r->doc, *x;
	size_t l, i;

	for (l = 0; l < NLANGS && strcmp(langs[l], lang) != 0; l++)
		;
	if (l == NLANGS)
		return -1;
	fprintf(out, "%s\n", headings[H_TITLE][l]);
	if (json_object_get(d, "name"))
		fprintf(out, "%s\n", text_in(json_object_get(d, "name"), l));
	if (r->demo)
		fprintf(out, "\n%s\n", headings[H_DEMO][l]);
	if (json_object_get(d, "updated"))
		fprintf(out, "%s: %s\n", headings[H_UPDATED][l],
			json_string_value(json_object_get(d, "updated")));
	x = json_object_get(d, "controller");
	fprintf(out, "\n%s\n%s\n%s\n%s\n", headings[H_CONTROLLER][l], text_in(json_object_get(x, "name"), l),
		text_in(json_object_get(x, "address"), l), text_in(json_object_get(x, "contact"), l));
	x = json_object_get(d, "dpo");
	fprintf(out, "\n%s\n%s\n%s\n", headings[H_DPO][l], text_in(json_object_get(x, "name"), l),
		text_in(json_object_get(x, "contact"), l));
	fprintf(out, "\n%s\n", headings[H_PURPOSES][l]);
	json_array_foreach (json_object_get(d, "purposes"), i, x)
		fprintf(out, "- %s\n  %s: %s\n", text_in(json_object_get(x, "purpose"), l),
			headings[H_BASIS][l], text_in(json_object_get(x, "basis"), l));
	fprintf(out, "\n%s\n", headings[H_CATEGORIES][l]);
	write_list(out, json_object_get(d, "data_categories"), l);
	fprintf(out, "\n%s\n", headings[H_SUBJECTS][l]);
	write_list(out, json_object_get(d, "subjects"), l);
	fprintf(out, "\n%s\n", headings[H_SOURCES][l]);
	write_list(out, json_object_get(d, "sources"), l);
	fprintf(out, "\n%s\n", headings[H_RECIPIENTS][l]);
	write_list(out, json_object_get(d, "recipients"), l);
	fprintf(out, "\n%s\n", headings[H_DISCLOSURES][l]);
	write_list(out, json_object_get(d, "regular_disclosures"), l);
	fprintf(out, "\n%s\n", headings[H_PROCESSORS][l]);
	json_array_foreach (json_object_get(d, "processors"), i, x)
		fprintf(out, "- %s: %s\n", json_string_value(json_object_get(x, "name")),
			text_in(json_object_get(x, "task"), l));
	fprintf(out, "\n%s\n%s\n", headings[H_TRANSFERS][l],
		json_is_true(json_object_get(d, "transfers_outside_eea"))
			? text_in(json_object_get(d, "transfers"), l)
			: headings[H_NO_TRANSFERS][l]);
	fprintf(out, "\n%s\n%s\n", headings[H_RETENTION][l],
		text_in(json_object_get(json_object_get(d, "retention"), "text"), l));
	fprintf(out, "\n%s\n%s\n", headings[H_RIGHTS][l], text_in(json_object_get(d, "rights_contact"), l));
	return 0;
}
