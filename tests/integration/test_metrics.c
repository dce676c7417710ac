/*
 * test_metrics.c - the health and metrics listener (net_metrics.c) against the real adviced:
 * /healthz, /healthz?ready, /readyz and /metrics answer on metrics_port only, the public port
 * answers 404 for them; the exposition parses strictly as the Prometheus text format 0.0.4
 * while a scenario runs (scraped from a second thread throughout), its counters move (requests
 * by type and outcome, group commits, WebSockets) and never go back; the queue and notifier
 * figures come; no label holds anything person- or thread-like (a scan of every label of every
 * scrape); readiness says "not ready" while the store cannot be written and recovers; the
 * settings are checked (its own port, loopback, a port in use).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	    "010594Y9032"
#define BOGUS_TYPE  "no.such.type.zq"
#define MAX_SAMPLES 4096

struct fixture {
	struct harness h;
	int metrics_port;
};

/* ---- a small HTTP client ---- */

struct http_answer {
	int status;
	char type[128]; /* Content-Type */
	char *body;	/* malloc'd, NUL-terminated */
	size_t len;
};

/* `method` `path` on 127.0.0.1:port with Connection: close; the whole answer. 0, or -1 when
 * the connection failed (no answer). */
static int http_do(int port, const char *method, const char *path, struct http_answer *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 10, 0 };
	char req[512], *buf = NULL, *hdr_end, *p;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	memset(a, 0, sizeof *a);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method,
		 path, strcmp(method, "POST") == 0 ? "Content-Length: 0\r\n" : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL || len == 0) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", &a->status) != 1 || (hdr_end = strstr(buf, "\r\n\r\n")) == NULL) {
		free(buf);
		return -1;
	}
	*hdr_end = '\0';
	for (p = strstr(buf, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, "content-type:", 13) == 0) {
			const char *v = p + 15;

			while (*v == ' ')
				v++;

			snprintf(a->type, sizeof a->type, "%.*s", (int)strcspn(v, "\r\n"), v);
		}
	a->len = len - (size_t)(hdr_end + 4 - buf);
	a->body = malloc(a->len + 1);
	assert_non_null(a->body);
	memcpy(a->body, hdr_end + 4, a->len);
	a->body[a->len] = '\0';
	free(buf);
	return 0;
}

static void http_free(struct http_answer *a)
{
	free(a->body);
	a->body = NULL;
}

/* GET, failing the test when no answer comes. */
static void http_get(int port, const char *path, struct http_answer *a)
{
	if (http_do(port, "GET", path, a) != 0)
		fail_msg("no answer to GET %s on port %d", path, port);
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a strict parser of the text format 0.0.4 ---- */

struct sample {
	char name[96];
	char labels[512]; /* name="value" pairs as written (escapes kept), comma-separated */
	double value;
};

struct exposition {
	struct sample s[MAX_SAMPLES];
	size_t n;
	char error[300]; /* "" when the text parsed */
};

static int parse_fail(struct exposition *e, int line, const char *why)
{
	if (e->error[0] == '\0')
		snprintf(e->error, sizeof e->error, "line %d: %s", line, why);
	return -1;
}

static int name_ok(const char *s, size_t len, int metric)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || (metric && s[0] == ':')))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || (metric && s[i] == ':')))
			return 0;
	return 1;
}

/* The label names a scrape of ours may carry; anything else is a new dimension to review. */
static int label_name_known(const char *name, size_t len)
{
	static const char *const known[] = { "version", "kind", "role", "type", "outcome", "queue", "le" };

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == len && strncmp(known[i], name, len) == 0)
			return 1;
	return 0;
}

