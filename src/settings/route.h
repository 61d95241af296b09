/*
 * ST87_ROUTE: which destinations the shim carries over the modem.
 *
 * Syntax: rules separated by commas; whitespace around a rule is ignored.
 *
 *     [!]ADDRESS[/PREFIX][:PORT]
 *
 *     10.0.0.1             one IPv4 host, every port
 *     10.0.0.0/8:443       an IPv4 network, one port
 *     [::1]  [::1]:53      IPv6 goes in brackets
 *     [2001:db8::]/32:443  an IPv6 network, one port
 *     *  *:53              every IPv4 and IPv6 destination (optionally one port)
 *     !127.0.0.1/32:8080   "!" excludes: a match means "not routed"
 *
 * PREFIX is 0..32 (IPv4) or 0..128 (IPv6), full length when left out; the
 * address must have no bits set past it. PORT is 1..65535, every port when
 * left out. Rules are tried in order and the first match decides; with no
 * match the destination is not routed. Loopback (127.0.0.0/8, ::1) is
 * routed only by a rule written for it (127.0.0.1, 127.0.0.0/8, [::1]):
 * "*", 0.0.0.0/0, [::]/0 or any other rule that merely contains it leave it
 * to the kernel. IPv4-mapped IPv6 destinations
 * (::ffff:a.b.c.d) match IPv4 rules, and a rule written as an IPv4-mapped
 * address is an IPv4 rule.
 *
 * Nothing here allocates; matching is a walk over a fixed array.
 */
#ifndef ST87_SHIM_ROUTE_H
#define ST87_SHIM_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SHIM_ROUTE_MAX_RULES 64

struct shim_route_rule {
	bool exclude;        /* written with "!": a match means "not routed" */
	sa_family_t family;  /* AF_INET, AF_INET6, or AF_UNSPEC for "*" (both) */
	uint8_t prefix_len;  /* leading bits of address a destination must share */
	uint16_t port;       /* host byte order; 0 matches every port */
	uint8_t address[16]; /* network byte order; AF_INET uses the first 4 bytes */
};

struct shim_route_table {
	size_t count;
	struct shim_route_rule rules[SHIM_ROUTE_MAX_RULES];
};

/*
 * Parses @text (ST87_ROUTE) into @table. NULL, empty or blank text gives an
 * empty table: nothing routed.
 * Returns 0, or:
 *  -EINVAL  a rule is malformed (or @table is NULL);
 *  -E2BIG   more than SHIM_ROUTE_MAX_RULES rules.
 * On failure @table is left empty, never half filled, and @err (when not
 * NULL, @err_len > 0) gets one line naming the rule and what is wrong, e.g.
 * `bad rule "10.0.0.0/33": prefix must be 0..32`. @err is always
 * NUL-terminated ("" on success), truncated to fit.
 */
int shim_route_parse(const char *text, struct shim_route_table *table, char *err, size_t err_len);

/*
 * True when @table routes the destination @addr (its address and port) over
 * the modem: the first matching rule is an include rule. False for no match,
 * an exclude match, NULL arguments, families other than AF_INET/AF_INET6, and
 * @addr_len too short for the family (AF_INET6 accepts the 24-byte RFC 2133
 * form). Reads at most @addr_len bytes of @addr, which need not be aligned.
 */
bool shim_route_match(const struct shim_route_table *table, const struct sockaddr *addr,
		      socklen_t addr_len);

/*
 * True when @table routes every IPv4 destination on @port (host byte order)
 * but loopback: "*", "*:53" or "0.0.0.0/0" before any narrower rule for that port. For
 * port 53 it means "names are looked up over the modem".
 */
bool shim_route_covers_port(const struct shim_route_table *table, uint16_t port);

/*
 * Writes @table back as ST87_ROUTE text in canonical form (for logs), e.g.
 * "!127.0.0.1:8080,10.0.0.0/8,[2001:db8::]/32:443,*:53"; an empty table
 * gives "". Parsing the result gives the same table.
 * Returns the length written (without the NUL), or:
 *  -ENOSPC  @buf_len too small: @buf holds a truncated, NUL-terminated prefix;
 *  -EINVAL  @table or @buf is NULL, or @buf_len is 0.
 */
int shim_route_format(const struct shim_route_table *table, char *buf, size_t buf_len);

#endif
