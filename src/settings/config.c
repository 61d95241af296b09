/*
 * The ST87_* environment variables: one table row per variable, each with a
 * parser that either fills its field of the config or explains, in one line,
 * what it expected.
 */
#include "config.h"

#include "conf_file.h"
#include "decimal.h"
#include "text.h"
#include "quote.h"
#include "socket_address.h"
#include "st87/st87.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>

/* Values longer than this are cut short (with "...") in error lines. */
#define QUOTED_VALUE_MAX 64
/* Each shown byte may become a 4-byte "\xNN" escape. */
#define QUOTED_VALUE_SIZE SHIM_QUOTED_SIZE(QUOTED_VALUE_MAX)
/* Holds the explanation half of an error line (a route error is the longest). */
#define PROBLEM_SIZE 512

#define MAX_TIMEOUT_MS SHIM_CONFIG_MAX_TIMEOUT_MS
#define MAX_LINK_CHECK_S 86400 /* a day */

struct variable {
	const char *name;
	/* 0 with the field set, or -EINVAL with @problem set and the field untouched; NULL: a bounded int below. */
	int (*parse)(const char *value, struct shim_config *config, char *problem, size_t problem_len);
	size_t offset; /* the int field of struct shim_config */
	unsigned long min, max;
	const char *expected;
};

static bool parse_trimmed_decimal(const char *value, unsigned long min, unsigned long max,
				  unsigned long *result)
{
	size_t len;
	const char *text = shim_trim(value, &len);

	return shim_parse_decimal(text, len, min, max, result);
}

static int parse_route(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	char route_error[PROBLEM_SIZE - sizeof "; nothing is routed"];

	if (shim_route_parse(value, &config->routes, route_error, sizeof route_error) < 0) {
		snprintf(problem, problem_len, "%s; nothing is routed", route_error);
		return -EINVAL;
	}
	return 0;
}

static int parse_port(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	size_t len = strlen(value);

	if (strcasecmp(value, "auto") == 0) {
		snprintf(config->port, sizeof config->port, "%s", "auto");
		return 0;
	}
	/* A bare "ttyUSB0" would be opened relative to the program's directory. */
	if (value[0] != '/')
		return shim_fail(problem, problem_len,
				 "expected \"auto\" or an absolute device path such as /dev/ttyUSB0");
	if (len >= sizeof config->port)
		return shim_fail(problem, problem_len, "expected a device path shorter than 4096 bytes");
	memcpy(config->port, value, len + 1);
	return 0;
}

static int parse_baud(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	unsigned long rate;

	if (parse_trimmed_decimal(value, 1, INT_MAX, &rate) && st87_baud_supported((int)rate)) {
		config->baud = (int)rate;
		return 0;
	}
	return shim_fail(problem, problem_len,
			 "expected a baud rate such as 115200 (a standard rate from 1200 to 4000000)");
}

static int parse_dns(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	static const char expected[] =
		"expected IP[:PORT], IPv6 in brackets, such as 9.9.9.9 or [2620:fe::fe]:53";
	size_t len;
	const char *text = shim_trim(value, &len);
	const char *end = text + len;
	const char *address_start;
	const char *address_end;
	const char *rest;
	unsigned long port = SHIM_CONFIG_DEFAULT_DNS_PORT;
	uint8_t address[16];
	int family;

	if (len == 0)
		return shim_fail(problem, problem_len, expected);
	if (text[0] == '[') {
		address_start = text + 1;
		address_end = memchr(address_start, ']', (size_t)(end - address_start));
		if (address_end == NULL)
			return shim_fail(problem, problem_len, expected);
		rest = address_end + 1;
		family = AF_INET6;
	} else {
		const char *colon = memchr(text, ':', len);

		/* Without brackets, "::1:53" could be an address or an address and a port. */
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
			return shim_fail(problem, problem_len,
					 "IPv6 addresses go in brackets, such as [2620:fe::fe]:53");
		address_start = text;
		address_end = colon != NULL ? colon : end;
		rest = address_end;
		family = AF_INET;
	}
	if (!shim_parse_ip(family, address_start, (size_t)(address_end - address_start), address))
		return shim_fail(problem, problem_len, expected);
	if (rest < end) {
		if (*rest != ':')
			return shim_fail(problem, problem_len, expected);
		rest++;
		if (!shim_parse_decimal(rest, (size_t)(end - rest), 1, 65535, &port))
			return shim_fail(problem, problem_len, "port must be 1..65535");
	}

	shim_socket_address(family, address, (uint16_t)port, &config->dns_server,
			    &config->dns_server_len);
	config->has_dns_server = true;
	return 0;
}

