/*
 * itest.c - what the integration tests share (itest.h): checked requests, the scanner for a
 * secret in all its forms, and the client's steps of the end-to-end encryption.
 */
#include <ctype.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "harness.h"
#include "itest.h"

#define ITEST_MAX_REQUEST 65536

json_t *itest_request(struct advice_conn *k, const char *expect, const char *fmt, ...)
{
	char *text = malloc(ITEST_MAX_REQUEST), *reply = NULL;
	json_t *j;
	va_list ap;
	int rc;

	assert_non_null(text);
	va_start(ap, fmt);
	vsnprintf(text, ITEST_MAX_REQUEST, fmt, ap);
	va_end(ap);
	rc = advice_request(k, text, &reply, HARNESS_TIMEOUT_MS);
	if (reply == NULL)
		fail_msg("no reply to %.200s (%d)", text, rc);
	j = json_loads(reply, 0, NULL);
	assert_non_null(j);
	if (strcmp(expect, "ok") == 0 && rc != 0)
		fail_msg("expected ok to %.200s, got %s", text, reply);
	if (strcmp(expect, "ok") != 0 &&
	    (itest_str(j, "code") == NULL || strcmp(itest_str(j, "code"), expect) != 0))
		fail_msg("expected %s to %.200s, got %s", expect, text, reply);
	free(reply);
	free(text);
	return j;
}

const char *itest_str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

json_int_t itest_num(json_t *j, const char *name)
{
	return json_integer_value(json_object_get(j, name));
}

/* --- A secret in every form: the scanner --- */

struct itest_needles *itest_needles_new(void)
{
	struct itest_needles *nd = calloc(1, sizeof *nd);

	assert_non_null(nd);
	return nd;
}

/* Adds one form, unless an equal one is there already. */
static void needles_add(struct itest_needles *nd, const char *name, const char *form, const void *bytes,
			size_t len)
{
	struct itest_needle *v;

	assert_true(len > 0 && len <= ITEST_NEEDLE_MAX);
	for (size_t i = 0; i < nd->n; i++)
		if (nd->v[i].len == len && memcmp(nd->v[i].bytes, bytes, len) == 0)
			return;
	assert_true(nd->n < ITEST_NEEDLES_MAX);
	v = &nd->v[nd->n++];
	snprintf(v->label, sizeof v->label, "%s (%s)", name, form);
	memcpy(v->bytes, bytes, len);
	v->len = len;
}

void itest_needles_add_text(struct itest_needles *nd, const char *label, const char *text)
{
	needles_add(nd, label, "as written", text, strlen(text));
}

/*
 * The base64 characters that depend only on `s` when s follows `shift` (0..2) other bytes:
 * character j covers bits 6j..6j+5, so those from ceil(8 shift / 6) up to, not including,
 * floor(8 (shift + len) / 6).
 */
static void needles_add_base64(struct itest_needles *nd, const char *name, const char *s, int variant,
			       const char *form)
{
	size_t len = strlen(s);

	for (size_t shift = 0; shift < 3; shift++) {
		uint8_t *in = calloc(1, shift + len);
		size_t cap = sodium_base64_ENCODED_LEN(shift + len, variant);
		char *out = malloc(cap), what[48];
		size_t from = (8 * shift + 5) / 6, to = 8 * (shift + len) / 6;

		assert_non_null(in);
		assert_non_null(out);
		memcpy(in + shift, s, len);
		sodium_bin2base64(out, cap, in, shift + len, variant);
		snprintf(what, sizeof what, "%s after %zu bytes", form, shift);
		needles_add(nd, name, what, out + from, to - from);
		free(in);
		free(out);
	}
}

/* Text forms: as written, lower- and uppercase, base64 and base64url, hex, UTF-16LE. */
static void needles_add_text_forms(struct itest_needles *nd, const char *name, const char *s)
{
	size_t len = strlen(s);
	char *lower = strdup(s), *upper = strdup(s), *hex = malloc(2 * len + 1);
	uint8_t *utf16 = calloc(2, len);

	assert_non_null(lower);
	assert_non_null(upper);
	assert_non_null(hex);
	assert_non_null(utf16);
	for (size_t i = 0; i < len; i++) {
		lower[i] = (char)tolower((unsigned char)s[i]);
		upper[i] = (char)toupper((unsigned char)s[i]);
		utf16[2 * i] = (uint8_t)s[i];
	}
	needles_add(nd, name, "as written", s, len);
	needles_add(nd, name, "lowercase", lower, len);
	needles_add(nd, name, "uppercase", upper, len);
	needles_add_base64(nd, name, s, sodium_base64_VARIANT_ORIGINAL_NO_PADDING, "base64");
	needles_add_base64(nd, name, s, sodium_base64_VARIANT_URLSAFE_NO_PADDING, "base64url");
	advice_hex(hex, s, len);
	needles_add(nd, name, "hex", hex, 2 * len);
	for (size_t i = 0; i < 2 * len; i++)
		hex[i] = (char)toupper((unsigned char)hex[i]);
	needles_add(nd, name, "HEX", hex, 2 * len);
	needles_add(nd, name, "UTF-16LE", utf16, 2 * len);
	free(lower);
	free(upper);
	free(hex);
	free(utf16);
}

