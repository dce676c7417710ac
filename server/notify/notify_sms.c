/*
 * notify_sms.c - the SMS adapter of the notifier (notify.h): one JSON POST per notification
 * to an HTTP gateway, with the outbox row id as "Idempotency-Key" header and "reference",
 * so the gateway can drop a repeat. The gateway's answer is untrusted input: only its
 * status and, for 2xx, an optional JSON "status" field are read (fuzz_sms_reply.c).
 *
 * Request:  POST <url>  Content-Type: application/json  Idempotency-Key: <row id>
 *           [Authorization: Bearer <token>]
 *           {"to": "+358...", "text": "...", "reference": "<row id>"[, "sender": "..."]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "notify.h"

#define REPLY_MAX 4096 /* bytes of the gateway's answer that are read */

char *notify_sms_body(const struct notify_sms_config *cfg, const struct notify_msg *m)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "to", m->to, "text", m->text, "reference", m->id);
	char *text;

	if (o == NULL)
		return NULL;
	if (cfg->sender[0] != '\0' && json_object_set_new(o, "sender", json_string(cfg->sender)) != 0) {
		json_decref(o);
		return NULL;
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int notify_sms_classify(long status, const char *body, size_t len)
{
	const char *st;
	json_t *j;
	int rejected;

	if (status == 400 || status == 422)
		return NOTIFY_REJECTED;
	if (status < 200 || status > 299)
		return NOTIFY_RETRY;
	if (len == 0 || len > REPLY_MAX)
		return NOTIFY_SENT;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	st = json_is_object(j) ? json_string_value(json_object_get(j, "status")) : NULL;
	rejected = st != NULL && strcmp(st, "rejected") == 0;
	json_decref(j);
	return rejected ? NOTIFY_REJECTED : NOTIFY_SENT;
}

struct reply {
	char buf[REPLY_MAX];
	size_t len;
	int truncated;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb, room = sizeof r->buf - r->len;

	if (n > room) {
		r->truncated = 1;
		n = room;
	}
	memcpy(r->buf + r->len, ptr, n);
	r->len += n;
	return size * nmemb;
}

/* The request headers; NULL when out of memory. */
static struct curl_slist *sms_headers(const struct notify_sms_config *cfg, const char *id)
{
	char key[80], auth[300];
	struct curl_slist *h = NULL, *t;

	snprintf(key, sizeof key, "Idempotency-Key: %s", id);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->token);
	if ((t = curl_slist_append(h, "Content-Type: application/json")) == NULL)
		return NULL;
	h = t;
	if ((t = curl_slist_append(h, key)) == NULL || (t = curl_slist_append(t, "Expect:")) == NULL ||
	    (cfg->token[0] != '\0' && (t = curl_slist_append(t, auth)) == NULL)) {
		curl_slist_free_all(h);
		return NULL;
	}
	return t;
}

int notify_sms_send(void *arg, const struct notify_msg *m, char *why, size_t whylen)
{
	const struct notify_sms_config *cfg = arg;
	struct curl_slist *hdrs = NULL;
	struct reply *r = calloc(1, sizeof *r);
	char *body = notify_sms_body(cfg, m);
	CURL *curl = curl_easy_init();
	CURLcode res = CURLE_OUT_OF_MEMORY;
	long status = 0;
	int outcome = NOTIFY_RETRY;

	if (r == NULL || body == NULL || curl == NULL || (hdrs = sms_headers(cfg, m->id)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, cfg->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)cfg->timeout_s);
	if (cfg->ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	res = curl_easy_perform(curl);
	if (res != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(res));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	outcome = notify_sms_classify(status, r->buf, r->truncated ? sizeof r->buf + 1 : r->len);
	if (outcome != NOTIFY_SENT)
		snprintf(why, whylen, "gateway %s (status %ld)",
			 outcome == NOTIFY_REJECTED ? "refused" : "answered", status);
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	free(body);
	free(r);
	return outcome;
}
