/*
 * ST87_ROUTE as a user writes it: every rule form, what it routes and what
 * it leaves alone, and a one-line message naming each bad rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "route.h"
#include "test_cases.h"

/* A destination as a program hands it to connect() or sendto(). */
struct destination {
	struct sockaddr_storage storage;
	socklen_t len;
};

static struct destination make_destination(const char *ip, uint16_t port)
{
	struct destination dest;

	memset(&dest, 0, sizeof dest);
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 in6;

		memset(&in6, 0, sizeof in6);
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1);
		memcpy(&dest.storage, &in6, sizeof in6);
		dest.len = sizeof in6;
	} else {
		struct sockaddr_in in;

		memset(&in, 0, sizeof in);
		in.sin_family = AF_INET;
		in.sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &in.sin_addr), 1);
		memcpy(&dest.storage, &in, sizeof in);
		dest.len = sizeof in;
	}
	return dest;
}

static bool routes(const struct shim_route_table *table, const char *ip, uint16_t port)
{
	struct destination dest = make_destination(ip, port);

	return shim_route_match(table, (const struct sockaddr *)&dest.storage, dest.len);
}

static void parse_ok(const char *text, struct shim_route_table *table)
{
	char err[256];

	assert_int_equal(shim_route_parse(text, table, err, sizeof err), 0);
	assert_string_equal(err, "");
}

static bool rules_equal(const struct shim_route_rule *a, const struct shim_route_rule *b)
{
	return a->exclude == b->exclude && a->family == b->family && a->prefix_len == b->prefix_len &&
		a->port == b->port && memcmp(a->address, b->address, sizeof a->address) == 0;
}

static void assert_tables_equal(const struct shim_route_table *a, const struct shim_route_table *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++)
		assert_true(rules_equal(&a->rules[i], &b->rules[i]));
}

static void assert_formats_as(const struct shim_route_table *table, const char *expected)
{
	char text[4096];

	assert_int_equal(shim_route_format(table, text, sizeof text), (int)strlen(expected));
	assert_string_equal(text, expected);
}

TEST_CASE(test_unset_empty_or_blank_routes_nothing)
{
	static const char *const texts[] = {"", "   ", " \t\r\n "};
	struct shim_route_table table;

	(void)state;
	parse_ok(NULL, &table);
	assert_int_equal(table.count, 0);
	assert_false(routes(&table, "10.0.0.1", 80));
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		parse_ok(texts[i], &table);
		assert_int_equal(table.count, 0);
		assert_false(routes(&table, "127.0.0.1", 53));
		assert_false(routes(&table, "::1", 53));
	}
}

TEST_CASE(test_ipv4_host_routes_every_port_of_that_host_only)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("10.1.2.3", &table);
	assert_int_equal(table.count, 1);
	assert_true(routes(&table, "10.1.2.3", 80));
	assert_true(routes(&table, "10.1.2.3", 1));
	assert_true(routes(&table, "10.1.2.3", 65535));
	assert_false(routes(&table, "10.1.2.4", 80));
	assert_false(routes(&table, "10.1.2.2", 80));
	assert_false(routes(&table, "::1", 80));
	assert_formats_as(&table, "10.1.2.3");
}

TEST_CASE(test_ipv4_network_routes_its_addresses)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("10.0.0.0/8", &table);
	assert_true(routes(&table, "10.0.0.0", 80));
	assert_true(routes(&table, "10.255.255.255", 80));
	assert_false(routes(&table, "11.0.0.0", 80));
	assert_false(routes(&table, "9.255.255.255", 80));

	/* A prefix that does not end on a byte boundary. */
	parse_ok("192.168.0.0/20", &table);
	assert_true(routes(&table, "192.168.15.255", 80));
	assert_false(routes(&table, "192.168.16.0", 80));

	parse_ok("0.0.0.0/0", &table);
	assert_true(routes(&table, "1.2.3.4", 80));
	assert_true(routes(&table, "255.255.255.255", 80));
	assert_false(routes(&table, "2001:db8::1", 80));
	assert_formats_as(&table, "0.0.0.0/0");
}