/* A hash, raw and in hex. */
static void needles_add_hash(struct itest_needles *nd, const char *name, const char *form,
			     const uint8_t h[32])
{
	char hex[65], what[48];

	needles_add(nd, name, form, h, 32);
	advice_hex(hex, h, 32);
	snprintf(what, sizeof what, "%s in hex", form);
	needles_add(nd, name, what, hex, 64);
}

void itest_needles_add_secret(struct itest_needles *nd, const char *name, const char *secret,
			      const char *compact)
{
	uint8_t h[32];

	needles_add_text_forms(nd, name, secret);
	if (compact != NULL)
		needles_add_text_forms(nd, name, compact);
	crypto_generichash(h, sizeof h, (const uint8_t *)secret, strlen(secret), NULL, 0);
	needles_add_hash(nd, name, "BLAKE2b-256", h);
	crypto_hash_sha256(h, (const uint8_t *)secret, strlen(secret));
	needles_add_hash(nd, name, "SHA-256", h);
}

const struct itest_needle *itest_needles_find(const struct itest_needles *nd, const void *data, size_t len)
{
	for (size_t i = 0; i < nd->n; i++)
		if (memmem(data, len, nd->v[i].bytes, nd->v[i].len) != NULL)
			return &nd->v[i];
	return NULL;
}

/* The whole file (malloc'd, length in *len); NULL when it cannot be read. */
static uint8_t *read_whole(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	return buf;
}

static const struct itest_needles *scan_needles;
static int scan_files, scan_hits, scan_unreadable, scan_quiet;

/* nftw callback: every needle in one file. */
static int scan_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	uint8_t *data;
	size_t len = 0;

	(void)ftw;
	if (type != FTW_F || S_ISSOCK(sb->st_mode)) /* the admin socket holds no bytes */
		return 0;
	data = read_whole(path, &len);
	if (data == NULL) {
		/* A file may go between the listing and the read (a WAL at a checkpoint). */
		if (access(path, F_OK) == 0) {
			fprintf(stderr, "itest: cannot read %s\n", path);
			scan_unreadable++;
		}
		return 0;
	}
	scan_files++;
	for (size_t i = 0; i < scan_needles->n; i++)
		if (memmem(data, len, scan_needles->v[i].bytes, scan_needles->v[i].len) != NULL) {
			if (!scan_quiet)
				fprintf(stderr, "itest: %s found in %s\n", scan_needles->v[i].label, path);
			scan_hits++;
		}
	free(data);
	return 0;
}

int itest_scan_dir(const char *dir, const struct itest_needles *nd, int *files)
{
	scan_needles = nd;
	scan_files = 0;
	scan_hits = 0;
	scan_unreadable = 0;
	assert_int_equal(nftw(dir, scan_file, 16, FTW_PHYS), 0);
	assert_int_equal(scan_unreadable, 0);
	if (files != NULL)
		*files = scan_files;
	return scan_hits;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Writes junk, then the needle, then junk, to path. */
static void plant(const char *path, const struct itest_needle *v, size_t junk)
{
	static const char before[] = "unrelated bytes before it, ", after[] = ", and after it";
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(before, 1, junk % (sizeof before - 1), f), junk % (sizeof before - 1));
	assert_int_equal(fwrite(v->bytes, 1, v->len, f), v->len);
	assert_int_equal(fwrite(after, 1, sizeof after - 1, f), sizeof after - 1);
	assert_int_equal(fclose(f), 0);
}