/* Parses `{...}` at *p into out (as written); moves *p past it. 0 or -1. */
static int parse_labels(const char **p, char *out, size_t outsz, struct exposition *e, int line)
{
	const char *s = *p + 1;
	size_t o = 0;

	while (*s != '}') {
		const char *name = s;

		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		if (!name_ok(name, (size_t)(s - name), 0) || s[0] != '=' || s[1] != '"')
			return parse_fail(e, line, "bad label name or no =\"");
		if (!label_name_known(name, (size_t)(s - name)))
			return parse_fail(e, line, "a label name the test does not know");
		s += 2;
		while (*s != '"') {
			if (*s == '\0' || *s == '\n')
				return parse_fail(e, line, "unterminated label value");
			if (*s == '\\') {
				if (s[1] != '\\' && s[1] != '"' && s[1] != 'n')
					return parse_fail(e, line, "bad escape in a label value");
				s++;
			}
			s++;
		}
		s++;
		if (o + (size_t)(s - name) + 2 >= outsz)
			return parse_fail(e, line, "labels too long for the test");
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, name, (size_t)(s - name));
		o += (size_t)(s - name);
		if (*s == ',')
			s++;
		else if (*s != '}')
			return parse_fail(e, line, "no , or } after a label");
	}
	out[o] = '\0';
	*p = s + 1;
	return 0;
}

/* The sample's family: `name` itself, or for a histogram's series its base name. */
static int belongs(const char *sample, const char *family, const char *type)
{
	size_t n = strlen(family);

	if (strcmp(type, "histogram") != 0)
		return strcmp(sample, family) == 0;
	return strncmp(sample, family, n) == 0 &&
	       (strcmp(sample + n, "_bucket") == 0 || strcmp(sample + n, "_sum") == 0 ||
		strcmp(sample + n, "_count") == 0);
}

/* Parses a whole exposition; e->error says the first problem. 0 or -1. */
static int parse_exposition(const char *text, struct exposition *e)
{
	char family[96] = "", type[16] = "", seen[64][96];
	size_t nseen = 0;
	int line = 0;

	memset(e, 0, sizeof *e);
	if (text[0] == '\0' || text[strlen(text) - 1] != '\n')
		return parse_fail(e, 0, "empty, or the last line does not end");
	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		size_t ll = strcspn(p, "\n");

		line++;
		if (ll == 0)
			return parse_fail(e, line, "empty line");
		if (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0) {
			const char *name = p + 7;
			size_t nl = strcspn(name, " \n");
			int is_type = p[2] == 'T';

			if (!name_ok(name, nl, 1) || nl >= sizeof family || name[nl] != ' ')
				return parse_fail(e, line, "bad metric name in HELP or TYPE");
			if (strncmp(family, name, nl) != 0 || family[nl] != '\0') {
				for (size_t i = 0; i < nseen; i++)
					if (strlen(seen[i]) == nl && strncmp(seen[i], name, nl) == 0)
						return parse_fail(e, line, "a family comes twice");
				if (nseen == 64)
					return parse_fail(e, line, "more families than the test holds");
				memcpy(family, name, nl);
				family[nl] = '\0';
				snprintf(seen[nseen++], sizeof seen[0], "%s", family);
				type[0] = '\0';
			}
			if (is_type) {
				const char *t = name + nl + 1;
				size_t tl = strcspn(t, "\n");

				if (type[0] != '\0')
					return parse_fail(e, line, "TYPE twice");
				if (!((tl == 7 && strncmp(t, "counter", 7) == 0) ||
				      (tl == 5 && strncmp(t, "gauge", 5) == 0) ||
				      (tl == 9 && strncmp(t, "histogram", 9) == 0)))
					return parse_fail(e, line,
							  "a type other than counter, gauge, histogram");
				snprintf(type, sizeof type, "%.*s", (int)tl, t);
				if (strcmp(type, "counter") == 0 &&
				    (strlen(family) < 6 ||
				     strcmp(family + strlen(family) - 6, "_total") != 0))
					return parse_fail(e, line,
							  "a counter whose name does not end in _total");
			}
			continue;
		}
		if (p[0] == '#')
			return parse_fail(e, line, "a comment that is neither HELP nor TYPE");
		/* a sample */
		struct sample *s;
		const char *q = p;
		char *end;

		if (e->n == MAX_SAMPLES)
			return parse_fail(e, line, "more samples than the test holds");
		s = &e->s[e->n];
		while (isalnum((unsigned char)*q) || *q == '_' || *q == ':')
			q++;
		if (!name_ok(p, (size_t)(q - p), 1) || (size_t)(q - p) >= sizeof s->name)
			return parse_fail(e, line, "bad sample name");
		memcpy(s->name, p, (size_t)(q - p));
		s->name[q - p] = '\0';
		if (type[0] == '\0' || !belongs(s->name, family, type))
			return parse_fail(e, line, "a sample outside its family or before its TYPE");
		s->labels[0] = '\0';
		if (*q == '{' && parse_labels(&q, s->labels, sizeof s->labels, e, line) != 0)
			return -1;
		if (*q != ' ')
			return parse_fail(e, line, "no space before the value");
		q++;
		if (strncmp(q, "+Inf", 4) == 0 || strncmp(q, "-Inf", 4) == 0 || strncmp(q, "NaN", 3) == 0)
			return parse_fail(e, line, "a value that is not finite");
		errno = 0;
		s->value = strtod(q, &end);
		if (end == q || errno != 0 || *end != '\n')
			return parse_fail(e, line, "bad value (or a timestamp, which we never send)");
		for (size_t i = 0; i < e->n; i++)
			if (strcmp(e->s[i].name, s->name) == 0 && strcmp(e->s[i].labels, s->labels) == 0)
				return parse_fail(e, line, "a series twice");
		e->n++;
	}
	return 0;
}