static int parse_log(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	if (st87_log_parse_level(value, &config->log_level) < 0)
		return shim_fail(problem, problem_len,
				 "expected none, error, warn, info, debug or 0..4");
	return 0;
}

static int parse_trace(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	size_t len = strlen(value);

	if (len >= sizeof config->trace_path)
		return shim_fail(problem, problem_len, "expected a file path shorter than 4096 bytes");
	memcpy(config->trace_path, value, len + 1);
	return 0;
}

static int parse_daemon(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	if (strcmp(value, "off") == 0) {
		config->daemon_use = SHIM_DAEMON_OFF;
		return 0;
	}
	if (value[0] != '/' || strlen(value) >= sizeof config->daemon_socket)
		return shim_fail(
			problem, problem_len,
			"expected off, or the absolute path of st87d's socket (shorter than 108 bytes)");
	memcpy(config->daemon_socket, value, strlen(value) + 1);
	config->daemon_use = SHIM_DAEMON_REQUIRED;
	return 0;
}

/* A 0 or 1 setting into @flag; otherwise the problem says what each means (@expected). */
static int parse_on_off(const char *value, bool *flag, const char *expected, char *problem,
			size_t problem_len)
{
	unsigned long number;

	if (!parse_trimmed_decimal(value, 0, 1, &number))
		return shim_fail(problem, problem_len, expected);
	*flag = number == 1;
	return 0;
}

static int parse_hex(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	return parse_on_off(value, &config->hex_payloads, "expected 0 (binary payloads) or 1 (hex text)",
			    problem, problem_len);
}

static int parse_rtscts(const char *value, struct shim_config *config, char *problem, size_t problem_len)
{
	return parse_on_off(value, &config->rtscts,
			    "expected 0 (no flow control) or 1 (RTS/CTS, for a modem wired with them)",
			    problem, problem_len);
}

static int parse_modem_dns_server(const char *value, struct shim_config *config, char *problem,
				  size_t problem_len)
{
	return parse_on_off(
		value, &config->modem_dns_server,
		"expected 0 (AT#DNS) or 1 (queries to the modem's DNS server, where it has one)",
		problem, problem_len);
}

static int parse_send_handshake(const char *value, struct shim_config *config, char *problem,
				size_t problem_len)
{
	static const struct {
		const char *name;
		enum st87_send_handshake handshake;
	} names[] = {
		{"detect", ST87_SEND_DETECT},
		{"one-step", ST87_SEND_ONE_STEP},
		{"two-step", ST87_SEND_TWO_STEP},
	};
	size_t len;
	const char *word = shim_trim(value, &len);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (len == strlen(names[i].name) && strncasecmp(word, names[i].name, len) == 0) {
			config->send_handshake = names[i].handshake;
			return 0;
		}
	}
	return shim_fail(
		problem, problem_len,
		"expected detect, one-step (the line and its data at once) or two-step (the line, "
		"its OK, then the data)");
}

/* A whole number within bounds into an int field: the table says which, and what was expected. */
#define BOUNDED(field, lowest, highest) \
	.offset = offsetof(struct shim_config, field), .min = (lowest), .max = (highest)

