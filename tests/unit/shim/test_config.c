/*
 * The ST87_* variables as a user sets them: defaults, every good form,
 * every bad one with its one-line message, and what the shim then does.
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

#include "config.h"

#define MAX_FAKE_VARIABLES 16

/* The environment the test hands to shim_config_parse(). */
struct fake_variable {
	const char *name;
	const char *value;
};

static struct fake_variable fake_environment[MAX_FAKE_VARIABLES];
static size_t fake_environment_count;
static struct shim_config config;
static char errors[4096];

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < fake_environment_count; i++) {
		if (strcmp(fake_environment[i].name, name) == 0)
			return fake_environment[i].value;
	}
	return NULL;
}

static void set_variable(const char *name, const char *value)
{
	assert_true(fake_environment_count < MAX_FAKE_VARIABLES);
	fake_environment[fake_environment_count].name = name;
	fake_environment[fake_environment_count].value = value;
	fake_environment_count++;
}

static int clear_environment(void **state)
{
	(void)state;
	fake_environment_count = 0;
	memset(&config, 0xa5, sizeof config); /* defaults must come from the parser */
	memset(errors, 0, sizeof errors);
	return 0;
}

static int parse(void)
{
	return shim_config_parse(fake_getenv, &config, errors, sizeof errors);
}

/* Parses an environment holding only @name=@value. */
static int parse_only(const char *name, const char *value)
{
	fake_environment_count = 0;
	set_variable(name, value);
	return parse();
}

static void assert_accepted(const char *name, const char *value)
{
	int ret = parse_only(name, value);

	assert_string_equal(errors, "");
	if (ret != 0)
		fail_msg("%s=\"%s\" gave %d", name, value, ret);
	assert_false(config.fail_routed);
}

/* @value of @name is refused with the one line @expected_line. */
static void assert_refused(const char *name, const char *value, const char *expected_line)
{
	int ret = parse_only(name, value);

	if (ret != -EINVAL)
		fail_msg("%s=\"%s\" gave %d, not -EINVAL", name, value, ret);
	assert_string_equal(errors, expected_line);
	assert_true(config.fail_routed);
}

static size_t count_lines(const char *text)
{
	size_t lines = 0;

	for (; *text != '\0'; text++)
		lines += *text == '\n';
	return lines;
}

static void assert_defaults_except_routes(void)
{
	assert_string_equal(config.port, "auto");
	assert_int_equal(config.baud, 115200);
	assert_false(config.has_dns_server);
	assert_int_equal(config.log_level, ST87_LOG_ERROR);
	assert_string_equal(config.trace_path, "");
	assert_false(config.hex_payloads);
	assert_int_equal(config.connect_timeout_ms, 60000);
	assert_int_equal(config.link_check_interval_s, 60);
	assert_int_equal(config.exit_flush_timeout_ms, 60000);
}

static void test_nothing_set_gives_an_inert_shim_with_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(), 0);
	assert_string_equal(errors, "");
	assert_true(config.inert);
	assert_false(config.fail_routed);
	assert_int_equal(config.routes.count, 0);
	assert_defaults_except_routes();
}

static void test_set_defaults_matches_an_empty_environment(void **state)
{
	static struct shim_config defaults;

	(void)state;
	shim_config_set_defaults(&defaults);
	assert_int_equal(parse(), 0);
	assert_memory_equal(&defaults, &config, sizeof config);
}

static void test_empty_values_count_as_unset(void **state)
{
	static const char *const names[] = {
		"ST87_ROUTE",
		"ST87_PORT",
		"ST87_BAUD",
		"ST87_DNS",
		"ST87_LOG",
		"ST87_TRACE",
		"ST87_HEX",
		"ST87_SEND_HANDSHAKE",
		"ST87_CONNECT_TIMEOUT",
		"ST87_LINK_CHECK",
		"ST87_EXIT_FLUSH_TIMEOUT",
		"ST87_TCP_EVICT_IDLE",
		"ST87_SLEEP_HOLD",
		"ST87_UDP_RAI",
	};

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		set_variable(names[i], "");
	assert_int_equal(parse(), 0);
	assert_string_equal(errors, "");
	assert_true(config.inert);
	assert_defaults_except_routes();
}

