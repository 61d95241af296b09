/*
 * The ST87_* variables as a user sets them: defaults, every good form,
 * every bad one with its one-line message, and what the shim then does.
 * The values are one table (cases[]): a variable, a value, and the field it
 * sets or the line that refuses it; a new variable is a few rows there.
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

#include "conf_file.h"
#include "config.h"
#include "test_cases.h"

#define MAX_FAKE_VARIABLES 24

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
	assert_int_equal(config.send_handshake, ST87_SEND_DETECT);
	assert_int_equal(config.tcp_evict_idle_ms, 200);
	assert_int_equal(config.sleep_hold_s, SHIM_CONFIG_SLEEP_HOLD_ASK);
	assert_int_equal(config.half_close_idle_ms, 5000);
	assert_int_equal(config.deadline_percent, 100);
}

TEST_CASE_FIXED(test_nothing_set_gives_an_inert_shim_with_defaults, clear_environment, NULL)
{
	(void)state;
	assert_int_equal(parse(), 0);
	assert_string_equal(errors, "");
	assert_true(config.inert);
	assert_false(config.fail_routed);
	assert_int_equal(config.routes.count, 0);
	assert_defaults_except_routes();
}

TEST_CASE_FIXED(test_set_defaults_matches_an_empty_environment, clear_environment, NULL)
{
	static struct shim_config defaults;

	(void)state;
	shim_config_set_defaults(&defaults);
	assert_int_equal(parse(), 0);
	assert_memory_equal(&defaults, &config, sizeof config);
}

TEST_CASE_FIXED(test_empty_values_count_as_unset, clear_environment, NULL)
{
	const char *name;

	(void)state;
	for (size_t i = 0; (name = shim_config_variable_name(i)) != NULL; i++)
		set_variable(name, "");
	assert_int_equal(parse(), 0);
	assert_string_equal(errors, "");
	assert_true(config.inert);
	assert_defaults_except_routes();
}

/* What each variable's refusal says after `NAME="value": `. */
#define ROUTE_PREFIX_WANTED "bad rule \"10.0.0.0/33\": prefix must be 0..32; nothing is routed"
#define ROUTE_BRACKETS_WANTED                                                                     \
	"bad rule \"::1\": IPv6 addresses go in brackets, such as [::1] or [2001:db8::]/32:443; " \
	"nothing is routed"
#define PORT_WANTED "expected \"auto\" or an absolute device path such as /dev/ttyUSB0"
#define BAUD_WANTED "expected a baud rate such as 115200 (a standard rate from 1200 to 4000000)"
#define DNS_WANTED "expected IP[:PORT], IPv6 in brackets, such as 9.9.9.9 or [2620:fe::fe]:53"
#define DNS_PORT_WANTED "port must be 1..65535"
#define DNS_BRACKETS_WANTED "IPv6 addresses go in brackets, such as [2620:fe::fe]:53"
#define LOG_WANTED "expected none, error, warn, info, debug or 0..4"
#define HEX_WANTED "expected 0 (binary payloads) or 1 (hex text)"
#define MODEM_DNS_SERVER_WANTED \
	"expected 0 (AT#DNS) or 1 (queries to the modem's DNS server, where it has one)"
#define RTSCTS_WANTED "expected 0 (no flow control) or 1 (RTS/CTS, for a modem wired with them)"
#define HANDSHAKE_WANTED                                                                            \
	"expected detect, one-step (the line and its data at once) or two-step (the line, its OK, " \
	"then the data)"
#define DAEMON_WANTED "expected off, or the absolute path of st87d's socket (shorter than 108 bytes)"
#define CONNECT_WANTED "expected milliseconds from 1 to 3600000, such as 10000"
#define LINK_CHECK_WANTED "expected seconds from 0 (never) to 86400, such as 60"
#define SLEEP_HOLD_WANTED "expected seconds from 0 (the modem never sleeps) to 86400, such as 10"
#define DEADLINE_PERCENT_WANTED \
	"expected a percentage of the usual deadlines from 1 to 1000, such as 200"
#define RAI_WANTED "expected 0 (no information), 1 (no downlink expected) or 2 (one downlink expected)"
#define EVICT_WANTED "expected milliseconds from 0 (never take the socket) to 3600000, such as 200"
#define EXIT_FLUSH_WANTED "expected milliseconds from 0 (send nothing more) to 3600000, such as 60000"
#define HALF_CLOSE_WANTED \
	"expected milliseconds from 0 (keep the connection for the answer) to 3600000, such as 5000"