static const struct variable variables[] = {
	{.name = "ST87_ROUTE", .parse = parse_route},
	{.name = "ST87_PORT", .parse = parse_port},
	{.name = "ST87_BAUD", .parse = parse_baud},
	{.name = "ST87_RTSCTS", .parse = parse_rtscts},
	{.name = "ST87_DNS", .parse = parse_dns},
	{.name = "ST87_MODEM_DNS_SERVER", .parse = parse_modem_dns_server},
	{.name = "ST87_LOG", .parse = parse_log},
	{.name = "ST87_TRACE", .parse = parse_trace},
	{.name = "ST87_HEX", .parse = parse_hex},
	{.name = "ST87_SEND_HANDSHAKE", .parse = parse_send_handshake},
	{.name = "ST87_DAEMON", .parse = parse_daemon},
	{.name = "ST87_CONNECT_TIMEOUT",
	 BOUNDED(connect_timeout_ms, 1, MAX_TIMEOUT_MS),
	 .expected = "expected milliseconds from 1 to 3600000, such as 10000"},
	{.name = "ST87_DEADLINE_PERCENT",
	 BOUNDED(deadline_percent, 1, 1000),
	 .expected = "expected a percentage of the usual deadlines from 1 to 1000, such as 200"},
	{.name = "ST87_LINK_CHECK",
	 BOUNDED(link_check_interval_s, 0, MAX_LINK_CHECK_S),
	 .expected = "expected seconds from 0 (never) to 86400, such as 60"},
	{.name = "ST87_SLEEP_HOLD",
	 BOUNDED(sleep_hold_s, 0, MAX_LINK_CHECK_S),
	 .expected = "expected seconds from 0 (the modem never sleeps) to 86400, such as 10"},
	{.name = "ST87_UDP_RAI",
	 BOUNDED(udp_rai, 0, 2),
	 .expected =
		 "expected 0 (no information), 1 (no downlink expected) or 2 (one downlink expected)"},
	{.name = "ST87_TCP_EVICT_IDLE",
	 BOUNDED(tcp_evict_idle_ms, 0, MAX_TIMEOUT_MS),
	 .expected = "expected milliseconds from 0 (never take the socket) to 3600000, such as 200"},
	{.name = "ST87_EXIT_FLUSH_TIMEOUT",
	 BOUNDED(exit_flush_timeout_ms, 0, MAX_TIMEOUT_MS),
	 .expected = "expected milliseconds from 0 (send nothing more) to 3600000, such as 60000"},
	{.name = "ST87_HALF_CLOSE_IDLE",
	 BOUNDED(half_close_idle_ms, 0, MAX_TIMEOUT_MS),
	 .expected = "expected milliseconds from 0 (keep the connection for the answer) to 3600000, "
		     "such as 5000"},
};

/* One variable's value into @config: its own parser, or the table's bounds. */
static int parse_variable(const struct variable *v, const char *value, struct shim_config *config,
			  char *problem, size_t problem_len)
{
	if (v->parse)
		return v->parse(value, config, problem, problem_len);
	unsigned long number;
	if (!parse_trimmed_decimal(value, v->min, v->max, &number))
		return shim_fail(problem, problem_len, v->expected);
	int as_int = (int)number;
	memcpy((char *)config + v->offset, &as_int, sizeof(as_int));
	return 0;
}

const char *shim_config_variable_name(size_t i)
{
	return i < sizeof variables / sizeof variables[0] ? variables[i].name : NULL;
}

/*
 * Appends `NAME="value": problem\n` to @errors at *@used, or for a value from
 * the file `FILE:LINE: NAME="value": problem\n`; cut short when full.
 */
static void append_error_line(char *errors, size_t errors_len, size_t *used, const char *name,
			      const char *value, const char *problem, const char *file, int line)
{
	char quoted[QUOTED_VALUE_SIZE];
	int written;

	if (errors == NULL || *used + 1 >= errors_len)
		return;
	shim_quote_printable(value, strlen(value), QUOTED_VALUE_MAX, quoted);
	if (file)
		written = snprintf(errors + *used, errors_len - *used, "%s:%d: %s=\"%s\": %s\n", file,
				   line, name, quoted, problem);
	else
		written = snprintf(errors + *used, errors_len - *used, "%s=\"%s\": %s\n", name, quoted,
				   problem);
	if (written < 0 || (size_t)written >= errors_len - *used)
		*used = errors_len - 1;
	else
		*used += (size_t)written;
}

static bool routes_anything(const struct shim_route_table *routes)
{
	for (size_t i = 0; i < routes->count; i++) {
		if (!routes->rules[i].exclude)
			return true;
	}
	return false;
}

const char *shim_config_process_getenv(const char *name)
{
	/* In a set-user-ID program the environment is not the owner's to trust:
	 * ST87_TRACE could name any file. secure_getenv() then says "unset". */
	return secure_getenv(name);
}

void shim_config_set_defaults(struct shim_config *config)
{
	memset(config, 0, sizeof *config);
	config->inert = true;
	config->fail_routed = false;
	config->routes.count = 0;
	snprintf(config->port, sizeof config->port, "%s", SHIM_CONFIG_DEFAULT_PORT);
	config->baud = SHIM_CONFIG_DEFAULT_BAUD;
	config->has_dns_server = false;
	config->modem_dns_server = true;
	config->log_level = ST87_LOG_ERROR;
	config->trace_path[0] = '\0';
	config->hex_payloads = false;
	config->send_handshake = ST87_SEND_DETECT;
	config->connect_timeout_ms = SHIM_CONFIG_DEFAULT_CONNECT_TIMEOUT_MS;
	config->link_check_interval_s = SHIM_CONFIG_DEFAULT_LINK_CHECK_S;
	config->sleep_hold_s = SHIM_CONFIG_SLEEP_HOLD_ASK;
	config->deadline_percent = 100;
	config->exit_flush_timeout_ms = SHIM_CONFIG_DEFAULT_EXIT_FLUSH_TIMEOUT_MS;
	config->tcp_evict_idle_ms = SHIM_CONFIG_DEFAULT_TCP_EVICT_IDLE_MS;
	config->half_close_idle_ms = SHIM_CONFIG_DEFAULT_HALF_CLOSE_IDLE_MS;
	config->daemon_use = SHIM_DAEMON_IF_RUNNING;
	snprintf(config->daemon_socket, sizeof config->daemon_socket, "%s", ST87D_DEFAULT_SOCKET);
}

