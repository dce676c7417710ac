/*
 * main.c - advice-connector: the records connector's command line.
 *
 *   advice-connector keygen KEYFILE             a new 32-byte seed (mode 600); prints the keys
 *   advice-connector run --config FILE | flags  hands consented, closed threads over
 *   advice-connector export --config FILE | flags  makes the open export orders (one round):
 *                                                  a zip each in the target folder
 *
 * The settings (a file of "name = value" lines, or --name value flags): server (http://host:port),
 * origin, key (the key file), root_pk (the municipal root's Ed25519 key, base64url), state (the
 * state folder: journal and work), adapter (directory | http | command), target (folder, URL or
 * program), recipient, basis, dataset (what the disclosure log records), interval (seconds
 * between polls), once (1: one round, then exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "connector_run.h"

struct settings {
	char server[512], origin[512], key[1024], root_pk[64], state[1024], adapter[16], target[1024];
	char recipient[200], basis[200], dataset[200];
	int interval, once;
};

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: advice-connector keygen KEYFILE\n"
		"       advice-connector run [--config FILE] [--server URL] [--origin URL] [--key FILE]\n"
		"            [--root-pk B64] [--state DIR] [--adapter directory|http|command] [--target T]\n"
		"            [--recipient TEXT] [--basis TEXT] [--dataset TEXT] [--interval S] [--once]\n"
		"       advice-connector export (the settings of run; target: the folder for the zips)\n");
	return 2;
}

static int keygen(const char *path)
{
	uint8_t seed[ADVICE_KEY_BYTES];
	struct advice_keys k;
	char fp[ADVICE_FINGERPRINT_CHARS + 1], *box, *sign;
	int fd;

	advice_random(seed, sizeof seed);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, seed, sizeof seed) != (ssize_t)sizeof seed || fsync(fd) != 0 ||
	    close(fd) != 0) {
		fprintf(stderr, "advice-connector: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	advice_keys_personal(&k, seed);
	sodium_memzero(seed, sizeof seed);
	box = advice_b64url_encode(k.box_pk, sizeof k.box_pk);
	sign = advice_b64url_encode(k.sign_pk, sizeof k.sign_pk);
	advice_key_fingerprint(fp, k.sign_pk, k.box_pk);
	printf("box_pk %s\nsign_pk %s\nfingerprint %s\n", box, sign, fp);
	free(box);
	free(sign);
	sodium_memzero(&k, sizeof k);
	return 0;
}

/* Sets one setting by name. 0 or -1 (unknown name, value too long). */
static int setting(struct settings *s, const char *name, const char *value)
{
	struct {
		const char *name;
		char *dst;
		size_t size;
	} text[] = {
		{ "server", s->server, sizeof s->server }, { "origin", s->origin, sizeof s->origin },
		{ "key", s->key, sizeof s->key },	   { "root_pk", s->root_pk, sizeof s->root_pk },
		{ "state", s->state, sizeof s->state },	   { "adapter", s->adapter, sizeof s->adapter },
		{ "target", s->target, sizeof s->target }, { "recipient", s->recipient, sizeof s->recipient },
		{ "basis", s->basis, sizeof s->basis },	   { "dataset", s->dataset, sizeof s->dataset },
	};

	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		if (strcmp(name, text[i].name) == 0)
			return snprintf(text[i].dst, text[i].size, "%s", value) < (int)text[i].size ? 0 : -1;
	if (strcmp(name, "interval") == 0)
		return (s->interval = atoi(value)) > 0 ? 0 : -1;
	if (strcmp(name, "once") == 0)
		return s->once = atoi(value), 0;
	return -1;
}

