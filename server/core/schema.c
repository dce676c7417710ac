/*
 * schema.c - loads proto/advice.v1.schema.json into C structures and checks messages.
 *
 * The loader implements exactly this subset of JSON Schema draft 2020-12 and refuses a
 * schema that uses anything else:
 *
 *   top level  "$schema" (the 2020-12 URI), "$defs", "oneOf" (a list of {"$ref"} naming
 *              every "request.*" definition once), "title", "description", "$comment"
 *   in $defs   "type" (a name or a list of names among null, boolean, integer, string,
 *              array, object), "properties", "required", "additionalProperties" (false
 *              only), "const" and "enum" (strings, integers, booleans, null), "minLength"
 *              and "maxLength" (Unicode code points, as the standard counts), "pattern"
 *              (only ^[class]quantifier$ with an ASCII class of literals and ranges, and a
 *              quantifier +, *, {n}, {m,} or {m,n}), "minimum" and "maximum" (integers),
 *              "items" (one schema), "minItems", "maxItems", "$ref" ("#/$defs/<name>",
 *              alone), and the annotations "title", "description", "$comment".
 *
 * It is stricter than the standard in three ways, so that a standard validator accepts
 * every message this one accepts: an integer must be written as an integer (1.0 is not
 * one), and a string, integer or array must carry maxLength (or const/enum), both
 * minimum and maximum, or maxItems. A keyword must suit the node's declared type, a
 * required name must be a declared property, and every request.<t> definition must be a
 * closed object whose "type" is the constant "<t>" and which requires "type" and "id".
 *
 * $refs are resolved at load time, so a check follows plain pointers: no lookups by name
 * and no JSON walking of the schema on the hot path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define SCHEMA_URI	   "https://json-schema.org/draft/2020-12/schema"
#define DEF_PREFIX	   "#/$defs/"
#define REQUEST_PREFIX	   "request."
#define PATH_MAX_LEN	   320
#define VALIDATE_MAX_DEPTH 64
#define PATTERN_MAX_COUNT  1000000

/* Instance types, as bits of a type set. T_REAL never appears in a schema. */
enum {
	T_STRING = 1u << 0,
	T_INTEGER = 1u << 1,
	T_BOOLEAN = 1u << 2,
	T_OBJECT = 1u << 3,
	T_ARRAY = 1u << 4,
	T_NULL = 1u << 5,
	T_REAL = 1u << 6,
};

/* Names of the T_* bits in order (also the order of "expected A or B" messages). */
static const char *const type_names[] = { "string", "integer", "boolean", "object", "array", "null" };
#define NTYPES (sizeof type_names / sizeof type_names[0])

/* Keywords seen on a node. */
enum {
	K_TYPE = 1u << 0,
	K_PROPERTIES = 1u << 1,
	K_REQUIRED = 1u << 2,
	K_ADDITIONAL = 1u << 3,
	K_CONST = 1u << 4,
	K_ENUM = 1u << 5,
	K_MINLEN = 1u << 6,
	K_MAXLEN = 1u << 7,
	K_PATTERN = 1u << 8,
	K_MIN = 1u << 9,
	K_MAX = 1u << 10,
	K_ITEMS = 1u << 11,
	K_MINITEMS = 1u << 12,
	K_MAXITEMS = 1u << 13,
	K_REF = 1u << 14,
};

#define K_STRING_KWS  (K_MINLEN | K_MAXLEN | K_PATTERN)
#define K_INTEGER_KWS (K_MIN | K_MAX)
#define K_OBJECT_KWS  (K_PROPERTIES | K_REQUIRED | K_ADDITIONAL)
#define K_ARRAY_KWS   (K_ITEMS | K_MINITEMS | K_MAXITEMS)

/* A constant of "const" or "enum". */
struct svalue {
	unsigned type; /* T_STRING, T_INTEGER, T_BOOLEAN or T_NULL */
	char *str;
	size_t len;
	json_int_t num; /* integer value, or 0/1 for booleans */
};

struct snode;

struct sprop {
	char *name;
	size_t len;
	int required;
	const struct snode *node; /* resolved: never a $ref node after loading */
};

/* One compiled schema object. */
struct snode {
	unsigned kw;		    /* K_* keywords present */
	unsigned types;		    /* T_* allowed; 0 means any */
	const struct snode *ref;    /* K_REF: the definition's node */
	size_t min_len, max_len;    /* code points */
	unsigned char allowed[256]; /* K_PATTERN: 1 for each byte the class allows (ASCII only) */
	size_t pat_min, pat_max;    /* K_PATTERN: quantifier */
	json_int_t min, max;	    /* K_MIN, K_MAX */
	struct svalue *vals;	    /* K_CONST (one) or K_ENUM */
	size_t nvals;
	struct sprop *props; /* K_PROPERTIES */
	size_t nprops;
	int closed;		   /* additionalProperties: false */
	const struct snode *items; /* K_ITEMS, resolved */
	size_t min_items, max_items;
};

struct sdef {
	char *name;
	struct snode *node;	    /* as written (may be a $ref node) */
	const struct snode *target; /* resolved */
};

struct sreq {
	const char *type; /* points into the definition's name */
	size_t len;
	const struct snode *node;
};

struct schema {
	struct sdef *defs; /* sorted by name */
	size_t ndefs;
	struct sreq *reqs; /* sorted by type */
	size_t nreqs;
	const struct snode *request_id;
	struct snode **nodes; /* every node, for schema_free */
	size_t nnodes, capnodes;
};

