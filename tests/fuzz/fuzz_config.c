/*
 * Fuzz target: the ST87_* environment variables (src/settings/config.c), and
 * through ST87_ROUTE the rule parser.
 *
 * Input: an environment as /proc/PID/environ holds it, "NAME=VALUE" records
 * separated by NUL bytes. The getenv function handed to shim_config_parse()
 * answers from it (the first record of that name wins, as in libc), each
 * value in a heap block of its exact size.
 *
 * Invariants checked besides the sanitizers:
 *  - the return is 0 or -EINVAL and matches fail_routed and the error text:
 *    "" when all is well, else one printable `NAME="value": why` line per
 *    bad variable, each name at most once; a short buffer gets a prefix;
 *  - every field is in its documented range, and a variable that is unset
 *    or empty keeps its default; inert says whether a rule routes anything;
 *  - whitespace around a value (but for the paths) changes nothing;
 *  - the size of the error buffer changes nothing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_file.h"
#include "config.h"
#include "fuzz.h"

#define MAX_RECORDS 64
#define ERRORS_SIZE 16384

struct record {
	char *name;
	char *value;        /* exact size */
	char *padded_value; /* " " value "\t", exact size */
};

/* Every variable the parser reads (config.c's table), so a new one is fuzzed and checked at once. */
#define MAX_NAMES 32
static const char *names[MAX_NAMES];
static size_t n_names;

static void list_names(void)
{
	while (n_names < MAX_NAMES && (names[n_names] = shim_config_variable_name(n_names)) != NULL)
		n_names++;
}

static struct record records[MAX_RECORDS];
static size_t n_records;
static bool answer_padded;

static char *copy_text(const char *prefix, const uint8_t *text, size_t len, const char *suffix)
{
	size_t prefix_len = strlen(prefix), suffix_len = strlen(suffix);
	char *copy = malloc(prefix_len + len + suffix_len + 1);

	if (!copy)
		return NULL;
	memcpy(copy, prefix, prefix_len);
	memcpy(copy + prefix_len, text, len);
	memcpy(copy + prefix_len + len, suffix, suffix_len + 1);
	return copy;
}

static const char *lookup(const char *name)
{
	for (size_t i = 0; i < n_records; i++) {
		if (strcmp(records[i].name, name) == 0)
			return answer_padded ? records[i].padded_value : records[i].value;
	}
	return NULL;
}

/* Paths are taken as written: only the other variables are padded. */
/* Paths are taken as written (blanks included), so padding changes them. */
static bool is_path(const char *name)
{
	return strcmp(name, "ST87_PORT") == 0 || strcmp(name, "ST87_TRACE") == 0 ||
		strcmp(name, "ST87_DAEMON") == 0;
}

static const char *fuzz_getenv(const char *name)
{
	FUZZ_CHECK(name != NULL);
	/* The configuration file would read whatever path the input names: its parser has unit tests. */
	if (strcmp(name, "ST87_CONF") == 0)
		return NULL;
	return lookup(name);
}

static bool is_set(const char *name)
{
	const char *value = lookup(name);

	return value != NULL && value[0] != '\0';
}

static bool read_records(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;

	while (data < end && n_records < MAX_RECORDS) {
		const uint8_t *nul = memchr(data, '\0', (size_t)(end - data));
		const uint8_t *record_end = nul ? nul : end;
		const uint8_t *equals = memchr(data, '=', (size_t)(record_end - data));

		if (equals) {
			struct record *record = &records[n_records++];
			size_t value_len = (size_t)(record_end - equals - 1);

			record->name = copy_text("", data, (size_t)(equals - data), "");
			record->value = copy_text("", equals + 1, value_len, "");
			if (!record->name || !record->value)
				return false;
			/* An empty value stays empty: padding it would set the variable. */
			if (value_len == 0 || is_path(record->name))
				record->padded_value = copy_text("", equals + 1, value_len, "");
			else
				record->padded_value = copy_text(" ", equals + 1, value_len, "\t");
			if (!record->padded_value)
				return false;
		}
		data = record_end + 1;
	}
	return true;
}