static int read_config(struct settings *s, const char *path)
{
	char line[2048];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (f == NULL) {
		fprintf(stderr, "advice-connector: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *eq = strchr(line, '='), *name = line, *value, *end;

		n++;
		line[strcspn(line, "\r\n")] = '\0';
		while (*name == ' ' || *name == '\t')
			name++;
		if (*name == '#' || *name == '\0')
			continue;
		if (eq == NULL)
			goto bad;
		*eq = '\0';
		for (end = eq - 1; end >= name && (*end == ' ' || *end == '\t'); end--)
			*end = '\0';
		for (value = eq + 1; *value == ' ' || *value == '\t'; value++)
			;
		if (setting(s, name, value) != 0)
			goto bad;
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "advice-connector: %s line %d: not a setting (name = value)\n", path, n);
	fclose(f);
	return -1;
}

static int load_key(const char *path, struct advice_keys *k)
{
	uint8_t *seed = NULL;
	size_t len = 0;
	int rc;

	if (fs_read_file(path, &seed, &len) != 0 || len != ADVICE_KEY_BYTES) {
		fprintf(stderr, "advice-connector: %s is not a 32-byte key file\n", path);
		free(seed);
		return -1;
	}
	rc = advice_keys_personal(k, seed);
	sodium_memzero(seed, len);
	free(seed);
	return rc;
}

/*
 * Reports a delivered hand-over (handover.done) and records it done: the server's ok, or
 * conflict (reported before, by a run that crashed before its journal line). 0 when done, -1
 * when the server refused or did not answer (it stays delivered and is reported again).
 */
static int report(struct conn_ctx *ctx, const struct settings *s, const struct adapter *a, struct journal *j,
		  const char *thread, json_int_t epoch, const char *id, const char *digest)
{
	json_t *rep;
	int rc;

	rep = conn_call(ctx, "handover.done",
			json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "thread", thread, "epoch", epoch,
				  "recipient", s->recipient, "basis", s->basis, "dataset", s->dataset,
				  "method", adapter_method(a), "digest", digest),
			&rc);
	json_decref(rep);
	if (rc != 0 && rc != -ADVICE_ERR_CONFLICT) {
		fprintf(stderr, "advice-connector: %s: handover.done: %s\n", id, advice_err_name(-rc));
		return -1;
	}
	if (journal_put(j, id, JOURNAL_DONE, digest) != 0) {
		fprintf(stderr, "advice-connector: the journal cannot be written: %s\n", strerror(errno));
		exit(1);
	}
	printf("advice-connector: %s handed over (%s)\n", id, digest);
	fflush(stdout);
	return 0;
}

/* The work folder of a hand-over id. */
static void work_dir(const struct settings *s, const char *id, char *dir, size_t size)
{
	snprintf(dir, size, "%s/work/%s", s->state, id);
}

/*
 * Reports every hand-over the journal has as delivered but not done: a crash between the
 * adapter and handover.done's reply. The server then no longer lists it as pending when its
 * report went through, so the journal, not handover.pending, says what is left.
 */
static void report_delivered(struct conn_ctx *ctx, const struct settings *s, const struct adapter *a,
			     struct journal *j)
{
	enum { CAP = 64 };
	char(*ids)[CONN_ID_MAX] = calloc(CAP, CONN_ID_MAX),
	(*digests)[2 * ADVICE_HASH_BYTES + 1] = calloc(CAP, 2 * ADVICE_HASH_BYTES + 1);
	char thread[33], dir[1200];
	size_t n = ids && digests ? journal_delivered(j, ids, digests, CAP) : 0;

	for (size_t i = 0; i < n && !stopping; i++) {
		const char *dash = strrchr(ids[i], '-');

		if (dash == NULL || dash - ids[i] != 32)
			continue;
		snprintf(thread, sizeof thread, "%.32s", ids[i]);
		if (report(ctx, s, a, j, thread, strtoll(dash + 1, NULL, 10), ids[i], digests[i]) == 0) {
			work_dir(s, ids[i], dir, sizeof dir);
			bundle_remove(dir);
		}
	}
	free(ids);
	free(digests);
}

/* One hand-over: bundle, adapter, journal (delivered), handover.done, journal (done). */
static void hand_over(struct conn_ctx *ctx, const struct settings *s, const struct adapter *a,
		      struct journal *j, json_t *p)
{
	const char *thread = json_string_value(json_object_get(p, "thread"));
	json_int_t epoch = json_integer_value(json_object_get(p, "epoch"));
	char id[CONN_ID_MAX], dir[1200], digest[2 * ADVICE_HASH_BYTES + 1], err[512];
	struct bundle *b = calloc(1, sizeof *b);
	json_t *doc;
	int rc;

	if (b == NULL || thread == NULL || strlen(thread) != 32)
		goto out;
	snprintf(id, sizeof id, "%s-%lld", thread, (long long)epoch);
	work_dir(s, id, dir, sizeof dir);
	if (journal_get(j, id, digest) == JOURNAL_NONE) {
		if (bundle_begin(b, dir, id) != 0) {
			fprintf(stderr, "advice-connector: %s: the work folder cannot be made: %s\n", id,
				strerror(errno));
			goto out;
		}
		if ((doc = conn_read_thread(ctx, p, 1, b, err, sizeof err)) == NULL) {
			fprintf(stderr, "advice-connector: %s: not handed over: %s\n", id, err);
			goto out;
		}
		rc = bundle_finish(b, doc, digest);
		json_decref(doc);
		if (rc != 0 || adapter_deliver(a, dir, id, err, sizeof err) != 0) {
			fprintf(stderr, "advice-connector: %s: not delivered: %s\n", id,
				rc ? "the bundle cannot be written" : err);
			goto out;
		}
		if (journal_put(j, id, JOURNAL_DELIVERED, digest) != 0) {
			fprintf(stderr, "advice-connector: the journal cannot be written: %s\n",
				strerror(errno));
			exit(1);
		}
	}
	if (report(ctx, s, a, j, thread, epoch, id, digest) == 0)
		bundle_remove(dir);
out:
	free(b);
}