/* The value of the series `name`{labels} (labels as written), or NAN when absent. */
static double value_of(const struct exposition *e, const char *name, const char *labels)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->s[i].name, name) == 0 && strcmp(e->s[i].labels, labels) == 0)
			return e->s[i].value;
	return NAN;
}

/* The sum of every series named `name`. */
static double sum_of(const struct exposition *e, const char *name)
{
	double sum = 0;

	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->s[i].name, name) == 0)
			sum += e->s[i].value;
	return sum;
}

/* A histogram's buckets rise with le, up to +Inf, which equals its _count. 0, or -1 with why. */
static int histogram_ok(const struct exposition *e, const char *name, char *why, size_t whylen)
{
	char bucket[128], count[128];
	double last_le = -1, last = -1;
	int inf = 0;

	snprintf(bucket, sizeof bucket, "%s_bucket", name);
	snprintf(count, sizeof count, "%s_count", name);
	for (size_t i = 0; i < e->n; i++) {
		const char *le;
		double bound;

		if (strcmp(e->s[i].name, bucket) != 0)
			continue;
		if (strncmp(e->s[i].labels, "le=\"", 4) != 0 || inf) {
			snprintf(why, whylen, "%s: a bucket without le, or after +Inf", name);
			return -1;
		}
		le = e->s[i].labels + 4;
		bound = strncmp(le, "+Inf\"", 5) == 0 ? INFINITY : strtod(le, NULL);
		inf = isinf(bound);
		if (bound <= last_le || e->s[i].value < last) {
			snprintf(why, whylen, "%s: le or counts not rising at %s", name, e->s[i].labels);
			return -1;
		}
		last_le = bound;
		last = e->s[i].value;
	}
	if (!inf || value_of(e, count, "") != last || isnan(value_of(e, name, "")) == 0) {
		snprintf(why, whylen, "%s: no +Inf bucket, or it differs from _count", name);
		return -1;
	}
	return 0;
}

/* Every label value against what would be personal or name a thread: the test's identity
 * code (and its birth date), the demo people's names, a session token, a thread id, long hex
 * or digit runs (ids, identity codes), an e-mail address, the bogus type a client sent. NULL,
 * or the offending labels. */
static const char *label_leak(const struct exposition *e, const char *const *needles, size_t nneedles)
{
	for (size_t i = 0; i < e->n; i++) {
		const char *l = e->s[i].labels;
		size_t hex = 0, digits = 0;

		for (size_t k = 0; k < nneedles; k++)
			if (needles[k] != NULL && needles[k][0] != '\0' && strcasestr(l, needles[k]) != NULL)
				return l;
		if (strchr(l, '@') != NULL)
			return l;
		for (const char *c = l; *c; c++) {
			hex = isxdigit((unsigned char)*c) ? hex + 1 : 0;
			digits = isdigit((unsigned char)*c) ? digits + 1 : 0;
			if (hex >= 16 || digits >= 6)
				return l;
		}
	}
	return NULL;
}