/* How a case reads the field its variable sets. */
enum field_kind {
	NUMBER,   /* an int, enum, bool or size_t member */
	TEXT,     /* a char array member */
	ENDPOINT, /* the DNS server, as "IP:PORT" or "[IPv6]:PORT" ("" when none) */
};

struct field {
	enum field_kind kind;
	size_t offset;
	size_t size;
};

#define MEMBER_SIZE(member) sizeof(((struct shim_config *)NULL)->member)
#define NUMBER_FIELD(member)                                                      \
	{                                                                         \
		NUMBER, offsetof(struct shim_config, member), MEMBER_SIZE(member) \
	}
#define TEXT_FIELD(member)                                                      \
	{                                                                       \
		TEXT, offsetof(struct shim_config, member), MEMBER_SIZE(member) \
	}
#define DNS_FIELD              \
	{                      \
		ENDPOINT, 0, 0 \
	}

/*
 * One value of one variable: accepted with the field's value (@number, or
 * @text), or refused with the line's @error (the field keeps its default).
 */
struct config_case {
	const char *variable;
	const char *value;
	struct field field;
	long number;
	const char *text;
	const char *error;
};

#define GOOD_NUMBER(variable, value, member, number)                      \
	{                                                                 \
		variable, value, NUMBER_FIELD(member), number, NULL, NULL \
	}
#define GOOD_TEXT(variable, value, member, text)                   \
	{                                                          \
		variable, value, TEXT_FIELD(member), 0, text, NULL \
	}
#define GOOD_DNS(value, text)                               \
	{                                                   \
		"ST87_DNS", value, DNS_FIELD, 0, text, NULL \
	}
#define BAD_NUMBER(variable, value, member, error)                    \
	{                                                             \
		variable, value, NUMBER_FIELD(member), 0, NULL, error \
	}
#define BAD_TEXT(variable, value, member, error)                    \
	{                                                           \
		variable, value, TEXT_FIELD(member), 0, NULL, error \
	}
#define BAD_DNS(value, error)                                \
	{                                                    \
		"ST87_DNS", value, DNS_FIELD, 0, NULL, error \
	}