struct loader {
	struct schema *s;
	char *err;
	size_t errlen;
};

typedef int (*keyword_fn)(struct loader *ld, struct snode *n, json_t *val, const char *path);

struct keyword {
	const char *name;
	unsigned bit;	    /* 0 for annotations */
	keyword_fn compile; /* NULL for annotations */
};

/* A step of the path from the checked value's root to the current value. */
struct segment {
	const char *key; /* NULL: array index */
	size_t len;
	size_t index;
};

struct vctx {
	char *why;
	size_t whylen;
	char *field;
	size_t fieldlen;
	int depth;
	struct segment segs[VALIDATE_MAX_DEPTH];
};

static struct snode *compile_node(struct loader *ld, json_t *js, const char *path);

/* ---- loading: helpers ---- */

__attribute__((format(printf, 3, 4))) static int load_fail(struct loader *ld, const char *path,
							   const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ld->err != NULL && ld->errlen > 0)
		snprintf(ld->err, ld->errlen, "%s: %s", path[0] ? path : "/", msg);
	return -1;
}

static char *dup_bytes(const char *p, size_t len)
{
	char *d = malloc(len + 1);

	if (d != NULL) {
		memcpy(d, p, len);
		d[len] = '\0';
	}
	return d;
}

/* A new zeroed node registered for freeing, or NULL when out of memory. */
static struct snode *node_new(struct loader *ld, const char *path)
{
	struct schema *s = ld->s;
	struct snode *n;

	if (s->nnodes == s->capnodes) {
		size_t cap = s->capnodes ? s->capnodes * 2 : 64;
		struct snode **nodes = realloc(s->nodes, cap * sizeof *nodes);

		if (nodes == NULL) {
			load_fail(ld, path, "out of memory");
			return NULL;
		}
		s->nodes = nodes;
		s->capnodes = cap;
	}
	n = calloc(1, sizeof *n);
	if (n == NULL) {
		load_fail(ld, path, "out of memory");
		return NULL;
	}
	n->max_len = SIZE_MAX;
	n->max_items = SIZE_MAX;
	s->nodes[s->nnodes++] = n;
	return n;
}

/* A non-negative integer keyword value into *out. 0 or -1. */
static int get_count(struct loader *ld, json_t *val, const char *path, size_t *out)
{
	if (!json_is_integer(val) || json_integer_value(val) < 0)
		return load_fail(ld, path, "must be a non-negative integer");
	*out = (size_t)json_integer_value(val);
	return 0;
}

static int type_bit(const char *name, unsigned *bit)
{
	for (size_t i = 0; i < NTYPES; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*bit = 1u << i;
			return 0;
		}
	}
	return -1;
}

/* Binary search of a definition by name; NULL when absent. */
static const struct sdef *def_find(const struct schema *s, const char *name)
{
	size_t lo = 0, hi = s->ndefs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, s->defs[mid].name);

		if (c == 0)
			return &s->defs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- loading: keywords ---- */

static int kw_type(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	unsigned bit;
	size_t i;
	json_t *e;

	if (json_is_string(val)) {
		if (type_bit(json_string_value(val), &bit) != 0)
			return load_fail(ld, path, "unsupported type \"%s\"", json_string_value(val));
		n->types = bit;
		return 0;
	}
	if (!json_is_array(val) || json_array_size(val) == 0)
		return load_fail(ld, path, "must be a type name or a non-empty list of them");
	json_array_foreach (val, i, e) {
		if (!json_is_string(e) || type_bit(json_string_value(e), &bit) != 0)
			return load_fail(ld, path, "unsupported type in list");
		if (n->types & bit)
			return load_fail(ld, path, "type listed twice");
		n->types |= bit;
	}
	return 0;
}

static int kw_properties(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	const char *key;
	json_t *sub;
	size_t i = 0;

	if (!json_is_object(val))
		return load_fail(ld, path, "must be an object");
	n->nprops = json_object_size(val);
	n->props = calloc(n->nprops ? n->nprops : 1, sizeof *n->props);
	if (n->props == NULL)
		return load_fail(ld, path, "out of memory");
	json_object_foreach (val, key, sub) {
		struct sprop *p = &n->props[i++];
		char sub_path[PATH_MAX_LEN];

		snprintf(sub_path, sizeof sub_path, "%s/%s", path, key);
		p->len = strlen(key);
		p->name = dup_bytes(key, p->len);
		if (p->name == NULL)
			return load_fail(ld, sub_path, "out of memory");
		p->node = compile_node(ld, sub, sub_path);
		if (p->node == NULL)
			return -1;
	}
	return 0;
}

/* Only checks the form; the names are matched to properties once the node is complete. */
static int kw_required(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	size_t i, j;
	json_t *e;

	(void)n;
	if (!json_is_array(val))
		return load_fail(ld, path, "must be a list of names");
	json_array_foreach (val, i, e) {
		if (!json_is_string(e))
			return load_fail(ld, path, "must be a list of names");
		for (j = 0; j < i; j++)
			if (json_equal(e, json_array_get(val, j)))
				return load_fail(ld, path, "\"%s\" listed twice", json_string_value(e));
	}
	return 0;
}

static int kw_additional(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	if (!json_is_false(val))
		return load_fail(ld, path, "only false is supported");
	n->closed = 1;
	return 0;
}