static void test_routes_make_the_shim_active(void **state)
{
	(void)state;
	assert_accepted("ST87_ROUTE", "10.0.0.0/8, [::1]:53");
	assert_false(config.inert);
	assert_int_equal(config.routes.count, 2);
	/* ST87_PORT unset with routes set: look for the modem. */
	assert_string_equal(config.port, "auto");

	assert_accepted("ST87_ROUTE", "  ");
	assert_true(config.inert);
}

static void test_routes_that_only_exclude_leave_the_shim_inert(void **state)
{
	(void)state;
	assert_accepted("ST87_ROUTE", "!10.0.0.0/8,!*:25");
	assert_true(config.inert);
	assert_int_equal(config.routes.count, 2);
}

static void test_bad_route_routes_nothing(void **state)
{
	(void)state;
	assert_refused("ST87_ROUTE", "10.0.0.0/33",
		       "ST87_ROUTE=\"10.0.0.0/33\": bad rule \"10.0.0.0/33\": prefix must be "
		       "0..32; nothing is routed\n");
	assert_true(config.inert);
	assert_int_equal(config.routes.count, 0);

	assert_refused("ST87_ROUTE", "*, ::1",
		       "ST87_ROUTE=\"*, ::1\": bad rule \"::1\": IPv6 addresses go in brackets, "
		       "such as [::1] or [2001:db8::]/32:443; nothing is routed\n");
	assert_true(config.inert);
}

static void test_more_than_64_routes_route_nothing(void **state)
{
	char text[65 * 12] = "";
	size_t used = 0;

	(void)state;
	for (int i = 0; i < 65; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%s10.0.0.%d",
					 i > 0 ? "," : "", i + 1);
	assert_int_equal(parse_only("ST87_ROUTE", text), -EINVAL);
	assert_non_null(strstr(errors,
			       ": bad rule \"10.0.0.65\": more than 64 rules; "
			       "nothing is routed\n"));
	assert_int_equal(count_lines(errors), 1);
	assert_true(config.inert);
}

static void test_port(void **state)
{
	static char longest[SHIM_CONFIG_PATH_SIZE];
	static char too_long[SHIM_CONFIG_PATH_SIZE + 1];
	static const char expected_path[] =
		"expected \"auto\" or an absolute device path such as /dev/ttyUSB0\n";

	(void)state;
	assert_accepted("ST87_PORT", "/dev/ttyACM0");
	assert_string_equal(config.port, "/dev/ttyACM0");
	assert_accepted("ST87_PORT", "/dev/serial/by-id/usb-STMicroelectronics_ST87M01-if00");
	assert_string_equal(config.port, "/dev/serial/by-id/usb-STMicroelectronics_ST87M01-if00");
	assert_accepted("ST87_PORT", "auto");
	assert_string_equal(config.port, "auto");
	assert_accepted("ST87_PORT", "AUTO");
	assert_string_equal(config.port, "auto");

	memset(longest, 'x', sizeof longest - 1);
	longest[0] = '/';
	assert_accepted("ST87_PORT", longest);
	assert_string_equal(config.port, longest);

	assert_refused("ST87_PORT", "ttyUSB0",
		       "ST87_PORT=\"ttyUSB0\": expected \"auto\" or an absolute device path "
		       "such as /dev/ttyUSB0\n");
	assert_string_equal(config.port, "auto");
	assert_refused("ST87_PORT", "./ttyUSB0",
		       "ST87_PORT=\"./ttyUSB0\": expected \"auto\" or an absolute device path "
		       "such as /dev/ttyUSB0\n");
	assert_int_equal(parse_only("ST87_PORT", " /dev/ttyUSB0"), -EINVAL);
	assert_non_null(strstr(errors, expected_path));

	memset(too_long, 'x', sizeof too_long - 1);
	too_long[0] = '/';
	assert_int_equal(parse_only("ST87_PORT", too_long), -EINVAL);
	assert_non_null(strstr(errors, "...\": expected a device path shorter than 4096 bytes\n"));
	assert_string_equal(config.port, "auto");
}

