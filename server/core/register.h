/*
 * register.h - the register file (setting `register_file`, PROTOCOL.md §14.9): the privacy
 * notice's texts in Finnish, Swedish and English, the consent texts and the retention rules,
 * parsed and checked once at start (and by --check-config). The document is served as it was
 * checked (GET /api/v1/register), printed as text (advicectl privacy-notice) and its rules
 * drive the retention run (core_retention.c).
 */
#ifndef ADVICE_REGISTER_H
#define ADVICE_REGISTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define REGISTER_FILE_MAX     (256 * 1024) /* bytes of a register file */
#define REGISTER_TEXT_MAX     4000	   /* bytes of one text in one language */
#define REGISTER_LIST_MAX     32	   /* items of a list (purposes, categories, ...) */
#define REGISTER_RULES_MAX    64
#define REGISTER_CATEGORY_MAX 64 /* bytes of a rule's category */

/* Where a rule's period is counted from. */
enum register_from { REGISTER_FROM_CLOSE = 0, REGISTER_FROM_RELATIONSHIP_END = 1 };

struct register_rule {
	char category[REGISTER_CATEGORY_MAX + 1]; /* a category, or "*": every other one */
	int years, days;			  /* one of them is set (> 0) */
	enum register_from from;
};

struct register_doc {
	json_t *doc; /* the document as checked, with "demo" set */
	int demo;    /* the embedded demo register (or a file that says it is a demo) */
	struct register_rule rules[REGISTER_RULES_MAX];
	size_t nrules;
	int channel_copy_days;
};

/* The embedded demo register (register_demo.json, compiled in). */
extern const char advice_register_demo_text[];
extern const size_t advice_register_demo_text_len;

/*
 * Parses and checks a register document. 0 with *out (register_free), or -1 with a reason in
 * err that names the JSON path of the first problem ("/retention/rules/2/years: ...").
 */
int register_parse(const char *text, size_t len, struct register_doc **out, char *err, size_t errlen);
/* The register file at `path`, or the embedded demo register when path is "". As
 * register_parse; err also names the file. */
int register_load(const char *path, struct register_doc **out, char *err, size_t errlen);
void register_free(struct register_doc *r);

/* The rule of `category`: its own, else the "*" rule (register_parse requires one). */
const struct register_rule *register_rule_for(const struct register_doc *r, const char *category);
/* The end of a rule's period that starts at `from_ms`: calendar years (UTC) or days later. */
int64_t register_period_end(const struct register_rule *rule, int64_t from_ms);
/* "10 years from close", for notes and reports. */
void register_rule_describe(const struct register_rule *rule, char *out, size_t size);

/* Writes the privacy notice in `lang` ("fi", "sv" or "en") as plain text. 0 or -1 (bad lang). */
int register_notice_write(const struct register_doc *r, const char *lang, FILE *out);

#endif