/* Copies a scalar constant. 0 or -1. */
static int value_compile(struct loader *ld, json_t *val, const char *path, struct svalue *out)
{
	switch (json_typeof(val)) {
	case JSON_STRING:
		out->type = T_STRING;
		out->len = json_string_length(val);
		out->str = dup_bytes(json_string_value(val), out->len);
		if (out->str == NULL)
			return load_fail(ld, path, "out of memory");
		return 0;
	case JSON_INTEGER:
		out->type = T_INTEGER;
		out->num = json_integer_value(val);
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		out->type = T_BOOLEAN;
		out->num = json_is_true(val);
		return 0;
	case JSON_NULL: out->type = T_NULL; return 0;
	default: return load_fail(ld, path, "only strings, integers, booleans and null are supported");
	}
}

static int kw_const(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	n->vals = calloc(1, sizeof *n->vals);
	if (n->vals == NULL)
		return load_fail(ld, path, "out of memory");
	n->nvals = 1;
	return value_compile(ld, val, path, &n->vals[0]);
}

static int kw_enum(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	size_t i, j;
	json_t *e;

	if (!json_is_array(val) || json_array_size(val) == 0)
		return load_fail(ld, path, "must be a non-empty list");
	n->vals = calloc(json_array_size(val), sizeof *n->vals);
	if (n->vals == NULL)
		return load_fail(ld, path, "out of memory");
	json_array_foreach (val, i, e) {
		for (j = 0; j < i; j++)
			if (json_equal(e, json_array_get(val, j)))
				return load_fail(ld, path, "value listed twice");
		n->nvals++;
		if (value_compile(ld, e, path, &n->vals[i]) != 0)
			return -1;
	}
	return 0;
}

static int kw_min_length(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	return get_count(ld, val, path, &n->min_len);
}

static int kw_max_length(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	return get_count(ld, val, path, &n->max_len);
}

/* Whether a byte may stand in a character class as a literal or a range end. */
static int class_char_ok(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '[' && c != ']' && c != '\\' && c != '^';
}

static void charset_add(struct snode *n, unsigned lo, unsigned hi)
{
	for (unsigned c = lo; c <= hi; c++)
		n->allowed[c] = 1;
}

/* Parses a decimal count at *p (advancing it). 0, or -1 when absent or too big. */
static int pattern_count(const char **p, size_t *out)
{
	size_t v = 0;

	if (**p < '0' || **p > '9')
		return -1;
	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (size_t)(**p - '0');
		if (v > PATTERN_MAX_COUNT)
			return -1;
		(*p)++;
	}
	*out = v;
	return 0;
}

/* The class body after "^[" up to "]"; advances *p past the "]". 0 or -1. */
static int pattern_class(struct snode *n, const char **p)
{
	const char *c = *p;

	if (*c == ']')
		return -1; /* empty class */
	while (*c != ']') {
		unsigned char lo = (unsigned char)c[0];

		if (lo == '-' && c != *p && c[1] != ']')
			return -1; /* '-' is a literal only first or last */
		if (lo != '-' && !class_char_ok(lo))
			return -1;
		if (lo != '-' && c[1] == '-' && c[2] != ']') {
			unsigned char hi = (unsigned char)c[2];

			if (!class_char_ok(hi) || hi == '-' || hi < lo)
				return -1;
			charset_add(n, lo, hi);
			c += 3;
		} else {
			charset_add(n, lo, lo);
			c++;
		}
	}
	*p = c + 1;
	return 0;
}

/* The quantifier after the class, then "$" and the end. 0 or -1. */
static int pattern_quantifier(struct snode *n, const char *p)
{
	if (*p == '+') {
		n->pat_min = 1;
		n->pat_max = SIZE_MAX;
		p++;
	} else if (*p == '*') {
		n->pat_min = 0;
		n->pat_max = SIZE_MAX;
		p++;
	} else if (*p == '{') {
		p++;
		if (pattern_count(&p, &n->pat_min) != 0)
			return -1;
		n->pat_max = n->pat_min;
		if (*p == ',') {
			p++;
			n->pat_max = SIZE_MAX;
			if (*p != '}' && pattern_count(&p, &n->pat_max) != 0)
				return -1;
		}
		if (*p++ != '}' || n->pat_max < n->pat_min)
			return -1;
	} else {
		return -1;
	}
	return strcmp(p, "$") == 0 ? 0 : -1;
}

static int kw_pattern(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	const char *p;

	if (!json_is_string(val))
		return load_fail(ld, path, "must be a string");
	p = json_string_value(val);
	if (strlen(p) != json_string_length(val) || strncmp(p, "^[", 2) != 0)
		goto unsupported;
	p += 2;
	if (pattern_class(n, &p) != 0 || pattern_quantifier(n, p) != 0)
		goto unsupported;
	return 0;
unsupported:
	return load_fail(ld, path, "only ^[class]quantifier$ patterns are supported");
}

static int kw_minimum(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	if (!json_is_integer(val))
		return load_fail(ld, path, "must be an integer");
	n->min = json_integer_value(val);
	return 0;
}

static int kw_maximum(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	if (!json_is_integer(val))
		return load_fail(ld, path, "must be an integer");
	n->max = json_integer_value(val);
	return 0;
}

static int kw_items(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	n->items = compile_node(ld, val, path);
	return n->items != NULL ? 0 : -1;
}

static int kw_min_items(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	return get_count(ld, val, path, &n->min_items);
}

static int kw_max_items(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	return get_count(ld, val, path, &n->max_items);
}