TEST_CASE(test_loopback_host_with_prefix_32_routes_loopback)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("127.0.0.1/32", &table);
	assert_true(routes(&table, "127.0.0.1", 8080));
	assert_false(routes(&table, "127.0.0.2", 8080));
	assert_formats_as(&table, "127.0.0.1");
}

/* Loopback through a cellular modem never makes sense: only a rule written for it routes it. */
TEST_CASE(test_wide_rules_leave_loopback_alone)
{
	static const char *const wide_rules[] = {"*",         "*:80",
						 "0.0.0.0/0", "[::]/0",
						 "0.0.0.0/1", "96.0.0.0/3",
						 "[::]/127",  "[::]/0,0.0.0.0/0"};
	static const char *const loopback[] = {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"};
	struct shim_route_table table;

	(void)state;
	for (size_t r = 0; r < sizeof wide_rules / sizeof wide_rules[0]; r++) {
		parse_ok(wide_rules[r], &table);
		for (size_t d = 0; d < sizeof loopback / sizeof loopback[0]; d++)
			if (routes(&table, loopback[d], 80))
				fail_msg("ST87_ROUTE=\"%s\" routes %s", wide_rules[r], loopback[d]);
	}
	/* What is not loopback stays routed. */
	parse_ok("*", &table);
	assert_true(routes(&table, "128.0.0.1", 80));
	assert_true(routes(&table, "126.255.255.255", 80));
	assert_true(routes(&table, "::", 80));
}

TEST_CASE(test_rules_written_for_loopback_route_it)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("127.0.0.0/8", &table);
	assert_true(routes(&table, "127.0.0.1", 80));
	assert_true(routes(&table, "127.9.9.9", 80));
	assert_true(routes(&table, "::ffff:127.0.0.1", 80));
	parse_ok("127.0.0.1:8080", &table);
	assert_true(routes(&table, "127.0.0.1", 8080));
	assert_false(routes(&table, "127.0.0.1", 8081));
	parse_ok("[::1]", &table);
	assert_true(routes(&table, "::1", 80));
	/* Written for it anywhere in the list: "*" before it does not hide it. */
	parse_ok("*,127.0.0.1,[::1]:53", &table);
	assert_true(routes(&table, "127.0.0.1", 80));
	assert_true(routes(&table, "::1", 53));
	assert_false(routes(&table, "::1", 80));
	assert_true(routes(&table, "10.0.0.1", 80));
	/* An exclusion still excludes loopback, whatever its width. */
	parse_ok("!*,127.0.0.1", &table);
	assert_false(routes(&table, "127.0.0.1", 80));
}

TEST_CASE(test_ipv4_with_port_routes_that_port_only)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("10.0.0.1:80", &table);
	assert_true(routes(&table, "10.0.0.1", 80));
	assert_false(routes(&table, "10.0.0.1", 81));
	assert_false(routes(&table, "10.0.0.2", 80));

	parse_ok("10.0.0.0/8:443", &table);
	assert_true(routes(&table, "10.9.8.7", 443));
	assert_false(routes(&table, "10.9.8.7", 80));
	assert_false(routes(&table, "11.9.8.7", 443));

	parse_ok("1.2.3.4:65535,1.2.3.4:1", &table);
	assert_true(routes(&table, "1.2.3.4", 65535));
	assert_true(routes(&table, "1.2.3.4", 1));
	assert_false(routes(&table, "1.2.3.4", 2));
	/* Port 0 (an unbound sendto) is no port a rule names. */
	assert_false(routes(&table, "1.2.3.4", 0));
}

