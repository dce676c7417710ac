/*
 * adapter.c - how a bundle reaches the client record system. directory: the bundle is copied
 * into DIR/.tmp-<id>, fsynced, renamed to DIR/<id> and DIR fsynced (an existing DIR/<id> is a
 * hand-over done before); http: POST of the bundle as a zip with Idempotency-Key: <id>, any 2xx
 * is delivered (the receiver keeps the key, so a resend after a crash is not a second copy);
 * command: the program runs with the bundle folder and the id, exit 0 is delivered (the program
 * keeps the id to refuse a second copy itself).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "connector.h"

int adapter_kind_parse(const char *name)
{
	if (strcmp(name, "directory") == 0)
		return ADAPTER_DIRECTORY;
	if (strcmp(name, "http") == 0)
		return ADAPTER_HTTP;
	if (strcmp(name, "command") == 0)
		return ADAPTER_COMMAND;
	return -1;
}

const char *adapter_method(const struct adapter *a)
{
	return a->kind == ADAPTER_DIRECTORY ? "directory" : a->kind == ADAPTER_HTTP ? "http" : "command";
}

static int fail(char *err, size_t errlen, const char *what, const char *detail)
{
	snprintf(err, errlen, "%s: %s", what, detail);
	return -1;
}

static int deliver_directory(const struct adapter *a, const char *bundle_dir, const char *id, char *err,
			     size_t errlen)
{
	char(*paths)[128] = calloc(BUNDLE_MAX_FILES + 2, 128), final[1200], tmp[1200], src[1200], dst[1400];
	struct stat st;
	int n, rc = -1;

	if (paths == NULL)
		return fail(err, errlen, "directory", "out of memory");
	snprintf(final, sizeof final, "%s/%s", a->target, id);
	snprintf(tmp, sizeof tmp, "%s/.tmp-%s", a->target, id);
	if (stat(a->target, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(paths);
		return fail(err, errlen, "directory", "the target folder does not exist");
	}
	if (stat(final, &st) == 0) {
		free(paths);
		return 0; /* delivered before (the rename is the delivery) */
	}
	bundle_remove(tmp); /* a copy a crash left half made */
	n = bundle_list(bundle_dir, paths, BUNDLE_MAX_FILES + 2);
	if (n < 0 || snprintf(src, sizeof src, "%s/files", tmp) >= (int)sizeof src || fs_mkdirs(src) != 0) {
		fail(err, errlen, "directory", n < 0 ? "the bundle cannot be listed" : strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		uint8_t *data = NULL;
		size_t len = 0;

		snprintf(src, sizeof src, "%s/%s", bundle_dir, paths[i]);
		snprintf(dst, sizeof dst, "%s/%s", tmp, paths[i]);
		if (fs_read_file(src, &data, &len) != 0 || fs_write_file(dst, data, len) != 0) {
			free(data);
			fail(err, errlen, "directory", strerror(errno));
			goto out;
		}
		free(data);
	}
	if (snprintf(src, sizeof src, "%s/files", tmp) >= (int)sizeof src || fs_sync_dir(src) != 0 ||
	    fs_sync_dir(tmp) != 0 || rename(tmp, final) != 0 || fs_sync_dir(a->target) != 0) {
		fail(err, errlen, "directory", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(paths);
	return rc;
}

static size_t discard(void *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int deliver_http(const struct adapter *a, const char *bundle_dir, const char *id, char *err,
			size_t errlen)
{
	char zpath[1200], header[CONN_ID_MAX + 32];
	struct curl_slist *hs = NULL;
	struct zip *z;
	uint8_t *body = NULL;
	size_t len = 0;
	long status = 0;
	CURLcode cc;
	CURL *h;

	snprintf(zpath, sizeof zpath, "%s.zip", bundle_dir);
	if ((z = zip_create(zpath)) == NULL)
		return fail(err, errlen, "http", "cannot make the zip");
	if (zip_bundle(z, bundle_dir, "") != 0 || zip_close(z) != 0 ||
	    fs_read_file(zpath, &body, &len) != 0) {
		unlink(zpath);
		return fail(err, errlen, "http", "cannot make the zip");
	}
	unlink(zpath);
	if ((h = curl_easy_init()) == NULL) {
		free(body);
		return fail(err, errlen, "http", "curl");
	}
	snprintf(header, sizeof header, "Idempotency-Key: %s", id);
	hs = curl_slist_append(hs, header);
	hs = curl_slist_append(hs, "Content-Type: application/zip");
	curl_easy_setopt(h, CURLOPT_URL, a->target);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(a->timeout_s > 0 ? a->timeout_s : 60));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hs);
	free(body);
	if (cc != CURLE_OK)
		return fail(err, errlen, "http", curl_easy_strerror(cc));
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "http: the receiver answered %ld", status);
		return -1;
	}
	return 0;
}

static int deliver_command(const struct adapter *a, const char *bundle_dir, const char *id, char *err,
			   size_t errlen)
{
	int status = 0, waited = 0, limit = (a->timeout_s > 0 ? a->timeout_s : 300) * 10;
	struct timespec tick = { 0, 100000000 };
	pid_t pid = fork(), r;

	if (pid < 0)
		return fail(err, errlen, "command", strerror(errno));
	if (pid == 0) {
		execl(a->target, a->target, bundle_dir, id, (char *)NULL);
		_exit(127);
	}
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && waited++ < limit)
		nanosleep(&tick, NULL);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return fail(err, errlen, "command", "timed out");
	}
	if (r < 0)
		return fail(err, errlen, "command", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "command: exited with %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

int adapter_deliver(const struct adapter *a, const char *bundle_dir, const char *id, char *err, size_t errlen)
{
	err[0] = '\0';
	if (strchr(id, '/') != NULL || id[0] == '.' || id[0] == '\0')
		return fail(err, errlen, "adapter", "bad id");
	switch (a->kind) {
	case ADAPTER_DIRECTORY: return deliver_directory(a, bundle_dir, id, err, errlen);
	case ADAPTER_HTTP: return deliver_http(a, bundle_dir, id, err, errlen);
	case ADAPTER_COMMAND: return deliver_command(a, bundle_dir, id, err, errlen);
	}
	return fail(err, errlen, "adapter", "unknown kind");
}