static int kw_ref(struct loader *ld, struct snode *n, json_t *val, const char *path)
{
	const struct sdef *d;
	const char *ref;

	if (!json_is_string(val))
		return load_fail(ld, path, "must be a string");
	ref = json_string_value(val);
	if (strncmp(ref, DEF_PREFIX, strlen(DEF_PREFIX)) != 0)
		return load_fail(ld, path, "only \"" DEF_PREFIX "<name>\" references are supported");
	d = def_find(ld->s, ref + strlen(DEF_PREFIX));
	if (d == NULL)
		return load_fail(ld, path, "no definition \"%s\"", ref + strlen(DEF_PREFIX));
	n->ref = d->node;
	return 0;
}

static const struct keyword keywords[] = {
	{ "type", K_TYPE, kw_type },
	{ "properties", K_PROPERTIES, kw_properties },
	{ "required", K_REQUIRED, kw_required },
	{ "additionalProperties", K_ADDITIONAL, kw_additional },
	{ "const", K_CONST, kw_const },
	{ "enum", K_ENUM, kw_enum },
	{ "minLength", K_MINLEN, kw_min_length },
	{ "maxLength", K_MAXLEN, kw_max_length },
	{ "pattern", K_PATTERN, kw_pattern },
	{ "minimum", K_MIN, kw_minimum },
	{ "maximum", K_MAX, kw_maximum },
	{ "items", K_ITEMS, kw_items },
	{ "minItems", K_MINITEMS, kw_min_items },
	{ "maxItems", K_MAXITEMS, kw_max_items },
	{ "$ref", K_REF, kw_ref },
	{ "title", 0, NULL },
	{ "description", 0, NULL },
	{ "$comment", 0, NULL },
};

static const struct keyword *keyword_find(const char *name)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return &keywords[i];
	return NULL;
}

/* ---- loading: whole nodes ---- */

/* Marks the properties named by "required". 0 or -1. */
static int node_mark_required(struct loader *ld, struct snode *n, json_t *js, const char *path)
{
	json_t *req = json_object_get(js, "required"), *e;
	size_t i, j;

	json_array_foreach (req, i, e) {
		for (j = 0; j < n->nprops; j++)
			if (strcmp(n->props[j].name, json_string_value(e)) == 0)
				break;
		if (j == n->nprops)
			return load_fail(ld, path, "required \"%s\" is not a declared property",
					 json_string_value(e));
		n->props[j].required = 1;
	}
	return 0;
}

/* Keywords that need a declared type, and types that need a bound. 0 or -1. */
static int node_check_kinds(struct loader *ld, const struct snode *n, const char *path)
{
	static const struct {
		unsigned kws, type;
		const char *what;
	} needs[] = {
		{ K_STRING_KWS, T_STRING, "string" },
		{ K_INTEGER_KWS, T_INTEGER, "integer" },
		{ K_OBJECT_KWS, T_OBJECT, "object" },
		{ K_ARRAY_KWS, T_ARRAY, "array" },
	};
	unsigned fixed = n->kw & (K_CONST | K_ENUM);

	for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
		if ((n->kw & needs[i].kws) && !(n->types & needs[i].type))
			return load_fail(ld, path, "%s keyword on a node whose type is not %s", needs[i].what,
					 needs[i].what);
	if ((n->types & T_STRING) && !fixed && !(n->kw & K_MAXLEN))
		return load_fail(ld, path, "string without maxLength");
	if ((n->types & T_INTEGER) && !fixed && (n->kw & K_INTEGER_KWS) != K_INTEGER_KWS)
		return load_fail(ld, path, "integer without minimum and maximum");
	if ((n->types & T_ARRAY) && !(n->kw & K_MAXITEMS))
		return load_fail(ld, path, "array without maxItems");
	return 0;
}

/* Consistency of a compiled node's keywords. 0 or -1. */
static int node_check(struct loader *ld, const struct snode *n, const char *path)
{
	if ((n->kw & K_REF) && n->kw != K_REF)
		return load_fail(ld, path, "$ref must stand alone");
	if ((n->kw & K_CONST) && (n->kw & K_ENUM))
		return load_fail(ld, path, "const and enum together");
	if (n->min_len > n->max_len || n->min_items > n->max_items)
		return load_fail(ld, path, "minimum length above maximum");
	if ((n->kw & K_INTEGER_KWS) == K_INTEGER_KWS && n->min > n->max)
		return load_fail(ld, path, "minimum above maximum");
	for (size_t i = 0; i < n->nvals; i++)
		if (n->types && !(n->types & n->vals[i].type))
			return load_fail(ld, path, "const or enum value outside the type");
	return node_check_kinds(ld, n, path);
}

/* Compiles the keywords of a schema object into `n`. 0 or -1 with the reason. */
static int node_compile_into(struct loader *ld, struct snode *n, json_t *js, const char *path)
{
	const char *key;
	json_t *val;

	if (!json_is_object(js))
		return load_fail(ld, path, "a schema must be an object");
	json_object_foreach (js, key, val) {
		const struct keyword *k = keyword_find(key);
		char sub_path[PATH_MAX_LEN];

		if (k == NULL)
			return load_fail(ld, path, "unsupported keyword \"%s\"", key);
		if (k->compile == NULL)
			continue;
		snprintf(sub_path, sizeof sub_path, "%s/%s", path, key);
		n->kw |= k->bit;
		if (k->compile(ld, n, val, sub_path) != 0)
			return -1;
	}
	if ((n->kw & K_REQUIRED) && node_mark_required(ld, n, js, path) != 0)
		return -1;
	return node_check(ld, n, path);
}

