/*
 * DNS over the modem: the query the shim sends to ST87_DNS through a modem
 * UDP socket, and the reading of the reply. Both go through glibc's
 * libresolv (res_nmkquery, ns_initparse, ns_parserr), never by hand.
 *
 * One question per message, A or AAAA, class IN, recursion desired, no
 * EDNS: replies fit the 512 bytes a plain DNS/UDP reply may carry.
 */
#ifndef ST87_SHIM_DNS_MESSAGE_H
#define ST87_SHIM_DNS_MESSAGE_H

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* Addresses kept from one reply; further ones are dropped. */
#define SHIM_DNS_MAX_ADDRESSES 16

/* A plain DNS/UDP reply is at most 512 bytes; a receive buffer this big holds it. */
#define SHIM_DNS_UDP_MAX 512

/*
 * What a reply says, as shim_dns_parse_answer() returns it. Negative errnos,
 * so that they read like the rest of the shim's returns; switch on the names.
 */
enum shim_dns_outcome {
	/* Addresses found. */
	SHIM_DNS_ANSWER = 0,
	/* Not the reply to this query (another id, not a reply, another
	 * question): drop it and keep waiting. */
	SHIM_DNS_NOT_OURS = -ENOMSG,
	/* NXDOMAIN: the name does not exist. getaddrinfo: EAI_NONAME. */
	SHIM_DNS_NO_SUCH_NAME = -ENOENT,
	/* The name exists but has no address of the type asked (maybe only
	 * the other family). getaddrinfo: EAI_NODATA, as glibc says it. */
	SHIM_DNS_NO_DATA = -ENODATA,
	/* SERVFAIL, or a reply truncated before any address: a later try may
	 * work. getaddrinfo: EAI_AGAIN. */
	SHIM_DNS_TRY_AGAIN = -EAGAIN,
	/* FORMERR, NOTIMP, REFUSED or an unknown rcode: the server will not
	 * answer. getaddrinfo: EAI_FAIL. */
	SHIM_DNS_REFUSED = -EREMOTEIO,
	/* The reply to this query does not parse. getaddrinfo: EAI_FAIL. */
	SHIM_DNS_MALFORMED = -EBADMSG,
};

struct shim_dns_answer {
	int family;   /* AF_INET (ns_t_a) or AF_INET6 (ns_t_aaaa) */
	size_t count; /* addresses[0..count) are valid */
	uint32_t ttl; /* smallest TTL of the records kept; 0 when count is 0 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addresses[SHIM_DNS_MAX_ADDRESSES];
};

/*
 * Writes into @buf a query for @name (with or without the final dot) of
 * @qtype, ns_t_a or ns_t_aaaa, class IN, recursion desired, with @id.
 * Returns the message length, or:
 *  -EINVAL    @name is NULL, empty, the root, or not a name DNS can carry (a
 *             label over 63 bytes, over 255 bytes in all, a bad escape);
 *             @qtype is neither; @buf is NULL;
 *  -EMSGSIZE  @buf_len is too small (12 + name + 6 bytes are needed).
 * Leaves the caller's resolver state (_res) alone and reads no file; glibc
 * allocates and frees one small context inside.
 */
int shim_dns_build_query(const char *name, int qtype, uint16_t id, unsigned char *buf, size_t buf_len);

/*
 * Reads the reply @msg of @len bytes to the query built with @expected_id,
 * @expected_name and @qtype (compared as DNS does: case ignored, final dot
 * optional). Keeps every A (or AAAA) record of class IN in the answer
 * section, whatever its owner: that follows a CNAME chain the server has
 * already resolved.
 * Returns an enum shim_dns_outcome (see there), or -EINVAL when an argument
 * is NULL or @qtype is neither ns_t_a nor ns_t_aaaa. @answer is filled
 * (count 0 unless SHIM_DNS_ANSWER) whenever the arguments are good.
 * Never reads past @msg + @len; a compression pointer loop is SHIM_DNS_MALFORMED.
 */
int shim_dns_parse_answer(const unsigned char *msg, size_t len, uint16_t expected_id,
			  const char *expected_name, int qtype, struct shim_dns_answer *answer);

/*
 * The getaddrinfo() code (EAI_*) for a return of shim_dns_parse_answer():
 * 0 for SHIM_DNS_ANSWER, EAI_FAIL for anything unknown.
 */
int shim_dns_outcome_to_eai(int outcome);

#endif
