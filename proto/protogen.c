/*
 * protogen.c - generates code from the protocol's sources: proto/requests.def (the request
 * table and its policy) and proto/advice.v1.schema.json (the shapes of the messages).
 *
 *   protogen c  REQUESTS.DEF SCHEMA.JSON OUTDIR   policy_actions.h, policy_rules.c and
 *                                                 core_requests.c for server/core
 *   protogen ts REQUESTS.DEF SCHEMA.JSON OUT.ts   client-web's protocol types
 *
 * Built and run by the build (proto/CMakeLists.txt) before the core; it needs only jansson.
 * It checks the two sources against each other first and writes nothing when they disagree.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MAX_REQUESTS 128
#define TYPE_MAX     48

enum role { R_CITIZEN, R_WORKER, R_SUPERVISOR, R_ADMIN, R_CONNECTOR, R__COUNT };
static const char *const role_names[R__COUNT] = { "citizen", "worker", "supervisor", "admin", "connector" };
static const char *const role_enums[R__COUNT] = { "ROLE_CITIZEN", "ROLE_WORKER", "ROLE_SUPERVISOR",
						  "ROLE_ADMIN", "ROLE_CONNECTOR" };

enum { REL_OWNER = 1, REL_MEMBER = 2, REL_ASSIGNEE = 4, REL_CONSENTED = 8, REL_ORDERED = 16 };

/* What a role may do: not at all, with the role alone, or with one of the relations. */
enum grant { G_NONE, G_ANY, G_RELATIONS };

struct request {
	char type[TYPE_MAX];
	int internal; /* [internal]: a policy action only */
	int writes;
	int on_thread;
	enum grant grant[R__COUNT];
	unsigned relations[R__COUNT];
	int line;
};