static struct snode *compile_node(struct loader *ld, json_t *js, const char *path)
{
	struct snode *n = node_new(ld, path);

	if (n == NULL || node_compile_into(ld, n, js, path) != 0)
		return NULL;
	return n;
}

/* Follows $ref nodes to the node that validates. NULL on a cycle. */
static const struct snode *node_resolve(const struct schema *s, const struct snode *n)
{
	for (size_t hops = 0; n != NULL && (n->kw & K_REF); hops++) {
		if (hops > s->ndefs)
			return NULL;
		n = n->ref;
	}
	return n;
}

/* Replaces every $ref pointer by its final target. 0 or -1 on a cycle. */
static int schema_resolve_refs(struct loader *ld)
{
	struct schema *s = ld->s;

	for (size_t i = 0; i < s->ndefs; i++) {
		s->defs[i].target = node_resolve(s, s->defs[i].node);
		if (s->defs[i].target == NULL)
			return load_fail(ld, "/$defs", "\"%s\": cyclic $ref", s->defs[i].name);
	}
	for (size_t i = 0; i < s->nnodes; i++) {
		struct snode *n = s->nodes[i];

		for (size_t j = 0; j < n->nprops; j++)
			n->props[j].node = node_resolve(s, n->props[j].node);
		n->items = node_resolve(s, n->items);
	}
	return 0;
}

static int def_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sdef *)a)->name, ((const struct sdef *)b)->name);
}

/* Creates an empty node per definition (so $refs can point forward), sorted by name. */
static int schema_declare_defs(struct loader *ld, json_t *defs)
{
	struct schema *s = ld->s;
	const char *name;
	json_t *body;

	if (!json_is_object(defs) || json_object_size(defs) == 0)
		return load_fail(ld, "/$defs", "must be a non-empty object");
	s->defs = calloc(json_object_size(defs), sizeof *s->defs);
	if (s->defs == NULL)
		return load_fail(ld, "/$defs", "out of memory");
	json_object_foreach (defs, name, body) {
		struct sdef *d = &s->defs[s->ndefs];

		if (name[0] == '\0' ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name))
			return load_fail(ld, "/$defs", "definition name \"%s\" is not [A-Za-z0-9._-]+", name);
		d->name = strdup(name);
		if (d->name == NULL)
			return load_fail(ld, "/$defs", "out of memory");
		s->ndefs++;
		d->node = node_new(ld, "/$defs");
		if (d->node == NULL)
			return -1;
	}
	qsort(s->defs, s->ndefs, sizeof *s->defs, def_cmp);
	return 0;
}

static int schema_compile_defs(struct loader *ld, json_t *defs)
{
	struct schema *s = ld->s;

	for (size_t i = 0; i < s->ndefs; i++) {
		char path[PATH_MAX_LEN];

		snprintf(path, sizeof path, "/$defs/%s", s->defs[i].name);
		if (node_compile_into(ld, s->defs[i].node, json_object_get(defs, s->defs[i].name), path) != 0)
			return -1;
	}
	return 0;
}