/* Every variable of config.c's table has rows here (test_every_variable_has_cases). */
static const struct config_case cases[] = {
	GOOD_NUMBER("ST87_ROUTE", "10.0.0.0/8, [::1]:53", routes.count, 2),
	GOOD_NUMBER("ST87_ROUTE", "!10.0.0.0/8,!*:25", routes.count, 2),
	GOOD_NUMBER("ST87_ROUTE", "  ", routes.count, 0),
	BAD_NUMBER("ST87_ROUTE", "10.0.0.0/33", routes.count, ROUTE_PREFIX_WANTED),
	BAD_NUMBER("ST87_ROUTE", "*, ::1", routes.count, ROUTE_BRACKETS_WANTED),

	GOOD_TEXT("ST87_PORT", "/dev/ttyACM0", port, "/dev/ttyACM0"),
	GOOD_TEXT("ST87_PORT", "/dev/serial/by-id/usb-STMicroelectronics_ST87M01-if00", port,
		  "/dev/serial/by-id/usb-STMicroelectronics_ST87M01-if00"),
	GOOD_TEXT("ST87_PORT", "auto", port, "auto"),
	GOOD_TEXT("ST87_PORT", "AUTO", port, "auto"),
	BAD_TEXT("ST87_PORT", "ttyUSB0", port, PORT_WANTED),
	BAD_TEXT("ST87_PORT", "./ttyUSB0", port, PORT_WANTED),
	BAD_TEXT("ST87_PORT", " /dev/ttyUSB0", port, PORT_WANTED),

	/* Every rate is checked against libst87's table by test_settings.c. */
	GOOD_NUMBER("ST87_BAUD", "1200", baud, 1200),
	GOOD_NUMBER("ST87_BAUD", "115200", baud, 115200),
	GOOD_NUMBER("ST87_BAUD", "921600", baud, 921600),
	GOOD_NUMBER("ST87_BAUD", "4000000", baud, 4000000),
	GOOD_NUMBER("ST87_BAUD", " 9600\t", baud, 9600),
	BAD_NUMBER("ST87_BAUD", "fast", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "0", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "-9600", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "+9600", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "115201", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "9600baud", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "4000001", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "600", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "99999999999999999999999", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "1e5", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "0x1c200", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "96 00", baud, BAUD_WANTED),
	BAD_NUMBER("ST87_BAUD", "115200.0", baud, BAUD_WANTED),

	GOOD_DNS("8.8.8.8", "8.8.8.8:53"),
	GOOD_DNS("9.9.9.9:5353", "9.9.9.9:5353"),
	GOOD_DNS(" 127.0.0.1:1 ", "127.0.0.1:1"),
	GOOD_DNS("[2001:4860:4860::8888]", "[2001:4860:4860::8888]:53"),
	GOOD_DNS("[::1]:65535", "[::1]:65535"),
	BAD_DNS("dns.google", DNS_WANTED),
	BAD_DNS("8.8.8", DNS_WANTED),
	BAD_DNS("8.8.8.256", DNS_WANTED),
	BAD_DNS("[::1", DNS_WANTED),
	BAD_DNS("[::1]53", DNS_WANTED),
	BAD_DNS("[8.8.8.8]", DNS_WANTED),
	BAD_DNS("[]", DNS_WANTED),
	BAD_DNS("8.8.8.8 53", DNS_WANTED),
	BAD_DNS(":53", DNS_WANTED),
	BAD_DNS("8.8.8.8:0", DNS_PORT_WANTED),
	BAD_DNS("8.8.8.8:65536", DNS_PORT_WANTED),
	BAD_DNS("8.8.8.8:", DNS_PORT_WANTED),
	BAD_DNS("[::1]:", DNS_PORT_WANTED),
	BAD_DNS("8.8.8.8:53x", DNS_PORT_WANTED),
	BAD_DNS("8.8.8.8:-53", DNS_PORT_WANTED),
	BAD_DNS("[::1]:99999999999999999999", DNS_PORT_WANTED),
	BAD_DNS("[::1]:53x", DNS_PORT_WANTED),
	BAD_DNS("2001:4860:4860::8888", DNS_BRACKETS_WANTED),
	BAD_DNS("::1:53", DNS_BRACKETS_WANTED),

	GOOD_NUMBER("ST87_LOG", "none", log_level, ST87_LOG_NONE),
	GOOD_NUMBER("ST87_LOG", "error", log_level, ST87_LOG_ERROR),
	GOOD_NUMBER("ST87_LOG", "warn", log_level, ST87_LOG_WARN),
	GOOD_NUMBER("ST87_LOG", "info", log_level, ST87_LOG_INFO),
	GOOD_NUMBER("ST87_LOG", "debug", log_level, ST87_LOG_DEBUG),
	GOOD_NUMBER("ST87_LOG", "DEBUG", log_level, ST87_LOG_DEBUG),
	GOOD_NUMBER("ST87_LOG", " Warn ", log_level, ST87_LOG_WARN),
	GOOD_NUMBER("ST87_LOG", "0", log_level, ST87_LOG_NONE),
	GOOD_NUMBER("ST87_LOG", "1", log_level, ST87_LOG_ERROR),
	GOOD_NUMBER("ST87_LOG", "2", log_level, ST87_LOG_WARN),
	GOOD_NUMBER("ST87_LOG", "3", log_level, ST87_LOG_INFO),
	GOOD_NUMBER("ST87_LOG", "4", log_level, ST87_LOG_DEBUG),
	BAD_NUMBER("ST87_LOG", "5", log_level, LOG_WANTED),
	BAD_NUMBER("ST87_LOG", "-1", log_level, LOG_WANTED),
	BAD_NUMBER("ST87_LOG", "verbose", log_level, LOG_WANTED),
	BAD_NUMBER("ST87_LOG", "warning", log_level, LOG_WANTED),
	BAD_NUMBER("ST87_LOG", "debugx", log_level, LOG_WANTED),
	BAD_NUMBER("ST87_LOG", "deb", log_level, LOG_WANTED),

	/* Paths are taken as written; the longest and one too long: test_paths_up_to_their_size. */
	GOOD_TEXT("ST87_TRACE", "/tmp/st87.trace", trace_path, "/tmp/st87.trace"),
	GOOD_TEXT("ST87_TRACE", "at trace.log", trace_path, "at trace.log"),

	GOOD_NUMBER("ST87_RTSCTS", "1", rtscts, true),
	GOOD_NUMBER("ST87_RTSCTS", " 1\t", rtscts, true),
	GOOD_NUMBER("ST87_RTSCTS", "0", rtscts, false),
	BAD_NUMBER("ST87_RTSCTS", "on", rtscts, RTSCTS_WANTED),
	BAD_NUMBER("ST87_RTSCTS", "2", rtscts, RTSCTS_WANTED),
	BAD_NUMBER("ST87_RTSCTS", "-1", rtscts, RTSCTS_WANTED),

	GOOD_NUMBER("ST87_MODEM_DNS_SERVER", "0", modem_dns_server, false),
	GOOD_NUMBER("ST87_MODEM_DNS_SERVER", " 1 ", modem_dns_server, true),
	BAD_NUMBER("ST87_MODEM_DNS_SERVER", "off", modem_dns_server, MODEM_DNS_SERVER_WANTED),
	BAD_NUMBER("ST87_MODEM_DNS_SERVER", "2", modem_dns_server, MODEM_DNS_SERVER_WANTED),

	GOOD_NUMBER("ST87_HEX", "1", hex_payloads, true),
	GOOD_NUMBER("ST87_HEX", " 1 ", hex_payloads, true),
	GOOD_NUMBER("ST87_HEX", "0", hex_payloads, false),
	BAD_NUMBER("ST87_HEX", "yes", hex_payloads, HEX_WANTED),
	BAD_NUMBER("ST87_HEX", "2", hex_payloads, HEX_WANTED),
	BAD_NUMBER("ST87_HEX", "true", hex_payloads, HEX_WANTED),
	BAD_NUMBER("ST87_HEX", "-1", hex_payloads, HEX_WANTED),
	BAD_NUMBER("ST87_HEX", "01x", hex_payloads, HEX_WANTED),

	GOOD_NUMBER("ST87_SEND_HANDSHAKE", "one-step", send_handshake, ST87_SEND_ONE_STEP),
	GOOD_NUMBER("ST87_SEND_HANDSHAKE", " Two-Step ", send_handshake, ST87_SEND_TWO_STEP),
	GOOD_NUMBER("ST87_SEND_HANDSHAKE", "detect", send_handshake, ST87_SEND_DETECT),
	BAD_NUMBER("ST87_SEND_HANDSHAKE", "one", send_handshake, HANDSHAKE_WANTED),
	BAD_NUMBER("ST87_SEND_HANDSHAKE", "1", send_handshake, HANDSHAKE_WANTED),
	BAD_NUMBER("ST87_SEND_HANDSHAKE", "onestep", send_handshake, HANDSHAKE_WANTED),
	BAD_NUMBER("ST87_SEND_HANDSHAKE", "two-steps", send_handshake, HANDSHAKE_WANTED),
	BAD_NUMBER("ST87_SEND_HANDSHAKE", "auto", send_handshake, HANDSHAKE_WANTED),

	GOOD_NUMBER("ST87_DAEMON", "off", daemon_use, SHIM_DAEMON_OFF),
	GOOD_NUMBER("ST87_DAEMON", "/tmp/st87d.sock", daemon_use, SHIM_DAEMON_REQUIRED),
	GOOD_TEXT("ST87_DAEMON", "/tmp/st87d.sock", daemon_socket, "/tmp/st87d.sock"),
	BAD_TEXT("ST87_DAEMON", "st87d.sock", daemon_socket, DAEMON_WANTED),
	BAD_NUMBER("ST87_DAEMON", "OFF", daemon_use, DAEMON_WANTED),

	GOOD_NUMBER("ST87_CONNECT_TIMEOUT", "1", connect_timeout_ms, 1),
	GOOD_NUMBER("ST87_CONNECT_TIMEOUT", "250", connect_timeout_ms, 250),
	GOOD_NUMBER("ST87_CONNECT_TIMEOUT", "3600000", connect_timeout_ms, 3600000),
	BAD_NUMBER("ST87_CONNECT_TIMEOUT", "0", connect_timeout_ms, CONNECT_WANTED),
	BAD_NUMBER("ST87_CONNECT_TIMEOUT", "3600001", connect_timeout_ms, CONNECT_WANTED),
	BAD_NUMBER("ST87_CONNECT_TIMEOUT", "10s", connect_timeout_ms, CONNECT_WANTED),
	BAD_NUMBER("ST87_CONNECT_TIMEOUT", "-5", connect_timeout_ms, CONNECT_WANTED),
	BAD_NUMBER("ST87_CONNECT_TIMEOUT", "1.5", connect_timeout_ms, CONNECT_WANTED),

	GOOD_NUMBER("ST87_LINK_CHECK", "0", link_check_interval_s, 0),
	GOOD_NUMBER("ST87_LINK_CHECK", "30", link_check_interval_s, 30),
	GOOD_NUMBER("ST87_LINK_CHECK", "86400", link_check_interval_s, 86400),
	BAD_NUMBER("ST87_LINK_CHECK", "-1", link_check_interval_s, LINK_CHECK_WANTED),
	BAD_NUMBER("ST87_LINK_CHECK", "86401", link_check_interval_s, LINK_CHECK_WANTED),
	BAD_NUMBER("ST87_LINK_CHECK", "5s", link_check_interval_s, LINK_CHECK_WANTED),
	BAD_NUMBER("ST87_LINK_CHECK", "off", link_check_interval_s, LINK_CHECK_WANTED),

	GOOD_NUMBER("ST87_DEADLINE_PERCENT", "1", deadline_percent, 1),
	GOOD_NUMBER("ST87_DEADLINE_PERCENT", " 250 ", deadline_percent, 250),
	GOOD_NUMBER("ST87_DEADLINE_PERCENT", "1000", deadline_percent, 1000),
	BAD_NUMBER("ST87_DEADLINE_PERCENT", "0", deadline_percent, DEADLINE_PERCENT_WANTED),
	BAD_NUMBER("ST87_DEADLINE_PERCENT", "1001", deadline_percent, DEADLINE_PERCENT_WANTED),
	BAD_NUMBER("ST87_DEADLINE_PERCENT", "50%", deadline_percent, DEADLINE_PERCENT_WANTED),
	GOOD_NUMBER("ST87_SLEEP_HOLD", "0", sleep_hold_s, 0),
	GOOD_NUMBER("ST87_SLEEP_HOLD", " 20 ", sleep_hold_s, 20),
	BAD_NUMBER("ST87_SLEEP_HOLD", "-1", sleep_hold_s, SLEEP_HOLD_WANTED),
	BAD_NUMBER("ST87_SLEEP_HOLD", "86401", sleep_hold_s, SLEEP_HOLD_WANTED),
	BAD_NUMBER("ST87_SLEEP_HOLD", "10s", sleep_hold_s, SLEEP_HOLD_WANTED),
	BAD_NUMBER("ST87_SLEEP_HOLD", "never", sleep_hold_s, SLEEP_HOLD_WANTED),

	GOOD_NUMBER("ST87_UDP_RAI", "0", udp_rai, 0),
	GOOD_NUMBER("ST87_UDP_RAI", "1", udp_rai, 1),
	GOOD_NUMBER("ST87_UDP_RAI", "2", udp_rai, 2),
	BAD_NUMBER("ST87_UDP_RAI", "3", udp_rai, RAI_WANTED),
	BAD_NUMBER("ST87_UDP_RAI", "-1", udp_rai, RAI_WANTED),
	BAD_NUMBER("ST87_UDP_RAI", "one", udp_rai, RAI_WANTED),
	BAD_NUMBER("ST87_UDP_RAI", "2x", udp_rai, RAI_WANTED),

	GOOD_NUMBER("ST87_TCP_EVICT_IDLE", "0", tcp_evict_idle_ms, 0),
	GOOD_NUMBER("ST87_TCP_EVICT_IDLE", " 1500 ", tcp_evict_idle_ms, 1500),
	BAD_NUMBER("ST87_TCP_EVICT_IDLE", "-1", tcp_evict_idle_ms, EVICT_WANTED),
	BAD_NUMBER("ST87_TCP_EVICT_IDLE", "3600001", tcp_evict_idle_ms, EVICT_WANTED),
	BAD_NUMBER("ST87_TCP_EVICT_IDLE", "200ms", tcp_evict_idle_ms, EVICT_WANTED),
	BAD_NUMBER("ST87_TCP_EVICT_IDLE", "never", tcp_evict_idle_ms, EVICT_WANTED),

	GOOD_NUMBER("ST87_EXIT_FLUSH_TIMEOUT", "0", exit_flush_timeout_ms, 0),
	GOOD_NUMBER("ST87_EXIT_FLUSH_TIMEOUT", "100", exit_flush_timeout_ms, 100),
	BAD_NUMBER("ST87_EXIT_FLUSH_TIMEOUT", "abc", exit_flush_timeout_ms, EXIT_FLUSH_WANTED),
	BAD_NUMBER("ST87_EXIT_FLUSH_TIMEOUT", "3600001", exit_flush_timeout_ms, EXIT_FLUSH_WANTED),
	BAD_NUMBER("ST87_EXIT_FLUSH_TIMEOUT", "-1", exit_flush_timeout_ms, EXIT_FLUSH_WANTED),
	BAD_NUMBER("ST87_EXIT_FLUSH_TIMEOUT", "5000ms", exit_flush_timeout_ms, EXIT_FLUSH_WANTED),

	GOOD_NUMBER("ST87_HALF_CLOSE_IDLE", "0", half_close_idle_ms, 0),
	GOOD_NUMBER("ST87_HALF_CLOSE_IDLE", " 750 ", half_close_idle_ms, 750),
	GOOD_NUMBER("ST87_HALF_CLOSE_IDLE", "3600000", half_close_idle_ms, 3600000),
	BAD_NUMBER("ST87_HALF_CLOSE_IDLE", "-1", half_close_idle_ms, HALF_CLOSE_WANTED),
	BAD_NUMBER("ST87_HALF_CLOSE_IDLE", "3600001", half_close_idle_ms, HALF_CLOSE_WANTED),
	BAD_NUMBER("ST87_HALF_CLOSE_IDLE", "5s", half_close_idle_ms, HALF_CLOSE_WANTED),
};

