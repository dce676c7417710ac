/*
 * test_xff.c - unit tests of the client address behind trusted proxies (server/net/xff.c):
 * the header is ignored from an untrusted peer and when absent; from a trusted peer the
 * entries are walked from the right past trusted ones (IPv4, IPv6, IPv4-mapped, spaces and
 * tabs), all trusted gives the leftmost; what lies left of the client is never read;
 * malformed entries on the walk (empty, a port, a name, brackets, too long, a NUL byte, a
 * lone comma) give the peer; the trusted list refuses non-addresses and a 17th entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xff.h"

#define PROXY  "10.0.0.1"
#define PROXY2 "10.0.0.2"

static void trusted_pair(struct xff_trusted *t)
{
	memset(t, 0, sizeof *t);
	assert_int_equal(xff_trust(t, PROXY), 0);
	assert_int_equal(xff_trust(t, "2001:db8::2"), 0);
	assert_int_equal(xff_trust(t, PROXY2), 0);
}

static enum xff_result client(const struct xff_trusted *t, const char *peer, const char *xff,
			      char out[XFF_ADDR_MAX])
{
	return xff_client(t, peer, xff, xff != NULL ? strlen(xff) : 0, out);
}

static void test_untrusted_peer_is_the_client(void **state)
{
	struct xff_trusted t;
	char out[XFF_ADDR_MAX];

	(void)state;
	trusted_pair(&t);
	assert_int_equal(client(&t, "192.0.2.7", "198.51.100.1", out), XFF_PEER);
	assert_string_equal(out, "192.0.2.7");
	assert_int_equal(client(&t, PROXY, NULL, out), XFF_PEER);
	assert_string_equal(out, PROXY);
	assert_int_equal(client(&t, PROXY, "", out), XFF_PEER);
	assert_string_equal(out, PROXY);
	memset(&t, 0, sizeof t); /* none trusted: the header never counts */
	assert_int_equal(client(&t, PROXY, "198.51.100.1", out), XFF_PEER);
	assert_string_equal(out, PROXY);
}

static void test_walk_from_the_right(void **state)
{
	struct xff_trusted t;
	char out[XFF_ADDR_MAX];

	(void)state;
	trusted_pair(&t);
	assert_int_equal(client(&t, PROXY, "198.51.100.1", out), XFF_FORWARDED);
	assert_string_equal(out, "198.51.100.1");
	/* A spoofed entry left of the client is never looked at, even malformed. */
	assert_int_equal(client(&t, PROXY, "1.1.1.1, nonsense, 198.51.100.1", out), XFF_FORWARDED);
	assert_string_equal(out, "198.51.100.1");
	/* Trusted hops on the right are skipped, spaces and tabs around entries ignored. */
	assert_int_equal(client(&t, PROXY, "203.0.113.9 ,\t10.0.0.2 , 2001:db8::2", out), XFF_FORWARDED);
	assert_string_equal(out, "203.0.113.9");
	assert_int_equal(client(&t, PROXY, "2001:db8:1::5", out), XFF_FORWARDED);
	assert_string_equal(out, "2001:db8:1::5");
	/* An IPv4-mapped trusted address is the same proxy; the peer may be written so too. */
	assert_int_equal(client(&t, "::ffff:10.0.0.1", "::ffff:10.0.0.2,198.51.100.3", out), XFF_FORWARDED);
	assert_string_equal(out, "198.51.100.3");
	assert_int_equal(client(&t, PROXY, "198.51.100.4, ::ffff:10.0.0.2", out), XFF_FORWARDED);
	assert_string_equal(out, "198.51.100.4");
	/* All trusted: the leftmost. */
	assert_int_equal(client(&t, PROXY, "10.0.0.2, 10.0.0.1", out), XFF_FORWARDED);
	assert_string_equal(out, PROXY2);
}

static void test_malformed_gives_the_peer(void **state)
{
	static const char *const bad[] = {
		",",
		"198.51.100.1,",
		"198.51.100.1, ",
		"198.51.100.1:4711",
		"[2001:db8::1]",
		"client.example",
		"unknown",
		"198.51.100.1 198.51.100.2",
		"1.2.3.4, 10.0.0.2, 256.1.1.1",
		"  ",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1",
	};
	struct xff_trusted t;
	char out[XFF_ADDR_MAX], with_nul[] = "198.51.100.1\0";

	(void)state;
	trusted_pair(&t);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(out, 'x', sizeof out);
		if (client(&t, PROXY, bad[i], out) != XFF_MALFORMED)
			fail_msg("'%s' is not refused", bad[i]);
		assert_string_equal(out, PROXY);
	}
	assert_int_equal(xff_client(&t, PROXY, with_nul, sizeof with_nul - 1, out), XFF_MALFORMED);
	assert_string_equal(out, PROXY);
}

static void test_trusted_list(void **state)
{
	struct xff_trusted t;
	char text[32];

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(xff_trust(&t, "proxy.example"), -1);
	assert_int_equal(xff_trust(&t, "10.0.0.0/8"), -1);
	assert_int_equal(xff_trust(&t, ""), -1);
	for (int i = 0; i < XFF_MAX_TRUSTED; i++) {
		snprintf(text, sizeof text, "10.1.0.%d", i);
		assert_int_equal(xff_trust(&t, text), 0);
	}
	assert_int_equal(xff_trust(&t, "10.2.0.1"), -1);
	assert_true(xff_is_trusted(&t, "10.1.0.15"));
	assert_true(xff_is_trusted(&t, "::ffff:10.1.0.3"));
	assert_false(xff_is_trusted(&t, "10.2.0.1"));
	assert_false(xff_is_trusted(&t, "not an address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untrusted_peer_is_the_client),
		cmocka_unit_test(test_walk_from_the_right),
		cmocka_unit_test(test_malformed_gives_the_peer),
		cmocka_unit_test(test_trusted_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