static int req_cmp(const void *a, const void *b)
{
	const struct sreq *x = a, *y = b;
	int c = memcmp(x->type, y->type, x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* The property of a compiled object by name, or NULL. */
static const struct sprop *prop_find(const struct snode *n, const char *name)
{
	for (size_t i = 0; i < n->nprops; i++)
		if (strcmp(n->props[i].name, name) == 0)
			return &n->props[i];
	return NULL;
}

/* Checks the shape every request definition must have. 0 or -1. */
static int request_check(struct loader *ld, const struct sdef *d)
{
	const char *type = d->name + strlen(REQUEST_PREFIX);
	const struct snode *n = d->target;
	const struct sprop *t = prop_find(n, "type"), *id = prop_find(n, "id");

	char path[PATH_MAX_LEN];

	snprintf(path, sizeof path, "/$defs/%s", d->name);
	if (n->types != T_OBJECT || !n->closed)
		return load_fail(ld, path, "a request must be an object with additionalProperties false");
	if (t == NULL || !t->required || t->node->kw != K_CONST || t->node->vals[0].type != T_STRING ||
	    strcmp(t->node->vals[0].str, type) != 0)
		return load_fail(ld, path, "a request needs a required \"type\" with const \"%s\"", type);
	if (id == NULL || !id->required)
		return load_fail(ld, path, "a request needs a required \"id\"");
	return 0;
}

/* Builds the table of request types and checks it against the top-level oneOf. */
static int schema_index_requests(struct loader *ld, json_t *one_of)
{
	struct schema *s = ld->s;
	size_t i, nref;
	json_t *e;

	if (!json_is_array(one_of))
		return load_fail(ld, "/oneOf", "must be a list of $refs to the requests");
	s->reqs = calloc(s->ndefs, sizeof *s->reqs);
	if (s->reqs == NULL)
		return load_fail(ld, "/oneOf", "out of memory");
	for (i = 0; i < s->ndefs; i++) {
		const struct sdef *d = &s->defs[i];

		if (strncmp(d->name, REQUEST_PREFIX, strlen(REQUEST_PREFIX)) != 0)
			continue;
		if (request_check(ld, d) != 0)
			return -1;
		s->reqs[s->nreqs].type = d->name + strlen(REQUEST_PREFIX);
		s->reqs[s->nreqs].len = strlen(s->reqs[s->nreqs].type);
		s->reqs[s->nreqs].node = d->target;
		s->nreqs++;
	}
	qsort(s->reqs, s->nreqs, sizeof *s->reqs, req_cmp);
	nref = json_array_size(one_of);
	json_array_foreach (one_of, i, e) {
		const char *ref = json_string_value(json_object_get(e, "$ref"));
		size_t j;

		if (json_object_size(e) != 1 || ref == NULL ||
		    strncmp(ref, DEF_PREFIX REQUEST_PREFIX, strlen(DEF_PREFIX REQUEST_PREFIX)) != 0)
			return load_fail(ld, "/oneOf",
					 "entries must be {\"$ref\": \"" DEF_PREFIX REQUEST_PREFIX
					 "<type>\"}");
		if (def_find(s, ref + strlen(DEF_PREFIX)) == NULL)
			return load_fail(ld, "/oneOf", "no definition \"%s\"", ref + strlen(DEF_PREFIX));
		for (j = 0; j < i; j++)
			if (json_equal(e, json_array_get(one_of, j)))
				return load_fail(ld, "/oneOf", "\"%s\" listed twice", ref);
	}
	if (nref != s->nreqs)
		return load_fail(ld, "/oneOf", "lists %zu requests, $defs has %zu", nref, s->nreqs);
	return 0;
}

/* Top-level keywords. 0 or -1. */
static int schema_check_top(struct loader *ld, json_t *root)
{
	static const char *const allowed[] = {
		"$schema", "$defs", "oneOf", "title", "description", "$comment"
	};
	const char *key;
	json_t *val;

	if (!json_is_object(root))
		return load_fail(ld, "", "the schema must be an object");
	json_object_foreach (root, key, val) {
		size_t i;

		for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (i == sizeof allowed / sizeof allowed[0])
			return load_fail(ld, "", "unsupported top-level keyword \"%s\"", key);
	}
	val = json_object_get(root, "$schema");
	if (val != NULL && (!json_is_string(val) || strcmp(json_string_value(val), SCHEMA_URI) != 0))
		return load_fail(ld, "/$schema", "must be \"" SCHEMA_URI "\"");
	if (json_object_get(root, "$defs") == NULL || json_object_get(root, "oneOf") == NULL)
		return load_fail(ld, "", "\"$defs\" and \"oneOf\" are required");
	return 0;
}

static int schema_build(struct loader *ld, json_t *root)
{
	json_t *defs = json_object_get(root, "$defs");
	const struct sdef *rid;

	if (schema_check_top(ld, root) != 0 || schema_declare_defs(ld, defs) != 0 ||
	    schema_compile_defs(ld, defs) != 0 || schema_resolve_refs(ld) != 0 ||
	    schema_index_requests(ld, json_object_get(root, "oneOf")) != 0)
		return -1;
	rid = def_find(ld->s, "request_id");
	if (rid == NULL || !(rid->target->types & T_STRING))
		return load_fail(ld, "/$defs", "a string definition \"request_id\" is required");
	ld->s->request_id = rid->target;
	return 0;
}

struct schema *schema_load(const char *text, size_t len, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };
	json_error_t jerr;
	json_t *root;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "not JSON: line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	ld.s = calloc(1, sizeof *ld.s);
	if (ld.s == NULL) {
		load_fail(&ld, "", "out of memory");
	} else if (schema_build(&ld, root) != 0) {
		schema_free(ld.s);
		ld.s = NULL;
	}
	json_decref(root);
	return ld.s;
}

void schema_free(struct schema *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nnodes; i++) {
		struct snode *n = s->nodes[i];

		for (size_t j = 0; j < n->nvals; j++)
			free(n->vals[j].str);
		free(n->vals);
		for (size_t j = 0; j < n->nprops; j++)
			free(n->props[j].name);
		free(n->props);
		free(n);
	}
	for (size_t i = 0; i < s->ndefs; i++)
		free(s->defs[i].name);
	free(s->nodes);
	free(s->defs);
	free(s->reqs);
	free(s);
}

/* ---- checking ---- */

/* Writes the JSON pointer of the current value, dropping segments that do not fit. */
static void ctx_write_field(const struct vctx *c)
{
	size_t used = 0;

	if (c->field == NULL || c->fieldlen == 0)
		return;
	c->field[0] = '\0';
	for (int d = 0; d < c->depth; d++) {
		const struct segment *g = &c->segs[d];
		char num[24];
		const char *key = g->key;
		size_t len = g->len, need = 1 + len;

		if (key == NULL) {
			len = (size_t)snprintf(num, sizeof num, "%zu", g->index);
			key = num;
			need = 1 + len;
		} else {
			for (size_t i = 0; i < len; i++)
				need += key[i] == '~' || key[i] == '/';
		}
		if (need >= c->fieldlen - used)
			return;
		c->field[used++] = '/';
		for (size_t i = 0; i < len; i++) {
			if (key[i] == '~' || key[i] == '/') {
				c->field[used++] = '~';
				c->field[used++] = key[i] == '~' ? '0' : '1';
			} else {
				c->field[used++] = key[i];
			}
		}
		c->field[used] = '\0';
	}
}

/* Records a failure at the current value. Always returns -1. */
__attribute__((format(printf, 2, 3))) static int ctx_fail(const struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why != NULL && c->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	ctx_write_field(c);
	return -1;
}