/* Scrapes /metrics and parses it strictly (the test fails otherwise). */
static void scrape(struct fixture *f, struct exposition *e)
{
	struct http_answer a;
	char why[200];

	http_get(f->metrics_port, "/metrics", &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.type, "text/plain; version=0.0.4; charset=utf-8");
	if (parse_exposition(a.body, e) != 0)
		fail_msg("/metrics does not parse: %s\n%s", e->error, a.body);
	if (histogram_ok(e, "advice_batch_size", why, sizeof why) != 0 ||
	    histogram_ok(e, "advice_commit_seconds", why, sizeof why) != 0)
		fail_msg("%s", why);
	http_free(&a);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char conf[64];

	*state = f;
	if (f == NULL || (f->metrics_port = harness_free_port()) < 0)
		return -1;
	snprintf(conf, sizeof conf, "metrics_port = %d\n", f->metrics_port);
	return harness_start_with(&f->h, 0, conf);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	if (f == NULL)
		return 0;
	rc = harness_stop(&f->h);
	free(f);
	return rc;
}

/* ---- tests ---- */

static void expect(int port, const char *method, const char *path, int status, const char *body)
{
	struct http_answer a;

	if (http_do(port, method, path, &a) != 0)
		fail_msg("no answer to %s %s on port %d", method, path, port);
	if (a.status != status || (body != NULL && strcmp(a.body, body) != 0))
		fail_msg("%s %s on port %d: %d '%s', expected %d '%s'", method, path, port, a.status, a.body,
			 status, body ? body : "(any)");
	http_free(&a);
}

/* Health on the metrics listener; nothing of it on the public port. */
static void test_health_only_on_the_metrics_listener(void **state)
{
	struct fixture *f = *state;
	int pub = f->h.port;

	expect(f->metrics_port, "GET", "/healthz", 200, "ok\n");
	expect(f->metrics_port, "GET", "/healthz?ready", 200, "ok\n");
	expect(f->metrics_port, "GET", "/readyz", 200, "ok\n");
	expect(f->metrics_port, "HEAD", "/healthz", 200, NULL);
	expect(f->metrics_port, "GET", "/", 404, NULL);
	expect(f->metrics_port, "GET", "/api/v1/health", 404, NULL);
	expect(f->metrics_port, "GET", "/index.html", 404, NULL);
	expect(f->metrics_port, "POST", "/metrics", 405, NULL);
	/* The public port serves none of it (its static files hold no such names). */
	expect(pub, "GET", "/metrics", 404, NULL);
	expect(pub, "GET", "/healthz", 404, NULL);
	expect(pub, "GET", "/healthz?ready", 404, NULL);
	expect(pub, "GET", "/readyz", 404, NULL);
	/* and the public port still serves its own */
	expect(pub, "GET", "/api/v1/health", 200, NULL);
}

/* What the scraping thread saw while the scenario ran. */
struct scraper {
	struct fixture *f;
	volatile int stop;
	int scrapes;
	char failure[400]; /* "" when every scrape was right */
	const char *const *needles;
	size_t nneedles;
};

