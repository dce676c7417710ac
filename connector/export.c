/*
 * export.c - one export order (PROTOCOL.md §14.5; the register keeper's export, GDPR 15 and
 * 20) into one zip: each of the citizen's threads read and checked as for a hand-over
 * (conn_read_thread, through the unit generations the connector holds) into a bundle named by
 * the thread id, export.json naming the order and each bundle's manifest digest, all zipped
 * into TARGET/export-<order>.zip (written under a dot name, fsynced, renamed). The same order
 * made again gives the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector_run.h"

#define EXPORT_FLAGS (JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

/* The work folder of one thread of an order. */
static void thread_dir(const char *work, const char *order, const char *thread, char *out, size_t size)
{
	snprintf(out, size, "%s/export-%s-%s", work, order, thread);
}

/* Reads one thread of the order into its bundle folder; its manifest digest and file count
 * (thread.json, attachments, manifest.json). 0 or -1 (err). */
static int export_thread(struct conn_ctx *ctx, const char *dir, const char *thread, json_t *citizen,
			 char digest[2 * ADVICE_HASH_BYTES + 1], json_int_t *epoch, int *files, char *err,
			 size_t errlen)
{
	struct bundle *b = calloc(1, sizeof *b);
	json_t *entry = json_pack("{s:s, s:O}", "thread", thread, "citizen", citizen), *doc = NULL;
	int rc = -1;

	if (b == NULL || entry == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (bundle_begin(b, dir, thread) != 0) {
		snprintf(err, errlen, "the work folder cannot be made: %s", strerror(errno));
		goto out;
	}
	if ((doc = conn_read_thread(ctx, entry, 0, b, err, errlen)) == NULL)
		goto out;
	*epoch = json_integer_value(json_object_get(doc, "epoch"));
	if (bundle_finish(b, doc, digest) != 0) {
		snprintf(err, errlen, "thread %s: the bundle cannot be written", thread);
		goto out;
	}
	*files = (int)b->n + 1; /* the manifest names thread.json and the attachments */
	rc = 0;
out:
	json_decref(doc);
	json_decref(entry);
	free(b);
	return rc;
}

int conn_export_order(struct conn_ctx *ctx, json_t *order, const char *work, const char *target,
		      char digest[2 * ADVICE_HASH_BYTES + 1], int *files, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(order, "order"));
	json_t *threads = json_object_get(order, "threads"), *list = json_array(), *t, *doc = NULL;
	char dir[1200], path[1200], final[1200], tmp[1200] = "", prefix[64], *text = NULL;
	uint8_t hash[ADVICE_HASH_BYTES];
	struct zip *z = NULL;
	size_t i;
	int rc = -1;

	*files = 0;
	if (id == NULL || strlen(id) != 32 || strchr(id, '/') != NULL || list == NULL) {
		snprintf(err, errlen, "an export order without a proper id");
		goto out;
	}
	json_array_foreach (threads, i, t) {
		char d[2 * ADVICE_HASH_BYTES + 1];
		json_int_t epoch = 0;
		int n = 0;

		if (!json_is_string(t) || strlen(json_string_value(t)) != 32) {
			snprintf(err, errlen, "an export order naming no thread id");
			goto out;
		}
		thread_dir(work, id, json_string_value(t), dir, sizeof dir);
		if (export_thread(ctx, dir, json_string_value(t), json_object_get(order, "citizen"), d,
				  &epoch, &n, err, errlen) != 0)
			goto out;
		json_array_append_new(list,
				      json_pack("{s:O, s:I, s:s}", "thread", t, "epoch", epoch, "digest", d));
		*files += n;
	}
	doc = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O}", "format", "advice-export-1", "order", id, "citizen",
			json_object_get(order, "citizen"), "recipient", json_object_get(order, "recipient"),
			"basis", json_object_get(order, "basis"), "threads", list);
	snprintf(path, sizeof path, "%s/export-%s.json", work, id);
	if (doc == NULL || (text = json_dumps(doc, EXPORT_FLAGS)) == NULL ||
	    fs_write_file(path, text, strlen(text)) != 0) {
		snprintf(err, errlen, "export.json cannot be written");
		goto out;
	}
	advice_hash(hash, text, strlen(text));
	advice_hex(digest, hash, sizeof hash);
	snprintf(tmp, sizeof tmp, "%s/.tmp-export-%s.zip", target, id);
	snprintf(final, sizeof final, "%s/export-%s.zip", target, id);
	if ((z = zip_create(tmp)) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	json_array_foreach (threads, i, t) {
		thread_dir(work, id, json_string_value(t), dir, sizeof dir);
		snprintf(prefix, sizeof prefix, "%s/", json_string_value(t));
		if (zip_bundle(z, dir, prefix) != 0)
			goto zip_failed;
	}
	if (zip_add_file(z, "export.json", path) != 0)
		goto zip_failed;
	rc = zip_close(z);
	z = NULL;
	if (rc != 0 || rename(tmp, final) != 0 || fs_sync_dir(target) != 0) {
		rc = -1;
		snprintf(err, errlen, "%s: %s", final, strerror(errno));
		goto out;
	}
	(*files)++; /* export.json */
	rc = 0;
	goto out;
zip_failed:
	snprintf(err, errlen, "the zip cannot be written");
out:
	if (z != NULL)
		zip_close(z);
	if (rc != 0 && tmp[0] != '\0')
		unlink(tmp);
	json_array_foreach (threads, i, t)
		if (json_is_string(t) && id != NULL) {
			thread_dir(work, id, json_string_value(t), dir, sizeof dir);
			bundle_remove(dir);
		}
	if (id != NULL) {
		snprintf(path, sizeof path, "%s/export-%s.json", work, id);
		unlink(path);
	}
	free(text);
	json_decref(doc);
	json_decref(list);
	return rc;
}