/* Enters a member or element. 0, or -1 (a failure) when nested too deeply. */
static int ctx_push(struct vctx *c, const char *key, size_t len, size_t index)
{
	if (c->depth >= VALIDATE_MAX_DEPTH)
		return ctx_fail(c, "nested too deeply");
	c->segs[c->depth].key = key;
	c->segs[c->depth].len = len;
	c->segs[c->depth].index = index;
	c->depth++;
	return 0;
}

static void ctx_init(struct vctx *c, char *why, size_t whylen, char *field, size_t fieldlen)
{
	c->why = why;
	c->whylen = whylen;
	c->field = field;
	c->fieldlen = fieldlen;
	c->depth = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (field != NULL && fieldlen > 0)
		field[0] = '\0';
}

static unsigned instance_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return T_OBJECT;
	case JSON_ARRAY: return T_ARRAY;
	case JSON_STRING: return T_STRING;
	case JSON_INTEGER: return T_INTEGER;
	case JSON_REAL: return T_REAL;
	case JSON_TRUE:
	case JSON_FALSE: return T_BOOLEAN;
	default: return T_NULL;
	}
}

static int fail_type(const struct vctx *c, unsigned types)
{
	char list[80] = "";
	size_t used = 0;

	for (size_t i = 0; i < NTYPES; i++) {
		if (!(types & (1u << i)))
			continue;
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? " or " : "",
					 type_names[i]);
		if (used >= sizeof list)
			break;
	}
	return ctx_fail(c, "expected %s", list);
}

static int value_equal(const struct svalue *sv, const json_t *v)
{
	switch (sv->type) {
	case T_STRING:
		return json_is_string(v) && json_string_length(v) == sv->len &&
		       memcmp(json_string_value(v), sv->str, sv->len) == 0;
	case T_INTEGER: return json_is_integer(v) && json_integer_value(v) == sv->num;
	case T_BOOLEAN: return json_is_boolean(v) && json_is_true(v) == sv->num;
	default: return json_is_null(v);
	}
}

static int check_values(const struct vctx *c, const struct snode *n, const json_t *v)
{
	for (size_t i = 0; i < n->nvals; i++)
		if (value_equal(&n->vals[i], v))
			return 0;
	if (n->nvals == 1 && n->vals[0].type == T_STRING)
		return ctx_fail(c, "must be \"%s\"", n->vals[0].str);
	return ctx_fail(c, "not one of the allowed values");
}

static size_t utf8_code_points(const unsigned char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += (s[i] & 0xc0) != 0x80;
	return n;
}

/* One pass over the bytes: with a pattern every allowed byte is an ASCII character, so
 * the length in code points is the length in bytes. */
static int check_string(const struct vctx *c, const struct snode *n, const json_t *v)
{
	const unsigned char *s = (const unsigned char *)json_string_value(v);
	size_t len = json_string_length(v), points;

	if (!(n->kw & (K_STRING_KWS)))
		return 0;
	if (n->kw & K_PATTERN) {
		for (size_t i = 0; i < len; i++)
			if (!n->allowed[s[i]])
				return ctx_fail(c, "contains a character that is not allowed");
		points = len;
	} else {
		points = utf8_code_points(s, len);
	}
	if (points < n->min_len)
		return ctx_fail(c, "shorter than %zu characters", n->min_len);
	if (points > n->max_len)
		return ctx_fail(c, "longer than %zu characters", n->max_len);
	if ((n->kw & K_PATTERN) && (points < n->pat_min || points > n->pat_max))
		return ctx_fail(c, "does not match the pattern");
	return 0;
}

static int check_integer(const struct vctx *c, const struct snode *n, const json_t *v)
{
	json_int_t x = json_integer_value(v);

	if ((n->kw & K_MIN) && x < n->min)
		return ctx_fail(c, "less than %lld", (long long)n->min);
	if ((n->kw & K_MAX) && x > n->max)
		return ctx_fail(c, "more than %lld", (long long)n->max);
	return 0;
}

static int validate(struct vctx *c, const struct snode *n, const json_t *v);

/* Finds a member that the closed object does not declare and fails on it. */
static int fail_unknown_member(struct vctx *c, const struct snode *n, const json_t *obj)
{
	for (void *it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		const char *key = json_object_iter_key(it);
		size_t len = json_object_iter_key_len(it), i;

		for (i = 0; i < n->nprops; i++)
			if (n->props[i].len == len && memcmp(n->props[i].name, key, len) == 0)
				break;
		if (i == n->nprops) {
			if (ctx_push(c, key, len, 0) != 0)
				return -1;
			return ctx_fail(c, "unknown field");
		}
	}
	return ctx_fail(c, "unknown field");
}

static int check_object(struct vctx *c, const struct snode *n, const json_t *obj)
{
	size_t present = 0;

	if (n->closed) {
		for (size_t i = 0; i < n->nprops; i++)
			present += json_object_getn(obj, n->props[i].name, n->props[i].len) != NULL;
		if (present != json_object_size(obj))
			return fail_unknown_member(c, n, obj);
	}
	for (size_t i = 0; i < n->nprops; i++) {
		const struct sprop *p = &n->props[i];
		const json_t *m = json_object_getn(obj, p->name, p->len);

		if (m == NULL && !p->required)
			continue;
		if (ctx_push(c, p->name, p->len, 0) != 0)
			return -1;
		if (m == NULL)
			return ctx_fail(c, "missing required field");
		if (validate(c, p->node, m) != 0)
			return -1;
		c->depth--;
	}
	return 0;
}

