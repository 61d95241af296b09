/*
 * Fuzz target: ST87_ROUTE rules (src/settings/route.c).
 *
 * Input: RULES [ '\0' SOCKADDR ]. RULES is the text of ST87_ROUTE; SOCKADDR,
 * when present, is a destination as a program hands it to connect(), given
 * to shim_route_match() with its exact length (so any length and family).
 *
 * Invariants checked besides the sanitizers:
 *  - the return is 0, -EINVAL or -E2BIG; a failure leaves the table empty
 *    and says why in one printable line; a short @err buffer gets a prefix;
 *  - every rule parsed is well formed (family, prefix length, no bits past
 *    the prefix), and shim_route_format() gives text that parses back to the
 *    same table; a short format buffer gets a NUL-terminated prefix;
 *  - shim_route_match() agrees with a plain bit-by-bit reading of route.h
 *    (loopback included),
 *    for SOCKADDR, for destinations made from each rule, and for a few fixed
 *    ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "route.h"
#include "socket_address.h"

/* Room for every rule in canonical form ("!" "[" IPv6 "]" "/128" ":65535" ","). */
#define FORMAT_SIZE (SHIM_ROUTE_MAX_RULES * 64)
#define ERR_SIZE 1024

/* The destination as route.h describes it, read without the code under test. */
struct reference_destination {
	bool valid;
	bool has_ipv4;
	bool has_ipv6;
	uint16_t port;
	uint8_t ipv4[4];
	uint8_t ipv6[16];
};

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static struct reference_destination reference_read(const uint8_t *addr, size_t len)
{
	struct reference_destination dest;
	sa_family_t family;

	memset(&dest, 0, sizeof dest);
	if (len < offsetof(struct sockaddr, sa_family) + sizeof family)
		return dest;
	memcpy(&family, addr + offsetof(struct sockaddr, sa_family), sizeof family);
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(&dest.port, addr + offsetof(struct sockaddr_in, sin_port), 2);
		memcpy(dest.ipv4, addr + offsetof(struct sockaddr_in, sin_addr), 4);
		dest.has_ipv4 = true;
	} else if (family == AF_INET6 && len >= offsetof(struct sockaddr_in6, sin6_scope_id)) {
		memcpy(&dest.port, addr + offsetof(struct sockaddr_in6, sin6_port), 2);
		memcpy(dest.ipv6, addr + offsetof(struct sockaddr_in6, sin6_addr), 16);
		if (memcmp(dest.ipv6, mapped_prefix, sizeof mapped_prefix) == 0) {
			memcpy(dest.ipv4, dest.ipv6 + 12, 4);
			dest.has_ipv4 = true;
		} else {
			dest.has_ipv6 = true;
		}
	} else {
		return dest;
	}
	dest.port = ntohs(dest.port);
	dest.valid = true;
	return dest;
}

static bool same_leading_bits(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	for (unsigned bit = 0; bit < bits; bit++) {
		if (((a[bit / 8] ^ b[bit / 8]) >> (7 - bit % 8)) & 1)
			return false;
	}
	return true;
}

static const uint8_t loopback_ipv4[4] = {127, 0, 0, 0};
static const uint8_t loopback_ipv6[16] = {[15] = 1};

/* route.h: loopback is routed only by an include rule every address of which is loopback. */
static bool reference_skips_loopback(const struct shim_route_rule *rule,
				     const struct reference_destination *dest)
{
	bool to_loopback = (dest->has_ipv4 && same_leading_bits(dest->ipv4, loopback_ipv4, 8)) ||
		(dest->has_ipv6 && same_leading_bits(dest->ipv6, loopback_ipv6, 128));
	bool inside_loopback = (rule->family == AF_INET && rule->prefix_len >= 8 &&
				same_leading_bits(rule->address, loopback_ipv4, 8)) ||
		(rule->family == AF_INET6 && rule->prefix_len == 128 &&
		 same_leading_bits(rule->address, loopback_ipv6, 128));
	return !rule->exclude && to_loopback && !inside_loopback;
}

