/*
 * test_metrics.c - the process's counters (server/metrics.c): requests by label, histograms
 * cumulative with the right bucket, label values escaped, the core's snapshot, readiness and
 * its reasons, the refresh the scrape asks for; and the core's request labels fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core_internal.h"
#include "metrics.h"

static const char *const types[] = { "connect", "thread.open" };
static const char *const outcomes[] = { "ok", "bad_json", "not_found" };

static char *render(const struct metrics_live *live)
{
	size_t len = 0;
	char *text = metrics_render(live, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void assert_line(const char *text, const char *line)
{
	char want[300];

	snprintf(want, sizeof want, "\n%s\n", line);
	if (strstr(text, want) == NULL)
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_requests_by_type_and_outcome(void **state)
{
	char *text;

	(void)state;
	metrics_start("1.2.3");
	assert_int_equal(metrics_set_request_labels(types, 2, outcomes, 3), 0);
	metrics_request(1, 0);
	metrics_request(1, 0);
	metrics_request(1, 2);
	metrics_request(0, 1);
	metrics_request(2, 0); /* out of range: ignored */
	metrics_request(0, 3);
	text = render(NULL);
	assert_line(text, "advice_build_info{version=\"1.2.3\"} 1");
	assert_line(text, "advice_requests_total{type=\"thread.open\",outcome=\"ok\"} 2");
	assert_line(text, "advice_requests_total{type=\"thread.open\",outcome=\"not_found\"} 1");
	assert_line(text, "advice_requests_total{type=\"connect\",outcome=\"bad_json\"} 1");
	/* series never counted are left out */
	assert_null(strstr(text, "type=\"connect\",outcome=\"ok\""));
	/* without the network thread's figures, those families are left out */
	assert_null(strstr(text, "advice_connections"));
	free(text);
	assert_int_equal(metrics_set_request_labels(types, METRICS_MAX_TYPES + 1, outcomes, 3), -1);
	assert_int_equal(metrics_set_request_labels(types, 2, outcomes, METRICS_MAX_OUTCOMES + 1), -1);
}

static void test_histograms_are_cumulative(void **state)
{
	char *text;

	(void)state;
	metrics_start("x");
	metrics_batch(3, 700, 1);     /* size bucket le=4; 0.7 ms: le=0.001 */
	metrics_batch(256, 20, 1);    /* le=256; le=0.0005 */
	metrics_batch(1, 9000000, 1); /* le=1; 9 s: +Inf only */
	text = render(NULL);
	assert_line(text, "advice_batch_size_bucket{le=\"2\"} 1");
	assert_line(text, "advice_batch_size_bucket{le=\"4\"} 2");
	assert_line(text, "advice_batch_size_bucket{le=\"128\"} 2");
	assert_line(text, "advice_batch_size_bucket{le=\"256\"} 3");
	assert_line(text, "advice_batch_size_bucket{le=\"+Inf\"} 3");
	assert_line(text, "advice_batch_size_sum 260.000000");
	assert_line(text, "advice_batch_size_count 3");
	assert_line(text, "advice_commit_seconds_bucket{le=\"0.0005\"} 1");
	assert_line(text, "advice_commit_seconds_bucket{le=\"0.001\"} 2");
	assert_line(text, "advice_commit_seconds_bucket{le=\"5\"} 2");
	assert_line(text, "advice_commit_seconds_bucket{le=\"+Inf\"} 3");
	assert_line(text, "advice_commit_seconds_sum 9.000720");
	assert_line(text, "advice_commit_failures_total 0");
	free(text);
}

static void test_snapshot_and_escaping(void **state)
{
	struct metrics_queue q[2];
	struct metrics_live live = { .websockets = 3, .by_role = { 1, 2 }, .http = 1, .dispatch_pending = 7 };
	char *text;

	(void)state;
	metrics_start("x");
	assert_int_equal(metrics_refresh_due(), 0); /* nobody asked */
	text = render(&live);
	assert_line(text, "advice_snapshot_age_seconds -1");
	assert_null(strstr(text, "advice_notify_backlog"));
	assert_line(text, "advice_connections{kind=\"websocket\"} 3");
	assert_line(text, "advice_connections{kind=\"http\"} 1");
	assert_line(text, "advice_websockets{role=\"unknown\"} 1");
	assert_line(text, "advice_websockets{role=\"citizen\"} 2");
	assert_line(text, "advice_websockets{role=\"connector\"} 0");
	assert_line(text, "advice_dispatch_pending 7");
	free(text);
	assert_int_equal(metrics_refresh_due(), 1); /* the scrape asked */
	memset(q, 0, sizeof q);
	snprintf(q[0].name, sizeof q[0].name, "adult-social-work");
	q[0].waiting = 4;
	q[0].open = 9;
	q[0].at_risk = 2;
	q[0].missed = 1;
	snprintf(q[1].name, sizeof q[1].name, "a\"b\\c\nd");
	metrics_publish(q, 2, 5);
	assert_int_equal(metrics_refresh_due(), 0);
	text = render(&live);
	assert_line(text, "advice_queue_waiting_threads{queue=\"adult-social-work\"} 4");
	assert_line(text, "advice_queue_open_threads{queue=\"adult-social-work\"} 9");
	assert_line(text, "advice_queue_at_risk_threads{queue=\"adult-social-work\"} 2");
	assert_line(text, "advice_deadline_breaches{queue=\"adult-social-work\"} 1");
	assert_line(text, "advice_queue_waiting_threads{queue=\"a\\\"b\\\\c\\nd\"} 0");
	assert_line(text, "advice_notify_backlog 5");
	assert_null(strstr(text, "advice_snapshot_age_seconds -1"));
	free(text);
	/* a second scrape within the second asks, but the core waits for the second to pass */
	free(render(&live));
	assert_int_equal(metrics_refresh_due(), 0);
}

static void test_readiness(void **state)
{
	struct metrics_live live = { 0 };
	const char *reason = NULL;

	(void)state;
	metrics_start("x");
	assert_int_equal(metrics_ready(&live, &reason), 1);
	assert_int_equal(metrics_ready(NULL, &reason), 1);
	metrics_batch(1, 10, 0);
	assert_int_equal(metrics_ready(&live, &reason), 0);
	assert_string_equal(reason, "the store failed its last transaction");
	metrics_batch(1, 10, 1);
	assert_int_equal(metrics_ready(&live, &reason), 1);
	live.stopping = 1;
	assert_int_equal(metrics_ready(&live, &reason), 0);
	assert_string_equal(reason, "stopping");
	{
		char *text = render(&live);

		assert_line(text, "advice_ready 0");
		assert_line(text, "advice_commit_failures_total 1");
		free(text);
	}
}

/* The core's labels (every request type and error code) fit the table. */
static void test_core_labels_fit(void **state)
{
	(void)state;
	assert_int_equal(core_metrics_labels(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_by_type_and_outcome),
		cmocka_unit_test(test_histograms_are_cumulative),
		cmocka_unit_test(test_snapshot_and_escaping),
		cmocka_unit_test(test_readiness),
		cmocka_unit_test(test_core_labels_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