static void free_records(void)
{
	for (size_t i = 0; i < n_records; i++) {
		free(records[i].name);
		free(records[i].value);
		free(records[i].padded_value);
		memset(&records[i], 0, sizeof records[i]);
	}
	n_records = 0;
}

static bool same_routes(const struct shim_route_table *a, const struct shim_route_table *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		const struct shim_route_rule *x = &a->rules[i], *y = &b->rules[i];

		if (x->exclude != y->exclude || x->family != y->family ||
		    x->prefix_len != y->prefix_len || x->port != y->port ||
		    memcmp(x->address, y->address, sizeof x->address) != 0)
			return false;
	}
	return true;
}

static bool same_config(const struct shim_config *a, const struct shim_config *b)
{
	return a->inert == b->inert && a->fail_routed == b->fail_routed &&
		same_routes(&a->routes, &b->routes) && strcmp(a->port, b->port) == 0 &&
		a->baud == b->baud && a->has_dns_server == b->has_dns_server &&
		a->dns_server_len == b->dns_server_len &&
		memcmp(&a->dns_server, &b->dns_server, a->dns_server_len) == 0 &&
		a->log_level == b->log_level && strcmp(a->trace_path, b->trace_path) == 0 &&
		a->hex_payloads == b->hex_payloads && a->connect_timeout_ms == b->connect_timeout_ms &&
		a->link_check_interval_s == b->link_check_interval_s &&
		a->exit_flush_timeout_ms == b->exit_flush_timeout_ms;
}

static void check_config(const struct shim_config *config, int ret)
{
	bool routes_anything = false;

	FUZZ_CHECK(config->fail_routed == (ret < 0));
	FUZZ_CHECK(config->routes.count <= SHIM_ROUTE_MAX_RULES);
	for (size_t i = 0; i < config->routes.count; i++)
		routes_anything |= !config->routes.rules[i].exclude;
	FUZZ_CHECK(config->inert == !routes_anything);

	FUZZ_CHECK(memchr(config->port, '\0', sizeof config->port) != NULL);
	FUZZ_CHECK(strcmp(config->port, "auto") == 0 || config->port[0] == '/');
	FUZZ_CHECK(memchr(config->trace_path, '\0', sizeof config->trace_path) != NULL);
	FUZZ_CHECK(config->baud >= 1200 && config->baud <= 4000000);
	FUZZ_CHECK(config->log_level >= ST87_LOG_NONE && config->log_level <= ST87_LOG_DEBUG);
	FUZZ_CHECK(config->connect_timeout_ms >= 1 && config->connect_timeout_ms <= 3600000);
	FUZZ_CHECK(config->link_check_interval_s >= 0 && config->link_check_interval_s <= 86400);
	FUZZ_CHECK(config->exit_flush_timeout_ms >= 0 && config->exit_flush_timeout_ms <= 3600000);
	if (config->has_dns_server) {
		const struct sockaddr *server = (const struct sockaddr *)&config->dns_server;

		if (server->sa_family == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)&config->dns_server;

			FUZZ_CHECK(config->dns_server_len == sizeof(struct sockaddr_in));
			FUZZ_CHECK(in->sin_port != 0);
		} else {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&config->dns_server;

			FUZZ_CHECK(server->sa_family == AF_INET6);
			FUZZ_CHECK(config->dns_server_len == sizeof(struct sockaddr_in6));
			FUZZ_CHECK(in6->sin6_port != 0);
		}
	}

	/* Unset or empty: the default. */
	if (!is_set("ST87_ROUTE"))
		FUZZ_CHECK(config->routes.count == 0 && config->inert);
	if (!is_set("ST87_PORT"))
		FUZZ_CHECK(strcmp(config->port, SHIM_CONFIG_DEFAULT_PORT) == 0);
	if (!is_set("ST87_BAUD"))
		FUZZ_CHECK(config->baud == SHIM_CONFIG_DEFAULT_BAUD);
	if (!is_set("ST87_DNS"))
		FUZZ_CHECK(!config->has_dns_server);
	if (!is_set("ST87_LOG"))
		FUZZ_CHECK(config->log_level == ST87_LOG_ERROR);
	if (!is_set("ST87_TRACE"))
		FUZZ_CHECK(config->trace_path[0] == '\0');
	if (!is_set("ST87_HEX"))
		FUZZ_CHECK(!config->hex_payloads);
	if (!is_set("ST87_CONNECT_TIMEOUT"))
		FUZZ_CHECK(config->connect_timeout_ms == SHIM_CONFIG_DEFAULT_CONNECT_TIMEOUT_MS);
	if (!is_set("ST87_LINK_CHECK"))
		FUZZ_CHECK(config->link_check_interval_s == SHIM_CONFIG_DEFAULT_LINK_CHECK_S);
	if (!is_set("ST87_TCP_EVICT_IDLE"))
		FUZZ_CHECK(config->tcp_evict_idle_ms == SHIM_CONFIG_DEFAULT_TCP_EVICT_IDLE_MS);
	if (!is_set("ST87_EXIT_FLUSH_TIMEOUT"))
		FUZZ_CHECK(config->exit_flush_timeout_ms == SHIM_CONFIG_DEFAULT_EXIT_FLUSH_TIMEOUT_MS);
}