static void test_baud(void **state)
{
	static const char *const good[] = {
		"1200",    "2400",    "4800",    "9600",    "19200",   "38400",   "57600",
		"115200",  "230400",  "460800",  "500000",  "576000",  "921600",  "1000000",
		"1152000", "1500000", "2000000", "2500000", "3000000", "3500000", "4000000",
	};
	static const char *const bad[] = {
		"fast",     "0",       "-9600",
		"+9600",    "115201",  "9600baud",
		"4000001",  "600",     "99999999999999999999999",
		"1e5",      "0x1c200", "96 00",
		"115200.0",
	};
	char expected[256];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_accepted("ST87_BAUD", good[i]);
		assert_int_equal(config.baud, atoi(good[i]));
	}
	assert_accepted("ST87_BAUD", " 9600\t");
	assert_int_equal(config.baud, 9600);

	assert_refused("ST87_BAUD", "fast",
		       "ST87_BAUD=\"fast\": expected a baud rate such as 115200 "
		       "(a standard rate from 1200 to 4000000)\n");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_BAUD=\"%s\": expected a baud rate such as 115200 "
			 "(a standard rate from 1200 to 4000000)\n",
			 bad[i]);
		assert_refused("ST87_BAUD", bad[i], expected);
		assert_int_equal(config.baud, 115200);
	}
}

static void assert_dns_server(const char *value, int family, const char *address, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	assert_accepted("ST87_DNS", value);
	assert_true(config.has_dns_server);
	assert_int_equal(config.dns_server.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in in;

		assert_int_equal(config.dns_server_len, sizeof in);
		memcpy(&in, &config.dns_server, sizeof in);
		assert_int_equal(ntohs(in.sin_port), port);
		assert_non_null(inet_ntop(AF_INET, &in.sin_addr, text, sizeof text));
	} else {
		struct sockaddr_in6 in6;

		assert_int_equal(config.dns_server_len, sizeof in6);
		memcpy(&in6, &config.dns_server, sizeof in6);
		assert_int_equal(ntohs(in6.sin6_port), port);
		assert_non_null(inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text));
	}
	assert_string_equal(text, address);
}

static void test_dns_server(void **state)
{
	(void)state;
	assert_dns_server("8.8.8.8", AF_INET, "8.8.8.8", 53);
	assert_dns_server("9.9.9.9:5353", AF_INET, "9.9.9.9", 5353);
	assert_dns_server(" 127.0.0.1:1 ", AF_INET, "127.0.0.1", 1);
	assert_dns_server("[2001:4860:4860::8888]", AF_INET6, "2001:4860:4860::8888", 53);
	assert_dns_server("[::1]:65535", AF_INET6, "::1", 65535);
}

static void test_bad_dns_server(void **state)
{
	static const char *const not_an_endpoint[] = {
		"dns.google", "8.8.8", "8.8.8.256",  "[::1", "[::1]53",
		"[8.8.8.8]",  "[]",    "8.8.8.8 53", ":53",
	};
	static const char *const bad_port[] = {
		"8.8.8.8:0",
		"8.8.8.8:65536",
		"8.8.8.8:",
		"[::1]:",
		"8.8.8.8:53x",
		"8.8.8.8:-53",
		"[::1]:99999999999999999999",
		"[::1]:53x",
	};
	char expected[256];

	(void)state;
	for (size_t i = 0; i < sizeof not_an_endpoint / sizeof not_an_endpoint[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_DNS=\"%s\": expected IP[:PORT], IPv6 in brackets, such as 9.9.9.9 "
			 "or [2620:fe::fe]:53\n",
			 not_an_endpoint[i]);
		assert_refused("ST87_DNS", not_an_endpoint[i], expected);
		assert_false(config.has_dns_server);
	}
	for (size_t i = 0; i < sizeof bad_port / sizeof bad_port[0]; i++) {
		snprintf(expected, sizeof expected, "ST87_DNS=\"%s\": port must be 1..65535\n",
			 bad_port[i]);
		assert_refused("ST87_DNS", bad_port[i], expected);
		assert_false(config.has_dns_server);
	}
	assert_refused("ST87_DNS", "2001:4860:4860::8888",
		       "ST87_DNS=\"2001:4860:4860::8888\": IPv6 addresses go in brackets, such as "
		       "[2620:fe::fe]:53\n");
	assert_refused("ST87_DNS", "::1:53",
		       "ST87_DNS=\"::1:53\": IPv6 addresses go in brackets, such as "
		       "[2620:fe::fe]:53\n");
}