void itest_scan_self_test(const struct itest_needles *nd)
{
	const char *tmp = getenv("TMPDIR");
	struct itest_needles *one = itest_needles_new();
	char dir[300], path[400];
	const char *missed = NULL;
	int files = 0, hits;

	assert_true(nd->n > 0);
	snprintf(dir, sizeof dir, "%s/itest-scan-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	/* One needle a file, at varying offsets, half of them in a sub-folder. */
	for (size_t i = 0; i < nd->n; i++) {
		snprintf(path, sizeof path, "%s/%splant-%03zu", dir, i % 2 ? "sub/" : "", i);
		plant(path, &nd->v[i], i);
	}
	/* The whole set, then each form on its own; the hits here are the expected ones. */
	scan_quiet = 1;
	hits = itest_scan_dir(dir, nd, &files);
	one->n = 1;
	for (size_t i = 0; i < nd->n && missed == NULL; i++) {
		one->v[0] = nd->v[i];
		if (itest_scan_dir(dir, one, NULL) < 1)
			missed = nd->v[i].label;
	}
	scan_quiet = 0;
	if (missed != NULL)
		fail_msg("the scanner misses %s", missed);
	assert_true(hits >= (int)nd->n);
	assert_int_equal(files, (int)nd->n);
	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(one);
}

int itest_file_contains(const char *path, const char *text)
{
	size_t len = 0;
	uint8_t *data = read_whole(path, &len);
	int found = data != NULL && memmem(data, len, text, strlen(text)) != NULL;

	free(data);
	return found;
}

/* --- adviced's log lines (server/log.h) --- */

/* Skips `key=` and a run of characters from `allowed` at *p; 0 when either is not there. */
static int log_token(const char **p, const char *key, const char *allowed)
{
	size_t n = strlen(key), run;

	if (strncmp(*p, key, n) != 0)
		return 0;
	run = strspn(*p + n, allowed);
	if (run == 0)
		return 0;
	*p += n + run;
	return 1;
}

int itest_log_line_ok(const char *line)
{
	static const char *const levels[] = { "err ", "warn ", "notice ", "info ", "debug " };
	const char *p = line;
	int level = 0;

	if (p[0] == '<' && p[1] >= '0' && p[1] <= '7' && p[2] == '>')
		p += 3;
	if (!log_token(&p, "ts=", "0123456789-T:.Z") || *p++ != ' ' || strncmp(p, "level=", 6) != 0)
		return 0;
	p += 6;
	for (size_t i = 0; i < 5 && !level; i++)
		if (strncmp(p, levels[i], strlen(levels[i])) == 0) {
			p += strlen(levels[i]);
			level = 1;
		}
	if (!level ||
	    !log_token(&p, "where=", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ||
	    strncmp(p, " msg=\"", 6) != 0)
		return 0;
	for (p += 6; *p != '"'; p++) {
		if (*p == '\0' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'x' && strchr("0123456789abcdef", p[1]) && p[1] &&
		    strchr("0123456789abcdef", p[2]) && p[2])
			p += 2;
		else if (*p == '\0' || strchr("\"\\ntr", *p) == NULL)
			return 0;
	}
	return p[1] == '\0';
}

void itest_log_lines_parse(struct harness *h)
{
	static const char *const bad[] = {
		"",
		"serving on 127.0.0.1:8080",
		"ts=2026-01-01T00:00:00.000Z level=loud where=main msg=\"x\"",
		"ts=2026-01-01T00:00:00.000Z level=notice where=main msg=\"an \"inner\" quote\"",
		"ts=2026-01-01T00:00:00.000Z level=notice where=main msg=\"bad \\q escape\"",
		"ts=2026-01-01T00:00:00.000Z level=notice where=main msg=\"unclosed",
		"ts=2026-01-01T00:00:00.000Z level=notice where=main msg=\"x\" extra=1",
		"ts=2026-01-01T00:00:00.000Z level=notice where=a b msg=\"x\"",
	};
	char path[300], line[8192];
	int lines = 0;
	FILE *f;

	assert_true(itest_log_line_ok("<5>ts=2026-01-01T00:00:00.000Z level=notice where=main "
				      "msg=\"a \\\"quoted\\\" \\\\ \\x01 word\""));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (itest_log_line_ok(bad[i]))
			fail_msg("the log line parser takes a malformed line: %s", bad[i]);
	snprintf(path, sizeof path, "%s/adviced.log", h->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		size_t n = strlen(line);

		if (n == 0 || line[n - 1] != '\n')
			fail_msg("adviced.log: line %d is cut or has no line feed", lines + 1);
		line[n - 1] = '\0';
		lines++;
		if (!itest_log_line_ok(line))
			fail_msg("adviced.log: line %d is not of the log's format: %s", lines, line);
	}
	fclose(f);
	assert_true(lines > 0);
}

/* --- End-to-end encryption: the client's steps --- */

char *itest_slurp(FILE *f)
{
	long n;
	char *buf;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	return buf;
}

void itest_run_argv(char *const argv[], const char *input, struct itest_run *r)
{
	FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
	int status;
	pid_t pid;

	assert_true(in != NULL && out != NULL && err != NULL);
	if (input != NULL) {
		assert_int_equal(fputs(input, in) >= 0, 1);
		assert_int_equal(fflush(in), 0);
		rewind(in);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(input != NULL ? fileno(in) : nul, 0);
		dup2(fileno(out), 1);
		dup2(fileno(err), 2);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->out = itest_slurp(out);
	r->err = itest_slurp(err);
	fclose(in);
	fclose(out);
	fclose(err);
}

void itest_run_free(struct itest_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *itest_ctl(const char *input, const char *fmt, ...)
{
	char args[1024], cmd[2048], *out = calloc(1, 4096);
	va_list ap;
	FILE *p;
	size_t n;

	assert_non_null(out);
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	if (input != NULL)
		snprintf(cmd, sizeof cmd, "printf '%%s\\n' '%s' | \"%s\" %s", input, getenv("ADVICECTL"),
			 args);
	else
		snprintf(cmd, sizeof cmd, "\"%s\" %s", getenv("ADVICECTL"), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 4095, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	return out;
}

void itest_demo_root_pk(const char *dir, uint8_t root_pk[32])
{
	char path[300], line[128];
	uint8_t *pk = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/root.pub", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(advice_b64url_decode(line, &pk, &len), 0);
	assert_int_equal(len, 32);
	memcpy(root_pk, pk, 32);
	free(pk);
}

/* The demo's keys (advicectl init --demo): the root public key pinned from DIR/root.pub, the
 * root and admin key files in DIR/secrets. */
static void keys_setup(struct itest_e2e *e)
{
	snprintf(e->root_file, sizeof e->root_file, "%s/secrets/demo-root.key", e->h.dir);
	snprintf(e->admin_file, sizeof e->admin_file, "%s/secrets/demo-admin.key", e->h.dir);
	itest_demo_root_pk(e->h.dir, e->root_pk);
}

/* Turns envelope enforcement on (test mode leaves it off) and restarts the server. */
static void require_envelopes(struct harness *h)
{
	char path[512], *text, *at;
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/adviced.conf", h->dir);
	f = fopen(path, "r+");
	assert_non_null(f);
	text = calloc(1, 65536);
	assert_non_null(text);
	len = fread(text, 1, 65535, f);
	at = strstr(text, "require_envelopes = no");
	assert_non_null(at);
	memcpy(at + strlen("require_envelopes = "), "on", 2); /* "no" -> "on": same length */
	rewind(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	free(text);
	assert_int_equal(harness_restart(h), 0);
}

void itest_e2e_start(struct itest_e2e *e)
{
	assert_int_equal(advice_crypto_init(), 0);
	assert_int_equal(harness_start(&e->h), 0);
	require_envelopes(&e->h);
	keys_setup(e);
}

/* A WebSocket with the session of a login. */
static struct advice_conn *session_conn(struct harness *h, char *session)
{
	struct advice_conn *k = harness_connect(h, session);

	assert_non_null(k);
	free(session);
	return k;
}

struct advice_conn *itest_citizen(struct harness *h, const char *hetu)
{
	char *session = NULL;

	assert_int_equal(harness_login_citizen(h, hetu, &session), 0);
	return session_conn(h, session);
}

struct advice_conn *itest_worker(struct harness *h, const char *name)
{
	char *session = NULL;

	assert_int_equal(harness_login_worker(h, name, &session), 0);
	return session_conn(h, session);
}

char *itest_b64(const void *data, size_t len)
{
	char *s = advice_b64url_encode(data, len);

	assert_non_null(s);
	return s;
}

uint8_t *itest_unb64(json_t *j, size_t *len)
{
	uint8_t *d = NULL;

	assert_int_equal(advice_b64url_decode(json_string_value(j), &d, len), 0);
	return d;
}

void itest_unb64_fixed(json_t *j, uint8_t *out, size_t want)
{
	size_t len = 0;
	uint8_t *d = itest_unb64(j, &len);

	assert_int_equal(len, want);
	memcpy(out, d, want);
	free(d);
}

static uint64_t wall_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

/* The first admin certificate of `certs` that verifies under the root: 0 with its bytes and
 * signing key, or -1. */
static int admin_cert_find(const uint8_t root_pk[32], json_t *certs, uint8_t cert[ADVICE_CERT_BYTES],
			   uint8_t admin_pk[32])
{
	struct advice_cert c;
	json_t *x;
	size_t i;

	json_array_foreach (certs, i, x) {
		uint8_t *d = NULL;
		size_t len = 0;
		int ok;

		if (advice_b64url_decode(json_string_value(x), &d, &len) != 0)
			continue;
		ok = len == ADVICE_CERT_BYTES &&
		     advice_cert_verify(d, len, NULL, 0, root_pk, wall_ms(), &c) == 0 &&
		     c.role == ADVICE_ROLE_ADMIN;
		if (ok) {
			memcpy(cert, d, ADVICE_CERT_BYTES);
			memcpy(admin_pk, c.sign_pk, 32);
		}
		free(d);
		if (ok)
			return 0;
	}
	return -1;
}

int itest_admin_key(const uint8_t root_pk[32], json_t *certs, uint8_t admin_pk[32])
{
	uint8_t cert[ADVICE_CERT_BYTES];

	return admin_cert_find(root_pk, certs, cert, admin_pk);
}

int itest_unit_current(json_t *gens, const uint8_t admin_pk[32], const char *unit_hex,
		       struct advice_unit_event *ev)
{
	uint8_t prev[ADVICE_UNIT_EVENT_MAX_BYTES], cur[ADVICE_UNIT_EVENT_MAX_BYTES], unit[16];
	size_t prev_len = 0, i;
	json_t *g;

	if (json_array_size(gens) < 1)
		return -1;
	json_array_foreach (gens, i, g) {
		uint8_t *e = NULL;
		size_t len = 0;

		if (advice_b64url_decode(json_string_value(json_object_get(g, "event")), &e, &len) != 0)
			return -1;
		if (len > sizeof cur) {
			free(e);
			return -1;
		}
		memcpy(cur, e, len);
		free(e);
		if (advice_unit_event_verify(cur, len, admin_pk, i ? prev : NULL, prev_len, ev) != 0)
			return -1;
		memcpy(prev, cur, len);
		prev_len = len;
	}
	if (unit_hex != NULL &&
	    (advice_unhex(unit, sizeof unit, unit_hex) != 0 || memcmp(unit, ev->unit_id, 16) != 0))
		return -1;
	return 0;
}

int itest_unit_key(const uint8_t root_pk[32], struct advice_conn *k, const char *category,
		   struct advice_unit_event *ev, json_t **served)
{
	uint8_t admin_pk[32];
	json_t *r = itest_request(k, "ok", "{\"type\":\"keys.unit\",\"id\":\"ku-%s\",\"category\":\"%s\"}",
				  category, category);
	int rc = itest_admin_key(root_pk, json_object_get(r, "certs"), admin_pk) == 0 &&
				 itest_unit_current(json_object_get(r, "generations"), admin_pk,
						    itest_str(r, "unit"), ev) == 0
			 ? 0
			 : -1;

	if (served != NULL)
		*served = r;
	else
		json_decref(r);
	return rc;
}

void itest_device_new(struct advice_conn *k, struct advice_keys *id, uint8_t *id_seed,
		      struct advice_keys *dev, const char *rid)
{
	static const uint8_t zero[32];
	struct advice_device_cert c = { .created_at = wall_ms() };
	uint8_t seed[32], cert[ADVICE_DEVICE_CERT_BYTES];
	int fresh = memcmp(id->sign_pk, zero, 32) == 0;
	char *s;

	if (fresh) {
		advice_random(seed, 32);
		advice_keys_personal(id, seed);
		if (id_seed != NULL)
			memcpy(id_seed, seed, 32);
	}
	advice_random(seed, 32);
	advice_keys_personal(dev, seed);
	memcpy(c.device_sign_pk, dev->sign_pk, 32);
	memcpy(c.device_box_pk, dev->box_pk, 32);
	assert_int_equal(advice_device_cert_sign(cert, &c, id), 0);
	s = itest_b64(cert, sizeof cert);
	json_decref(itest_request(k, "ok", "{\"type\":\"%s\",\"id\":\"%s\",\"cert\":\"%s\"}",
				  fresh ? "identity.add" : "device.add", rid, s));
	free(s);
}

char *itest_envelope_b64(const char *thread, const uint8_t tkey[32], const uint8_t share[32],
			 const struct advice_keys *sender, const char *text)
{
	return itest_envelope_after(NULL, thread, tkey, share, sender, text);
}

char *itest_envelope_after(const struct advice_thread *order, const char *thread, const uint8_t tkey[32],
			   const uint8_t share[32], const struct advice_keys *sender, const char *text)
{
	uint8_t content[1024], mkey[32], kid[16], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	char *s;

	assert_non_null(env);
	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.sender_seq = 1;
	if (order != NULL) {
		advice_kid(kid, sender->sign_pk);
		advice_thread_next(order, kid, &h.sender_seq, h.prev_hash);
	}
	h.created_at = 1770000000000ULL;
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, text, strlen(text)),
			 0);
	assert_int_equal(advice_thread_msg_key(mkey, tkey, h.thread_id, 0, share), 0);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, sender),
		0);
	s = itest_b64(env, elen);
	free(env);
	return s;
}

char *itest_envelope_text(json_t *body, const char *thread, const uint8_t tkey[32], const uint8_t share[32],
			  const uint8_t sender_pk[32])
{
	uint8_t tid[16], mkey[32], *plain = malloc(ADVICE_ENVELOPE_MAX_BYTES), *env;
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_envelope_hdr h;
	size_t len = 0, plen = 0, n = 0, tlen = 0;
	const uint8_t *text;
	char *out = NULL;

	assert_non_null(plain);
	advice_unhex(tid, 16, thread);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	env = itest_unb64(body, &len);
	if (advice_envelope_open(plain, ADVICE_ENVELOPE_MAX_BYTES, &plen, &h, env, len, tid, mkey,
				 sender_pk) == 0 &&
	    advice_content_decode(plain, plen, files, &n, &text, &tlen) == 0)
		out = strndup((const char *)text, tlen);
	free(env);
	free(plain);
	return out;
}

/* The reader's callback: a device of the thread's citizen, or a staff certificate of the
 * last thread.read that chains to the pinned root now. */
static int reader_sender(void *arg, const struct advice_envelope_hdr *h, uint8_t sign_pk[32])
{
	struct itest_reader *r = arg;
	struct advice_cert c;
	uint8_t kid[16];

	for (size_t i = 0; i < r->ndevices; i++) {
		advice_kid(kid, r->devices[i]);
		if (memcmp(kid, h->sender_kid, 16) == 0) {
			memcpy(sign_pk, r->devices[i], 32);
			return 0;
		}
	}
	if (advice_cert_find(r->certs, r->ncerts, h->sender_kid, r->root_pk, (uint64_t)time(NULL) * 1000,
			     &c) != 0)
		return -1;
	memcpy(sign_pk, c.sign_pk, 32);
	return 0;
}

void itest_reader_init(struct itest_reader *r, const uint8_t root_pk[32], const char *thread)
{
	uint8_t tid[16];

	memset(r, 0, sizeof *r);
	memcpy(r->root_pk, root_pk, 32);
	assert_int_equal(advice_unhex(tid, 16, thread), 0);
	r->order = advice_thread_new(tid, reader_sender, r);
	assert_non_null(r->order);
}

void itest_reader_free(struct itest_reader *r)
{
	advice_thread_free(r->order);
	r->order = NULL;
}

/* Whether the thread.keys reply lists an identity with this signing key. */
static int reply_has_identity(json_t *keys_reply, const uint8_t sign_pk[32])
{
	uint8_t pk[32];
	json_t *d;
	size_t i;

	json_array_foreach (json_object_get(keys_reply, "identities"), i, d) {
		itest_unb64_fixed(json_object_get(d, "sign_pk"), pk, 32);
		if (memcmp(pk, sign_pk, 32) == 0)
			return 1;
	}
	return 0;
}

void itest_reader_keys(struct itest_reader *r, json_t *keys_reply)
{
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];
	struct advice_device_cert c;
	json_t *d;
	size_t i;

	r->ndevices = 0;
	json_array_foreach (json_object_get(keys_reply, "devices"), i, d) {
		itest_unb64_fixed(json_object_get(d, "cert"), cert, sizeof cert);
		if (r->ndevices < 16 && advice_device_cert_verify(cert, sizeof cert, &c) == 0 &&
		    reply_has_identity(keys_reply, c.identity_sign_pk))
			memcpy(r->devices[r->ndevices++], c.device_sign_pk, 32);
	}
}

size_t itest_reader_feed(struct itest_reader *r, json_t *read_reply, int *verdicts, uint8_t (*sign_pks)[32],
			 size_t max)
{
	json_t *msgs = json_object_get(read_reply, "messages"), *m, *c;
	size_t i;

	json_array_foreach (json_object_get(read_reply, "certs"), i, c)
		if (r->ncerts < 32)
			itest_unb64_fixed(c, r->certs + ADVICE_CERT_BYTES * r->ncerts++, ADVICE_CERT_BYTES);
	json_array_foreach (msgs, i, m) {
		struct advice_envelope_hdr h;
		size_t len = 0;
		uint8_t *env;

		if (i >= max)
			break;
		env = itest_unb64(json_object_get(m, "body"), &len);
		verdicts[i] = advice_thread_add(r->order, env, len, &h);
		assert_true(verdicts[i] >= 0);
		if (ADVICE_THREAD_ACCEPTED(verdicts[i]))
			assert_int_equal(reader_sender(r, &h, sign_pks[i]), 0);
		free(env);
	}
	return json_array_size(msgs);
}

void itest_wrap_put(struct advice_conn *k, const char *rid, const char *thread, const uint8_t *recipient_box,
		    const uint8_t tkey[32], const struct advice_keys *signer, const char *expect)
{
	uint8_t w[ADVICE_WRAP_BYTES], tid[16], eph[32];
	char *s;

	advice_unhex(tid, 16, thread);
	advice_random(eph, 32);
	assert_int_equal(
		advice_wrap_seal(w, ADVICE_WRAP_THREAD_KEY, tid, 0, recipient_box, tkey, eph, signer), 0);
	s = itest_b64(w, sizeof w);
	json_decref(itest_request(
		k, expect, "{\"type\":\"wrap.put\",\"id\":\"%s\",\"thread\":\"%s\",\"wraps\":[\"%s\"]}", rid,
		thread, s));
	free(s);
}

/* Waits for the file.chunk event of `index`; returns its code (malloc'd). */
static char *chunk_event(struct advice_conn *k, long index)
{
	char *text = NULL, *code = NULL;

	while (code == NULL && advice_next_message(k, &text, HARNESS_TIMEOUT_MS) == 0) {
		json_t *j = json_loads(text, 0, NULL);

		if (j != NULL && strcmp(itest_str(j, "event") ?: "", "file.chunk") == 0 &&
		    itest_num(j, "index") == index)
			code = strdup(itest_str(j, "code"));
		json_decref(j);
		free(text);
	}
	assert_non_null(code);
	return code;
}

void itest_chunk_send(struct advice_conn *k, const uint8_t file_id[16], uint32_t index, const uint8_t *ct,
		      size_t len, const char *expect)
{
	uint8_t *m = malloc(24 + len);
	char *code;

	assert_non_null(m);
	memcpy(m, "QC\x01\x00", 4);
	memcpy(m + 4, file_id, 16);
	for (int i = 0; i < 4; i++)
		m[20 + i] = (uint8_t)(index >> (8 * i));
	memcpy(m + 24, ct, len);
	assert_int_equal(advice_send_raw(k, m, 24 + len, ADVICE_FRAME_BINARY), 0);
	code = chunk_event(k, index);
	assert_string_equal(code, expect);
	free(code);
	free(m);
}

void itest_citizen_open(struct itest_e2e *e, struct advice_conn *k, const struct advice_keys *id,
			const struct advice_keys *dev, const char *rid, const char *text, char thread[33],
			uint8_t tkey[32], uint8_t share[32])
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	char *body, rq[64];
	json_t *r;

	assert_non_null(ev);
	assert_int_equal(itest_unit_key(e->root_pk, k, "adult-social-work", ev, NULL), 0);
	r = itest_request(k, "ok", "{\"type\":\"thread.prepare\",\"id\":\"%s-p\"}", rid);
	snprintf(thread, 33, "%s", itest_str(r, "thread"));
	itest_unb64_fixed(json_object_get(r, "share"), share, 32);
	json_decref(r);
	advice_random(tkey, 32);
	body = itest_envelope_b64(thread, tkey, share, dev, text);
	json_decref(
		itest_request(k, "ok",
			      "{\"type\":\"thread.open\",\"id\":\"%s-o\",\"category\":\"adult-social-work\","
			      "\"thread\":\"%s\","
			      "\"body\":\"%s\"}",
			      rid, thread, body));
	free(body);
	snprintf(rq, sizeof rq, "%s-wu", rid);
	itest_wrap_put(k, rq, thread, ev->box_pk, tkey, dev, "ok");
	snprintf(rq, sizeof rq, "%s-wi", rid);
	itest_wrap_put(k, rq, thread, id->box_pk, tkey, dev, "ok");
	free(ev);
}