/* One `NAME="value": why` line per bad variable, each name once, nothing else. */
static void check_errors(const char *errors, int ret)
{
	bool seen[MAX_NAMES] = {false};

	FUZZ_CHECK((ret == 0) == (errors[0] == '\0'));
	while (*errors) {
		const char *end = strchr(errors, '\n');
		size_t i;

		FUZZ_CHECK(end != NULL);
		for (const char *c = errors; c < end; c++)
			FUZZ_CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c <= 0x7e);
		for (i = 0; i < n_names; i++) {
			size_t len = strlen(names[i]);

			if (strncmp(errors, names[i], len) == 0 && strncmp(errors + len, "=\"", 2) == 0)
				break;
		}
		FUZZ_CHECK(i < n_names);
		FUZZ_CHECK(!seen[i] && is_set(names[i]));
		seen[i] = true;
		errors = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shim_config config, other;
	static char errors[ERRORS_SIZE];
	size_t small_len = size % 97;
	char *small = malloc(small_len ? small_len : 1);

	if (!small || !read_records(data, size))
		goto out;
	if (n_names == 0)
		list_names();

	answer_padded = false;
	int ret = shim_config_parse(fuzz_getenv, &config, errors, sizeof errors);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK(strlen(errors) < sizeof errors - 1); /* never cut short at this size */
	check_config(&config, ret);
	check_errors(errors, ret);

	/* A short buffer: the same verdict, a prefix of the same text. */
	FUZZ_CHECK(shim_config_parse(fuzz_getenv, &other, small, small_len) == ret);
	FUZZ_CHECK(same_config(&config, &other));
	if (small_len > 0) {
		FUZZ_CHECK(strlen(small) < small_len);
		FUZZ_CHECK(strncmp(small, errors, strlen(small)) == 0);
	}
	FUZZ_CHECK(shim_config_parse(fuzz_getenv, &other, NULL, 0) == ret);
	FUZZ_CHECK(same_config(&config, &other));

	/* Whitespace around the values. */
	answer_padded = true;
	FUZZ_CHECK(shim_config_parse(fuzz_getenv, &other, NULL, 0) == ret);
	FUZZ_CHECK(same_config(&config, &other));
	answer_padded = false;

	FUZZ_CHECK(shim_config_parse(fuzz_getenv, NULL, errors, sizeof errors) == -EINVAL);

out:
	free_records();
	free(small);
	return 0;
}