/* Export orders the journal has as delivered and the server no longer lists as open were
 * closed by their export.done (its answer lost in a crash): done. */
static void exports_closed(struct journal *j, json_t *orders)
{
	enum { CAP = 64 };
	char(*ids)[CONN_ID_MAX] = calloc(CAP, CONN_ID_MAX),
	(*digests)[2 * ADVICE_HASH_BYTES + 1] = calloc(CAP, 2 * ADVICE_HASH_BYTES + 1);
	size_t n = ids && digests ? journal_delivered(j, ids, digests, CAP) : 0, i, k;
	json_t *o;

	for (i = 0; i < n; i++) {
		int open = 0;

		if (strncmp(ids[i], "export-", 7) != 0)
			continue;
		json_array_foreach (orders, k, o)
			open |= strcmp(json_string_value(json_object_get(o, "order")) ?: "", ids[i] + 7) == 0;
		if (!open && journal_put(j, ids[i], JOURNAL_DONE, digests[i]) != 0)
			exit(1);
	}
	free(ids);
	free(digests);
}

/* One round of export orders: each open order made into its zip in the target folder
 * (export.c), recorded delivered, reported with export.done, recorded done. 0 when every
 * order was exported, -1 otherwise. */
static int export_round(struct conn_ctx *ctx, const struct settings *s, struct journal *j)
{
	char work[1200], id[CONN_ID_MAX], digest[2 * ADVICE_HASH_BYTES + 1], err[512];
	json_t *pending = conn_call(ctx, "export.pending", NULL, NULL), *orders, *o, *rep;
	int failed = 0, files, rc;
	size_t i;

	if (pending == NULL) {
		fprintf(stderr, "advice-connector: export.pending failed\n");
		return -1;
	}
	orders = json_object_get(pending, "orders");
	exports_closed(j, orders);
	snprintf(work, sizeof work, "%s/work", s->state);
	json_array_foreach (orders, i, o) {
		const char *order = json_string_value(json_object_get(o, "order"));

		if (order == NULL || stopping)
			continue;
		snprintf(id, sizeof id, "export-%s", order);
		if (conn_export_order(ctx, o, work, s->target, digest, &files, err, sizeof err) != 0) {
			fprintf(stderr, "advice-connector: export %s: not made: %s\n", order, err);
			failed++;
			continue;
		}
		if (journal_put(j, id, JOURNAL_DELIVERED, digest) != 0) {
			fprintf(stderr, "advice-connector: the journal cannot be written: %s\n",
				strerror(errno));
			exit(1);
		}
		rep = conn_call(
			ctx, "export.done",
			json_pack("{s:s, s:s, s:i}", "order", order, "digest", digest, "files", files), &rc);
		json_decref(rep);
		if (rc != 0 && rc != -ADVICE_ERR_CONFLICT) {
			fprintf(stderr, "advice-connector: export %s: export.done: %s\n", order,
				advice_err_name(-rc));
			failed++;
			continue;
		}
		if (journal_put(j, id, JOURNAL_DONE, digest) != 0)
			exit(1);
		printf("advice-connector: export %s done: %d files (%s)\n", order, files, digest);
		fflush(stdout);
	}
	json_decref(pending);
	return failed ? -1 : 0;
}

