/*
 * ST87_ROUTE rules: parsed once at start-up, matched on every connect() and
 * sendto() of the program, so matching neither allocates nor locks.
 */
#include "route.h"
#include "decimal.h"
#include "text.h"
#include "quote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Rule text longer than this is cut short (with "...") in error messages. */
#define QUOTED_RULE_MAX 48
/* Each shown byte may become a 4-byte "\xNN" escape. */
#define QUOTED_RULE_SIZE SHIM_QUOTED_SIZE(QUOTED_RULE_MAX)
/* Holds the explanation half of an error message. */
#define PROBLEM_SIZE 160
/* Holds one rule in canonical form: "!" "[" IPv6 "]" "/128" ":65535". */
#define RULE_TEXT_SIZE (1 + INET6_ADDRSTRLEN + 2 + 4 + 6 + 1)

static bool is_blank_text(const char *text)
{
	while (shim_is_blank(*text))
		text++;
	return *text == '\0';
}

static bool is_ipv4_mapped(const uint8_t address[16])
{
	static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(address, mapped_prefix, sizeof mapped_prefix) == 0;
}

static unsigned full_prefix_len(sa_family_t family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static void report_bad_rule(char *err, size_t err_len, const char *rule, size_t rule_len,
			    const char *problem)
{
	char quoted[QUOTED_RULE_SIZE];

	if (err == NULL || err_len == 0)
		return;
	shim_quote_printable(rule, rule_len, QUOTED_RULE_MAX, quoted);
	snprintf(err, err_len, "bad rule \"%s\": %s", quoted, problem);
}

/*
 * Canonical text of one rule into @out (RULE_TEXT_SIZE bytes is always
 * enough). Returns what snprintf() returns.
 */
static int format_rule(const struct shim_route_rule *rule, char *out, size_t out_len)
{
	char address[INET6_ADDRSTRLEN] = "";
	char prefix[8] = "";
	char port[8] = "";
	const char *open = "";
	const char *close = "";

	if (rule->family == AF_UNSPEC) {
		snprintf(address, sizeof address, "*");
	} else {
		if (inet_ntop(rule->family, rule->address, address, sizeof address) == NULL)
			snprintf(address, sizeof address, "?");
		if (rule->prefix_len < full_prefix_len(rule->family))
			snprintf(prefix, sizeof prefix, "/%u", (unsigned)rule->prefix_len);
	}
	if (rule->family == AF_INET6) {
		open = "[";
		close = "]";
	}
	if (rule->port != 0)
		snprintf(port, sizeof port, ":%u", (unsigned)rule->port);
	return snprintf(out, out_len, "%s%s%s%s%s%s", rule->exclude ? "!" : "", open, address, close,
			prefix, port);
}

/*
 * Parses the address part of a rule at @text[*pos]: "*", "[IPv6]" or an
 * IPv4 address running up to "/", ":" or the end. Sets rule->family and
 * rule->address and advances *pos past it.
 */
static int parse_address(const char *text, size_t len, size_t *pos, struct shim_route_rule *rule,
			 char *problem, size_t problem_len)
{
	size_t start = *pos;
	size_t end = start;

	if (text[start] == '*') {
		rule->family = AF_UNSPEC;
		*pos = start + 1;
		return 0;
	}
	if (text[start] == '[') {
		const char *close = memchr(text + start + 1, ']', len - start - 1);

		if (close == NULL)
			return shim_fail(problem, problem_len, "missing \"]\" after the IPv6 address");
		end = (size_t)(close - text);
		if (!shim_parse_ip(AF_INET6, text + start + 1, end - start - 1, rule->address))
			return shim_fail(problem, problem_len,
					 "not an IPv6 address inside the brackets");
		rule->family = AF_INET6;
		*pos = end + 1;
		return 0;
	}

	/* An IPv6 address without brackets: its colons would read as a port. */
	while (end < len && text[end] != '/')
		end++;
	if (memchr(text + start, ':', end - start) != NULL) {
		uint8_t ignored[16];

		if (shim_parse_ip(AF_INET6, text + start, end - start, ignored))
			return shim_fail(problem, problem_len,
					 "IPv6 addresses go in brackets, such as [::1] or "
					 "[2001:db8::]/32:443");
	}

	end = start;
	while (end < len && text[end] != '/' && text[end] != ':')
		end++;
	if (!shim_parse_ip(AF_INET, text + start, end - start, rule->address))
		return shim_fail(problem, problem_len,
				 "expected an IPv4 address, an IPv6 address in brackets, or *");
	rule->family = AF_INET;
	*pos = end;
	return 0;
}

static bool has_bits_past_prefix(const uint8_t *address, unsigned full_len, unsigned prefix_len)
{
	for (unsigned bit = prefix_len; bit < full_len; bit++) {
		if (address[bit / 8] & (0x80u >> (bit % 8)))
			return true;
	}
	return false;
}

static void clear_bits_past_prefix(uint8_t *address, unsigned full_len, unsigned prefix_len)
{
	for (unsigned bit = prefix_len; bit < full_len; bit++)
		address[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

/*
 * A "10.1.2.3/8" rule is most likely a typing slip; refusing it with the
 * network the user probably meant is kinder than silently widening or
 * narrowing what gets routed.
 */
static int fail_bits_past_prefix(const struct shim_route_rule *rule, char *problem, size_t problem_len)
{
	struct shim_route_rule masked = *rule;
	char suggestion[RULE_TEXT_SIZE];

	clear_bits_past_prefix(masked.address, full_prefix_len(masked.family), masked.prefix_len);
	format_rule(&masked, suggestion, sizeof suggestion);
	snprintf(problem, problem_len, "address has bits set past the prefix; did you mean %s?",
		 suggestion);
	return -EINVAL;
}

/* A rule for ::ffff:a.b.c.d/96+n is the IPv4 rule a.b.c.d/n. */
static void make_mapped_rule_ipv4(struct shim_route_rule *rule)
{
	if (rule->family != AF_INET6 || rule->prefix_len < 96 || !is_ipv4_mapped(rule->address))
		return;
	memmove(rule->address, rule->address + 12, 4);
	memset(rule->address + 4, 0, sizeof rule->address - 4);
	rule->prefix_len = (uint8_t)(rule->prefix_len - 96);
	rule->family = AF_INET;
}

/*
 * Parses one rule of @len bytes (already trimmed) into @rule. Returns 0, or
 * -EINVAL with the reason in @problem.
 */
static int parse_rule(const char *text, size_t len, struct shim_route_rule *rule, char *problem,
		      size_t problem_len)
{
	size_t pos = 0;
	unsigned long value;
	unsigned full_len;
	int ret;

	memset(rule, 0, sizeof *rule);
	if (len == 0)
		return shim_fail(problem, problem_len, "empty rule (a stray comma?)");
	if (text[0] == '!') {
		rule->exclude = true;
		pos = 1;
		if (pos == len)
			return shim_fail(problem, problem_len, "nothing after \"!\"");
	}

	ret = parse_address(text, len, &pos, rule, problem, problem_len);
	if (ret < 0)
		return ret;
	full_len = full_prefix_len(rule->family);
	rule->prefix_len = (uint8_t)full_len;

	if (pos < len && text[pos] == '/') {
		size_t start = ++pos;

		if (rule->family == AF_UNSPEC)
			return shim_fail(
				problem, problem_len,
				"\"*\" takes no prefix (for one family use 0.0.0.0/0 or [::]/0)");
		while (pos < len && text[pos] != ':')
			pos++;
		if (!shim_parse_decimal(text + start, pos - start, 0, full_len, &value))
			return shim_fail(problem, problem_len,
					 full_len == 32 ? "prefix must be 0..32"
							: "prefix must be 0..128");
		rule->prefix_len = (uint8_t)value;
	}

	if (pos < len && text[pos] == ':') {
		pos++;
		if (!shim_parse_decimal(text + pos, len - pos, 0, 65535, &value) || value == 0)
			return shim_fail(problem, problem_len, "port must be 1..65535");
		rule->port = (uint16_t)value;
		pos = len;
	}

	if (pos != len)
		return shim_fail(problem, problem_len,
				 "unexpected text after the address (expected /PREFIX or :PORT)");
	if (has_bits_past_prefix(rule->address, full_len, rule->prefix_len))
		return fail_bits_past_prefix(rule, problem, problem_len);
	make_mapped_rule_ipv4(rule);
	return 0;
}

int shim_route_parse(const char *text, struct shim_route_table *table, char *err, size_t err_len)
{
	const char *cursor = text;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (table == NULL)
		return -EINVAL;
	table->count = 0;
	if (text == NULL || is_blank_text(text))
		return 0;

	for (;;) {
		const char *comma = strchr(cursor, ',');
		const char *start = cursor;
		const char *end = comma != NULL ? comma : cursor + strlen(cursor);
		char problem[PROBLEM_SIZE];
		struct shim_route_rule rule;

		while (start < end && shim_is_blank(*start))
			start++;
		while (end > start && shim_is_blank(end[-1]))
			end--;

		if (table->count == SHIM_ROUTE_MAX_RULES) {
			snprintf(problem, sizeof problem, "more than %d rules", SHIM_ROUTE_MAX_RULES);
			report_bad_rule(err, err_len, start, (size_t)(end - start), problem);
			table->count = 0;
			return -E2BIG;
		}
		if (parse_rule(start, (size_t)(end - start), &rule, problem, sizeof problem) < 0) {
			report_bad_rule(err, err_len, start, (size_t)(end - start), problem);
			table->count = 0;
			return -EINVAL;
		}
		table->rules[table->count++] = rule;

		if (comma == NULL)
			break;
		cursor = comma + 1;
	}
	return 0;
}

/* The destination of a connect()/sendto(), in the form rules compare against. */
struct destination {
	uint16_t port;
	bool has_ipv4; /* AF_INET, or AF_INET6 holding an IPv4-mapped address */
	bool has_ipv6; /* AF_INET6 other than IPv4-mapped */
	uint8_t ipv4[4];
	uint8_t ipv6[16];
};

/*
 * Copies what the rules need out of @addr. memcpy() rather than casts: the
 * program's buffer may be unaligned and as short as @addr_len says.
 */
static bool read_destination(const struct sockaddr *addr, socklen_t addr_len, struct destination *out)
{
	const size_t family_offset = offsetof(struct sockaddr, sa_family);
	sa_family_t family;

	memset(out, 0, sizeof *out);
	if (addr_len < family_offset + sizeof family)
		return false;
	memcpy(&family, (const char *)addr + family_offset, sizeof family);

	if (family == AF_INET) {
		struct sockaddr_in in;

		if (addr_len < sizeof in)
			return false;
		memcpy(&in, addr, sizeof in);
		out->port = ntohs(in.sin_port);
		memcpy(out->ipv4, &in.sin_addr, sizeof out->ipv4);
		out->has_ipv4 = true;
		return true;
	}
	if (family == AF_INET6) {
		/* Linux's connect() takes the RFC 2133 size, without sin6_scope_id. */
		const size_t rfc2133_len = offsetof(struct sockaddr_in6, sin6_scope_id);
		struct sockaddr_in6 in6;

		if (addr_len < rfc2133_len)
			return false;
		memset(&in6, 0, sizeof in6);
		memcpy(&in6, addr, rfc2133_len);
		out->port = ntohs(in6.sin6_port);
		memcpy(out->ipv6, &in6.sin6_addr, sizeof out->ipv6);
		if (is_ipv4_mapped(out->ipv6)) {
			/* Such a socket talks IPv4 on the wire: only IPv4 rules apply. */
			memcpy(out->ipv4, out->ipv6 + 12, sizeof out->ipv4);
			out->has_ipv4 = true;
		} else {
			out->has_ipv6 = true;
		}
		return true;
	}
	return false;
}

static bool prefix_matches(const uint8_t *rule_address, const uint8_t *address, unsigned prefix_len)
{
	size_t whole_bytes = prefix_len / 8;
	unsigned rest_bits = prefix_len % 8;
	uint8_t mask;

	if (memcmp(rule_address, address, whole_bytes) != 0)
		return false;
	if (rest_bits == 0)
		return true;
	mask = (uint8_t)(0xffu << (8 - rest_bits));
	return ((rule_address[whole_bytes] ^ address[whole_bytes]) & mask) == 0;
}

static const uint8_t ipv6_loopback[16] = {[15] = 1};

static bool is_loopback_destination(const struct destination *dest)
{
	return (dest->has_ipv4 && dest->ipv4[0] == 127) ||
		(dest->has_ipv6 && memcmp(dest->ipv6, ipv6_loopback, sizeof ipv6_loopback) == 0);
}

/* The rule's whole prefix lies inside 127.0.0.0/8 or is ::1: it was written for loopback. */
static bool rule_names_loopback(const struct shim_route_rule *rule)
{
	if (rule->family == AF_INET)
		return rule->prefix_len >= 8 && rule->address[0] == 127;
	return rule->family == AF_INET6 && rule->prefix_len == 128 &&
		memcmp(rule->address, ipv6_loopback, sizeof ipv6_loopback) == 0;
}

static bool rule_matches(const struct shim_route_rule *rule, const struct destination *dest)
{
	if (rule->port != 0 && rule->port != dest->port)
		return false;
	/*
	 * Loopback over a cellular modem never makes sense, and programs talk to
	 * themselves over it (paho-mqtt's wake-up socket): a wide rule ("*",
	 * 0.0.0.0/0) that merely contains it leaves it alone. Exclusions keep it.
	 */
	if (!rule->exclude && is_loopback_destination(dest) && !rule_names_loopback(rule))
		return false;
	switch (rule->family) {
	case AF_UNSPEC:
		return true;
	case AF_INET:
		return dest->has_ipv4 && prefix_matches(rule->address, dest->ipv4, rule->prefix_len);
	case AF_INET6:
		return dest->has_ipv6 && prefix_matches(rule->address, dest->ipv6, rule->prefix_len);
	default:
		return false;
	}
}

bool shim_route_match(const struct shim_route_table *table, const struct sockaddr *addr,
		      socklen_t addr_len)
{
	struct destination dest;
	size_t count;

	if (table == NULL || addr == NULL || !read_destination(addr, addr_len, &dest))
		return false;
	count = table->count < SHIM_ROUTE_MAX_RULES ? table->count : SHIM_ROUTE_MAX_RULES;
	for (size_t i = 0; i < count; i++) {
		if (rule_matches(&table->rules[i], &dest))
			return !table->rules[i].exclude;
	}
	return false;
}

bool shim_route_covers_port(const struct shim_route_table *table, uint16_t port)
{
	if (table == NULL)
		return false;
	size_t count = table->count < SHIM_ROUTE_MAX_RULES ? table->count : SHIM_ROUTE_MAX_RULES;
	for (size_t i = 0; i < count; i++) {
		const struct shim_route_rule *rule = &table->rules[i];
		if (rule->family == AF_INET6 || (rule->port != 0 && rule->port != port))
			continue; /* cannot match an IPv4 destination on @port */
		/* An exclude leaves some address out; a narrower include leaves the question to later rules. */
		if (rule->exclude)
			return false;
		if (rule->prefix_len == 0)
			return true;
	}
	return false;
}

int shim_route_format(const struct shim_route_table *table, char *buf, size_t buf_len)
{
	size_t used = 0;
	size_t count;

	if (table == NULL || buf == NULL || buf_len == 0)
		return -EINVAL;
	buf[0] = '\0';
	count = table->count < SHIM_ROUTE_MAX_RULES ? table->count : SHIM_ROUTE_MAX_RULES;
	for (size_t i = 0; i < count; i++) {
		char rule_text[RULE_TEXT_SIZE];
		int written;

		format_rule(&table->rules[i], rule_text, sizeof rule_text);
		written = snprintf(buf + used, buf_len - used, "%s%s", i > 0 ? "," : "", rule_text);
		if (written < 0 || (size_t)written >= buf_len - used)
			return -ENOSPC;
		used += (size_t)written;
	}
	return (int)used;
}