#define CASE_COUNT (sizeof cases / sizeof cases[0])

/* The DNS server as "IP:PORT" or "[IPv6]:PORT" in @text; "" when there is none. */
static void format_dns_server(const struct shim_config *from, char *text, size_t text_size)
{
	char address[INET6_ADDRSTRLEN];
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	if (!from->has_dns_server)
		return;
	if (from->dns_server.ss_family == AF_INET) {
		assert_int_equal(from->dns_server_len, sizeof in);
		memcpy(&in, &from->dns_server, sizeof in);
		assert_non_null(inet_ntop(AF_INET, &in.sin_addr, address, sizeof address));
		snprintf(text, text_size, "%s:%u", address, ntohs(in.sin_port));
		return;
	}
	assert_int_equal(from->dns_server.ss_family, AF_INET6);
	assert_int_equal(from->dns_server_len, sizeof in6);
	memcpy(&in6, &from->dns_server, sizeof in6);
	assert_non_null(inet_ntop(AF_INET6, &in6.sin6_addr, address, sizeof address));
	snprintf(text, text_size, "[%s]:%u", address, ntohs(in6.sin6_port));
}

/* The field's value: a number, or (TEXT, ENDPOINT) 0 and its text in @text. */
static long read_field(const struct shim_config *from, const struct field *field, char *text,
		       size_t text_size)
{
	const char *at = (const char *)from + field->offset;

	text[0] = '\0';
	if (field->kind == TEXT) {
		snprintf(text, text_size, "%s", at);
		return 0;
	}
	if (field->kind == ENDPOINT) {
		format_dns_server(from, text, text_size);
		return 0;
	}
	if (field->size == sizeof(bool)) {
		bool flag;
		memcpy(&flag, at, sizeof flag);
		return flag;
	}
	if (field->size == sizeof(size_t)) {
		size_t count;
		memcpy(&count, at, sizeof count);
		return (long)count;
	}
	assert_int_equal(field->size, sizeof(int));
	int number;
	memcpy(&number, at, sizeof number);
	return number;
}