static void test_log_level(void **state)
{
	static const struct {
		const char *value;
		enum st87_log_level level;
	} good[] = {
		{"none", ST87_LOG_NONE},   {"error", ST87_LOG_ERROR}, {"warn", ST87_LOG_WARN},
		{"info", ST87_LOG_INFO},   {"debug", ST87_LOG_DEBUG}, {"DEBUG", ST87_LOG_DEBUG},
		{" Warn ", ST87_LOG_WARN}, {"0", ST87_LOG_NONE},      {"1", ST87_LOG_ERROR},
		{"2", ST87_LOG_WARN},      {"3", ST87_LOG_INFO},      {"4", ST87_LOG_DEBUG},
	};
	static const char *const bad[] = {"5", "-1", "verbose", "warning", "debugx", "deb"};
	char expected[256];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_accepted("ST87_LOG", good[i].value);
		assert_int_equal(config.log_level, good[i].level);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_LOG=\"%s\": expected none, error, warn, info, debug or 0..4\n", bad[i]);
		assert_refused("ST87_LOG", bad[i], expected);
		assert_int_equal(config.log_level, ST87_LOG_ERROR);
	}
}

static void test_trace_path(void **state)
{
	static char too_long[SHIM_CONFIG_PATH_SIZE + 1];

	(void)state;
	assert_accepted("ST87_TRACE", "/tmp/st87.trace");
	assert_string_equal(config.trace_path, "/tmp/st87.trace");
	assert_accepted("ST87_TRACE", "at trace.log");
	assert_string_equal(config.trace_path, "at trace.log");

	memset(too_long, 't', sizeof too_long - 1);
	assert_int_equal(parse_only("ST87_TRACE", too_long), -EINVAL);
	assert_non_null(strstr(errors, "...\": expected a file path shorter than 4096 bytes\n"));
	assert_string_equal(config.trace_path, "");
}

static void test_hex_payloads(void **state)
{
	static const char *const bad[] = {"yes", "2", "true", "-1", "01x"};
	char expected[256];

	(void)state;
	assert_accepted("ST87_HEX", "1");
	assert_true(config.hex_payloads);
	assert_accepted("ST87_HEX", " 1 ");
	assert_true(config.hex_payloads);
	assert_accepted("ST87_HEX", "0");
	assert_false(config.hex_payloads);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_HEX=\"%s\": expected 0 (binary payloads) or 1 (hex text)\n", bad[i]);
		assert_refused("ST87_HEX", bad[i], expected);
		assert_false(config.hex_payloads);
	}
}

static void test_send_handshake(void **state)
{
	static const char *const bad[] = {"one", "1", "onestep", "two-steps", "auto"};
	char expected[256];

	(void)state;
	assert_int_equal(parse(), 0);
	assert_int_equal(config.send_handshake, ST87_SEND_DETECT);
	assert_accepted("ST87_SEND_HANDSHAKE", "one-step");
	assert_int_equal(config.send_handshake, ST87_SEND_ONE_STEP);
	assert_accepted("ST87_SEND_HANDSHAKE", " Two-Step ");
	assert_int_equal(config.send_handshake, ST87_SEND_TWO_STEP);
	assert_accepted("ST87_SEND_HANDSHAKE", "detect");
	assert_int_equal(config.send_handshake, ST87_SEND_DETECT);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_SEND_HANDSHAKE=\"%s\": expected detect, one-step (the line and its data "
			 "at "
			 "once) or two-step (the line, its OK, then the data)\n",
			 bad[i]);
		assert_refused("ST87_SEND_HANDSHAKE", bad[i], expected);
		assert_int_equal(config.send_handshake, ST87_SEND_DETECT);
	}
}