/* The admin-signed events of one unit's generations (keys.mine "units"), each verified
 * under the admin's key and following the one before: evs[g - 1] is generation g. Returns
 * how many (at most max). */
static size_t unit_events(json_t *unit, const uint8_t admin_pk[32], struct advice_unit_event *evs, size_t max)
{
	uint8_t *prev = NULL, *cur;
	size_t prev_len = 0, len, i, n = 0;
	json_t *g;

	json_array_foreach (json_object_get(unit, "generations"), i, g) {
		if (n == max)
			break;
		cur = itest_unb64(json_object_get(g, "event"), &len);
		assert_int_equal(advice_unit_event_verify(cur, len, admin_pk, prev, prev_len, &evs[n]), 0);
		free(prev);
		prev = cur;
		prev_len = len;
		n++;
	}
	free(prev);
	return n;
}

/* Opens the unit seeds of keys.mine, each checked against its generation's signed event,
 * walking back through each unit's chain boxes (every older seed checked the same way). */
static void worker_seeds(struct itest_worker *w, json_t *r)
{
	uint8_t seed[32], wrap[ADVICE_WRAP_BYTES], chain[32];
	struct advice_wrap_info wi;
	struct advice_unit_event *evs = calloc(4, sizeof *evs);
	json_t *s, *u;
	size_t i, j;

	assert_non_null(evs);
	json_array_foreach (json_object_get(r, "seeds"), i, s) {
		size_t nev = 0;

		itest_unb64_fixed(json_object_get(s, "wrap"), wrap, sizeof wrap);
		assert_int_equal(advice_wrap_parse(wrap, sizeof wrap, &wi), 0);
		json_array_foreach (json_object_get(r, "units"), j, u)
			if (strcmp(itest_str(u, "unit"), itest_str(s, "unit")) == 0)
				nev = unit_events(u, w->admin_pk, evs, 4);
		assert_true(wi.epoch >= 1 && wi.epoch <= nev);
		assert_int_equal(advice_unit_seed_open(seed, &w->gens[w->ngens], chain, wrap, sizeof wrap,
						       &evs[wi.epoch - 1], &w->me, w->admin_pk),
				 0);
		for (uint32_t g = wi.epoch; g > 1 && w->ngens < 3; g--) {
			uint8_t box[ADVICE_CHAIN_BYTES], prev[32];
			json_t *gj = NULL;

			json_array_foreach (json_object_get(r, "units"), j, u)
				if (strcmp(itest_str(u, "unit"), itest_str(s, "unit")) == 0)
					gj = json_array_get(json_object_get(u, "generations"), g - 1);
			assert_non_null(gj);
			itest_unb64_fixed(json_object_get(gj, "chain"), box, sizeof box);
			assert_int_equal(
				advice_chain_open(prev, box, sizeof box, evs[g - 1].unit_id, g, chain), 0);
			w->ngens++;
			assert_int_equal(advice_unit_seed_check(prev, &evs[g - 2], &w->gens[w->ngens], chain),
					 0);
		}
		w->ngens++;
	}
	free(evs);
}