static void *scrape_loop(void *arg)
{
	struct scraper *sc = arg;
	struct exposition *e = malloc(sizeof *e);
	double last_requests = 0, last_batches = 0;
	struct http_answer a;
	const char *leak;

	while (e != NULL && !sc->stop && sc->failure[0] == '\0') {
		if (http_do(sc->f->metrics_port, "GET", "/metrics", &a) != 0 || a.status != 200) {
			snprintf(sc->failure, sizeof sc->failure, "a scrape got no 200");
			break;
		}
		if (parse_exposition(a.body, e) != 0)
			snprintf(sc->failure, sizeof sc->failure, "does not parse: %s", e->error);
		else if (sum_of(e, "advice_requests_total") < last_requests ||
			 value_of(e, "advice_batch_size_count", "") < last_batches)
			snprintf(sc->failure, sizeof sc->failure, "a counter went back");
		else if ((leak = label_leak(e, sc->needles, sc->nneedles)) != NULL)
			snprintf(sc->failure, sizeof sc->failure, "a label looks personal: %.300s", leak);
		last_requests = sum_of(e, "advice_requests_total");
		last_batches = value_of(e, "advice_batch_size_count", "");
		http_free(&a);
		sc->scrapes++;
	}
	free(e);
	return NULL;
}

/* Polls until the series has at least `min`, scraping; its value. */
static double wait_for_value(struct fixture *f, struct exposition *e, const char *name, const char *labels,
			     double min)
{
	long long until = monotonic_ms() + HARNESS_TIMEOUT_MS;
	double v;

	for (;;) {
		scrape(f, e);
		v = value_of(e, name, labels);
		if (!isnan(v) && v >= min)
			return v;
		if (monotonic_ms() > until)
			fail_msg("%s{%s} stayed %g, below %g", name, labels, v, min);
		usleep(100 * 1000);
	}
}