static void test_connect_timeout(void **state)
{
	static const char *const bad[] = {"0", "3600001", "10s", "-5", "1.5"};
	char expected[256];

	(void)state;
	assert_accepted("ST87_CONNECT_TIMEOUT", "1");
	assert_int_equal(config.connect_timeout_ms, 1);
	assert_accepted("ST87_CONNECT_TIMEOUT", "250");
	assert_int_equal(config.connect_timeout_ms, 250);
	assert_accepted("ST87_CONNECT_TIMEOUT", "3600000");
	assert_int_equal(config.connect_timeout_ms, 3600000);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_CONNECT_TIMEOUT=\"%s\": expected milliseconds from 1 to 3600000, "
			 "such as 10000\n",
			 bad[i]);
		assert_refused("ST87_CONNECT_TIMEOUT", bad[i], expected);
		assert_int_equal(config.connect_timeout_ms, 60000);
	}
}

static void test_tcp_evict_idle(void **state)
{
	static const char *const bad[] = {"-1", "3600001", "200ms", "never"};
	char expected[256];

	(void)state;
	assert_int_equal(parse(), 0);
	assert_int_equal(config.tcp_evict_idle_ms, 200);
	assert_accepted("ST87_TCP_EVICT_IDLE", "0");
	assert_int_equal(config.tcp_evict_idle_ms, 0);
	assert_accepted("ST87_TCP_EVICT_IDLE", " 1500 ");
	assert_int_equal(config.tcp_evict_idle_ms, 1500);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_TCP_EVICT_IDLE=\"%s\": expected milliseconds from 0 (never take the "
			 "socket) to 3600000, such as 200\n",
			 bad[i]);
		assert_refused("ST87_TCP_EVICT_IDLE", bad[i], expected);
	}
}

static void test_link_check_interval(void **state)
{
	static const char *const bad[] = {"-1", "86401", "5s", "off"};
	char expected[256];

	(void)state;
	assert_accepted("ST87_LINK_CHECK", "0");
	assert_int_equal(config.link_check_interval_s, 0);
	assert_accepted("ST87_LINK_CHECK", "30");
	assert_int_equal(config.link_check_interval_s, 30);
	assert_accepted("ST87_LINK_CHECK", "86400");
	assert_int_equal(config.link_check_interval_s, 86400);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_LINK_CHECK=\"%s\": expected seconds from 0 (never) to 86400, "
			 "such as 60\n",
			 bad[i]);
		assert_refused("ST87_LINK_CHECK", bad[i], expected);
		assert_int_equal(config.link_check_interval_s, 60);
	}
}

static void test_sleep_hold(void **state)
{
	static const char *const bad[] = {"-1", "86401", "10s", "never"};
	char expected[256];

	(void)state;
	assert_int_equal(parse(), 0);
	assert_int_equal(config.sleep_hold_s, SHIM_CONFIG_SLEEP_HOLD_ASK);
	assert_accepted("ST87_SLEEP_HOLD", "0");
	assert_int_equal(config.sleep_hold_s, 0);
	assert_accepted("ST87_SLEEP_HOLD", " 20 ");
	assert_int_equal(config.sleep_hold_s, 20);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_SLEEP_HOLD=\"%s\": expected seconds from 0 (the modem never sleeps) "
			 "to 86400, such as 10\n",
			 bad[i]);
		assert_refused("ST87_SLEEP_HOLD", bad[i], expected);
		assert_int_equal(config.sleep_hold_s, SHIM_CONFIG_SLEEP_HOLD_ASK);
	}
}