/* One row: parsed alone, then the result, the one line of a refusal, and the field. */
static void check_case(const struct config_case *c)
{
	static struct shim_config defaults;
	static char text[SHIM_CONFIG_PATH_SIZE], default_text[SHIM_CONFIG_PATH_SIZE];
	char line[512];

	if (c->error == NULL) {
		assert_accepted(c->variable, c->value);
		long number = read_field(&config, &c->field, text, sizeof text);
		if (c->text != NULL)
			assert_string_equal(text, c->text);
		else if (number != c->number)
			fail_msg("%s=\"%s\" set %ld, not %ld", c->variable, c->value, number, c->number);
		return;
	}
	snprintf(line, sizeof line, "%s=\"%s\": %s\n", c->variable, c->value, c->error);
	assert_refused(c->variable, c->value, line);
	/* A refused value leaves its field at the default. */
	shim_config_set_defaults(&defaults);
	long number = read_field(&config, &c->field, text, sizeof text);
	assert_int_equal(number, read_field(&defaults, &c->field, default_text, sizeof default_text));
	assert_string_equal(text, default_text);
}

TEST_CASE_FIXED(test_each_case_of_the_table, clear_environment, NULL)
{
	(void)state;
	for (size_t i = 0; i < CASE_COUNT; i++)
		check_case(&cases[i]);
}