static void test_scrape_during_a_scenario(void **state)
{
	struct fixture *f = *state;
	struct exposition *before = malloc(sizeof *before), *after = malloc(sizeof *after);
	char *cs, *ws, thread[80] = "", version[64];
	const char *needles[8];
	struct scraper sc = { .f = f };
	struct advice_conn *citizen, *anna;
	pthread_t t;
	json_t *r;

	assert_non_null(before);
	assert_non_null(after);
	scrape(f, before);
	snprintf(version, sizeof version, "version=\"%s\"", ADVICE_VERSION);
	assert_true(value_of(before, "advice_build_info", version) == 1);
	assert_true(value_of(before, "advice_start_time_seconds", "") > 1.7e9);
	assert_true(value_of(before, "advice_ready", "") == 1);

	assert_int_equal(harness_login_citizen(&f->h, CITIZEN, &cs), 0);
	assert_int_equal(harness_login_worker(&f->h, "anna", &ws), 0);
	needles[0] = CITIZEN;
	needles[1] = "010594";
	needles[2] = "anna";
	needles[3] = cs;
	needles[4] = ws;
	needles[5] = BOGUS_TYPE;
	needles[6] = thread; /* filled in below, read by the scraper as it goes */
	needles[7] = "sara";
	sc.needles = needles;
	sc.nneedles = 8;
	assert_int_equal(pthread_create(&t, NULL, scrape_loop, &sc), 0);

	citizen = harness_connect(&f->h, cs);
	anna = harness_connect(&f->h, ws);
	assert_non_null(citizen);
	assert_non_null(anna);
	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.open\",\"id\":\"m1\",\"category\":\"adult-social-work\","
			  "\"body\":\"cXVlc3Rpb24\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	json_decref(itest_request(citizen, "unknown_type", "{\"type\":\"" BOGUS_TYPE "\",\"id\":\"m2\"}"));
	json_decref(itest_request(anna, "not_found",
				  "{\"type\":\"thread.read\",\"id\":\"m3\",\"thread\":\"%032x\"}", 7));
	for (int i = 0; i < 5; i++)
		json_decref(itest_request(citizen, "ok", "{\"type\":\"thread.list\",\"id\":\"l%d\"}", i));

	/* While both WebSockets are open. */
	scrape(f, after);
	assert_true(value_of(after, "advice_connections", "kind=\"websocket\"") >= 2);
	assert_true(value_of(after, "advice_websockets", "role=\"citizen\"") >= 1);
	assert_true(value_of(after, "advice_websockets", "role=\"worker\"") >= 1);
	assert_true(value_of(after, "advice_websockets_opened_total", "") >=
		    value_of(before, "advice_websockets_opened_total", "") + 2);
	assert_true(value_of(after, "advice_requests_total", "type=\"thread.open\",outcome=\"ok\"") >= 1);
	assert_true(value_of(after, "advice_requests_total", "type=\"thread.list\",outcome=\"ok\"") >= 5);
	assert_true(value_of(after, "advice_requests_total", "type=\"unknown\",outcome=\"unknown_type\"") >=
		    1);
	assert_true(value_of(after, "advice_requests_total", "type=\"thread.read\",outcome=\"not_found\"") >=
		    1);
	assert_true(value_of(after, "advice_requests_total", "type=\"http.login.citizen\",outcome=\"ok\"") >=
		    1);
	assert_true(sum_of(after, "advice_requests_total") >= sum_of(before, "advice_requests_total") + 9);
	assert_true(value_of(after, "advice_batch_size_count", "") >
		    value_of(before, "advice_batch_size_count", ""));
	assert_true(value_of(after, "advice_commit_seconds_count", "") >
		    value_of(before, "advice_commit_seconds_count", ""));
	assert_true(value_of(after, "advice_commit_seconds_sum", "") > 0);
	assert_true(value_of(after, "advice_commit_failures_total", "") == 0);
	assert_false(isnan(value_of(after, "advice_dispatch_pending", "")));
	/* The core's snapshot comes on a tick after a scrape asked: the new thread waits. */
	wait_for_value(f, after, "advice_queue_waiting_threads", "queue=\"adult-social-work\"", 1);
	assert_true(value_of(after, "advice_queue_open_threads", "queue=\"adult-social-work\"") >= 1);
	assert_true(value_of(after, "advice_deadline_breaches", "queue=\"adult-social-work\"") == 0);
	assert_true(value_of(after, "advice_queue_waiting_threads", "queue=\"children-and-families\"") == 0);
	assert_true(value_of(after, "advice_notify_backlog", "") >= 0);
	assert_true(value_of(after, "advice_snapshot_age_seconds", "") >= 0);

	sc.stop = 1;
	pthread_join(t, NULL);
	if (sc.failure[0] != '\0')
		fail_msg("the scraping thread: %s", sc.failure);
	assert_true(sc.scrapes >= 2);
	assert_null(label_leak(after, needles, 8));
	/* the scan itself finds what it looks for */
	{
		struct exposition *planted = malloc(sizeof *planted);
		char text[512];

		assert_non_null(planted);
		snprintf(text, sizeof text, "# TYPE x gauge\nx{queue=\"%s\"} 1\n", thread);
		assert_int_equal(parse_exposition(text, planted), 0);
		assert_non_null(label_leak(planted, needles, 8));
		assert_int_equal(parse_exposition("# TYPE x gauge\nx{queue=\"a@b.fi\"} 1\n", planted), 0);
		assert_non_null(label_leak(planted, needles, 8));
		assert_int_equal(parse_exposition("# TYPE x gauge\nx{queue=\"010594\"} 1\n", planted), 0);
		assert_non_null(label_leak(planted, NULL, 0));
		/* and the parser refuses what the format does not allow */
		assert_int_not_equal(parse_exposition("x 1\n", planted), 0);
		assert_int_not_equal(parse_exposition("# TYPE x counter\nx 1\n", planted), 0);
		assert_int_not_equal(parse_exposition("# TYPE x gauge\nx{y=\"1\"} 1\n", planted), 0);
		assert_int_not_equal(parse_exposition("# TYPE x gauge\nx{queue=\"a\\q\"} 1\n", planted), 0);
		assert_int_not_equal(parse_exposition("# TYPE x gauge\nx 1 123\n", planted), 0);
		assert_int_not_equal(parse_exposition("# TYPE x gauge\nx 1\nx 2\n", planted), 0);
		assert_int_not_equal(parse_exposition("# TYPE x gauge\nx 1", planted), 0);
		free(planted);
	}
	advice_conn_free(citizen);
	advice_conn_free(anna);
	free(cs);
	free(ws);
	free(before);
	free(after);
}

/* Readiness follows the store: a writer lock held from outside makes the core's transactions
 * fail (busy), /healthz?ready says so with 503 while /healthz stays 200; it recovers. */