static void test_udp_rai(void **state)
{
	static const char *const bad[] = {"3", "-1", "one", "2x"};
	char expected[256];

	(void)state;
	assert_accepted("ST87_UDP_RAI", "1");
	assert_int_equal(config.udp_rai, 1);
	assert_accepted("ST87_UDP_RAI", "2");
	assert_int_equal(config.udp_rai, 2);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_UDP_RAI=\"%s\": expected 0 (no information), 1 (no downlink expected) "
			 "or 2 (one downlink expected)\n",
			 bad[i]);
		assert_refused("ST87_UDP_RAI", bad[i], expected);
		assert_int_equal(config.udp_rai, 0);
	}
}

static void test_exit_flush_timeout(void **state)
{
	static const char *const bad[] = {"abc", "3600001", "-1", "5000ms"};
	char expected[256];

	(void)state;
	assert_accepted("ST87_EXIT_FLUSH_TIMEOUT", "0");
	assert_int_equal(config.exit_flush_timeout_ms, 0);
	assert_accepted("ST87_EXIT_FLUSH_TIMEOUT", "100");
	assert_int_equal(config.exit_flush_timeout_ms, 100);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(expected, sizeof expected,
			 "ST87_EXIT_FLUSH_TIMEOUT=\"%s\": expected milliseconds from 0 (send "
			 "nothing more) to 3600000, such as 60000\n",
			 bad[i]);
		assert_refused("ST87_EXIT_FLUSH_TIMEOUT", bad[i], expected);
		assert_int_equal(config.exit_flush_timeout_ms, 60000);
	}
}

static void test_everything_set_well(void **state)
{
	(void)state;
	set_variable("ST87_ROUTE", "*:80,*:443");
	set_variable("ST87_PORT", "/dev/ttyUSB1");
	set_variable("ST87_BAUD", "921600");
	set_variable("ST87_DNS", "[2620:fe::fe]:53");
	set_variable("ST87_LOG", "debug");
	set_variable("ST87_TRACE", "/tmp/at.trace");
	set_variable("ST87_HEX", "1");
	set_variable("ST87_CONNECT_TIMEOUT", "20000");
	set_variable("ST87_LINK_CHECK", "0");
	set_variable("ST87_EXIT_FLUSH_TIMEOUT", "0");
	assert_int_equal(parse(), 0);
	assert_string_equal(errors, "");
	assert_false(config.inert);
	assert_false(config.fail_routed);
	assert_int_equal(config.routes.count, 2);
	assert_string_equal(config.port, "/dev/ttyUSB1");
	assert_int_equal(config.baud, 921600);
	assert_true(config.has_dns_server);
	assert_int_equal(config.log_level, ST87_LOG_DEBUG);
	assert_string_equal(config.trace_path, "/tmp/at.trace");
	assert_true(config.hex_payloads);
	assert_int_equal(config.connect_timeout_ms, 20000);
	assert_int_equal(config.link_check_interval_s, 0);
	assert_int_equal(config.exit_flush_timeout_ms, 0);
}

static void test_each_bad_variable_gets_its_own_line(void **state)
{
	(void)state;
	set_variable("ST87_ROUTE", "10.0.0.0/8");
	set_variable("ST87_BAUD", "fast");
	set_variable("ST87_DNS", "8.8.8.8");
	set_variable("ST87_LOG", "verbose");
	set_variable("ST87_HEX", "2");
	assert_int_equal(parse(), -EINVAL);
	assert_string_equal(errors,
			    "ST87_BAUD=\"fast\": expected a baud rate such as 115200 (a standard "
			    "rate from 1200 to 4000000)\n"
			    "ST87_LOG=\"verbose\": expected none, error, warn, info, debug or 0..4\n"
			    "ST87_HEX=\"2\": expected 0 (binary payloads) or 1 (hex text)\n");
	/* Routes are known, settings are not: routed calls fail, nothing else changes. */
	assert_false(config.inert);
	assert_true(config.fail_routed);
	assert_int_equal(config.routes.count, 1);
	assert_true(config.has_dns_server);
	assert_int_equal(config.baud, 115200);
	assert_int_equal(config.log_level, ST87_LOG_ERROR);
}