static int run(int argc, char **argv)
{
	struct settings s = { .interval = 30, .adapter = "directory" };
	struct conn_ctx ctx = { 0 };
	struct adapter a = { 0 };
	struct advice_client *c = NULL;
	struct journal *j = NULL;
	char path[1200], *session = NULL;
	uint8_t *root = NULL;
	size_t rootlen = 0;
	int kind, err = 0, status = 1, exporting = strcmp(argv[1], "export") == 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			if (read_config(&s, argv[++i]) != 0)
				return 2;
		} else if (strcmp(argv[i], "--once") == 0) {
			s.once = 1;
		} else if (strncmp(argv[i], "--", 2) == 0 && i + 1 < argc) {
			char name[32];

			snprintf(name, sizeof name, "%s", argv[i] + 2);
			for (char *p = name; *p; p++)
				if (*p == '-')
					*p = '_';
			if (setting(&s, name, argv[++i]) != 0)
				return usage();
		} else {
			return usage();
		}
	}
	if (exporting) {
		s.once = 1;
		if (!*s.server || !*s.key || !*s.root_pk || !*s.state || !*s.target) {
			fprintf(stderr,
				"advice-connector: server, key, root_pk, state and target are needed\n");
			return 2;
		}
	} else if (!*s.server || !*s.key || !*s.root_pk || !*s.state || !*s.target || !*s.recipient ||
		   !*s.basis || !*s.dataset) {
		fprintf(stderr, "advice-connector: server, key, root_pk, state, adapter, target, recipient, "
				"basis and dataset are needed\n");
		return 2;
	}
	if ((kind = adapter_kind_parse(s.adapter)) < 0) {
		fprintf(stderr, "advice-connector: adapter is directory, http or command\n");
		return 2;
	}
	a.kind = (enum adapter_kind)kind;
	snprintf(a.target, sizeof a.target, "%s", s.target);
	if (advice_b64url_decode(s.root_pk, &root, &rootlen) != 0 || rootlen != ADVICE_KEY_BYTES) {
		fprintf(stderr, "advice-connector: root_pk is not a base64url key of 32 bytes\n");
		free(root);
		return 2;
	}
	memcpy(ctx.root_pk, root, sizeof ctx.root_pk);
	free(root);
	snprintf(path, sizeof path, "%s/work", s.state);
	if (load_key(s.key, &ctx.me) != 0 || fs_mkdirs(path) != 0)
		return 1;
	snprintf(path, sizeof path, "%s/journal", s.state);
	if ((j = journal_open(path)) == NULL) {
		fprintf(stderr, "advice-connector: %s: %s\n", path,
			errno == EWOULDBLOCK ? "another advice-connector uses this state folder"
					     : strerror(errno));
		return 1;
	}
	snprintf(path, sizeof path, "%s/work", s.state);
	bundle_clear_work(path); /* what a crash left: made again when needed */
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if ((c = advice_client_new()) == NULL)
		goto out;
	while (!stopping) {
		json_t *pending, *p;
		size_t i;

		if (ctx.k == NULL || !advice_conn_is_open(ctx.k)) {
			advice_conn_free(ctx.k);
			free(session);
			session = NULL;
			ctx.k = NULL;
			if ((err = advice_login_connector(c, s.server, *s.origin ? s.origin : NULL, &ctx.me,
							  &session, 30000)) != 0 ||
			    (ctx.k = advice_connect(c, s.server, *s.origin ? s.origin : NULL, session, 30000,
						    &err)) == NULL)
				fprintf(stderr, "advice-connector: login: %s %s\n", advice_err_name(-err),
					advice_client_error_message(c, NULL));
		}
		if (exporting) {
			char why[256];

			if (ctx.k != NULL && conn_unit_keys(&ctx, why, sizeof why) != 0)
				fprintf(stderr, "advice-connector: unit keys: %s\n", why);
			status = ctx.k != NULL && export_round(&ctx, &s, j) == 0 ? 0 : 1;
			break;
		}
		if (ctx.k != NULL)
			report_delivered(&ctx, &s, &a, j);
		pending = ctx.k ? conn_call(&ctx, "handover.pending", NULL, &err) : NULL;
		json_array_foreach (json_object_get(pending, "threads"), i, p)
			if (!stopping)
				hand_over(&ctx, &s, &a, j, p);
		json_decref(pending);
		if (s.once) {
			status = ctx.k != NULL && pending != NULL ? 0 : 1;
			break;
		}
		for (int t = 0; t < s.interval * 10 && !stopping; t++)
			advice_client_service(c, 100);
		status = 0;
	}
out:
	advice_conn_free(ctx.k);
	advice_client_free(c);
	if (session)
		sodium_memzero(session, strlen(session));
	free(session);
	journal_close(j);
	sodium_memzero(&ctx.me, sizeof ctx.me);
	sodium_memzero(ctx.gens, sizeof ctx.gens);
	return status;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2 || advice_crypto_init() != 0)
		return usage();
	if (strcmp(argv[1], "keygen") == 0)
		return argc == 3 ? keygen(argv[2]) : usage();
	if (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "export") != 0)
		return usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = run(argc, argv);
	curl_global_cleanup();
	return rc;
}