static void test_ready_follows_the_store(void **state)
{
	struct fixture *f = *state;
	char path[400];
	struct http_answer a;
	long long until;
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/advice.db", f->h.dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	until = monotonic_ms() + 3 * HARNESS_TIMEOUT_MS;
	for (;;) {
		http_get(f->metrics_port, "/healthz?ready", &a);
		if (a.status == 503)
			break;
		assert_int_equal(a.status, 200);
		http_free(&a);
		if (monotonic_ms() > until)
			fail_msg("still ready while the store is locked");
		usleep(200 * 1000);
	}
	assert_non_null(strstr(a.body, "not ready: "));
	http_free(&a);
	expect(f->metrics_port, "GET", "/readyz", 503, NULL);
	expect(f->metrics_port, "GET", "/healthz", 200, "ok\n");
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	until = monotonic_ms() + 3 * HARNESS_TIMEOUT_MS;
	for (;;) {
		http_get(f->metrics_port, "/healthz?ready", &a);
		if (a.status == 200)
			break;
		http_free(&a);
		if (monotonic_ms() > until)
			fail_msg("not ready again after the store was released");
		usleep(200 * 1000);
	}
	assert_string_equal(a.body, "ok\n");
	http_free(&a);
}

/* adviced.conf without its metrics lines plus `extra`, as <dir>/check.conf; its path. */
static void write_conf(struct fixture *f, const char *extra, char *path, size_t pathlen)
{
	char src[400], line[1200];
	FILE *in, *out;

	snprintf(src, sizeof src, "%s/adviced.conf", f->h.dir);
	snprintf(path, pathlen, "%s/check.conf", f->h.dir);
	in = fopen(src, "r");
	out = fopen(path, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof line, in) != NULL)
		if (strncmp(line, "metrics_", 8) != 0)
			fputs(line, out);
	fputs(extra, out);
	fclose(in);
	fclose(out);
}

static void test_settings_checked(void **state)
{
	struct fixture *f = *state;
	char conf[420], extra[160], port[16], *out = NULL, *err = NULL;
	int held, fd, one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	/* the public port is not the metrics port */
	snprintf(extra, sizeof extra, "metrics_port = %d\n", f->h.port);
	write_conf(f, extra, conf, sizeof conf);
	assert_int_equal(harness_adviced_run(&f->h,
					     (const char *const[]){ "--check-config", "-c", conf, NULL },
					     &out, &err),
			 1);
	assert_non_null(strstr(err, "metrics_port:"));
	assert_non_null(strstr(err, "public port"));
	free(out);
	free(err);
	/* off the loopback: a warning, not an error */
	write_conf(f, "metrics_port = 9999\nmetrics_listen = 0.0.0.0\n", conf, sizeof conf);
	assert_int_equal(harness_adviced_run(&f->h,
					     (const char *const[]){ "--check-config", "-c", conf, NULL },
					     &out, &err),
			 0);
	assert_non_null(strstr(err, "warning: metrics_listen: 0.0.0.0 is not a loopback address"));
	free(out);
	free(err);
	/* a metrics port in use stops adviced at start with a plain sentence */
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 1), 0);
	{
		socklen_t sl = sizeof sa;

		assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
		held = ntohs(sa.sin_port);
	}
	snprintf(extra, sizeof extra, "metrics_port = %d\n", held);
	write_conf(f, extra, conf, sizeof conf);
	snprintf(port, sizeof port, "%d", harness_free_port());
	assert_int_equal(
		harness_adviced_run(&f->h, (const char *const[]){ "-c", conf, "-p", port, NULL }, &out, &err),
		1);
	assert_non_null(strstr(err, "metrics_port: cannot listen on 127.0.0.1:"));
	free(out);
	free(err);
	close(fd);
}

/* One adviced for the file: starting one costs more than every test here. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_only_on_the_metrics_listener),
		cmocka_unit_test(test_scrape_during_a_scenario),
		cmocka_unit_test(test_settings_checked),
		cmocka_unit_test(test_ready_follows_the_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