static bool reference_match(const struct shim_route_table *table, const uint8_t *addr, size_t len)
{
	struct reference_destination dest = reference_read(addr, len);

	if (!dest.valid)
		return false;
	for (size_t i = 0; i < table->count; i++) {
		const struct shim_route_rule *rule = &table->rules[i];
		bool match;

		if ((rule->port != 0 && rule->port != dest.port) ||
		    reference_skips_loopback(rule, &dest))
			continue;
		if (rule->family == AF_UNSPEC)
			match = true;
		else if (rule->family == AF_INET)
			match = dest.has_ipv4 &&
				same_leading_bits(rule->address, dest.ipv4, rule->prefix_len);
		else
			match = dest.has_ipv6 &&
				same_leading_bits(rule->address, dest.ipv6, rule->prefix_len);
		if (match)
			return !rule->exclude;
	}
	return false;
}

/* Matches @p addr of @p len bytes from an exact-size, unaligned copy, both ways. */
static void check_match(const struct shim_route_table *table, const void *addr, size_t len)
{
	uint8_t *copy = malloc(len + 1);

	if (!copy)
		return;
	memcpy(copy + 1, addr, len);
	bool got = shim_route_match(table, (const struct sockaddr *)(copy + 1), (socklen_t)len);
	FUZZ_CHECK(got == reference_match(table, copy + 1, len));
	free(copy);
}

static void check_destination_of(const struct shim_route_table *table,
				 const struct shim_route_rule *rule, bool flip_last_bit)
{
	uint16_t port = htons(rule->port ? rule->port : 80);

	if (rule->family == AF_INET6 || rule->family == AF_UNSPEC) {
		struct sockaddr_in6 in6;

		memset(&in6, 0, sizeof in6);
		in6.sin6_family = AF_INET6;
		in6.sin6_port = port;
		memcpy(&in6.sin6_addr, rule->address, 16);
		if (flip_last_bit && rule->prefix_len > 0)
			in6.sin6_addr.s6_addr[(rule->prefix_len - 1) / 8] ^=
				(uint8_t)(0x80u >> ((rule->prefix_len - 1) % 8));
		check_match(table, &in6, sizeof in6);
		check_match(table, &in6, offsetof(struct sockaddr_in6, sin6_scope_id));
	}
	if (rule->family == AF_INET || rule->family == AF_UNSPEC) {
		struct sockaddr_in in;
		struct sockaddr_in6 mapped;

		memset(&in, 0, sizeof in);
		in.sin_family = AF_INET;
		in.sin_port = port;
		memcpy(&in.sin_addr, rule->address, 4);
		if (flip_last_bit && rule->prefix_len > 0 && rule->family == AF_INET)
			((uint8_t *)&in.sin_addr)[(rule->prefix_len - 1) / 8] ^=
				(uint8_t)(0x80u >> ((rule->prefix_len - 1) % 8));
		check_match(table, &in, sizeof in);
		check_match(table, &in, sizeof in - 1);

		memset(&mapped, 0, sizeof mapped);
		mapped.sin6_family = AF_INET6;
		mapped.sin6_port = port;
		memcpy(mapped.sin6_addr.s6_addr, mapped_prefix, sizeof mapped_prefix);
		memcpy(mapped.sin6_addr.s6_addr + 12, &in.sin_addr, 4);
		check_match(table, &mapped, sizeof mapped);
	}
}

static void check_fixed_destinations(const struct shim_route_table *table)
{
	static const char *const destinations[] = {
		"127.0.0.1", "10.1.2.3",    "0.0.0.0",         "255.255.255.255",
		"::1",       "2001:db8::1", "::ffff:10.1.2.3", "::",
	};
	static const uint16_t ports[] = {53, 443, 8080};

	for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
		for (size_t i = 0; i < sizeof destinations / sizeof destinations[0]; i++) {
			int family = strchr(destinations[i], ':') ? AF_INET6 : AF_INET;
			uint8_t address[16];
			struct sockaddr_storage destination;
			socklen_t destination_len;

			FUZZ_CHECK(inet_pton(family, destinations[i], address) == 1);
			shim_socket_address(family, address, ports[p], &destination, &destination_len);
			check_match(table, &destination, destination_len);
		}
	}
}