TEST_CASE(test_ipv6_rules_in_brackets)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("[::1]", &table);
	assert_true(routes(&table, "::1", 80));
	assert_false(routes(&table, "::2", 80));
	assert_false(routes(&table, "127.0.0.1", 80));

	parse_ok("[::1]:53", &table);
	assert_true(routes(&table, "::1", 53));
	assert_false(routes(&table, "::1", 54));

	parse_ok("[2001:db8::]/32:443", &table);
	assert_true(routes(&table, "2001:db8::1", 443));
	assert_true(routes(&table, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 443));
	assert_false(routes(&table, "2001:db9::1", 443));
	assert_false(routes(&table, "2001:db8::1", 80));
	assert_formats_as(&table, "[2001:db8::]/32:443");

	parse_ok("[2001:DB8:0:0:0:0:0:1]/128", &table);
	assert_true(routes(&table, "2001:db8::1", 1));
	assert_formats_as(&table, "[2001:db8::1]");

	parse_ok("[fe80::]/10", &table);
	assert_true(routes(&table, "febf::1", 1));
	assert_false(routes(&table, "fec0::1", 1));

	parse_ok("[::]/0", &table);
	assert_true(routes(&table, "2001:db8::1", 1));
	assert_false(routes(&table, "10.0.0.1", 1));
}

TEST_CASE(test_star_routes_everything_or_one_port)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("*", &table);
	assert_true(routes(&table, "10.0.0.1", 80));
	assert_true(routes(&table, "2001:db8::1", 22));
	assert_true(routes(&table, "::2", 22));

	parse_ok("*:53", &table);
	assert_true(routes(&table, "9.9.9.9", 53));
	assert_true(routes(&table, "2620:fe::fe", 53));
	assert_false(routes(&table, "9.9.9.9", 443));
	assert_formats_as(&table, "*:53");
}

TEST_CASE(test_first_matching_rule_decides)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("!127.0.0.1/32:8080,127.0.0.0/8", &table);
	assert_false(routes(&table, "127.0.0.1", 8080));
	assert_true(routes(&table, "127.0.0.1", 80));
	assert_true(routes(&table, "127.0.0.2", 8080));
	assert_false(routes(&table, "10.0.0.1", 80));

	/* The same rules the other way round: the exclusion never gets a say. */
	parse_ok("127.0.0.0/8,!127.0.0.1/32:8080", &table);
	assert_true(routes(&table, "127.0.0.1", 8080));

	parse_ok("!10.0.0.0/8,*", &table);
	assert_false(routes(&table, "10.1.1.1", 80));
	assert_true(routes(&table, "11.1.1.1", 80));
	assert_true(routes(&table, "2001:db8::1", 80));

	parse_ok("!*:25,*", &table);
	assert_false(routes(&table, "192.0.2.1", 25));
	assert_true(routes(&table, "192.0.2.1", 587));

	/* Only exclusions: nothing is routed, matching or not. */
	parse_ok("!10.0.0.0/8", &table);
	assert_false(routes(&table, "10.1.1.1", 80));
	assert_false(routes(&table, "11.1.1.1", 80));
}

TEST_CASE(test_ipv4_mapped_destinations_follow_ipv4_rules)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("10.0.0.0/8:80", &table);
	assert_true(routes(&table, "::ffff:10.1.1.1", 80));
	assert_false(routes(&table, "::ffff:10.1.1.1", 81));
	assert_false(routes(&table, "::ffff:11.1.1.1", 80));

	parse_ok("!10.0.0.1,10.0.0.0/8", &table);
	assert_false(routes(&table, "::ffff:10.0.0.1", 80));
	assert_true(routes(&table, "::ffff:10.0.0.2", 80));

	/* They talk IPv4 on the wire: an all-IPv6 rule does not take them. */
	parse_ok("[::]/0", &table);
	assert_false(routes(&table, "::ffff:10.1.1.1", 80));

	/* A rule written as a mapped address is the IPv4 rule. */
	parse_ok("[::ffff:10.0.0.1]", &table);
	assert_true(routes(&table, "10.0.0.1", 80));
	assert_true(routes(&table, "::ffff:10.0.0.1", 80));
	assert_formats_as(&table, "10.0.0.1");
	parse_ok("[::ffff:10.0.0.0]/104:53", &table);
	assert_true(routes(&table, "10.200.0.1", 53));
	assert_formats_as(&table, "10.0.0.0/8:53");
}