/*
 * The configuration file for this parse: ST87_CONF (then it must exist), or
 * the default path for the process environment, unless the program runs
 * set-user-ID (its environment is not trusted, and neither is a file that
 * would route its traffic). NULL: none.
 */
static const char *conf_path(shim_config_getenv_fn getenv_fn, bool *required)
{
	const char *named = getenv_fn("ST87_CONF");
	*required = named && named[0];
	if (*required)
		return named;
	if (getenv_fn == shim_config_process_getenv && !getauxval(AT_SECURE))
		return SHIM_CONF_DEFAULT_PATH;
	return NULL;
}

/* Appends the file's own problems (a bad line, an unreadable file) to @errors. */
static void append_text(char *errors, size_t errors_len, size_t *used, const char *text)
{
	if (errors == NULL || *used + 1 >= errors_len)
		return;
	int written = snprintf(errors + *used, errors_len - *used, "%s", text);
	*used = written < 0 || (size_t)written >= errors_len - *used ? errors_len - 1
								     : *used + (size_t)written;
}

static const struct variable *find_variable(const char *name)
{
	for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++) {
		if (strcmp(variables[i].name, name) == 0)
			return &variables[i];
	}
	return NULL;
}

static bool is_named(const char *name, const char *const *names)
{
	if (names == NULL)
		return true;
	for (; *names; names++) {
		if (strcmp(*names, name) == 0)
			return true;
	}
	return false;
}

int shim_config_parse_value(const char *name, const char *value, struct shim_config *config,
			    char *problem, size_t problem_len)
{
	const struct variable *variable = find_variable(name);

	if (variable == NULL || value == NULL || config == NULL)
		return shim_fail(problem, problem_len, "not a setting");
	return parse_variable(variable, value, config, problem, problem_len);
}

int shim_config_parse(shim_config_getenv_fn getenv_fn, struct shim_config *config, char *errors,
		      size_t errors_len)
{
	return shim_config_parse_some(getenv_fn, NULL, config, errors, errors_len);
}

int shim_config_parse_some(shim_config_getenv_fn getenv_fn, const char *const *names,
			   struct shim_config *config, char *errors, size_t errors_len)
{
	size_t used = 0;
	bool any_bad = false;

	if (errors != NULL && errors_len > 0)
		errors[0] = '\0';
	else
		errors = NULL;
	if (config == NULL)
		return -EINVAL;
	if (getenv_fn == NULL)
		getenv_fn = shim_config_process_getenv;

	shim_config_set_defaults(config);
	bool required;
	const char *path = conf_path(getenv_fn, &required);
	struct shim_conf_file *file = path ? calloc(1, sizeof(*file)) : NULL;
	if (path && !file) {
		append_text(errors, errors_len, &used, "out of memory reading the configuration file\n");
		any_bad = true;
	} else if (file) {
		char file_errors[1024];
		if (shim_conf_file_load(path, required, shim_config_variable_name, file, file_errors,
					sizeof file_errors) < 0) {
			append_text(errors, errors_len, &used, file_errors);
			any_bad = true;
		}
	}
	for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++) {
		if (!is_named(variables[i].name, names))
			continue;
		const char *value = getenv_fn(variables[i].name);
		int line = 0;
		bool from_file = (value == NULL || value[0] == '\0') && file;
		if (from_file)
			value = shim_conf_file_value(file, variables[i].name, &line);
		char problem[PROBLEM_SIZE];

		if (value == NULL || value[0] == '\0')
			continue;
		if (parse_variable(&variables[i], value, config, problem, sizeof problem) < 0) {
			any_bad = true;
			append_error_line(errors, errors_len, &used, variables[i].name, value, problem,
					  from_file ? file->path : NULL, line);
		}
	}
	free(file);

	config->inert = !routes_anything(&config->routes);
	config->names_over_modem = config->has_dns_server || shim_route_covers_port(&config->routes, 53);
	config->fail_routed = any_bad;
	return any_bad ? -EINVAL : 0;
}