struct table {
	struct request req[MAX_REQUESTS];
	size_t n;
	const char *path;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("protogen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* A request name: lowercase words joined by dots, at least two. */
static int type_valid(const char *t)
{
	int dots = 0;

	if (!islower((unsigned char)t[0]) || strlen(t) >= TYPE_MAX)
		return 0;
	for (const char *p = t; *p; p++) {
		if (*p == '.' && islower((unsigned char)p[1]))
			dots++;
		else if (!islower((unsigned char)*p))
			return 0;
	}
	return dots >= 1;
}

/* Parses one role cell ("-", "any", "owner|member") into r's grant for `role`. 0 or -1. */
static int parse_grant(struct table *tb, struct request *r, enum role role, char *cell)
{
	static const struct {
		const char *name;
		unsigned bit;
		unsigned roles; /* the roles that can hold it (bits of enum role) */
	} rels[] = {
		{ "owner", REL_OWNER, 1u << R_CITIZEN },
		{ "member", REL_MEMBER, 1u << R_WORKER | 1u << R_SUPERVISOR },
		{ "assignee", REL_ASSIGNEE, 1u << R_WORKER | 1u << R_SUPERVISOR },
		{ "consented", REL_CONSENTED, 1u << R_CONNECTOR },
		{ "ordered", REL_ORDERED, 1u << R_CONNECTOR },
	};

	if (strcmp(cell, "-") == 0) {
		r->grant[role] = G_NONE;
		return 0;
	}
	if (strcmp(cell, "any") == 0) {
		r->grant[role] = G_ANY;
		return 0;
	}
	if (!r->on_thread)
		return fail("%s:%d: %s: a relation (%s) on a request not on a thread", tb->path, r->line,
			    r->type, cell);
	r->grant[role] = G_RELATIONS;
	for (char *save = NULL, *w = strtok_r(cell, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
		size_t i;

		for (i = 0; i < sizeof rels / sizeof rels[0]; i++)
			if (strcmp(rels[i].name, w) == 0)
				break;
		if (i == sizeof rels / sizeof rels[0])
			return fail("%s:%d: unknown relation \"%s\"", tb->path, r->line, w);
		if (!(rels[i].roles & 1u << role))
			return fail("%s:%d: role %s cannot be %s", tb->path, r->line, role_names[role], w);
		r->relations[role] |= rels[i].bit;
	}
	return 0;
}

/* Parses a row "type writes on citizen worker supervisor admin connector". 0 or -1. */
static int parse_row(struct table *tb, char *line, int lineno, int internal)
{
	char *f[9], *save = NULL;
	size_t nf = 0;
	struct request *r;

	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if (nf < 9)
			f[nf++] = w;
	if (nf != 3 + R__COUNT)
		return fail("%s:%d: want %d columns", tb->path, lineno, 3 + R__COUNT);
	if (tb->n == MAX_REQUESTS)
		return fail("%s:%d: more than %d requests", tb->path, lineno, MAX_REQUESTS);
	r = &tb->req[tb->n];
	memset(r, 0, sizeof *r);
	r->line = lineno;
	r->internal = internal;
	if (!type_valid(f[0]))
		return fail("%s:%d: bad request type \"%s\"", tb->path, lineno, f[0]);
	for (size_t i = 0; i < tb->n; i++)
		if (strcmp(tb->req[i].type, f[0]) == 0)
			return fail("%s:%d: %s listed twice", tb->path, lineno, f[0]);
	snprintf(r->type, sizeof r->type, "%s", f[0]);
	if (strcmp(f[1], "read") != 0 && strcmp(f[1], "write") != 0)
		return fail("%s:%d: writes must be read or write", tb->path, lineno);
	r->writes = strcmp(f[1], "write") == 0;
	if (strcmp(f[2], "thread") != 0 && strcmp(f[2], "-") != 0)
		return fail("%s:%d: on must be thread or -", tb->path, lineno);
	r->on_thread = strcmp(f[2], "thread") == 0;
	for (int role = 0; role < R__COUNT; role++)
		if (parse_grant(tb, r, role, f[3 + role]) != 0)
			return -1;
	tb->n++;
	return 0;
}

static int table_load(struct table *tb, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int lineno = 0, section = -1, rc = 0; /* section: -1 none yet, 0 wire, 1 internal */

	tb->path = path;
	tb->n = 0;
	if (fp == NULL)
		return fail("cannot open %s", path);
	while (rc == 0 && fgets(line, sizeof line, fp) != NULL) {
		char *p = line;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (strcmp(p, "[wire]") == 0)
			section = 0;
		else if (strcmp(p, "[internal]") == 0)
			section = 1;
		else if (section < 0)
			rc = fail("%s:%d: a row before [wire] or [internal]", path, lineno);
		else
			rc = parse_row(tb, p, lineno, section);
	}
	fclose(fp);
	if (rc == 0 && tb->n == 0)
		rc = fail("%s: no requests", path);
	return rc;
}

static json_t *def_of(json_t *schema, const char *prefix, const char *type)
{
	char name[TYPE_MAX + 16];

	snprintf(name, sizeof name, "%s%s", prefix, type);
	return json_object_get(json_object_get(schema, "$defs"), name);
}

static const struct request *find(const struct table *tb, const char *type)
{
	for (size_t i = 0; i < tb->n; i++)
		if (strcmp(tb->req[i].type, type) == 0)
			return &tb->req[i];
	return NULL;
}

/* Whether the schema's top-level oneOf refers to request.<type>. */
static int in_one_of(json_t *schema, const char *type)
{
	char ref[TYPE_MAX + 24];
	size_t i;
	json_t *v;

	snprintf(ref, sizeof ref, "#/$defs/request.%s", type);
	json_array_foreach (json_object_get(schema, "oneOf"), i, v)
		if (json_is_string(json_object_get(v, "$ref")) &&
		    strcmp(json_string_value(json_object_get(v, "$ref")), ref) == 0)
			return 1;
	return 0;
}

/* The table and the schema describe the same requests. 0 or -1. */
static int cross_check(const struct table *tb, json_t *schema)
{
	const char *name;
	json_t *d;
	int rc = 0;

	for (size_t i = 0; i < tb->n; i++) {
		const struct request *r = &tb->req[i];

		if (r->internal && def_of(schema, "request.", r->type) != NULL)
			rc = fail("%s: %s is [internal] but has a schema definition", tb->path, r->type);
		if (r->internal)
			continue;
		if (def_of(schema, "request.", r->type) == NULL || def_of(schema, "reply.", r->type) == NULL)
			rc = fail("%s: no request.%s or reply.%s in the schema", tb->path, r->type, r->type);
		else if (!in_one_of(schema, r->type))
			rc = fail("schema: the top-level oneOf lacks request.%s", r->type);
	}
	json_object_foreach (json_object_get(schema, "$defs"), name, d) {
		const struct request *r;

		if (strncmp(name, "request.", 8) != 0)
			continue;
		r = find(tb, name + 8);
		if (r == NULL || r->internal)
			rc = fail("schema: %s has no [wire] row in %s", name, tb->path);
	}
	return rc;
}

/* ---- C ---- */

/* "keys.bundle.put" with `sep` for the dots, upper-cased when `upper`. */
static void ident(char *out, size_t cap, const char *type, char sep, int upper)
{
	size_t i;

	for (i = 0; type[i] && i + 1 < cap; i++)
		out[i] = type[i] == '.' ? sep : upper ? (char)toupper((unsigned char)type[i]) : type[i];
	out[i] = '\0';
}

static const char generated_note[] = "Generated by proto/protogen.c from proto/requests.def: do not edit.";

static FILE *open_out(const char *dir, const char *file)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((fp = fopen(path, "w")) == NULL)
		fail("cannot write %s", path);
	return fp;
}

static int close_out(FILE *fp)
{
	int bad = ferror(fp);

	return fclose(fp) != 0 || bad ? fail("write failed") : 0;
}

static int write_actions_h(const struct table *tb, const char *dir)
{
	FILE *fp = open_out(dir, "policy_actions.h");
	char up[TYPE_MAX];

	if (fp == NULL)
		return -1;
	fprintf(fp, "/* policy_actions.h - the policy's actions, one per request. %s */\n", generated_note);
	fprintf(fp, "#ifndef ADVICE_POLICY_ACTIONS_H\n#define ADVICE_POLICY_ACTIONS_H\n\n");
	fprintf(fp, "enum policy_action {\n");
	for (size_t i = 0; i < tb->n; i++) {
		ident(up, sizeof up, tb->req[i].type, '_', 1);
		fprintf(fp, "\tACT_%s, /* %s */\n", up, tb->req[i].type);
	}
	fprintf(fp, "\tACT__COUNT\n};\n\n#endif\n");
	return close_out(fp);
}

static void relation_expr(FILE *fp, unsigned rel)
{
	static const char *const names[] = { "REL_OWNER", "REL_MEMBER", "REL_ASSIGNEE", "REL_CONSENTED",
					     "REL_ORDERED" };
	int first = 1;

	for (int b = 0; b < 5; b++) {
		if (!(rel & 1u << b))
			continue;
		fprintf(fp, "%s%s", first ? "" : " | ", names[b]);
		first = 0;
	}
}

static int write_rules_c(const struct table *tb, const char *dir)
{
	FILE *fp = open_out(dir, "policy_rules.c");
	char up[TYPE_MAX];
	size_t nrules = 0;

	if (fp == NULL)
		return -1;
	fprintf(fp, "/* policy_rules.c - who may do what (policy.h). %s */\n", generated_note);
	fprintf(fp, "#include \"policy.h\"\n\nconst struct policy_rule policy_rules[] = {\n");
	for (size_t i = 0; i < tb->n; i++) {
		const struct request *r = &tb->req[i];

		ident(up, sizeof up, r->type, '_', 1);
		for (int role = 0; role < R__COUNT; role++) {
			if (r->grant[role] == G_NONE)
				continue;
			fprintf(fp, "\t{ ACT_%s, %s, ", up, role_enums[role]);
			if (r->grant[role] == G_ANY)
				fprintf(fp, "REL_NONE");
			else
				relation_expr(fp, r->relations[role]);
			fprintf(fp, " },\n");
			nrules++;
		}
	}
	fprintf(fp, "};\n\nconst size_t policy_nrules = %zu;\n\n", nrules);
	fprintf(fp, "const char *const policy_action_names[ACT__COUNT] = {\n");
	for (size_t i = 0; i < tb->n; i++) {
		ident(up, sizeof up, tb->req[i].type, '_', 1);
		fprintf(fp, "\t[ACT_%s] = \"%s\",\n", up, tb->req[i].type);
	}
	fprintf(fp, "};\n");
	return close_out(fp);
}

static int write_requests_c(const struct table *tb, const char *dir)
{
	FILE *fp = open_out(dir, "core_requests.c");
	char up[TYPE_MAX], low[TYPE_MAX];
	size_t n = 0;

	if (fp == NULL)
		return -1;
	fprintf(fp,
		"/* core_requests.c - the WebSocket requests and their handlers (core_requests.h). %s */\n",
		generated_note);
	fprintf(fp,
		"#include \"core_requests.h\"\n\nconst struct core_request_type core_request_types[] = {\n");
	for (size_t i = 0; i < tb->n; i++) {
		const struct request *r = &tb->req[i];

		if (r->internal)
			continue;
		ident(up, sizeof up, r->type, '_', 1);
		ident(low, sizeof low, r->type, '_', 0);
		fprintf(fp, "\t{ \"%s\", ACT_%s, %d, %d, core_%s },\n", r->type, up, r->writes, r->on_thread,
			low);
		n++;
	}
	fprintf(fp, "};\n\nconst size_t core_request_type_count = %zu;\n", n);
	return close_out(fp);
}

/* ---- TypeScript ---- */

static void ts_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void ts_indent(FILE *fp, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", fp);
}

/* A JSDoc comment of the schema's description, if any. */
static void ts_doc(FILE *fp, json_t *s, int depth)
{
	const char *d = json_string_value(json_object_get(s, "description"));

	if (d == NULL)
		return;
	ts_indent(fp, depth);
	fputs("/** ", fp);
	for (; *d; d++) {
		if (d[0] == '*' && d[1] == '/')
			fputs("*\\", fp);
		else
			fputc(*d, fp);
	}
	fputs(" */\n", fp);
}

static int ts_type(FILE *fp, json_t *s, int depth);

static void ts_scalar(FILE *fp, json_t *v)
{
	if (json_is_string(v))
		ts_string(fp, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(fp, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", fp);
	else
		fputs("null", fp);
}

static int ts_object(FILE *fp, json_t *s, int depth)
{
	json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required"), *p;
	const char *name;

	if (json_object_size(props) == 0) {
		fputs("Record<string, never>", fp);
		return 0;
	}
	fputs("{\n", fp);
	json_object_foreach (props, name, p) {
		int required = 0;
		size_t i;
		json_t *r;

		json_array_foreach (req, i, r)
			required |= json_is_string(r) && strcmp(json_string_value(r), name) == 0;
		ts_doc(fp, p, depth + 1);
		ts_indent(fp, depth + 1);
		fprintf(fp, "%s%s: ", name, required ? "" : "?");
		if (ts_type(fp, p, depth + 1) != 0)
			return -1;
		fputs(";\n", fp);
	}
	ts_indent(fp, depth);
	fputs("}", fp);
	return 0;
}

/* The TypeScript of one named JSON type ("string") of schema `s`. */
static int ts_named(FILE *fp, json_t *s, const char *type, int depth)
{
	if (strcmp(type, "string") == 0 || strcmp(type, "boolean") == 0 || strcmp(type, "null") == 0)
		fputs(type, fp);
	else if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0)
		fputs("number", fp);
	else if (strcmp(type, "array") == 0) {
		fputs("Array<", fp);
		if (ts_type(fp, json_object_get(s, "items"), depth) != 0)
			return -1;
		fputs(">", fp);
	} else if (strcmp(type, "object") == 0)
		return ts_object(fp, s, depth);
	else
		return fail("schema: unknown type \"%s\"", type);
	return 0;
}

/* The TypeScript type of schema `s`: a reference, a literal, a union of literals or types. */
static int ts_type(FILE *fp, json_t *s, int depth)
{
	json_t *ref = json_object_get(s, "$ref"), *t = json_object_get(s, "type"), *v;
	size_t i;

	if (s == NULL)
		return fail("schema: an array without items");
	if (json_is_string(ref)) {
		if (strncmp(json_string_value(ref), "#/$defs/", 8) != 0)
			return fail("schema: unsupported $ref %s", json_string_value(ref));
		fputs("Defs[", fp);
		ts_string(fp, json_string_value(ref) + 8);
		fputs("]", fp);
		return 0;
	}
	if (json_object_get(s, "const") != NULL) {
		ts_scalar(fp, json_object_get(s, "const"));
		return 0;
	}
	if (json_is_array(json_object_get(s, "enum"))) {
		json_array_foreach (json_object_get(s, "enum"), i, v) {
			fputs(i ? " | " : "", fp);
			ts_scalar(fp, v);
		}
		return 0;
	}
	if (json_is_string(t))
		return ts_named(fp, s, json_string_value(t), depth);
	if (!json_is_array(t) || json_array_size(t) == 0)
		return fail("schema: a definition without type, $ref, const or enum");
	json_array_foreach (t, i, v) {
		fputs(i ? " | " : "", fp);
		if (ts_named(fp, s, json_string_value(v) ? json_string_value(v) : "", depth) != 0)
			return -1;
	}
	return 0;
}

/* A map type from the short names of definitions with `prefix` to their types. */
static void ts_map(FILE *fp, json_t *schema, const char *title, const char *prefix)
{
	const char *name;
	json_t *d;

	fprintf(fp, "export interface %s {\n", title);
	json_object_foreach (json_object_get(schema, "$defs"), name, d) {
		if (strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		fputs("  ", fp);
		ts_string(fp, name + strlen(prefix));
		fputs(": Defs[", fp);
		ts_string(fp, name);
		fputs("];\n", fp);
	}
	fputs("}\n\n", fp);
}

static int write_ts(const struct table *tb, json_t *schema, const char *path)
{
	FILE *fp = fopen(path, "w");
	const char *name;
	json_t *d;

	if (fp == NULL)
		return fail("cannot write %s", path);
	fprintf(fp,
		"// protocol.ts - the messages of advice.v1 (proto/PROTOCOL.md) as TypeScript types.\n"
		"// Generated by proto/protogen.c from proto/advice.v1.schema.json and proto/requests.def:\n"
		"// do not edit. Rewrite it with the build target protocol_ts; the test proto.generated-ts\n"
		"// fails when this copy is stale.\n\n");
	fputs("/** Every definition of the schema, by its name there. */\nexport interface Defs {\n", fp);
	json_object_foreach (json_object_get(schema, "$defs"), name, d) {
		ts_doc(fp, d, 1);
		fputs("  ", fp);
		ts_string(fp, name);
		fputs(": ", fp);
		if (ts_type(fp, d, 1) != 0) {
			fclose(fp);
			return fail("in definition %s", name);
		}
		fputs(";\n", fp);
	}
	fputs("}\n\n", fp);
	fputs("/** Requests, their ok replies and events, by request type or event name. */\n", fp);
	ts_map(fp, schema, "Requests", "request.");
	ts_map(fp, schema, "Replies", "reply.");
	ts_map(fp, schema, "Events", "event.");
	fputs("export type RequestType = keyof Requests;\nexport type Request = Requests[RequestType];\n"
	      "export type Reply = Replies[RequestType];\nexport type EventName = keyof Events;\n"
	      "export type Event = Events[EventName];\nexport type ErrorReply = Defs[\"error\"];\n\n",
	      fp);
	fputs("/** The request types, and those that are idempotent writes (resend with the same id). */\n",
	      fp);
	fputs("export const requestTypes: readonly RequestType[] = [\n", fp);
	for (size_t i = 0; i < tb->n; i++)
		if (!tb->req[i].internal)
			fprintf(fp, "  \"%s\",\n", tb->req[i].type);
	fputs("];\nexport const writeRequestTypes: readonly RequestType[] = [\n", fp);
	for (size_t i = 0; i < tb->n; i++)
		if (!tb->req[i].internal && tb->req[i].writes)
			fprintf(fp, "  \"%s\",\n", tb->req[i].type);
	fputs("];\n", fp);
	return close_out(fp);
}

int main(int argc, char **argv)
{
	static struct table tb;
	json_error_t jerr;
	json_t *schema;
	int rc;

	if (argc != 5 || (strcmp(argv[1], "c") != 0 && strcmp(argv[1], "ts") != 0)) {
		fprintf(stderr, "usage: protogen c|ts REQUESTS.DEF SCHEMA.JSON OUTDIR|OUT.ts\n");
		return 2;
	}
	if (table_load(&tb, argv[2]) != 0)
		return 1;
	schema = json_load_file(argv[3], JSON_REJECT_DUPLICATES, &jerr);
	if (schema == NULL) {
		fail("%s:%d: %s", argv[3], jerr.line, jerr.text);
		return 1;
	}
	rc = cross_check(&tb, schema);
	if (rc == 0 && strcmp(argv[1], "c") == 0)
		rc = write_actions_h(&tb, argv[4]) || write_rules_c(&tb, argv[4]) ||
		     write_requests_c(&tb, argv[4]);
	else if (rc == 0)
		rc = write_ts(&tb, schema, argv[4]);
	json_decref(schema);
	return rc == 0 ? 0 : 1;
}