TEST_CASE(test_whitespace_around_rules_is_ignored)
{
	struct shim_route_table table;

	(void)state;
	parse_ok("  10.0.0.1 ,\t[::1]:53\n, !*:25 ", &table);
	assert_int_equal(table.count, 3);
	assert_true(routes(&table, "10.0.0.1", 1));
	assert_true(routes(&table, "::1", 53));
	assert_true(table.rules[2].exclude);
	assert_formats_as(&table, "10.0.0.1,[::1]:53,!*:25");
}

TEST_CASE(test_socket_addresses_of_every_shape)
{
	struct shim_route_table table;
	struct destination v4 = make_destination("10.0.0.1", 80);
	struct destination v6 = make_destination("2001:db8::1", 80);
	struct sockaddr_un unix_addr;
	unsigned char unaligned[1 + sizeof(struct sockaddr_in6)];

	(void)state;
	parse_ok("*", &table);

	assert_true(shim_route_match(&table, (struct sockaddr *)&v4.storage, v4.len));
	assert_false(shim_route_match(&table, (struct sockaddr *)&v4.storage, v4.len - 1));
	assert_false(shim_route_match(&table, (struct sockaddr *)&v4.storage, 0));
	assert_false(shim_route_match(&table, (struct sockaddr *)&v4.storage, 1));

	assert_true(shim_route_match(&table, (struct sockaddr *)&v6.storage, v6.len));
	/* The 24-byte RFC 2133 sockaddr_in6 that Linux accepts too. */
	assert_true(shim_route_match(&table, (struct sockaddr *)&v6.storage, 24));
	assert_false(shim_route_match(&table, (struct sockaddr *)&v6.storage, 23));

	memset(&unix_addr, 0, sizeof unix_addr);
	unix_addr.sun_family = AF_UNIX;
	assert_false(shim_route_match(&table, (struct sockaddr *)&unix_addr, sizeof unix_addr));

	assert_false(shim_route_match(NULL, (struct sockaddr *)&v4.storage, v4.len));
	assert_false(shim_route_match(&table, NULL, v4.len));

	/* The program's buffer need not be aligned. */
	memcpy(unaligned + 1, &v6.storage, sizeof(struct sockaddr_in6));
	assert_true(shim_route_match(&table, (struct sockaddr *)(void *)(unaligned + 1),
				     sizeof(struct sockaddr_in6)));
}

TEST_CASE(test_64_rules_fit_and_65_do_not)
{
	static struct shim_route_table table;
	char text[64 * 16 + 32] = "";
	char err[256];
	size_t used = 0;

	(void)state;
	for (int i = 0; i < 64; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%s10.0.0.%d",
					 i > 0 ? "," : "", i + 1);
	parse_ok(text, &table);
	assert_int_equal(table.count, 64);
	assert_true(routes(&table, "10.0.0.64", 1));

	snprintf(text + used, sizeof text - used, ",10.0.0.65");
	assert_int_equal(shim_route_parse(text, &table, err, sizeof err), -E2BIG);
	assert_string_equal(err, "bad rule \"10.0.0.65\": more than 64 rules");
	assert_int_equal(table.count, 0);
	assert_false(routes(&table, "10.0.0.1", 1));
}

struct bad_rule {
	const char *text;
	const char *message;
};