static void test_odd_bytes_in_a_value_stay_on_one_line(void **state)
{
	char long_value[201];

	(void)state;
	assert_refused("ST87_BAUD", "96\n00\x1b[31m\"\\\xff",
		       "ST87_BAUD=\"96\\x0a00\\x1b[31m\\\"\\\\\\xff\": expected a baud rate such as "
		       "115200 (a standard rate from 1200 to 4000000)\n");

	memset(long_value, '9', sizeof long_value - 1);
	long_value[sizeof long_value - 1] = '\0';
	assert_refused("ST87_BAUD", long_value,
		       "ST87_BAUD=\"9999999999999999999999999999999999999999999999999999999999999999"
		       "...\": expected a baud rate such as 115200 (a standard rate from 1200 to "
		       "4000000)\n");

	assert_int_equal(parse_only("ST87_ROUTE", "10.0.0.1\n\n10.0.0.2"), -EINVAL);
	assert_int_equal(count_lines(errors), 1);
}

static void test_error_buffer_may_be_small_or_absent(void **state)
{
	char small[12];
	char one[1] = {'x'};

	(void)state;
	set_variable("ST87_BAUD", "fast");
	set_variable("ST87_LOG", "verbose");
	assert_int_equal(shim_config_parse(fake_getenv, &config, small, sizeof small), -EINVAL);
	assert_string_equal(small, "ST87_BAUD=\"");
	assert_int_equal(shim_config_parse(fake_getenv, &config, one, sizeof one), -EINVAL);
	assert_int_equal(one[0], '\0');
	assert_int_equal(shim_config_parse(fake_getenv, &config, NULL, 0), -EINVAL);
	assert_true(config.fail_routed);
	assert_int_equal(shim_config_parse(fake_getenv, NULL, errors, sizeof errors), -EINVAL);
}

static void test_process_environment_is_read_by_default(void **state)
{
	(void)state;
	assert_int_equal(setenv("ST87_BAUD", "9600", 1), 0);
	assert_int_equal(setenv("ST87_ROUTE", "127.0.0.1", 1), 0);
	assert_int_equal(shim_config_parse(NULL, &config, errors, sizeof errors), 0);
	assert_int_equal(config.baud, 9600);
	assert_false(config.inert);
	assert_string_equal(shim_config_process_getenv("ST87_BAUD"), "9600");
	assert_int_equal(unsetenv("ST87_BAUD"), 0);
	assert_int_equal(unsetenv("ST87_ROUTE"), 0);
	assert_null(shim_config_process_getenv("ST87_BAUD"));
}

#define TEST(name) cmocka_unit_test_setup(name, clear_environment)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_nothing_set_gives_an_inert_shim_with_defaults),
		TEST(test_set_defaults_matches_an_empty_environment),
		TEST(test_empty_values_count_as_unset),
		TEST(test_routes_make_the_shim_active),
		TEST(test_routes_that_only_exclude_leave_the_shim_inert),
		TEST(test_bad_route_routes_nothing),
		TEST(test_more_than_64_routes_route_nothing),
		TEST(test_port),
		TEST(test_baud),
		TEST(test_dns_server),
		TEST(test_bad_dns_server),
		TEST(test_log_level),
		TEST(test_trace_path),
		TEST(test_hex_payloads),
		TEST(test_send_handshake),
		TEST(test_connect_timeout),
		TEST(test_link_check_interval),
		TEST(test_tcp_evict_idle),
		TEST(test_sleep_hold),
		TEST(test_udp_rai),
		TEST(test_exit_flush_timeout),
		TEST(test_everything_set_well),
		TEST(test_each_bad_variable_gets_its_own_line),
		TEST(test_odd_bytes_in_a_value_stay_on_one_line),
		TEST(test_error_buffer_may_be_small_or_absent),
		TEST(test_process_environment_is_read_by_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