static void check_rule(const struct shim_route_rule *rule)
{
	unsigned full = rule->family == AF_INET ? 32 : rule->family == AF_INET6 ? 128 : 0;

	FUZZ_CHECK(rule->family == AF_INET || rule->family == AF_INET6 || rule->family == AF_UNSPEC);
	FUZZ_CHECK(rule->prefix_len <= full);
	for (unsigned bit = rule->prefix_len; bit < full; bit++)
		FUZZ_CHECK(!((rule->address[bit / 8] >> (7 - bit % 8)) & 1));
	/* A rule written as an IPv4-mapped address with the mapped prefix whole is an IPv4 rule. */
	if (rule->family == AF_INET6 && rule->prefix_len >= 96)
		FUZZ_CHECK(memcmp(rule->address, mapped_prefix, sizeof mapped_prefix) != 0);
}

static bool same_rule(const struct shim_route_rule *a, const struct shim_route_rule *b)
{
	size_t address_len = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;

	return a->exclude == b->exclude && a->family == b->family && a->prefix_len == b->prefix_len &&
		a->port == b->port && memcmp(a->address, b->address, address_len) == 0;
}

static bool is_printable_line(const char *text)
{
	for (; *text; text++) {
		if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e)
			return false;
	}
	return true;
}

static void check_format(const struct shim_route_table *table)
{
	static char text[FORMAT_SIZE];
	static struct shim_route_table reparsed;
	int len = shim_route_format(table, text, sizeof text);

	FUZZ_CHECK(len >= 0 && (size_t)len == strlen(text));
	FUZZ_CHECK(is_printable_line(text));
	FUZZ_CHECK(shim_route_parse(text, &reparsed, NULL, 0) == 0);
	FUZZ_CHECK(reparsed.count == table->count);
	for (size_t i = 0; i < table->count; i++)
		FUZZ_CHECK(same_rule(&table->rules[i], &reparsed.rules[i]));

	/* Too small by one, and exactly right. */
	for (size_t room = (size_t)len; room <= (size_t)len + 1; room++) {
		char *small;

		if (room == 0)
			continue;
		small = malloc(room);
		if (!small)
			return;
		int got = shim_route_format(table, small, room);
		FUZZ_CHECK(room > (size_t)len ? got == len : got == -ENOSPC);
		FUZZ_CHECK(strlen(small) < room);
		FUZZ_CHECK(strncmp(small, text, strlen(small)) == 0);
		free(small);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shim_route_table table, again;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t text_len = nul ? (size_t)(nul - data) : size;
	char *text = malloc(text_len + 1);
	char err[ERR_SIZE];
	size_t small_err_len = 1 + size % 24;
	char *small_err = malloc(small_err_len);

	if (!text || !small_err)
		goto out;
	memcpy(text, data, text_len);
	text[text_len] = '\0';

	int ret = shim_route_parse(text, &table, err, sizeof err);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -E2BIG);
	FUZZ_CHECK(strlen(err) < sizeof err && is_printable_line(err));
	if (ret < 0) {
		FUZZ_CHECK(table.count == 0);
		FUZZ_CHECK(strncmp(err, "bad rule \"", 10) == 0);
	} else {
		FUZZ_CHECK(err[0] == '\0');
		FUZZ_CHECK(table.count <= SHIM_ROUTE_MAX_RULES);
	}

	/* The error buffer's size changes nothing but how much of the line fits. */
	FUZZ_CHECK(shim_route_parse(text, &again, small_err, small_err_len) == ret);
	FUZZ_CHECK(strlen(small_err) < small_err_len);
	FUZZ_CHECK(strncmp(small_err, err, strlen(small_err)) == 0);
	FUZZ_CHECK(again.count == table.count);
	FUZZ_CHECK(shim_route_parse(text, NULL, NULL, 0) == -EINVAL);

	for (size_t i = 0; i < table.count; i++) {
		check_rule(&table.rules[i]);
		FUZZ_CHECK(same_rule(&table.rules[i], &again.rules[i]));
		if (i < 8) {
			check_destination_of(&table, &table.rules[i], false);
			check_destination_of(&table, &table.rules[i], true);
		}
	}
	check_format(&table);
	check_fixed_destinations(&table);
	if (nul)
		check_match(&table, nul + 1, size - text_len - 1);
	FUZZ_CHECK(!shim_route_match(&table, NULL, 0));

out:
	free(text);
	free(small_err);
	return 0;
}
