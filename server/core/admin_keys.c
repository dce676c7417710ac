/*
 * admin_keys.c - writes the signed and sealed key records advicectl sends (admin_keys.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "errfmt.h"
#include "admin_keys.h"
#include "advice_crypto.h"

#define RECORD_MAX_BYTES ADVICE_UNIT_EVENT_MAX_BYTES /* the largest record: a unit event */

int admin_keys_command(const char *command)
{
	static const char *const names[] = { "root-install",	  "admin-certify",   "worker-certify",
					     "unit-key-rotate",	  "unit-member-add", "unit-member-remove",
					     "unit-log-renew",	  "cert-revoke",     "connector-add",
					     "connector-unit-add" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(command, names[i]) == 0)
			return 1;
	return 0;
}

/* A record's field decoded as bytes: `exact` of them, or (exact 0) 0..RECORD_MAX_BYTES. */
struct bytes {
	uint8_t b[RECORD_MAX_BYTES];
	size_t len;
};

static int field_bytes(const json_t *r, const char *name, size_t exact, struct bytes *out)
{
	const char *hex = json_string_value(json_object_get(r, name));
	size_t n = hex ? strlen(hex) : 0;

	if (hex == NULL || n % 2 != 0 || n / 2 > sizeof out->b || (exact != 0 && n / 2 != exact))
		return -1;
	out->len = n / 2;
	return sodium_hex2bin(out->b, sizeof out->b, hex, n, NULL, &out->len, NULL) == 0 ? 0 : -1;
}

/* A 32-hex-digit id field. */
static const char *field_id(const json_t *r, const char *name)
{
	const char *s = json_string_value(json_object_get(r, name));

	if (s == NULL || strlen(s) != ADVICE_ID_HEX || strspn(s, "0123456789abcdef") != ADVICE_ID_HEX)
		return NULL;
	return s;
}

static int64_t field_int(const json_t *r, const char *name)
{
	return (int64_t)json_integer_value(json_object_get(r, name));
}

/* The parsed fields every record may use. */
struct record {
	const json_t *j;
	const char *op;
	struct bytes kid, data, extra;
};

static int put_root(struct store *st, struct record *r, char *err, size_t errlen)
{
	int rc;

	if (field_bytes(r->j, "pk", STORE_KEY_BYTES, &r->data) != 0)
		return err_fail(err, errlen, "root_put: a 32-byte public key");
	rc = st->ops->keys->root_put(st, r->data.b, field_int(r->j, "at"));
	if (rc == STORE_EXISTS)
		return err_fail(err, errlen, "a root key is installed already");
	return rc == STORE_OK ? 0 : err_fail(err, errlen, "cannot store the root key");
}

static int put_cert(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *subject = field_id(r->j, "subject");

	if (subject == NULL || field_bytes(r->j, "kid", STORE_KID_BYTES, &r->kid) != 0 ||
	    field_bytes(r->j, "cert", ADVICE_CERT_BYTES, &r->data) != 0)
		return err_fail(err, errlen, "cert_put: subject, kid and a certificate");
	if (st->ops->keys->cert_put(st, subject, (int)field_int(r->j, "role"), r->kid.b, r->data.b,
				    r->data.len, field_int(r->j, "at")) != STORE_OK)
		return err_fail(err, errlen, "cannot store the certificate");
	return 0;
}

static int put_bundle(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *user = field_id(r->j, "user");

	if (user == NULL || field_bytes(r->j, "bundle", ADVICE_BUNDLE_BYTES, &r->data) != 0)
		return err_fail(err, errlen, "bundle_put: user and a bundle");
	if (st->ops->keys->bundle_put(st, user, r->data.b, r->data.len, field_int(r->j, "at")) != STORE_OK)
		return err_fail(err, errlen, "cannot store the bundle");
	return 0;
}

static int put_unit_gen(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *unit = field_id(r->j, "unit");
	int rc;

	if (unit == NULL || field_bytes(r->j, "kid", STORE_KID_BYTES, &r->kid) != 0 ||
	    field_bytes(r->j, "event", 0, &r->data) != 0 || field_bytes(r->j, "chain", 0, &r->extra) != 0 ||
	    (r->extra.len != 0 && r->extra.len != ADVICE_CHAIN_BYTES) || field_int(r->j, "gen") < 1)
		return err_fail(err, errlen, "unit_gen_put: unit, generation, kid, event and chain");
	rc = st->ops->keys->unit_gen_put(st, unit, field_int(r->j, "gen"), r->kid.b, r->data.b, r->data.len,
					 r->extra.len ? r->extra.b : NULL, r->extra.len,
					 field_int(r->j, "at"));
	if (rc == STORE_EXISTS)
		return err_fail(err, errlen,
				"the unit's key generation changed meanwhile: run the command again");
	return rc == STORE_OK ? 0 : err_fail(err, errlen, "cannot store the generation");
}

static int put_unit_seed(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *unit = field_id(r->j, "unit"), *holder = field_id(r->j, "holder");

	if (unit == NULL || holder == NULL || field_bytes(r->j, "kid", STORE_KID_BYTES, &r->kid) != 0 ||
	    field_bytes(r->j, "wrap", ADVICE_WRAP_BYTES, &r->data) != 0)
		return err_fail(err, errlen, "unit_seed_put: unit, generation, kid, holder and a wrap");
	if (st->ops->keys->unit_seed_put(st, unit, field_int(r->j, "gen"), r->kid.b, holder, r->data.b,
					 r->data.len) != STORE_OK)
		return err_fail(err, errlen, "cannot store a seed");
	return 0;
}