static int check_array(struct vctx *c, const struct snode *n, const json_t *arr)
{
	size_t size = json_array_size(arr), i;
	const json_t *e;

	if (size < n->min_items)
		return ctx_fail(c, "fewer than %zu entries", n->min_items);
	if (size > n->max_items)
		return ctx_fail(c, "more than %zu entries", n->max_items);
	if (n->items == NULL)
		return 0;
	json_array_foreach (arr, i, e) {
		if (ctx_push(c, NULL, 0, i) != 0 || validate(c, n->items, e) != 0)
			return -1;
		c->depth--;
	}
	return 0;
}

/* Validates one value against a resolved node. 0, or -1 with the failure recorded. */
static int validate(struct vctx *c, const struct snode *n, const json_t *v)
{
	unsigned t = instance_type(v);

	if (n->types != 0 && !(n->types & t))
		return fail_type(c, n->types);
	if (n->nvals != 0 && check_values(c, n, v) != 0)
		return -1;
	switch (t) {
	case T_STRING: return check_string(c, n, v);
	case T_INTEGER: return check_integer(c, n, v);
	case T_OBJECT: return check_object(c, n, v);
	case T_ARRAY: return check_array(c, n, v);
	default: return 0;
	}
}

static const struct sreq *request_find(const struct schema *s, const char *type, size_t len)
{
	struct sreq key = { .type = type, .len = len };

	return bsearch(&key, s->reqs, s->nreqs, sizeof *s->reqs, req_cmp);
}

int schema_check_request(const struct schema *s, const json_t *msg, char *why, size_t whylen, char *field,
			 size_t fieldlen)
{
	const struct sreq *req;
	const json_t *type;
	struct vctx c;

	ctx_init(&c, why, whylen, field, fieldlen);
	if (!json_is_object(msg)) {
		ctx_fail(&c, "not a JSON object");
		return ADVICE_ERR_BAD_REQUEST;
	}
	type = json_object_get(msg, "type");
	ctx_push(&c, "type", 4, 0);
	if (type == NULL) {
		ctx_fail(&c, "missing required field");
		return ADVICE_ERR_BAD_REQUEST;
	}
	if (!json_is_string(type)) {
		ctx_fail(&c, "expected string");
		return ADVICE_ERR_BAD_REQUEST;
	}
	req = request_find(s, json_string_value(type), json_string_length(type));
	if (req == NULL) {
		ctx_fail(&c, "unknown request type");
		return ADVICE_ERR_UNKNOWN_TYPE;
	}
	c.depth = 0;
	return validate(&c, req->node, msg) == 0 ? ADVICE_OK : ADVICE_ERR_BAD_REQUEST;
}

int schema_check_def(const struct schema *s, const char *def, const json_t *value, char *why, size_t whylen,
		     char *field, size_t fieldlen)
{
	const struct sdef *d = def != NULL ? def_find(s, def) : NULL;
	struct vctx c;

	ctx_init(&c, why, whylen, field, fieldlen);
	if (d == NULL)
		return -1;
	if (value == NULL) {
		ctx_fail(&c, "no value");
		return ADVICE_ERR_BAD_REQUEST;
	}
	return validate(&c, d->target, value) == 0 ? ADVICE_OK : ADVICE_ERR_BAD_REQUEST;
}

const char *schema_request_id(const struct schema *s, const json_t *msg)
{
	const json_t *id = json_object_get(msg, "id");
	struct vctx c;

	if (id == NULL || !json_is_string(id))
		return NULL;
	ctx_init(&c, NULL, 0, NULL, 0);
	return validate(&c, s->request_id, id) == 0 ? json_string_value(id) : NULL;
}

/* ---- parsing ---- */

/* Whether arrays and objects nest deeper than `max`. Correct for valid JSON; for other
 * text the answer does not matter because the parser refuses it anyway. */
static int nesting_too_deep(const char *p, size_t len, int max)
{
	int depth = 0, in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = p[i];

		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = 0;
			continue;
		}
		if (ch == '"') {
			in_string = 1;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max)
				return 1;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return 0;
}

/* A reason for a parse error that quotes nothing of the input. */
static const char *parse_reason(const json_error_t *e)
{
	switch (json_error_code(e)) {
	case json_error_invalid_utf8: return "invalid UTF-8";
	case json_error_null_character:
	case json_error_null_byte_in_key: return "NUL character in a string";
	case json_error_duplicate_key: return "duplicate key";
	case json_error_numeric_overflow: return "number out of range";
	case json_error_premature_end_of_input: return "unexpected end of input";
	case json_error_end_of_input_expected: return "text after the object";
	case json_error_stack_overflow: return "nested too deeply";
	default: return "invalid JSON";
	}
}

int schema_parse(const char *text, size_t len, json_t **out, char *why, size_t whylen)
{
	json_error_t e;
	json_t *v;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (text == NULL || nesting_too_deep(text, len, SCHEMA_MAX_DEPTH)) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "nested deeper than %d", SCHEMA_MAX_DEPTH);
		return ADVICE_ERR_BAD_JSON;
	}
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL) {
		if (json_error_code(&e) == json_error_out_of_memory) {
			if (why != NULL && whylen > 0)
				snprintf(why, whylen, "out of memory");
			return ADVICE_ERR_INTERNAL;
		}
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "%s at byte %d", parse_reason(&e), e.position);
		return ADVICE_ERR_BAD_JSON;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "not a JSON object");
		return ADVICE_ERR_BAD_JSON;
	}
	*out = v;
	return ADVICE_OK;
}