/*
 * A variable added to config.c's table without rows here fails: an accepted
 * value and a refused one (ST87_TRACE takes any path: test_paths_up_to_their_size
 * refuses one too long).
 */
TEST_CASE_FIXED(test_every_variable_has_cases, clear_environment, NULL)
{
	const char *name;

	(void)state;
	for (size_t v = 0; (name = shim_config_variable_name(v)) != NULL; v++) {
		bool good = false, bad = strcmp(name, "ST87_TRACE") == 0;

		for (size_t i = 0; i < CASE_COUNT; i++) {
			if (strcmp(cases[i].variable, name) != 0)
				continue;
			good = good || cases[i].error == NULL;
			bad = bad || cases[i].error != NULL;
		}
		if (!good || !bad)
			fail_msg("%s has no %s value in the table", name, good ? "refused" : "accepted");
	}
}

TEST_CASE_FIXED(test_routes_make_the_shim_active, clear_environment, NULL)
{
	(void)state;
	assert_accepted("ST87_ROUTE", "10.0.0.0/8, [::1]:53");
	assert_false(config.inert);
	/* ST87_PORT unset with routes set: look for the modem. */
	assert_string_equal(config.port, "auto");

	assert_accepted("ST87_ROUTE", "  ");
	assert_true(config.inert);
}