static int put_unit_log(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *unit = field_id(r->j, "unit");
	struct advice_ulog_entry e;
	uint8_t unit_bytes[ADVICE_OID_BYTES];
	int rc;

	if (unit == NULL || field_bytes(r->j, "entry", ADVICE_ULOG_BYTES, &r->data) != 0 ||
	    advice_ulog_parse(r->data.b, r->data.len, &e) != 0 ||
	    advice_unhex(unit_bytes, sizeof unit_bytes, unit) != 0 ||
	    memcmp(unit_bytes, e.unit_id, sizeof unit_bytes) != 0 || (int64_t)e.seq != field_int(r->j, "seq"))
		return err_fail(err, errlen, "unit_log_put: unit, number and a unit log entry of that unit");
	rc = st->ops->rekey->unit_log_put(st, unit, e.seq, r->data.b, r->data.len, field_int(r->j, "at"));
	if (rc == STORE_EXISTS)
		return err_fail(err, errlen, "the unit log changed meanwhile: run the command again");
	return rc == STORE_OK ? 0 : err_fail(err, errlen, "cannot store the unit log entry");
}

static int member(struct store *st, struct record *r, int add, char *err, size_t errlen)
{
	const char *user = field_id(r->j, "user"), *unit = field_id(r->j, "unit");
	int role = (int)field_int(r->j, "role");

	if (user == NULL || unit == NULL)
		return err_fail(err, errlen, "%s: user and unit", r->op);
	if (!add)
		return st->ops->staff->membership_remove(st, user, unit) == STORE_OK
			       ? 0
			       : err_fail(err, errlen, "not a member of the unit (any more)");
	if (role != ROLE_WORKER && role != ROLE_SUPERVISOR)
		return err_fail(err, errlen, "member_add: a worker's or supervisor's role");
	if (st->ops->staff->membership_add(st, user, unit, (enum store_role)role) != STORE_OK)
		return err_fail(err, errlen, "cannot add the membership (a member already?)");
	return 0;
}

static int put_connector(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *id = field_id(r->j, "id"), *name = json_string_value(json_object_get(r->j, "name"));
	struct store_connector c = { .created = field_int(r->j, "at") };
	struct bytes sign_kid;

	if (id == NULL || name == NULL || name[0] == '\0' || strlen(name) >= sizeof c.name ||
	    field_bytes(r->j, "kid", STORE_KID_BYTES, &r->kid) != 0 ||
	    field_bytes(r->j, "sign_kid", STORE_KID_BYTES, &sign_kid) != 0)
		return err_fail(err, errlen, "connector_put: id, name, kid and sign_kid");
	snprintf(c.id, sizeof c.id, "%s", id);
	snprintf(c.name, sizeof c.name, "%s", name);
	memcpy(c.kid, r->kid.b, sizeof c.kid);
	memcpy(c.sign_kid, sign_kid.b, sizeof c.sign_kid);
	switch (st->ops->consent->connector_put(st, &c)) {
	case STORE_OK: return 0;
	case STORE_EXISTS: return err_fail(err, errlen, "a connector of that name or key exists already");
	default: return err_fail(err, errlen, "cannot store the connector");
	}
}

static int connector_unit(struct store *st, struct record *r, char *err, size_t errlen)
{
	const char *conn = field_id(r->j, "connector"), *unit = field_id(r->j, "unit");

	if (conn == NULL || unit == NULL)
		return err_fail(err, errlen, "connector_unit_add: connector and unit");
	switch (st->ops->consent->unit_add(st, conn, unit, field_int(r->j, "at"))) {
	case STORE_OK: return 0;
	case STORE_EXISTS: return err_fail(err, errlen, "the connector holds the unit's keys already");
	default: return err_fail(err, errlen, "cannot store the connector's unit");
	}
}

static int apply_one(struct store *st, struct record *r, char *err, size_t errlen)
{
	if (r->op == NULL)
		return err_fail(err, errlen, "a record without \"op\"");
	if (strcmp(r->op, "root_put") == 0)
		return put_root(st, r, err, errlen);
	if (strcmp(r->op, "cert_put") == 0)
		return put_cert(st, r, err, errlen);
	if (strcmp(r->op, "bundle_put") == 0)
		return put_bundle(st, r, err, errlen);
	if (strcmp(r->op, "unit_gen_put") == 0)
		return put_unit_gen(st, r, err, errlen);
	if (strcmp(r->op, "unit_seed_put") == 0)
		return put_unit_seed(st, r, err, errlen);
	if (strcmp(r->op, "unit_log_put") == 0)
		return put_unit_log(st, r, err, errlen);
	if (strcmp(r->op, "member_add") == 0)
		return member(st, r, 1, err, errlen);
	if (strcmp(r->op, "member_remove") == 0)
		return member(st, r, 0, err, errlen);
	if (strcmp(r->op, "connector_put") == 0)
		return put_connector(st, r, err, errlen);
	if (strcmp(r->op, "connector_unit_add") == 0)
		return connector_unit(st, r, err, errlen);
	return err_fail(err, errlen, "unknown record \"%.32s\"", r->op);
}

int admin_keys_apply(struct store *st, const json_t *records, char *err, size_t errlen)
{
	struct record *r;
	size_t i;
	int rc = 0;

	if (!json_is_array(records) || json_array_size(records) == 0)
		return err_fail(err, errlen, "a key command sends its records");
	if ((r = malloc(sizeof *r)) == NULL)
		return err_fail(err, errlen, "out of memory");
	for (i = 0; i < json_array_size(records) && rc == 0; i++) {
		memset(r, 0, sizeof *r);
		r->j = json_array_get(records, i);
		r->op = json_string_value(json_object_get(r->j, "op"));
		rc = apply_one(st, r, err, errlen);
	}
	free(r);
	return rc;
}