void itest_worker_keys(struct itest_e2e *e, struct advice_conn *k, const char *password,
		       struct itest_worker *w)
{
	uint8_t bundle[ADVICE_BUNDLE_BYTES], master[32], bkey[32], seed[32];
	struct advice_bundle_info bi;
	json_t *r;

	memset(w, 0, sizeof *w);
	r = itest_request(k, "ok", "{\"type\":\"keys.mine\",\"id\":\"mine\"}");
	assert_int_equal(admin_cert_find(e->root_pk, json_object_get(r, "certs"), w->admin_cert, w->admin_pk),
			 0);
	itest_unb64_fixed(json_object_get(r, "bundle"), bundle, sizeof bundle);
	assert_int_equal(advice_bundle_parse(bundle, sizeof bundle, &bi), 0);
	assert_int_equal(advice_password_master(master, password, bi.salt, bi.opslimit, bi.memlimit), 0);
	advice_bundle_key(bkey, master);
	assert_int_equal(advice_bundle_open(seed, bundle, sizeof bundle, bi.user_id, bkey), 0);
	advice_keys_personal(&w->me, seed);
	worker_seeds(w, r);
	json_decref(r);
}

int itest_worker_thread_key(struct itest_e2e *e, struct advice_conn *k, const struct itest_worker *w,
			    const char *thread, uint8_t tkey[32], uint8_t share[32], uint8_t citizen_pk[32])
{
	uint8_t wrap[ADVICE_WRAP_BYTES], signers[8][32], cert[ADVICE_CERT_BYTES], tid[ADVICE_OID_BYTES];
	struct advice_wrap_info wi;
	struct advice_cert c;
	json_t *r = itest_request(k, "ok", "{\"type\":\"thread.keys\",\"id\":\"tk-%s\",\"thread\":\"%s\"}",
				  thread, thread),
	       *x;
	size_t i, n = 0;
	int rc = -1;

	itest_unb64_fixed(json_object_get(r, "share"), share, 32);
	json_array_foreach (json_object_get(r, "devices"), i, x) {
		uint8_t dcert[ADVICE_DEVICE_CERT_BYTES];
		struct advice_device_cert dc;

		itest_unb64_fixed(json_object_get(x, "cert"), dcert, sizeof dcert);
		if (n < 8 && advice_device_cert_verify(dcert, sizeof dcert, &dc) == 0) {
			if (n == 0)
				memcpy(citizen_pk, dc.device_sign_pk, 32);
			memcpy(signers[n++], dc.device_sign_pk, 32);
		}
	}
	json_array_foreach (json_object_get(r, "certs"), i, x) {
		itest_unb64_fixed(x, cert, sizeof cert);
		if (n < 8 && advice_cert_verify(cert, sizeof cert, w->admin_cert, sizeof w->admin_cert,
						e->root_pk, wall_ms(), &c) == 0)
			memcpy(signers[n++], c.sign_pk, 32);
	}
	assert_int_equal(advice_unhex(tid, sizeof tid, thread), 0);
	json_array_foreach (json_object_get(r, "wraps"), i, x) {
		itest_unb64_fixed(x, wrap, sizeof wrap);
		for (size_t g = 0; g < w->ngens && rc != 0; g++)
			for (size_t si = 0; si < n && rc != 0; si++)
				if (advice_wrap_open(tkey, &wi, wrap, sizeof wrap, ADVICE_WRAP_THREAD_KEY,
						     tid, 0, &w->gens[g], signers[si]) == 0)
					rc = 0;
	}
	json_decref(r);
	return rc;
}

/* Starts one adviced into *state; `demo_totp` as harness_start_with. */
static int group_setup(void **state, int demo_totp)
{
	struct harness *h = calloc(1, sizeof *h);

	if (h == NULL)
		return -1;
	if (harness_start_with(h, demo_totp, NULL) != 0) {
		harness_stop(h);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

int itest_group_setup(void **state)
{
	return group_setup(state, 0);
}

int itest_group_setup_demo_totp(void **state)
{
	return group_setup(state, 1);
}

int itest_group_teardown(void **state)
{
	int rc = *state != NULL ? harness_stop(*state) : 0;

	free(*state);
	return rc;
}

void itest_copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (in < 0 || out < 0)
		fail_msg("cannot copy %s to %s: %s", from, to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(fchmod(out, mode), 0);
	assert_int_equal(close(out), 0);
}