static const struct bad_rule bad_rules[] = {
	{"10.0.0.0/33", "bad rule \"10.0.0.0/33\": prefix must be 0..32"},
	{"10.0.0.0/", "bad rule \"10.0.0.0/\": prefix must be 0..32"},
	{"10.0.0.0/x", "bad rule \"10.0.0.0/x\": prefix must be 0..32"},
	{"10.0.0.0/-8", "bad rule \"10.0.0.0/-8\": prefix must be 0..32"},
	{"10.0.0.0/99999999999999999999999",
	 "bad rule \"10.0.0.0/99999999999999999999999\": "
	 "prefix must be 0..32"},
	{"[::]/129", "bad rule \"[::]/129\": prefix must be 0..128"},
	{"[::]/", "bad rule \"[::]/\": prefix must be 0..128"},
	{"10.0.0.1:0", "bad rule \"10.0.0.1:0\": port must be 1..65535"},
	{"10.0.0.1:65536", "bad rule \"10.0.0.1:65536\": port must be 1..65535"},
	{"10.0.0.1:", "bad rule \"10.0.0.1:\": port must be 1..65535"},
	{"10.0.0.1:http", "bad rule \"10.0.0.1:http\": port must be 1..65535"},
	{"10.0.0.1:-1", "bad rule \"10.0.0.1:-1\": port must be 1..65535"},
	{"10.0.0.1:80:90", "bad rule \"10.0.0.1:80:90\": port must be 1..65535"},
	{"10.0.0.1:99999999999999999999",
	 "bad rule \"10.0.0.1:99999999999999999999\": port must be 1..65535"},
	{"[::1]:0", "bad rule \"[::1]:0\": port must be 1..65535"},
	{"*:", "bad rule \"*:\": port must be 1..65535"},
	{"10.0.0.256",
	 "bad rule \"10.0.0.256\": "
	 "expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"10.0.0",
	 "bad rule \"10.0.0\": "
	 "expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"example.com",
	 "bad rule \"example.com\": "
	 "expected an IPv4 address, an IPv6 address in brackets, or *"},
	{":80", "bad rule \":80\": expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"/8", "bad rule \"/8\": expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"!!10.0.0.1",
	 "bad rule \"!!10.0.0.1\": "
	 "expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"! 10.0.0.1",
	 "bad rule \"! 10.0.0.1\": "
	 "expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"10.0.0.1 10.0.0.2",
	 "bad rule \"10.0.0.1 10.0.0.2\": "
	 "expected an IPv4 address, an IPv6 address in brackets, or *"},
	{"::1",
	 "bad rule \"::1\": IPv6 addresses go in brackets, such as [::1] or "
	 "[2001:db8::]/32:443"},
	{"2001:db8::/32",
	 "bad rule \"2001:db8::/32\": IPv6 addresses go in brackets, such as "
	 "[::1] or [2001:db8::]/32:443"},
	{"[::1", "bad rule \"[::1\": missing \"]\" after the IPv6 address"},
	{"[", "bad rule \"[\": missing \"]\" after the IPv6 address"},
	{"[]", "bad rule \"[]\": not an IPv6 address inside the brackets"},
	{"[10.0.0.1]", "bad rule \"[10.0.0.1]\": not an IPv6 address inside the brackets"},
	{"[fe80::1%eth0]", "bad rule \"[fe80::1%eth0]\": not an IPv6 address inside the brackets"},
	{"[::1]x",
	 "bad rule \"[::1]x\": unexpected text after the address "
	 "(expected /PREFIX or :PORT)"},
	{"*x", "bad rule \"*x\": unexpected text after the address (expected /PREFIX or :PORT)"},
	{"*/8",
	 "bad rule \"*/8\": \"*\" takes no prefix (for one family use 0.0.0.0/0 or "
	 "[::]/0)"},
	{"!", "bad rule \"!\": nothing after \"!\""},
	{"10.1.2.3/8",
	 "bad rule \"10.1.2.3/8\": address has bits set past the prefix; "
	 "did you mean 10.0.0.0/8?"},
	{"!10.1.2.3/8:80",
	 "bad rule \"!10.1.2.3/8:80\": address has bits set past the prefix; "
	 "did you mean !10.0.0.0/8:80?"},
	{"[2001:db8::1]/32",
	 "bad rule \"[2001:db8::1]/32\": address has bits set past the "
	 "prefix; did you mean [2001:db8::]/32?"},
	/* The bad rule of several is the one named, trimmed. */
	{"10.0.0.1,,10.0.0.2", "bad rule \"\": empty rule (a stray comma?)"},
	{"10.0.0.1,", "bad rule \"\": empty rule (a stray comma?)"},
	{",10.0.0.1", "bad rule \"\": empty rule (a stray comma?)"},
	{" , ", "bad rule \"\": empty rule (a stray comma?)"},
	{"10.0.0.1, 10.0.0.0/33 ,[::1]", "bad rule \"10.0.0.0/33\": prefix must be 0..32"},
};