TEST_CASE_FIXED(test_routes_that_only_exclude_leave_the_shim_inert, clear_environment, NULL)
{
	(void)state;
	assert_accepted("ST87_ROUTE", "!10.0.0.0/8,!*:25");
	assert_true(config.inert);
}

TEST_CASE_FIXED(test_bad_route_routes_nothing, clear_environment, NULL)
{
	(void)state;
	assert_int_equal(parse_only("ST87_ROUTE", "10.0.0.0/33"), -EINVAL);
	assert_true(config.inert);
	assert_int_equal(parse_only("ST87_ROUTE", "*, ::1"), -EINVAL);
	assert_true(config.inert);
	assert_int_equal(config.routes.count, 0);
}

TEST_CASE_FIXED(test_more_than_64_routes_route_nothing, clear_environment, NULL)
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

/* ST87_PORT and ST87_TRACE hold up to SHIM_CONFIG_PATH_SIZE - 1 bytes; a longer value is cut in its line. */
TEST_CASE_FIXED(test_paths_up_to_their_size, clear_environment, NULL)
{
	static char longest[SHIM_CONFIG_PATH_SIZE];
	static char too_long[SHIM_CONFIG_PATH_SIZE + 1];

	(void)state;
	memset(longest, 'x', sizeof longest - 1);
	longest[0] = '/';
	assert_accepted("ST87_PORT", longest);
	assert_string_equal(config.port, longest);

	memset(too_long, 'x', sizeof too_long - 1);
	too_long[0] = '/';
	assert_int_equal(parse_only("ST87_PORT", too_long), -EINVAL);
	assert_non_null(strstr(errors, "...\": expected a device path shorter than 4096 bytes\n"));
	assert_string_equal(config.port, "auto");

	assert_int_equal(parse_only("ST87_TRACE", too_long), -EINVAL);
	assert_non_null(strstr(errors, "...\": expected a file path shorter than 4096 bytes\n"));
	assert_string_equal(config.trace_path, "");
}

TEST_CASE_FIXED(test_everything_set_well, clear_environment, NULL)
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

TEST_CASE_FIXED(test_each_bad_variable_gets_its_own_line, clear_environment, NULL)
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

TEST_CASE_FIXED(test_odd_bytes_in_a_value_stay_on_one_line, clear_environment, NULL)
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

TEST_CASE_FIXED(test_error_buffer_may_be_small_or_absent, clear_environment, NULL)
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

TEST_CASE_FIXED(test_process_environment_is_read_by_default, clear_environment, NULL)
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

int main(void)
{
	return test_cases_run("tests", NULL, NULL);
}