TEST_CASE(test_every_bad_rule_is_named_and_explained)
{
	struct shim_route_table table;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
		int ret;

		/* A previous good table must not survive a failed parse. */
		parse_ok("*", &table);
		ret = shim_route_parse(bad_rules[i].text, &table, err, sizeof err);
		if (ret != -EINVAL)
			fail_msg("rule \"%s\" gave %d, not -EINVAL", bad_rules[i].text, ret);
		assert_string_equal(err, bad_rules[i].message);
		assert_int_equal(table.count, 0);
		assert_false(routes(&table, "10.0.0.1", 80));
	}
}

TEST_CASE(test_error_message_is_one_printable_line)
{
	struct shim_route_table table;
	char long_rule[101];
	char err[512];

	(void)state;
	assert_int_equal(shim_route_parse("\x01\x7f\"\\\xc3\xa9", &table, err, sizeof err), -EINVAL);
	assert_string_equal(err,
			    "bad rule \"\\x01\\x7f\\\"\\\\\\xc3\\xa9\": "
			    "expected an IPv4 address, an IPv6 address in brackets, or *");

	assert_int_equal(shim_route_parse("10.0.0.1\n10.0.0.2", &table, err, sizeof err), -EINVAL);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "\"10.0.0.1\\x0a10.0.0.2\""));

	memset(long_rule, 'a', sizeof long_rule - 1);
	long_rule[sizeof long_rule - 1] = '\0';
	assert_int_equal(shim_route_parse(long_rule, &table, err, sizeof err), -EINVAL);
	assert_string_equal(err,
			    "bad rule \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
			    "expected an IPv4 address, an IPv6 address in brackets, or *");
}

TEST_CASE(test_error_buffer_may_be_small_or_absent)
{
	struct shim_route_table table;
	char err[8];
	char one[1] = {'x'};

	(void)state;
	assert_int_equal(shim_route_parse("10.0.0.0/33", &table, err, sizeof err), -EINVAL);
	assert_string_equal(err, "bad rul");
	assert_int_equal(shim_route_parse("10.0.0.0/33", &table, one, sizeof one), -EINVAL);
	assert_int_equal(one[0], '\0');
	assert_int_equal(shim_route_parse("10.0.0.0/33", &table, NULL, 0), -EINVAL);
	assert_int_equal(shim_route_parse("10.0.0.1", &table, NULL, 0), 0);
	assert_int_equal(shim_route_parse("10.0.0.1", NULL, err, sizeof err), -EINVAL);
}

TEST_CASE(test_format_gives_canonical_text_that_parses_back)
{
	struct shim_route_table table;
	struct shim_route_table again;
	char text[512];

	(void)state;
	parse_ok("!127.0.0.1/32:8080 , 10.0.0.0/8,[2001:DB8::]/32:443,*:53,[::1],!*", &table);
	assert_formats_as(&table, "!127.0.0.1:8080,10.0.0.0/8,[2001:db8::]/32:443,*:53,[::1],!*");
	assert_true(shim_route_format(&table, text, sizeof text) > 0);
	parse_ok(text, &again);
	assert_tables_equal(&table, &again);

	parse_ok("", &table);
	assert_formats_as(&table, "");
}

TEST_CASE(test_format_reports_a_short_buffer)
{
	struct shim_route_table table;
	char text[12];

	(void)state;
	parse_ok("10.0.0.0/8,192.168.0.0/16", &table);
	assert_int_equal(shim_route_format(&table, text, sizeof text), -ENOSPC);
	assert_string_equal(text, "10.0.0.0/8,");
	assert_int_equal(shim_route_format(&table, text, 1), -ENOSPC);
	assert_string_equal(text, "");
	assert_int_equal(shim_route_format(&table, text, 0), -EINVAL);
	assert_int_equal(shim_route_format(&table, NULL, 10), -EINVAL);
	assert_int_equal(shim_route_format(NULL, text, sizeof text), -EINVAL);
}

/* xorshift32: the same "random" text on every run, so a failure repeats. */
static uint32_t next_random(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

/*
 * Random sequences of rule pieces: well-formed rules often enough to check
 * that what parses formats back to the same table, and every kind of
 * malformed one otherwise.
 */
TEST_CASE(test_any_text_parses_or_fails_cleanly)
{
	static const char *const pieces[] = {
		"10.0.0.0",
		"10.1.2.3",
		"0.0.0.0",
		"255.255.255.255",
		"[::1]",
		"[2001:db8::]",
		"[::ffff:10.0.0.0]",
		"[::]",
		"*",
		"!",
		"/8",
		"/0",
		"/32",
		"/33",
		"/96",
		"/104",
		"/128",
		":80",
		":65535",
		":0",
		",",
		",",
		",",
		" ",
		"\t",
		"[",
		"]",
		":",
		"/",
		"::1",
		"1",
		"x",
		"",
	};
	static const char *const probes[] = {"10.0.0.1", "0.0.0.0",         "255.255.255.255", "::1",
					     "::",       "::ffff:10.0.0.1", "2001:db8::1"};
	uint32_t seed = 0x5ee87u;
	int parsed = 0;

	(void)state;
	for (int round = 0; round < 50000; round++) {
		struct shim_route_table table;
		struct shim_route_table again;
		char text[256] = "";
		char canonical[4096];
		char err[256];
		size_t count = next_random(&seed) % 9;
		int ret;

		for (size_t i = 0; i < count; i++)
			strcat(text, pieces[next_random(&seed) % (sizeof pieces / sizeof pieces[0])]);

		ret = shim_route_parse(text, &table, err, sizeof err);
		if (ret != 0) {
			assert_int_equal(ret, -EINVAL);
			assert_int_equal(table.count, 0);
			assert_memory_equal(err, "bad rule \"", 10);
			continue;
		}
		parsed += table.count > 0;
		assert_true(shim_route_format(&table, canonical, sizeof canonical) >= 0);
		parse_ok(canonical, &again);
		assert_tables_equal(&table, &again);
		for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
			assert_int_equal(routes(&table, probes[i], 80), routes(&again, probes[i], 80));
	}
	/* The pieces must make enough good rules for the round trip to mean something. */
	assert_true(parsed > 1000);
}

/* "Names go over the modem" means every DNS destination is routed: only a catch-all include says so. */
TEST_CASE(test_covers_port_only_when_every_address_is_routed)
{
	(void)state;
	static const struct {
		const char *routes;
		bool covers_53;
	} cases[] = {
		{"*", true},
		{"*:53", true},
		{"0.0.0.0/0", true},
		{"10.0.0.0/8,*", true}, /* the narrower rule leaves the rest to "*" */
		{"!10.0.0.1,*", false}, /* one resolver excluded */
		{"*:443", false},
		{"10.0.0.0/8", false},
		{"[::]/0", false}, /* IPv6 only */
		{"*:443,0.0.0.0/0:53", true},
		{"", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shim_route_table table;
		parse_ok(cases[i].routes, &table);
		if (shim_route_covers_port(&table, 53) != cases[i].covers_53)
			fail_msg("ST87_ROUTE=\"%s\": covers port 53 should be %d", cases[i].routes,
				 cases[i].covers_53);
	}
	assert_false(shim_route_covers_port(NULL, 53));
}

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
